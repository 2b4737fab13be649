// Isolated measurement of candidate schedules.
#include "tuner/Measure.h"

#include "db/Format.h"
#include "db/Process.h"
#include "kernels/Arrays.h"
#include "kernels/Reference.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace tessel {

using nlohmann::json;

double steadyNow() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

namespace {

double now() { return steadyNow(); }

double cpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

void writeAll(int fd, const std::string &s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    off += static_cast<size_t>(n);
  }
}

json resultJson(const MeasureResult &r) {
  auto opt = [](const std::optional<double> &v) {
    return v ? json(*v) : json(nullptr);
  };
  return {{"status", statusName(r.status)}, {"median", opt(r.medianSec)},
          {"min", opt(r.minSec)},           {"spread", opt(r.spread)},
          {"max_error", opt(r.maxError)},   {"repeats", r.repeats},
          {"compile", r.compileSec},        {"error", r.error}};
}

/// Times the bound kernel: returns per-call seconds of each kept sample.
std::vector<double> timeKernel(CompiledKernel &k, const MeasureOptions &o) {
  // Calibrate: enough calls per sample to last minSampleSec.
  double t0 = now();
  (void)k.run();
  double once = std::max(now() - t0, 1e-7);
  int inner = std::max(1, static_cast<int>(o.minSampleSec / once));
  std::vector<double> samples;
  double start = now();
  int attempts = 0;
  while (static_cast<int>(samples.size()) < o.maxRepeats &&
         attempts < 3 * o.maxRepeats) {
    ++attempts;
    double w0 = now(), c0 = cpuNow();
    for (int i = 0; i < inner; ++i)
      (void)k.run();
    double wall = now() - w0, cpu = cpuNow() - c0;
    // A sample during which we did not have a whole core measures the
    // machine, not the kernel. (A kernel that does not use all its threads
    // still keeps one core busy, so the test is against one core.)
    if (cpu / wall >= 0.9 || attempts > 2 * o.maxRepeats)
      samples.push_back(wall / inner);
    if (!samples.empty() && now() - start > 3 * o.maxTimingSec)
      break;
    if (static_cast<int>(samples.size()) >= o.minRepeats) {
      std::vector<double> s = samples;
      std::sort(s.begin(), s.end());
      double med = s[s.size() / 2];
      double spread = (s[s.size() * 9 / 10 >= s.size() ? s.size() - 1
                                                      : s.size() * 9 / 10] -
                       s[s.size() / 10]) /
                      med;
      if (spread <= o.targetSpread || now() - start > o.maxTimingSec)
        break;
    }
  }
  return samples;
}

[[noreturn]] void childMain(int fd, TaskFixture &fixture,
                            const Schedule &schedule, const TargetPreset &target,
                            const MeasureOptions &o) {
  MeasureResult r;
  try {
    // Die with the parent (no orphans if it is killed), and let Ctrl-C reach
    // this process with its default action instead of the parent's handler.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGINT, SIG_DFL);
#if !defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer reserves terabytes of address space: no limit there.
    rlimit lim{static_cast<rlim_t>(o.memoryLimitBytes),
               static_cast<rlim_t>(o.memoryLimitBytes)};
    setrlimit(RLIMIT_AS, &lim);
#endif
    setenv("HL_NUM_THREADS", std::to_string(o.threads).c_str(), 1);
    double c0 = now();
    auto k = CompiledKernel::compile(fixture.task(), schedule, target, o.threads);
    r.compileSec = now() - c0;
    if (!k) {
      r.error = k.message();
      writeAll(fd, resultJson(r).dump() + "\n");
      _exit(0);
    }
    if (o.inject == "crash") {
      signal(SIGSEGV, SIG_DFL); // a sanitizer's handler would exit instead
      raise(SIGSEGV);
    }
    if (o.inject == "abort")
      abort();
    if (o.inject == "hang")
      while (true)
        pause();
    if (o.inject == "oom") {
      std::vector<std::vector<char>> hog;
      while (true)
        hog.emplace_back(size_t(256) << 20, 1);
    }
    KernelArrays &arrays = fixture.arrays();
    arrays.poisonOutput();
    if (Status s = (*k)->bind(arrays); !s) {
      r.error = s.message();
      writeAll(fd, resultJson(r).dump() + "\n");
      _exit(0);
    }
    if (Status s = (*k)->run(); !s) {
      r.error = s.message();
      writeAll(fd, resultJson(r).dump() + "\n");
      _exit(0);
    }
    std::vector<double> got = arrays.outputValues();
    if (o.inject == "wrong")
      got[got.size() / 2] += fixture.tolerance() + 100.0;
    double err = maxAbsError(got, fixture.reference());
    r.maxError = std::isfinite(err) ? err : std::numeric_limits<double>::max();
    if (!(err <= fixture.tolerance())) {
      r.status = MeasureStatus::Wrong;
      r.error = "max error " + std::to_string(err) + " exceeds tolerance " +
                std::to_string(fixture.tolerance());
      writeAll(fd, resultJson(r).dump() + "\n");
      _exit(0);
    }
    std::vector<double> s = timeKernel(**k, o);
    std::sort(s.begin(), s.end());
    r.status = MeasureStatus::Ok;
    r.repeats = static_cast<int>(s.size());
    r.medianSec = s[s.size() / 2];
    r.minSec = s.front();
    r.spread = (s[std::min(s.size() - 1, s.size() * 9 / 10)] -
                s[s.size() / 10]) /
               *r.medianSec;
  } catch (const std::bad_alloc &) {
    r = MeasureResult();
    r.error = "out of memory (limit " +
              std::to_string(o.memoryLimitBytes >> 20) + " MiB)";
  } catch (const std::exception &e) {
    r = MeasureResult();
    r.error = e.what();
  }
  writeAll(fd, resultJson(r).dump() + "\n");
  _exit(0);
}

