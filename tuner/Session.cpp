// The tuning session loop.
#include "tuner/Session.h"

#include "db/Format.h"
#include "db/Queries.h"
#include "kernels/Arrays.h"
#include "kernels/HalideInfo.h"
#include "kernels/Plan.h"
#include "tuner/Peak.h"
#include "tuner/Progress.h"
#include "tuner/Search.h"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <set>

namespace tessel {

namespace {

std::atomic<bool> interrupted{false};

void onSigint(int) { interrupted = true; }

// The clock of the deadlines passed to TaskFixture::create.
double now() { return steadyNow(); }

void keepBest(std::optional<double> &slot, double v) {
  if (!slot || v < *slot)
    slot = v;
}

std::string shortLabel(const TaskSignature &t) {
  std::string s = t.canonical();
  return s.size() > 44 ? s.substr(0, 41) + "..." : s;
}

using Batch = std::vector<std::pair<Schedule, std::string>>;

} // namespace

bool tuneInterrupted() { return interrupted; }

/// One task's tuning: what is stored, the seeds, then the search, each
/// result committed as it comes.
class TaskTuner {
public:
  TaskTuner(TuneSession &s, TaskSummary &summary, double deadline, std::string label,
            Realizer realizer, TaskFixture &fixture, bool defaultOnly)
      : s_(s), summary_(summary), task_(summary.task), deadline_(deadline),
        defaultOnly_(defaultOnly),
        realizer_(realizer), fixture_(fixture), space_(task_, s.target_, realizer),
        search_(space_,
                s.options_.seed ^ std::stoull(task_.hash().substr(0, 16), nullptr, 16),
                searchOptions(s.options_), s.options_.costModel),
        bar_(s.log_, label, s.options_.trials > 0 ? s.options_.trials : 0, s.peak_) {
    planned_ = s.options_.trials > 0 ? s.options_.trials : 0;
    program_ = s.programFor(realizer);
  }

  Status run() {
    if (Status st = loadStored(); !st)
      return st;
    // The default is measured whenever it has no record yet, even once the
    // trials are all stored: a newer tessel's default must not lose to the
    // stale best of an older one unseen.
    const Schedule heuristic =
        defaultSchedule(task_, s_.target_, realizer_, s_.options_.threads);
    bool heuristicStored = stored_.count(heuristic.hash()) > 0;
    if (defaultOnly_)
      return heuristicStored || outOfTime() ? Status() : measureDefault(heuristic);
    if (outOfBudget() && (heuristicStored || outOfTime())) {
      bar_.finish(done_, gflops(summary_.best),
                  planned_ > 0 && done_ >= planned_ ? "(already tuned: all trials stored)"
                                                    : "(no time left)");
      return Status();
    }
    start_ = now();
    if (Status st = seeds(heuristic); !st)
      return st;
    if (Status st = searchLoop(); !st)
      return st;
    finish();
    return Status();
  }

private:
  static SearchOptions searchOptions(const TuneOptions &o) {
    SearchOptions so;
    if (o.search == "random")
      so.randomFraction = 1.0;
    return so;
  }

  std::optional<double> gflops(std::optional<double> sec) const {
    if (!sec)
      return std::nullopt;
    return task_.flops() / *sec * 1e-9;
  }
  bool outOfTime() const { return interrupted || (deadline_ > 0 && now() >= deadline_); }
  bool outOfBudget() const { return outOfTime() || (planned_ > 0 && done_ >= planned_); }
  bool emulated() const { return program_ && program_->emulated(); }
  std::optional<double> eta() const {
    std::optional<double> e;
    if (measuredNow_ > 0 && planned_ > 0)
      e = (now() - start_) / measuredNow_ * (planned_ - done_);
    if (deadline_ > 0 && (!e || *e > deadline_ - now()))
      e = std::max(0.0, deadline_ - now());
    return e;
  }

