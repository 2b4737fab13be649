// `tessel run OUTDIR`: runs a model `tessel compile` wrote to OUTDIR. The
// program that runs it (ModelRunner.c) is compiled against OUTDIR/model.h
// and linked with OUTDIR/libmodel.a and model.link's flags in a scratch
// directory; an aarch64 model runs under qemu-aarch64 (verified, but its
// timings are the emulator's).
#include "tools/tessel/Commands.h"

#include "db/Process.h"
#include "db/Target.h"
#include "db/Toolchain.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace tessel {

extern const char *const kModelRunnerSource; // ModelRunner.c, embedded

namespace {

struct RunOptions {
  std::string outDir, entry;
  std::vector<std::string> inputs, outputs, compares;
  uint64_t seed = 0;
  int bench = 0;
  unsigned threads = 0; ///< 0: as compiled
};

/// What report.json says about the compiled model.
struct CompiledModel {
  std::string target;
  unsigned threads = 1;
  std::string link; ///< model.link
};

Result<CompiledModel> readCompiledModel(const fs::path &dir) {
  for (const char *f : {"model.h", "libmodel.a", "model.link", "report.json"})
    if (!fs::exists(dir / f))
      return makeError(
          dir.string() + " has no " + f +
          ": not a directory `tessel compile -o` wrote (with this tessel)");
  auto report = readFile((dir / "report.json").string());
  auto link = readFile((dir / "model.link").string());
  if (!report || !link)
    return makeError(!report ? report.message() : link.message());
  CompiledModel m;
  try {
    auto j = nlohmann::json::parse(*report);
    m.target = j.at("target").at("name").get<std::string>();
    m.threads = j.at("threads").get<unsigned>();
  } catch (const nlohmann::json::exception &e) {
    return makeError((dir / "report.json").string() + ": " + e.what());
  }
  m.link = link->substr(0, link->find('\n'));
  return m;
}

/// The runner program for the model in `dir`, built in `work`.
Result<std::string> buildRunner(const fs::path &dir, const TargetPreset &preset,
                                const CompiledModel &m, const fs::path &work) {
  auto cc = cCompilerFor(preset.arch);
  if (!cc)
    return makeError(cc.message());
  std::ofstream((work / "runner.c").string()) << kModelRunnerSource;
  std::vector<std::string> cmd = {*cc,        "-O2",
                                  "-include", (dir / "model.h").string(),
                                  "runner.c", (dir / "libmodel.a").string(),
                                  "-o",       "runner"};
  std::istringstream flags(m.link);
  for (std::string f; flags >> f;)
    cmd.push_back(f);
  if (preset.arch != hostArch())
    cmd.push_back("-static"); // for qemu, without the target's shared libraries
  if (Status s = runSteps({cmd}, work.string()); !s)
    return makeError(s.message() + " while building the runner of " +
                     dir.string());
  return (work / "runner").string();
}

int runRun(const RunOptions &o) {
  fs::path dir = fs::absolute(o.outDir);
  auto model = readCompiledModel(dir);
  if (!model)
    return fail(model.message());
  if (o.threads && o.threads != model->threads)
    return fail(o.outDir + " was compiled for " +
                std::to_string(model->threads) + " thread" +
                (model->threads == 1 ? "" : "s") +
                "; compile it with --threads " + std::to_string(o.threads) +
                " to run it on " + std::to_string(o.threads));
  auto preset = resolveTarget(model->target);
  if (!preset)
    return fail(preset.message());
  bool emulated = preset->arch != hostArch();
  if (emulated && model->threads > 1)
    return fail(o.outDir + " is an " + preset->arch + " model on " +
                std::to_string(model->threads) +
                " threads: running it here needs that architecture's libomp; "
                "run it on the target");
  auto scratch = makeScratchDir("tessel-run");
  if (!scratch)
    return fail(scratch.message());
  fs::path work(*scratch);
  auto runner = buildRunner(dir, *preset, *model, work);
  if (!runner) {
    fs::remove_all(work);
    return fail(runner.message());
  }
  std::vector<std::string> argv;
  if (emulated)
    argv = {preset->arch == "aarch64" ? "qemu-aarch64" : "qemu-" + preset->arch,
            "-cpu", "max"};
  argv.push_back(*runner);
  auto pass = [&](const char *flag, const std::vector<std::string> &values) {
    for (const std::string &v : values)
      argv.insert(argv.end(), {flag, v});
  };
  if (!o.entry.empty())
    argv.insert(argv.end(), {"--entry", o.entry});
  pass("--input", o.inputs);
  pass("--output", o.outputs);
  pass("--compare", o.compares);
  argv.insert(argv.end(), {"--seed", std::to_string(o.seed)});
  if (o.bench > 0)
    argv.insert(argv.end(), {"--bench", std::to_string(o.bench)});
  std::cout << "running " << o.outDir << " (" << preset->name << ", "
            << model->threads << " thread" << (model->threads == 1 ? "" : "s")
            << (emulated ? ", emulated by qemu: timings are not the target's"
                         : "")
            << ")" << std::endl;
  Status s = runTool(argv, fs::current_path().string());
  fs::remove_all(work);
  if (!s && s.message().find(" crashed (") != std::string::npos)
    return fail("the model " + o.outDir + " crashed: " + s.message());
  return s ? 0 : 1; // the runner said what failed
}

} // namespace

void addRunCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<RunOptions>();
  CLI::App *cmd = app.add_subcommand(
      "run",
      "Run a compiled model on .npy inputs: its outputs, latency and error");
  cmd->add_option("outdir", o->outDir, "Directory tessel compile -o wrote")
      ->required();
  cmd->add_option("--entry", o->entry,
                  "Entry point (default: the first in model.h)");
  cmd->add_option("--input", o->inputs,
                  "ARG=FILE.npy: an input (repeatable; inputs not given are "
                  "random, seeded)");
  cmd->add_option(
      "--output", o->outputs,
      "[ARG=]FILE.npy: write an output (default ARG: the first output)");
  cmd->add_option(
      "--compare", o->compares,
      "[ARG=]FILE.npy: print an output's max absolute and relative error "
      "against this reference");
  cmd->add_option("--seed", o->seed, "Seed of the random inputs")
      ->capture_default_str();
  cmd->add_option("--bench", o->bench, "Time this many calls after a warm-up")
      ->check(between(1, 1000000));
  cmd->add_option("--threads", o->threads,
                  "Check that the model was compiled for this many threads")
      ->check(between(1, 1024));
  setExamples(
      cmd,
      {"tessel run out --bench 50",
       "tessel run out --input arg0=x.npy --output y.npy --compare ref.npy"});
  cmd->callback([o, &exitCode]() { exitCode = runRun(*o); });
}

} // namespace tessel
