// Measurement through a runner on another machine (see Remote.h).
#include "tuner/Remote.h"

#include "db/Process.h"
#include "db/Version.h"
#include "kernels/Aot.h"
#include "kernels/Arrays.h"
#include "kernels/HalideInfo.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace tessel {

extern const char *const kRemoteBenchSource; // RemoteBench.c, embedded

namespace {

/// candidates.h: the arrays, the tolerance and a call per candidate.
std::string candidatesHeader(const std::vector<ArraySpec> &arrays, double tolerance,
                             const std::vector<size_t> &functions) {
  size_t candidates = functions.size();
  std::ostringstream h;
  h << "#include <HalideRuntime.h>\n#include <stdint.h>\n"
    << "#define TESSEL_NUM_ARRAYS " << arrays.size() << "\n"
    << "#define TESSEL_NUM_CANDIDATES " << candidates << "\n"
    << "#define TESSEL_TOLERANCE " << tolerance << "\n"
    << "struct tessel_array { int code, bits, rank; int64_t shape[8]; };\n"
    << "static const struct tessel_array tessel_arrays[" << arrays.size() << "] = {\n";
  for (const ArraySpec &a : arrays) {
    auto [code, bits] = halideTypeCode(a.type);
    h << "  {" << code << ", " << bits << ", " << a.shape.size() << ", {";
    for (size_t d = 0; d < a.shape.size(); ++d)
      h << (d ? ", " : "") << a.shape[d];
    h << "}},\n";
  }
  h << "};\n";
  std::string params, args;
  for (size_t i = 0; i < arrays.size(); ++i) {
    params += (i ? ", " : "") + std::string("struct halide_buffer_t *");
    args += (i ? ", " : "") + std::string("a[") + std::to_string(i) + "]";
  }
  for (size_t c = 0; c < candidates; ++c)
    h << "int tessel_k" << functions[c] << "(" << params << ");\n";
  h << "static int tessel_call(int i, struct halide_buffer_t **a) {\n"
    << "  (void)a;\n  switch (i) {\n";
  for (size_t c = 0; c < candidates; ++c)
    h << "  case " << c << ": return tessel_k" << functions[c] << "(" << args << ");\n";
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

std::string lastLine(const std::string &text) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
    t.pop_back();
  auto pos = t.rfind('\n');
  return pos == std::string::npos ? t : t.substr(pos + 1);
}

} // namespace

std::string RemoteMeasurer::command(const std::string &exe) const {
  std::string cmd = options_.runner, quoted = shellQuote(exe);
  auto pos = cmd.find("{exe}");
  if (pos == std::string::npos)
    return cmd + " " + quoted;
  while (pos != std::string::npos) {
    cmd.replace(pos, 5, quoted);
    pos = cmd.find("{exe}", pos + quoted.size());
  }
  return cmd;
}

