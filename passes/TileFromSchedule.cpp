// tessel-tile-from-schedule: the MLIR realizer of a schedule.
//
// For each linalg op with a `tessel.schedule`:
//   1. cache tiles: the loops named in `parallel` as one scf.forall, then the
//      other `tile_outer` loops as scf.for in `order`, reduction blocks last;
//   2. register tiles: `tile_inner` for output loops (1 where absent), the main
//      reduction by its unroll factor (else 1), filter windows by 1; for
//      windowed ops also one output row, so that the 2-D op decomposes to 1-D;
//   3. decomposition of 2-D convolutions and poolings to 1-D, then
//      vectorization of the register tile.
// Cache tiles are rounded down to divisors of their loop extents; register
// tiles that do not divide are peeled, so that every vectorized tile has a
// static shape (the partial tile stays scalar loops). Windowed ops round their
// register tiles to divisors too.
#define GEN_PASS_DEF_TILEFROMSCHEDULE
#include "passes/PassDetail.h"
#include "passes/TaskMatch.h"

#include "db/Schedule.h"
#include "db/Target.h"
#include "kernels/Heuristic.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>
#include <cstring>
#include <set>

using namespace mlir;

namespace tessel {
namespace {

/// Marks the register tiles to vectorize once their shapes are static.
constexpr const char *kVectorizeAttr = "tessel.vectorize";

int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// The loop order of tiled loops: the schedule's `order` (output loops,
/// outermost first), then other output loops, then reductions with the main
/// one (k or c) first.
SmallVector<int64_t> loopOrder(const std::vector<std::string> &names,
                               ArrayRef<utils::IteratorType> iters,
                               const Schedule &s) {
  SmallVector<int64_t> order;
  std::set<int64_t> used;
  auto add = [&](int64_t i) {
    if (used.insert(i).second)
      order.push_back(i);
  };
  for (const std::string &d : s.order)
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == d && iters[i] == utils::IteratorType::parallel)
        add(i);
  for (size_t i = 0; i < names.size(); ++i)
    if (iters[i] == utils::IteratorType::parallel)
      add(i);
  for (const char *main : {"k", "c"})
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == main && iters[i] == utils::IteratorType::reduction)
        add(i);
  for (size_t i = 0; i < names.size(); ++i)
    add(i);
  return order;
}

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

