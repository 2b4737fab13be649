// The one way MLIR on tensors becomes an object file: `tessel compile` (a
// model) and the tuner's MLIR measurements (a batch of candidates) run the
// same commands, so that what is measured is what a model runs.
#ifndef TESSEL_DB_TOOLCHAIN_H
#define TESSEL_DB_TOOLCHAIN_H

#include "db/Status.h"
#include "db/Target.h"

#include <string>
#include <vector>

namespace tessel {

/// The commands, to run in one directory, that compile `input` (MLIR) into
/// the object `stem`.o for `preset`: tessel-opt with the tessel-compile
/// pipeline for the target and `pipelineOptions` (e.g. "threads=2
/// report=r.txt"), writing `stem`.llvm.mlir; tessel-translate to bitcode
/// (weights stay raw bytes); LLVM 19's opt -O3 and llc. The object calls
/// the model runtime's allocator: link compileModelRuntime()'s object too.
std::vector<std::vector<std::string>> mlirObjectSteps(const std::string &input,
                                                      const std::string &stem,
                                                      const std::string &pipelineOptions,
                                                      const TargetPreset &preset);

/// Compiles the runtime compiled code needs (ModelRuntime.c: the allocator
/// the pipeline's allocations call) for `preset` into `dir`/`object`.
Status compileModelRuntime(const TargetPreset &preset, const std::string &dir,
                           const std::string &object);

/// Runs `steps` in `cwd`, stopping at the first that fails (its error,
/// with where it died if it crashed). Each step's stderr goes to a file in
/// `cwd` and then to this process's stderr: whole when the step succeeded
/// or with `verbose`, else its head (diagnosticHead: no IR or stack dumps).
Status runSteps(const std::vector<std::vector<std::string>> &steps,
                const std::string &cwd, bool verbose = false);

} // namespace tessel

#endif // TESSEL_DB_TOOLCHAIN_H
