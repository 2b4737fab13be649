// Two matmuls of one family: used by tessel-apply-schedules.test.
func.func @two(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>,
               %d: tensor<48x64xf32>, %e: tensor<48x64xf32>) -> (tensor<64x64xf32>, tensor<48x64xf32>) {
  %0 = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  %1 = linalg.matmul ins(%d, %b : tensor<48x64xf32>, tensor<64x64xf32>) outs(%e : tensor<48x64xf32>) -> tensor<48x64xf32>
  return %0, %1 : tensor<64x64xf32>, tensor<48x64xf32>
}
