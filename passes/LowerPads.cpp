// tessel-lower-pads: a static constant pad as fills of its border and one
// insert_slice of its source (see Passes.td).
#define GEN_PASS_DEF_LOWERPADS
#include "passes/PassDetail.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessel {
namespace {

/// Fills the box [offsets, offsets + sizes) of `dest` with `value`.
Value fillBox(PatternRewriter &rewriter, Location loc, Value dest, Value value,
              ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
  auto type = cast<RankedTensorType>(dest.getType());
  SmallVector<int64_t> strides(sizes.size(), 1);
  Value empty =
      rewriter.create<tensor::EmptyOp>(loc, sizes, type.getElementType());
  Value filled =
      rewriter.create<linalg::FillOp>(loc, value, empty).getResult(0);
  return rewriter.create<tensor::InsertSliceOp>(loc, filled, dest, ValueRange{},
                                                ValueRange{}, ValueRange{},
                                                offsets, sizes, strides);
}

struct PadAsBorderFills : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    Value value = pad.getConstantPaddingValue();
    RankedTensorType type = pad.getResultType();
    auto low = pad.getStaticLow(), high = pad.getStaticHigh();
    if (!value || !type.hasStaticShape() ||
        !pad.getSourceType().hasStaticShape() ||
        llvm::any_of(low, ShapedType::isDynamic) ||
        llvm::any_of(high, ShapedType::isDynamic) ||
        llvm::any_of(low, [](int64_t v) { return v < 0; }) ||
        llvm::any_of(high, [](int64_t v) { return v < 0; }))
      return failure();
    Location loc = pad.getLoc();
    ArrayRef<int64_t> shape = type.getShape(),
                      inner = pad.getSourceType().getShape();
    Value result =
        rewriter.create<tensor::EmptyOp>(loc, shape, type.getElementType());
    // Dimension d's two slabs span the interior of the dimensions before it
    // and the whole of those after it: every border element once.
    SmallVector<int64_t> offsets(shape.size(), 0),
        sizes(shape.begin(), shape.end());
    for (size_t d = 0; d < shape.size(); ++d) {
      for (bool atHigh : {false, true}) {
        int64_t width = atHigh ? high[d] : low[d];
        if (width == 0)
          continue;
        SmallVector<int64_t> o = offsets, s = sizes;
        o[d] = atHigh ? low[d] + inner[d] : 0;
        s[d] = width;
        result = fillBox(rewriter, loc, result, value, o, s);
      }
      offsets[d] = low[d];
      sizes[d] = inner[d];
    }
    SmallVector<int64_t> strides(shape.size(), 1);
    rewriter.replaceOpWithNewOp<tensor::InsertSliceOp>(
        pad, pad.getSource(), result, ValueRange{}, ValueRange{}, ValueRange{},
        offsets, sizes, strides);
    return success();
  }
};

struct LowerPadsPass : impl::LowerPadsBase<LowerPadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PadAsBorderFills>(&getContext());
    GreedyRewriteConfig config;
    config.strictMode = GreedyRewriteStrictness::ExistingOps;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns),
                                            config)))
      signalPassFailure();
  }
};

} // namespace
} // namespace tessel
