// The built-in default schedule of each family: what a kernel gets when the
// database knows nothing better, and the first seed of every search.
#ifndef TESSEL_KERNELS_HEURISTIC_H
#define TESSEL_KERNELS_HEURISTIC_H

#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"

namespace tessel {

/// A reasonable loop-nest schedule for `task` on `target` running on
/// `threads` threads: a register tile of a few vectors by a few rows, cache
/// tiles sized for L2, the outermost loop parallel; for `realizer` MLIR, the
/// weights of conv2d and matmul packed per cache tile. Always accepted by
/// checkSchedule().
Schedule heuristicSchedule(const TaskSignature &task,
                           const TargetPreset &target, int threads = 1,
                           Realizer realizer = Realizer::Halide);

} // namespace tessel

#endif // TESSEL_KERNELS_HEURISTIC_H
