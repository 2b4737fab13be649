// Halide AOT compilation of tessel kernels.
#include "kernels/Aot.h"

#include "kernels/Kernel.h"
#include "kernels/Realizer.h"

#include <Halide.h>

namespace tessel {

using namespace Halide;

Status compileKernelObject(const TaskSignature &task, const Schedule &schedule,
                           const TargetPreset &preset,
                           const std::string &functionName,
                           const std::string &objectPath) {
  if (schedule.kind != "loopnest")
    return makeError("only loop-nest schedules are compiled ahead of time");
  auto kernel = defineKernel(task);
  if (!kernel)
    return makeError(kernel.message());
  try {
    if (Status s = applySchedule(*kernel, schedule, preset); !s)
      return s;
    Pipeline pipeline(kernel->output);
    std::vector<Argument> args(kernel->inputs.begin(), kernel->inputs.end());
    Target target = Target(preset.halideTarget).with_feature(Target::NoRuntime);
    pipeline.compile_to({{OutputFileType::object, objectPath}}, args,
                        functionName, target);
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide: ") + e.what());
  } catch (const std::exception &e) {
    return makeError(std::string("Halide: ") + e.what());
  }
  return Status();
}

Status compileRuntimeObject(const TargetPreset &preset,
                            const std::string &objectPath) {
  try {
    compile_standalone_runtime(objectPath, Target(preset.halideTarget));
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide: ") + e.what());
  }
  return Status();
}

std::string halideRuntimeIncludeDir() { return TESSEL_HALIDE_INCLUDE_DIR; }

} // namespace tessel
