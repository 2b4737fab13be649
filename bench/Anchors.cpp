// The anchors of bench/: the same kernels in the libraries users run today,
// measured the same way as tessel's kernels (warm-up, interleaved repeats,
// samples that did not get the CPU dropped, medians with their spread).
//
//   tessel-bench-anchors --threads N [--csv F] SIGNATURE...
//
// Per signature and library: GFLOP/s, or "n/a" where the library has no such
// op. Libraries: OpenBLAS (sgemm), oneDNN 2.6 (matmul, convolution in its
// preferred weight layout, reordered once outside the timing), XNNPACK
// (fully connected, convolution, depthwise convolution; NHWC), Eigen 3
// (matrix product). Also the memory bandwidth of a triad, for the
// bandwidth-bound shapes. Built by tools/bench.sh with the Debian packages.
#include <Eigen/Core>
#include <cblas.h>
#include <dnnl.hpp>
#include <omp.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" void openblas_set_num_threads(int);

namespace {

struct Task {
  std::string family, text;
  std::map<std::string, long> d;
  long sh = 1, sw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
  long oh = 0, ow = 0;
  double flops = 0;
};

Task parse(const std::string &text) {
  Task t;
  t.text = text;
  std::istringstream in(text);
  in >> t.family;
  std::string kv;
  while (in >> kv) {
    auto eq = kv.find('=');
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (k == "stride")
      std::sscanf(v.c_str(), "%ld,%ld", &t.sh, &t.sw);
    else if (k == "pad")
      std::sscanf(v.c_str(), "%ld,%ld,%ld,%ld", &t.pt, &t.pl, &t.pb, &t.pr);
    else if (k != "layout")
      t.d[k] = std::stol(v);
  }
  if (t.family == "matmul") {
    t.flops = 2.0 * t.d["m"] * t.d["n"] * t.d["k"];
  } else {
    t.oh = (t.d["h"] + t.pt + t.pb - t.d["kh"]) / t.sh + 1;
    t.ow = (t.d["w"] + t.pl + t.pr - t.d["kw"]) / t.sw + 1;
    double out = double(t.d["n"]) * t.oh * t.ow;
    t.flops = t.family == "conv2d"
                  ? 2.0 * out * t.d["f"] * t.d["c"] * t.d["kh"] * t.d["kw"]
                  : 2.0 * out * t.d["c"] * t.d["kh"] * t.d["kw"];
  }
  return t;
}

double wall() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
double cpu() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/// Median seconds per call: samples of >= 20 ms, at least 7 kept, a sample
/// that did not get `threads` CPUs 90% of the time dropped and retaken.
double timeIt(const std::function<void()> &f, int threads, double *spread) {
  f(); // warm-up
  double t0 = wall();
  f();
  double one = std::max(wall() - t0, 1e-7);
  int calls = std::max(1, int(0.02 / one));
  std::vector<double> kept;
  for (int tries = 0; kept.size() < 7 && tries < 40; ++tries) {
    double w0 = wall(), c0 = cpu();
    for (int i = 0; i < calls; ++i)
      f();
    double w = wall() - w0, c = cpu() - c0;
    if (c / (w * threads) >= 0.9 || tries >= 30)
      kept.push_back(w / calls);
  }
  std::sort(kept.begin(), kept.end());
  double med = kept[kept.size() / 2];
  if (spread)
    *spread = (kept.back() - kept.front()) / med;
  return med;
}

std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = u(g);
  return v;
}

using Bench = std::function<double(const Task &, int, double *)>; // -> seconds, <0: n/a

double openblas(const Task &t, int threads, double *spread) {
  if (t.family != "matmul")
    return -1;
  long m = t.d.at("m"), n = t.d.at("n"), k = t.d.at("k");
  auto a = randomVector(m * k, 1), b = randomVector(k * n, 2);
  std::vector<float> c(m * n);
  openblas_set_num_threads(threads);
  return timeIt([&] {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.f, a.data(), k,
                b.data(), n, 0.f, c.data(), n);
  }, threads, spread);
}

