// The sub-commands of `tessel`, each registered on the top-level CLI11 app.
// A sub-command's callback stores its exit status in `exitCode`.
#ifndef TESSEL_TOOLS_COMMANDS_H
#define TESSEL_TOOLS_COMMANDS_H

#include <string>

namespace CLI {
class App;
}

namespace tessel {

/// Prints "tessel: error: MESSAGE" on stderr; returns the exit status 1.
int fail(const std::string &message);

/// `tessel db init|stats|list|show|best|merge|export|import`
void addDbCommand(CLI::App &app, int &exitCode);
/// `tessel tune --db F --target T (--task SIG | --tasks FILE) ...`
void addTuneCommand(CLI::App &app, int &exitCode);
/// `tessel aot --db F --target T -o OUTDIR`
void addAotCommand(CLI::App &app, int &exitCode);
/// `tessel compile MODEL --db F --target T -o OUTDIR`
void addCompileCommand(CLI::App &app, int &exitCode);
/// `tessel task plan|mlir SIGNATURE [--schedule JSON]`
void addTaskCommand(CLI::App &app, int &exitCode);
/// `tessel targets [--host] [--json]`
void addTargetsCommand(CLI::App &app, int &exitCode);

} // namespace tessel

#endif // TESSEL_TOOLS_COMMANDS_H
