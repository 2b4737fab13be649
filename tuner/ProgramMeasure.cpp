// Measurement of candidates in a benchmark program (see ProgramMeasure.h).
#include "tuner/ProgramMeasure.h"

#include "db/Process.h"
#include "db/Toolchain.h"
#include "db/Version.h"
#include "kernels/Aot.h"
#include "kernels/Arrays.h"
#include "kernels/HalideInfo.h"
#include "kernels/TaskMlir.h"

#include <nlohmann/json.hpp>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace tessel {

extern const char *const kBenchProgramSource; // BenchProgram.c, embedded

namespace {

/// What candidates.h needs besides the arrays.
struct ProgramConfig {
  double tolerance = 0;
  int candidateTimeoutSec = 60;
  int64_t memoryLimitBytes = 0;
  bool mlir = false; ///< candidates take plain pointers (MLIR) or buffers (Halide)
  int inject = 0;    ///< BenchProgram.c's TESSEL_INJECT
  int64_t sweepBytes = 0;
  bool evictConstants = true; ///< constant arrays evicted before each call
  int threads = 1;   ///< Halide's thread pool (MLIR code has its own count)
};

/// candidates.h: the arrays, the limits, the tolerance and a call per
/// candidate.
std::string candidatesHeader(const std::vector<ArraySpec> &arrays, const ProgramConfig &c,
                             const std::vector<size_t> &functions) {
  size_t candidates = functions.size();
  std::ostringstream h;
  h << "#include <HalideRuntime.h>\n#include <stdint.h>\n"
    << "#define TESSEL_NUM_ARRAYS " << arrays.size() << "\n"
    << "#define TESSEL_NUM_CANDIDATES " << candidates << "\n"
    << "#define TESSEL_TOLERANCE " << c.tolerance << "\n"
    << "#define TESSEL_CANDIDATE_TIMEOUT_S " << c.candidateTimeoutSec << "\n"
    << "#define TESSEL_MEMORY_LIMIT_BYTES " << c.memoryLimitBytes << "LL\n"
    << "#define TESSEL_INJECT " << c.inject << "\n"
    << "#define TESSEL_FLUSH_BYTES " << c.sweepBytes << "LL\n"
    << "#define TESSEL_THREADS " << c.threads << "\n"
    << "struct tessel_array { int code, bits, rank, constant; int64_t "
       "shape[8]; };\n"
    << "static const struct tessel_array tessel_arrays[" << arrays.size()
    << "] = {\n";
  for (const ArraySpec &a : arrays) {
    auto [code, bits] = halideTypeCode(a.type);
    h << "  {" << code << ", " << bits << ", " << a.shape.size() << ", "
      << (a.constant && c.evictConstants) << ", {";
    for (size_t d = 0; d < a.shape.size(); ++d)
      h << (d ? ", " : "") << a.shape[d];
    h << "}},\n";
  }
  h << "};\n";
  // Halide kernels take halide_buffer_t pointers and return a status; MLIR
  // ones take the buffers' data pointers and return nothing.
  std::string params, args;
  for (size_t i = 0; i < arrays.size(); ++i) {
    params += (i ? ", " : "") + std::string(c.mlir ? "void *" : "struct halide_buffer_t *");
    args += (i ? ", " : "") + std::string("a[") + std::to_string(i) + "]" +
            (c.mlir ? "->host" : "");
  }
  for (size_t k = 0; k < candidates; ++k)
    h << (c.mlir ? "void" : "int") << " tessel_k" << functions[k] << "(" << params << ");\n";
  h << "static int tessel_call(int i, struct halide_buffer_t **a) {\n"
    << "  (void)a;\n  switch (i) {\n";
  for (size_t k = 0; k < candidates; ++k) {
    if (c.mlir)
      h << "  case " << k << ": tessel_k" << functions[k] << "(" << args << "); return 0;\n";
    else
      h << "  case " << k << ": return tessel_k" << functions[k] << "(" << args << ");\n";
  }
  h << "  }\n  return -1;\n}\n";
  return h.str();
}

Result<MachineFingerprint> parseMachine(const nlohmann::json &j) {
  try {
    MachineFingerprint m;
    m.arch = j.at("arch").get<std::string>();
    m.cpuModel = j.at("cpu").get<std::string>();
    m.isa = j.at("isa").get<std::vector<std::string>>();
    std::sort(m.isa.begin(), m.isa.end());
    m.cores = j.at("cores").get<int>();
    m.l1dBytes = j.at("l1d").get<int64_t>();
    m.l2Bytes = j.at("l2").get<int64_t>();
    m.l3Bytes = j.at("l3").get<int64_t>();
    m.os = j.at("os").get<std::string>();
    return m;
  } catch (const std::exception &e) {
    return makeError(std::string("the target's fingerprint is malformed: ") + e.what());
  }
}

/// TESSEL_KEEP_TEMPS=1 keeps the benchmark programs and their sources.
bool keepTemps() {
  const char *v = std::getenv("TESSEL_KEEP_TEMPS");
  return v && *v && std::string(v) != "0";
}

std::string lastLine(const std::string &text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
    t.pop_back();
  auto pos = t.rfind('\n');
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

/// Runs `steps` in `cwd` with their output captured; the error is the
/// failing tool's last line of output.
Status runQuietly(const std::vector<std::vector<std::string>> &steps, const std::string &cwd,
                  double timeoutSec) {
  for (const auto &argv : steps) {
    std::string cmd;
    for (const std::string &a : argv)
      cmd += (cmd.empty() ? "" : " ") + shellQuote(a);
    auto r = runShell(cmd, cwd, timeoutSec);
    if (!r)
      return makeError(r.message());
    std::string tool = fs::path(argv[0]).filename().string();
    if (r->timedOut)
      return makeError(tool + " took longer than " + std::to_string(int(timeoutSec)) + " s");
    if (r->signal)
      return makeError(tool + " died with signal " + std::to_string(r->signal) + ": " +
                       lastLine(r->err));
    if (r->exitStatus != 0) {
      // MLIR's diagnostics come first: the first `error:` line says why.
      std::istringstream lines(r->err);
      std::string first;
      for (std::string line; std::getline(lines, line);)
        if (line.find("error:") != std::string::npos) {
          first = line;
          break;
        }
      return makeError(tool + " failed: " + (first.empty() ? lastLine(r->err) : first));
    }
  }
  return Status();
}

/// The result a line of the program reports for a candidate.
MeasureResult resultOf(const nlohmann::json &j) {
  MeasureResult r;
  std::string status = j.value("status", "failed");
  r.status = status == "ok"      ? MeasureStatus::Ok
             : status == "wrong" ? MeasureStatus::Wrong
                                 : MeasureStatus::Failed;
  if (j.contains("median_s"))
    r.medianSec = j["median_s"].get<double>();
  if (j.contains("min_s"))
    r.minSec = j["min_s"].get<double>();
  if (j.contains("spread"))
    r.spread = j["spread"].get<double>();
  if (j.contains("max_error"))
    r.maxError = j["max_error"].get<double>();
  r.repeats = j.value("repeats", 0);
  r.error = j.value("error", "");
  return r;
}

} // namespace

std::string ProgramMeasurer::command(const std::string &exe) const {
  std::string quoted = shellQuote(exe);
  if (options_.runner.empty())
    return "exec " + quoted; // its signals are the shell's
  std::string cmd = options_.runner;
  auto pos = cmd.find("{exe}");
  if (pos == std::string::npos)
    return cmd + " " + quoted;
  while (pos != std::string::npos) {
    cmd.replace(pos, 5, quoted);
    pos = cmd.find("{exe}", pos + quoted.size());
  }
  return cmd;
}

Result<std::unique_ptr<ProgramMeasurer>> ProgramMeasurer::create(const TargetPreset &target,
                                                                 ProgramOptions options) {
  std::unique_ptr<ProgramMeasurer> r(new ProgramMeasurer());
  r->target_ = target;
  r->options_ = std::move(options);
  auto cc = cCompilerFor(target.arch);
  if (!cc)
    return makeError(cc.message());
  r->cc_ = *cc;
  auto work = makeScratchDir("tessel-bench");
  if (!work)
    return makeError(work.message());
  r->work_ = *work;
  // The runtime the candidates call: Halide's, or the model runtime's
  // allocator (db/ModelRuntime.c) for MLIR code.
  r->runtime_ = (fs::path(r->work_) / "runtime.o").string();
  Status runtime = r->options_.realizer == Realizer::Halide
                       ? compileRuntimeObject(target, r->runtime_)
                       : compileModelRuntime(target, r->work_, r->runtime_);
  if (!runtime)
    return makeError(runtime.message());
  if (r->options_.runner.empty())
    return r;
  std::string exe = (fs::path(r->work_) / "tessel-probe").string();
  if (Status s = r->link(nullptr, {}, r->work_, exe); !s)
    return makeError(s.message());
  auto ran = runShell(r->command(exe), r->work_, r->options_.programTimeoutSec);
  if (!ran)
    return makeError(ran.message());
  nlohmann::json machine;
  std::istringstream lines(ran->out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("machine"))
      machine = j["machine"];
  }
  if (machine.is_null()) {
    std::string why = ran->timedOut ? "timed out"
                      : ran->signal ? "died with signal " + std::to_string(ran->signal)
                                    : "exit status " + std::to_string(ran->exitStatus);
    std::string said = lastLine(ran->err + ran->out);
    return makeError("the runner did not run the probe program (" + why + ")" +
                     (said.empty() ? std::string() : ": " + said) +
                     "\n  command: " + r->command(exe));
  }
  auto m = parseMachine(machine);
  if (!m)
    return makeError(m.message());
  r->machine_ = *m;
  if (r->machine_.arch != target.arch)
    return makeError("the runner ran the program on " + r->machine_.arch + ", not " +
                     target.arch);
  r->machine_.versions["tessel"] = kTesselVersion;
  r->machine_.versions["halide"] = halideVersion();
  // Emulated: the program found itself under qemu-user (or the runner
  // names qemu).
  r->machine_.emulated = machine.value("emulated", false) ||
                         r->options_.runner.find("qemu") != std::string::npos;
  return r;
}

