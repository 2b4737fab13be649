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

#include "db/Coverage.h"
#include "db/Hash.h"
#include "db/Target.h"
#include "db/Toolchain.h"
#include "db/Version.h"
#include "frontend/OnnxImport.h"

#include <CLI/CLI.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
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
  std::vector<std::string> inputShapes; ///< ONNX models: NAME=DIMS
  bool json = false;                    ///< the report as JSON on stdout
  bool shared = false;                  ///< libmodel.so too
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

bool isOnnx(const std::string &path) {
  return fs::path(path).extension() == ".onnx";
}

/// Option combinations: warnings for flags that do not apply, an error for
/// ones that cannot work.
Status checkOptions(const CompileOptions &o, const TargetPreset &preset) {
  if (o.scalable && preset.arch != "aarch64")
    std::cerr
        << "tessel: warning: --scalable applies to SVE targets (graviton3, "
           "graviton4); ignored for "
        << preset.name << "\n";
  if (!o.inputShapes.empty() && !isOnnx(o.model))
    std::cerr
        << "tessel: warning: --input-shape applies to ONNX models; ignored for "
        << o.model << "\n";
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
  fs::path mlir;      ///< what the pipeline reads: the model, or its import
  std::string modelText, dbHash = "none";
};

/// An ONNX model imported into work/model.mlir (named relative to work,
/// where the tools run, so that no scratch path enters the outputs).
Status importModel(const CompileOptions &o, CompileInputs &in,
                   const fs::path &work) {
  OnnxImportOptions options;
  for (const std::string &s : o.inputShapes)
    if (Status st = parseInputShape(s, options); !st)
      return st;
  auto text = importOnnx(in.model.string(), options);
  if (!text)
    return makeError(text.message());
  std::ofstream out(work / "model.mlir");
  out << *text;
  if (!out)
    return makeError((work / "model.mlir").string() + ": cannot write");
  in.mlir = "model.mlir";
  return Status::ok();
}

