// `tessel import MODEL.onnx -o MODEL.mlir`: an ONNX model as the
// linalg-on-tensors MLIR that tessel-opt and tessel compile take
// (frontend/OnnxImport.h).
#include "tools/tessel/Commands.h"

#include "frontend/OnnxImport.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

namespace tessel {

namespace {

struct ImportOptions {
  std::string model, output;
  std::vector<std::string> shapes;
};

int runImport(const ImportOptions &o) {
  OnnxImportOptions options;
  for (const std::string &s : o.shapes)
    if (Status st = parseInputShape(s, options); !st)
      return fail(st.message());
  auto text = importOnnx(o.model, options);
  if (!text)
    return fail(text.message());
  if (int rc = writeOutputFile(o.output, *text, o.model); rc != 0)
    return rc;
  std::cout << "wrote " << o.output << "\n";
  return 0;
}

std::string supportedList() {
  std::string list;
  for (const std::string &op : supportedOnnxOps())
    list += (list.empty() ? "" : " ") + op;
  return list;
}

} // namespace

void addImportCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<ImportOptions>();
  CLI::App *cmd = app.add_subcommand(
      "import", "Import an ONNX model (opsets 7-17) as linalg-on-tensors MLIR");
  cmd->add_option("model", o->model, "ONNX model file")->required();
  cmd->add_option("-o,--output", o->output, "Output MLIR file")->required();
  cmd->add_option(
      "--input-shape", o->shapes,
      "NAME=DIMS: the shape of an input with dynamic dimensions, e.g. "
      "input=1x3x224x224 (repeatable)");
  setExamples(
      cmd,
      {"tessel import resnet18.onnx -o resnet18.mlir",
       "tessel import model.onnx --input-shape input=1x3x224x224 -o model.mlir",
       "(supported ops: " + supportedList() + ")"});
  cmd->callback([o, &exitCode]() { exitCode = runImport(*o); });
}

} // namespace tessel
