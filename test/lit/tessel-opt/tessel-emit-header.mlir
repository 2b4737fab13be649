// The C interface: inputs as const pointers, results as out-parameters,
// shapes in comments and in the entry table; dynamic shapes are an error.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-emit-header=out=%t.h -o /dev/null
// RUN: FileCheck %s < %t.h
// RUN: cc -fsyntax-only -Wall -Werror -x c %t.h
// RUN: not tessel-opt %S/Inputs/dynamic-entry.mlir --tessel-emit-header=out=%t2.h 2>&1 | FileCheck %s --check-prefix=DYN

// CHECK: /// forward
// CHECK-NEXT: ///   arg0: f32 1x3x8x8
// CHECK-NEXT: ///   arg1: i32 4
// CHECK-NEXT: ///   result0 (out): f32 1x10
// CHECK-NEXT: void forward(const float *arg0, const int32_t *arg1, float *result0);
// CHECK: static inline int forward_checked(
// CHECK: {"forward", 3, forward_args, forward_call},
// CHECK-NOT: helper
// CHECK: tessel_num_entries = 1;
// DYN: dynamic-entry.mlir:2:1: error: tessel-emit-header: `arg0` of type 'tensor<?x4xf32>' has no C form
func.func @forward(%x: tensor<1x3x8x8xf32>, %y: tensor<4xi32>) -> tensor<1x10xf32> {
  %0 = tensor.empty() : tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
