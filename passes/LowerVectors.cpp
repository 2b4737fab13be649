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
#include "mlir/Interfaces/VectorInterfaces.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>

using namespace mlir;

namespace tessel {
namespace {

/// The pieces an n-D vector op is cut into before LLVM sees it: a dimension
/// whose length is not a power of two (3 vectors of a register tile: 48
/// lanes; a peeled partial tile: 116) is cut into the largest power of two
/// of 4 to 16 lanes that divides it. LLVM legalizes such lengths badly: a
/// loop-carried vector<48xf32> kept as twelve xmm pieces, rebuilt around each
/// FMA (1x1 convolution c48 f192: 296 vinsertps a call, 1.9 us; cut, 48 FMAs
/// and 0.2 us; GEMV 1000x512 with a 116-lane tail: 120 -> 63 us).
std::optional<SmallVector<int64_t>> powerOfTwoPieces(Operation *op) {
  auto unrollable = dyn_cast<VectorUnrollOpInterface>(op);
  std::optional<SmallVector<int64_t>> shape =
      unrollable ? unrollable.getShapeForUnroll() : std::nullopt;
  if (!shape)
    return std::nullopt;
  bool cut = false;
  for (int64_t &d : *shape) {
    int64_t piece =
        std::min<int64_t>(16, d & -d); // largest power of two dividing d
    if (!llvm::isPowerOf2_64(uint64_t(d)) && piece >= 4) {
      d = piece;
      cut = true;
    }
  }
  return cut ? shape : std::nullopt;
}

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
    // Vectors of lengths that are not a power of two cut into pieces that
    // are, before the hoisting (so that each piece is its own accumulator).
    if (failed(apply([&](RewritePatternSet &p) {
          vector::populateVectorUnrollPatterns(
              p,
              vector::UnrollVectorOptions().setNativeShapeFn(powerOfTwoPieces));
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
