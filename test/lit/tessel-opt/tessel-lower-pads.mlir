// A static constant pad becomes fills of its border and one insert_slice of
// its source: for each padded dimension its low and high slabs, over the
// interior of the dimensions before it. Dynamic pads are left alone.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-lower-pads --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @pad_hw
// CHECK:      %[[E:.*]] = tensor.empty() : tensor<1x6x7x8xf32>
// Rows: one on top, two below, the whole width.
// CHECK:      linalg.fill {{.*}} -> tensor<1x1x7x8xf32>
// CHECK:      tensor.insert_slice %{{.*}} into %[[E]][0, 0, 0, 0] [1, 1, 7, 8]
// CHECK:      linalg.fill {{.*}} -> tensor<1x2x7x8xf32>
// CHECK:      tensor.insert_slice %{{.*}}[0, 4, 0, 0] [1, 2, 7, 8]
// Columns: one on the left, two on the right, over the three interior rows.
// CHECK:      linalg.fill {{.*}} -> tensor<1x3x1x8xf32>
// CHECK:      tensor.insert_slice %{{.*}}[0, 1, 0, 0] [1, 3, 1, 8]
// CHECK:      linalg.fill {{.*}} -> tensor<1x3x2x8xf32>
// CHECK:      tensor.insert_slice %{{.*}}[0, 1, 5, 0] [1, 3, 2, 8]
// CHECK:      tensor.insert_slice %arg0 into %{{.*}}[0, 1, 1, 0] [1, 3, 4, 8]
// CHECK-NOT:  tensor.pad
func.func @pad_hw(%x: tensor<1x3x4x8xf32>) -> tensor<1x6x7x8xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 1, 1, 0] high[0, 2, 2, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x3x4x8xf32> to tensor<1x6x7x8xf32>
  return %0 : tensor<1x6x7x8xf32>
}

// -----

// CHECK-LABEL: func.func @dynamic
// CHECK: tensor.pad
func.func @dynamic(%x: tensor<?x4xf32>) -> tensor<?x6xf32> {
  %zero = arith.constant 0.0 : f32
  %0 = tensor.pad %x low[0, 1] high[0, 1] {
  ^bb0(%a: index, %b: index):
    tensor.yield %zero : f32
  } : tensor<?x4xf32> to tensor<?x6xf32>
  return %0 : tensor<?x6xf32>
}
