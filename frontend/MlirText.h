// MLIR text for the importers: one function of f32 tensors in
// linalg-on-tensors, written op by op with fresh SSA names, and its
// constants as dense_resource blobs.
#ifndef TESSEL_FRONTEND_MLIRTEXT_H
#define TESSEL_FRONTEND_MLIRTEXT_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tessel {

using Dims = std::vector<int64_t>;

/// "tensor<1x3x32x32xf32>"; rank 0: "tensor<f32>".
std::string tensorType(const Dims &shape, const std::string &element = "f32");
/// An f32 as MLIR reads it exactly (its bits: 0x3F800000).
std::string f32Literal(double v);
/// "[1, 2, 3]".
std::string listText(const Dims &values);

/// A tensor operand of a linalg.generic and its indexing map's results
/// ("d0, 0, d2"), over the generic's loops.
struct MlirOperand {
  std::string ssa;
  Dims shape;
  std::string map; ///< empty: broadcast onto the output (elementwise)
};

class MlirFunction;

/// The region of a linalg.generic; `args` are its f32 block arguments.
class MlirBody {
public:
  explicit MlirBody(MlirFunction &f) : f_(f) {}
  /// Adds "%N = rhs" and returns %N.
  std::string op(const std::string &rhs);
  std::string constant(double v);
  std::string binary(const std::string &op, const std::string &a,
                     const std::string &b);
  std::string unary(const std::string &op, const std::string &a);
  const std::vector<std::string> &lines() const { return lines_; }

private:
  MlirFunction &f_;
  std::vector<std::string> lines_;
};

using BodyFn =
    std::function<std::string(MlirBody &, const std::vector<std::string> &)>;

class MlirFunction {
public:
  std::string fresh();
  /// A new function argument; `name` (the model's) goes in its
  /// tessel.name attribute, which the C header names it by.
  std::string argument(const Dims &shape, const std::string &name = "");
  /// An f32 constant tensor (a blob).
  std::string constant(const Dims &shape, const std::vector<double> &data);
  /// Adds "%N = rhs" and returns %N.
  std::string op(const std::string &rhs);
  /// A tensor of `shape` filled with `value`.
  std::string filled(const Dims &shape, double value);
  /// The elementwise linalg.generic of `ins` (numpy-broadcast onto `out`).
  std::string elementwise(const std::vector<MlirOperand> &ins, const Dims &out,
                          const BodyFn &body);
  /// A linalg.generic over `loops` loops (`reductions` marks the reduction
  /// ones) writing into `init` (of `outShape`, indexed by `outMap`).
  std::string generic(const std::vector<MlirOperand> &ins,
                      const std::string &init, const Dims &outShape,
                      const std::string &outMap, size_t loops,
                      const std::vector<bool> &reductions, const BodyFn &body);
  /// tensor.collapse_shape to one dimension, then tensor.expand_shape.
  std::string reshape(const std::string &x, const Dims &from, const Dims &to);
  /// `x` padded with the f32 SSA value `value`.
  std::string pad(const std::string &x, const Dims &shape, const Dims &low,
                  const Dims &high, const std::string &value);
  /// An f32 scalar constant.
  std::string scalar(double value);
  std::string transpose(const std::string &x, const Dims &shape,
                        const Dims &perm);
  /// The function's results; `names` (the model's, or empty) go in their
  /// tessel.name attributes.
  void returns(const std::vector<MlirOperand> &results,
               const std::vector<std::string> &names);
  /// The module: the function `name` and the blobs.
  std::string module(const std::string &name) const;

private:
  int next_ = 0;
  std::vector<std::string> args_, argTypes_, lines_, blobs_, resultTypes_;
};

} // namespace tessel

#endif // TESSEL_FRONTEND_MLIRTEXT_H
