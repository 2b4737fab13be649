// The task signature: what identifies a kernel across tessel-opt, the tuner and
// the schedule database.
//
// A task is an op family with static shapes, element types, layout, window
// parameters and a fused epilogue. It has exactly one canonical text form,
//
//   conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1
//   matmul m=512 n=512 k=512 epilogue=bias+relu
//
// and its hash is the SHA-256 of that text. The canonical form lists the
// family, then its dimensions in the family's fixed order, then the optional
// keys in the fixed order below, leaving out every optional key whose value is
// the default. Leaving defaults out keeps old hashes valid when a key is added.
//
// Keys, in canonical order (after the family's dimensions):
//   shape=AxBxC        elementwise / reduction only: the iteration shape
//   axes=1,2           reduction only: reduced dimensions (sorted)
//   stride=SH,SW       conv2d, depthwise_conv2d, pool_*: default 1,1
//   dilation=DH,DW     conv2d, depthwise_conv2d: default 1,1
//   pad=T,L,B,R        conv2d, depthwise_conv2d, pool_*: default 0,0,0,0
//   layout=NAME        family default first in kLayouts; see familyLayouts()
//   in=T wt=T acc=T out=T   element types; wt and out default to in, acc to
//                      f32 for float inputs and i32 for integer inputs.
//                      `dtype=T` is accepted on input and sets `in`.
//   izp=N wzp=N        integer kernels: zero points of the input and the
//                      weights (default 0): acc = sum((in - izp) * (wt - wzp))
//   op=NAME            elementwise / reduction: the computation (add, exp, ...)
//   epilogue=A+B+...   fused epilogue in application order: bias, relu, relu6,
//                      clamp:LO:HI, add (residual), sigmoid, tanh, and for
//                      integer kernels requant:SCALE:ZP (out = saturate(
//                      round(acc * SCALE) + ZP) in the output type)
//
// Parsing accepts keys in any order and whitespace runs; it rejects unknown
// families and keys, keys that do not apply to the family, missing or
// non-positive dimensions, duplicates and malformed values.
#ifndef TESSEL_DB_SIGNATURE_H
#define TESSEL_DB_SIGNATURE_H

#include "db/Status.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessel {

enum class OpFamily {
  Matmul,
  BatchMatmul,
  Conv2d,
  DepthwiseConv2d,
  PoolMax,
  PoolAvg,
  Elementwise,
  Reduction,
};

/// The family's name in signatures: "matmul", "batch_matmul", "conv2d",
/// "depthwise_conv2d", "pool_max", "pool_avg", "elementwise", "reduction".
std::string_view familyName(OpFamily family);
/// Parses a family name; fails with the list of known families.
Result<OpFamily> parseFamily(std::string_view name);
/// All families, in declaration order.
const std::vector<OpFamily> &allFamilies();
/// The dimension names of a family, in canonical order (empty for
/// elementwise and reduction, which use `shape`).
const std::vector<std::string> &familyDims(OpFamily family);
/// The layouts a family accepts; the first one is the default.
const std::vector<std::string> &familyLayouts(OpFamily family);

struct TaskSignature {
  OpFamily family = OpFamily::Matmul;
  /// Values of familyDims(family), in the same order.
  std::vector<int64_t> dims;
  /// elementwise / reduction iteration shape.
  std::vector<int64_t> shape;
  /// reduction: reduced dimensions of `shape`, sorted.
  std::vector<int64_t> axes;
  std::array<int64_t, 2> stride{1, 1};
  std::array<int64_t, 2> dilation{1, 1};
  /// top, left, bottom, right
  std::array<int64_t, 4> pad{0, 0, 0, 0};
  std::string layout; ///< empty means the family default
  std::string inType = "f32";
  std::string weightType; ///< empty means inType
  std::string accType;    ///< empty means f32 or i32 by inType
  std::string outType;    ///< empty means inType
  int64_t inputZeroPoint = 0;  ///< integer kernels only
  int64_t weightZeroPoint = 0; ///< integer kernels only
  std::string op;         ///< elementwise / reduction computation
  std::vector<std::string> epilogue;

  /// Parses signature text (any key order); the result is normalized.
  static Result<TaskSignature> parse(std::string_view text);

  /// The canonical text form. Only meaningful for a normalized signature
  /// (one returned by parse(), or after normalize() succeeded).
  std::string canonical() const;
  /// SHA-256 hex of canonical().
  std::string hash() const;

  /// Fills defaults and checks every field; fails with the first problem.
  Status normalize();

  /// Value of dimension `name` (e.g. "m"), or -1 if the family has none.
  int64_t dim(std::string_view name) const;
  /// Floating-point (or integer) operations of one execution, counting a
  /// multiply-add as two; the measure behind every GFLOP/s figure.
  double flops() const;
  /// Output spatial size {oh, ow} of a windowed family; {0,0} otherwise.
  std::array<int64_t, 2> outputSpatial() const;
  /// Every dimension value that appears in the shape (dims, or shape), for
  /// queries such as "tasks with a 512 in their shape".
  std::vector<int64_t> shapeValues() const;
  /// Effective types after defaults.
  std::string effectiveWeightType() const;
  std::string effectiveAccType() const;
  std::string effectiveOutType() const;
  std::string effectiveLayout() const;
};

/// True if `t` names an element type tessel knows (f32, f16, bf16, i32, i8,
/// u8, s8).
bool isKnownElementType(std::string_view t);

} // namespace tessel

#endif // TESSEL_DB_SIGNATURE_H
