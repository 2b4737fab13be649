// `tessel`: the command-line front end for everything but MLIR lowering
// (which is tessel-opt). Sub-commands live one per file in tools/tessel/.
#include "db/Version.h"
#include "tools/tessel/Commands.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace tessel {
int fail(const std::string &message) {
  std::cerr << "tessel: error: " << message << "\n";
  return 1;
}

namespace {

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

CLI::Validator rangeValidator(double lo, double hi, const std::string &what) {
  return CLI::Validator(
      [lo, hi, what](std::string &text) -> std::string {
        char *end = nullptr;
        double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size())
          return "`" + text + "` is not a number";
        return v >= lo && v <= hi ? std::string()
                                  : "must be " + what + ", got " + text;
      },
      "", "");
}

/// Edit distance counting a swap of neighbours as one edit (optimal string
/// alignment), for suggestions: "tragte" is 2 from "target".
size_t editDistance(const std::string &a, const std::string &b) {
  std::vector<std::vector<size_t>> d(a.size() + 1,
                                     std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i)
    d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j)
    d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                          d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

/// " (did you mean `X`?)" for the known word nearest to `word`, if near.
std::string suggestion(const std::string &word,
                       const std::vector<std::string> &known) {
  std::string best;
  size_t bestDistance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const std::string &k : known) {
    size_t d = editDistance(word, k);
    if (k.rfind(word, 0) == 0 && word.size() >= 3)
      d = std::min<size_t>(d, 1);
    if (d < bestDistance)
      best = k, bestDistance = d;
  }
  return best.empty() ? "" : " (did you mean `" + best + "`?)";
}

std::vector<std::string> subcommandNames(CLI::App &app) {
  std::vector<std::string> names;
  for (CLI::App *sub : app.get_subcommands([](CLI::App *) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

/// Every long option name of `app` and of the apps it inherits options
/// from ("--db", "--help").
std::vector<std::string> optionNames(CLI::App &app) {
  std::vector<std::string> names;
  for (const CLI::Option *opt : app.get_options())
    for (const std::string &n : opt->get_lnames())
      names.push_back("--" + n);
  return names;
}

bool sameFile(const std::string &a, const std::string &b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
} // namespace

void setExamples(CLI::App *cmd, const std::vector<std::string> &lines) {
  std::string text = lines.size() == 1 ? "Example:\n" : "Examples:\n";
  for (const std::string &line : lines)
    text += "  " + line + "\n";
  cmd->footer(text);
}

CLI::Validator atLeast(double min) {
  return rangeValidator(min, std::numeric_limits<double>::infinity(),
                        "at least " + number(min));
}

CLI::Validator between(double lo, double hi) {
  return rangeValidator(lo, hi, "between " + number(lo) + " and " + number(hi));
}

std::string unknownWordError(CLI::App &app, int argc, char **argv) {
  CLI::App *current = &app;
  bool positional = false; // a word that is no sub-command is an argument
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--")
      break;
    if (word.rfind("--", 0) == 0) {
      std::string name = word.substr(0, word.find('='));
      if (!current->get_option_no_throw(name))
        return "unknown option `" + name + "` for `" + current->get_name() +
               "`" + suggestion(name, optionNames(*current));
      continue;
    }
    if (word.size() > 1 && word[0] == '-')
      continue;
    if (positional)
      continue;
    auto subs = subcommandNames(*current);
    if (std::find(subs.begin(), subs.end(), word) != subs.end()) {
      current = current->get_subcommand(word);
      continue;
    }
    // A word after an option may be its value; at the top level, and after
    // a command that has sub-commands, it must be a command.
    bool previousTakesValue = false;
    if (i > 1 && argv[i - 1][0] == '-')
      if (const CLI::Option *opt = current->get_option_no_throw(
              std::string(argv[i - 1])
                  .substr(0, std::string(argv[i - 1]).find('='))))
        previousTakesValue =
            opt->get_type_size() != 0 &&
            std::string(argv[i - 1]).find('=') == std::string::npos;
    if (!subs.empty() && !previousTakesValue)
      return "unknown command `" + word + "`" +
             (current == &app ? std::string()
                              : " for `" + current->get_name() + "`") +
             suggestion(word, subs);
    positional = !previousTakesValue;
  }
  return "";
}

int writeOutputFile(const std::string &path, const std::string &text,
                    const std::string &input) {
  for (const char *suffix : {"", "-wal", "-shm", "-journal"})
    if (sameFile(path, input + suffix) || path == input + suffix)
      return fail("-o " + path + " is the input " + input + suffix +
                  "; writing it would destroy the input");
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return fail(path + ": cannot write (" + std::strerror(errno) + ")");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    std::remove(tmp.c_str());
    return fail(path + ": cannot write (" + std::strerror(e) + ")");
  }
  return 0;
}
} // namespace tessel

int main(int argc, char **argv) {
  CLI::App app{"tessel: schedule databases, tuning and kernel libraries for "
               "ML inference on CPUs"};
  app.set_version_flag("--version", std::string("tessel ") +
                                        tessel::kTesselVersion);
  app.name("tessel"); // in usage lines, rather than the path it was run by
  app.require_subcommand(1);
  int exitCode = 0;
  // In the order of the workflow.
  tessel::addTargetsCommand(app, exitCode);
  tessel::addImportCommand(app, exitCode);
#ifdef TESSEL_HAVE_TUNER
  tessel::addTuneCommand(app, exitCode);
#endif
  tessel::addDbCommand(app, exitCode);
  tessel::addCompileCommand(app, exitCode);
  tessel::addRunCommand(app, exitCode);
#ifdef TESSEL_HAVE_TUNER
  tessel::addAotCommand(app, exitCode);
#endif
  tessel::addTaskCommand(app, exitCode);
  // Set after the sub-commands: CLI11 copies a parent's footer into each
  // sub-command it adds.
  tessel::setExamples(
      &app, {"tessel targets --host", "tessel import model.onnx -o model.mlir",
             "tessel-opt model.mlir --tessel-extract-tasks=out=tasks.json",
             "tessel tune --db s.db --tasks tasks.json --time-budget 10m",
             "tessel db best --db s.db --target host",
             "tessel compile model.mlir --db s.db -o out",
             "tessel run out --bench 50", "tessel aot --db s.db -o kernels",
             "(tessel COMMAND --help: its options and an example)"});
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    // --help and --version are ParseErrors too (exit status 0).
    if (e.get_exit_code() != 0)
      if (std::string unknown = tessel::unknownWordError(app, argc, argv);
          !unknown.empty())
        return tessel::fail(unknown);
    return app.exit(e);
  } catch (const std::exception &e) {
    std::cerr << "tessel: error: " << e.what() << "\n";
    return 1;
  }
  return exitCode;
}
