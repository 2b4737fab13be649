// The tuning session loop.
#include "tuner/Session.h"

#include "db/Queries.h"
#include "kernels/HalideInfo.h"
#include "kernels/Heuristic.h"
#include "tuner/Peak.h"
#include "tuner/Progress.h"
#include "tuner/Search.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>

namespace tessel {

namespace {

std::atomic<bool> interrupted{false};

void onSigint(int) { interrupted = true; }

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void keepBest(std::optional<double> &slot, double v) {
  if (!slot || v < *slot)
    slot = v;
}

/// Folds one result into the summary's per-source bests and counters.
void account(TaskSummary &s, const std::string &source, MeasureStatus status,
             std::optional<double> median, bool emulated) {
  if (status == MeasureStatus::Failed)
    ++s.failed;
  if (status == MeasureStatus::Wrong)
    ++s.wrong;
  if (status == MeasureStatus::Timeout)
    ++s.timeouts;
  if (status != MeasureStatus::Ok || !median || emulated)
    return;
  keepBest(s.best, *median);
  if (source == "heuristic")
    keepBest(s.heuristic, *median);
  else if (source == "adams2019")
    keepBest(s.adams2019, *median);
  else if (source == "mullapudi2016")
    keepBest(s.mullapudi2016, *median);
}

std::string shortLabel(const TaskSignature &t) {
  std::string s = t.canonical();
  return s.size() > 44 ? s.substr(0, 41) + "..." : s;
}

} // namespace

bool tuneInterrupted() { return interrupted; }

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

Result<std::vector<TaskSummary>> TuneSession::run(const TasksFile &tasks) {
  if (!options_.runner.empty()) {
    RemoteOptions ro;
    ro.runner = options_.runner;
    ro.timeoutSec = options_.runnerTimeoutSec;
    auto remote = RemoteMeasurer::create(target_, ro);
    if (!remote)
      return makeError("--runner: " + remote.message());
    remote_ = std::move(*remote);
    machine_ = remote_->machine(); // records describe the target
    log_ << "measuring on " << machine_.cpuModel << " (" << machine_.arch << ")"
         << (remote_->emulated() ? ", emulated: results are verified but never used as timings"
                                 : "")
         << "\n";
  } else if (Status s = checkRunsOn(target_, machine_); !s) {
    return makeError(s.message() + "; tune it on such a machine, or measure there "
                                   "through --runner");
  }
  auto session = db_.startSession(command_, machine_);
  if (!session)
    return makeError(session.message());
  session_ = *session;
  interrupted = false;
  struct sigaction sa{}, old{};
  sa.sa_handler = onSigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);

  // The time budget is split by each task's share of the model's work.
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
      double used = now() - start;
      double left = options_.timeBudgetSec - used;
      double remainingWork = 0;
      for (size_t j = i; j < tasks.tasks.size(); ++j)
        remainingWork += tasks.tasks[j].signature.flops() *
                         static_cast<double>(tasks.tasks[j].count);
      double share = remainingWork > 0
                         ? entry.signature.flops() * entry.count / remainingWork
                         : 1.0;
      // Every task gets at least an equal tenth, so small kernels are tuned too.
      share = std::max(share, 0.1 / static_cast<double>(tasks.tasks.size() - i));
      deadline = now() + std::max(0.0, left * std::min(1.0, share));
    }
    failure = tuneTask(summary, deadline, static_cast<int>(i),
                       static_cast<int>(tasks.tasks.size()));
    summaries.push_back(summary);
    if (!failure)
      break;
  }
  sigaction(SIGINT, &old, nullptr);
  if (!failure)
    return makeError(failure.message());
  return summaries;
}