  /// Folds one result into the summary's per-source bests and counters.
  void account(const std::string &source, MeasureStatus status, std::optional<double> median,
               bool emulated, bool autoscheduler) {
    if (status == MeasureStatus::Failed)
      ++summary_.failed;
    if (status == MeasureStatus::Wrong)
      ++summary_.wrong;
    if (status == MeasureStatus::Timeout)
      ++summary_.timeouts;
    if (status != MeasureStatus::Ok || !median || emulated)
      return;
    if (source == "adams2019")
      keepBest(summary_.adams2019, *median);
    else if (source == "mullapudi2016")
      keepBest(summary_.mullapudi2016, *median);
    if (autoscheduler)
      return;
    keepBest(summary_.best, *median);
    if (source == "heuristic")
      keepBest(summary_.heuristic, *median);
  }

  /// What this machine already measured with this thread count: the
  /// realizer's records are trials the search learns from; autoscheduler
  /// seeds (Halide's, whatever the realizer) are reference points. Records
  /// merged from other machines describe those machines, not this one.
  Status loadStored() {
    auto rows = queryMeasurements(s_.db_, task_.hash(), s_.target_.name, s_.machine_.hash(),
                                  s_.options_.threads);
    if (!rows)
      return makeError(rows.message());
    for (const auto &row : *rows) {
      auto sched = Schedule::fromJson(row.scheduleJson);
      bool autoscheduler = sched && sched->kind == "autoscheduler";
      if (row.realizer != realizerName(realizer_) && !autoscheduler)
        continue;
      stored_.insert(row.scheduleHash);
      auto st = parseStatus(row.status);
      account(row.source, st ? *st : MeasureStatus::Failed, row.medianSec, row.emulated,
              autoscheduler);
      if (autoscheduler)
        continue;
      ++summary_.stored;
      if (sched)
        search_.observe(*sched, row.status == "ok" && !row.emulated ? row.medianSec
                                                                    : std::nullopt);
    }
    done_ = summary_.stored;
    return Status();
  }

  /// Commits one result at once, and tells the search (emulated timings are
  /// not timings: the search learns nothing from them).
  Status record(const Schedule &sched, const std::string &source, const MeasureResult &r,
                Realizer realizer) {
    Measurement m;
    m.task = task_;
    m.target = s_.target_.name;
    m.schedule = sched;
    m.machine = s_.machine_;
    m.sessionUuid = s_.session_;
    m.source = source;
    m.status = r.status;
    m.medianSec = r.medianSec;
    m.minSec = r.minSec;
    m.spread = r.spread;
    m.repeats = r.repeats;
    m.maxError = r.maxError;
    m.threads = s_.options_.threads;
    m.error = r.error;
    m.emulated = emulated();
    m.realizer = realizer;
    m.cache = program_ && sched.kind == "loopnest" ? program_->cacheState()
                                                   : CacheState::Warm;
    if (auto inserted = s_.db_.insertMeasurements({m}); !inserted)
      return makeError(inserted.message());
    bool autoscheduler = sched.kind == "autoscheduler";
    if (!autoscheduler)
      search_.observe(sched, r.status == MeasureStatus::Ok && !m.emulated ? r.medianSec
                                                                          : std::nullopt);
    account(source, r.status, r.medianSec, m.emulated, autoscheduler);
    // Faster than the peak: the peak was measured on a busy machine.
    if (r.status == MeasureStatus::Ok && !m.emulated && gflops(r.medianSec) &&
        *gflops(r.medianSec) > s_.peak_)
      s_.remeasurePeak();
    if (r.status != MeasureStatus::Ok && firstError_.empty())
      firstError_ = std::string(statusName(r.status)) + ": " + r.error;
    verified_ += r.status == MeasureStatus::Ok ? 1 : 0;
    if (!autoscheduler) {
      ++done_;
      ++summary_.measured;
    }
    ++measuredNow_;
    return Status();
  }

