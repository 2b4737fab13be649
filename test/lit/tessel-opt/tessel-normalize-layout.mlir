// NCHW convolutions and poolings become NHWC ops, and the activations between
// them stay NHWC: one transpose in (the model's input, transposed before its
// pad), none inside, one out where an op outside the NHWC region reads.
// Constant filters and constant transposes are laid out at compile time.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-normalize-layout --canonicalize --cse --split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
#bcast = affine_map<(d0, d1, d2, d3) -> (0, d1, d2, d3)>
// CHECK-DAG: #[[TOHWC:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CHAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-DAG: #[[BCAST:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d1, d2, d3)>
// CHECK-DAG: #[[TOCHW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
// CHECK-LABEL: func.func @block
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xf32>, %[[W:.*]]: tensor<8x4x3x3xf32>, %[[B:.*]]: tensor<8xf32>)
// The input, transposed once, then padded in NHWC.
// CHECK: %[[XT:.*]] = linalg.generic {indexing_maps = [#[[TOHWC]], #[[ID]]]{{.*}} ins(%[[X]] : tensor<1x4x8x8xf32>) outs(%{{.*}} : tensor<1x8x8x4xf32>)
// CHECK: %[[P:.*]] = tensor.pad %[[XT]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// A filter that is not a constant is transposed to HWCF.
// CHECK: %[[WT:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<8x4x3x3xf32>) outs(%{{.*}} : tensor<3x3x4x8xf32>)
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[P]], %[[WT]] : tensor<1x10x10x4xf32>, tensor<3x3x4x8xf32>) outs(%{{.*}} : tensor<1x8x8x8xf32>)
// The bias + relu generic iterates over NHWC; the bias runs along channels.
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[BCAST]], #[[CHAN]], #[[ID]]]{{.*}} ins(%[[C]], %[[B]] : tensor<1x8x8x8xf32>, tensor<8xf32>) outs(%{{.*}} : tensor<1x8x8x8xf32>)
// The pool reads it directly (its -inf pad in NHWC too).
// CHECK: %[[RP:.*]] = tensor.pad %[[R]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// CHECK: %[[M:.*]] = linalg.pooling_nhwc_max {{.*}} ins(%[[RP]], %{{.*}} : tensor<1x10x10x8xf32>, tensor<3x3xf32>) outs(%{{.*}} : tensor<1x4x4x8xf32>)
// Channel concatenation in NHWC: the second slice at channel offset 8.
// CHECK: %[[S0:.*]] = tensor.insert_slice %[[M]] into %{{.*}}[0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x16xf32>
// CHECK: %[[S1:.*]] = tensor.insert_slice %[[M]] into %[[S0]][0, 0, 0, 8] [1, 4, 4, 8] [1, 1, 1, 1]
// The only transpose back: the result the function returns.
// CHECK: %[[BACK:.*]] = linalg.generic {indexing_maps = [#[[TOCHW]], #[[ID]]]{{.*}} ins(%[[S1]] : tensor<1x4x4x16xf32>) outs(%{{.*}} : tensor<1x16x4x4xf32>)
// CHECK-NOT: nchw
// CHECK: return %[[BACK]]
func.func @block(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x16x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant -3.40282347E+38 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%xp, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %r = linalg.generic {indexing_maps = [#bcast, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %b : tensor<1x8x8x8xf32>, tensor<8xf32>) outs(%e : tensor<1x8x8x8xf32>) {
  ^bb0(%in: f32, %bias: f32, %out: f32):
    %s = arith.addf %in, %bias : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x8xf32>
  %rp = tensor.pad %r low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %ninf : f32
  } : tensor<1x8x8x8xf32> to tensor<1x8x10x10xf32>
  %pe = tensor.empty() : tensor<1x8x4x4xf32>
  %pf = linalg.fill ins(%ninf : f32) outs(%pe : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %win = tensor.empty() : tensor<3x3xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%rp, %win : tensor<1x8x10x10xf32>, tensor<3x3xf32>) outs(%pf : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %ce = tensor.empty() : tensor<1x16x4x4xf32>
  %s0 = tensor.insert_slice %p into %ce[0, 0, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : tensor<1x8x4x4xf32> into tensor<1x16x4x4xf32>
  %s1 = tensor.insert_slice %p into %s0[0, 8, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : tensor<1x8x4x4xf32> into tensor<1x16x4x4xf32>
  return %s1 : tensor<1x16x4x4xf32>
}

// -----

// Depthwise convolution and sum pooling; a constant filter is transposed at
// compile time (W[c][kh][kw] becomes W'[kh][kw][c]); a classifier input of
// C x 1 x 1 is flattened straight from NHWC (the same elements in order).
// CHECK-LABEL: func.func @depthwise_pool_flatten
// CHECK: arith.constant dense<{{\[\[\[}}1.000000e+00, 2.000000e+00]]]> : tensor<1x1x2xf32>
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x4x2xf32>, tensor<1x1x2xf32>)
// CHECK: linalg.pooling_nhwc_sum {{.*}} outs(%{{.*}} : tensor<1x1x1x2xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3]] : tensor<1x1x1x2xf32> into tensor<1x2xf32>
// CHECK-NOT: nchw
func.func @depthwise_pool_flatten(%x: tensor<1x2x4x4xf32>) -> tensor<1x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %d = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) outs(%f : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %pe = tensor.empty() : tensor<1x2x1x1xf32>
  %pf = linalg.fill ins(%zero : f32) outs(%pe : tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32>
  %win = tensor.empty() : tensor<4x4xf32>
  %p = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%d, %win : tensor<1x2x4x4xf32>, tensor<4x4xf32>) outs(%pf : tensor<1x2x1x1xf32>) -> tensor<1x2x1x1xf32>
  %flat = tensor.collapse_shape %p [[0], [1, 2, 3]] : tensor<1x2x1x1xf32> into tensor<1x2xf32>
  return %flat : tensor<1x2xf32>
}

// -----

// A linear layer's weights, stored [out][in] and transposed by a generic:
// the transposed constant is computed here (dense resources too).
// CHECK-LABEL: func.func @constant_transpose
// CHECK: %[[T:.*]] = arith.constant dense_resource<tessel_permuted> : tensor<2x1xf32>
// CHECK-NOT: linalg.generic
// CHECK: linalg.matmul ins(%{{.*}}, %[[T]] : tensor<1x2xf32>, tensor<2x1xf32>)
// CHECK: tessel_permuted: "0x080000000000803F00000040"
func.func @constant_transpose(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %w = arith.constant dense_resource<w> : tensor<1x2xf32>
  %e = tensor.empty() : tensor<2x1xf32>
  %t = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1, d0)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<1x2xf32>) outs(%e : tensor<2x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<2x1xf32>
  %zero = arith.constant 0.0 : f32
  %o = tensor.empty() : tensor<1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%o : tensor<1x1xf32>) -> tensor<1x1xf32>
  %m = linalg.matmul ins(%x, %t : tensor<1x2xf32>, tensor<2x1xf32>) outs(%f : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %m : tensor<1x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F00000040"
    }
  }
