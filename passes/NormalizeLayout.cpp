// tessel-normalize-layout: NCHW convolutions and poolings become their NHWC
// forms, and the activations between them stay NHWC (see Passes.td).
//
// One walk over each function body, in program order, keeps the NHWC form of
// every NCHW activation it has met:
//   - an NCHW conv2d, depthwise conv2d, max or sum pooling becomes its NHWC
//     op (filters transposed, at compile time when constant);
//   - a tensor.pad, a linalg.generic or a tensor.insert_slice that reads a
//     value with an NHWC form is rebuilt on that form (a generic whose result
//     is a 4-D tensor written by the identity map is rebuilt over the NHWC
//     iteration order, so that its result is NHWC too);
//   - a tensor.collapse_shape that flattens C x 1 x 1 reads the NHWC form
//     (the same elements in the same order).
// A value that needs an NHWC form and has none (the model's input, the result
// of an op this pass does not rebuild) is transposed once, where it is
// defined; a rebuilt value still used by an op that was not rebuilt is
// transposed back once, where its NHWC form is defined. So transposes are
// left only at the edges of the NHWC region.
#define GEN_PASS_DEF_NORMALIZELAYOUT
#include "passes/PassDetail.h"

#include "passes/Layout.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <set>

using namespace mlir;

namespace tessel {
namespace {

/// A statically shaped 4-D tensor: what the pass treats as an activation.
bool isActivation(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.getRank() == 4 && t.hasStaticShape();
}

/// `m` reading an NHWC tensor where it read the NCHW one: its results
/// permuted the way the tensor's dimensions are.
AffineMap readingNhwc(AffineMap m) {
  SmallVector<AffineExpr> r;
  for (int64_t p : kToNhwc)
    r.push_back(m.getResult(p));
  return AffineMap::get(m.getNumDims(), m.getNumSymbols(), r, m.getContext());
}

/// `m` over the NHWC iteration order: loop d_k of the NCHW order is loop
/// e_{kToNchw[k]} of the new one.
AffineMap overNhwcLoops(AffineMap m) {
  SmallVector<AffineExpr> dims;
  for (int64_t p : kToNchw)
    dims.push_back(getAffineDimExpr(p, m.getContext()));
  return m.replaceDimsAndSymbols(dims, {}, 4, m.getNumSymbols());
}

template <typename T> SmallVector<T> permuted(ArrayRef<T> v) {
  SmallVector<T> r;
  for (int64_t p : kToNhwc)
    r.push_back(v[p]);
  return r;
}

class NhwcRewriter {
public:
  explicit NhwcRewriter(func::FuncOp f) : func_(f), rewriter_(f.getContext()) {}

  void run() {
    SmallVector<Operation *> ops;
    for (Operation &op : func_.getBody().getOps())
      ops.push_back(&op);
    for (Operation *op : ops)
      rebuild(op);
    finish();
  }

private:
  void rebuild(Operation *op) {
    if (auto l = dyn_cast<linalg::LinalgOp>(op);
        l && (foldConstantTranspose(l) || rebuildNamed(l) || rebuildClassifier(l)))
      return;
    if (auto p = dyn_cast<tensor::PadOp>(op))
      rebuildPad(p);
    else if (auto g = dyn_cast<linalg::GenericOp>(op))
      rebuildGeneric(g);
    else if (auto s = dyn_cast<tensor::InsertSliceOp>(op))
      rebuildInsertSlice(s);
    else if (auto c = dyn_cast<tensor::CollapseShapeOp>(op))
      rebuildCollapse(c);
  }

  bool hasNhwc(Value v) const { return nhwc_.count(v) > 0; }

