// tessel-protect-inputs: entry-point tensor arguments are read-only buffers.
#define GEN_PASS_DEF_PROTECTINPUTS
#include "passes/PassDetail.h"

using namespace mlir;

namespace tessel {
namespace {

struct ProtectInputsPass : impl::ProtectInputsBase<ProtectInputsPass> {
  void runOnOperation() override {
    Builder b(&getContext());
    getOperation().walk([&](func::FuncOp f) {
      if (f.isPrivate() || f.isExternal())
        return;
      for (unsigned i = 0; i < f.getNumArguments(); ++i)
        if (isa<TensorType>(f.getArgument(i).getType()))
          f.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
    });
  }
};

} // namespace
} // namespace tessel
