// The arrays of a kernel call, described without Halide or MLIR: names,
// row-major shapes and element types, in the C ABI order every kernel of a
// task shares (the Halide kernels, their AOT adapters, the calls MLIR code
// makes into them, the remote benchmark program).
#ifndef TESSEL_KERNELS_ARRAYS_H
#define TESSEL_KERNELS_ARRAYS_H

#include "db/Signature.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tessel {

/// One input (or output) array of a kernel: its name, element type and
/// row-major shape.
struct ArraySpec {
  std::string name; ///< "input", "weights", "bias", "residual", "output"
  std::vector<int64_t> shape; ///< row-major (outermost first)
  std::string type = "f32";   ///< f32, i32, u8 or s8
  /// Held by a model as a constant (the weights and bias of a convolution or
  /// matmul): read from memory each inference when a model's weights outgrow
  /// the caches its ops share (tuner/Session.h, constantsOutgrowCache).
  bool constant = false;
  int64_t elements() const;
  /// Bytes of one element.
  int elementBytes() const;
};

/// The input and output arrays of a task, in C ABI order (input, weights,
/// bias, residual, then the output).
std::vector<ArraySpec> kernelArrays(const TaskSignature &task);

/// The output channels of a task: the length of its bias.
int64_t outputChannels(const TaskSignature &task);

/// The `halide_type_t` code (its C enumerator name) and bits of an element
/// type, for generated C that builds Halide buffers.
std::pair<const char *, int> halideTypeCode(const std::string &type);

} // namespace tessel

#endif // TESSEL_KERNELS_ARRAYS_H
