// An NCHW convolution with a schedule: tessel-tile-from-schedule refuses it.
func.func @conv_nchw(%x: tensor<1x4x10x10xf32>, %w: tensor<16x4x3x3xf32>, %o: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %0 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>,
      tessel.schedule = "{\22tile_inner\22:{\22f\22:16,\22ow\22:8},\22vector_dim\22:\22f\22,\22vector_width\22:16}"}
      ins(%x, %w : tensor<1x4x10x10xf32>, tensor<16x4x3x3xf32>) outs(%o : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %0 : tensor<1x16x8x8xf32>
}
