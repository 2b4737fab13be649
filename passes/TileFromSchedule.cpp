// tessel-tile-from-schedule: the MLIR realizer of a schedule.
//
// For each linalg op with a `tessel.schedule`: the schedule is resolved into
// a loop plan for the op's task (kernels/Plan.h, the plan the Halide realizer
// reads too) and tiled by it (passes/RealizePlan.h); then the register tiles
// of 2-D convolutions and poolings are decomposed to 1-D and every register
// tile with a static shape is vectorized (partial tiles stay scalar loops).
// A schedule the MLIR realizer cannot realize as written is an error naming
// the knob.
#define GEN_PASS_DEF_TILEFROMSCHEDULE
#include "passes/PassDetail.h"
#include "passes/RealizePlan.h"
#include "passes/TaskMatch.h"

#include "db/Schedule.h"
#include "db/Target.h"
#include "kernels/Plan.h"

#include "mlir/Dialect/Affine/ViewLikeInterfaceUtils.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <cstring>
#include <set>

using namespace mlir;

namespace tessel {
namespace {

/// Rewrites `op` with pattern `P` if it is a `Op2D`.
template <typename Op2D, typename P>
FailureOr<Operation *> downscale(Operation *op, PatternRewriter &rewriter) {
  auto typed = dyn_cast<Op2D>(op);
  if (!typed)
    return failure();
  P pattern(op->getContext());
  auto r = pattern.returningMatchAndRewrite(typed, rewriter);
  if (failed(r))
    return failure();
  return r->getOperation();
}

/// The 1-D form of a 2-D windowed op whose kh and oh tiles are 1 (the only
/// convolutions linalg vectorizes); failure when it has none.
FailureOr<Operation *> decompose(Operation *op, PatternRewriter &rewriter) {
  using namespace linalg;
  for (auto f : {
           &downscale<Conv2DNchwFchwOp, DownscaleSizeOneWindowed2DConvolution<
                                            Conv2DNchwFchwOp, Conv1DNcwFcwOp>>,
           &downscale<Conv2DNhwcHwcfOp, DownscaleSizeOneWindowed2DConvolution<
                                            Conv2DNhwcHwcfOp, Conv1DNwcWcfOp>>,
           &downscale<DepthwiseConv2DNhwcHwcOp, DownscaleDepthwiseConv2DNhwcHwcOp>,
           &downscale<PoolingNchwMaxOp, DownscaleSizeOneWindowed2DConvolution<
                                            PoolingNchwMaxOp, PoolingNcwMaxOp>>,
           &downscale<PoolingNhwcMaxOp, DownscaleSizeOneWindowed2DConvolution<
                                            PoolingNhwcMaxOp, PoolingNwcMaxOp>>}) {
    auto r = f(op, rewriter);
    if (succeeded(r))
      return r;
  }
  return failure();
}

/// The module's target preset (`tessel.target`, set by
/// tessel-apply-schedules); x86-64-avx2 when the module names none.
TargetPreset targetPreset(Operation *op) {
  auto module = op->getParentOfType<ModuleOp>();
  auto name = module ? module->getAttrOfType<StringAttr>(kTargetAttr) : StringAttr();
  auto preset = resolveTarget(name ? name.str() : std::string("x86-64-avx2"));
  return preset ? *preset : *resolveTarget("x86-64-avx2");
}

/// A masked contraction whose mask covers every reduction lane needs no mask:
/// lanes of parallel dimensions that the mask cuts off read zeros (masked
/// transfers) and are never written back (masked writes).
struct UnmaskFullReductionContract : OpRewritePattern<vector::MaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::MaskOp mask,
                                PatternRewriter &rewriter) const override {
    auto contract = dyn_cast_or_null<vector::ContractionOp>(mask.getMaskableOp());
    auto create = mask.getMask().getDefiningOp<vector::CreateMaskOp>();
    if (!contract || !create || mask.hasPassthru())
      return failure();
    auto maskType = cast<VectorType>(create.getType());
    auto iters = contract.getIteratorTypesArray();
    for (auto [i, it] : llvm::enumerate(iters)) {
      if (it != vector::IteratorType::reduction)
        continue;
      APInt v;
      if (maskType.getScalableDims()[i] ||
          !matchPattern(create.getOperand(i), m_ConstantInt(&v)) ||
          v.getSExtValue() < maskType.getDimSize(i))
        return failure();
    }
    rewriter.setInsertionPoint(mask);
    Operation *clone = rewriter.clone(*contract);
    rewriter.replaceOp(mask, clone->getResults());
    return success();
  }
};

