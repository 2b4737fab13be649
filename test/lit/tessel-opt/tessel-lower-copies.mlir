// Strided copies become linalg.copy (loops later, no runtime library call);
// contiguous ones stay memref.copy (a memcpy).
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-lower-copies | FileCheck %s

// CHECK-LABEL: func.func @copies
// CHECK: linalg.copy ins(%{{.*}} : memref<4x4xf32, strided<[8, 1]>>) outs(%arg1 : memref<4x4xf32>)
// CHECK: memref.copy %arg1, %arg2 : memref<4x4xf32> to memref<4x4xf32>
func.func @copies(%a: memref<8x8xf32>, %b: memref<4x4xf32>, %c: memref<4x4xf32>) {
  %s = memref.subview %a[0, 0] [4, 4] [1, 1] : memref<8x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  memref.copy %s, %b : memref<4x4xf32, strided<[8, 1]>> to memref<4x4xf32>
  memref.copy %b, %c : memref<4x4xf32> to memref<4x4xf32>
  return
}
