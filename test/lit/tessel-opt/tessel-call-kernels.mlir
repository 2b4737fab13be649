// An op naming a Halide kernel becomes a call to its `_mlir` adapter with
// the task's arrays: the unpadded input, the weights, the bias (a folded
// splat becomes a vector), then a fresh output; its epilogue goes with it.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-call-kernels --canonicalize | FileCheck %s

// CHECK: func.func private @tessel_k_conv_mlir(memref<1x4x8x8xf32>, memref<8x4x3x3xf32>, memref<1x8x8x8xf32>)
// CHECK: func.func private @tessel_k_mm_mlir(memref<4x8xf32>, memref<8x16xf32>, memref<16xf32>, memref<4x16xf32>)

// CHECK-LABEL: func.func @mm
// CHECK-DAG: %[[A:.*]] = bufferization.to_memref %arg0 read_only : memref<4x8xf32>
// CHECK-DAG: %[[B:.*]] = bufferization.to_memref %arg1 read_only : memref<8x16xf32>
// CHECK-DAG: %[[S:.*]] = bufferization.to_memref %{{.*}} read_only : memref<16xf32>
// CHECK: %[[O:.*]] = memref.alloc() {alignment = 64 : i64} : memref<4x16xf32>
// CHECK: call @tessel_k_mm_mlir(%[[A]], %[[B]], %[[S]], %[[O]])
// CHECK: %[[R:.*]] = bufferization.to_tensor %[[O]] restrict writable
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @mm(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %z = arith.constant 0.0 : f32
  %bias = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul {tessel.kernel = "tessel_k_mm"} ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %bias : f32
    %v = arith.maximumf %s, %z : f32
    linalg.yield %v : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @conv
// CHECK: %[[X:.*]] = bufferization.to_memref %arg0 read_only : memref<1x4x8x8xf32>
// CHECK: call @tessel_k_conv_mlir(%[[X]],
// CHECK-NOT: tensor.pad
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>, tessel.kernel = "tessel_k_conv"}
      ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %c : tensor<1x8x8x8xf32>
}
