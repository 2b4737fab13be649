// The read side of the schedule database: what `tessel db stats|list|show|
// best` print and what a compiler asks ("which schedule for this task on this
// target?"). Every filter reaches SQLite as a bound parameter.
#ifndef TESSEL_DB_QUERIES_H
#define TESSEL_DB_QUERIES_H

#include "db/Database.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessel {

/// One measurement joined with its task, target, schedule and machine.
struct MeasurementRow {
  std::string uid;
  std::string taskHash, signature, family;
  double flops = 0;
  std::string target;
  std::string scheduleHash, scheduleJson;
  std::string machineHash, machineCpu;
  std::string sessionUuid;
  std::string source, status;
  std::optional<double> medianSec, minSec, spread, maxError;
  int64_t repeats = 0;
  bool emulated = false;
  int64_t threads = 1;
  std::string error, createdAt;
  std::string realizer = "halide"; ///< the code measured: "halide" or "mlir"
  std::string cache = "warm"; ///< how it was timed: cacheName() of a CacheState

  /// GFLOP/s at the median time; 0 when untimed.
  double gflops() const;
};

struct StatsRow {
  std::string target, family;
  int64_t tasks = 0;        ///< distinct tasks measured on the target
  int64_t measurements = 0; ///< all rows
  int64_t ok = 0, failed = 0, wrong = 0, timeout = 0, emulated = 0;
  int64_t best = 0; ///< tasks with a usable best
};

struct Stats {
  int64_t schemaVersion = 0;
  int64_t tasks = 0, schedules = 0, measurements = 0, sessions = 0,
          machines = 0, targets = 0;
  std::vector<StatsRow> rows; ///< per (target, family) with measurements
};

Result<Stats> queryStats(Database &db);

struct ListFilter {
  std::optional<std::string> target;  ///< preset name
  std::optional<std::string> family;  ///< op family name
  std::optional<int64_t> shapeContains; ///< a dimension equal to this value
};

/// A task with its best measurement on one target (or on none yet).
struct ListRow {
  std::string taskHash, signature, family;
  double flops = 0;
  int64_t measurements = 0; ///< on `best.target`, or on all targets
  std::optional<MeasurementRow> best;
};

/// Tasks matching `filter`, each with its best per target (a task tuned for
/// two targets gives two rows; an untuned task one row without best).
Result<std::vector<ListRow>> listTasks(Database &db, const ListFilter &filter);

/// The best record per task and realizer on `target` (optionally for one
/// task hash, or one realizer): the `best` view. With `threads`, a task's best
/// among its records measured on that many threads, and its overall best only
/// when it has none. Rows are ordered by family, signature, realizer.
Result<std::vector<MeasurementRow>>
queryBest(Database &db, const std::string &target,
          const std::optional<std::string> &taskHash,
          std::optional<int64_t> threads = std::nullopt,
          std::optional<Realizer> realizer = std::nullopt);

/// Every measurement of one task on one target, oldest first; optionally
/// only those of one machine (fingerprint hash), thread count and realizer:
/// what a resumed tuning session on this machine has already done.
Result<std::vector<MeasurementRow>>
queryMeasurements(Database &db, const std::string &taskHash,
                  const std::string &target,
                  const std::optional<std::string> &machineHash = std::nullopt,
                  std::optional<int64_t> threads = std::nullopt,
                  std::optional<Realizer> realizer = std::nullopt);

struct TaskDetail {
  std::string hash, signature, family;
  double flops = 0;
  std::vector<MeasurementRow> best; ///< one per target
  std::vector<MeasurementRow> top;  ///< fastest first, then the rest
  int64_t measurements = 0;
};

/// The task whose hash starts with `prefix` (hex, at least 4 characters).
/// Fails when nothing or more than one task matches, naming the candidates.
Result<TaskDetail> showTask(Database &db, const std::string &prefix,
                            int topN);

} // namespace tessel

#endif // TESSEL_DB_QUERIES_H
