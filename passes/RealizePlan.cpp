// The MLIR realizer of a loop plan (see RealizePlan.h).
#include "passes/RealizePlan.h"

#include "passes/TaskMatch.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "llvm/ADT/SmallPtrSet.h"

#include <set>

using namespace mlir;

namespace tessel {
namespace {

constexpr int64_t kCacheLineBits = 512; // 64 bytes

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

/// Peels the last partial tile off `loop` (when its step does not divide
/// it), so that the main loop's tiles have static shapes.
void peelPartialTile(PatternRewriter &rewriter, scf::ForOp loop) {
  scf::ForOp partial;
  rewriter.setInsertionPoint(loop);
  (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
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
    if (forOp && forOp != kh)
      peelPartialTile(rewriter, forOp);
  }
  if (kh) {
    std::optional<int64_t> trips = getConstantIntValue(kh.getUpperBound());
    if (trips && failed(mlir::loopUnrollByFactor(kh, uint64_t(*trips))))
      return op->emitError("tessel-tile-from-schedule: unrolling kh failed");
  }
  return success();
}

/// Marks the ops computed per cache tile with the scheduled op.
inline constexpr const char *kFusedAttr = "tessel.fused";

/// For each loop of `consumer` (the op, or its last epilogue generic), the
/// op's loop it iterates over; nothing when the epilogue does not walk the
/// op's output one to one (then it stays an op of its own).
std::optional<SmallVector<int64_t>>
consumerDims(linalg::LinalgOp op, ArrayRef<Operation *> epilogue) {
  AffineMap out = op.getIndexingMapMatchingResult(op->getResult(0));
  SmallVector<int64_t> dims;
  for (AffineExpr e : out.getResults()) {
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return std::nullopt;
    dims.push_back(d.getPosition());
  }
  if (epilogue.empty()) {
    SmallVector<int64_t> all;
    for (int64_t i = 0; i < op.getNumLoops(); ++i)
      all.push_back(i);
    return all;
  }
  for (Operation *e : epilogue) {
    auto g = dyn_cast<linalg::GenericOp>(e);
    if (!g || g.getNumDpsInits() != 1 ||
        g.getNumLoops() != int64_t(dims.size()) ||
        g.getNumLoops() != g.getNumParallelLoops() ||
        !g.getIndexingMapMatchingResult(g->getResult(0)).isIdentity())
      return std::nullopt;
  }
  return dims;
}

/// Tiles `consumer` by `opSizes` (per loop of the op, through `dims`) and
/// fuses the marked producers (the op, its fill, the epilogue) into the
/// tile; returns the tiled consumer.
FailureOr<Operation *> fuseLevel(PatternRewriter &rewriter, Operation *consumer,
                                 ArrayRef<int64_t> dims,
                                 ArrayRef<int64_t> opSizes,
                                 ArrayRef<int64_t> order, bool forall) {
  SmallVector<OpFoldResult> sizes;
  bool any = false;
  auto iters = cast<linalg::LinalgOp>(consumer).getIteratorTypesArray();
  for (int64_t d : dims) {
    int64_t s = opSizes[d];
    if (iters[sizes.size()] != utils::IteratorType::parallel)
      s = 0; // the op's reductions are tiled inside the fused tile
    any |= s != 0;
    sizes.push_back(rewriter.getIndexAttr(s));
  }
  if (!any)
    return consumer;
  scf::SCFTilingOptions tiling;
  tiling.setTileSizes(sizes);
  if (forall) {
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  } else {
    // The consumer's loops in the op's order.
    SmallVector<int64_t> interchange;
    for (int64_t d : order)
      for (size_t j = 0; j < dims.size(); ++j)
        if (dims[j] == d)
          interchange.push_back(int64_t(j));
    tiling.setInterchange(interchange);
  }
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  options.setFusionControlFn(
      [](tensor::ExtractSliceOp, OpResult producer, bool) {
        return std::make_tuple(producer.getOwner()->hasAttr(kFusedAttr), false);
      });
  rewriter.setInsertionPoint(consumer);
  auto fused = scf::tileConsumerAndFuseProducersUsingSCF(
      rewriter, cast<TilingInterface>(consumer), options);
  if (failed(fused))
    return consumer->emitError(
        "tessel-tile-from-schedule: fusing the epilogue failed");
  for (auto [value, replacement] : fused->replacements)
    rewriter.replaceAllUsesWith(value, replacement);
  return fused->tiledAndFusedOps.front();
}

/// The ops marked `kFusedAttr` in the block of `tile`, in order.
SmallVector<linalg::LinalgOp> fusedOpsBeside(Operation *tile) {
  SmallVector<linalg::LinalgOp> ops;
  for (Operation &o : *tile->getBlock())
    if (o.hasAttr(kFusedAttr))
      if (auto l = dyn_cast<linalg::LinalgOp>(o))
        ops.push_back(l);
  return ops;
}

/// Moves the (pure) ops of `before`'s block that define `v`, and what they
/// read, in front of `before`.
void hoistBefore(Value v, Operation *before) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != before->getBlock() ||
      def->isBeforeInBlock(before))
    return;
  for (Value operand : def->getOperands())
    hoistBefore(operand, before);
  def->moveBefore(before);
}

