// Naive reference implementations, written from the definitions of the ops
// and independent of Halide: every candidate schedule is checked against them.
#ifndef TESSEL_KERNELS_REFERENCE_H
#define TESSEL_KERNELS_REFERENCE_H

#include "db/Signature.h"
#include "db/Status.h"

#include <vector>

namespace tessel {

/// Fails with the reason when no candidate of `task` could ever verify: a
/// family the reference does not cover (elementwise, reduction), or element
/// types and epilogue values that no kernel computes (f32 in and out; u8/s8
/// in and weights, i32 accumulation, i32 out or u8/s8 out through requant).
Status checkTunable(const TaskSignature &task);

/// Computes `task` on `inputs` (values of the arrays in kernelArrays() order,
/// without the output) into `output`, accumulating in double; every output
/// value is what the kernel should store: rounded to f32, or for integer
/// kernels requantized and saturated to the output type. Fails for families
/// it does not cover.
Status computeReference(const TaskSignature &task,
                        const std::vector<std::vector<double>> &inputs,
                        std::vector<double> &output);

/// The largest absolute error a correct kernel may show against the
/// reference: for fp32 with inputs in [-1, 1] it grows with the reduction
/// length; i32 results are exact; requantized ones may differ by one step
/// (the kernel scales in f32).
double referenceTolerance(const TaskSignature &task);

} // namespace tessel

#endif // TESSEL_KERNELS_REFERENCE_H
