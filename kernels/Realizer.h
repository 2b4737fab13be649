// The Halide realizer: applies a schedule (db/Schedule.h) to a Kernel.
//
// The schedule is first resolved into the task's loop plan (kernels/Plan.h:
// tiles rounded, order, parallel loops, vector width, unrolls), the plan the
// MLIR realizer reads too; the plan's schedule is what is applied. How its
// fields map onto Halide, for a kernel with pure loops P
// (output dimensions) and reduction loops R:
//   tile_outer[p]   output.split(p, p_o, p_t, T): the cache tile; the p_o loops
//                   run in `order` (outermost first), those in `parallel`
//                   (a prefix of `order`) run in parallel.
//   tile_inner[p]   p_t.split(p_io, p_ii, R): the register tile; all p_ii loops
//                   are innermost, the vector dimension first.
//   vector_dim/_width  the p_ii loop of vector_dim is vectorized by the width
//                   (tile_inner[vector_dim] is a multiple of it) and the rest
//                   of it unrolled; the other p_ii loops are unrolled.
//   epilogue_at     "inner": the accumulator is computed per register tile
//                   (compute_at the innermost p_io loop) so it lives in
//                   registers and the epilogue is applied as it is stored;
//                   "outer": the accumulator is computed per cache tile and
//                   its update is tiled by tile_inner, with reduction loops
//                   blocked by tile_outer[r] outside the register tiles;
//                   "root": as "outer", over the whole output, and the
//                   epilogue runs as a separate pass.
//   reduction_split the k (or c) loop cut into that many chunks whose partial
//                   sums are computed in parallel (rfactor), then added.
//   unroll[r]       the reduction loop r is split by the factor and unrolled.
//   packing         "inputs": the padded input is computed into a buffer
//                   instead of inline bounds checks; "weights": the weights
//                   are copied into a contiguous buffer; "both". Once per
//                   call (pack_at root) or per cache tile (pack_at outer).
// A schedule the realizer cannot apply to the kernel (unknown loop, vector
// width not dividing the register tile, ...) is rejected before compiling.
#ifndef TESSEL_KERNELS_REALIZER_H
#define TESSEL_KERNELS_REALIZER_H

#include "db/Schedule.h"
#include "db/Status.h"
#include "db/Target.h"
#include "kernels/Kernel.h"
#include "kernels/Plan.h"

namespace tessel {

/// Checks that `s` can be realized on `k` without touching Halide; the error
/// says which field is wrong and why.
Status checkSchedule(const Kernel &k, const Schedule &s);

/// Applies a loop plan to the kernel's Funcs. Fails (after checkSchedule of
/// the plan's schedule) with Halide's message if Halide rejects it.
Status applyPlan(Kernel &k, const LoopPlan &plan);

/// Resolves `s` into the loop plan of `k`'s task for Halide on `target` and
/// applies it; fails with the reason when the schedule has no plan.
Status applySchedule(Kernel &k, const Schedule &s, const TargetPreset &target);

} // namespace tessel

#endif // TESSEL_KERNELS_REALIZER_H
