// tessel-trim-filter-taps: filter taps that only ever read padding are cut
// (see Passes.td).
//
// Output row oh of a convolution reads input row oh * stride + kh * dilation
// - pad_top through tap kh. A tap for which no output row reads a row of the
// input (only the zero padding) adds nothing: with constant weights, the taps
// outside [first, last] valid one are sliced off at compile time and the pad
// shrinks by first * dilation, so that the same outputs come out of a smaller
// filter. A 3x3 convolution on a 1x1 input (padded by 1) is a 1x1 one: nine
// times fewer weights to read.
#define GEN_PASS_DEF_TRIMFILTERTAPS
#include "passes/PassDetail.h"

#include "passes/Layout.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace tessel {
namespace {

/// The valid taps [first, last] of one window dimension.
struct TapRange {
  int64_t first = 0, last = -1;
};

/// The taps of a window dimension of `taps` taps that some output of `out`
/// positions reads a real input row through (of `in` rows, after `pad`).
TapRange validTaps(int64_t taps, int64_t out, int64_t in, int64_t pad, int64_t stride,
                   int64_t dilation) {
  TapRange r{taps, -1};
  for (int64_t k = 0; k < taps; ++k)
    for (int64_t o = 0; o < out; ++o) {
      int64_t row = o * stride + k * dilation - pad;
      if (row >= 0 && row < in) {
        r.first = std::min(r.first, k);
        r.last = std::max(r.last, k);
        break;
      }
    }
  return r;
}

int64_t attrAt(Operation *op, StringRef name, int i) {
  auto a = op->getAttrOfType<DenseIntElementsAttr>(name);
  return a ? (*(a.getValues<APInt>().begin() + i)).getSExtValue() : 1;
}

/// Trims the taps of one NHWC convolution (HWCF or HWC filter, the kernel
/// dimensions first) whose input is a zero-padded value and whose filter is
/// a constant; leaves other ops alone.
void trim(IRRewriter &rewriter, linalg::LinalgOp op) {
  auto pad = op->getOperand(0).getDefiningOp<tensor::PadOp>();
  Attribute weights;
  if (!pad || !matchPattern(op->getOperand(1), m_Constant(&weights)) ||
      !matchPattern(pad.getConstantPaddingValue(), m_AnyZeroFloat()) ||
      llvm::any_of(pad.getStaticLow(), ShapedType::isDynamic) ||
      llvm::any_of(pad.getStaticHigh(), ShapedType::isDynamic))
    return;
  auto source = cast<RankedTensorType>(pad.getSource().getType());
  auto filter = cast<RankedTensorType>(op->getOperand(1).getType());
  auto out = cast<RankedTensorType>(op->getOperand(2).getType());
  if (!source.hasStaticShape() || !filter.hasStaticShape() || !out.hasStaticShape())
    return;
  TapRange taps[2];
  SmallVector<int64_t> low(pad.getStaticLow()), high(pad.getStaticHigh());
  for (int i = 0; i < 2; ++i) {
    int64_t s = attrAt(op, "strides", i), d = attrAt(op, "dilations", i);
    taps[i] = validTaps(filter.getDimSize(i), out.getDimSize(1 + i), source.getDimSize(1 + i),
                        low[1 + i], s, d);
    if (taps[i].last < taps[i].first || low[1 + i] - taps[i].first * d < 0)
      return; // reads only padding, or the cut would need a negative pad
  }
  if (taps[0].first == 0 && taps[0].last == filter.getDimSize(0) - 1 && taps[1].first == 0 &&
      taps[1].last == filter.getDimSize(1) - 1)
    return;
  SmallVector<int64_t> offsets(filter.getRank(), 0), sizes(filter.getShape());
  for (int i = 0; i < 2; ++i) {
    int64_t s = attrAt(op, "strides", i), d = attrAt(op, "dilations", i);
    offsets[i] = taps[i].first;
    sizes[i] = taps[i].last - taps[i].first + 1;
    low[1 + i] -= taps[i].first * d;
    int64_t needed = (out.getDimSize(1 + i) - 1) * s + (sizes[i] - 1) * d + 1;
    high[1 + i] = std::max<int64_t>(0, needed - low[1 + i] - source.getDimSize(1 + i));
  }
  auto sliced = slicedConstant(weights, filter, offsets, sizes);
  if (!sliced)
    return;
  rewriter.setInsertionPoint(op);
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> lo, hi;
  SmallVector<int64_t> padded(source.getShape());
  for (size_t d = 0; d < low.size(); ++d) {
    lo.push_back(rewriter.getIndexAttr(low[d]));
    hi.push_back(rewriter.getIndexAttr(high[d]));
    padded[d] += low[d] + high[d];
  }
  Value input = rewriter.create<tensor::PadOp>(
      loc, RankedTensorType::get(padded, source.getElementType()), pad.getSource(), lo, hi,
      pad.getConstantPaddingValue());
  Value w = rewriter.create<arith::ConstantOp>(loc, cast<TypedAttr>(*sliced));
  rewriter.modifyOpInPlace(op, [&] {
    op->setOperand(0, input);
    op->setOperand(1, w);
  });
}

struct TrimFilterTapsPass : impl::TrimFilterTapsBase<TrimFilterTapsPass> {
  using TrimFilterTapsBase::TrimFilterTapsBase;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    getOperation().walk([&](linalg::LinalgOp op) {
      if (isa<linalg::Conv2DNhwcHwcfOp, linalg::DepthwiseConv2DNhwcHwcOp>(op) &&
          op.hasPureTensorSemantics())
        trim(rewriter, op);
    });
  }
};

} // namespace
} // namespace tessel
