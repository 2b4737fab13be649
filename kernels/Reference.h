// Naive reference implementations, written from the definitions of the ops
// and independent of Halide: every candidate schedule is checked against them.
#ifndef TESSEL_KERNELS_REFERENCE_H
#define TESSEL_KERNELS_REFERENCE_H

#include "db/Signature.h"
#include "db/Status.h"

#include <vector>

namespace tessel {

/// Computes `task` on `inputs` (in kernelArrays() order, without the output)
/// into `output`, accumulating in double. Fails for families it does not
/// cover.
Status computeReference(const TaskSignature &task,
                        const std::vector<const float *> &inputs,
                        float *output);

/// The largest absolute error a correct fp32 kernel may show against the
/// reference for inputs in [-1, 1]: grows with the reduction length.
double referenceTolerance(const TaskSignature &task);

} // namespace tessel

#endif // TESSEL_KERNELS_REFERENCE_H