Status TuneSession::tuneTask(TaskSummary &summary, double deadline,
                             int taskIndex, int taskCount) {
  const TaskSignature &task = summary.task;
  std::string label = "[" + std::to_string(taskIndex + 1) + "/" +
                      std::to_string(taskCount) + "] " + shortLabel(task);
  auto fixture = TaskFixture::create(task);
  if (!fixture) {
    summary.note = fixture.message();
    log_ << "  " << label << "  skipped: " << fixture.message() << "\n";
    return Status();
  }
  SearchSpace space(task, target_);
  // The task's own stream of the session seed: the same on every machine.
  SearchOptions searchOptions;
  if (options_.search == "random")
    searchOptions.randomFraction = 1.0;
  EvolutionarySearch search(
      space, options_.seed ^ std::stoull(task.hash().substr(0, 16), nullptr, 16),
      searchOptions, options_.costModel);

  // What this machine already measured with this thread count: records
  // merged from other machines describe those machines, not this one.
  auto stored = queryMeasurements(db_, task.hash(), target_.name,
                                  machine_.hash(), options_.threads);
  if (!stored)
    return makeError(stored.message());
  std::set<std::string> storedHashes;
  for (const auto &row : *stored) {
    storedHashes.insert(row.scheduleHash);
    auto sched = Schedule::fromJson(row.scheduleJson);
    if (sched)
      search.observe(*sched, row.status == "ok" && !row.emulated
                                 ? row.medianSec
                                 : std::nullopt);
    auto st = parseStatus(row.status);
    account(summary, row.source, st ? *st : MeasureStatus::Failed, row.medianSec,
            row.emulated);
  }
  summary.stored = static_cast<int>(stored->size());
  int planned = options_.trials > 0 ? options_.trials : 0;
  double flops = task.flops();
  auto gflops = [&](std::optional<double> sec) -> std::optional<double> {
    if (!sec)
      return std::nullopt;
    return flops / *sec * 1e-9;
  };
  ProgressBar bar(log_, label, planned, peak_);
  int done = summary.stored;
  auto outOfBudget = [&] {
    return interrupted || (planned > 0 && done >= planned) ||
           (deadline > 0 && now() >= deadline);
  };
  // The heuristic is measured whenever it has no record yet, even once the
  // trials are all stored: a newer tessel's default must not lose to the
  // stale best of an older one unseen.
  const Schedule heuristic = heuristicSchedule(task, target_);
  const bool heuristicStored = storedHashes.count(heuristic.hash()) > 0;
  auto outOfTime = [&] {
    return interrupted || (deadline > 0 && now() >= deadline);
  };
  if (outOfBudget() && (heuristicStored || outOfTime())) {
    bar.finish(done, gflops(summary.best),
               planned > 0 && done >= planned ? "(already tuned: all trials stored)"
                                              : "(no time left)");
    return Status();
  }
  double taskStart = now();
  int measuredNow = 0;

  auto eta = [&]() -> std::optional<double> {
    std::optional<double> e;
    if (measuredNow > 0 && planned > 0)
      e = (now() - taskStart) / measuredNow * (planned - done);
    if (deadline > 0 && (!e || *e > deadline - now()))
      e = std::max(0.0, deadline - now());
    return e;
  };
  std::string firstError;
  bool emulated = remote_ && remote_->emulated();
  int verified = 0; // candidates that passed verification in this session
  // Commits one result at once, and tells the search (emulated timings are
  // not timings: the search learns nothing from them).
  auto record = [&](const Schedule &s, const std::string &source,
                    const MeasureResult &r) -> Status {
    Measurement m;
    m.task = task;
    m.target = target_.name;
    m.schedule = s;
    m.machine = machine_;
    m.sessionUuid = session_;
    m.source = source;
    m.status = r.status;
    m.medianSec = r.medianSec;
    m.minSec = r.minSec;
    m.spread = r.spread;
    m.repeats = r.repeats;
    m.maxError = r.maxError;
    m.threads = options_.threads;
    m.error = r.error;
    m.emulated = emulated;
    auto inserted = db_.insertMeasurements({m});
    if (!inserted)
      return makeError(inserted.message());
    search.observe(s, r.status == MeasureStatus::Ok && !emulated ? r.medianSec
                                                                 : std::nullopt);
    account(summary, source, r.status, r.medianSec, emulated);
    if (r.status != MeasureStatus::Ok && firstError.empty())
      firstError = std::string(statusName(r.status)) + ": " + r.error;
    verified += r.status == MeasureStatus::Ok ? 1 : 0;
    ++done;
    ++measuredNow;
    ++summary.measured;
    return Status();
  };
  auto measureOne = [&](const Schedule &s, const std::string &source) -> Status {
    bar.update(done, gflops(summary.best), eta(), "measuring " + source);
    MeasureOptions mo = options_.measure;
    // Halide's autoschedulers search before compiling: give them longer.
    if (s.kind == "autoscheduler")
      mo.timeoutSec *= 5;
    MeasureResult r = measure(**fixture, s, target_, mo);
    if (interrupted)
      return Status(); // stopped mid-candidate: not a result
    return record(s, source, r);
  };
  // Through a runner: a batch per program run.
  auto measureBatch = [&](const std::vector<std::pair<Schedule, std::string>> &batch)
      -> Status {
    bar.update(done, gflops(summary.best), eta(),
               "building and running " + std::to_string(batch.size()) + " on the target");
    std::vector<Schedule> schedules;
    for (const auto &b : batch)
      schedules.push_back(b.first);
    auto results = remote_->measure(**fixture, schedules);
    for (size_t i = 0; i < batch.size(); ++i)
      if (Status st = record(batch[i].first, batch[i].second, results[i]); !st)
        return st;
    return Status();
  };

  // Seeds first: the heuristic and the two autoschedulers.
  std::vector<std::pair<Schedule, std::string>> seeds;
  seeds.emplace_back(heuristic, "heuristic");
  if (options_.autoschedulers && !remote_) // AOT needs a loop nest
    for (const char *as : {"adams2019", "mullapudi2016"}) {
      Schedule s;
      s.kind = "autoscheduler";
      s.autoscheduler = as;
      s.params["parallelism"] = std::to_string(options_.threads);
      seeds.emplace_back(s, as);
    }
  std::vector<std::pair<Schedule, std::string>> pendingSeeds;
  for (const auto &[s, source] : seeds) {
    if (source == "heuristic" ? outOfTime() : outOfBudget())
      break;
    if (storedHashes.count(s.hash()))
      continue;
    if (remote_) {
      pendingSeeds.emplace_back(s, source);
      continue;
    }
    if (Status st = measureOne(s, source); !st)
      return st;
  }
  while (!outOfBudget()) {
    int n = options_.batchSize;
    if (planned > 0)
      n = std::min(n, planned - done - static_cast<int>(pendingSeeds.size()));
    auto batch = n > 0 ? search.propose(n)
                       : std::vector<std::pair<Schedule, std::string>>{};
    if (remote_) {
      batch.insert(batch.begin(), pendingSeeds.begin(), pendingSeeds.end());
      pendingSeeds.clear();
      if (batch.empty())
        break;
      if (Status st = measureBatch(batch); !st)
        return st;
      continue;
    }
    if (batch.empty())
      break; // the space is exhausted
    for (const auto &[s, source] : batch) {
      if (outOfBudget())
        break;
      if (Status st = measureOne(s, source); !st)
        return st;
    }
  }
  // Through a runner, a seed left over when the trials were already stored.
  if (!pendingSeeds.empty() && !outOfTime())
    if (Status st = measureBatch(pendingSeeds); !st)
      return st;
  std::string note;
  if (interrupted)
    note = "(interrupted)";
  if (!summary.best && emulated && verified > 0) {
    summary.note = "emulated: " + std::to_string(verified) +
                   " verified, timings not used";
    note += (note.empty() ? "" : " ") + summary.note;
  } else if (!summary.best && !firstError.empty()) {
    summary.note = "no candidate passed; first problem: " + firstError;
    note += (note.empty() ? "" : " ") + summary.note;
  }
  bar.finish(done, gflops(summary.best), note);
  return Status();
}

} // namespace tessel
