// bf16 arithmetic.
func.func @forward(%a: tensor<16xbf16>, %b: tensor<16xbf16>) -> tensor<16xbf16> {
  %r = arith.addf %a, %b : tensor<16xbf16>
  return %r : tensor<16xbf16>
}