  /// A transpose of a constant (a generic copying it through a permutation,
  /// as exporters write a linear layer's weights) becomes the permuted
  /// constant: weights are laid out once, at compile time.
  bool foldConstantTranspose(linalg::LinalgOp op) {
    if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1)
      return false;
    Attribute constant;
    auto type = dyn_cast<RankedTensorType>(op.getDpsInputs()[0].getType());
    if (!type || !type.hasStaticShape() || op.getNumParallelLoops() != op.getNumLoops() || !op.hasPureTensorSemantics() ||
        !matchPattern(op.getDpsInputs()[0], m_Constant(&constant)))
      return false;
    AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    AffineMap out = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    auto yield = dyn_cast<linalg::YieldOp>(op.getBlock()->getTerminator());
    if (!in.isPermutation() || !out.isPermutation() || !yield ||
        op.getBlock()->getOperations().size() != 1 ||
        yield.getOperand(0) != op.getBlock()->getArgument(0))
      return false;
    // Over the output's indices: out[d] = in[d_pi(0), d_pi(1), ...], which
    // is numpy's in.transpose(pi^-1).
    in = in.compose(inversePermutation(out));
    SmallVector<int64_t> perm(in.getNumResults());
    for (unsigned j = 0; j < in.getNumResults(); ++j)
      perm[in.getDimPosition(j)] = j;
    auto folded = permutedConstant(constant, type, perm);
    if (!folded)
      return false;
    rewriter_.setInsertionPoint(op);
    rewriter_.replaceOp(op, rewriter_.create<arith::ConstantOp>(
                                op.getLoc(), cast<TypedAttr>(*folded)));
    return true;
  }

  /// Records that `nhwc` is the NHWC form of `op`'s result, which is
  /// erased in finish().
  void rebuilt(Operation *op, Value nhwc) {
    nhwc_[op->getResult(0)] = nhwc;
    rebuiltOps_.push_back(op);
    erased_.insert(op);
  }

  /// The NHWC form of the NCHW activation `v`, made where `v` is defined if
  /// it has none yet: a pad of the NHWC form of its source for a constant
  /// spatial pad, else a transpose (a new constant for a constant).
  Value nhwcOf(Value v) {
    if (auto it = nhwc_.find(v); it != nhwc_.end())
      return it->second;
    OpBuilder::InsertionGuard guard(rewriter_);
    Value result;
    if (auto pad = v.getDefiningOp<tensor::PadOp>(); pad && isStaticConstantPad(pad)) {
      Value source = nhwcOf(pad.getSource());
      rewriter_.setInsertionPointAfter(pad);
      result = nhwcPad(pad, source);
    } else {
      if (Operation *def = v.getDefiningOp())
        rewriter_.setInsertionPointAfter(def);
      else
        rewriter_.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
      result = transposed(rewriter_, v.getLoc(), v, kToNhwc);
    }
    nhwc_[v] = result;
    return result;
  }

  /// The NHWC form of a destination (an `outs` operand or an insert_slice
  /// destination): tensor.empty and linalg.fill are made anew in NHWC, and so
  /// is a generic that writes an activation from no other activation (a
  /// broadcast bias as a convolution's init); anything else is nhwcOf().
  Value nhwcDest(Value v) {
    if (auto it = nhwc_.find(v); it != nhwc_.end())
      return it->second;
    if (auto it = dests_.find(v); it != dests_.end())
      return it->second;
    OpBuilder::InsertionGuard guard(rewriter_);
    Value result;
    if (auto empty = v.getDefiningOp<tensor::EmptyOp>()) {
      rewriter_.setInsertionPointAfter(empty);
      auto t = permutedType(cast<RankedTensorType>(v.getType()), kToNhwc);
      result = rewriter_.create<tensor::EmptyOp>(v.getLoc(), t.getShape(),
                                                 t.getElementType());
    } else if (auto fill = v.getDefiningOp<linalg::FillOp>();
               fill && isActivation(fill.getOutputs()[0])) {
      Value out = nhwcDest(fill.getOutputs()[0]);
      rewriter_.setInsertionPointAfter(fill);
      result = rewriter_.create<linalg::FillOp>(v.getLoc(), fill.getInputs()[0], out)
                   ->getResult(0);
    } else if (auto g = v.getDefiningOp<linalg::GenericOp>();
               g && writesActivation(g) &&
               llvm::none_of(g.getDpsInputs(), [](Value in) { return isActivation(in); })) {
      rewriter_.setInsertionPoint(g);
      result = genericOnNhwc(g, /*nhwcResult=*/true)->getResult(0);
    } else {
      return nhwcOf(v);
    }
    dests_[v] = result;
    return result;
  }

