// Arguments named by an importer (tessel.name) keep their names in the C
// header, made C identifiers; a keyword, a duplicate or a name taken by
// another argument's default falls back to argN / resultN.
// REQUIRES: mlir
// RUN: tessel-opt %s --tessel-emit-header=out=%t.h -o /dev/null
// RUN: FileCheck %s < %t.h
// RUN: cc -fsyntax-only -Wall -Werror -x c %t.h

// CHECK: void forward(const float *input_0, const float *_1x, const float *arg2, const float *arg3, const float *arg4, float *logits, float *result1);
// CHECK: {"input_0", "f32", 1, {4}, 0},
// CHECK: {"logits", "f32", 1, {4}, 1},
func.func @forward(%a: tensor<4xf32> {tessel.name = "input.0"},
                   %b: tensor<4xf32> {tessel.name = "1x"},
                   %c: tensor<4xf32> {tessel.name = "int"},
                   %d: tensor<4xf32> {tessel.name = "input.0"},
                   %e: tensor<4xf32> {tessel.name = "result1"})
    -> (tensor<4xf32> {tessel.name = "logits"}, tensor<4xf32>) {
  return %a, %b : tensor<4xf32>, tensor<4xf32>
}