/// Scalable register tiles: their vector sizes (the n one scalable).
constexpr const char *kScalableAttr = "tessel.scalable_sizes";

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
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(target)) {
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
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }

  /// Tiles `op` once with `sizes` (0: untiled) in loop order `order`;
  /// returns the tiled op, or `op` itself when nothing is tiled.
  FailureOr<linalg::LinalgOp> tile(PatternRewriter &rewriter, linalg::LinalgOp op,
                                   ArrayRef<int64_t> sizes,
                                   ArrayRef<int64_t> order, bool forall,
                                   SmallVector<LoopLikeOpInterface> *loops = nullptr) {
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return op;
    scf::SCFTilingOptions options;
    SmallVector<OpFoldResult> ofr;
    for (int64_t s : sizes)
      ofr.push_back(rewriter.getIndexAttr(s));
    options.setTileSizes(ofr);
    if (forall) {
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    } else {
      options.setInterchange(order);
    }
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("tessel-tile-from-schedule: tiling failed");
    rewriter.replaceOp(op, tiled->replacements);
    if (loops)
      *loops = tiled->loops;
    auto result = dyn_cast<linalg::LinalgOp>(tiled->tiledOps.back());
    if (!result)
      return op->emitError("tessel-tile-from-schedule: tiling gave no op");
    return result;
  }

  LogicalResult realize(linalg::LinalgOp op) {
    auto attr = op->getAttrOfType<StringAttr>(kScheduleAttr);
    auto parsed = Schedule::fromJson(attr.str());
    if (!parsed)
      return op->emitError() << "tessel.schedule: " << parsed.message();
    const Schedule &s0 = *parsed;
    auto names = loopNames(op);
    if (!names)
      return op->emitError("tessel.schedule on an op tessel cannot tile");
    if (isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
            linalg::PoolingNchwMaxOp>(op))
      return op->emitError("tessel-tile-from-schedule: NCHW ops are tiled in "
                           "their NHWC form: run tessel-normalize-layout first");
    if (s0.kind != "loopnest") {
      op->emitWarning() << "schedule of kind `" << s0.kind
                        << "` is realized by Halide only; op left untiled";
      return success();
    }
    TargetPreset preset = targetPreset(op);
    PatternRewriter rewriter(op.getContext());
    const Schedule &s = s0;
    SmallVector<int64_t> extents = op.getStaticLoopRanges();
    if (llvm::any_of(extents, ShapedType::isDynamic))
      return op->emitError("tessel-tile-from-schedule: dynamic loop ranges");
    auto iters = op.getIteratorTypesArray();
    bool windowed = !isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op);
    size_t n = names->size();
    auto at = [](const std::map<std::string, int64_t> &m, const std::string &k,
                 int64_t dflt) {
      auto it = m.find(k);
      return it == m.end() ? dflt : it->second;
    };
    // Cache tiles divide their loop (so that no partial cache tile makes
    // every register tile's shape dynamic).
    auto fit = [&](int64_t size, int64_t extent) -> int64_t {
      if (size <= 0 || size >= extent)
        return 0;
      int64_t d = largestDivisorAtMost(extent, size);
      return 2 * d < size ? 0 : d; // no divisor near: one tile

    };
    std::set<std::string> parallel(s.parallel.begin(), s.parallel.end());
    SmallVector<int64_t> order = loopOrder(*names, iters, s);

    // Level 1: cache tiles.
    SmallVector<int64_t> forallSizes(n, 0), outerSizes(n, 0), tileExtent(extents);
    for (size_t i = 0; i < n; ++i) {
      int64_t t = fit(at(s.tileOuter, (*names)[i], 0), extents[i]);
      if (t == 0 || extents[i] == 1)
        continue;
      tileExtent[i] = t;
      if (parallel.count((*names)[i]) && iters[i] == utils::IteratorType::parallel)
        forallSizes[i] = t;
      else
        outerSizes[i] = t;
    }
    auto tiled = tile(rewriter, op, forallSizes, order, /*forall=*/true);
    if (failed(tiled))
      return failure();
    tiled = tile(rewriter, *tiled, outerSizes, order, /*forall=*/false);
    if (failed(tiled))
      return failure();

    // Level 2: register tiles.
    SmallVector<int64_t> innerSizes(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const std::string &d = (*names)[i];
      int64_t r;
      if (iters[i] == utils::IteratorType::parallel)
        r = (windowed && (d == "oh")) ? 1 : at(s.tileInner, d, 1);
      else if (d == "k" || d == "c")
        r = at(s.unroll, d, 1);
      else
        r = 1; // filter window
      r = std::max<int64_t>(1, std::min(r, tileExtent[i]));
      if (windowed)
        r = largestDivisorAtMost(tileExtent[i], r);
      innerSizes[i] = r >= tileExtent[i] ? 0 : r;
    }
    // Scalable register tiles (SVE): n by vscale x 4 lanes, masked.
    if (scalable && isa<linalg::MatmulOp>(*tiled) &&
        preset.llvmFeatures.find("+sve") != std::string::npos) {
      linalg::LinalgOp mm = *tiled;
      rewriter.setInsertionPoint(mm);
      Location loc = mm.getLoc();
      Value vscale = rewriter.create<vector::VectorScaleOp>(loc);
      Value n = rewriter.create<arith::MulIOp>(
          loc, vscale, rewriter.create<arith::ConstantIndexOp>(loc, 4));
      int64_t rm = std::max<int64_t>(1, std::min(at(s.tileInner, "m", 1), tileExtent[0]));
      scf::SCFTilingOptions options;
      options.setTileSizes({rewriter.getIndexAttr(rm), n, rewriter.getIndexAttr(1)});
      auto t = scf::tileUsingSCF(rewriter, cast<TilingInterface>(mm.getOperation()), options);
      if (failed(t))
        return mm->emitError("tessel-tile-from-schedule: scalable tiling failed");
      rewriter.replaceOp(mm, t->replacements);
      Operation *innerOp = t->tiledOps.back();
      innerOp->removeAttr(kScheduleAttr);
      innerOp->setAttr(kVectorizeAttr, rewriter.getUnitAttr());
      innerOp->setAttr(kScalableAttr, rewriter.getDenseI64ArrayAttr({rm, 4, 1}));
      return success();
    }
    SmallVector<LoopLikeOpInterface> loops;
    tiled = tile(rewriter, *tiled, innerSizes, order, /*forall=*/false, &loops);
    if (failed(tiled))
      return failure();
    linalg::LinalgOp inner = *tiled;
    inner->removeAttr(kScheduleAttr);
    inner->setAttr(kVectorizeAttr, rewriter.getUnitAttr());
    // Register-tile loops whose tile does not divide: peel the last partial
    // tile off, so that the main loop's tiles are static.
    for (LoopLikeOpInterface loop : loops) {
      auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
      if (!forOp)
        continue;
      scf::ForOp partial;
      rewriter.setInsertionPoint(forOp);
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
    }
    return success();
  }
};

} // namespace
} // namespace tessel
