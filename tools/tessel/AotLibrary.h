// A kernel library: every task with a usable best record for a target in a
// schedule database, its Halide kernel compiled ahead of time with that
// schedule, C adapters, one Halide runtime, one archive and one header.
// Used by `tessel aot` and by `tessel compile --kernels halide`.
#ifndef TESSEL_TOOLS_AOTLIBRARY_H
#define TESSEL_TOOLS_AOTLIBRARY_H

#include "db/Signature.h"
#include "db/Status.h"
#include "db/Target.h"

#include <string>
#include <vector>

namespace tessel {

struct AotKernelInfo {
  std::string signature, taskHash, function, scheduleId;
  double medianSec = 0;
  std::string machineCpu;
  int64_t threads = 1;
};

struct AotLibrary {
  std::vector<AotKernelInfo> kernels;
  std::vector<std::string> skipped; ///< "signature: reason"
};

/// Builds OUTDIR/libtessel_kernels.a, OUTDIR/tessel_kernels.h and its table
/// as data, OUTDIR/tessel_kernels.json (db/KernelTable.h), for
/// `preset`: per task, the Halide record the record-choice policy
/// (kernels/Choice.h, --kernels halide) picks among those of `dbPath`
/// measured on `threads` threads (records of the MLIR realizer are not
/// Halide kernels). Tasks without a Halide kernel or whose kernel does not
/// compile are listed in `skipped`.
Result<AotLibrary> buildKernelLibrary(const std::string &dbPath,
                                      const TargetPreset &preset,
                                      const std::string &outDir, int threads = 1);

} // namespace tessel

#endif // TESSEL_TOOLS_AOTLIBRARY_H
