// Default schedules.
#include "kernels/Heuristic.h"

#include "kernels/Arrays.h"
#include "kernels/Loops.h"

#include <algorithm>

namespace tessel {

namespace {

int64_t roundDownTo(int64_t v, int64_t multiple) {
  return std::max(multiple, v / multiple * multiple);
}

int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// A vector-matrix product's register tile of columns: up to eight vectors
/// (the accumulators stay in registers on AVX2 too), a divisor of the `ev`
/// columns where one exists (no partial tile: 40 for 1000 columns of 8
/// lanes), else 128 columns or all there are.
int64_t gemvColumns(int64_t ev, int64_t vw) {
  for (int64_t t = std::min(8 * vw, roundDownTo(ev, vw)); t >= 2 * vw; t -= vw)
    if (ev % t == 0)
      return t;
  return std::min(roundDownTo(128, vw), roundDownTo(ev, vw));
}

/// Windowed register tiles divide their rows (kernels/Plan.h): of one or two
/// vectors per row (`rv`, now two if the loop has them), the choice that
/// keeps the most accumulators within 12 registers (16 on AVX-512) with the
/// largest divisor of the `es` rows that fits. Rows of 7 or 14 on AVX2 get
/// 7 rows of one vector (7 accumulators) rather than 1 or 2 rows of two.
void windowedRegisterTile(int64_t es, int64_t vw, const TargetPreset &target,
                          int64_t &rv, int64_t &rs) {
  int64_t budget = target.vectorBits >= 512 ? 16 : 12, best = 0;
  for (int64_t vectors : {rv / vw, int64_t(1)}) {
    int64_t rows = largestDivisorAtMost(es, budget / vectors);
    if (rows * vectors > best) {
      best = rows * vectors;
      rv = vectors * vw;
      rs = rows;
    }
  }
}

/// A convolution's filter block for one register tile of `rf` channels
/// stays in cache: the input channels are blocked (with the accumulator
/// outside registers) when the whole filter tile exceeds ~96 KiB.
void blockInputChannels(const TaskSignature &task, int64_t rf, Schedule &s) {
  if (task.family != OpFamily::Conv2d)
    return;
  int64_t perChannel = task.dim("kh") * task.dim("kw") * rf * 4;
  int64_t c = task.dim("c"), block = 16;
  while (block * 2 * perChannel <= (int64_t(96) << 10))
    block *= 2;
  if (block < c && c % block == 0) {
    s.tileOuter["c"] = block;
    s.epilogueAt = "outer";
  }
}

/// The register tiles across the output's rows (its pixels, or m): how many
/// times each packed block of weights is read.
int64_t outputRowTiles(const LoopNest &loops, const Schedule &s) {
  int64_t tiles = 1;
  for (size_t i = 0; i < loops.pure.size(); ++i) {
    const std::string &d = loops.pure[i];
    int64_t r = s.tileInner.count(d) ? s.tileInner.at(d) : 1;
    if (d != s.vectorDim)
      tiles *= (loops.pureExtents[i] + r - 1) / r;
  }
  return tiles;
}

/// With a realizer that copies a cache tile's weights into blocks of the
/// register tile (MLIR), the weights of a conv2d or matmul are packed per
/// cache tile (their rows read one after another, not a row of the whole
/// filter apart: 512^3 matmul 1.55x, 14x14x256 3x3 convolution 1.96x). When
/// they outweigh the input, their last dimension (the vector loop) runs
/// outermost, so that each block is packed and read from cache for the
/// whole output once per call (7x7x512 3x3 convolution 3.7x). A block read
/// by two register tiles or fewer does not pay for its copy: the output of
/// 1x1 or 2x2 pixels reads the weights as they are (32x32 resnet18's and
/// mobilenet_v2's deep layers, weights evicted as in a model: 1.1-1.8x
/// faster unpacked), its vector loop still outermost, where the threads
/// split the weights between them.
void packWeights(const TaskSignature &task, const LoopNest &loops,
                 const TargetPreset &target, Realizer r, Schedule &s) {
  // (SVE targets may take scalable register tiles, which read the weights
  // as they are.)
  if (r != Realizer::Mlir ||
      target.llvmFeatures.find("+sve") != std::string::npos ||
      (task.family != OpFamily::Conv2d && task.family != OpFamily::Matmul))
    return;
  if (outputRowTiles(loops, s) > 2) {
    s.packing = "weights";
    s.packAt = "outer";
  }
  std::vector<ArraySpec> arrays = kernelArrays(task);
  if (arrays[1].elements() > arrays[0].elements()) {
    auto v = std::find(s.order.begin(), s.order.end(), s.vectorDim);
    if (v != s.order.end())
      std::rotate(s.order.begin(), v, v + 1);
  }
}

} // namespace

Schedule heuristicSchedule(const TaskSignature &task,
                           const TargetPreset &target, int threads,
                           Realizer realizer) {
  LoopNest loops = describeLoops(task);
  Schedule s;
  if (loops.pure.empty())
    return s;
  // Halide 14 emits 128-bit NEON on arm64 whatever the SVE width.
  int64_t vw = target.arch == "aarch64" ? 4 : target.vectorLanesF32();
  const std::string &v = loops.vectorDim;
  int64_t ev = loops.extent(v);
  while (vw > 1 && vw > ev)
    vw /= 2;
  int64_t rv = ev >= 2 * vw ? 2 * vw : vw;
  if (vw > 1) {
    s.vectorDim = v;
    s.vectorWidth = vw;
  }
  // A vector-matrix product (m = 1) streams the weights once: the whole row
  // of outputs stays in cache while blocks of a few weight rows are read
  // side by side, which keeps several sequential streams in flight. (Tiles
  // of n with the whole reduction inside walk the weights down columns.)
  // (Weights stored n-major, layout nt, would be read across rows.) On
  // several threads, each takes its own blocks of columns: two per thread
  // (4096 columns on 2 threads: 1.35 to 1.02 ms; on one thread, whole rows
  // stream best).
  if (task.family == OpFamily::Matmul && v == "n" && loops.extent("m") == 1 &&
      (task.layout.empty() || task.layout == "nn") && vw > 1 && ev >= vw &&
      loops.extent("k") > 8) {
    s.tileInner[v] = gemvColumns(ev, vw);
    s.tileOuter[v] = ev;
    s.tileOuter["k"] = 8;
    s.order = {"n", "m"};
    s.epilogueAt = "root";
    int64_t chunk = roundDownTo(ev / (2 * threads), s.tileInner[v]);
    if (threads > 1 && chunk < ev) {
      s.tileOuter[v] = chunk;
      s.parallel = {"n"};
    }
    return s;
  }
  // A second register-tile dimension: the next output loop with extent > 1.
  std::string second;
  for (size_t i = 1; i < loops.pure.size(); ++i)
    if (loops.pureExtents[i] > 1) {
      second = loops.pure[i];
      break;
    }
  bool windowed = task.family != OpFamily::Matmul && task.family != OpFamily::BatchMatmul;
  if (!second.empty()) {
    int64_t es = loops.extent(second);
    int64_t rs = std::min<int64_t>(es, target.vectorBits >= 512 ? 6 : 4);
    if (windowed)
      windowedRegisterTile(es, vw, target, rv, rs);
    s.tileInner[second] = rs;
    s.tileOuter[second] = std::min(es, roundDownTo(96, rs));
  }
  s.tileInner[v] = rv;
  s.tileOuter[v] = std::min(ev, roundDownTo(256, rv));
  blockInputChannels(task, rv, s);
  // Outer loops: storage order reversed, loops of extent 1 last; the first
  // one runs in parallel.
  std::vector<std::string> order(loops.pure.rbegin(), loops.pure.rend());
  std::stable_partition(order.begin(), order.end(), [&](const std::string &d) {
    return loops.extent(d) > 1;
  });
  s.order = order;
  packWeights(task, loops, target, realizer, s);
  // The cache-tile loop of the outermost dimension runs in parallel: about
  // eight chunks of it, when it is long enough.
  const std::string &p = s.order.front();
  int64_t ep = loops.extent(p);
  int64_t rp = s.tileInner.count(p) ? s.tileInner.at(p) : 1;
  if (!s.tileOuter.count(p) || s.tileOuter.at(p) >= ep) {
    int64_t t = roundDownTo((ep + 7) / 8, rp);
    if (t < ep)
      s.tileOuter[p] = t;
    else
      s.tileOuter.erase(p);
  }
  if (s.tileOuter.count(p))
    s.parallel = {p};
  for (size_t i = 0; i < loops.reduction.size(); ++i)
    if ((loops.reduction[i] == "kw" || loops.reduction[i] == "kh") &&
        loops.reductionExtents[i] <= 7 && loops.reductionExtents[i] > 1)
      s.unroll[loops.reduction[i]] = loops.reductionExtents[i];
  if (task.pad != std::array<int64_t, 4>{0, 0, 0, 0} &&
      task.family != OpFamily::Matmul && task.family != OpFamily::BatchMatmul)
    s.packing = s.packsWeights() ? "both" : "inputs";
  return s;
}

} // namespace tessel