  static bool isStaticConstantPad(tensor::PadOp pad) {
    return isActivation(pad.getSource()) && isActivation(pad.getResult()) &&
           pad.getConstantPaddingValue() &&
           !llvm::any_of(pad.getStaticLow(), ShapedType::isDynamic) &&
           !llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic);
  }

  /// `pad` applied to `source`, the NHWC form of its source.
  Value nhwcPad(tensor::PadOp pad, Value source) {
    auto type = permutedType(pad.getResultType(), kToNhwc);
    SmallVector<OpFoldResult> low, high;
    for (int64_t v : permuted(pad.getStaticLow()))
      low.push_back(rewriter_.getIndexAttr(v));
    for (int64_t v : permuted(pad.getStaticHigh()))
      high.push_back(rewriter_.getIndexAttr(v));
    return rewriter_.create<tensor::PadOp>(pad.getLoc(), type, source, low, high,
                                           pad.getConstantPaddingValue());
  }

  /// An NCHW convolution, depthwise convolution or pooling as its NHWC op.
  bool rebuildNamed(linalg::LinalgOp op) {
    if (!isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
             linalg::PoolingNchwMaxOp, linalg::PoolingNchwSumOp>(op) ||
        !op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
        !isActivation(op->getOperand(0)) || !isActivation(op->getOperand(2)))
      return false;
    Location loc = op.getLoc();
    rewriter_.setInsertionPoint(op);
    Value in = nhwcOf(op->getOperand(0));
    Value init = nhwcDest(op->getOperand(2));
    Value w = op->getOperand(1);
    auto strides = op->getAttrOfType<DenseIntElementsAttr>("strides");
    auto dilations = op->getAttrOfType<DenseIntElementsAttr>("dilations");
    Operation *nhwc;
    if (isa<linalg::Conv2DNchwFchwOp>(op))
      nhwc = rewriter_.create<linalg::Conv2DNhwcHwcfOp>(
          loc, init.getType(), ValueRange{in, transposed(rewriter_, loc, w, {2, 3, 1, 0})},
          init, strides, dilations);
    else if (isa<linalg::DepthwiseConv2DNchwChwOp>(op))
      nhwc = rewriter_.create<linalg::DepthwiseConv2DNhwcHwcOp>(
          loc, init.getType(), ValueRange{in, transposed(rewriter_, loc, w, {1, 2, 0})},
          init, strides, dilations);
    else if (isa<linalg::PoolingNchwMaxOp>(op))
      nhwc = rewriter_.create<linalg::PoolingNhwcMaxOp>(loc, init.getType(),
                                                         ValueRange{in, w}, init,
                                                         strides, dilations);
    else
      nhwc = rewriter_.create<linalg::PoolingNhwcSumOp>(loc, init.getType(),
                                                         ValueRange{in, w}, init,
                                                         strides, dilations);
    rebuilt(op, nhwc->getResult(0));
    return true;
  }

  void rebuildPad(tensor::PadOp pad) {
    if (!hasNhwc(pad.getSource()) || !isStaticConstantPad(pad))
      return;
    rewriter_.setInsertionPoint(pad);
    rebuilt(pad, nhwcPad(pad, nhwcOf(pad.getSource())));
  }

  /// True if `g` writes a 4-D tensor with the identity map: rebuilt over
  /// the NHWC iteration order, its result is NHWC.
  static bool writesActivation(linalg::GenericOp g) {
    return g.hasPureTensorSemantics() && g.getNumDpsInits() == 1 && g.getNumLoops() == 4 &&
           isActivation(g.getDpsInits()[0]) &&
           g.getMatchingIndexingMap(g.getDpsInitOperand(0)).isIdentity();
  }