/// One buffer for the whole tile: the fill of the op's output writes the
/// consumer's output tile, the op accumulates into it, and each epilogue
/// step (whose body never reads its output) writes over its input there.
void oneResultTile(PatternRewriter &rewriter,
                   ArrayRef<linalg::LinalgOp> tileOps, Operation *consumer) {
  Value out = cast<linalg::LinalgOp>(consumer).getDpsInits()[0];
  for (linalg::LinalgOp o : tileOps) {
    if (auto fill = dyn_cast<linalg::FillOp>(o.getOperation())) {
      if (fill.getDpsInits()[0].getType() != out.getType())
        continue;
      hoistBefore(out, fill);
      rewriter.modifyOpInPlace(fill,
                               [&] { fill.getDpsInitsMutable()[0].set(out); });
      continue;
    }
    auto g = dyn_cast<linalg::GenericOp>(o.getOperation());
    if (!g || g.payloadUsesValueFromOperand(g.getDpsInitOperand(0)))
      continue;
    for (OpOperand *in : g.getDpsInputOperands()) {
      Operation *def = in->get().getDefiningOp();
      if (def && def->hasAttr(kFusedAttr) &&
          in->get().getType() == out.getType()) {
        Value v = in->get();
        rewriter.modifyOpInPlace(g, [&] { g.getDpsInitsMutable()[0].set(v); });
        break;
      }
    }
  }
}

/// The elementwise ops of a fused tile (the fill, the epilogue), tiled along
/// their innermost loop by up to 64 elements (the rest 1), the partial tile
/// peeled, and marked for vectorization.
LogicalResult vectorizeElementwise(PatternRewriter &rewriter,
                                   linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ranges.empty() || llvm::any_of(ranges, ShapedType::isDynamic))
    return success();
  SmallVector<int64_t> sizes(ranges.size(), 1), order;
  sizes.back() = std::min<int64_t>(ranges.back(), 64);
  for (size_t i = 0; i < ranges.size(); ++i)
    order.push_back(int64_t(i));
  Value out = op.getDpsInits()[0];
  SmallVector<LoopLikeOpInterface> loops;
  auto tiled = tileOnce(rewriter, op, sizes, order, /*forall=*/false, &loops);
  if (failed(tiled))
    return failure();
  // A step that writes over its input reads the tile it writes (the loop's
  // value), not the value from before the loop: one buffer, no copy.
  for (OpOperand *in : tiled->getDpsInputOperands())
    if (auto slice = in->get().getDefiningOp<tensor::ExtractSliceOp>())
      if (slice.getSource() == out &&
          slice.getType() == tiled->getDpsInits()[0].getType())
        rewriter.modifyOpInPlace(*tiled,
                                 [&] { in->set(tiled->getDpsInits()[0]); });
  (*tiled)->removeAttr(kFusedAttr);
  (*tiled)->setAttr(kVectorizeAttr, rewriter.getUnitAttr());
  if (!loops.empty())
    if (auto inner = dyn_cast<scf::ForOp>(loops.back().getOperation()))
      peelPartialTile(rewriter, inner);
  return success();
}

