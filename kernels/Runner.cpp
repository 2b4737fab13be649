// JIT compilation and execution of kernels.
#include "kernels/Runner.h"

#include "kernels/HalideInfo.h"
#include "kernels/Realizer.h"

#include <cmath>
#include <limits>
#include <mutex>
#include <random>

namespace tessel {

using namespace Halide;

KernelArrays KernelArrays::random(const TaskSignature &task, uint64_t seed) {
  KernelArrays a;
  a.specs = kernelArrays(task);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < a.specs.size(); ++i) {
    const ArraySpec &s = a.specs[i];
    size_t n = static_cast<size_t>(s.elements());
    std::vector<uint8_t> b(n * static_cast<size_t>(s.elementBytes()), 0);
    if (i + 1 < a.specs.size()) {
      if (s.type == "f32") {
        std::uniform_real_distribution<float> d(-1.0f, 1.0f);
        float *p = reinterpret_cast<float *>(b.data());
        for (size_t j = 0; j < n; ++j)
          p[j] = d(rng);
      } else if (s.type == "i32") {
        std::uniform_int_distribution<int32_t> d(-1000, 1000);
        int32_t *p = reinterpret_cast<int32_t *>(b.data());
        for (size_t j = 0; j < n; ++j)
          p[j] = d(rng);
      } else {
        std::uniform_int_distribution<int> d(0, 255);
        for (auto &x : b)
          x = static_cast<uint8_t>(d(rng));
      }
    }
    a.bytes.push_back(std::move(b));
  }
  return a;
}

std::vector<double> KernelArrays::values(size_t i) const {
  const ArraySpec &s = specs[i];
  size_t n = static_cast<size_t>(s.elements());
  std::vector<double> v(n);
  const uint8_t *p = bytes[i].data();
  for (size_t j = 0; j < n; ++j) {
    if (s.type == "f32")
      v[j] = reinterpret_cast<const float *>(p)[j];
    else if (s.type == "i32")
      v[j] = reinterpret_cast<const int32_t *>(p)[j];
    else if (s.type == "s8")
      v[j] = static_cast<int8_t>(p[j]);
    else
      v[j] = p[j];
  }
  return v;
}

std::vector<std::vector<double>> KernelArrays::inputValues() const {
  std::vector<std::vector<double>> v;
  for (size_t i = 0; i + 1 < specs.size(); ++i)
    v.push_back(values(i));
  return v;
}

void KernelArrays::poisonOutput() {
  const ArraySpec &s = specs.back();
  std::vector<uint8_t> &b = bytes.back();
  if (s.type == "f32") {
    float *p = reinterpret_cast<float *>(b.data());
    std::fill(p, p + s.elements(), std::numeric_limits<float>::quiet_NaN());
  } else {
    // 0xA5 bytes: a skipped element shows as an error unless the right
    // result happens to be that very value (165 in u8, -91 in s8).
    std::fill(b.begin(), b.end(), uint8_t(0xA5));
  }
}

double maxAbsError(const std::vector<double> &a, const std::vector<double> &b) {
  if (a.size() != b.size())
    return std::numeric_limits<double>::infinity();
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    bool na = std::isnan(a[i]), nb = std::isnan(b[i]);
    if (na != nb)
      return std::numeric_limits<double>::infinity();
    if (na)
      continue;
    if (std::isinf(a[i]) || std::isinf(b[i])) {
      if (a[i] != b[i])
        return std::numeric_limits<double>::infinity();
      continue;
    }
    worst = std::max(worst, std::abs(a[i] - b[i]));
  }
  return worst;
}

Status loadAutoschedulers() {
  static std::once_flag once;
  static std::string error;
  std::call_once(once, [] {
    for (const char *name : {"adams2019", "mullapudi2016"}) {
      std::string path = autoschedulerPluginPath(name);
      try {
        Halide::load_plugin(path);
      } catch (const std::exception &e) {
        error = "cannot load Halide autoscheduler plugin " + path + ": " + e.what();
        return;
      }
    }
  });
  return error.empty() ? Status() : Status(makeError(error));
}

namespace {

std::vector<int> halideShape(const ArraySpec &spec) {
  return std::vector<int>(spec.shape.rbegin(), spec.shape.rend());
}

Status autoschedule(Kernel &k, const Schedule &s, const Target &target,
                    const TargetPreset &preset, int threads,
                    Pipeline &pipeline, std::string &source) {
  if (Status st = loadAutoschedulers(); !st)
    return st;
  std::string name = s.autoscheduler == "adams2019"       ? "Adams2019"
                     : s.autoscheduler == "mullapudi2016" ? "Mullapudi2016"
                                                          : "";
  if (name.empty())
    return makeError("unknown autoscheduler `" + s.autoscheduler + "`");
  auto arrays = kernelArrays(k.task);
  for (size_t i = 0; i < k.inputs.size(); ++i) {
    auto shape = halideShape(arrays[i]);
    for (size_t d = 0; d < shape.size(); ++d)
      k.inputs[i].dim(static_cast<int>(d)).set_estimate(0, shape[d]);
  }
  Region region;
  for (int e : halideShape(arrays.back()))
    region.push_back(Range(0, e));
  k.output.set_estimates(region);
  MachineParams params(threads, static_cast<uint64_t>(preset.l3Bytes), 40);
  AutoSchedulerResults r = pipeline.auto_schedule(name, target, params);
  source = r.schedule_source;
  return Status();
}

} // namespace

Result<std::unique_ptr<CompiledKernel>>
CompiledKernel::compile(const TaskSignature &task, const Schedule &schedule,
                        const TargetPreset &preset, int threads) {
  auto kernel = defineKernel(task);
  if (!kernel)
    return makeError(kernel.message());
  std::unique_ptr<CompiledKernel> ck(new CompiledKernel());
  ck->kernel_ = std::move(*kernel);
  try {
    ck->target_ = Target(preset.halideTarget);
    ck->pipeline_ = Pipeline(ck->kernel_.output);
    if (schedule.kind == "autoscheduler") {
      if (Status s = autoschedule(ck->kernel_, schedule, ck->target_, preset,
                                  threads, ck->pipeline_, ck->source_);
          !s)
        return makeError(s.message());
    } else if (Status s = applySchedule(ck->kernel_, schedule, preset); !s) {
      return makeError(s.message());
    }
    ck->pipeline_.compile_jit(ck->target_);
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide: ") + e.what());
  } catch (const std::exception &e) {
    return makeError(std::string("Halide: ") + e.what());
  }
  return ck;
}

Status CompiledKernel::bind(KernelArrays &arrays) {
  auto expected = kernelArrays(kernel_.task);
  if (arrays.specs.size() != expected.size())
    return makeError("wrong number of arrays for the kernel");
  try {
    for (size_t i = 0; i + 1 < arrays.bytes.size(); ++i)
      kernel_.inputs[i].set(Buffer<>(halideType(arrays.specs[i].type),
                                     arrays.data(i),
                                     halideShape(arrays.specs[i])));
    size_t last = arrays.bytes.size() - 1;
    out_ = Buffer<>(halideType(arrays.specs[last].type), arrays.data(last),
                    halideShape(arrays.specs[last]));
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide: ") + e.what());
  }
  return Status();
}

Status CompiledKernel::run() {
  try {
    pipeline_.realize(out_);
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide: ") + e.what());
  }
  return Status();
}

} // namespace tessel
