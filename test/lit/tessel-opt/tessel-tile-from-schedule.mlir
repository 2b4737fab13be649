// The schedule attribute alone drives tiling: cache tiles (the parallel loop
// as scf.forall), register tiles vectorized, a partial register tile peeled;
// NHWC convolutions decomposed to 1-D and vectorized along the channels; NCHW
// ops are refused (tessel-normalize-layout makes them NHWC first).
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-tile-from-schedule --split-input-file | FileCheck %s
// RUN: not tessel-opt %S/Inputs/nchw-schedule.mlir --tessel-tile-from-schedule -o /dev/null 2>&1 | FileCheck %s --check-prefix=DIAG
// DIAG: error: tessel-tile-from-schedule: NCHW ops are tiled in their NHWC form: run tessel-normalize-layout first

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

// CHECK-LABEL: func.func @conv_nhwc
// Filter rows and output rows tiled to 1, then vectorized along channels.
// CHECK: scf.for
// CHECK: vector.contract {{.*}} into vector<1x8x16xf32>
// CHECK-NOT: linalg.conv_2d
func.func @conv_nhwc(%x: tensor<1x10x10x4xf32>, %w: tensor<3x3x4x16xf32>, %o: tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32> {
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>,
      tessel.schedule = "{\22tile_inner\22:{\22f\22:16,\22ow\22:8},\22vector_dim\22:\22f\22,\22vector_width\22:16}"}
      ins(%x, %w : tensor<1x10x10x4xf32>, tensor<3x3x4x16xf32>) outs(%o : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %0 : tensor<1x8x8x16xf32>
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

// epilogue_at outer: the output's fill and the epilogue (bias + relu) are
// computed on each cache tile with the op, in the one buffer of that tile
// (the fill writes the result's slice; the epilogue writes over its input),
// vectorized along the innermost loop.
// CHECK-LABEL: func.func @epilogue_outer
// CHECK:      scf.forall (%{{.*}}) = (0) to (64) step (32) shared_outs(%[[OUT:.*]] = %{{.*}})
// CHECK:        %[[TILE:.*]] = tensor.extract_slice %[[OUT]]
// CHECK:        scf.for {{.*}} iter_args(%{{.*}} = %[[TILE]])
// CHECK:          vector.transfer_write %{{.*}} : vector<1x32xf32>
// CHECK:        vector.contract {{.*}} into vector<4x16xf32>
// CHECK:        arith.addf {{.*}} : vector<1x32xf32>
// CHECK:        arith.maximumf {{.*}} : vector<1x32xf32>
// CHECK:        tensor.parallel_insert_slice
// CHECK-NOT: linalg.
func.func @epilogue_outer(%a: tensor<64x64xf32>, %b: tensor<64x32xf32>, %bias: tensor<32xf32>) -> tensor<64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x32xf32>) -> tensor<64x32xf32>
  %0 = linalg.matmul {tessel.schedule = "{\22epilogue_at\22:\22outer\22,\22order\22:[\22m\22,\22n\22],\22parallel\22:[\22m\22],\22tile_inner\22:{\22m\22:4,\22n\22:16},\22tile_outer\22:{\22m\22:32}}"}
      ins(%a, %b : tensor<64x64xf32>, tensor<64x32xf32>) outs(%init : tensor<64x32xf32>) -> tensor<64x32xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%0, %bias : tensor<64x32xf32>, tensor<32xf32>) outs(%empty : tensor<64x32xf32>) {
  ^bb0(%x: f32, %c: f32, %o: f32):
    %s = arith.addf %x, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  return %1 : tensor<64x32xf32>
}

// -----

// epilogue_at outer with a peeled partial vector tile of the epilogue (64 +
// 36 of each 100 columns): both vector tiles are written into the cache tile,
// which is inserted into the output whole (MLIR 19's insert_slice folder
// wrote the partial tile alone into the output and lost the first 64
// columns).
// CHECK-LABEL: func.func @epilogue_outer_partial
// CHECK:      scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[OUT:.*]] = %{{.*}})
// CHECK:        arith.addf {{.*}} : vector<1x64xf32>
// CHECK:        %[[W:.*]] = vector.transfer_write %{{.*}} : vector<1x64xf32>, tensor<1x100xf32>
// CHECK:        arith.addf {{.*}} : vector<1x36xf32>
// CHECK:        %[[P:.*]] = vector.transfer_write %{{.*}}, %[[W]]{{.*}} : vector<1x36xf32>, tensor<1x100xf32>
// CHECK:        tensor.insert_slice %[[P]] into %[[OUT]][0, %[[J]]] [1, 100]
func.func @epilogue_outer_partial(%a: tensor<1x16xf32>, %b: tensor<16x200xf32>, %bias: tensor<200xf32>) -> tensor<1x200xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<1x200xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x200xf32>) -> tensor<1x200xf32>
  %0 = linalg.matmul {tessel.schedule = "{\22epilogue_at\22:\22outer\22,\22order\22:[\22n\22,\22m\22],\22tile_inner\22:{\22n\22:20},\22tile_outer\22:{\22n\22:100}}"}
      ins(%a, %b : tensor<1x16xf32>, tensor<16x200xf32>) outs(%init : tensor<1x200xf32>) -> tensor<1x200xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%0, %bias : tensor<1x200xf32>, tensor<200xf32>) outs(%empty : tensor<1x200xf32>) {
  ^bb0(%x: f32, %c: f32, %o: f32):
    %s = arith.addf %x, %c : f32
    linalg.yield %s : f32
  } -> tensor<1x200xf32>
  return %1 : tensor<1x200xf32>
}

