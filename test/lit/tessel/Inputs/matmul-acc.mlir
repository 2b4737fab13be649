// A matmul accumulating into an input, with sizes that no vector length
// divides: C + A x B, 37x45 times 45x83.
func.func @mm(%a: tensor<37x45xf32>, %b: tensor<45x83xf32>, %c: tensor<37x83xf32>) -> tensor<37x83xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<37x45xf32>, tensor<45x83xf32>) outs(%c : tensor<37x83xf32>) -> tensor<37x83xf32>
  return %r : tensor<37x83xf32>
}
