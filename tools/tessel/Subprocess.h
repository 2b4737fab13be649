// Running the external tools `tessel` drives (tessel-opt, LLVM 19's
// mlir-translate / opt / llc / llvm-ar, C compilers), and small file helpers.
#ifndef TESSEL_TOOLS_SUBPROCESS_H
#define TESSEL_TOOLS_SUBPROCESS_H

#include "db/Status.h"

#include <string>
#include <vector>

namespace tessel {

/// Runs `argv` in directory `cwd` (stdout to `outFile` if given; stderr
/// passes through); the error names the tool and how it failed.
Status runTool(const std::vector<std::string> &argv, const std::string &cwd,
               const std::string &outFile = "");
/// The directory of the running executable (tessel-opt lives there too).
std::string selfDir();
/// An LLVM 19 tool: /usr/lib/llvm-19/bin/NAME if present, else NAME-19.
std::string llvmTool(const std::string &name);
/// The C compiler that builds objects for `arch` ("x86_64", "aarch64") on
/// this machine: cc natively, aarch64-linux-gnu-gcc for arm64 from x86.
/// Fails, saying which package to install, when it is missing.
Result<std::string> cCompilerFor(const std::string &arch);
/// The whole file; the error names the path.
Result<std::string> readFile(const std::string &path);
/// A fresh scratch directory under $TMPDIR.
Result<std::string> makeScratchDir(const std::string &prefix);

} // namespace tessel

#endif // TESSEL_TOOLS_SUBPROCESS_H
