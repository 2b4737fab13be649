// Halide kernels: one algorithm per op family, defined from a task signature.
//
// Map of kernels/:
//   Kernel.h      this file: the algorithm of a task as Halide Funcs
//   Realizer.h    the Halide realizer: a Schedule applied to a Kernel
//   Reference.h   naive C++ reference implementations, for verification
//   Runner.h      JIT compilation, binding of buffers, timing
//   Heuristic.h   the built-in default schedule per family
//   HalideInfo.h  Halide version and autoscheduler plugin paths
//
// Memory layout (the C ABI of every kernel): dense arrays, row-major in the
// signature's layout, e.g. NHWC input [n][h][w][c], HWCF filter
// [kh][kw][c][f], matmul A [m][k], B [k][n] (B [n][k] for layout nt), output
// [m][n]. Halide dimensions are listed innermost first, so the Halide shape is
// the reverse of the row-major shape.
//
// Loop names used by schedules (innermost storage dimension first):
//   matmul            pure n, m          reduction k
//   batch_matmul      pure n, m, b       reduction k
//   conv2d nhwc       pure f, ow, oh, n  reduction c, kw, kh
//   conv2d nchw       pure ow, oh, f, n  reduction c, kw, kh
//   depthwise / pool  nhwc: pure c, ow, oh, n; nchw: pure ow, oh, c, n;
//                     reduction kw, kh
//   elementwise / reduction generics are not Halide kernels (yet).
//
// Integer kernels: acc = sum((in - izp) * (wt - wzp)) in i32; padding holds
// the input zero point (so it adds nothing). Epilogue items before requant
// act on the i32 accumulator (bias is i32), clamp after it on the output.
//
// Halide reports errors by exceptions; every function here catches them and
// returns a Status/Result instead.
#ifndef TESSEL_KERNELS_KERNEL_H
#define TESSEL_KERNELS_KERNEL_H

#include "db/Signature.h"
#include "db/Status.h"
#include "kernels/Arrays.h"
#include "kernels/Loops.h"

#include <Halide.h>
#include <string>
#include <vector>

namespace tessel {

/// The Halide type of an element type name (f32, i32, u8, s8).
Halide::Type halideType(const std::string &type);

/// True for the families that have a Halide kernel.
bool hasHalideKernel(OpFamily family);

/// The Halide algorithm of one task.
struct Kernel {
  TaskSignature task;
  std::vector<Halide::ImageParam> inputs; ///< in kernelArrays() order
  Halide::Func acc;    ///< pure init + one reduction update
  Halide::Func output; ///< epilogue(acc)
  Halide::Func padded; ///< the padded input (windowed families), else undefined
  /// Loop names and extents (describeLoops(task)); `pure` and `red` below
  /// follow the same order.
  LoopNest loops;
  /// Pure loop variables of acc/output, innermost first.
  std::vector<Halide::Var> pure;
  /// Reduction domain of acc's update, innermost first.
  Halide::RDom red;
  /// Index of the pure dimension that is the output channel (bias axis).
  int channelDim = 0;
};

/// Defines the algorithm of `task`. Fails for families without a Halide
/// kernel and for unsupported element types or epilogues. Element types:
/// f32 everywhere; u8/s8 inputs and weights with i32 accumulation for
/// matmul, batch_matmul, conv2d, depthwise_conv2d (output i32, or u8/s8
/// through requant:SCALE:ZP) and pool_max (output in the input type).
Result<Kernel> defineKernel(const TaskSignature &task);

} // namespace tessel

#endif // TESSEL_KERNELS_KERNEL_H
