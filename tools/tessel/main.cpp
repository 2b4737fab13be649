// `tessel`: the command-line front end for everything but MLIR lowering
// (which is tessel-opt). Sub-commands live one per file in tools/tessel/.
#include "db/Version.h"
#include "tools/tessel/Commands.h"

#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

namespace tessel {
int fail(const std::string &message) {
  std::cerr << "tessel: error: " << message << "\n";
  return 1;
}
} // namespace tessel

int main(int argc, char **argv) {
  CLI::App app{"tessel: schedule databases, tuning and kernel libraries for "
               "ML inference on CPUs"};
  app.set_version_flag("--version", std::string("tessel ") +
                                        tessel::kTesselVersion);
  app.require_subcommand(1);
  int exitCode = 0;
  tessel::addDbCommand(app, exitCode);
  tessel::addTargetsCommand(app, exitCode);
  tessel::addCompileCommand(app, exitCode);
  tessel::addTaskCommand(app, exitCode);
#ifdef TESSEL_HAVE_TUNER
  tessel::addTuneCommand(app, exitCode);
  tessel::addAotCommand(app, exitCode);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return app.exit(e);
  } catch (const std::exception &e) {
    std::cerr << "tessel: error: " << e.what() << "\n";
    return 1;
  }
  return exitCode;
}
