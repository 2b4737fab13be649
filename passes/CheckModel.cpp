// tessel-check-model: input the compile pipeline cannot lower is refused
// before any other pass runs, with one error each.
#define GEN_PASS_DEF_CHECKMODEL
#include "passes/PassDetail.h"

#include "db/Target.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace tessel {
namespace {

/// Tensors larger than this are refused: a constant of that size would be
/// materialized in the object file, and no CPU inference model has one.
constexpr int64_t kMaxElements = int64_t(1) << 31;

/// Why `type` cannot be compiled, or an empty string.
std::string problemOf(Type type, bool aarch64) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank())
    return "";
  if (aarch64 && shaped.getElementType().isBF16())
    return "bf16 arithmetic is not supported on AArch64 targets yet (LLVM 19 "
           "cannot select it): convert the model to f32";
  int64_t elements = 1;
  for (int64_t d : shaped.getShape()) {
    if (ShapedType::isDynamic(d))
      continue;
    if (d == 0)
      return "a zero-size tensor: every tensor of a compiled model needs "
             "elements";
    if (__builtin_mul_overflow(elements, d, &elements) ||
        elements > kMaxElements)
      return "more than 2^31 elements in one tensor";
  }
  return "";
}

struct CheckModelPass : impl::CheckModelBase<CheckModelPass> {
  using CheckModelBase::CheckModelBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto preset = resolveTarget(target);
    if (!preset) {
      module.emitError() << "tessel-check-model: " << preset.message();
      return signalPassFailure();
    }
    bool aarch64 = preset->arch == "aarch64";
    bool entry = false;
    WalkResult walk = module.walk([&](Operation *op) {
      if (auto f = dyn_cast<func::FuncOp>(op))
        entry |= !f.isPrivate() && !f.isExternal();
      for (Type t : op->getResultTypes())
        if (std::string p = problemOf(t, aarch64); !p.empty()) {
          op->emitError() << "tessel-check-model: " << t << ": " << p;
          return WalkResult::interrupt();
        }
      if (auto f = dyn_cast<func::FuncOp>(op))
        for (Type t : f.getArgumentTypes())
          if (std::string p = problemOf(t, aarch64); !p.empty()) {
            op->emitError()
                << "tessel-check-model: argument " << t << ": " << p;
            return WalkResult::interrupt();
          }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (!entry) {
      module.emitError()
          << "tessel-check-model: the model has no entry point (no public "
             "func.func with a body)";
      return signalPassFailure();
    }
  }
};

} // namespace
} // namespace tessel