  /// A generic reading NHWC forms. Its result becomes NHWC when it writes an
  /// activation; otherwise the rebuilt generic replaces it in place.
  void rebuildGeneric(linalg::GenericOp g) {
    if (!g.hasPureTensorSemantics() ||
        !llvm::any_of(g.getDpsInputs(), [&](Value v) { return hasNhwc(v); }))
      return;
    rewriter_.setInsertionPoint(g);
    bool nhwcResult = writesActivation(g);
    linalg::GenericOp rebuiltOp = genericOnNhwc(g, nhwcResult);
    if (nhwcResult)
      rebuilt(g, rebuiltOp->getResult(0));
    else
      rewriter_.replaceOp(g, rebuiltOp->getResults());
  }

  /// `g` rebuilt at the insertion point, reading the NHWC forms its inputs
  /// have (each indexing map composed with the permutation), over the NHWC
  /// iteration order when `nhwcResult`.
  linalg::GenericOp genericOnNhwc(linalg::GenericOp g, bool nhwcResult) {
    auto loops = [&](AffineMap m) { return nhwcResult ? overNhwcLoops(m) : m; };
    SmallVector<Value> ins, outs;
    SmallVector<AffineMap> maps;
    for (OpOperand *in : g.getDpsInputOperands()) {
      AffineMap m = g.getMatchingIndexingMap(in);
      if (hasNhwc(in->get())) {
        ins.push_back(nhwc_[in->get()]);
        maps.push_back(loops(readingNhwc(m)));
      } else {
        ins.push_back(in->get());
        maps.push_back(loops(m));
      }
    }
    for (OpOperand &out : g.getDpsInitsMutable()) {
      outs.push_back(nhwcResult ? nhwcDest(out.get()) : out.get());
      maps.push_back(nhwcResult ? rewriter_.getMultiDimIdentityMap(4)
                                : g.getMatchingIndexingMap(&out));
    }
    SmallVector<utils::IteratorType> iters = g.getIteratorTypesArray();
    if (nhwcResult)
      for (int k = 0; k < 4; ++k)
        iters[kToNchw[k]] = g.getIteratorTypesArray()[k];
    auto rebuiltOp = rewriter_.create<linalg::GenericOp>(
        g.getLoc(), ValueRange(outs).getTypes(), ins, outs, maps, iters);
    rewriter_.cloneRegionBefore(g.getRegion(), rebuiltOp.getRegion(),
                                rebuiltOp.getRegion().begin());
    if (nhwcResult)
      rebuiltOp.walk([&](linalg::IndexOp index) {
        index.setDim(kToNchw[index.getDim()]);
      });
    return rebuiltOp;
  }

  /// Channel concatenation: slices inserted into an NHWC destination.
  void rebuildInsertSlice(tensor::InsertSliceOp s) {
    if (!(hasNhwc(s.getSource()) || hasNhwc(s.getDest())) ||
        !isActivation(s.getSource()) || !isActivation(s.getDest()) ||
        !s.getOffsets().empty() || !s.getSizes().empty() || !s.getStrides().empty())
      return;
    rewriter_.setInsertionPoint(s);
    Value source = nhwcOf(s.getSource()), dest = nhwcDest(s.getDest());
    auto in = rewriter_.create<tensor::InsertSliceOp>(
        s.getLoc(), source, dest, permuted(ArrayRef(s.getMixedOffsets())),
        permuted(ArrayRef(s.getMixedSizes())), permuted(ArrayRef(s.getMixedStrides())));
    rebuilt(s, in.getResult());
  }

  /// True if `c` flattens an NCHW activation that has an NHWC form to
  /// N x CHW.
  bool flattensChw(tensor::CollapseShapeOp c) const {
    auto groups = c.getReassociationIndices();
    return hasNhwc(c.getSrc()) && groups.size() == 2 && groups[0].size() == 1 &&
           groups[1].size() == 3 && groups[1][0] == 1;
  }