ProgramMeasurer::~ProgramMeasurer() {
  std::error_code ec;
  if (work_.empty())
    return;
  if (keepTemps())
    std::fprintf(stderr, "tessel: benchmark programs kept in %s\n", work_.c_str());
  else
    fs::remove_all(work_, ec);
}

Status ProgramMeasurer::link(TaskFixture *fixture, const std::vector<Candidate> &candidates,
                             const std::string &dir, const std::string &exe) {
  fs::path d(dir);
  std::vector<ArraySpec> arrays;
  ProgramConfig config;
  config.mlir = options_.realizer == Realizer::Mlir;
  config.candidateTimeoutSec = std::max(1, int(options_.candidateTimeoutSec));
  bool local = options_.runner.empty();
  config.memoryLimitBytes = local ? options_.memoryLimitBytes : 0;
  config.sweepBytes = options_.sweepBytes;
  config.evictConstants = options_.evictConstants;
  config.threads = options_.threads;
  const char *faults[] = {"crash", "abort", "hang", "wrong", "oom"};
  for (int i = 0; i < 5; ++i)
    if (options_.inject == faults[i])
      config.inject = i + 1;
  std::string data;
  if (fixture) {
    KernelArrays &a = fixture->arrays();
    arrays = a.specs;
    for (size_t i = 0; i + 1 < a.bytes.size(); ++i)
      data.append(reinterpret_cast<const char *>(a.bytes[i].data()), a.bytes[i].size());
    const auto &ref = fixture->reference();
    data.append(reinterpret_cast<const char *>(ref.data()), ref.size() * sizeof(double));
    config.tolerance = fixture->tolerance();
  } else {
    arrays.push_back({"output", {1}, "f32"}); // the probe: no candidates
  }
  std::vector<size_t> functions;
  std::vector<std::string> objects;
  for (const Candidate &c : candidates) {
    functions.push_back(c.index);
    if (std::find(objects.begin(), objects.end(), c.object) == objects.end())
      objects.push_back(c.object);
  }
  std::ofstream(d / "candidates.h") << candidatesHeader(arrays, config, functions);
  std::ofstream(d / "data.bin", std::ios::binary) << data;
  std::ofstream(d / "data.S") << "  .section .rodata\n  .global tessel_data\n"
                                 "  .balign 64\ntessel_data:\n  .incbin \"data.bin\"\n"
                                 "  .byte 0\n  .section .note.GNU-stack,\"\",%progbits\n";
  std::ofstream(d / "bench.c") << kBenchProgramSource;
  // Another machine gets a static program; here, the OpenMP runtime of
  // multithreaded MLIR code is LLVM's shared libomp.
  std::vector<std::string> argv = {cc_, "-O2"};
  if (!local)
    argv.push_back("-static");
  argv.insert(argv.end(), {"-I" + halideRuntimeIncludeDir(), "-I.", "bench.c", "data.S"});
  argv.insert(argv.end(), objects.begin(), objects.end());
  argv.push_back(runtime_);
  if (config.mlir && options_.threads > 1)
    argv.insert(argv.end(), {"-L/usr/lib/llvm-19/lib", "-lomp",
                             "-Wl,-rpath,/usr/lib/llvm-19/lib"});
  argv.insert(argv.end(), {"-lpthread", "-ldl", "-lm", "-o", exe});
  // Quietly: a static link warns about the Halide runtime's dlopen.
  std::string cmd;
  for (const std::string &a : argv)
    cmd += (cmd.empty() ? "" : " ") + shellQuote(a);
  auto r = runShell(cmd, dir, 300);
  if (!r)
    return makeError(r.message());
  if (r->exitStatus != 0)
    return makeError(cc_ + " failed: " + lastLine(r->err));
  return Status();
}