double eigen(const Task &t, int threads, double *spread) {
  if (t.family != "matmul")
    return -1;
  using M = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  long m = t.d.at("m"), n = t.d.at("n"), k = t.d.at("k");
  M a = M::Random(m, k), b = M::Random(k, n), c(m, n);
  Eigen::setNbThreads(threads);
  return timeIt([&] { c.noalias() = a * b; }, threads, spread);
}

double onednn(const Task &t, int threads, double *spread) {
  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  omp_set_num_threads(threads);
  engine eng(engine::kind::cpu, 0);
  stream s(eng);
  if (t.family == "matmul") {
    long m = t.d.at("m"), n = t.d.at("n"), k = t.d.at("k");
    memory::desc ad({m, k}, dt::f32, tag::ab), bd({k, n}, dt::f32, tag::ab),
        cd({m, n}, dt::f32, tag::ab);
    matmul::primitive_desc pd(matmul::desc(ad, bd, cd), eng); // oneDNN 2.x API
    memory am(ad, eng), bm(bd, eng), cm(cd, eng);
    auto a = randomVector(m * k, 1), b = randomVector(k * n, 2);
    std::memcpy(am.get_data_handle(), a.data(), a.size() * 4);
    std::memcpy(bm.get_data_handle(), b.data(), b.size() * 4);
    matmul prim(pd);
    return timeIt([&] {
      prim.execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
      s.wait();
    }, threads, spread);
  }
  bool depthwise = t.family == "depthwise_conv2d";
  if (t.family != "conv2d" && !depthwise)
    return -1;
  long N = t.d.at("n"), C = t.d.at("c"), H = t.d.at("h"), W = t.d.at("w");
  long F = depthwise ? C : t.d.at("f"), KH = t.d.at("kh"), KW = t.d.at("kw");
  memory::desc src({N, C, H, W}, dt::f32, tag::nhwc), dst({N, F, t.oh, t.ow}, dt::f32, tag::nhwc);
  memory::dims wdims = depthwise ? memory::dims{C, 1, 1, KH, KW} : memory::dims{F, C, KH, KW};
  memory::desc wany(wdims, dt::f32, tag::any);
  convolution_forward::primitive_desc pd(
      convolution_forward::desc(prop_kind::forward_inference, algorithm::convolution_direct,
                                src, wany, dst, {t.sh, t.sw}, {t.pt, t.pl}, {t.pb, t.pr}),
      eng);
  memory sm(src, eng), dm(dst, eng), wm(pd.weights_desc(), eng);
  auto x = randomVector(N * C * H * W, 1);
  std::memcpy(sm.get_data_handle(), x.data(), x.size() * 4);
  // Weights: written in a plain layout, reordered once into the preferred one.
  memory::desc wplain(wdims, dt::f32, depthwise ? tag::goihw : tag::oihw);
  memory wp(wplain, eng);
  auto w = randomVector(wplain.get_size() / 4, 2);
  std::memcpy(wp.get_data_handle(), w.data(), w.size() * 4);
  reorder(wp, wm).execute(s, wp, wm);
  s.wait();
  convolution_forward prim(pd);
  return timeIt([&] {
    prim.execute(s, {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, dm}});
    s.wait();
  }, threads, spread);
}

