// The loop plan: a schedule resolved against a task's loop nest, once, for
// the realizer that will run it. Both realizers read the plan, never the raw
// schedule, so the tile sizes, loop order, parallel loops, vector width and
// unrolls that run are decided here and nowhere else.
//
// Resolution rules (the same for both realizers):
//   - a cache tile (`tile_outer`) is clamped to its loop's extent and rounded
//     down to a divisor of it (the largest divisor at least half of it; else
//     the loop is not tiled);
//   - a register tile (`tile_inner`) is clamped to the cache tile; for
//     windowed families it is rounded down to a divisor of it. The vector
//     loop's (the width when not given) must be a multiple of the vector
//     width; clamped, it is rounded down to a multiple of the width (for
//     windowed families and MLIR's packed weights, one that divides the
//     cache tile; for Halide, one
//     that divides it where one does: Halide 14 miscomputes guarded vector
//     tails of updates), the width halving until there is one;
//   - an unroll factor is clamped to its reduction loop (a divisor of it for
//     windowed families); kh and kw are unrolled fully or not at all;
//   - `order` lists every output loop (storage order reversed when empty);
//     parallel loops are a prefix of it, and the prefix ends at the first
//     loop without a cache tile (the cache-tile loops are what run in
//     parallel).
// Resolution fails, naming the knob, for loops the task does not have and for
// knobs the realizer does not realize (see RealizerKnobs).
//
// What each realizer realizes:
//   halide  every knob;
//   mlir    tiles, order, parallel loops, unrolls; the vector loop is the
//           natural one, and the whole register tile is vectorized (the code
//           generator splits it into registers); windowed ops keep one output
//           row per register tile (oh = 1, so that they decompose to 1-D);
//           the output's fill and the epilogue are computed per cache tile
//           (epilogue_at outer, the default) or as passes of their own over
//           the whole output (root); a padded input is materialized once
//           per call (packing inputs, pack_at root); the weights of a
//           conv2d or matmul are read as they are, or (packing weights or
//           both, pack_at outer) copied per cache tile into blocks of the
//           vector loop's register tile, each block's rows contiguous (the
//           padded input still once per call); there is no reduction split.
// adaptSchedule() sets the knobs a realizer does not realize to its fixed
// choice: the way a schedule of another realizer or task (the heuristic, a
// nearest task) becomes one this realizer runs as written.
#ifndef TESSEL_KERNELS_PLAN_H
#define TESSEL_KERNELS_PLAN_H

#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"
#include "kernels/Loops.h"

#include <algorithm>
#include <string>
#include <vector>

namespace tessel {

/// One loop of the plan.
struct PlanLoop {
  std::string name;
  int64_t extent = 1;
  bool reduction = false;
  /// The cache-tile size (== extent: not tiled).
  int64_t cacheTile = 1;
  /// Output loops: the register-tile size. Reductions: the unroll factor
  /// (1: not unrolled; == extent: fully).
  int64_t registerTile = 1;
  bool parallel = false;
};

struct LoopPlan {
  Realizer realizer = Realizer::Halide;
  /// Output loops innermost first (LoopNest::pure), then the reductions
  /// innermost first (LoopNest::reduction).
  std::vector<PlanLoop> loops;
  /// Output loops, outermost first.
  std::vector<std::string> order;
  /// The parallel output loops, outermost first (a prefix of `order`).
  std::vector<std::string> parallel;
  std::string vectorDim; ///< empty: not vectorized
  int64_t vectorWidth = 0;
  std::string packing = "none", packAt = "root", epilogueAt = "inner";
  int64_t reductionSplit = 1;

  bool packsWeights() const { return packingHasWeights(packing); }

  /// The loop named `name`, or null.
  const PlanLoop *find(const std::string &name) const;
  /// The schedule this plan realizes: resolving it again gives the same plan.
  Schedule schedule() const;
};

/// The knobs a realizer realizes for a task (the search offers only these).
struct RealizerKnobs {
  bool vectorWidth = true;    ///< else: the target's natural width
  bool windowRows = true;     ///< register tiles of oh (else 1)
  bool reductionSplit = true; ///< else: 1
  /// The epilogue placements realized, the default first.
  std::vector<std::string> epilogueAts = {"inner", "outer", "root"};
  bool realizesEpilogueAt(const std::string &at) const {
    return std::find(epilogueAts.begin(), epilogueAts.end(), at) !=
           epilogueAts.end();
  }
  /// The (packing, pack_at) pairs realized, the default first; empty: all.
  std::vector<std::pair<std::string, std::string>> packings;
  bool realizesPacking(const std::string &packing,
                       const std::string &at) const {
    return packings.empty() ||
           std::find(packings.begin(), packings.end(),
                     std::make_pair(packing, at)) != packings.end();
  }
};

RealizerKnobs realizerKnobs(Realizer r, const TaskSignature &task);

/// True if realizer `r` can realize `task` at all: Halide every task with a
/// kernel; MLIR matmul and batch_matmul (nn), conv2d (nhwc_hwcf), depthwise
/// conv2d (nhwc_hwc) and max pooling (nhwc), the ops tessel-compile tiles, in
/// f32 (epilogues bias, relu, relu6, add) or s8 x s8 into i32 (no zero
/// points, no epilogue, no pooling).
bool realizes(Realizer r, const TaskSignature &task);

/// The vector width of the target for `task`'s vector loop (1: none).
int64_t naturalVectorWidth(const TaskSignature &task, const TargetPreset &target);

/// Resolves `s` for `task` and realizer `r` by the rules above. Fails, naming
/// the knob, for a schedule of another kind (autoscheduler), loops the task
/// does not have, an order that is not a permutation of the output loops, a
/// parallel loop that is not a prefix of it, and knobs `r` does not realize.
Result<LoopPlan> resolvePlan(const TaskSignature &task, const Schedule &s, Realizer r,
                             const TargetPreset &target);

/// `s` with every knob `r` does not realize set to its fixed choice (and
/// loops the task lacks dropped), so that resolvePlan() accepts it.
Schedule adaptSchedule(const TaskSignature &task, Schedule s, Realizer r,
                       const TargetPreset &target);

/// The built-in default of realizer `r` on `threads` threads: the heuristic
/// schedule, adapted and resolved (what an untuned compile runs, and the
/// search's first seed).
Schedule defaultSchedule(const TaskSignature &task, const TargetPreset &target, Realizer r,
                         int threads = 1);

} // namespace tessel

#endif // TESSEL_KERNELS_PLAN_H
