// The loop nest of a task, described without Halide or MLIR: loop names,
// extents and which loop is the natural vector dimension. The search space,
// the heuristic schedules and both realizers agree on these names.
#ifndef TESSEL_KERNELS_LOOPS_H
#define TESSEL_KERNELS_LOOPS_H

#include "db/Signature.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel {

struct LoopNest {
  /// Output loops, innermost storage dimension first.
  std::vector<std::string> pure;
  std::vector<int64_t> pureExtents;
  /// Reduction loops, innermost first.
  std::vector<std::string> reduction;
  std::vector<int64_t> reductionExtents;
  /// The output loop over contiguous memory: the one to vectorize.
  std::string vectorDim;

  int64_t extent(const std::string &loop) const;
};

/// The loop nest of a task with a Halide kernel (see Kernel.h for the names).
LoopNest describeLoops(const TaskSignature &task);

/// The reduction loop worth blocking or splitting: k, or c for conv2d; empty
/// when there is none (depthwise, pools).
std::string mainReduction(const LoopNest &loops);

} // namespace tessel

#endif // TESSEL_KERNELS_LOOPS_H
