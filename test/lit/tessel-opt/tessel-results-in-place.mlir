// A result the function allocates and copies into its out-parameter is
// computed in the out-parameter; a result that is an argument (or not an
// allocation) keeps its copy. The bufferize.result attributes are removed.
// REQUIRES: mlir
// RUN: tessel-opt %s --buffer-results-to-out-params=add-result-attr | tessel-opt --tessel-results-in-place | FileCheck %s

// CHECK-LABEL: func.func @allocated
// CHECK-SAME:  (%[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK-NOT:   memref.alloc
// CHECK:       linalg.copy ins(%[[IN]] : memref<4xf32>) outs(%[[OUT]] : memref<4xf32>)
// CHECK-NOT:   memref.copy
// CHECK-NOT:   bufferize.result
func.func @allocated(%x: memref<4xf32>) -> memref<4xf32> {
  %0 = memref.alloc() : memref<4xf32>
  linalg.copy ins(%x : memref<4xf32>) outs(%0 : memref<4xf32>)
  return %0 : memref<4xf32>
}

// CHECK-LABEL: func.func @argument
// CHECK:       memref.copy %arg0, %arg1
func.func @argument(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}