  /// A batch measured by the realizer's path: the Halide JIT here one by one,
  /// or a benchmark program (the MLIR realizer, or a runner).
  Status measureBatch(const Batch &batch, bool quiet = false) {
    if (!program_) {
      for (const auto &[sched, source] : batch) {
        if (sched.kind == "loopnest" && outOfBudget() && !quiet)
          break;
        if (!quiet)
          bar_.update(done_, gflops(summary_.best), eta(), "measuring " + source);
        MeasureOptions mo = s_.options_.measure;
        // Halide's autoschedulers search before compiling: give them longer.
        if (sched.kind == "autoscheduler")
          mo.timeoutSec *= 5;
        MeasureResult r = measure(fixture_, sched, s_.target_, mo);
        if (interrupted)
          return Status(); // stopped mid-candidate: not a result
        Realizer rz = sched.kind == "autoscheduler" ? Realizer::Halide : realizer_;
        if (Status st = record(sched, source, r, rz); !st)
          return st;
      }
      return Status();
    }
    if (!quiet)
      bar_.update(done_, gflops(summary_.best), eta(),
                  "compiling and running " + std::to_string(batch.size()) +
                      (s_.options_.runner.empty() ? "" : " on the target"));
    std::vector<Schedule> schedules;
    for (const auto &b : batch)
      schedules.push_back(b.first);
    auto results = program_->measure(fixture_, schedules);
    if (interrupted)
      return Status();
    for (size_t i = 0; i < batch.size(); ++i)
      if (Status st = record(batch[i].first, batch[i].second, results[i], realizer_); !st)
        return st;
    return Status();
  }

  /// Only the realizer's default, quietly (the session's first pass).
  Status measureDefault(const Schedule &heuristic) {
    s_.log_ << "  " << bar_.label() << "  default: " << std::flush;
    Status st = measureBatch({{heuristic, "heuristic"}}, /*quiet=*/true);
    s_.log_ << (summary_.heuristic ? formatSeconds(summary_.heuristic) : firstError_) << "\n";
    return st;
  }

  /// The realizer's default (in a benchmark program, with the first
  /// search batch), then (measured here by Halide's JIT, as reference
  /// points) Halide's two autoschedulers.
  Status seeds(const Schedule &heuristic) {
    if (!stored_.count(heuristic.hash()) && !outOfTime()) {
      pending_.emplace_back(heuristic, "heuristic");
      search_.markSeen(
          heuristic); // measured with the first batch: never proposed again
    }
    if (!program_ && !pending_.empty()) {
      Batch first;
      std::swap(first, pending_);
      if (Status st = measureBatch(first); !st)
        return st;
    }
    if (!s_.options_.autoschedulers || !s_.options_.runner.empty())
      return Status();
    Batch autos;
    for (const char *as : {"adams2019", "mullapudi2016"}) {
      Schedule sch;
      sch.kind = "autoscheduler";
      sch.autoscheduler = as;
      sch.params["parallelism"] = std::to_string(s_.options_.threads);
      if (!stored_.count(sch.hash()) && !outOfBudget())
        autos.emplace_back(sch, as);
    }
    if (autos.empty())
      return Status();
    ProgramMeasurer *program = program_;
    program_ = nullptr; // the autoschedulers are Halide's JIT
    Status st = measureBatch(autos);
    program_ = program;
    return st;
  }

  Status searchLoop() {
    while (!outOfBudget()) {
      int n = s_.options_.batchSize - static_cast<int>(pending_.size());
      if (planned_ > 0)
        n = std::min(n, planned_ - done_ - static_cast<int>(pending_.size()));
      Batch batch;
      std::swap(batch, pending_);
      if (n > 0) {
        Batch proposed = search_.propose(n);
        batch.insert(batch.end(), proposed.begin(), proposed.end());
      }
      if (batch.empty())
        break; // the space is exhausted
      if (Status st = measureBatch(batch); !st)
        return st;
    }
    // The default, when the trials were all stored already.
    if (!pending_.empty() && !outOfTime())
      return measureBatch(pending_);
    return Status();
  }

