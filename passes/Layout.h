// Layout utilities shared by the passes: NCHW <-> NHWC permutations, the
// permutation of constant tensors at compile time, and transposes.
#ifndef TESSEL_PASSES_LAYOUT_H
#define TESSEL_PASSES_LAYOUT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace tessel {

/// numpy transpose permutations between the two activation layouts:
/// nhwc = nchw.transpose(kToNhwc), nchw = nhwc.transpose(kToNchw).
inline constexpr int64_t kToNhwc[4] = {0, 2, 3, 1};
inline constexpr int64_t kToNchw[4] = {0, 3, 1, 2};

/// `type` with its dimensions permuted (numpy's transpose(perm)).
mlir::RankedTensorType permutedType(mlir::RankedTensorType type,
                                    llvm::ArrayRef<int64_t> perm);

/// The constant `a` of type `type` with its dimensions permuted by `perm`,
/// computed here, so that weights are laid out once at compile time rather
/// than on every call. Handles dense elements (splat or not) and dense
/// resources (how exporters store large weights); nothing for other
/// attributes or sub-byte elements.
std::optional<mlir::Attribute> permutedConstant(mlir::Attribute a,
                                                mlir::RankedTensorType type,
                                                llvm::ArrayRef<int64_t> perm);

/// The slice [offsets, offsets + sizes) of the constant `a` of type `type`,
/// computed here (as permutedConstant() handles constants); nothing for other
/// attributes or sub-byte elements.
std::optional<mlir::Attribute> slicedConstant(mlir::Attribute a, mlir::RankedTensorType type,
                                              llvm::ArrayRef<int64_t> offsets,
                                              llvm::ArrayRef<int64_t> sizes);

/// The constant `a` reinterpreted as `type` (the same elements in the same
/// order: a reshape); nothing for attributes permutedConstant() does not read.
std::optional<mlir::Attribute> reshapedConstant(mlir::Attribute a, mlir::RankedTensorType from,
                                                mlir::RankedTensorType type);

/// `v` with its dimensions permuted (numpy's transpose(perm)): a new constant
/// when `v` is a constant permutedConstant() handles, else a linalg.generic
/// created at the builder's insertion point.
mlir::Value transposed(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v,
                       llvm::ArrayRef<int64_t> perm);

} // namespace tessel

#endif // TESSEL_PASSES_LAYOUT_H