Result<CompileInputs> readInputs(const CompileOptions &o) {
  CompileInputs in;
  in.model = fs::absolute(o.model);
  auto text = readFile(in.model.string());
  if (!text)
    return makeError(text.message());
  if (!isOnnx(o.model))
    if (Status s = checkModelText(o.model, *text); !s)
      return makeError(s.message());
  in.modelText = *text;
  in.mlir = in.model;
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
  std::string pipeline = "report=coverage.json header=model.h";
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
  pipeline += " kernels=" + o.kernels + " kernel-lib=" +
              (work / "kernels" / "tessel_kernels.json").string();
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
  auto steps = mlirObjectSteps(in.mlir.string(), "model", pipeline, preset);
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

/// What a program linking libmodel.a needs besides it: with threads, libomp
/// (LLVM 19's by its path on this machine; the target's own elsewhere).
std::string linkFlags(const CompileOptions &o, const TargetPreset &preset) {
  std::string system = "-lpthread -ldl -lm";
  if (o.threads <= 1)
    return system;
  if (preset.arch != hostArch())
    return "-lomp " + system;
  return "-L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib " +
         system;
}

/// libmodel.so from the objects in work, linked with what linkFlags names;
/// for another architecture the OpenMP symbols are left to the program
/// (no libomp of that architecture here).
Status linkShared(const CompileOptions &o, const TargetPreset &preset,
                  const fs::path &work) {
  auto cc = cCompilerFor(preset.arch);
  if (!cc)
    return makeError(cc.message());
  std::vector<std::string> link = {
      *cc, "-shared", "-o", "libmodel.so", "model.o", "tessel_runtime.o"};
  if (o.kernels != "mlir")
    link.push_back("kernels/libtessel_kernels.a");
  std::istringstream flags(linkFlags(o, preset));
  for (std::string f; flags >> f;)
    if (preset.arch == hostArch() || f != "-lomp")
      link.push_back(f);
  if (Status s = runSteps({link}, work.string(), o.verbose); !s)
    return makeError(s.message() + " while linking libmodel.so");
  return Status::ok();
}

/// The compile report: where the outputs came from, then how each compute
/// op is lowered. report.txt is its text, report.json and --json its JSON.
struct CompileReport {
  std::string model, modelSha, db, dbSha, lowering, link, llvm;
  TargetPreset target;
  unsigned threads = 1;
  std::optional<Coverage> coverage; ///< none for --baseline

  std::string text() const {
    std::ostringstream r;
    r << "tessel compile report\n"
      << "model: " << model << " sha256 " << modelSha << "\n"
      << "target: " << target.name << " (" << target.llvmTriple << ", cpu "
      << target.llvmCpu << ", " << target.llvmFeatures << ")\n"
      << "db: " << (db.empty() ? std::string("none") : db) << " sha256 "
      << dbSha << "\n"
      << "lowering: " << lowering << "\n"
      << "threads: "
      << (threads > 1
              ? std::to_string(threads) +
                    " (OpenMP parallel loops: link libomp, e.g. " + link + ")"
              : std::string("1"))
      << "\n"
      << "tools: tessel " << kTesselVersion << ", MLIR/LLVM " << llvm << "\n";
    if (coverage)
      r << "coverage (location: source schedule-id signature):\n"
        << coverage->text();
    else
      r << "coverage: none (baseline lowering applies no schedules)\n";
    return r.str();
  }

  std::string json() const {
    nlohmann::ordered_json j = {
        {"model", {{"path", model}, {"sha256", modelSha}}},
        {"target",
         {{"name", target.name},
          {"triple", target.llvmTriple},
          {"cpu", target.llvmCpu},
          {"features", target.llvmFeatures}}},
        {"db",
         {{"path", db.empty() ? nlohmann::ordered_json(nullptr)
                              : nlohmann::ordered_json(db)},
          {"sha256", dbSha}}},
        {"lowering", lowering},
        {"threads", threads},
        {"link", link},
        {"tools", {{"tessel", kTesselVersion}, {"llvm", llvm}}},
        {"coverage", coverage
                         ? nlohmann::ordered_json::parse(coverage->toJson())
                         : nlohmann::ordered_json(nullptr)}};
    return j.dump(2) + "\n";
  }
};

std::string loweringText(const CompileOptions &o, size_t halideKernels) {
  if (o.baseline)
    return "baseline (untiled upstream loops)";
  if (o.kernels != "mlir")
    return "tessel schedules; ops whose chosen record is a Halide kernel call "
           "it (" +
           std::to_string(halideKernels) + " kernels in libmodel.a)";
  return "tessel schedules (tiled, vectorized)";
}

/// The report of a compile whose pipeline wrote work/coverage.json.
Result<CompileReport> makeReport(const CompileOptions &o,
                                 const CompileInputs &in,
                                 const TargetPreset &preset,
                                 size_t halideKernels, const fs::path &work) {
  CompileReport r;
  r.model = o.model;
  r.modelSha = sha256Hex(in.modelText);
  r.db = o.db;
  r.dbSha = in.dbHash;
  r.lowering = loweringText(o, halideKernels);
  r.link = linkFlags(o, preset);
  r.llvm = toolVersion(llvmTool("llc"));
  r.target = preset;
  r.threads = o.threads;
  if (o.baseline)
    return r;
  auto text = readFile((work / "coverage.json").string());
  if (!text)
    return makeError("the pipeline wrote no coverage report: " +
                     text.message());
  auto coverage = Coverage::fromJson(*text);
  if (!coverage)
    return makeError(coverage.message());
  r.coverage = *coverage;
  return r;
}

/// The files the tools build, relative to the scratch directory.
std::vector<std::string> builtFiles(const CompileOptions &o) {
  std::vector<std::string> built = {"model.o", "model.h", "libmodel.a"};
  if (o.shared)
    built.push_back("libmodel.so");
  if (o.kernels != "mlir")
    built.push_back("kernels/tessel_kernels.h");
  return built;
}

/// Every file a compile writes to -o.
std::vector<std::string> outputNames(const CompileOptions &o) {
  std::vector<std::string> names;
  for (const std::string &f : builtFiles(o))
    names.push_back(fs::path(f).filename().string());
  for (const char *n : {"report.txt", "report.json", "model.link"})
    names.push_back(n);
  return names;
}

/// The outputs copied from work to -o, with the report and model.link.
Status writeOutputs(const CompileOptions &o, const fs::path &work,
                    const CompileReport &report) {
  std::error_code ec;
  fs::path out = fs::absolute(o.outDir);
  fs::create_directories(out, ec);
  if (ec)
    return makeError(o.outDir + ": " + ec.message());
  for (const std::string &f : builtFiles(o)) {
    fs::copy_file(work / f, out / fs::path(f).filename(),
                  fs::copy_options::overwrite_existing, ec);
    if (ec)
      return makeError((out / fs::path(f).filename()).string() + ": " +
                       ec.message());
  }
  std::ofstream(out / "report.txt") << report.text();
  std::ofstream(out / "report.json") << report.json();
  std::ofstream(out / "model.link") << report.link << "\n"; // for build systems
  return Status::ok();
}

/// "wrote out/model.o, ... (summary: ...)" and the link lines.
void printWritten(const CompileOptions &o, const CompileReport &report) {
  auto names = outputNames(o);
  std::cout << "wrote " << (fs::path(o.outDir) / names[0]).string();
  for (size_t i = 1; i < names.size(); ++i)
    std::cout << ", " << names[i];
  if (report.coverage)
    std::cout << " (" << report.coverage->summaryLine() << ")";
  std::cout << "\nlink: " << (fs::path(o.outDir) / "libmodel.a").string() << " "
            << report.link << "\n";
  if (o.shared) {
    fs::path dir = fs::absolute(o.outDir);
    std::cout << "link: -L" << dir.string() << " -lmodel -Wl,-rpath,"
              << dir.string() << "\n";
  }
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
  if (isOnnx(o.model))
    if (Status s = importModel(o, *in, scratch.dir); !s)
      return fail(s.message());
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
  if (o.shared)
    if (Status s = linkShared(o, *preset, scratch.dir); !s)
      return fail(s.message());
  auto report = makeReport(o, *in, *preset, halideKernels, scratch.dir);
  if (!report)
    return fail(report.message());
  if (Status s = writeOutputs(o, scratch.dir, *report); !s)
    return fail(s.message());
  if (o.json)
    std::cout << report->json();
  else
    printWritten(o, *report);
  return 0;
}

} // namespace

void addCompileCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<CompileOptions>();
  CLI::App *cmd = app.add_subcommand(
      "compile",
      "Compile a model (ONNX, TOSA or linalg MLIR) to an object file and C "
      "header with the schedules of a database");
  cmd->add_option("model", o->model,
                  "Model: MLIR (TOSA or linalg), or ONNX (.onnx, imported as "
                  "by tessel import)")
      ->required();
  cmd->add_option("--input-shape", o->inputShapes,
                  "ONNX models: NAME=DIMS fixes an input's dynamic dimensions "
                  "(repeatable)");
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
  cmd->add_flag("--shared", o->shared,
                "Also link libmodel.so (the model, its runtime and kernels)");
  cmd->add_flag(
      "--json", o->json,
      "The report (report.json) on stdout instead of the list of files");
  cmd->add_flag("--keep-temps", o->keepTemps,
                "Keep the intermediate MLIR and LLVM IR files");
  cmd->add_flag(
      "--verbose", o->verbose,
      "On failure, every line the tools printed (IR dumps, stack traces)");
  setExamples(cmd,
              {"tessel compile resnet18.mlir --db s.db -o out",
               "tessel compile resnet18.onnx --db s.db --target host -o out",
               "tessel compile model.mlir --db s.db --threads 2 -o out  "
               "# then: cc main.c out/libmodel.a -fopenmp"});
  cmd->callback([o, &exitCode]() { exitCode = runCompile(*o); });
}

} // namespace tessel