/// The cache level with the output's fill and `epilogue` computed per tile
/// (epilogue_at outer): the last epilogue op (or the op) is tiled by the
/// parallel cache tiles and the rest fused into it; returns the op's tile,
/// its elementwise neighbours in `elementwise`.
FailureOr<linalg::LinalgOp>
fusedCacheLevel(PatternRewriter &rewriter, linalg::LinalgOp op,
                ArrayRef<Operation *> epilogue, ArrayRef<int64_t> dims,
                const TileSizes &sizes, ArrayRef<int64_t> order,
                SmallVector<linalg::LinalgOp> &elementwise) {
  UnitAttr mark = rewriter.getUnitAttr();
  op->setAttr(kFusedAttr, mark);
  if (auto fill = op.getDpsInits()[0].getDefiningOp<linalg::FillOp>())
    fill->setAttr(kFusedAttr, mark);
  for (Operation *e : epilogue)
    e->setAttr(kFusedAttr, mark);
  Operation *consumer = epilogue.empty() ? op.getOperation() : epilogue.back();
  auto tile =
      fuseLevel(rewriter, consumer, dims, sizes.forall, order, /*forall=*/true);
  if (succeeded(tile))
    tile =
        fuseLevel(rewriter, *tile, dims, sizes.outer, order, /*forall=*/false);
  if (failed(tile))
    return failure();
  SmallVector<linalg::LinalgOp> tileOps = fusedOpsBeside(*tile);
  if (!epilogue.empty())
    oneResultTile(rewriter, tileOps, *tile);
  linalg::LinalgOp main;
  for (linalg::LinalgOp o : tileOps) {
    if (o->hasAttr(kScheduleAttr))
      main = o;
    else
      elementwise.push_back(o);
    o->removeAttr(kFusedAttr);
  }
  if (!main)
    return op->emitError("tessel-tile-from-schedule: the fused tile has no op");
  return main;
}

/// The cache level: the op tiled by its cache tiles (the parallel ones as an
/// scf.forall), with its fill and epilogue fused unless epilogue_at is root
/// (their tiles, to vectorize, in `elementwise`); returns the op's tile.
FailureOr<linalg::LinalgOp>
cacheLevel(PatternRewriter &rewriter, linalg::LinalgOp op,
           ArrayRef<Operation *> epilogue, const LoopPlan &plan,
           const TileSizes &sizes, ArrayRef<int64_t> order,
           SmallVector<linalg::LinalgOp> &elementwise) {
  std::optional<SmallVector<int64_t>> dims;
  if (plan.epilogueAt != "root")
    dims = consumerDims(op, epilogue);
  if (!dims) {
    auto tiled = tileOnce(rewriter, op, sizes.forall, order, /*forall=*/true);
    if (succeeded(tiled))
      tiled = tileOnce(rewriter, *tiled, sizes.outer, order, /*forall=*/false);
    return tiled;
  }
  auto tiled =
      fusedCacheLevel(rewriter, op, epilogue, *dims, sizes, order, elementwise);
  if (failed(tiled))
    return failure();
  // The reductions' cache tiles, inside the fused tile.
  auto iters = op.getIteratorTypesArray();
  SmallVector<int64_t> reductions(sizes.outer.size(), 0);
  for (size_t i = 0; i < iters.size(); ++i)
    if (iters[i] == utils::IteratorType::reduction)
      reductions[i] = sizes.outer[i];
  return tileOnce(rewriter, *tiled, reductions, order, /*forall=*/false);
}

/// The cache tile's weights (operand 1 of a conv2d or matmul, whose last
/// dimension is the vector loop) copied into blocks of `block` along it (0:
/// one block, the whole), each block's rows contiguous: w[..., j] is
/// packed[j / block, ..., j % block]. The copy is tiled by rows of one
/// block, read in the weights' order, and marked for vectorization.
struct PackedWeights {
  Value weights, packed;
  int64_t block;
};

