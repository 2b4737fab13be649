// The tessel-compile pipeline (see Pipeline.cpp).
#ifndef TESSEL_PASSES_PIPELINE_H
#define TESSEL_PASSES_PIPELINE_H

#include <string>

namespace tessel {

/// The front end of tessel-compile, as the contents of a builtin.module
/// pipeline: TOSA to linalg, elementwise fusion, then (with `normalize`) the
/// layout normalization to NHWC and the trimming of filter taps that only
/// read padding. tessel-extract-tasks runs it too, so that
/// the tasks are the ops tessel-compile will tile. The baseline lowering
/// runs it without normalization: the reference stays upstream's own.
std::string frontEndPipeline(bool normalize = true);

/// The textual pass pipeline of tessel-compile, anchored on builtin.module.
std::string compilePipeline(const std::string &db, const std::string &target,
                            const std::string &report, const std::string &header,
                            bool baseline, bool barePtr,
                            const std::string &kernels = "mlir",
                            const std::string &kernelLib = "",
                            bool scalable = false, unsigned threads = 1,
                            bool runtimeAlloc = false);

/// Registers the `tessel-compile` pipeline.
void registerCompilePipeline();

} // namespace tessel

#endif // TESSEL_PASSES_PIPELINE_H
