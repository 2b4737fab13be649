// Filter taps through which every output reads only padding are cut at
// compile time, and the padding shrinks by the cut.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-trim-filter-taps --canonicalize --split-input-file | FileCheck %s

// A 3x3 convolution of a 1x1 input padded by 1: only the centre tap reads the
// input. It becomes a 1x1 convolution without padding, its weights the
// centre of the 3x3 ones (w[1][1][c][f] = 5 + f + 2c, see the constant).
// CHECK-LABEL: func.func @centre
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}4.000000e+00, 5.000000e+00], [6.000000e+00, 7.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-NOT: tensor.pad
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[W]] : tensor<1x1x1x2xf32>, tensor<1x1x2x2xf32>)
func.func @centre(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[[[0.0, 1.0], [2.0, 3.0]], [[0.0, 1.0], [2.0, 3.0]], [[0.0, 1.0], [2.0, 3.0]]],
                             [[[0.0, 1.0], [2.0, 3.0]], [[4.0, 5.0], [6.0, 7.0]], [[0.0, 1.0], [2.0, 3.0]]],
                             [[[0.0, 1.0], [2.0, 3.0]], [[0.0, 1.0], [2.0, 3.0]], [[0.0, 1.0], [2.0, 3.0]]]]> : tensor<3x3x2x2xf32>
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x1x1x2xf32> to tensor<1x3x3x2xf32>
  %e = tensor.empty() : tensor<1x1x1x2xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%p, %w : tensor<1x3x3x2xf32>, tensor<3x3x2x2xf32>) outs(%f : tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32>
  return %c : tensor<1x1x1x2xf32>
}

// -----

// Stride 2 from a 2x2 input padded by 1 to a 1x1 output: taps 1 and 2 of
// each dimension read the input, tap 0 only padding. A 2x2 filter (a dense
// resource, sliced too) without padding.
// CHECK-LABEL: func.func @stride2
// CHECK: %[[W:.*]] = arith.constant dense_resource<tessel_permuted> : tensor<2x2x1x1xf32>
// CHECK-NOT: tensor.pad
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%arg0, %[[W]] : tensor<1x2x2x1xf32>, tensor<2x2x1x1xf32>)
// CHECK: tessel_permuted: "0x08000000000080400000A0400000E04000000041"
func.func @stride2(%x: tensor<1x2x2x1xf32>) -> tensor<1x1x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense_resource<w9> : tensor<3x3x1x1xf32>
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x2x1xf32> to tensor<1x4x4x1xf32>
  %e = tensor.empty() : tensor<1x1x1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%p, %w : tensor<1x4x4x1xf32>, tensor<3x3x1x1xf32>) outs(%f : tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  return %c : tensor<1x1x1x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w9: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E04000000041"
    }
  }
#-}

// -----

// Every tap reads the input somewhere (a 3x3 window over 4x4): unchanged.
// CHECK-LABEL: func.func @every_tap
// CHECK: tensor.pad
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} tensor<1x6x6x1xf32>, tensor<3x3x1x1xf32>
func.func @every_tap(%x: tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<1.0> : tensor<3x3x1x1xf32>
  %p = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x1xf32> to tensor<1x6x6x1xf32>
  %e = tensor.empty() : tensor<1x4x4x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%p, %w : tensor<1x6x6x1xf32>, tensor<3x3x1x1xf32>) outs(%f : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  return %c : tensor<1x4x4x1xf32>
}
