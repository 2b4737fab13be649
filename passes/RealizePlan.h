// The MLIR realizer of a loop plan (kernels/Plan.h): one linalg op tiled at
// two levels as its plan says, its register tile marked for vectorization.
//
//   cache level     the plan's parallel loops as one scf.forall, then the
//                   other tiled loops as scf.for (output loops in the plan's
//                   order, then a blocked reduction);
//   fused           unless epilogue_at is root: the output's fill and the
//                   epilogue computed on each cache tile of the op (the
//                   last epilogue op tiled, the rest fused into its tile),
//                   their tiles vectorized along the innermost loop;
//   register level  output loops by their register tile, the main reduction
//                   (k or c) by its unroll factor, kw by 1 or whole (the 1-D
//                   convolution vectorizer unrolls it), kh by 1 with its loop
//                   unrolled when the plan unrolls kh. Loops whose tile does
//                   not divide are peeled, so that the vectorized tiles have
//                   static shapes.
// tessel-tile-from-schedule then decomposes the register tiles of windowed
// ops to 1-D and vectorizes every marked tile.
#ifndef TESSEL_PASSES_REALIZEPLAN_H
#define TESSEL_PASSES_REALIZEPLAN_H

#include "db/Target.h"
#include "kernels/Plan.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace tessel {

/// Marks a register tile to vectorize once its shape is static.
inline constexpr const char *kVectorizeAttr = "tessel.vectorize";
/// A scalable register tile: its vector sizes (the n one scalable).
inline constexpr const char *kScalableAttr = "tessel.scalable_sizes";

/// Tiles `op` by `plan`. Unless the plan's epilogue_at is root, the fill of
/// the op's output and its `epilogue` ops (the task's, in order) are computed
/// per cache tile with it, and vectorized there. With `scalable` on an SVE
/// target, a matmul's register tile is vscale x 4 lanes along n (masked)
/// instead. Errors are reported at `op`.
mlir::LogicalResult realizePlan(mlir::PatternRewriter &rewriter,
                                mlir::linalg::LinalgOp op,
                                llvm::ArrayRef<mlir::Operation *> epilogue,
                                const LoopPlan &plan,
                                const TargetPreset &preset, bool scalable);

} // namespace tessel

#endif // TESSEL_PASSES_REALIZEPLAN_H
