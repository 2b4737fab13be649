// Pass base classes generated from Passes.td, for the pass implementation
// files. Each file defines GEN_PASS_DEF_<PASS> before including this.
#ifndef TESSEL_PASSES_PASSDETAIL_H
#define TESSEL_PASSES_PASSDETAIL_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace tessel {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"
} // namespace tessel

#endif // TESSEL_PASSES_PASSDETAIL_H