  void finish() {
    std::string note;
    if (interrupted)
      note = "(interrupted)";
    if (!summary_.best && emulated() && verified_ > 0) {
      summary_.note = "emulated: " + std::to_string(verified_) + " verified, timings not used";
      note += (note.empty() ? "" : " ") + summary_.note;
    } else if (!summary_.best && !firstError_.empty()) {
      summary_.note = "no candidate passed; first problem: " + firstError_;
      note += (note.empty() ? "" : " ") + summary_.note;
    }
    bar_.finish(done_, gflops(summary_.best), note);
  }

  TuneSession &s_;
  TaskSummary &summary_;
  const TaskSignature &task_;
  double deadline_;
  bool defaultOnly_;
  Realizer realizer_;
  TaskFixture &fixture_;
  SearchSpace space_;
  EvolutionarySearch search_;
  ProgressBar bar_;
  ProgramMeasurer *program_ = nullptr; ///< null: the Halide JIT here
  std::set<std::string> stored_;       ///< schedule hashes already measured
  Batch pending_; ///< the default, measured with the first batch of a program
  int planned_ = 0, done_ = 0, measuredNow_ = 0, verified_ = 0;
  double start_ = 0;
  std::string firstError_;
};

TuneSession::TuneSession(Database &db, TargetPreset target, TuneOptions options,
                         std::string command, std::ostream &log)
    : db_(db), target_(std::move(target)), options_(std::move(options)),
      command_(std::move(command)), log_(log) {
  machine_ = detectHostMachine();
  machine_.versions["halide"] = halideVersion();
  // Through a runner the peak is the target's nominal one: this machine's
  // says nothing about it.
  double perCore = options_.peakGflopsPerCore > 0 ? options_.peakGflopsPerCore
                   : !options_.runner.empty()     ? target_.peakGflopsPerCore
                                        : measureFmaPeakGflops(target_.vectorBits);
  peak_ = perCore * options_.threads;
  options_.measure.threads = options_.threads;
  options_.measure.cancel = &interrupted;
}

TuneSession::~TuneSession() = default;

ProgramMeasurer *TuneSession::programFor(Realizer r) {
  auto it = programs_.find(r);
  return it == programs_.end() ? nullptr : it->second.get();
}

Result<Realizer> TuneSession::realizerFor(const TaskSignature &task) const {
  if (options_.realizer == "halide")
    return Realizer::Halide;
  if (realizes(Realizer::Mlir, task))
    return Realizer::Mlir;
  if (options_.realizer == "mlir")
    return makeError("the MLIR realizer has no kernel for this task (--realizer halide "
                     "measures Halide's)");
  return Realizer::Halide;
}

int64_t constantBytes(const TasksFile &tasks) {
  int64_t bytes = 0;
  for (const TaskEntry &e : tasks.tasks)
    for (const ArraySpec &a : kernelArrays(e.signature))
      if (a.constant)
        bytes += a.elements() * a.elementBytes() * e.count;
  return bytes;
}

int64_t lastLevelCacheBytes(const MachineFingerprint &machine) {
  return machine.l3Bytes > 0 ? machine.l3Bytes : machine.l2Bytes;
}

bool constantsOutgrowCache(int64_t bytes, const MachineFingerprint &machine) {
  int64_t cache = lastLevelCacheBytes(machine);
  return cache <= 0 || bytes > cache / 2;
}

Status TuneSession::prepareMeasurers(const TasksFile &tasks) {
  std::set<Realizer> needed;
  for (const TaskEntry &e : tasks.tasks)
    if (auto r = realizerFor(e.signature); r)
      needed.insert(*r);
  for (Realizer r : needed) {
    ProgramOptions po;
    po.runner = options_.runner;
    po.realizer = r;
    po.threads = options_.threads;
    po.programTimeoutSec = options_.runnerTimeoutSec;
    po.candidateTimeoutSec = options_.measure.timeoutSec;
    po.memoryLimitBytes = options_.measure.memoryLimitBytes;
    po.inject = options_.measure.inject;
    // Each call timed after sweeping twice the L2 (from the measuring
    // machine's fingerprint: through a runner, the target's, once its probe
    // has reported it) and, where the model's weights outgrow the cache,
    // evicting the task's weights and bias: as a model runs it.
    po.sweepBytes = options_.runner.empty() ? 2 * std::max<int64_t>(machine_.l2Bytes, 1 << 20) : 0;
    auto program = ProgramMeasurer::create(target_, po);
    if (!program)
      return makeError((options_.runner.empty() ? "" : "--runner: ") + program.message());
    if (!options_.runner.empty()) {
      machine_ = (*program)->machine(); // records describe the target
      // Emulated timings are not used: no sweeping there.
      if (!machine_.emulated)
        (*program)->setSweepBytes(2 * machine_.l2Bytes);
      log_ << "measuring on " << machine_.cpuModel << " (" << machine_.arch << ")"
           << ((*program)->emulated()
                   ? ", emulated: results are verified but never used as timings"
                   : "")
           << "\n";
    }
    programs_[r] = std::move(*program);
  }
  timeConstantsAsTheModelHoldsThem(tasks);
  return Status();
}

void TuneSession::timeConstantsAsTheModelHoldsThem(const TasksFile &tasks) {
  int64_t bytes = constantBytes(tasks);
  bool evict = constantsOutgrowCache(bytes, machine_);
  for (auto &[r, program] : programs_)
    program->setEvictConstants(evict);
  if (programs_.empty() || machine_.emulated)
    return;
  log_ << "the tasks' weights and biases: "
       << fixed(double(bytes) / (1 << 20), 1) << " MiB, the last-level cache "
       << fixed(double(lastLevelCacheBytes(machine_)) / (1 << 20), 1)
       << " MiB: "
       << (evict ? "timed cold (evicted to memory before each call, as a model "
                   "whose weights outgrow the cache reads them)"
                 : "timed with them cached (as a model whose weights fit runs "
                   "them call after call)")
       << "\n";
}

Result<std::vector<TaskSummary>> TuneSession::run(const TasksFile &tasks) {
  if (options_.runner.empty())
    if (Status s = checkRunsOn(target_, machine_); !s)
      return makeError(s.message() + "; tune it on such a machine, or measure there "
                                     "through --runner");
  if (Status s = prepareMeasurers(tasks); !s)
    return makeError(s.message());
  auto session = db_.startSession(command_, machine_);
  if (!session)
    return makeError(session.message());
  session_ = *session;
  interrupted = false;
  struct sigaction sa{}, old{};
  sa.sa_handler = onSigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);

