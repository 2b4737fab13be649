// `tessel compile MODEL.mlir --db F --target T -o OUTDIR`: the model lowered by
// the tessel-compile pipeline (tessel-opt), translated to LLVM bitcode
// (tessel-translate), optimized and compiled for the target: OUTDIR/model.o,
// OUTDIR/model.h and OUTDIR/report.txt. The tools run in a scratch directory
// on relative file names, and nothing time- or path-dependent enters the
// outputs, so the same inputs give the same bytes.
#include "tools/tessel/Commands.h"
#ifdef TESSEL_HAVE_TUNER
#include "tools/tessel/AotLibrary.h"
#endif
#include "db/Process.h"

#include "db/Hash.h"
#include "db/Target.h"
#include "db/Toolchain.h"
#include "db/Version.h"

#include <CLI/CLI.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace fs = std::filesystem;

namespace tessel {

namespace {

struct CompileOptions {
  std::string model, db, target = "host", outDir, kernels = "mlir";
  bool baseline = false;
  bool scalable = false;
  bool keepTemps = false;
  bool verbose = false;
  unsigned threads = 1;
};

/// Refuses model text that is no MLIR at all, before a tool sees it: an
/// empty file, NUL bytes, or nesting deeper than MLIR's recursive parser
/// can take (it would overflow its stack).
Status checkModelText(const std::string &path, const std::string &text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return makeError(path + ": empty file, not an MLIR model");
  if (text.find('\0') != std::string::npos)
    return makeError(path + ": contains NUL bytes; not MLIR text");
  constexpr int kMaxDepth = 1000;
  int depth = 0;
  for (char c : text) {
    depth += (c == '(' || c == '[' || c == '{' || c == '<') -
             (c == ')' || c == ']' || c == '}' || c == '>');
    if (depth > kMaxDepth)
      return makeError(path + ": brackets nested more than " +
                       std::to_string(kMaxDepth) +
                       " levels deep; not a model tessel compiles");
  }
  return Status::ok();
}

/// Rejects paths the pipeline option syntax cannot carry.
Status checkOptionPath(const std::string &what, const std::string &path) {
  for (char c : path)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '{' || c == '}' ||
        c == '"' || c == '\'')
      return makeError(what + " path `" + path +
                       "` contains a space, quote or brace: rename or move it");
  return Status::ok();
}

/// The first line a tool prints for --version, e.g. "LLVM version 19.1.4".
std::string toolVersion(const std::string &tool) {
  std::string out = "unknown";
  FILE *p = popen((tool + " --version 2>/dev/null").c_str(), "r");
  if (!p)
    return out;
  char line[256];
  while (fgets(line, sizeof line, p)) {
    std::string l(line);
    auto pos = l.find("version");
    if (pos != std::string::npos) {
      out = l.substr(pos + 8);
      while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
        out.pop_back();
      break;
    }
  }
  pclose(p);
  return out;
}

/// Option combinations: warnings for flags that do not apply, an error for
/// ones that cannot work.
Status checkOptions(const CompileOptions &o, const TargetPreset &preset) {
  if (o.scalable && preset.arch != "aarch64")
    std::cerr
        << "tessel: warning: --scalable applies to SVE targets (graviton3, "
           "graviton4); ignored for "
        << preset.name << "\n";
  if (o.baseline && !o.db.empty())
    std::cerr << "tessel: warning: --baseline applies no schedules; --db "
              << o.db << " is ignored\n";
  if (o.kernels != "mlir" && (o.db.empty() || o.baseline))
    return makeError(
        "--kernels " + o.kernels +
        " takes its kernels from a database: give --db (and no --baseline)");
  if (fs::exists(o.outDir) && !fs::is_directory(o.outDir))
    return makeError("-o " + o.outDir + ": exists and is not a directory");
  return Status::ok();
}

/// What the compile reads: the model's text and the database, with the
/// hashes the report records.
struct CompileInputs {
  fs::path model, db; ///< absolute; db empty without --db
  std::string modelText, dbHash = "none";
};

Result<CompileInputs> readInputs(const CompileOptions &o) {
  CompileInputs in;
  in.model = fs::absolute(o.model);
  auto text = readFile(in.model.string());
  if (!text)
    return makeError(text.message());
  if (Status s = checkModelText(o.model, *text); !s)
    return makeError(s.message());
  in.modelText = *text;
  if (o.db.empty())
    return in;
  in.db = fs::absolute(o.db);
  if (!fs::exists(in.db))
    return makeError(
        o.db + ": no such schedule database (create one with `tessel db init` "
               "or `tessel tune`)");
  auto bytes = readFile(in.db.string());
  if (!bytes)
    return makeError(bytes.message());
  in.dbHash = sha256Hex(*bytes);
  if (Status s = checkOptionPath("database", in.db.string()); !s)
    return makeError(s.message());
  return in;
}

/// The tessel-compile pipeline's options for `o`.
std::string pipelineOptions(const CompileOptions &o, const fs::path &db) {
  std::string pipeline = "report=coverage.txt header=model.h";
  if (!db.empty())
    pipeline += " db=" + db.string();
  if (o.baseline)
    pipeline += " baseline=1";
  if (o.scalable)
    pipeline += " scalable=1";
  if (o.threads > 1)
    pipeline += " threads=" + std::to_string(o.threads);
  return pipeline;
}

/// With --kernels halide or auto: the database's Halide records as a tessel
/// aot library in work/kernels, which the ops with a tuned Halide kernel
/// call; their number.
Result<size_t> buildHalideKernels(const CompileOptions &o,
                                  const CompileInputs &in,
                                  const TargetPreset &preset,
                                  const fs::path &work, std::string &pipeline) {
#ifdef TESSEL_HAVE_TUNER
  auto lib = buildKernelLibrary(in.db.string(), preset,
                                (work / "kernels").string(), o.threads);
  if (!lib)
    return makeError(lib.message());
  for (const std::string &skipped : lib->skipped)
    std::cerr << "tessel: no Halide kernel for " << skipped << "\n";
  pipeline += " kernels=" + o.kernels +
              " kernel-lib=" + (work / "kernels" / "tessel_kernels.h").string();
  return lib->kernels.size();
#else
  return makeError("--kernels " + o.kernels +
                   " needs tessel built with Halide");
#endif
}

/// model.o, the runtime and libmodel.a (with the kernels it calls) in work.
Status buildInScratch(const CompileOptions &o, const CompileInputs &in,
                      const TargetPreset &preset, const fs::path &work,
                      const std::string &pipeline) {
  auto steps = mlirObjectSteps(in.model.string(), "model", pipeline, preset);
  if (Status s = compileModelRuntime(preset, work.string(), "tessel_runtime.o");
      !s)
    return makeError(s.message() + " while compiling the model runtime");
  std::vector<std::string> archive = {llvmTool("llvm-ar"), "qcsLD",
                                      "libmodel.a", "model.o",
                                      "tessel_runtime.o"};
  if (o.kernels != "mlir")
    archive.push_back("kernels/libtessel_kernels.a");
  steps.push_back(archive);
  if (Status s = runSteps(steps, work.string(), o.verbose); !s)
    return makeError(s.message() + " while compiling " + o.model);
  return Status::ok();
}

/// What a program linking libmodel.a needs besides it.
std::string linkFlags(unsigned threads) {
  return threads > 1
             ? "-L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib "
               "-lpthread -ldl -lm"
             : "-lpthread -ldl -lm";
}

/// report.txt: provenance, then the coverage the pipeline wrote.
std::string reportText(const CompileOptions &o, const CompileInputs &in,
                       const TargetPreset &preset, size_t halideKernels,
                       const Result<std::string> &coverage) {
  std::ostringstream report;
  report << "tessel compile report\n"
         << "model: " << o.model << " sha256 " << sha256Hex(in.modelText)
         << "\n"
         << "target: " << preset.name << " (" << preset.llvmTriple << ", cpu "
         << preset.llvmCpu << ", " << preset.llvmFeatures << ")\n"
         << "db: " << (o.db.empty() ? std::string("none") : o.db) << " sha256 "
         << in.dbHash << "\n"
         << "lowering: "
         << (o.baseline ? "baseline (untiled upstream loops)"
             : o.kernels != "mlir"
                 ? "tessel schedules; ops whose chosen record is a Halide "
                   "kernel call it (" +
                       std::to_string(halideKernels) + " kernels in libmodel.a)"
                 : std::string("tessel schedules (tiled, vectorized)"))
         << "\n"
         << "threads: "
         << (o.threads > 1 ? std::to_string(o.threads) +
                                 " (OpenMP parallel loops: link libomp, e.g. " +
                                 linkFlags(o.threads) + ")"
                           : std::string("1"))
         << "\n"
         << "tools: tessel " << kTesselVersion << ", MLIR/LLVM "
         << toolVersion(llvmTool("llc")) << "\n";
  if (coverage)
    report << "coverage (location: source schedule-id signature):\n" << *coverage;
  else if (o.baseline)
    report << "coverage: none (baseline lowering applies no schedules)\n";
  return report.str();
}

/// The outputs copied from work to -o, with report.txt and model.link.
Status writeOutputs(const CompileOptions &o, const fs::path &work,
                    const std::string &report) {
  std::error_code ec;
  fs::path out = fs::absolute(o.outDir);
  fs::create_directories(out, ec);
  if (ec)
    return makeError(o.outDir + ": " + ec.message());
  std::vector<std::string> outputs = {"model.o", "model.h", "libmodel.a"};
  if (o.kernels != "mlir")
    outputs.push_back("kernels/tessel_kernels.h");
  for (const std::string &f : outputs) {
    fs::copy_file(work / f, out / fs::path(f).filename(),
                  fs::copy_options::overwrite_existing, ec);
    if (ec)
      return makeError((out / fs::path(f).filename()).string() + ": " +
                       ec.message());
  }
  std::ofstream(out / "report.txt") << report;
  std::ofstream(out / "model.link")
      << linkFlags(o.threads) << "\n"; // for build systems
  return Status::ok();
}

/// The scratch directory of one compile, removed when it goes (unless
/// --keep-temps).
struct Scratch {
  fs::path dir;
  bool keep = false;
  ~Scratch() {
    std::error_code ec;
    if (dir.empty())
      return;
    if (keep)
      std::cerr << "tessel: intermediate files kept in " << dir.string()
                << "\n";
    else
      fs::remove_all(dir, ec);
  }
};

int runCompile(const CompileOptions &o) {
  auto preset = resolveTarget(o.target);
  if (!preset)
    return fail(preset.message());
  if (Status s = checkOptions(o, *preset); !s)
    return fail(s.message());
  auto in = readInputs(o);
  if (!in)
    return fail(in.message());
  auto dir = makeScratchDir("tessel-compile");
  if (!dir)
    return fail(dir.message());
  Scratch scratch{fs::path(*dir), o.keepTemps};
  std::string pipeline = pipelineOptions(o, in->db);
  size_t halideKernels = 0;
  if (o.kernels != "mlir") {
    auto n = buildHalideKernels(o, *in, *preset, scratch.dir, pipeline);
    if (!n)
      return fail(n.message());
    halideKernels = *n;
  }
  if (Status s = buildInScratch(o, *in, *preset, scratch.dir, pipeline); !s)
    return fail(s.message());
  auto coverage = readFile((scratch.dir / "coverage.txt").string());
  std::string report = reportText(o, *in, *preset, halideKernels, coverage);
  if (Status s = writeOutputs(o, scratch.dir, report); !s)
    return fail(s.message());
  std::cout << "wrote " << (fs::path(o.outDir) / "model.o").string()
            << ", libmodel.a, model.h, report.txt, model.link";
  if (coverage) {
    auto pos = coverage->rfind("summary:");
    if (pos != std::string::npos)
      std::cout << " ("
                << coverage->substr(pos, coverage->find('\n', pos) - pos)
                << ")";
  }
  std::cout << "\nlink: " << (fs::path(o.outDir) / "libmodel.a").string() << " "
            << linkFlags(o.threads) << "\n";
  return 0;
}

} // namespace

void addCompileCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App *cmd = app.add_subcommand(
      "compile", "Compile a model (TOSA or linalg MLIR) to an object file and C "
                 "header with the schedules of a database");
  cmd->add_option("model", o->model, "Model MLIR file")->required();
  cmd->add_option("--db", o->db, "Schedule database (default: built-in schedules)");
  cmd->add_option("--target", o->target, "Target preset or 'host'")
      ->capture_default_str();
  cmd->add_option("-o,--output", o->outDir, "Output directory")->required();
  cmd->add_option("--kernels", o->kernels,
                  "mlir: MLIR loops for every op, with the records measured on them; "
                  "halide: ops with a tuned Halide kernel call it; auto: per op, the "
                  "faster measured of the two (halide and auto need --db; libmodel.a "
                  "holds the kernels)")
      ->check(CLI::IsMember({"mlir", "halide", "auto"}))
      ->capture_default_str();
  cmd->add_flag("--baseline", o->baseline,
                "Untiled upstream lowering (the reference), no schedules");
  cmd->add_flag("--scalable", o->scalable,
                "SVE targets (graviton3/4): scalable vectors for matmul register tiles");
  cmd->add_option(
         "--threads", o->threads,
         "Threads the model runs on. Above 1: the schedules' parallel "
         "loops run as OpenMP loops on that many threads (link libomp), "
         "using only the records tuned on that many threads "
         "(tessel tune --threads N)")
      ->check(between(1, 1024))
      ->capture_default_str();
  cmd->add_flag("--keep-temps", o->keepTemps,
                "Keep the intermediate MLIR and LLVM IR files");
  cmd->add_flag(
      "--verbose", o->verbose,
      "On failure, every line the tools printed (IR dumps, stack traces)");
  cmd->callback([o, &exitCode]() { exitCode = runCompile(*o); });
}

} // namespace tessel
