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
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t i = 0; i < a.specs.size(); ++i) {
    std::vector<float> v(static_cast<size_t>(a.specs[i].elements()), 0.0f);
    if (i + 1 < a.specs.size())
      for (float &x : v)
        x = dist(rng);
    a.data.push_back(std::move(v));
  }
  return a;
}

std::vector<const float *> KernelArrays::inputPointers() const {
  std::vector<const float *> p;
  for (size_t i = 0; i + 1 < data.size(); ++i)
    p.push_back(data[i].data());
  return p;
}

double maxAbsError(const std::vector<float> &a, const std::vector<float> &b) {
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
    worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
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
    } else if (Status s = applySchedule(ck->kernel_, schedule); !s) {
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
    for (size_t i = 0; i + 1 < arrays.data.size(); ++i)
      kernel_.inputs[i].set(
          Buffer<float>(arrays.data[i].data(), halideShape(arrays.specs[i])));
    out_ = Buffer<float>(arrays.data.back().data(),
                         halideShape(arrays.specs.back()));
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
