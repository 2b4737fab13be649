// A task as MLIR: the linalg op, its padding and its epilogue, on tensors, as
// tessel-compile sees them in a model after its front end. The tuner measures
// the MLIR realizer on these functions, compiled by the same pipeline as a
// model, so that a record is a measurement of the code `tessel compile`
// emits; tessel-extract-tasks on one of them gives back the task (a test
// keeps the two in step).
//
// The function takes the task's arrays in kernelArrays() order (input,
// weights, bias, residual) and returns the output; tessel-compile lowers it
// to `void name(const float *input, ..., float *output)`.
#ifndef TESSEL_KERNELS_TASKMLIR_H
#define TESSEL_KERNELS_TASKMLIR_H

#include "db/Schedule.h"
#include "db/Signature.h"

#include <optional>
#include <string>
#include <vector>

namespace tessel {

/// The function `name` computing `task`, its op carrying `schedule` as its
/// `tessel.schedule` when given. Fails for tasks the MLIR realizer does not
/// realize (kernels/Plan.h: realizes()).
Result<std::string> taskFunctionMlir(const TaskSignature &task, const std::string &name,
                                     const std::optional<Schedule> &schedule);

/// A module holding `functions` (taskFunctionMlir texts).
std::string mlirModule(const std::vector<std::string> &functions);

} // namespace tessel

#endif // TESSEL_KERNELS_TASKMLIR_H