FailureOr<PackedWeights> packWeights(PatternRewriter &rewriter,
                                     linalg::LinalgOp op, int64_t block) {
  Value w = op.getDpsInputs()[1];
  auto type = cast<RankedTensorType>(w.getType());
  int64_t rank = type.getRank(), last = type.getShape().back();
  if (!block)
    block = last;
  if (!type.hasStaticShape() || block < 0 || last % block != 0)
    return op->emitError("tessel-tile-from-schedule: the weights tile does "
                         "not divide into blocks of ")
           << block;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<int64_t> expanded(type.getShape().drop_back());
  expanded.append({last / block, block});
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i + 1 < rank; ++i)
    groups.push_back({i});
  groups.push_back({rank - 1, rank});
  Value rows = rewriter.create<tensor::ExpandShapeOp>(
      loc, RankedTensorType::get(expanded, type.getElementType()), w, groups);
  // packed[b, i..., e] = rows[i..., b, e]
  SmallVector<int64_t> perm = {rank - 1}, shape;
  for (int64_t i = 0; i + 1 < rank; ++i)
    perm.push_back(i);
  perm.push_back(rank);
  for (int64_t p : perm)
    shape.push_back(expanded[p]);
  // Each block's rows are followed by a cache line of padding: the rows of
  // a convolution's taps, read side by side, then fall in different cache
  // sets.
  SmallVector<int64_t> padded(shape);
  padded[rank - 1] += std::max<int64_t>(
      1, kCacheLineBits / (block * type.getElementTypeBitWidth()));
  Value buffer =
      rewriter.create<tensor::EmptyOp>(loc, padded, type.getElementType());
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<OpFoldResult> zeros = getAsIndexOpFoldResult(
                                ctx, SmallVector<int64_t>(rank + 1, 0)),
                            ones = getAsIndexOpFoldResult(
                                ctx, SmallVector<int64_t>(rank + 1, 1)),
                            extents = getAsIndexOpFoldResult(ctx, shape);
  Value empty = rewriter.create<tensor::ExtractSliceOp>(loc, buffer, zeros,
                                                        extents, ones);
  auto copy = rewriter.create<linalg::TransposeOp>(loc, rows, empty, perm);
  Value packed = copy.getResult()[0];
  SmallVector<int64_t> sizes(rank + 1, 1), order;
  sizes.back() = 0;
  for (int64_t i = 1; i < rank; ++i)
    order.push_back(i);
  order.append({0, rank});
  SmallVector<LoopLikeOpInterface> loops;
  auto tiled = tileOnce(rewriter, copy, sizes, order, /*forall=*/false, &loops);
  if (failed(tiled))
    return failure();
  (*tiled)->setAttr(kVectorizeAttr, rewriter.getUnitAttr());
  if (!loops.empty())
    packed = loops.front()->getResult(0);
  rewriter.setInsertionPointAfterValue(packed);
  packed = rewriter.create<tensor::InsertSliceOp>(loc, packed, buffer, zeros,
                                                  extents, ones);
  return PackedWeights{w, packed, block};
}

/// Every read of the weights `p.weights` by the register tiles (the uses
/// not in `others`: the pack's own and any outside the op) reads `p.packed`
/// instead: the slice w[o..., j][s..., t] (within one block:
/// j % block + t <= block) is packed[j / block, o..., j % block][1, s..., t],
/// of the same type; a use of the whole (one block) is the whole block.
LogicalResult readPacked(PatternRewriter &rewriter, const PackedWeights &p,
                         const llvm::SmallPtrSetImpl<Operation *> &others) {
  auto type = cast<RankedTensorType>(p.weights.getType());
  int64_t rank = type.getRank();
  for (OpOperand &use : llvm::make_early_inc_range(p.weights.getUses())) {
    Operation *user = use.getOwner();
    if (others.contains(user))
      continue;
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (slice && !slice.hasUnitStride())
      return user->emitError("tessel-tile-from-schedule: a strided slice of "
                             "packed weights");
    rewriter.setInsertionPoint(user);
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<OpFoldResult> offsets =
        getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(rank, 0));
    SmallVector<OpFoldResult> sizes =
        getAsIndexOpFoldResult(ctx, type.getShape());
    if (slice) {
      offsets = slice.getMixedOffsets();
      sizes = slice.getMixedSizes();
    }
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    Location loc = user->getLoc();
    OpFoldResult j = offsets.back();
    offsets.back() =
        affine::makeComposedFoldedAffineApply(rewriter, loc, d0 % p.block, {j});
    offsets.insert(offsets.begin(),
                   affine::makeComposedFoldedAffineApply(
                       rewriter, loc, d0.floorDiv(p.block), {j}));
    sizes.insert(sizes.begin(), rewriter.getIndexAttr(1));
    SmallVector<OpFoldResult> strides(rank + 1, rewriter.getIndexAttr(1));
    Value read = rewriter.create<tensor::ExtractSliceOp>(
        loc, slice ? slice.getType() : type, p.packed, offsets, sizes, strides);
    if (slice)
      rewriter.replaceOp(slice, read);
    else
      rewriter.modifyOpInPlace(user, [&] { use.set(read); });
  }
  return success();
}

