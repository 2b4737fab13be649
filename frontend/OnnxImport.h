// ONNX models in: an ONNX graph (opsets 7 to 17) becomes linalg-on-tensors
// MLIR with the ops a PyTorch export through torch-mlir has (NCHW
// convolutions and poolings, matmuls, elementwise linalg.generic), weights
// as dense_resource blobs, and one entry point `forward` taking the graph's
// inputs and returning its outputs in order. Everything tessel does to an
// MLIR model (tasks, tuning, compile, run) then applies to it.
#ifndef TESSEL_FRONTEND_ONNXIMPORT_H
#define TESSEL_FRONTEND_ONNXIMPORT_H

#include "db/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessel {

struct OnnxImportOptions {
  /// Shapes for graph inputs: fixes their dynamic dimensions (a symbolic
  /// batch). Parsed from "NAME=1x3x224x224" by parseInputShape.
  std::map<std::string, std::vector<int64_t>> inputShapes;
};

/// "NAME=1x3x224x224" -> (NAME, dims), or an error naming the text.
Status parseInputShape(const std::string &text, OnnxImportOptions &options);

/// The ONNX ops the importer supports, sorted (for --help and the README).
const std::vector<std::string> &supportedOnnxOps();

/// The MLIR text of the ONNX model in `path`. Errors are one line: a file
/// that is not ONNX, an unsupported op (its type, node name and opset), a
/// dynamic dimension without a shape given for its input.
Result<std::string> importOnnx(const std::string &path,
                               const OnnxImportOptions &options);

} // namespace tessel

#endif // TESSEL_FRONTEND_ONNXIMPORT_H
