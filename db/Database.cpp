// Opening, validating, creating and migrating the schedule database, and
// writing records into it.
#include "db/Database.h"

#include "db/Hash.h"
#include "db/Target.h"

#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sqlite3.h>
#include <sys/stat.h>

namespace tessel {

extern const char *const kSchemaSql; // generated from db/schema.sql

const char *statusName(MeasureStatus s) {
  switch (s) {
  case MeasureStatus::Ok:
    return "ok";
  case MeasureStatus::Failed:
    return "failed";
  case MeasureStatus::Wrong:
    return "wrong";
  case MeasureStatus::Timeout:
    return "timeout";
  }
  return "failed";
}

Result<MeasureStatus> parseStatus(const std::string &s) {
  for (auto v : {MeasureStatus::Ok, MeasureStatus::Failed, MeasureStatus::Wrong,
                 MeasureStatus::Timeout})
    if (s == statusName(v))
      return v;
  return makeError("unknown measurement status `" + s + "`");
}

const char *cacheName(CacheState c) {
  switch (c) {
  case CacheState::Warm:
    return "warm";
  case CacheState::Swept:
    return "swept";
  case CacheState::Cold:
    return "cold";
  }
  return "warm";
}

Result<CacheState> parseCache(const std::string &s) {
  for (auto v : {CacheState::Warm, CacheState::Swept, CacheState::Cold})
    if (s == cacheName(v))
      return v;
  return makeError("unknown cache state `" + s + "` (warm, swept or cold)");
}

int cacheRank(CacheState c) {
  return c == CacheState::Cold ? 0 : c == CacheState::Swept ? 1 : 2;
}

namespace {

/// The statement of schema.sql that begins with `head`, up to its end: the
/// first `;` after `until` (after `head` when empty).
std::string schemaStatement(const std::string &head,
                            const std::string &until = "") {
  std::string schema(kSchemaSql);
  size_t begin = schema.find(head);
  size_t end = schema.find(';', schema.find(until, begin));
  return schema.substr(begin, end - begin + 1);
}

/// The `CREATE VIEW best` statement of schema.sql: the one definition of the
/// ranking, which migrations and read-only views of older files reuse.
std::string bestViewSql() { return schemaStatement("CREATE VIEW best AS"); }

/// The columns version 2 added: every record of version 1 was Halide's,
/// timed warm.
constexpr const char *kVersion2Columns[] = {
    "realizer TEXT NOT NULL DEFAULT 'halide' CHECK (realizer IN ('halide', 'mlir'))",
    "cache TEXT NOT NULL DEFAULT 'warm' CHECK (cache IN ('warm', 'swept'))"};

/// What a read-only connection shows of a version-1 file: version 2's
/// columns and view, as TEMP views over the file's tables (SQLite resolves
/// unqualified names to TEMP first), so that nothing is written to it.
std::string version1ReadOnlyViews() {
  std::string best = bestViewSql();
  best.replace(0, std::string("CREATE VIEW").size(), "CREATE TEMP VIEW");
  return "CREATE TEMP VIEW measurements AS SELECT *, 'halide' AS realizer, 'warm' AS "
         "cache FROM main.measurements; " + best;
}

/// Version 3 lets `cache` say 'cold': SQLite cannot change a column's
/// CHECK, so the table is rebuilt from schema.sql's text, its rows copied by
/// name, and its indexes and the view made again.
std::string version3Rebuild() {
  const char *columns = "id, uid, task_id, target_id, machine_id, schedule_id, "
                        "session_id, source, status, "
                        "median_s, min_s, spread, repeats, max_error, "
                        "emulated, threads, error, created_at, "
                        "realizer, cache";
  std::string table = schemaStatement("CREATE TABLE measurements (", "\n);");
  table.replace(0, std::string("CREATE TABLE measurements").size(),
                "CREATE TABLE measurements_v3");
  return "DROP VIEW best; " + table + " INSERT INTO measurements_v3 (" +
         columns + ") SELECT " + columns +
         " FROM measurements; DROP TABLE measurements; "
         "ALTER TABLE measurements_v3 RENAME TO measurements; " +
         schemaStatement("CREATE INDEX measurements_task_target") + " " +
         schemaStatement("CREATE INDEX measurements_session") + " " +
         bestViewSql();
}

} // namespace

std::string bestRankingSql(const std::string &firstKey) {
  std::string select = bestViewSql();
  select = select.substr(select.find("SELECT"));
  select.pop_back(); // the `;`
  const std::string orderBy = "ORDER BY ";
  return select.insert(select.find(orderBy) + orderBy.size(), firstKey + ", ");
}

const std::vector<Migration> &migrations() {
  // A change to schema.sql bumps kSchemaVersion and appends the step from
  // the previous version here.
  static const std::vector<Migration> steps = {
      {1, std::string("ALTER TABLE measurements ADD COLUMN ") +
              kVersion2Columns[0] + "; ALTER TABLE measurements ADD COLUMN " +
              kVersion2Columns[1] + "; DROP VIEW best; " + bestViewSql()},
      {2, version3Rebuild()},
  };
  return steps;
}

std::string nowIso8601() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

namespace {

uint32_t be32(const unsigned char *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

/// What the 100-byte file header says, read without SQLite.
struct HeaderCheck {
  bool isNew = false; ///< missing or empty file
  bool hasWal = false; ///< a non-empty `-wal` file holds committed pages
};

/// Checks the file header so that files tessel must not touch are refused
/// before SQLite opens them.
Result<HeaderCheck> checkHeader(const std::string &path, OpenMode mode,
                                int targetVersion) {
  HeaderCheck hc;
  // Looked at before the main file: a checkpoint that finishes in between
  // then shows as a WAL beside a complete file, never as a missing WAL beside
  // a short one.
  struct stat walSt;
  hc.hasWal = stat((path + "-wal").c_str(), &walSt) == 0 && walSt.st_size > 0;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    if (mode == OpenMode::Create) {
      hc.isNew = true;
      return hc;
    }
    return makeError(path + ": no such database (create one with `tessel db "
                            "init --db " + path + "`)");
  }
  if (!S_ISREG(st.st_mode))
    return makeError(path + ": not a regular file");
  if (st.st_size == 0) {
    if (mode == OpenMode::Create) {
      hc.isNew = true;
      return hc;
    }
    return makeError(path + ": empty file, not a tessel database (create one "
                            "with `tessel db init --db " + path + "`)");
  }
  unsigned char h[100];
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return makeError(path + ": cannot read (" + std::strerror(errno) + ")");
  in.read(reinterpret_cast<char *>(h), sizeof h);
  if (in.gcount() < 100 || std::memcmp(h, "SQLite format 3", 16) != 0)
    return makeError(path + ": not an SQLite database (the file header is "
                            "wrong); the file was left untouched");
  uint32_t pageSize = (uint32_t(h[16]) << 8) | h[17];
  if (pageSize == 1)
    pageSize = 65536;
  uint32_t pages = be32(h + 28);
  bool pagesValid = pages != 0 && be32(h + 24) == be32(h + 92);
  // With a WAL, a checkpoint in progress (or killed) may have written page 1,
  // which holds the new page count, before the pages that extend the file:
  // the WAL still has them, so the file is not truncated. SQLite recovers it,
  // and the quick_check after opening catches real damage.
  if (pagesValid && !hc.hasWal &&
      uint64_t(pages) * pageSize > static_cast<uint64_t>(st.st_size))
    return makeError(path + ": truncated database (the header says " +
                     std::to_string(uint64_t(pages) * pageSize) +
                     " bytes, the file has " + std::to_string(st.st_size) +
                     "); the file was left untouched");
  uint32_t userVersion = be32(h + 60);
  uint32_t appId = be32(h + 68);
  if (appId != 0 && appId != uint32_t(kApplicationId))
    return makeError(path + ": an SQLite database of another application, "
                            "not a tessel database");
  // A foreign file (no application id yet) with a hot rollback journal:
  // SQLite would roll the journal back into it on the first read.
  struct stat journalSt;
  if (appId == 0 && stat((path + "-journal").c_str(), &journalSt) == 0 &&
      journalSt.st_size > 0)
    return makeError(path +
                     ": not a tessel database, with the rollback journal of an "
                     "unfinished write beside it; the file was left untouched");
  if (appId == uint32_t(kApplicationId) &&
      userVersion > uint32_t(targetVersion))
    return makeError(path + ": written by a newer tessel (schema version " +
                     std::to_string(userVersion) + "; this build reads up to " +
                     std::to_string(targetVersion) +
                     "); the file was left untouched");
  return hc;
}

} // namespace

Result<std::unique_ptr<Database>> Database::open(const std::string &path,
                                                 OpenMode mode) {
  return open(path, mode, migrations(), kSchemaVersion);
}

Result<std::unique_ptr<Database>>
Database::open(const std::string &path, OpenMode mode,
               const std::vector<Migration> &steps, int targetVersion) {
  if (path.empty() || path == ":memory:")
    return makeError("`" + path +
                     "` is not a database file: SQLite would keep " +
                     (path.empty() ? "a temporary file" : "memory") +
                     " that is gone when tessel exits; name a file");
  auto header = checkHeader(path, mode, targetVersion);
  if (!header)
    return makeError(header.message());
  std::unique_ptr<Database> db(new Database());
  db->path_ = path;
  int flags = SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::ReadOnly)
    flags |= SQLITE_OPEN_READONLY;
  else
    flags |= SQLITE_OPEN_READWRITE;
  if (mode == OpenMode::Create)
    flags |= SQLITE_OPEN_CREATE;
  if (Status s = db->conn_.open(path, flags, 30000); !s)
    return makeError(path + ": cannot open: " + s.message());
  if (Status s = db->initialize(steps, targetVersion, mode); !s) {
    // Closing the last connection would checkpoint the WAL into the file
    // being refused; leave both as they are.
    if (header->hasWal)
      sqlite3_db_config(db->conn_.handle(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1,
                        nullptr);
    return makeError(path + ": " + s.message());
  }
  return db;
}

Status Database::initialize(const std::vector<Migration> &steps,
                            int targetVersion, OpenMode mode) {
  auto appId = conn_.queryInt("PRAGMA application_id");
  if (!appId)
    return makeError("not a usable database: " + appId.message());
  auto version = conn_.queryInt("PRAGMA user_version");
  if (!version)
    return makeError("not a usable database: " + version.message());
  // Every entry counts (a file holding only a view or an index is someone's).
  auto entries = conn_.queryInt("SELECT count(*) FROM sqlite_master");
  if (!entries)
    return makeError("not a usable database: " + entries.message());

  bool empty = *appId == 0 && *version == 0 && *entries == 0;
  if (!empty && *appId != kApplicationId)
    return makeError("an SQLite database without tessel's schema, not a "
                     "tessel database; the file was left untouched");
  if (*version > targetVersion)
    return makeError("written by a newer tessel (schema version " +
                     std::to_string(*version) + "; this build reads up to " +
                     std::to_string(targetVersion) +
                     "); the file was left untouched");
  if (empty && mode != OpenMode::Create)
    return makeError("not a tessel database (create one with `tessel db init "
                     "--db " + path_ + "`)");
  if (!empty && *version > 0)
    if (Status s = checkTablesPresent(); !s)
      return s;

  if (!empty) {
    // A read-only pass over every page and index: a corrupt file is refused
    // before anything is written to it.
    sql::Statement check(conn_, "PRAGMA quick_check");
    auto row = check.step();
    if (!row)
      return makeError("corrupt database: " + row.message() +
                       "; the file was left untouched");
    std::string verdict = *row ? check.columnText(0) : "no verdict";
    if (verdict != "ok")
      return makeError("corrupt database: " + verdict +
                       "; the file was left untouched");
  }
  if (mode == OpenMode::ReadOnly) {
    if (*version == 1 && targetVersion == kSchemaVersion) // the columns since
      return conn_.exec(version1ReadOnlyViews());
    // Version 3 only let `cache` also say 'cold': a version-2 file, which has
    // none, reads as it is.
    if (*version == 2 && targetVersion == kSchemaVersion)
      return Status();
    if (*version < targetVersion)
      return makeError("schema version " + std::to_string(*version) +
                       " is older than this build's " +
                       std::to_string(targetVersion) +
                       "; open it for writing once to migrate it");
    return Status();
  }

  if (Status s = conn_.exec("PRAGMA journal_mode=WAL"); !s)
    return makeError("cannot switch to WAL: " + s.message());
  if (Status s = conn_.exec("PRAGMA synchronous=NORMAL; PRAGMA "
                            "foreign_keys=ON");
      !s)
    return s;
  if (*version == targetVersion)
    return Status();

  // Create or migrate under the write lock; another process may have done it
  // while we waited, so read the version again inside the transaction.
  sql::Transaction tx(conn_);
  if (Status s = tx.begin(); !s)
    return makeError("cannot lock for schema set-up: " + s.message());
  auto current = conn_.queryInt("PRAGMA user_version");
  if (!current)
    return makeError(current.message());
  if (*current == 0) {
    if (Status s = conn_.exec(kSchemaSql); !s)
      return makeError("cannot create schema: " + s.message());
    for (const auto &p : targetPresets())
      if (Status s = addTarget(p.name, p.halideTarget, p.llvmTriple, p.llvmCpu,
                               p.llvmFeatures);
          !s)
        return s;
    *current = kSchemaVersion;
  }
  for (const auto &step : steps) {
    if (step.from != *current || *current >= targetVersion)
      continue;
    if (Status s = conn_.exec(step.sql); !s)
      return makeError("migration from schema version " +
                       std::to_string(step.from) + " failed: " + s.message());
    *current = step.from + 1;
  }
  if (*current != targetVersion)
    return makeError("no migration path from schema version " +
                     std::to_string(*current) + " to " +
                     std::to_string(targetVersion));
  if (Status s = conn_.exec("PRAGMA application_id=" +
                            std::to_string(kApplicationId) +
                            "; PRAGMA user_version=" +
                            std::to_string(targetVersion));
      !s)
    return s;
  return tx.commit();
}

Status Database::checkTablesPresent() {
  // The tables of schema.sql: every schema version has them all.
  static const std::vector<std::string> expected = [] {
    std::vector<std::string> names;
    std::regex table("CREATE TABLE (\\w+)");
    std::string sql = kSchemaSql;
    for (auto it = std::sregex_iterator(sql.begin(), sql.end(), table);
         it != std::sregex_iterator(); ++it)
      names.push_back((*it)[1]);
    return names;
  }();
  for (const std::string &name : expected) {
    sql::Statement find(
        conn_,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
    find.bind(1, name);
    auto row = find.step();
    if (!row)
      return makeError("not a usable database: " + row.message());
    if (!*row)
      return makeError("a damaged tessel database: its `" + name +
                       "` table is missing; the file was left untouched");
  }
  return Status();
}

Status Database::addTarget(const std::string &name, const std::string &halide,
                           const std::string &triple, const std::string &cpu,
                           const std::string &features) {
  sql::Statement st(conn_,
                    "INSERT INTO targets(name, halide_target, llvm_triple, "
                    "llvm_cpu, llvm_features) VALUES (?1, ?2, ?3, ?4, ?5) "
                    "ON CONFLICT(name) DO NOTHING");
  st.bind(1, name).bind(2, halide).bind(3, triple).bind(4, cpu).bind(5,
                                                                     features);
  return st.run();
}

Result<int64_t> Database::targetId(const std::string &preset) {
  sql::Statement find(conn_, "SELECT id FROM targets WHERE name = ?1");
  find.bind(1, preset);
  auto row = find.step();
  if (!row)
    return makeError(row.message());
  if (*row)
    return find.columnInt(0);
  for (const auto &p : targetPresets())
    if (p.name == preset) {
      if (Status s = addTarget(p.name, p.halideTarget, p.llvmTriple, p.llvmCpu,
                               p.llvmFeatures);
          !s)
        return makeError(s.message());
      return conn_.lastInsertRowid();
    }
  return makeError("unknown target `" + preset + "`");
}

Result<int64_t> Database::taskId(const TaskSignature &task) {
  std::string hash = task.hash();
  sql::Statement find(conn_, "SELECT id FROM tasks WHERE hash = ?1");
  find.bind(1, hash);
  auto row = find.step();
  if (!row)
    return makeError(row.message());
  if (*row)
    return find.columnInt(0);
  std::string epilogue;
  for (const auto &e : task.epilogue)
    epilogue += (epilogue.empty() ? "" : "+") + e;
  sql::Statement ins(conn_,
                     "INSERT INTO tasks(hash, signature, family, layout, "
                     "in_type, out_type, epilogue, flops) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  ins.bind(1, hash)
      .bind(2, task.canonical())
      .bind(3, std::string(familyName(task.family)))
      .bind(4, task.effectiveLayout())
      .bind(5, task.inType)
      .bind(6, task.effectiveOutType())
      .bind(7, epilogue)
      .bind(8, task.flops());
  if (Status s = ins.run(); !s)
    return makeError(s.message());
  int64_t id = conn_.lastInsertRowid();
  sql::Statement dim(conn_,
                     "INSERT INTO task_dims(task_id, value) VALUES (?1, ?2)");
  for (int64_t v : task.shapeValues()) {
    dim.reset();
    dim.bind(1, id).bind(2, v);
    if (Status s = dim.run(); !s)
      return makeError(s.message());
  }
  return id;
}

Result<int64_t> Database::scheduleId(const Schedule &schedule) {
  std::string json = schedule.canonicalJson();
  std::string hash = sha256Hex(json);
  sql::Statement find(conn_, "SELECT id FROM schedules WHERE hash = ?1");
  find.bind(1, hash);
  auto row = find.step();
  if (!row)
    return makeError(row.message());
  if (*row)
    return find.columnInt(0);
  sql::Statement ins(conn_, "INSERT INTO schedules(hash, json) VALUES (?1, ?2)");
  ins.bind(1, hash).bind(2, json);
  if (Status s = ins.run(); !s)
    return makeError(s.message());
  return conn_.lastInsertRowid();
}

Result<int64_t> Database::machineId(const MachineFingerprint &m) {
  std::string json = m.canonicalJson();
  std::string hash = sha256Hex(json);
  sql::Statement find(conn_, "SELECT id FROM machines WHERE hash = ?1");
  find.bind(1, hash);
  auto row = find.step();
  if (!row)
    return makeError(row.message());
  if (*row)
    return find.columnInt(0);
  std::string isa;
  for (const auto &f : m.isa)
    isa += (isa.empty() ? "" : " ") + f;
  sql::Statement ins(conn_,
                     "INSERT INTO machines(hash, fingerprint, arch, cpu_model, "
                     "isa, cores, l1d_bytes, l2_bytes, l3_bytes, os, versions, "
                     "emulated) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  ins.bind(1, hash)
      .bind(2, json)
      .bind(3, m.arch)
      .bind(4, m.cpuModel)
      .bind(5, isa)
      .bind(6, m.cores)
      .bind(7, m.l1dBytes)
      .bind(8, m.l2Bytes)
      .bind(9, m.l3Bytes)
      .bind(10, m.os)
      .bind(11, nlohmann::json(m.versions).dump())
      .bind(12, m.emulated ? 1 : 0);
  if (Status s = ins.run(); !s)
    return makeError(s.message());
  return conn_.lastInsertRowid();
}

Result<int64_t> Database::sessionId(const std::string &uuid) {
  sql::Statement find(conn_, "SELECT id FROM sessions WHERE uuid = ?1");
  find.bind(1, uuid);
  auto row = find.step();
  if (!row)
    return makeError(row.message());
  if (!*row)
    return makeError("unknown session `" + uuid + "`");
  return find.columnInt(0);
}

Status Database::addSession(const std::string &uuid,
                            const std::string &startedAt,
                            const std::string &command,
                            const MachineFingerprint &machine) {
  sql::Transaction tx(conn_);
  if (Status s = tx.begin(); !s)
    return s;
  auto mid = machineId(machine);
  if (!mid)
    return makeError(mid.message());
  sql::Statement ins(conn_,
                     "INSERT INTO sessions(uuid, started_at, command, "
                     "machine_id) VALUES (?1, ?2, ?3, ?4) "
                     "ON CONFLICT(uuid) DO NOTHING");
  ins.bind(1, uuid).bind(2, startedAt).bind(3, command).bind(4, *mid);
  if (Status s = ins.run(); !s)
    return s;
  return tx.commit();
}

Result<std::string> Database::startSession(const std::string &command,
                                           const MachineFingerprint &machine) {
  std::string uuid = randomHex(16);
  if (Status s = addSession(uuid, nowIso8601(), command, machine); !s)
    return makeError(s.message());
  return uuid;
}

Result<int> Database::insertMeasurements(const std::vector<Measurement> &batch) {
  sql::Transaction tx(conn_);
  if (Status s = tx.begin(); !s)
    return makeError(path_ + ": " + s.message());
  sql::Statement ins(
      conn_,
      "INSERT INTO measurements(uid, task_id, target_id, machine_id, "
      "schedule_id, session_id, source, status, median_s, min_s, spread, "
      "repeats, max_error, emulated, threads, error, created_at, realizer, cache) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
      "?15, ?16, ?17, ?18, ?19) ON CONFLICT(uid) DO NOTHING");
  int inserted = 0;
  for (const Measurement &m : batch) {
    if (m.status == MeasureStatus::Ok && !m.medianSec)
      return makeError("an `ok` measurement needs a median time");
    auto task = taskId(m.task);
    auto target = task ? targetId(m.target) : Result<int64_t>(Error{task.message()});
    auto machine = target ? machineId(m.machine) : Result<int64_t>(Error{target.message()});
    auto schedule = machine ? scheduleId(m.schedule) : Result<int64_t>(Error{machine.message()});
    auto session = schedule ? sessionId(m.sessionUuid) : Result<int64_t>(Error{schedule.message()});
    if (!session)
      return makeError(path_ + ": " + session.message());
    ins.reset();
    ins.bind(1, m.uid.empty() ? randomHex(16) : m.uid)
        .bind(2, *task)
        .bind(3, *target)
        .bind(4, *machine)
        .bind(5, *schedule)
        .bind(6, *session)
        .bind(7, m.source)
        .bind(8, statusName(m.status))
        .bind(9, m.medianSec)
        .bind(10, m.minSec)
        .bind(11, m.spread)
        .bind(12, m.repeats)
        .bind(13, m.maxError)
        .bind(14, (m.emulated || m.machine.emulated) ? 1 : 0)
        .bind(15, m.threads)
        .bind(16, m.error)
        .bind(17, m.createdAt.empty() ? nowIso8601() : m.createdAt)
        .bind(18, std::string(realizerName(m.realizer)))
        .bind(19, cacheName(m.cache));
    if (Status s = ins.run(); !s)
      return makeError(path_ + ": " + s.message());
    inserted += conn_.changes();
  }
  if (Status s = tx.commit(); !s)
    return makeError(path_ + ": " + s.message());
  return inserted;
}

} // namespace tessel