Result<std::unique_ptr<RemoteMeasurer>> RemoteMeasurer::create(const TargetPreset &target,
                                                               RemoteOptions options) {
  std::unique_ptr<RemoteMeasurer> r(new RemoteMeasurer());
  r->target_ = target;
  r->options_ = std::move(options);
  auto cc = cCompilerFor(target.arch);
  if (!cc)
    return makeError(cc.message());
  r->cc_ = *cc;
  auto work = makeScratchDir("tessel-remote");
  if (!work)
    return makeError(work.message());
  r->work_ = *work;
  r->runtime_ = (fs::path(r->work_) / "halide_runtime.o").string();
  if (Status s = compileRuntimeObject(target, r->runtime_); !s)
    return makeError(s.message());
  std::string exe = (fs::path(r->work_) / "tessel-probe").string();
  if (Status s = r->link(nullptr, {}, r->work_, exe); !s)
    return makeError(s.message());
  auto ran = runShell(r->command(exe), r->work_, r->options_.timeoutSec);
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

RemoteMeasurer::~RemoteMeasurer() {
  std::error_code ec;
  if (!work_.empty())
    fs::remove_all(work_, ec);
}

Status RemoteMeasurer::link(TaskFixture *fixture, const std::vector<Candidate> &candidates,
                            const std::string &dir, const std::string &exe) {
  fs::path d(dir);
  std::vector<ArraySpec> arrays;
  double tolerance = 0;
  std::string data;
  if (fixture) {
    KernelArrays &a = fixture->arrays();
    arrays = a.specs;
    for (size_t i = 0; i + 1 < a.bytes.size(); ++i)
      data.append(reinterpret_cast<const char *>(a.bytes[i].data()), a.bytes[i].size());
    const auto &ref = fixture->reference();
    data.append(reinterpret_cast<const char *>(ref.data()), ref.size() * sizeof(double));
    tolerance = fixture->tolerance();
  } else {
    arrays.push_back({"output", {1}, "f32"}); // the probe: no candidates
  }
  std::vector<size_t> functions;
  for (const Candidate &c : candidates)
    functions.push_back(c.index);
  std::ofstream(d / "candidates.h") << candidatesHeader(arrays, tolerance, functions);
  std::ofstream(d / "data.bin", std::ios::binary) << data;
  std::ofstream(d / "data.S") << "  .section .rodata\n  .global tessel_data\n"
                                 "  .balign 64\ntessel_data:\n  .incbin \"data.bin\"\n"
                                 "  .byte 0\n  .section .note.GNU-stack,\"\",%progbits\n";
  std::ofstream(d / "bench.c") << kRemoteBenchSource;
  std::vector<std::string> argv = {cc_, "-O2", "-static", "-I" + halideRuntimeIncludeDir(),
                                   "-I.", "bench.c", "data.S"};
  for (const Candidate &c : candidates)
    argv.push_back(c.object);
  argv.insert(argv.end(), {runtime_, "-lpthread", "-ldl", "-lm", "-o", exe});
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

std::vector<MeasureResult> RemoteMeasurer::measure(TaskFixture &fixture,
                                                   const std::vector<Schedule> &schedules) {
  std::vector<MeasureResult> results(schedules.size());
  fs::path dir = fs::path(work_) / ("batch" + std::to_string(batches_++));
  std::error_code ec;
  fs::create_directories(dir, ec);
  // Compile every candidate; one Halide rejects fails alone.
  std::vector<Candidate> pending;
  for (size_t i = 0; i < schedules.size(); ++i) {
    std::string object = (dir / ("k" + std::to_string(i) + ".o")).string();
    if (schedules[i].kind != "loopnest") {
      results[i].error = "autoscheduler schedules are measured on the machine itself";
      continue;
    }
    Status s = compileKernelObject(fixture.task(), schedules[i], target_,
                                   "tessel_k" + std::to_string(i), object);
    if (!s) {
      results[i].error = s.message();
      continue;
    }
    pending.push_back({i, object});
  }
  while (!pending.empty()) {
    std::string exe = (dir / "tessel-bench").string();
    if (Status s = link(&fixture, pending, dir.string(), exe); !s) {
      for (const Candidate &p : pending)
        results[p.index].error = "linking the benchmark program: " + s.message();
      return results;
    }
    auto ran = runShell(command(exe), dir.string(), options_.timeoutSec);
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
    for (auto &[c, j] : done) {
      if (c < 0 || static_cast<size_t>(c) >= pending.size())
        continue;
      MeasureResult &r = results[pending[c].index];
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
    }
    std::vector<Candidate> rest;
    std::string why = !ran ? ran.message()
                      : ran->timedOut ? "timed out on the target"
                      : ran->signal ? "the runner died with signal " + std::to_string(ran->signal)
                                    : "exit status " + std::to_string(ran->exitStatus);
    if (!ran || !started) {
      // The program never started (so nothing is done): a dead runner,
      // connection or target.
      for (const Candidate &p : pending)
        results[p.index].error =
            "the runner failed (" + why + "): " + (ran ? lastLine(ran->err) : "");
      return results;
    }
    for (size_t c = 0; c < pending.size(); ++c) {
      if (done.count(static_cast<int>(c)))
        continue;
      if (static_cast<int>(c) == begun) {
        MeasureResult &r = results[pending[c].index];
        r.status = ran->timedOut ? MeasureStatus::Timeout : MeasureStatus::Failed;
        r.error = "crashed the benchmark program on the target (" + why + ")";
        continue;
      }
      rest.push_back(pending[c]);
    }
    if (rest.size() == pending.size())
      break; // no progress: give up on the rest (their error stays)
    pending = rest;
  }
  for (MeasureResult &r : results)
    if (r.status == MeasureStatus::Failed && r.error.empty())
      r.error = "not measured";
  fs::remove_all(dir, ec);
  return results;
}

} // namespace tessel
