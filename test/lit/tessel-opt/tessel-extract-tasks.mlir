// After the front end of tessel-compile (elementwise fusion, layout
// normalization to NHWC), tunable ops
// become deduplicated tasks with counts; a zero pad producer is
// folded into the signature, a bias+relu chain into the epilogue; every
// tunable op is annotated with its signature.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-extract-tasks=out=%t.json | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --check-prefix=JSON < %t.json
// RUN: tessel-opt %s --tessel-extract-tasks -o /dev/null | FileCheck %s --check-prefix=JSON
// RUN: tessel-opt %s --tessel-extract-tasks=out=/dev/null -o /dev/null 2>&1 | FileCheck %s --check-prefix=DIAG

// DIAG: tessel-extract-tasks.mlir:68:8: remark: not a tessel task: dynamic shapes are not tunable

// IR: linalg.matmul {tessel.task = "matmul m=4 n=16 k=8 epilogue=bias+relu"}
// The NCHW convolution is a task in its NHWC form (tessel-normalize-layout):
// the loop nest that tessel-compile tiles.
// IR: linalg.conv_2d_nhwc_hwcf {dilations = {{.*}}, tessel.task = "conv2d n=1 h=8 w=8 c=4 f=8 kh=3 kw=3 pad=1,1,1,1"}

// JSON: "format": "tessel-tasks"
// JSON: "count": 2,
// JSON-NEXT: "flops": 1024.0,
// JSON-NEXT: "hash": "{{[0-9a-f]+}}",
// JSON-NEXT: "signature": "matmul m=4 n=16 k=8 epilogue=bias+relu"
// JSON: "count": 1,
// JSON: "signature": "conv2d n=1 h=8 w=8 c=4 f=8 kh=3 kw=3 pad=1,1,1,1"
// JSON-NOT: "signature"

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %b2: tensor<8x16xf32>, %bias: tensor<16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m, %bias : tensor<4x16xf32>, tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %c = arith.cmpf ugt, %s, %z : f32
    %v = arith.select %c, %s, %z : f32
    linalg.yield %v : f32
  } -> tensor<4x16xf32>
  %m2 = linalg.matmul ins(%a, %b2 : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%m2, %bias : tensor<4x16xf32>, tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %v = arith.maximumf %s, %z : f32
    linalg.yield %v : f32
  } -> tensor<4x16xf32>
  return %r, %r2 : tensor<4x16xf32>, tensor<4x16xf32>
}

func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x8x8xf32> {
  %z = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %z : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%p, %w : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%f : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %c : tensor<1x8x8x8xf32>
}

func.func @dynamic(%a: tensor<?x8xf32>, %b: tensor<8x16xf32>, %c: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %m = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x16xf32>) outs(%c : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %m : tensor<?x16xf32>
}
