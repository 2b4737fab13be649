// Layout utilities: permuted types, constants permuted at compile time, and
// transposes.
#include "passes/Layout.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>
#include <vector>

using namespace mlir;

namespace tessel {

RankedTensorType permutedType(RankedTensorType type, ArrayRef<int64_t> perm) {
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  return RankedTensorType::get(shape, type.getElementType());
}

namespace {

/// The raw bytes of a constant that permutedConstant() and slicedConstant()
/// read: dense elements that are not a splat, or a dense resource's blob.
std::optional<ArrayRef<char>> constantBytes(Attribute a, RankedTensorType type) {
  ArrayRef<char> in;
  if (auto d = dyn_cast<DenseElementsAttr>(a))
    in = d.getRawData();
  else if (auto r = dyn_cast<DenseResourceElementsAttr>(a); r && r.getRawHandle().getBlob())
    in = r.getRawHandle().getBlob()->getData();
  else
    return std::nullopt;
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0 || in.size() != bits / 8 * size_t(type.getNumElements()))
    return std::nullopt;
  return in;
}

/// `bytes` as a constant of `type`, of the kind `like` is.
Attribute constantLike(Attribute like, RankedTensorType type, ArrayRef<char> bytes) {
  if (isa<DenseResourceElementsAttr>(like))
    return DenseResourceElementsAttr::get(
        type, "tessel_permuted",
        HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, alignof(uint64_t),
                                                      /*dataIsMutable=*/false));
  return DenseElementsAttr::getFromRawBuffer(type, bytes);
}

} // namespace

std::optional<Attribute> reshapedConstant(Attribute a, RankedTensorType from,
                                          RankedTensorType type) {
  if (from.getNumElements() != type.getNumElements())
    return std::nullopt;
  if (auto d = dyn_cast<DenseElementsAttr>(a); d && d.isSplat())
    return DenseElementsAttr::get(type, d.getSplatValue<Attribute>());
  auto in = constantBytes(a, from);
  if (!in)
    return std::nullopt;
  return constantLike(a, type, *in);
}

std::optional<Attribute> slicedConstant(Attribute a, RankedTensorType type,
                                        ArrayRef<int64_t> offsets, ArrayRef<int64_t> sizes) {
  RankedTensorType outType = RankedTensorType::get(sizes, type.getElementType());
  if (auto d = dyn_cast<DenseElementsAttr>(a); d && d.isSplat())
    return DenseElementsAttr::get(outType, d.getSplatValue<Attribute>());
  auto in = constantBytes(a, type);
  if (!in)
    return std::nullopt;
  const size_t size = type.getElementTypeBitWidth() / 8;
  const int64_t rank = type.getRank();
  SmallVector<int64_t> inStride(rank, 1), index(rank, 0);
  for (int64_t k = rank - 2; k >= 0; --k)
    inStride[k] = inStride[k + 1] * type.getDimSize(k + 1);
  std::vector<char> out(size * size_t(outType.getNumElements()));
  for (int64_t i = 0, n = outType.getNumElements(); i < n; ++i) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k)
      src += (offsets[k] + index[k]) * inStride[k];
    std::memcpy(&out[size_t(i) * size], &(*in)[size_t(src) * size], size);
    for (int64_t k = rank - 1; k >= 0 && ++index[k] == sizes[k]; --k)
      index[k] = 0;
  }
  return constantLike(a, outType, out);
}

std::optional<Attribute> permutedConstant(Attribute a, RankedTensorType type,
                                          ArrayRef<int64_t> perm) {
  RankedTensorType outType = permutedType(type, perm);
  if (auto d = dyn_cast<DenseElementsAttr>(a); d && d.isSplat())
    return DenseElementsAttr::get(outType, d.getSplatValue<Attribute>());
  auto bytes = constantBytes(a, type);
  if (!bytes)
    return std::nullopt;
  ArrayRef<char> in = *bytes;
  const size_t size = type.getElementTypeBitWidth() / 8;
  // Output element i, in row-major order over outType, is input element
  // sum(index[k] * inStride[perm[k]]).
  const int64_t rank = type.getRank();
  SmallVector<int64_t> inStride(rank, 1), index(rank, 0);
  for (int64_t k = rank - 2; k >= 0; --k)
    inStride[k] = inStride[k + 1] * type.getDimSize(k + 1);
  std::vector<char> out(in.size());
  for (int64_t i = 0, n = type.getNumElements(); i < n; ++i) {
    int64_t src = 0;
    for (int64_t k = 0; k < rank; ++k)
      src += index[k] * inStride[perm[k]];
    std::memcpy(&out[size_t(i) * size], &in[size_t(src) * size], size);
    for (int64_t k = rank - 1; k >= 0 && ++index[k] == outType.getDimSize(k); --k)
      index[k] = 0;
  }
  return constantLike(a, outType, out);
}

Value transposed(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> perm) {
  auto t = cast<RankedTensorType>(v.getType());
  Attribute constant;
  if (matchPattern(v, m_Constant(&constant)))
    if (auto folded = permutedConstant(constant, t, perm))
      return b.create<arith::ConstantOp>(loc, cast<TypedAttr>(*folded));
  RankedTensorType outType = permutedType(t, perm);
  Value init = b.create<tensor::EmptyOp>(loc, outType.getShape(), t.getElementType());
  return linalg::makeTransposeOp(b, loc, v, init, perm)->getResult(0);
}

} // namespace tessel
