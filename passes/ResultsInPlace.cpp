// tessel-results-in-place: results allocated by the function are written in
// their out-parameters directly (see Passes.td).
#define GEN_PASS_DEF_RESULTSINPLACE
#include "passes/PassDetail.h"

using namespace mlir;

namespace tessel {
namespace {

constexpr const char *kResultAttr = "bufferize.result";

/// The buffer behind `v`: `v` itself, or, for the result of loops that
/// carry a buffer in their iter_args and yield it unchanged (a bufferized
/// tiled op), the buffer the outermost loop was started with.
Value carriedBuffer(Value v) {
  while (auto loop = v.getDefiningOp<scf::ForOp>()) {
    unsigned i = cast<OpResult>(v).getResultNumber();
    if (carriedBuffer(loop.getYieldedValues()[i]) !=
        loop.getRegionIterArgs()[i])
      return {};
    v = loop.getInitArgs()[i];
  }
  return v;
}

/// The copy of `out` (an out-parameter): its only use, a memref.copy from a
/// static allocation of its own type in the function's entry block (directly
/// or carried through loops), that allocation copied nowhere else.
memref::CopyOp copyFromAllocation(BlockArgument out) {
  if (!out.hasOneUse())
    return {};
  auto copy = dyn_cast<memref::CopyOp>(*out.getUsers().begin());
  if (!copy || copy.getTarget() != out)
    return {};
  Value source = carriedBuffer(copy.getSource());
  auto alloc =
      source ? source.getDefiningOp<memref::AllocOp>() : memref::AllocOp();
  if (!alloc || alloc.getType() != out.getType() ||
      !alloc.getType().hasStaticShape() || alloc->getBlock() != out.getOwner())
    return {};
  for (Operation *user : alloc->getUsers())
    if (auto other = dyn_cast<memref::CopyOp>(user); other && other != copy)
      return {};
  return copy;
}

struct ResultsInPlacePass : impl::ResultsInPlaceBase<ResultsInPlacePass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (f.isExternal())
      return;
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      if (!f.getArgAttr(i, kResultAttr))
        continue;
      f.removeArgAttr(i, kResultAttr);
      BlockArgument out = f.getArgument(i);
      memref::CopyOp copy = copyFromAllocation(out);
      if (!copy)
        continue;
      Operation *alloc = carriedBuffer(copy.getSource()).getDefiningOp();
      copy->erase();
      alloc->getResult(0).replaceAllUsesWith(out);
      alloc->erase();
    }
  }
};

} // namespace
} // namespace tessel
