// A malformed schedule attribute.
func.func @bad(%a: tensor<16x16xf32>, %b: tensor<16x16xf32>, %c: tensor<16x16xf32>) -> tensor<16x16xf32> {
  // the schedule names a key that does not exist
  %0 = linalg.matmul {tessel.schedule = "{\22tiles\22:3}"} ins(%a, %b : tensor<16x16xf32>, tensor<16x16xf32>) outs(%c : tensor<16x16xf32>) -> tensor<16x16xf32>
  return %0 : tensor<16x16xf32>
}