/// The indices and permutation map of `xfer`, a transfer on `slice`, as a
/// transfer on the slice's source: the indices offset by the slice's, the map
/// over the source's dimensions (the slice's less its dropped ones).
template <typename Slice, typename Xfer>
std::pair<SmallVector<Value>, AffineMapAttr>
onSliceSource(PatternRewriter &rewriter, Slice slice, Xfer xfer) {
  llvm::SmallBitVector dropped = slice.getDroppedDims();
  SmallVector<Value> indices;
  affine::resolveIndicesIntoOpWithOffsetsAndStrides(
      rewriter, xfer.getLoc(), slice.getMixedOffsets(), slice.getMixedStrides(),
      dropped, xfer.getIndices(), indices);
  SmallVector<unsigned> kept;
  for (unsigned d = 0; d < dropped.size(); ++d)
    if (!dropped.test(d))
      kept.push_back(d);
  SmallVector<AffineExpr> results;
  for (AffineExpr e : xfer.getPermutationMap().getResults())
    results.push_back(
        rewriter.getAffineDimExpr(kept[cast<AffineDimExpr>(e).getPosition()]));
  auto map = AffineMap::get(int64_t(dropped.size()), 0, results,
                            rewriter.getContext());
  return {indices, AffineMapAttr::get(map)};
}

/// A transfer that a slice of unit strides can fold into: in bounds,
/// unmasked, of rank 1 or more, a projected permutation.
template <typename Xfer> bool foldableTransfer(Xfer xfer) {
  return xfer.hasPureTensorSemantics() && !xfer.getMask() &&
         xfer.getTransferRank() > 0 && !xfer.hasOutOfBoundsDim() &&
         xfer.getPermutationMap().isProjectedPermutation();
}

/// transfer_read(extract_slice(t)) -> transfer_read(t), the indices offset.
/// (This and the next are MLIR's tensor-subset folders into vector transfers,
/// with the write one as LLVM 20 fixed it: MLIR 19's folds a write that covers
/// only part of its tile too, llvm/llvm-project#101708, and the rest of the
/// tile is lost: cache tiles whose epilogue's last vector tile was peeled
/// kept only that tile.)
struct FoldReadOfSlice : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto slice = read.getSource().getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || !slice.hasUnitStride() || !foldableTransfer(read))
      return failure();
    auto [indices, map] = onSliceSource(rewriter, slice, read);
    rewriter.replaceOpWithNewOp<vector::TransferReadOp>(
        read, read.getVectorType(), slice.getSource(), indices, map,
        read.getPadding(), /*mask=*/Value(), read.getInBoundsAttr());
    return success();
  }
};

/// insert_slice(transfer_write(v, t), dest) -> transfer_write(v, dest), the
/// indices offset, only when v covers all of t.
struct FoldSliceOfWholeWrite : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp insert,
                                PatternRewriter &rewriter) const override {
    auto write = insert.getSource().getDefiningOp<vector::TransferWriteOp>();
    if (!write || !insert.hasUnitStride() || !foldableTransfer(write))
      return failure();
    auto tile = cast<RankedTensorType>(write.getSource().getType());
    if (!tile.hasStaticShape() ||
        !llvm::equal(write.getVectorType().getShape(), tile.getShape()))
      return failure(); // a partial write: the rest of the tile is inserted too
    auto [indices, map] = onSliceSource(rewriter, insert, write);
    rewriter.replaceOpWithNewOp<vector::TransferWriteOp>(
        insert, write.getVector(), insert.getDest(), indices, map,
        write.getInBoundsAttr());
    return success();
  }
};

