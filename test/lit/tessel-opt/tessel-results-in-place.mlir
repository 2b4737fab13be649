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

// A tiled op's buffer carried through its loops is the allocation too.
// CHECK-LABEL: func.func @carried
// CHECK-SAME:  (%[[IN:.*]]: memref<4xf32>, %[[OUT:.*]]: memref<4xf32>)
// CHECK-NOT:   memref.alloc
// CHECK:       scf.for {{.*}} iter_args(%[[B:.*]] = %[[OUT]])
// CHECK:         linalg.copy ins(%[[IN]] : memref<4xf32>) outs(%[[B]] : memref<4xf32>)
// CHECK-NOT:   memref.copy
func.func @carried(%x: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %0 = memref.alloc() : memref<4xf32>
  %1 = scf.for %i = %c0 to %c2 step %c1 iter_args(%b = %0) -> (memref<4xf32>) {
    linalg.copy ins(%x : memref<4xf32>) outs(%b : memref<4xf32>)
    scf.yield %b : memref<4xf32>
  }
  return %1 : memref<4xf32>
}

// A loop that yields another buffer than the one it carries keeps the copy.
// CHECK-LABEL: func.func @swapped
// CHECK:       memref.alloc
// CHECK:       memref.copy
func.func @swapped(%x: memref<4xf32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %0 = memref.alloc() : memref<4xf32>
  %1 = scf.for %i = %c0 to %c2 step %c1 iter_args(%b = %0) -> (memref<4xf32>) {
    scf.yield %x : memref<4xf32>
  }
  return %1 : memref<4xf32>
}
