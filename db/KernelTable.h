// The kernels of an ahead-of-time library (tessel aot): which task each C
// function computes. Written beside the library as tessel_kernels.json and
// read by tessel-apply-schedules (kernel-lib=) to call them; the header's
// table is for C callers.
#ifndef TESSEL_DB_KERNELTABLE_H
#define TESSEL_DB_KERNELTABLE_H

#include "db/Status.h"

#include <map>
#include <string>

namespace tessel {

/// The C function name of the Halide kernel of the task whose hash is
/// `taskHash` ("tessel_k_" and its first 16 hex digits).
std::string kernelFunctionName(const std::string &taskHash);

/// Canonical signature -> C function.
using KernelTable = std::map<std::string, std::string>;

/// The table as tessel_kernels.json: {"format": "tessel-kernels", "version":
/// 1, "target": T, "kernels": [{"signature", "function"}]}.
std::string kernelTableJson(const std::string &target,
                            const KernelTable &table);

/// Reads a tessel_kernels.json; the error names the file.
Result<KernelTable> readKernelTable(const std::string &path);

} // namespace tessel

#endif // TESSEL_DB_KERNELTABLE_H
