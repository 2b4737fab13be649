// The MLIR realizer of a loop plan (see RealizePlan.h).
#include "passes/RealizePlan.h"

#include "passes/TaskMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/TilingInterface.h"

#include <set>

using namespace mlir;

namespace tessel {
namespace {

/// The order of the tiled loops: the plan's output loops (outermost first),
/// then the reductions, the main one (k or c) first.
SmallVector<int64_t> loopOrder(ArrayRef<std::string> names,
                               ArrayRef<utils::IteratorType> iters, const LoopPlan &plan) {
  SmallVector<int64_t> order;
  std::set<int64_t> used;
  auto add = [&](int64_t i) {
    if (used.insert(i).second)
      order.push_back(i);
  };
  for (const std::string &d : plan.order)
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

/// Tiles `op` once with `sizes` (0: untiled) in loop order `order`; returns
/// the tiled op, or `op` itself when nothing is tiled. `loops` receives the
/// loops made, outermost first.
FailureOr<linalg::LinalgOp> tileOnce(PatternRewriter &rewriter, linalg::LinalgOp op,
                                     ArrayRef<int64_t> sizes, ArrayRef<int64_t> order,
                                     bool forall,
                                     SmallVector<LoopLikeOpInterface> *loops = nullptr) {
  if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
    return op;
  scf::SCFTilingOptions options;
  SmallVector<OpFoldResult> ofr;
  for (int64_t s : sizes)
    ofr.push_back(rewriter.getIndexAttr(s));
  options.setTileSizes(ofr);
  if (forall)
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  else
    options.setInterchange(order);
  rewriter.setInsertionPoint(op);
  auto tiled = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()), options);
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

/// The tile sizes of each level, per linalg loop (0: not tiled there).
struct TileSizes {
  SmallVector<int64_t> forall, outer, inner;
};

/// Tile sizes of `op`'s loops from their plan loops `loops`.
TileSizes tileSizes(ArrayRef<std::string> names, ArrayRef<int64_t> extents,
                    ArrayRef<const PlanLoop *> loops) {
  size_t n = names.size();
  TileSizes t{SmallVector<int64_t>(n, 0), SmallVector<int64_t>(n, 0),
              SmallVector<int64_t>(n, 0)};
  for (size_t i = 0; i < n; ++i) {
    const PlanLoop &l = *loops[i];
    int64_t cache = std::min(l.cacheTile, extents[i]);
    if (cache < extents[i])
      (l.parallel ? t.forall : t.outer)[i] = cache;
    // kh's loop stays whole at this level (the 1-D decomposition needs one
    // filter row per tile) and is unrolled instead.
    int64_t r = names[i] == "kh" ? 1 : l.registerTile;
    t.inner[i] = r >= cache ? 0 : r;
  }
  return t;
}

/// Scalable register tiles (SVE): n by vscale x 4 lanes, masked.
LogicalResult scalableRegisterTile(PatternRewriter &rewriter, linalg::LinalgOp mm,
                                   const LoopPlan &plan) {
  rewriter.setInsertionPoint(mm);
  Location loc = mm.getLoc();
  Value vscale = rewriter.create<vector::VectorScaleOp>(loc);
  Value n = rewriter.create<arith::MulIOp>(loc, vscale,
                                           rewriter.create<arith::ConstantIndexOp>(loc, 4));
  int64_t rm = std::max<int64_t>(1, std::min(plan.find("m")->registerTile,
                                             mm.getStaticLoopRanges()[0]));
  scf::SCFTilingOptions options;
  options.setTileSizes({rewriter.getIndexAttr(rm), n, rewriter.getIndexAttr(1)});
  auto t = scf::tileUsingSCF(rewriter, cast<TilingInterface>(mm.getOperation()), options);
  if (failed(t))
    return mm->emitError("tessel-tile-from-schedule: scalable tiling failed");
  rewriter.replaceOp(mm, t->replacements);
  Operation *inner = t->tiledOps.back();
  inner->removeAttr(kScheduleAttr);
  inner->setAttr(kVectorizeAttr, rewriter.getUnitAttr());
  inner->setAttr(kScalableAttr, rewriter.getDenseI64ArrayAttr({rm, 4, 1}));
  return success();
}

/// The register-tile loop of linalg loop `dim` among `loops` (the loops of
/// the dimensions with a non-zero size in `sizes`, in `order`), if any.
scf::ForOp registerLoopOf(int64_t dim, ArrayRef<int64_t> sizes, ArrayRef<int64_t> order,
                          MutableArrayRef<LoopLikeOpInterface> loops) {
  size_t k = 0;
  for (int64_t d : order) {
    if (sizes[d] == 0)
      continue;
    if (d == dim)
      return k < loops.size() ? dyn_cast<scf::ForOp>(loops[k].getOperation()) : scf::ForOp();
    ++k;
  }
  return {};
}

/// The register level: tiles, the vectorize mark, peeled partial tiles and
/// the unrolled kh loop.
LogicalResult registerLevel(PatternRewriter &rewriter, linalg::LinalgOp op,
                            ArrayRef<std::string> names, ArrayRef<int64_t> inner,
                            ArrayRef<int64_t> order, const LoopPlan &plan) {
  SmallVector<LoopLikeOpInterface> loops;
  auto tiled = tileOnce(rewriter, op, inner, order, /*forall=*/false, &loops);
  if (failed(tiled))
    return failure();
  (*tiled)->removeAttr(kScheduleAttr);
  (*tiled)->setAttr(kVectorizeAttr, rewriter.getUnitAttr());
  scf::ForOp kh;
  const PlanLoop *khPlan = plan.find("kh");
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == "kh" && khPlan && khPlan->registerTile > 1)
      kh = registerLoopOf(int64_t(i), inner, order, loops);
  // Register-tile loops whose tile does not divide: the last partial tile
  // peeled off, so that the main loop's tiles are static.
  for (LoopLikeOpInterface loop : loops) {
    auto forOp = dyn_cast<scf::ForOp>(loop.getOperation());
    if (!forOp || forOp == kh)
      continue;
    scf::ForOp partial;
    rewriter.setInsertionPoint(forOp);
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, forOp, partial);
  }
  if (kh) {
    std::optional<int64_t> trips = getConstantIntValue(kh.getUpperBound());
    if (trips && failed(mlir::loopUnrollByFactor(kh, uint64_t(*trips))))
      return op->emitError("tessel-tile-from-schedule: unrolling kh failed");
  }
  return success();
}

} // namespace