// -----

// epilogue_at root: the fill and the epilogue stay ops over the whole output.
// CHECK-LABEL: func.func @epilogue_root
// CHECK:      linalg.fill
// CHECK:      scf.forall
// CHECK:        vector.contract
// CHECK:      linalg.generic
func.func @epilogue_root(%a: tensor<64x64xf32>, %b: tensor<64x32xf32>, %bias: tensor<32xf32>) -> tensor<64x32xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x32xf32>) -> tensor<64x32xf32>
  %0 = linalg.matmul {tessel.schedule = "{\22epilogue_at\22:\22root\22,\22order\22:[\22m\22,\22n\22],\22parallel\22:[\22m\22],\22tile_inner\22:{\22m\22:4,\22n\22:16},\22tile_outer\22:{\22m\22:32}}"}
      ins(%a, %b : tensor<64x64xf32>, tensor<64x32xf32>) outs(%init : tensor<64x32xf32>) -> tensor<64x32xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%0, %bias : tensor<64x32xf32>, tensor<32xf32>) outs(%empty : tensor<64x32xf32>) {
  ^bb0(%x: f32, %c: f32, %o: f32):
    %s = arith.addf %x, %c : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<64x32xf32>
  return %1 : tensor<64x32xf32>
}

// -----

// Packed weights (packing weights, pack_at outer): each cache tile copies its
// 64x32 block of %b into blocks of the 16-column register tile (2x64x16, each
// block a cache line longer); the register tiles read their block, and
// other readers of %b (here the return) read %b.
// CHECK-LABEL: func.func @packed_weights
// CHECK:      scf.forall
// CHECK:        tensor.expand_shape {{.*}} into tensor<64x2x16xf32>
// CHECK:        tensor.empty() : tensor<2x65x16xf32>
// CHECK:        vector.transfer_read {{.*}} : tensor<64x2x16xf32>, vector<1x1x16xf32>
// CHECK:        vector.transfer_write {{.*}} : vector<1x1x16xf32>, tensor<2x64x16xf32>
// CHECK:        tensor.insert_slice {{.*}} into tensor<2x65x16xf32>
// CHECK:        vector.transfer_read {{.*}} : tensor<2x65x16xf32>, vector<1x16xf32>
// CHECK:        vector.contract
// CHECK:      return %{{.*}}, %arg1 :
func.func @packed_weights(%a: tensor<64x64xf32>, %b: tensor<64x32xf32>) -> (tensor<64x32xf32>, tensor<64x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<64x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<64x32xf32>) -> tensor<64x32xf32>
  %0 = linalg.matmul {tessel.schedule = "{\22epilogue_at\22:\22outer\22,\22order\22:[\22m\22,\22n\22],\22packing\22:\22weights\22,\22pack_at\22:\22outer\22,\22parallel\22:[\22m\22],\22tile_inner\22:{\22m\22:4,\22n\22:16},\22tile_outer\22:{\22m\22:32}}"}
      ins(%a, %b : tensor<64x64xf32>, tensor<64x32xf32>) outs(%init : tensor<64x32xf32>) -> tensor<64x32xf32>
  return %0, %b : tensor<64x32xf32>, tensor<64x32xf32>
}

// -----

// A padded input whose pixels span 1 KiB (256 channels) is padded by one
// more cache line of channels, which the register tiles never read.
// CHECK-LABEL: func.func @staggered_pixels
// CHECK:      tensor.pad {{.*}} low[0, 1, 1, 0] high[0, 1, 1, 16]
// CHECK:      } : tensor<1x4x4x256xf32> to tensor<1x6x6x272xf32>
// CHECK:      vector.transfer_read %padded{{.*}} : tensor<1x6x6x272xf32>, vector<1x4x1xf32>
func.func @staggered_pixels(%x: tensor<1x4x4x256xf32>, %w: tensor<3x3x256x16xf32>) -> tensor<1x4x4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %x low[0, 1, 1, 0] high[0, 1, 1, 0] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x4x256xf32> to tensor<1x6x6x256xf32>
  %empty = tensor.empty() : tensor<1x4x4x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>,
      tessel.schedule = "{\22epilogue_at\22:\22outer\22,\22packing\22:\22inputs\22,\22tile_inner\22:{\22f\22:16,\22ow\22:4}}"}
      ins(%padded, %w : tensor<1x6x6x256xf32>, tensor<3x3x256x16xf32>) outs(%init : tensor<1x4x4x16xf32>) -> tensor<1x4x4x16xf32>
  return %0 : tensor<1x4x4x16xf32>
}