/// A padded input whose pixels (rows of channels) span a multiple of 1 KiB
/// gets one more cache line of channels, read through a slice: the pixels a
/// register tile reads side by side then fall in different cache sets
/// rather than in two or four (7x7x512 3x3 convolution: 10 to 5.5 ms).
void staggerPaddedPixels(PatternRewriter &rewriter, linalg::LinalgOp op) {
  auto pad = op.getDpsInputs()[0].getDefiningOp<tensor::PadOp>();
  if (!pad || !pad->hasOneUse() || !pad.getResultType().hasStaticShape() ||
      llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic))
    return;
  RankedTensorType type = pad.getResultType();
  int64_t bits = type.getElementTypeBitWidth();
  if (type.getShape().back() * bits % 8192 != 0) // 1 KiB
    return;
  SmallVector<int64_t> high(pad.getStaticHigh()), shape(type.getShape());
  int64_t line = kCacheLineBits / bits; // elements of one cache line
  high.back() += line;
  shape.back() += line;
  rewriter.modifyOpInPlace(pad, [&] {
    pad.setStaticHigh(high);
    pad.getResult().setType(type.clone(shape));
  });
  rewriter.setInsertionPointAfter(pad);
  MLIRContext *ctx = rewriter.getContext();
  Value pixels = rewriter.create<tensor::ExtractSliceOp>(
      pad.getLoc(), pad,
      getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(shape.size(), 0)),
      getAsIndexOpFoldResult(ctx, type.getShape()),
      getAsIndexOpFoldResult(ctx, SmallVector<int64_t>(shape.size(), 1)));
  rewriter.modifyOpInPlace(op, [&] { op->setOperand(0, pixels); });
}

} // namespace

LogicalResult realizePlan(PatternRewriter &rewriter, linalg::LinalgOp op,
                          ArrayRef<Operation *> epilogue, const LoopPlan &plan,
                          const TargetPreset &preset, bool scalable) {
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
  if (plan.find("kh"))
    staggerPaddedPixels(rewriter, op);
  SmallVector<linalg::LinalgOp> elementwise;
  FailureOr<linalg::LinalgOp> tiled =
      cacheLevel(rewriter, op, epilogue, plan, sizes, order, elementwise);
  if (failed(tiled))
    return failure();
  for (linalg::LinalgOp e : elementwise)
    if (failed(vectorizeElementwise(rewriter, e)))
      return failure();
  if (scalable && isa<linalg::MatmulOp>(*tiled) &&
      preset.llvmFeatures.find("+sve") != std::string::npos) {
    if (plan.packsWeights())
      return (*tiled)->emitError("tessel-tile-from-schedule: scalable register "
                                 "tiles read the weights unpacked (packing ")
             << plan.packing << ")";
    return scalableRegisterTile(rewriter, *tiled, plan);
  }
  if (!plan.packsWeights())
    return registerLevel(rewriter, *tiled, *names, sizes.inner, order, plan);
  // Blocks of the register tile of the weights' last dimension (f or n).
  AffineMap weights =
      tiled->getMatchingIndexingMap(tiled->getDpsInputOperand(1));
  auto last = dyn_cast<AffineDimExpr>(weights.getResults().back());
  if (!last)
    return tiled->emitError(
        "tessel-tile-from-schedule: weights without a last loop");
  auto packed = packWeights(rewriter, *tiled, sizes.inner[last.getPosition()]);
  if (failed(packed))
    return failure();
  // The readers of the weights before the register level: the pack, and
  // any outside the op (of a whole argument, not a tile's slice).
  llvm::SmallPtrSet<Operation *, 4> others;
  for (Operation *user : packed->weights.getUsers())
    if (user != tiled->getOperation())
      others.insert(user);
  if (failed(registerLevel(rewriter, *tiled, *names, sizes.inner, order, plan)))
    return failure();
  return readPacked(rewriter, *packed, others);
}

} // namespace tessel
