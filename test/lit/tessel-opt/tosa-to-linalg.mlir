// Upstream TOSA lowering is registered in tessel-opt.
// REQUIRES: mlir
// RUN: tessel-opt %s --pass-pipeline="builtin.module(func.func(tosa-to-linalg-named, tosa-to-linalg))" | FileCheck %s

// CHECK-LABEL: func.func @matmul
// CHECK: linalg.batch_matmul
func.func @matmul(%a: tensor<1x4x8xf32>, %b: tensor<1x8x16xf32>) -> tensor<1x4x16xf32> {
  %0 = tosa.matmul %a, %b : (tensor<1x4x8xf32>, tensor<1x8x16xf32>) -> tensor<1x4x16xf32>
  return %0 : tensor<1x4x16xf32>
}
