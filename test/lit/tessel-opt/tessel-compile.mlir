// The named pipeline: TOSA in, LLVM dialect out, entry points on bare
// pointers with results as out-parameters; the baseline skips schedules;
// threads=N runs the parallel loops on N OpenMP threads.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-compile="target=x86-64-avx512 report=%t.txt" | FileCheck %s
// RUN: FileCheck %s --check-prefix=REPORT < %t.txt
// RUN: tessel-opt %s --tessel-compile="baseline=1" | FileCheck %s --check-prefix=BASE
// RUN: tessel-opt %s --tessel-compile="bare-ptr=0" | FileCheck %s --check-prefix=DESC
// RUN: tessel-opt %s --tessel-compile="threads=2" | FileCheck %s --check-prefix=OMP

// CHECK: module attributes {llvm.target_triple = "x86_64-unknown-linux-gnu", tessel.target = "x86-64-avx512"}
// CHECK: llvm.func @fc(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr)
// CHECK: llvm.intr.fmuladd{{.*}}vector<{{(16|32)}}xf32>
// CHECK-NOT: linalg.
// CHECK-NOT: vector.contract
// REPORT: tessel-compile.mlir":{{[0-9]+}}:{{[0-9]+}}): default {{[0-9a-f]+}} batch_matmul b=1 m=32 n=64 k=16
// REPORT: summary: tuned=0 nearest=0 default=1 given=0
// BASE: llvm.func @fc(
// BASE-NOT: vector<{{(16|32)}}xf32>
// DESC: llvm.func @fc(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: i64
// With threads=2 the schedule's parallel loop is an OpenMP loop on 2 threads.
// OMP: llvm.func @fc(
// OMP: %[[N:.*]] = llvm.mlir.constant(2 : i32) : i32
// OMP: omp.parallel num_threads(%[[N]] : i32)
// OMP-NEXT: omp.wsloop
// OMP-NEXT: omp.loop_nest
// OMP: llvm.intr.fmuladd{{.*}}vector<{{(16|32)}}xf32>
func.func @fc(%a: tensor<1x32x16xf32>, %b: tensor<1x16x64xf32>) -> tensor<1x32x64xf32> {
  %0 = tosa.matmul %a, %b : (tensor<1x32x16xf32>, tensor<1x16x64xf32>) -> tensor<1x32x64xf32>
  return %0 : tensor<1x32x64xf32>
}