#-}

// -----

// An NHWC model is left as it is.
// CHECK-LABEL: func.func @already_nhwc
// CHECK-NEXT: linalg.conv_2d_nhwc_hwcf
// CHECK-NEXT: return
func.func @already_nhwc(%x: tensor<1x4x4x2xf32>, %w: tensor<1x1x2x2xf32>, %o: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2x2xf32>) outs(%o : tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32>
  return %c : tensor<1x4x4x2xf32>
}

// -----

// A classifier flattening C x H x W: it flattens the NHWC form instead, its
// constant weight rows permuted the same way at compile time (row c*4+h*2+w
// moves to (h*2+w)*2+c), so that no transpose is left before it.
// CHECK-LABEL: func.func @classifier
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}0.000000e+00], [4.000000e+00], [1.000000e+00], [5.000000e+00], [2.000000e+00], [6.000000e+00], [3.000000e+00], [7.000000e+00]]> : tensor<8x1xf32>
// CHECK-DAG: %[[P:.*]] = linalg.pooling_nhwc_max
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[P]] {{\[\[}}0], [1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<1x8xf32>
// CHECK: linalg.matmul ins(%[[F]], %[[W]] : tensor<1x8xf32>, tensor<8x1xf32>)
// CHECK-NOT: linalg.generic
func.func @classifier(%x: tensor<1x2x4x4xf32>) -> tensor<1x1xf32> {
  %ninf = arith.constant -3.40282347E+38 : f32
  %zero = arith.constant 0.0 : f32
  %pe = tensor.empty() : tensor<1x2x2x2xf32>
  %pf = linalg.fill ins(%ninf : f32) outs(%pe : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %win = tensor.empty() : tensor<2x2xf32>
  %p = linalg.pooling_nchw_max {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
      ins(%x, %win : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%pf : tensor<1x2x2x2xf32>) -> tensor<1x2x2x2xf32>
  %flat = tensor.collapse_shape %p [[0], [1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<1x8xf32>
  %w = arith.constant dense<[[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0]]> : tensor<8x1xf32>
  %o = tensor.empty() : tensor<1x1xf32>
  %f = linalg.fill ins(%zero : f32) outs(%o : tensor<1x1xf32>) -> tensor<1x1xf32>
  %m = linalg.matmul ins(%flat, %w : tensor<1x8xf32>, tensor<8x1xf32>) outs(%f : tensor<1x1xf32>) -> tensor<1x1xf32>
  return %m : tensor<1x1xf32>
}