double xnnpack(const Task &t, int threads, double *spread) {
  static bool initialized = xnn_initialize(nullptr) == xnn_status_success;
  if (!initialized)
    return -1;
  pthreadpool_t pool = threads > 1 ? pthreadpool_create(threads) : nullptr;
  xnn_operator_t op = nullptr;
  std::vector<float> in, out, w, bias;
  const float inf = INFINITY;
  double sec = -1;
  if (t.family == "matmul") {
    long m = t.d.at("m"), n = t.d.at("n"), k = t.d.at("k");
    in = randomVector(m * k, 1), w = randomVector(k * n, 2), out.resize(m * n);
    bias.assign(n, 0.f);
    // Weights K x N: XNN_FLAG_TRANSPOSE_WEIGHTS.
    if (xnn_create_fully_connected_nc_f32(k, n, k, n, w.data(), bias.data(), -inf, inf,
                                          XNN_FLAG_TRANSPOSE_WEIGHTS, &op) == xnn_status_success &&
        xnn_setup_fully_connected_nc_f32(op, m, in.data(), out.data(), pool) ==
            xnn_status_success)
      sec = timeIt([&] { xnn_run_operator(op, pool); }, threads, spread);
  } else if (t.family == "conv2d" || t.family == "depthwise_conv2d") {
    bool dw = t.family == "depthwise_conv2d";
    long N = t.d.at("n"), C = t.d.at("c"), H = t.d.at("h"), W = t.d.at("w");
    long F = dw ? C : t.d.at("f"), KH = t.d.at("kh"), KW = t.d.at("kw");
    in = randomVector(N * H * W * C, 1), out.resize(N * t.oh * t.ow * F);
    w = randomVector(F * KH * KW * (dw ? 1 : C), 2), bias.assign(F, 0.f);
    if (xnn_create_convolution2d_nhwc_f32(t.pt, t.pr, t.pb, t.pl, KH, KW, t.sh, t.sw, 1, 1,
                                          dw ? C : 1, dw ? 1 : C, dw ? 1 : F, C, F, w.data(),
                                          bias.data(), -inf, inf,
                                          dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0,
                                          &op) == xnn_status_success &&
        xnn_setup_convolution2d_nhwc_f32(op, N, H, W, in.data(), out.data(), pool) ==
            xnn_status_success)
      sec = timeIt([&] { xnn_run_operator(op, pool); }, threads, spread);
  }
  if (op)
    xnn_delete_operator(op);
  if (pool)
    pthreadpool_destroy(pool);
  return sec;
}

/// Triad bandwidth (a = b + s c over 3 x 64 MiB), GB/s.
double triad(int threads) {
  size_t n = size_t(16) << 20;
  std::vector<float> a(n), b(n, 1.f), c(n, 2.f);
  omp_set_num_threads(threads);
  double s = timeIt([&] {
#pragma omp parallel for num_threads(threads)
    for (size_t i = 0; i < n; ++i)
      a[i] = b[i] + 3.f * c[i];
  }, threads, nullptr);
  return 3.0 * n * sizeof(float) / s * 1e-9;
}

} // namespace

int main(int argc, char **argv) {
  int threads = 1;
  const char *csv = nullptr;
  std::vector<std::string> tasks;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--csv") && i + 1 < argc)
      csv = argv[++i];
    else
      tasks.push_back(argv[i]);
  }
  std::vector<std::pair<const char *, Bench>> libs = {
      {"openblas", openblas}, {"xnnpack", xnnpack}, {"onednn", onednn}, {"eigen", eigen}};
  FILE *out = csv ? std::fopen(csv, "w") : nullptr;
  if (out)
    std::fprintf(out, "threads,task,library,gflops,spread\n");
  double bw = triad(threads);
  std::printf("triad bandwidth: %.1f GB/s (%d thread%s)\n", bw, threads, threads == 1 ? "" : "s");
  if (out)
    std::fprintf(out, "%d,triad,bandwidth_gbs,%.3f,0\n", threads, bw);
  for (const std::string &text : tasks) {
    Task t = parse(text);
    std::printf("%-60s", text.c_str());
    for (auto &[name, bench] : libs) {
      double spread = 0, sec = bench(t, threads, &spread);
      if (sec <= 0) {
        std::printf(" %8s n/a", name);
        if (out)
          std::fprintf(out, "%d,\"%s\",%s,n/a,\n", threads, text.c_str(), name);
      } else {
        std::printf(" %8s %6.1f", name, t.flops / sec * 1e-9);
        if (out)
          std::fprintf(out, "%d,\"%s\",%s,%.3f,%.3f\n", threads, text.c_str(), name,
                       t.flops / sec * 1e-9, spread);
      }
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  if (out)
    std::fclose(out);
  return 0;
}
