// The accumulator of a register tile leaves the reduction loop (read before,
// write after, carried in iter_args) and the contraction becomes FMAs.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-lower-vectors | FileCheck %s

// CHECK-LABEL: func.func @tile
// CHECK:      %[[ACC:.*]] = vector.transfer_read %arg2[%c0, %c0]
// CHECK:      %[[R:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<4x16xf32>)
// CHECK-NOT:    vector.transfer_write
// CHECK-NOT:    vector.contract
// CHECK-COUNT-4: vector.fma {{.*}} : vector<16xf32>
// CHECK:        scf.yield
// CHECK:      vector.transfer_write %[[R]], %arg2[%c0, %c0]
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @tile(%A: memref<64x64xf32>, %B: memref<64x64xf32>, %C: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  %sub = memref.subview %C[0, 0] [4, 16] [1, 1] : memref<64x64xf32> to memref<4x16xf32, strided<[64, 1]>>
  scf.for %k = %c0 to %c64 step %c1 {
    %a = vector.transfer_read %A[%c0, %k], %z {in_bounds = [true, true]} : memref<64x64xf32>, vector<4x1xf32>
    %b = vector.transfer_read %B[%k, %c0], %z {in_bounds = [true, true]} : memref<64x64xf32>, vector<1x16xf32>
    %acc = vector.transfer_read %sub[%c0, %c0], %z {in_bounds = [true, true]} : memref<4x16xf32, strided<[64, 1]>>, vector<4x16xf32>
    %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %acc : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
    vector.transfer_write %r, %sub[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32, strided<[64, 1]>>
  }
  return
}

// A tile of 48 lanes (3 vectors) is cut into 16-lane pieces before the
// hoisting: three accumulators of vector<16xf32>, no 48-lane vector left for
// LLVM, which legalizes it badly.
// CHECK-LABEL: func.func @tile48
// CHECK:      scf.for {{.*}} -> (vector<1x16xf32>, vector<1x16xf32>, vector<1x16xf32>)
// CHECK-COUNT-3: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT:  vector<{{[0-9x]*}}48xf32>
// CHECK:      return
func.func @tile48(%A: memref<64x64xf32>, %B: memref<64x48xf32>, %C: memref<64x48xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  %sub = memref.subview %C[0, 0] [1, 48] [1, 1] : memref<64x48xf32> to memref<1x48xf32, strided<[48, 1]>>
  scf.for %k = %c0 to %c64 step %c1 {
    %a = vector.transfer_read %A[%c0, %k], %z {in_bounds = [true, true]} : memref<64x64xf32>, vector<1x1xf32>
    %b = vector.transfer_read %B[%k, %c0], %z {in_bounds = [true, true]} : memref<64x48xf32>, vector<1x48xf32>
    %acc = vector.transfer_read %sub[%c0, %c0], %z {in_bounds = [true, true]} : memref<1x48xf32, strided<[48, 1]>>, vector<1x48xf32>
    %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %acc : vector<1x1xf32>, vector<1x48xf32> into vector<1x48xf32>
    vector.transfer_write %r, %sub[%c0, %c0] {in_bounds = [true, true]} : vector<1x48xf32>, memref<1x48xf32, strided<[48, 1]>>
  }
  return
}

// CHECK-LABEL: func.func @tile116
// A peeled tail of 116 lanes: 29 accumulators of 4 lanes.
// CHECK:      scf.for {{.*}} -> (vector<1x4xf32>, {{(vector<1x4xf32>, )+}}vector<1x4xf32>)
// CHECK-COUNT-29: vector.fma {{.*}} : vector<4xf32>
// CHECK-NOT:  vector<{{[0-9x]*}}116xf32>
// CHECK:      return
func.func @tile116(%A: memref<64x64xf32>, %B: memref<64x116xf32>, %C: memref<64x116xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %z = arith.constant 0.0 : f32
  %sub = memref.subview %C[0, 0] [1, 116] [1, 1] : memref<64x116xf32> to memref<1x116xf32, strided<[116, 1]>>
  scf.for %k = %c0 to %c64 step %c1 {
    %a = vector.transfer_read %A[%c0, %k], %z {in_bounds = [true, true]} : memref<64x64xf32>, vector<1x1xf32>
    %b = vector.transfer_read %B[%k, %c0], %z {in_bounds = [true, true]} : memref<64x116xf32>, vector<1x116xf32>
    %acc = vector.transfer_read %sub[%c0, %c0], %z {in_bounds = [true, true]} : memref<1x116xf32, strided<[116, 1]>>, vector<1x116xf32>
    %r = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %acc : vector<1x1xf32>, vector<1x116xf32> into vector<1x116xf32>
    vector.transfer_write %r, %sub[%c0, %c0] {in_bounds = [true, true]} : vector<1x116xf32>, memref<1x116xf32, strided<[116, 1]>>
  }
  return
}