  /// N x C x 1 x 1 (or N x 1 x H x W) flattened to N x CHW: the NHWC form
  /// holds the same elements in the same order.
  void rebuildCollapse(tensor::CollapseShapeOp c) {
    if (!flattensChw(c))
      return;
    auto shape = cast<RankedTensorType>(c.getSrc().getType()).getShape();
    auto groups = c.getReassociationIndices();
    if (shape[1] != 1 && shape[2] * shape[3] != 1)
      return;
    rewriter_.setInsertionPoint(c);
    auto collapsed = rewriter_.create<tensor::CollapseShapeOp>(
        c.getLoc(), c.getResultType(), nhwc_[c.getSrc()], groups);
    rewriter_.replaceOp(c, collapsed.getResult());
  }

  /// A classifier reading an NCHW activation flattened to N x CHW through a
  /// constant weight matrix W[CHW][F]: it reads the NHWC form flattened
  /// (N x HWC) instead, through W's rows permuted at compile time the same
  /// way, so that no transpose is left before it.
  bool rebuildClassifier(linalg::LinalgOp op) {
    auto mm = dyn_cast<linalg::MatmulOp>(op.getOperation());
    auto c = mm ? mm.getInputs()[0].getDefiningOp<tensor::CollapseShapeOp>()
                : tensor::CollapseShapeOp();
    Attribute w;
    if (!c || !flattensChw(c) || !mm.hasPureTensorSemantics() ||
        !matchPattern(mm.getInputs()[1], m_Constant(&w)))
      return false;
    auto shape = cast<RankedTensorType>(c.getSrc().getType()).getShape();
    auto wType = cast<RankedTensorType>(mm.getInputs()[1].getType());
    Type elem = wType.getElementType();
    auto chwf = RankedTensorType::get({shape[1], shape[2], shape[3], wType.getDimSize(1)}, elem);
    auto viewed = reshapedConstant(w, wType, chwf);
    auto permuted = viewed ? permutedConstant(*viewed, chwf, {1, 2, 0, 3}) : std::nullopt;
    auto hwcf = permuted ? reshapedConstant(*permuted, permutedType(chwf, {1, 2, 0, 3}), wType)
                         : std::nullopt;
    if (!hwcf)
      return false;
    rewriter_.setInsertionPoint(mm);
    Value flat = rewriter_.create<tensor::CollapseShapeOp>(
        c.getLoc(), c.getResultType(), nhwc_[c.getSrc()], c.getReassociationIndices());
    Value weights = rewriter_.create<arith::ConstantOp>(mm.getLoc(), cast<TypedAttr>(*hwcf));
    rewriter_.modifyOpInPlace(mm, [&] {
      mm->setOperand(0, flat);
      mm->setOperand(1, weights);
    });
    if (c->use_empty())
      rewriter_.eraseOp(c);
    return true;
  }

  /// Transposes back for the uses of rebuilt values by ops that were not
  /// rebuilt, then the NCHW ops go.
  void finish() {
    for (Operation *op : rebuiltOps_) {
      Value orig = op->getResult(0);
      auto outside = [&](OpOperand &use) { return !erased_.count(use.getOwner()); };
      if (llvm::none_of(orig.getUses(), outside))
        continue;
      Value form = nhwc_[orig];
      OpBuilder::InsertionGuard guard(rewriter_);
      rewriter_.setInsertionPointAfterValue(form);
      Value back = transposed(rewriter_, orig.getLoc(), form, kToNchw);
      rewriter_.replaceUsesWithIf(orig, back, outside);
    }
    for (Operation *op : llvm::reverse(rebuiltOps_))
      rewriter_.eraseOp(op);
  }

  func::FuncOp func_;
  IRRewriter rewriter_;
  /// NHWC forms of NCHW activations (rebuilt results and made transposes).
  llvm::DenseMap<Value, Value> nhwc_;
  /// NHWC destinations made anew (empty, fill).
  llvm::DenseMap<Value, Value> dests_;
  SmallVector<Operation *> rebuiltOps_;
  std::set<Operation *> erased_;
};

struct NormalizeLayoutPass : impl::NormalizeLayoutBase<NormalizeLayoutPass> {
  using NormalizeLayoutBase::NormalizeLayoutBase;

  void runOnOperation() override { NhwcRewriter(getOperation()).run(); }
};

} // namespace
} // namespace tessel
