// The schedule attribute alone drives tiling: cache tiles (the parallel loop
// as scf.forall), register tiles vectorized, a partial register tile peeled;
// NCHW convolutions realized in NHWC form and decomposed to 1-D.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-tile-from-schedule --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @matmul
// CHECK: scf.forall (%{{.*}}) = (0) to (64) step (32)
// CHECK:   scf.for %{{.*}} = %c0 to %c64 step %c32
// CHECK:     scf.for %{{.*}} = %c0 to %c30 step %c6
// CHECK:       scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK:         scf.for %{{.*}} = %c0 to %c64 step %c1
// CHECK:           vector.contract {{.*}} : vector<6x1xf32>, vector<1x16xf32> into vector<6x16xf32>
// The last 2 rows of each 32-row tile: peeled, still static and vectorized.
// CHECK:     vector.contract {{.*}} into vector<2x16xf32>
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul {tessel.schedule = "{\22order\22:[\22m\22,\22n\22],\22parallel\22:[\22m\22],\22tile_inner\22:{\22m\22:6,\22n\22:16},\22tile_outer\22:{\22m\22:32,\22n\22:32}}"}
      ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// CHECK-LABEL: func.func @conv_nchw
// Input and output transposed to NHWC, weights to HWCF.
// CHECK: linalg.generic {{.*}} ins(%arg1 : tensor<16x4x3x3xf32>) outs(%{{.*}} : tensor<3x3x4x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg0 : tensor<1x4x10x10xf32>) outs(%{{.*}} : tensor<1x10x10x4xf32>)
// Filter rows and output rows tiled to 1, then vectorized along channels.
// CHECK: scf.for
// CHECK: vector.contract {{.*}} into vector<1x8x16xf32>
// CHECK-NOT: linalg.conv_2d
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x8x8x16xf32>) outs(%{{.*}} : tensor<1x16x8x8xf32>)
func.func @conv_nchw(%x: tensor<1x4x10x10xf32>, %w: tensor<16x4x3x3xf32>, %o: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>,
      tessel.schedule = "{\22tile_inner\22:{\22f\22:16,\22ow\22:8},\22vector_dim\22:\22f\22,\22vector_width\22:16}"}
      ins(%x, %w : tensor<1x4x10x10xf32>, tensor<16x4x3x3xf32>) outs(%o : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}

// -----

// Ops without a schedule are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK: linalg.matmul ins
func.func @untouched(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %0 : tensor<8x8xf32>
}

// -----

// Constant weights are transposed at compile time, dense elements and dense
// resources alike (W[f][c] becomes W'[0][0][c][f]).
// CHECK-LABEL: func.func @conv_nchw_constant_weights
// CHECK-DAG: arith.constant dense<{{\[\[\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: arith.constant dense_resource<tessel_permuted> : tensor<1x1x2x2xf32>
// CHECK-NOT: ins(%cst
// CHECK: tessel_permuted: "0x080000000000803F000040400000004000008040"
func.func @conv_nchw_constant_weights(%x: tensor<1x2x4x4xf32>, %o: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>
  %r = arith.constant dense_resource<weights> : tensor<2x2x1x1xf32>
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>,
      tessel.schedule = "{\22tile_inner\22:{\22f\22:2,\22ow\22:4},\22vector_dim\22:\22f\22,\22vector_width\22:2}"}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%o : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %1 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>,
      tessel.schedule = "{\22tile_inner\22:{\22f\22:2,\22ow\22:4},\22vector_dim\22:\22f\22,\22vector_width\22:2}"}
      ins(%x, %r : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%o : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %0, %1 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
