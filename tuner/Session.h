// A tuning session: for each task, seeds (the built-in heuristic, Halide's
// Adams2019 and Mullapudi2016 autoschedulers), then evolutionary search, every
// candidate measured in isolation and committed to the database as soon as it
// is measured.
//
// Resuming: the trial budget counts what the database already holds for the
// (task, target); stored candidates are fed to the search and never measured
// again, so re-running an interrupted command continues where it stopped.
// Ctrl-C stops after the candidate being measured and loses nothing finished.
//
// Map of tuner/:
//   Session.h      this file: the session loop, budgets, summaries
//   Search.h       evolutionary search and the cost-model seam
//   SearchSpace.h  knobs per family, sampling, mutation, crossover, repair
//   Measure.h      isolated measurement: compile, verify, time in a child
//   Peak.h         measured FMA peak for "% of peak"
//   Progress.h     the per-task progress bar
#ifndef TESSEL_TUNER_SESSION_H
#define TESSEL_TUNER_SESSION_H

#include "db/Database.h"
#include "db/TasksFile.h"
#include "db/Target.h"
#include "tuner/Measure.h"
#include "tuner/Remote.h"
#include "tuner/Search.h"

#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tessel {

struct TuneOptions {
  int trials = 0;           ///< per task, counting stored ones; 0: no limit
  double timeBudgetSec = 0; ///< whole session; 0: no limit
  int threads = 1;
  uint64_t seed = 1;
  int batchSize = 8;
  bool autoschedulers = true; ///< measure Adams2019 and Mullapudi2016 seeds
  /// "evolutionary", or "random" (every proposal sampled at random: the
  /// baseline the search is compared with).
  std::string search = "evolutionary";
  MeasureOptions measure;
  double peakGflopsPerCore = 0; ///< for "% of peak"; measured when 0
  /// Ranks proposals when set (the seam for a learned model); not owned.
  CostModel *costModel = nullptr;
  /// Measure on another machine through this runner command (Remote.h);
  /// empty: on this machine, in isolated children.
  std::string runner;
  double runnerTimeoutSec = 600; ///< one run of a batch's program
};

/// What one task's tuning achieved (including earlier sessions' records).
struct TaskSummary {
  TaskSignature task;
  int64_t count = 1;       ///< occurrences in the model
  int stored = 0;          ///< trials in the database before this session
  int measured = 0;        ///< trials measured now
  int failed = 0, wrong = 0, timeouts = 0;
  std::optional<double> best, heuristic, adams2019, mullapudi2016; ///< seconds
  std::string note; ///< why a task was skipped, if it was
};

class TuneSession {
public:
  TuneSession(Database &db, TargetPreset target, TuneOptions options,
              std::string command, std::ostream &log);

  /// Tunes every task; fails only when the database cannot be written (then
  /// everything measured before is already committed).
  Result<std::vector<TaskSummary>> run(const TasksFile &tasks);

  double peakGflops() const { return peak_; }

private:
  Status tuneTask(TaskSummary &summary, double deadline, int taskIndex,
                  int taskCount);

  Database &db_;
  TargetPreset target_;
  TuneOptions options_;
  std::string command_;
  std::ostream &log_;
  MachineFingerprint machine_;
  std::unique_ptr<RemoteMeasurer> remote_; ///< with a runner
  std::string session_;
  double peak_ = 0; ///< GFLOP/s with options_.threads cores
};

/// True once SIGINT has been received (the session installs the handler).
bool tuneInterrupted();

} // namespace tessel

#endif // TESSEL_TUNER_SESSION_H