LogicalResult realizePlan(PatternRewriter &rewriter, linalg::LinalgOp op,
                          const LoopPlan &plan, const TargetPreset &preset, bool scalable) {
  auto names = loopNames(op);
  if (!names)
    return op->emitError("tessel.schedule on an op tessel cannot tile");
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  if (llvm::any_of(extents, ShapedType::isDynamic))
    return op->emitError("tessel-tile-from-schedule: dynamic loop ranges");
  SmallVector<const PlanLoop *> loops;
  for (const std::string &name : *names) {
    loops.push_back(plan.find(name));
    if (!loops.back())
      return op->emitError("tessel-tile-from-schedule: the plan has no loop `") << name << "`";
  }
  auto iters = op.getIteratorTypesArray();
  SmallVector<int64_t> order = loopOrder(*names, iters, plan);
  TileSizes sizes = tileSizes(*names, extents, loops);
  auto tiled = tileOnce(rewriter, op, sizes.forall, order, /*forall=*/true);
  if (succeeded(tiled))
    tiled = tileOnce(rewriter, *tiled, sizes.outer, order, /*forall=*/false);
  if (failed(tiled))
    return failure();
  if (scalable && isa<linalg::MatmulOp>(*tiled) &&
      preset.llvmFeatures.find("+sve") != std::string::npos)
    return scalableRegisterTile(rewriter, *tiled, plan);
  return registerLevel(rewriter, *tiled, *names, sizes.inner, order, plan);
}

} // namespace tessel