  std::vector<double> weights = taskWeights(tasks);
  std::vector<TaskSummary> summaries;
  double start = now();
  Status failure;
  for (size_t i = 0; i < tasks.tasks.size() && !interrupted; ++i) {
    const TaskEntry &entry = tasks.tasks[i];
    TaskSummary summary;
    summary.task = entry.signature;
    summary.count = entry.count;
    double deadline = 0;
    if (options_.timeBudgetSec > 0) {
      double left = options_.timeBudgetSec - (now() - start);
      double remaining = 0;
      for (size_t j = i; j < tasks.tasks.size(); ++j)
        remaining += weights[j];
      double share = remaining > 0 ? weights[i] / remaining : 1.0;
      // Every task gets at least an equal tenth, so small kernels are tuned too.
      share = std::max(share, 0.1 / static_cast<double>(tasks.tasks.size() - i));
      deadline = now() + std::max(0.0, left * std::min(1.0, share));
    }
    failure = tuneTask(summary, deadline, static_cast<int>(i),
                       static_cast<int>(tasks.tasks.size()), false);
    summaries.push_back(summary);
    if (!failure)
      break;
  }
  sigaction(SIGINT, &old, nullptr);
  remeasurePeak();
  if (!failure)
    return makeError(failure.message());
  return summaries;
}