std::vector<ProgramMeasurer::Candidate>
ProgramMeasurer::compileMlir(const TaskSignature &task, const std::vector<Schedule> &schedules,
                             const std::vector<size_t> &index, const std::string &dir,
                             std::vector<MeasureResult> &results) {
  std::map<size_t, std::string> functions;
  for (size_t i : index) {
    auto f = taskFunctionMlir(task, "tessel_k" + std::to_string(i), schedules[i]);
    if (f)
      functions[i] = *f;
    else
      results[i].error = f.message();
  }
  std::string options = "threads=" + std::to_string(options_.threads);
  double timeout = 120 + 30.0 * double(functions.size());
  auto build = [&](const std::string &stem, const std::vector<std::string> &texts) {
    std::ofstream(fs::path(dir) / (stem + ".mlir")) << mlirModule(texts);
    return runQuietly(mlirObjectSteps(stem + ".mlir", stem, options, target_), dir, timeout);
  };
  std::vector<Candidate> done;
  std::vector<std::string> all;
  for (const auto &[i, f] : functions)
    all.push_back(f);
  if (!functions.empty() && build("batch", all)) {
    for (const auto &[i, f] : functions)
      done.push_back({i, (fs::path(dir) / "batch.o").string()});
    return done;
  }
  // The batch does not compile: one object each, so that only the culprits
  // fail.
  for (const auto &[i, f] : functions) {
    std::string stem = "k" + std::to_string(i);
    if (Status s = build(stem, {f}); !s)
      results[i].error = s.message();
    else
      done.push_back({i, (fs::path(dir) / (stem + ".o")).string()});
  }
  return done;
}

