// tessel-translate: LLVM-dialect MLIR (what tessel-opt's tessel-compile
// pipeline produces) to LLVM bitcode. `mlir-translate --mlir-to-llvmir` writes
// textual IR, which prints every element of a weight array as a decimal or
// hex float and makes opt parse it back: for a model with tens of megabytes of
// weights that is most of the compile time. Bitcode keeps them as raw bytes.
//
//   tessel-translate IN.mlir -o OUT.bc
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::opt<std::string> input(llvm::cl::Positional, llvm::cl::Required,
                                   llvm::cl::desc("<LLVM-dialect MLIR file>"));
  llvm::cl::opt<std::string> output("o", llvm::cl::Required,
                                    llvm::cl::desc("Output bitcode file"),
                                    llvm::cl::value_desc("file"));
  llvm::cl::ParseCommandLineOptions(
      argc, argv, "tessel-translate: LLVM-dialect MLIR to LLVM bitcode\n");

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::MLIRContext context(registry);
  llvm::SourceMgr sources;
  mlir::SourceMgrDiagnosticHandler diagnostics(sources, &context);
  std::string error;
  auto file = mlir::openInputFile(input, &error);
  if (!file) {
    llvm::errs() << "tessel-translate: " << error << "\n";
    return 1;
  }
  sources.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sources, &context);
  if (!module)
    return 1;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      mlir::translateModuleToLLVMIR(*module, llvmContext, input);
  if (!llvmModule)
    return 1; // the translation reported its error at the op's location
  auto out = mlir::openOutputFile(output, &error);
  if (!out) {
    llvm::errs() << "tessel-translate: " << error << "\n";
    return 1;
  }
  llvm::WriteBitcodeToFile(*llvmModule, out->os());
  out->keep();
  return 0;
}
