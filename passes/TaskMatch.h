// Recognition of tunable linalg ops: the task signature of an op (the same
// canonical text `tessel tune` and the database use) and the name of each of
// its loops in the schedule's vocabulary (kernels/Loops.h).
#ifndef TESSEL_PASSES_TASKMATCH_H
#define TESSEL_PASSES_TASKMATCH_H

#include "db/Signature.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <optional>
#include <string>
#include <vector>

namespace tessel {

/// Attribute names shared by the passes.
inline constexpr const char *kTaskAttr = "tessel.task";
inline constexpr const char *kScheduleAttr = "tessel.schedule";
inline constexpr const char *kScheduleSourceAttr = "tessel.schedule_source";
inline constexpr const char *kScheduleIdAttr = "tessel.schedule_id";
/// The C function of a Halide kernel an op calls (kernels=halide).
inline constexpr const char *kKernelAttr = "tessel.kernel";
/// Module attribute: the target preset the schedules were chosen for.
inline constexpr const char *kTargetAttr = "tessel.target";

/// The schedule dimension name of each loop of `op`, in linalg loop order, or
/// nothing if `op` is not a tunable kind (matmul, batch_matmul, 2-D
/// convolution, depthwise convolution or pooling in NCHW or NHWC).
std::optional<std::vector<std::string>> loopNames(mlir::linalg::LinalgOp op);

/// True if `op` is of a tunable kind (loopNames() has a value).
bool isTunableKind(mlir::Operation *op);

struct MatchedTask {
  TaskSignature signature;
  /// The tensor.pad producer folded into the signature's padding, if any.
  mlir::Operation *foldedPad = nullptr;
  /// The elementwise generics folded into the signature's epilogue, in
  /// order (the last one produces the task's output), and the values their
  /// bias and residual steps read (bias: a vector over the channels, or a
  /// scalar when a splat was folded).
  std::vector<mlir::Operation *> epilogueOps;
  mlir::Value bias, residual;
};

/// The task signature of a tunable op; an error says why it has none
/// (dynamic shape, element type, ...).
Result<MatchedTask> matchTask(mlir::linalg::LinalgOp op);

/// Calls `fn` on every op of `root` (in walk order) that has a task, after
/// setting its `tessel.task` attribute; an op of a tunable kind without a task
/// gets a remark "<why>: <reason>" at its location.
void forEachTask(mlir::Operation *root, llvm::StringRef why,
                 llvm::function_ref<void(mlir::linalg::LinalgOp, const MatchedTask &)> fn);

} // namespace tessel

#endif // TESSEL_PASSES_TASKMATCH_H
