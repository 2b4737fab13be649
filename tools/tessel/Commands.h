// The sub-commands of `tessel`, each registered on the top-level CLI11 app.
// A sub-command's callback stores its exit status in `exitCode`.
#ifndef TESSEL_TOOLS_COMMANDS_H
#define TESSEL_TOOLS_COMMANDS_H

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tessel {

/// Prints "tessel: error: MESSAGE" on stderr; returns the exit status 1.
int fail(const std::string &message);

/// Validators whose message says what the value must be ("must be at least
/// 1", "must be between 1 and 1024"), for integer and real options.
CLI::Validator atLeast(double min);
CLI::Validator between(double lo, double hi);

/// Ends `cmd`'s --help with its examples, one command line each.
void setExamples(CLI::App *cmd, const std::vector<std::string> &lines);

/// Names the unknown sub-command or option among `argv` and suggests the
/// nearest known one ("unknown command `tun` (did you mean `tune`?)");
/// empty when every word is known. For errors CLI11 reports otherwise.
std::string unknownWordError(CLI::App &app, int argc, char **argv);

/// Writes `text` to `path` through a temporary file renamed over it: a
/// failed write leaves what was there. Refuses a path that is `input` (the
/// same file, or its SQLite -wal/-shm/-journal companions).
int writeOutputFile(const std::string &path, const std::string &text,
                    const std::string &input);

/// `tessel db init|stats|list|show|best|merge|export|import`
void addDbCommand(CLI::App &app, int &exitCode);
/// `tessel tune --db F --target T (--task SIG | --tasks FILE) ...`
void addTuneCommand(CLI::App &app, int &exitCode);
/// `tessel aot --db F --target T -o OUTDIR`
void addAotCommand(CLI::App &app, int &exitCode);
/// `tessel compile MODEL --db F --target T -o OUTDIR`
void addCompileCommand(CLI::App &app, int &exitCode);
/// `tessel import MODEL.onnx -o MODEL.mlir [--input-shape NAME=DIMS]`
void addImportCommand(CLI::App &app, int &exitCode);
/// `tessel run OUTDIR [--input ARG=F.npy] [--output F.npy] [--bench N]`
void addRunCommand(CLI::App &app, int &exitCode);
/// `tessel task plan|mlir SIGNATURE [--schedule JSON]`
void addTaskCommand(CLI::App &app, int &exitCode);
/// `tessel targets [--host] [--json]`
void addTargetsCommand(CLI::App &app, int &exitCode);

} // namespace tessel

#endif // TESSEL_TOOLS_COMMANDS_H
