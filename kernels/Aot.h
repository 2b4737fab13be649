// Ahead-of-time compilation of Halide kernels: an object file per (task,
// schedule, target), without the Halide runtime, and one runtime object per
// target. `tessel aot` archives them with C adapters (tools/tessel).
#ifndef TESSEL_KERNELS_AOT_H
#define TESSEL_KERNELS_AOT_H

#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Status.h"
#include "db/Target.h"

#include <string>

namespace tessel {

/// Compiles the kernel of `task` realized with `schedule` (kind "loopnest")
/// for `preset` into `objectPath`, exporting
///   int functionName(halide_buffer_t *array0, ..., halide_buffer_t *output)
/// with the arrays in kernelArrays() order. The object needs a Halide runtime
/// (compileRuntimeObject) at link time.
Status compileKernelObject(const TaskSignature &task, const Schedule &schedule,
                           const TargetPreset &preset,
                           const std::string &functionName,
                           const std::string &objectPath);

/// The Halide runtime for `preset`'s Halide target, as one object file.
Status compileRuntimeObject(const TargetPreset &preset,
                            const std::string &objectPath);

/// The directory holding HalideRuntime.h (for C adapters of AOT kernels).
std::string halideRuntimeIncludeDir();

} // namespace tessel

#endif // TESSEL_KERNELS_AOT_H
