// tessel-call-kernels: ops with a `tessel.kernel` become calls into a
// `tessel aot` kernel library (the `<kernel>_mlir` adapters: the task's arrays
// as plain pointers, the output last).
#define GEN_PASS_DEF_CALLKERNELS
#include "passes/PassDetail.h"
#include "passes/TaskMatch.h"

#include "kernels/Arrays.h"

#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace tessel {
namespace {

struct CallKernelsPass : impl::CallKernelsBase<CallKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> ops;
    module.walk([&](linalg::LinalgOp op) {
      if (op->hasAttr(kKernelAttr))
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops)
      replace(module, op);
  }

  void keep(linalg::LinalgOp op, const Twine &why) {
    op->emitRemark() << "tessel-call-kernels: kept the MLIR schedule: " << why;
    op->removeAttr(kKernelAttr);
  }

  void replace(ModuleOp module, linalg::LinalgOp op) {
    std::string kernel = op->getAttrOfType<StringAttr>(kKernelAttr).str();
    auto task = matchTask(op);
    if (!task)
      return keep(op, task.message());
    const TaskSignature &sig = task->signature;
    OpBuilder b(op);
    Location loc = op.getLoc();
    // The arrays: input (unpadded), weights, bias, residual.
    SmallVector<Value> arrays;
    Value input = op.getDpsInputs()[0];
    if (task->foldedPad)
      input = cast<tensor::PadOp>(task->foldedPad).getSource();
    arrays.push_back(input);
    bool pool = sig.family == OpFamily::PoolMax || sig.family == OpFamily::PoolAvg;
    if (!pool)
      arrays.push_back(op.getDpsInputs()[1]);
    // The kernel reads exactly the signature's input (no trimmed rows).
    auto inType = cast<RankedTensorType>(input.getType());
    const std::vector<int64_t> expect = kernelArrays(sig).front().shape;
    if (std::vector<int64_t>(inType.getShape().begin(), inType.getShape().end()) !=
        expect) {
      // Rows and columns no output reads (strided or ceil-mode windows): the
      // kernel gets a dense copy of the part the task describes.
      SmallVector<OpFoldResult> offsets, sizes, strides;
      for (size_t d = 0; d < expect.size(); ++d) {
        if (expect[d] > inType.getDimSize(d))
          return keep(op, "the input is smaller than the task's");
        offsets.push_back(b.getIndexAttr(0));
        sizes.push_back(b.getIndexAttr(expect[d]));
        strides.push_back(b.getIndexAttr(1));
      }
      Value slice = b.create<tensor::ExtractSliceOp>(loc, input, offsets, sizes, strides);
      Value dense = b.create<tensor::EmptyOp>(loc, expect, inType.getElementType());
      arrays[0] = b.create<linalg::CopyOp>(loc, slice, dense).getResult(0);
    }
    if (task->bias) {
      Value bias = task->bias;
      int64_t n = outputChannels(sig);
      if (!isa<ShapedType>(bias.getType())) {
        bias = b.create<tensor::SplatOp>(
            loc, RankedTensorType::get({n}, bias.getType()), bias);
      } else if (cast<ShapedType>(bias.getType()).getShape() !=
                 ArrayRef<int64_t>{n}) {
        return keep(op, "the bias is not a vector over the channels");
      }
      arrays.push_back(bias);
    }
    if (task->residual)
      arrays.push_back(task->residual);
    Operation *last = task->epilogueOps.empty() ? op.getOperation()
                                                : task->epilogueOps.back();
    auto outType = cast<RankedTensorType>(last->getResult(0).getType());

    // Every array as an identity-layout buffer; the output freshly allocated.
    b.setInsertionPointAfter(last);
    SmallVector<Value> args;
    SmallVector<Type> argTypes;
    for (Value a : arrays) {
      auto t = cast<RankedTensorType>(a.getType());
      auto m = MemRefType::get(t.getShape(), t.getElementType());
      args.push_back(b.create<bufferization::ToMemrefOp>(loc, m, a, /*read_only=*/true));
      argTypes.push_back(m);
    }
    auto outMemref = MemRefType::get(outType.getShape(), outType.getElementType());
    Value out = b.create<memref::AllocOp>(loc, outMemref, b.getI64IntegerAttr(64));
    args.push_back(out);
    argTypes.push_back(outMemref);
    std::string symbol = kernel + "_mlir";
    auto fnType = b.getFunctionType(argTypes, {});
    if (auto existing = module.lookupSymbol<func::FuncOp>(symbol)) {
      if (existing.getFunctionType() != fnType)
        return keep(op, "kernel " + symbol + " already declared with another type");
    } else {
      OpBuilder mb(module.getBodyRegion());
      auto decl = mb.create<func::FuncOp>(loc, symbol, fnType);
      decl.setPrivate();
    }
    b.create<func::CallOp>(loc, symbol, TypeRange{}, args);
    Value result = b.create<bufferization::ToTensorOp>(loc, outType, out,
                                                        /*restrict=*/true,
                                                        /*writable=*/true);
    last->getResult(0).replaceAllUsesWith(result);
    for (Operation *e : llvm::reverse(task->epilogueOps))
      if (e->use_empty())
        e->erase();
    if (op->use_empty())
      op->erase();
  }
};

} // namespace
} // namespace tessel
