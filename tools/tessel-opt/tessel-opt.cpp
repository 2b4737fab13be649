// tessel-opt: an mlir-opt-style driver with every upstream dialect, pass and
// extension registered, plus tessel's passes and pipelines.
#include "passes/PassRegistry.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

#include <string_view>
#include <vector>

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  tessel::registerTesselPasses();
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // Errors name the op at its location without printing it (a whole
  // model's IR after every diagnostic): --mlir-print-op-on-diagnostic
  // brings the dump back.
  std::vector<char *> args(argv, argv + argc);
  static char quiet[] = "--mlir-print-op-on-diagnostic=false";
  bool given = false;
  for (int i = 1; i < argc; ++i)
    given |= std::string_view(argv[i]).find("mlir-print-op-on-diagnostic") !=
             std::string_view::npos;
  if (!given)
    args.insert(args.begin() + 1, quiet);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(static_cast<int>(args.size()), args.data(),
                        "tessel-opt: tessel's MLIR pass driver\n", registry));
}