void TuneSession::remeasurePeak() {
  // A peak measured while the machine was busy is too low ("148% of peak"):
  // measured again at the end, and whenever a candidate ran faster than it;
  // the highest figure counts.
  if (options_.peakGflopsPerCore > 0 || !options_.runner.empty())
    return;
  peak_ = std::max(peak_,
                   measureFmaPeakGflops(target_.vectorBits) * options_.threads);
}

std::vector<double> TuneSession::taskWeights(const TasksFile &tasks) {
  // Without a time budget, the work: FLOPs times occurrences.
  std::vector<double> w;
  for (const TaskEntry &e : tasks.tasks)
    w.push_back(e.signature.flops() * static_cast<double>(e.count));
  if (options_.timeBudgetSec <= 0)
    return w;
  // With one, every task's default is measured first (Ansor's task
  // scheduler does the same): the rest of the budget then goes to each task
  // by its share of the model's time, count times its default's time.
  log_ << "measuring every task's default first; the budget then goes by each "
          "task's share of the model's time\n";
  double start = now();
  for (size_t i = 0; i < tasks.tasks.size() && !interrupted; ++i) {
    TaskSummary probe;
    probe.task = tasks.tasks[i].signature;
    probe.count = tasks.tasks[i].count;
    if (!tuneTask(probe, start + options_.timeBudgetSec, static_cast<int>(i),
                  static_cast<int>(tasks.tasks.size()), true))
      break;
    std::optional<double> t = probe.heuristic ? probe.heuristic : probe.best;
    // A default that did not run: the time its work takes at half the peak.
    double sec = t ? *t : w[i] / std::max(1.0, probe.count * peak_ * 0.5e9);
    w[i] = sec * static_cast<double>(probe.count);
  }
  // What is left is the main loop's budget.
  options_.timeBudgetSec = std::max(0.0, options_.timeBudgetSec - (now() - start));
  if (options_.timeBudgetSec <= 0)
    options_.timeBudgetSec = 1e-3; // no time left: every task says so
  return w;
}

Status TuneSession::tuneTask(TaskSummary &summary, double deadline, int taskIndex,
                             int taskCount, bool defaultOnly) {
  const TaskSignature &task = summary.task;
  std::string label = "[" + std::to_string(taskIndex + 1) + "/" +
                      std::to_string(taskCount) + "] " + shortLabel(task);
  auto realizer = realizerFor(task);
  auto fixture =
      realizer
          ? fixtureOf(task, deadline, label)
          : Result<std::shared_ptr<TaskFixture>>(Error{realizer.message()});
  if (!fixture) {
    summary.note = fixture.message();
    if (!defaultOnly)
      log_ << "  " << label << "  skipped: " << fixture.message() << "\n";
    return Status();
  }
  summary.realizer = *realizer;
  return TaskTuner(*this, summary, deadline, label, *realizer, **fixture, defaultOnly).run();
}

Result<std::shared_ptr<TaskFixture>>
TuneSession::fixtureOf(const TaskSignature &task, double deadline,
                       const std::string &label) {
  std::string hash = task.hash();
  if (auto it = fixtures_.find(hash); it != fixtures_.end())
    return it->second;
  // A task whose fixture failed once is not tried again (a reference that
  // ran out of time would take it again).
  if (auto it = fixtureErrors_.find(hash); it != fixtureErrors_.end())
    return makeError(it->second);
  if (task.flops() > 2e9)
    log_ << "  " << label << "  computing the reference (naive loops, "
         << fixed(task.flops() * 1e-9, 1) << " GFLOP)\n";
  auto f = TaskFixture::create(task, 1, deadline);
  if (f)
    fixtures_[hash] = *f;
  else
    fixtureErrors_[hash] = f.message();
  return f;
}

} // namespace tessel
