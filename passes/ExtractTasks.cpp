// tessel-extract-tasks: the tunable ops of a module as a tasks file.
#define GEN_PASS_DEF_EXTRACTTASKS
#include "passes/PassDetail.h"
#include "passes/Pipeline.h"
#include "passes/TaskMatch.h"

#include "db/TasksFile.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace tessel {
namespace {

struct ExtractTasksPass : impl::ExtractTasksBase<ExtractTasksPass> {
  using ExtractTasksBase::ExtractTasksBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The ops tessel-compile will tile: after TOSA lowering and fusion.
    OpPassManager front("builtin.module");
    if (failed(parsePassPipeline(frontEndPipeline(), front)) ||
        failed(runPipeline(front, module)))
      return signalPassFailure();
    TasksFile file;
    if (auto name = module.getSymName())
      file.model = name->str();
    else if (auto loc = dyn_cast<FileLineColLoc>(module.getLoc()))
      file.model = loc.getFilename().str();
    forEachTask(module, "not a tessel task",
                [&](linalg::LinalgOp, const MatchedTask &task) {
                  file.add(task.signature);
                });
    if (file.tasks.empty())
      module.emitWarning()
          << "tessel-extract-tasks: the model has no tunable op (matmul, "
             "batch_matmul, conv2d, depthwise conv2d, max pooling); the "
             "tasks file is empty";
    std::string errorMessage;
    auto output = openOutputFile(out, &errorMessage);
    if (!output) {
      module.emitError() << "tessel-extract-tasks: " << errorMessage;
      return signalPassFailure();
    }
    output->os() << file.toJson() << "\n";
    output->keep();
  }
};

} // namespace
} // namespace tessel
