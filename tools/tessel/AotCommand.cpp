// `tessel aot --db F --target T -o OUTDIR`: the tuned kernels of a schedule
// database as a static library and C header for one target (AotLibrary.h).
#include "tools/tessel/AotLibrary.h"
#include "tools/tessel/Commands.h"

#include "db/Target.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>

namespace tessel {

namespace {

struct AotOptions {
  std::string db, target = "host", outDir;
  int threads = 1;
};

int runAot(const AotOptions &o) {
  auto preset = resolveTarget(o.target);
  if (!preset)
    return fail(preset.message());
  if (std::filesystem::exists(o.outDir) &&
      !std::filesystem::is_directory(o.outDir))
    return fail("-o " + o.outDir + ": exists and is not a directory");
  if (!std::filesystem::exists(o.db))
    return fail(o.db + ": no such schedule database");
  auto lib = buildKernelLibrary(o.db, *preset, o.outDir, o.threads);
  if (!lib)
    return fail(lib.message());
  for (const std::string &s : lib->skipped)
    std::cerr << "tessel: skipped " << s << "\n";
  if (lib->kernels.empty())
    std::cerr << "tessel: warning: " << o.db << " has no usable record for "
              << preset->name << " on " << o.threads << " thread"
              << (o.threads == 1 ? "" : "s")
              << " (tune with --realizer halide first): the library is empty\n";
  std::cout
      << "wrote "
      << (std::filesystem::path(o.outDir) / "libtessel_kernels.a").string()
      << ", tessel_kernels.h and tessel_kernels.json: " << lib->kernels.size()
      << " kernel" << (lib->kernels.size() == 1 ? "" : "s") << " for "
      << preset->name << " (" << preset->arch << ")\n";
  for (const AotKernelInfo &k : lib->kernels)
    std::cout << "  " << k.function << "  " << k.signature << "\n";
  return 0;
}

} // namespace

void addAotCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<AotOptions>();
  CLI::App *cmd = app.add_subcommand(
      "aot", "Compile the tuned kernels of a database ahead of time into a static "
             "library and C header for a target");
  cmd->add_option("--db", o->db, "Schedule database")->required();
  cmd->add_option("--target", o->target, "Target preset or 'host'")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->outDir, "Output directory")->required();
  cmd->add_option("--threads", o->threads,
                  "Use the records measured on this many threads (tessel tune "
                  "--threads N)")
      ->check(between(1, 1024))
      ->capture_default_str();
  setExamples(cmd,
              {"tessel aot --db s.db -o kernels",
               "tessel aot --db s.db --target graviton3 -o kernels-arm64"});
  cmd->callback([o, &exitCode]() { exitCode = runAot(*o); });
}

} // namespace tessel