std::vector<ProgramMeasurer::Candidate>
ProgramMeasurer::compile(const TaskSignature &task, const std::vector<Schedule> &schedules,
                         const std::string &dir, std::vector<MeasureResult> &results) {
  std::vector<size_t> index;
  for (size_t i = 0; i < schedules.size(); ++i) {
    if (schedules[i].kind != "loopnest")
      results[i].error = "autoscheduler schedules are measured by the Halide JIT here";
    else
      index.push_back(i);
  }
  if (options_.realizer == Realizer::Mlir)
    return compileMlir(task, schedules, index, dir, results);
  std::vector<Candidate> done;
  for (size_t i : index) {
    std::string object = (fs::path(dir) / ("k" + std::to_string(i) + ".o")).string();
    Status s = compileKernelObject(task, schedules[i], target_, "tessel_k" + std::to_string(i),
                                   object);
    if (!s)
      results[i].error = s.message();
    else
      done.push_back({i, object});
  }
  return done;
}

void ProgramMeasurer::runAll(TaskFixture &fixture, std::vector<Candidate> pending,
                             const std::string &dir, std::vector<MeasureResult> &results) {
  while (!pending.empty()) {
    std::string exe = (fs::path(dir) / "tessel-bench").string();
    if (Status s = link(&fixture, pending, dir, exe); !s) {
      for (const Candidate &p : pending)
        results[p.index].error = "linking the benchmark program: " + s.message();
      return;
    }
    auto ran = runShell(command(exe), dir, options_.programTimeoutSec);
    std::map<int, nlohmann::json> done;
    int begun = -1;
    bool started = false;
    if (ran) {
      std::istringstream lines(ran->out);
      for (std::string line; std::getline(lines, line);) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object())
          continue;
        if (j.contains("machine"))
          started = true;
        else if (j.contains("begin"))
          begun = j["begin"].get<int>();
        else if (j.contains("candidate"))
          done[j["candidate"].get<int>()] = j;
      }
    }
    for (auto &[c, j] : done)
      if (c >= 0 && static_cast<size_t>(c) < pending.size())
        results[pending[c].index] = resultOf(j);
    std::string where = options_.runner.empty() ? "" : " on the target";
    // A runner's shell reports its program's death by signal N as 128 + N.
    int signal = !ran ? 0
                 : ran->signal ? ran->signal
                 : ran->exitStatus > 128 && ran->exitStatus < 160 ? ran->exitStatus - 128
                                                                   : 0;
    std::string why = !ran            ? ran.message()
                      : ran->timedOut ? "timed out" + where
                      : signal        ? "killed by signal " + std::to_string(signal) + " (" +
                                     strsignal(signal) + ")"
                                      : "exit status " + std::to_string(ran->exitStatus);
    if (!ran || !started) {
      // The program never started (so nothing is done): a dead runner,
      // connection or target, or a program that cannot load.
      std::string who = options_.runner.empty() ? "the benchmark program did not start"
                                                : "the runner failed";
      for (const Candidate &p : pending)
        results[p.index].error = who + " (" + why + "): " + (ran ? lastLine(ran->err) : "");
      return;
    }
    std::vector<Candidate> rest;
    for (size_t c = 0; c < pending.size(); ++c) {
      if (done.count(static_cast<int>(c)))
        continue;
      if (static_cast<int>(c) == begun) {
        MeasureResult &r = results[pending[c].index];
        bool alarm = signal == SIGALRM;
        r.status = alarm || ran->timedOut ? MeasureStatus::Timeout : MeasureStatus::Failed;
        r.error = alarm ? "no result within " +
                              std::to_string(int(options_.candidateTimeoutSec)) + " s"
                        : "crashed the benchmark program" + where + " (" + why + ")";
        continue;
      }
      rest.push_back(pending[c]);
    }
    if (rest.size() == pending.size())
      return; // no progress: give up on the rest (their error stays)
    pending = rest;
  }
}

std::vector<MeasureResult> ProgramMeasurer::measure(TaskFixture &fixture,
                                                    const std::vector<Schedule> &schedules) {
  std::vector<MeasureResult> results(schedules.size());
  fs::path dir = fs::path(work_) / ("batch" + std::to_string(batches_++));
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::vector<Candidate> pending = compile(fixture.task(), schedules, dir.string(), results);
  runAll(fixture, pending, dir.string(), results);
  for (MeasureResult &r : results)
    if (r.status == MeasureStatus::Failed && r.error.empty())
      r.error = "not measured";
  if (!keepTemps())
    fs::remove_all(dir, ec);
  return results;
}

} // namespace tessel
