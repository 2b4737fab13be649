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

std::optional<Attribute> permutedConstant(Attribute a, RankedTensorType type,
                                          ArrayRef<int64_t> perm) {
  RankedTensorType outType = permutedType(type, perm);
  ArrayRef<char> in;
  auto resource = dyn_cast<DenseResourceElementsAttr>(a);
  if (auto d = dyn_cast<DenseElementsAttr>(a)) {
    if (d.isSplat())
      return DenseElementsAttr::get(outType, d.getSplatValue<Attribute>());
    in = d.getRawData();
  } else if (resource && resource.getRawHandle().getBlob()) {
    in = resource.getRawHandle().getBlob()->getData();
  } else {
    return std::nullopt;
  }
  unsigned bits = type.getElementTypeBitWidth();
  const size_t size = bits / 8;
  if (bits % 8 != 0 || in.size() != size * size_t(type.getNumElements()))
    return std::nullopt;
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
  if (resource)
    return DenseResourceElementsAttr::get(
        outType, "tessel_permuted",
        HeapAsmResourceBlob::allocateAndCopyWithAlign(out, alignof(uint64_t),
                                                      /*dataIsMutable=*/false));
  return DenseElementsAttr::getFromRawBuffer(outType, out);
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