struct TileFromSchedulePass
    : impl::TileFromScheduleBase<TileFromSchedulePass> {
  using TileFromScheduleBase::TileFromScheduleBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::LinalgOp> ops;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kScheduleAttr))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      if (failed(realize(op)))
        return signalPassFailure();

    // Peeled loops leave constant tile sizes behind: fold them into static
    // slice types before vectorizing.
    {
      RewritePatternSet patterns(ctx);
      for (Dialect *d : ctx->getLoadedDialects())
        d->getCanonicalizationPatterns(patterns);
      for (RegisteredOperationName op : ctx->getRegisteredOperations())
        op.getCanonicalizationPatterns(patterns, ctx);
      // Transposed constant weights (from the NHWC rewrite) become constants.
      linalg::populateConstantFoldLinalgOperations(
          patterns, [](OpOperand *) { return true; });
      if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
        return signalPassFailure();
    }

    // Register tiles: decompose windowed ops to 1-D, then vectorize every
    // tile whose shape is static (partial tiles stay loops).
    SmallVector<linalg::LinalgOp> tiles;
    func.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kVectorizeAttr))
        tiles.push_back(op);
    });
    PatternRewriter rewriter(ctx);
    for (linalg::LinalgOp tile : tiles) {
      tile->removeAttr(kVectorizeAttr);
      if (auto sizes = tile->getAttrOfType<DenseI64ArrayAttr>(kScalableAttr)) {
        // Masked, the n dimension scalable (vscale x sizes[1]).
        tile->removeAttr(kScalableAttr);
        SmallVector<bool> scalableDims(sizes.size(), false);
        scalableDims[1] = true;
        if (failed(linalg::vectorize(rewriter, tile, sizes.asArrayRef(), scalableDims)))
          return signalPassFailure();
        continue;
      }
      if (llvm::any_of(tile.getStaticLoopRanges(), ShapedType::isDynamic))
        continue;
      Operation *target = tile;
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp, linalg::FillOp,
               linalg::GenericOp, linalg::TransposeOp>(target)) {
        rewriter.setInsertionPoint(target);
        FailureOr<Operation *> decomposed = decompose(target, rewriter);
        if (failed(decomposed))
          continue; // no 1-D form: the tile stays scalar loops
        target = *decomposed;
      }
      if (failed(linalg::vectorizeOpPrecondition(target)))
        continue;
      if (failed(linalg::vectorize(rewriter, target)))
        return signalPassFailure();
    }

    // Vectorized matmuls come out as multiply + multi_reduction: fold them
    // into vector.contract, and tensor slices into the transfers.
    RewritePatternSet patterns(ctx);
    vector::populateVectorReductionToContractPatterns(patterns);
    // Masked transfers (scalable tiles) take their mask as an operand, and
    // their broadcasts and transposes move out of the transfers.
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    patterns.add<UnmaskFullReductionContract>(ctx);
    patterns.add<FoldReadOfSlice, FoldSliceOfWholeWrite>(ctx);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }

  /// Tiles `op` as its schedule says.
  LogicalResult realize(linalg::LinalgOp op) {
    auto attr = op->getAttrOfType<StringAttr>(kScheduleAttr);
    auto schedule = Schedule::fromJson(attr.str());
    if (!schedule)
      return op->emitError() << "tessel.schedule: " << schedule.message();
    if (isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
            linalg::PoolingNchwMaxOp>(op))
      return op->emitError("tessel-tile-from-schedule: NCHW ops are tiled in "
                           "their NHWC form: run tessel-normalize-layout first");
    if (schedule->kind != "loopnest") {
      op->emitWarning() << "schedule of kind `" << schedule->kind
                        << "` is realized by Halide only; op left untiled";
      return success();
    }
    auto task = taskOf(op);
    if (!task)
      return op->emitError() << "tessel.schedule on an op that is not a task: "
                             << task.message();
    TargetPreset preset = targetPreset(op);
    auto plan = resolvePlan(*task, *schedule, Realizer::Mlir, preset);
    if (!plan)
      return op->emitError() << "tessel-tile-from-schedule: " << plan.message();
    auto matched = matchTask(op);
    std::vector<Operation *> epilogue;
    if (matched)
      epilogue = matched->epilogueOps;
    PatternRewriter rewriter(op.getContext());
    return realizePlan(rewriter, op, epilogue, *plan, preset, scalable);
  }

  /// The task of `op`: its `tessel.task` (set by tessel-apply-schedules), or
  /// the one matched now.
  static Result<TaskSignature> taskOf(linalg::LinalgOp op) {
    if (auto t = op->getAttrOfType<StringAttr>(kTaskAttr))
      return TaskSignature::parse(t.str());
    auto matched = matchTask(op);
    if (!matched)
      return makeError(matched.message());
    return matched->signature;
  }
};

} // namespace
} // namespace tessel