/// The last line(s) of what the child printed on stderr, for the reason.
std::string tail(const std::string &s, size_t n = 300) {
  std::string t = s.size() > n ? s.substr(s.size() - n) : s;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
    t.pop_back();
  for (char &c : t)
    if (c == '\n')
      c = ' ';
  return t;
}

/// Bytes a fixture of `task` holds: every array as stored and as doubles,
/// the reference output and one measured output.
double fixtureBytes(const TaskSignature &task) {
  double bytes = 0;
  for (const ArraySpec &a : kernelArrays(task))
    bytes += static_cast<double>(a.elements()) *
             (a.elementBytes() + 2 * sizeof(double));
  return bytes;
}

/// The reference of `arrays`' inputs, computed in a child: its naive loops
/// take minutes for a large task and may run out of memory, neither of
/// which may take the session with it. The values come back through a
/// shared mapping, an error message through a pipe.
Status referenceInChild(const TaskSignature &task, const KernelArrays &arrays,
                        std::vector<double> &out, double deadline) {
  size_t n = static_cast<size_t>(kernelArrays(task).back().elements());
  size_t bytes = std::max<size_t>(n * sizeof(double), 1);
  void *shared = mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED)
    return makeError(std::string("cannot map the reference output: ") +
                     std::strerror(errno));
  int msg[2];
  if (pipe2(msg, O_CLOEXEC) != 0) {
    munmap(shared, bytes);
    return makeError(std::string("cannot create a pipe: ") +
                     std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    close(msg[0]);
    std::string error;
    try {
      std::vector<double> v;
      if (Status s = computeReference(task, arrays.inputValues(), v); !s)
        error = s.message();
      else
        std::memcpy(shared, v.data(), v.size() * sizeof(double));
    } catch (const std::exception &e) {
      error = std::string("the reference failed: ") + e.what();
    }
    writeAll(msg[1], error);
    _exit(error.empty() ? 0 : 1);
  }
  close(msg[1]);
  Status result;
  if (pid < 0) {
    result = makeError(std::string("cannot fork: ") + std::strerror(errno));
  } else {
    int status = 0;
    bool late = false;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      if (deadline > 0 && now() > deadline) {
        late = true;
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        break;
      }
      usleep(5000);
    }
    std::string error;
    char buf[512];
    for (ssize_t got; (got = read(msg[0], buf, sizeof buf)) > 0;)
      error.append(buf, static_cast<size_t>(got));
    if (late)
      result = makeError(
          "the reference (naive loops, " + fixed(task.flops() * 1e-9, 1) +
          " GFLOP) was not done within the time left for the task");
    else if (WIFSIGNALED(status))
      result = makeError("the reference died: " + signalText(WTERMSIG(status)));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      result = makeError(error.empty() ? "the reference failed" : error);
    else
      out.assign(static_cast<const double *>(shared),
                 static_cast<const double *>(shared) + n);
  }
  close(msg[0]);
  munmap(shared, bytes);
  return result;
}

} // namespace

