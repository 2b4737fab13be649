// Entry points never write their inputs: an argument used as `outs` is
// copied, not updated in place, once its function arguments are read-only.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-protect-inputs | FileCheck %s
// RUN: tessel-opt %s --tessel-protect-inputs --one-shot-bufferize="bufferize-function-boundaries" | FileCheck %s --check-prefix=BUF

// CHECK: func.func @acc(%arg0: tensor<4x4xf32> {bufferization.writable = false}, %arg1: tensor<4x4xf32> {bufferization.writable = false})
// CHECK: func.func private @helper(%arg0: tensor<4xf32>)
// BUF-LABEL: func.func @acc
// BUF: %[[COPY:.*]] = memref.alloc
// BUF: memref.copy %arg1, %[[COPY]]
// BUF: linalg.matmul ins(%arg0, %arg0 : {{.*}}) outs(%[[COPY]] :
func.func @acc(%a: tensor<4x4xf32>, %c: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %r = linalg.matmul ins(%a, %a : tensor<4x4xf32>, tensor<4x4xf32>) outs(%c : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %r : tensor<4x4xf32>
}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
