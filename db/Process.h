// Running external tools (tessel-opt, tessel-translate; LLVM 19's opt, llc and
// llvm-ar; C compilers; runners) and small file helpers, for every folder.
#ifndef TESSEL_DB_PROCESS_H
#define TESSEL_DB_PROCESS_H

#include "db/Status.h"

#include <string>
#include <vector>

namespace tessel {

/// How a process died of signal `sig`: "killed by signal 11 (Segmentation
/// fault)".
std::string signalText(int sig);

/// The first lines of a tool's diagnostics worth a user's eyes: up to the
/// first IR dump ("see current operation"), stack dump or crash banner, at
/// most `maxLines`, each cut at 300 characters; a last line says how many
/// were left out.
std::string diagnosticHead(const std::string &text, int maxLines = 8);

/// Where a tool that crashed died, from the stack it printed on stderr: in
/// tessel's code (a tessel bug) or in MLIR's or LLVM's own (an upstream
/// one), as text to append to the error (" in tessel's code (...)").
std::string crashOrigin(const std::string &stderrText);

/// Runs `argv` in directory `cwd` (stdout to `outFile` if given; stderr to
/// `errFile` if given, else it passes through); the error names the tool and
/// how it failed (the signal's name when it crashed).
Status runTool(const std::vector<std::string> &argv, const std::string &cwd,
               const std::string &outFile = "",
               const std::string &errFile = "");
/// What a shell command did (runShell).
struct ShellResult {
  int exitStatus = -1; ///< when it exited
  int signal = 0;      ///< when a signal killed it
  bool timedOut = false;
  std::string out, err; ///< what it wrote
};

/// Runs `/bin/sh -c command` in `cwd` in its own process group, capturing
/// stdout and stderr; after `timeoutSec` (0: none) the whole group is
/// killed. Fails only when it cannot be started.
Result<ShellResult> runShell(const std::string &command, const std::string &cwd,
                             double timeoutSec);

/// `s` quoted for /bin/sh.
std::string shellQuote(const std::string &s);

/// The directory of the running executable (tessel-opt lives there too).
std::string selfDir();
/// An LLVM 19 tool: /usr/lib/llvm-19/bin/NAME if present, else NAME-19.
std::string llvmTool(const std::string &name);
/// This machine's architecture as uname names it ("x86_64", "aarch64").
std::string hostArch();
/// The C compiler that builds objects for `arch` ("x86_64", "aarch64") on
/// this machine: cc natively, aarch64-linux-gnu-gcc for arm64 from x86.
/// Fails, saying which package to install, when it is missing.
Result<std::string> cCompilerFor(const std::string &arch);
/// The whole file; the error names the path.
Result<std::string> readFile(const std::string &path);
/// A fresh scratch directory under $TMPDIR.
Result<std::string> makeScratchDir(const std::string &prefix);

} // namespace tessel

#endif // TESSEL_DB_PROCESS_H
