// The schedule database: one SQLite file of tuning results.
//
// Map of db/:
//   Signature.h  task signatures: canonical text, hash, FLOPs
//   Schedule.h   schedules: canonical JSON, hash
//   Target.h     target presets and host resolution
//   Machine.h    machine fingerprints and host detection
//   Database.h   this file: opening, validating, migrating, writing records
//   Queries.h    read side: stats, list, show, best
//   Dump.h       export / import / merge as canonical JSON
//   Sqlite.h     RAII wrappers over the SQLite C API
//   schema.sql   the schema, embedded at build time
//
// Opening never damages a file it does not understand: the header is checked
// before SQLite touches the file (not SQLite, truncated, another application's
// database, a newer schema version), and a corrupt file is refused after a
// read-only integrity check. Such files are left byte-identical.
//
// Writers: many processes may write one file at once (WAL, busy timeout,
// BEGIN IMMEDIATE with retry). Every batch of measurements is one transaction,
// so a writer killed at any point leaves whole batches or nothing.
#ifndef TESSEL_DB_DATABASE_H
#define TESSEL_DB_DATABASE_H

#include "db/Machine.h"
#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Sqlite.h"
#include "db/Status.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessel {

/// The schema version this build writes (PRAGMA user_version).
constexpr int kSchemaVersion = 3;
/// PRAGMA application_id of tessel databases ("tssl").
constexpr int kApplicationId = 0x7473736c;

enum class OpenMode {
  ReadOnly,  ///< the file must exist and be a tessel database
  ReadWrite, ///< as ReadOnly, and older schemas are migrated
  Create,    ///< as ReadWrite, and a missing or empty file is initialized
};

enum class MeasureStatus { Ok, Failed, Wrong, Timeout };
const char *statusName(MeasureStatus s);
Result<MeasureStatus> parseStatus(const std::string &s);

/// How a measurement's calls were timed, as schema.sql's `cache` column says.
enum class CacheState {
  Warm,  ///< calls in a loop (schema version 1): data kept in L1 and L2
  Swept, ///< each call after sweeping twice the L2 (version 2's programs, and
         ///< sessions whose model's constants fit in the last-level cache)
  Cold,  ///< as Swept, and the constants (weights, bias) evicted to memory
};
const char *cacheName(CacheState c);
Result<CacheState> parseCache(const std::string &s);
/// The order in which a task's records are preferred, lower first: those
/// timed most as a model runs the kernel (cold, then swept, then warm), since
/// times only compare alike. schema.sql's `best` view orders by the same.
int cacheRank(CacheState c);
/// The SELECT of schema.sql's `best` view, with `firstKey` (an ORDER BY term
/// over `m`, the measurements) ranked before the view's own keys: queries that
/// rank as the view does, and by something first.
std::string bestRankingSql(const std::string &firstKey);

/// One measured candidate: the unit of everything the tuner records.
struct Measurement {
  std::string uid; ///< globally unique; generated when empty
  TaskSignature task;
  std::string target; ///< preset name
  Schedule schedule;
  MachineFingerprint machine;
  std::string sessionUuid; ///< from Database::startSession()
  std::string source = "manual"; ///< heuristic, search, random, adams2019, ...
  MeasureStatus status = MeasureStatus::Ok;
  std::optional<double> medianSec, minSec, spread;
  int repeats = 0;
  std::optional<double> maxError;
  bool emulated = false;
  int threads = 1;
  std::string error;     ///< why a failed / wrong / timeout run failed
  std::string createdAt; ///< ISO 8601 UTC; now when empty
  /// The code that was measured: Halide's kernel or MLIR's loops.
  Realizer realizer = Realizer::Halide;
  /// How its calls were timed.
  CacheState cache = CacheState::Warm;
};

/// One step that upgrades a database from version `from` to `from + 1`.
struct Migration {
  int from;
  std::string sql;
};
/// The production migration steps, oldest first.
const std::vector<Migration> &migrations();

class Database {
public:
  /// Opens `path`. Fails, leaving the file untouched, when it is missing
  /// (unless Create), not an SQLite file, truncated, corrupt, another
  /// application's database, or written by a newer tessel. Messages name the
  /// file: "bad.db: not an SQLite database (the header is wrong)".
  static Result<std::unique_ptr<Database>> open(const std::string &path,
                                                OpenMode mode);
  /// As open(), with an explicit migration list (for tests).
  static Result<std::unique_ptr<Database>>
  open(const std::string &path, OpenMode mode,
       const std::vector<Migration> &steps, int targetVersion);

  const std::string &path() const { return path_; }
  sql::Connection &connection() { return conn_; }

  /// Records the start of a tuning session; returns its uuid.
  Result<std::string> startSession(const std::string &command,
                                   const MachineFingerprint &machine);
  /// Registers a session with a known uuid and start time (import/merge).
  Status addSession(const std::string &uuid, const std::string &startedAt,
                    const std::string &command,
                    const MachineFingerprint &machine);

  /// Inserts measurements in one transaction: all of them or none. Rows whose
  /// uid is already present are skipped. Returns the number inserted.
  Result<int> insertMeasurements(const std::vector<Measurement> &batch);

  /// Row ids for natural keys, inserting when missing. Must run inside a
  /// transaction (insertMeasurements and Dump use them).
  Result<int64_t> taskId(const TaskSignature &task);
  Result<int64_t> scheduleId(const Schedule &schedule);
  Result<int64_t> machineId(const MachineFingerprint &machine);
  Result<int64_t> targetId(const std::string &preset);
  Result<int64_t> sessionId(const std::string &uuid);
  /// Inserts or checks a target row from explicit fields (import/merge).
  Status addTarget(const std::string &name, const std::string &halide,
                   const std::string &triple, const std::string &cpu,
                   const std::string &features);

private:
  Database() = default;
  Status initialize(const std::vector<Migration> &steps, int targetVersion,
                    OpenMode mode);
  /// Fails, naming the table, when one of schema.sql's tables is missing.
  Status checkTablesPresent();

  std::string path_;
  sql::Connection conn_;
};

/// The current UTC time as "2026-11-25T14:53:22.123Z".
std::string nowIso8601();

} // namespace tessel

#endif // TESSEL_DB_DATABASE_H