Status checkMeasurable(const TaskSignature &task) {
  if (Status s = checkTunable(task); !s)
    return s;
  double need = fixtureBytes(task);
  double have =
      static_cast<double>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
  if (have > 0 && need > 0.5 * have)
    return makeError("its arrays and reference need " +
                     fixed(need / (1 << 30), 1) +
                     " GiB, more than half of this machine's " +
                     fixed(have / (1 << 30), 1) + " GiB of memory");
  return Status();
}

Result<std::shared_ptr<TaskFixture>>
TaskFixture::create(const TaskSignature &task, uint64_t seed, double deadline) {
  if (Status s = checkMeasurable(task); !s)
    return makeError(s.message());
  auto f = std::make_shared<TaskFixture>();
  f->task_ = task;
  f->arrays_ = KernelArrays::random(task, seed);
  if (Status s = referenceInChild(task, f->arrays_, f->reference_, deadline);
      !s)
    return makeError(s.message());
  f->tolerance_ = referenceTolerance(task);
  return f;
}

MeasureResult measure(TaskFixture &fixture, const Schedule &schedule,
                      const TargetPreset &target, const MeasureOptions &o) {
  MeasureResult r;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    r.error = std::string("cannot create a pipe: ") + std::strerror(errno);
    return r;
  }
  if (pipe2(err, O_CLOEXEC) != 0) {
    r.error = std::string("cannot create a pipe: ") + std::strerror(errno);
    close(out[0]);
    close(out[1]);
    return r;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    r.error = std::string("cannot fork: ") + std::strerror(errno);
    for (int fd : {out[0], out[1], err[0], err[1]})
      close(fd);
    return r;
  }
  if (pid == 0) {
    close(out[0]);
    close(err[0]);
    dup2(err[1], STDERR_FILENO);
    childMain(out[1], fixture, schedule, target, o);
  }
  close(out[1]);
  close(err[1]);
  std::string result, errors;
  double deadline = now() + o.timeoutSec;
  bool timedOut = false, cancelled = false;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    if (o.cancel && o.cancel->load()) {
      cancelled = true;
      break;
    }
    double left = deadline - now();
    if (left <= 0) {
      timedOut = true;
      break;
    }
    int n = poll(fds, 2, static_cast<int>(std::min(left, 0.2) * 1000) + 1);
    if (n < 0 && errno == EINTR)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      char buf[4096];
      ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i == 0 ? result : errors).append(buf, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
  if (timedOut || cancelled)
    kill(pid, SIGKILL);
  for (auto &f : fds)
    if (f.fd >= 0)
      close(f.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (cancelled) {
    r.error = "cancelled";
    return r;
  }
  if (timedOut) {
    r.status = MeasureStatus::Timeout;
    r.error = "no result within " + std::to_string(int(o.timeoutSec)) + " s";
    return r;
  }
  if (WIFSIGNALED(status)) {
    r.error = signalText(WTERMSIG(status));
    if (!errors.empty())
      r.error += ": " + tail(errors);
    return r;
  }
  try {
    json j = json::parse(result.substr(0, result.find('\n')));
    auto st = parseStatus(j.at("status").get<std::string>());
    r.status = st ? *st : MeasureStatus::Failed;
    auto opt = [&](const char *key) -> std::optional<double> {
      return j.at(key).is_null() ? std::nullopt
                                 : std::optional<double>(j.at(key).get<double>());
    };
    r.medianSec = opt("median");
    r.minSec = opt("min");
    r.spread = opt("spread");
    r.maxError = opt("max_error");
    r.repeats = j.at("repeats").get<int>();
    r.compileSec = j.at("compile").get<double>();
    r.error = j.at("error").get<std::string>();
  } catch (const json::exception &) {
    r = MeasureResult();
    r.error = "exited with status " + std::to_string(WEXITSTATUS(status)) +
              " without a result" + (errors.empty() ? "" : ": " + tail(errors));
  }
  return r;
}

} // namespace tessel
