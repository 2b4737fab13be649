// tessel-lower-vectors: after bufferization, keep each register tile's
// accumulator in registers across the reduction loops and lower the vector
// ops of the tile to 1-D FMAs, loads and stores, in stages.
#define GEN_PASS_DEF_LOWERVECTORS
#include "passes/PassDetail.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

namespace tessel {
namespace {

struct LowerVectorsPass : impl::LowerVectorsBase<LowerVectorsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    MLIRContext *ctx = &getContext();
    auto apply = [&](auto populate) {
      RewritePatternSet patterns(ctx);
      populate(patterns);
      return applyPatternsAndFoldGreedily(func, std::move(patterns));
    };
    // Accumulators out of the reduction loops: transfer pairs on the same
    // buffer and indices. Subviews are folded into the transfers first (the
    // hoisting does not look through views).
    if (failed(apply([&](RewritePatternSet &p) {
          memref::populateFoldMemRefAliasOpPatterns(p);
          affine::AffineApplyOp::getCanonicalizationPatterns(p, ctx);
        })))
      return signalPassFailure();
    // Equal indices must be the same values for the hoisting to pair a read
    // with its write.
    {
      IRRewriter rewriter(ctx);
      DominanceInfo dom(func);
      eliminateCommonSubExpressions(rewriter, dom, func);
    }
    linalg::hoistRedundantVectorTransfers(func);

    vector::VectorTransformsOptions options;
    options.setVectorTransformsOptions(vector::VectorContractLowering::OuterProduct)
        .setVectorTransposeLowering(vector::VectorTransposeLowering::Shuffle1D);
    // Stage 1: broadcasts and transposes of the operand reads folded into the
    // contraction's indexing maps (a plain matmul-form contract).
    if (failed(apply([&](RewritePatternSet &p) {
          vector::populateVectorTransferPermutationMapLoweringPatterns(p);
          vector::populateVectorReductionToContractPatterns(p);
        })))
      return signalPassFailure();
    // Stage 2: contractions to outer products.
    if (failed(apply([&](RewritePatternSet &p) {
          vector::populateVectorContractLoweringPatterns(p, options);
          vector::populateVectorTransferPermutationMapLoweringPatterns(p);
          vector::TransferReadOp::getCanonicalizationPatterns(p, ctx);
          vector::TransferWriteOp::getCanonicalizationPatterns(p, ctx);
        })))
      return signalPassFailure();
    // Stage 3: outer products to FMAs, n-D shapes to 1-D.
    if (failed(apply([&](RewritePatternSet &p) {
          vector::populateVectorOuterProductLoweringPatterns(p);
          vector::populateVectorMultiReductionLoweringPatterns(
              p, vector::VectorMultiReductionLowering::InnerParallel);
          vector::populateVectorTransposeLoweringPatterns(p, options);
          vector::populateVectorBroadcastLoweringPatterns(p);
          vector::populateVectorShapeCastLoweringPatterns(p);
          vector::populateVectorMaskOpLoweringPatterns(p);
        })))
      return signalPassFailure();
    // Stage 4: transfers to loads and stores where they are 1-D.
    if (failed(apply([&](RewritePatternSet &p) {
          vector::populateVectorTransferLoweringPatterns(p, /*maxTransferRank=*/1);
          vector::populateVectorTransferPermutationMapLoweringPatterns(p);
        })))
      return signalPassFailure();
  }
};

} // namespace
} // namespace tessel
