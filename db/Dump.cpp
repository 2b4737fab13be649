// Export, import and merge of whole databases.
#include "db/Dump.h"

#include "db/Hash.h"

#include <map>

namespace tessel {

using nlohmann::json;

ImportCounts &ImportCounts::operator+=(const ImportCounts &o) {
  targets += o.targets;
  machines += o.machines;
  tasks += o.tasks;
  schedules += o.schedules;
  sessions += o.sessions;
  measurements += o.measurements;
  skipped += o.skipped;
  return *this;
}

namespace {

template <typename Fn>
Status forEach(sql::Connection &c, const char *sqlText, Fn fn) {
  sql::Statement st(c, sqlText);
  return sql::forEachRow(st, fn);
}

json optionalNumber(const sql::Statement &st, int i) {
  return st.columnIsNull(i) ? json(nullptr) : json(st.columnDouble(i));
}

std::optional<double> optionalFrom(const json &j, const char *key) {
  const json &v = j.at(key);
  if (v.is_null())
    return std::nullopt;
  return v.get<double>();
}

} // namespace

Result<json> exportJson(Database &db) {
  auto &c = db.connection();
  json doc = {{"format", kExportFormat}, {"schema_version", kSchemaVersion}};
  json targets = json::array(), machines = json::array(), tasks = json::array(),
       schedules = json::array(), sessions = json::array(),
       measurements = json::array();
  Status s = forEach(c,
                     "SELECT name, halide_target, llvm_triple, llvm_cpu, "
                     "llvm_features FROM targets ORDER BY name",
                     [&](const sql::Statement &r) {
                       targets.push_back({{"name", r.columnText(0)},
                                          {"halide_target", r.columnText(1)},
                                          {"llvm_triple", r.columnText(2)},
                                          {"llvm_cpu", r.columnText(3)},
                                          {"llvm_features", r.columnText(4)}});
                       return Status();
                     });
  if (s)
    s = forEach(c, "SELECT hash, fingerprint FROM machines ORDER BY hash",
                [&](const sql::Statement &r) -> Status {
                  try {
                    machines.push_back(
                        {{"hash", r.columnText(0)},
                         {"fingerprint", json::parse(r.columnText(1))}});
                  } catch (const json::exception &e) {
                    return makeError("machine " + r.columnText(0) +
                                     " has a malformed fingerprint");
                  }
                  return Status();
                });
  if (s)
    s = forEach(c, "SELECT hash, signature FROM tasks ORDER BY hash",
                [&](const sql::Statement &r) {
                  tasks.push_back({{"hash", r.columnText(0)},
                                   {"signature", r.columnText(1)}});
                  return Status();
                });
  if (s)
    s = forEach(c, "SELECT hash, json FROM schedules ORDER BY hash",
                [&](const sql::Statement &r) -> Status {
                  try {
                    schedules.push_back({{"hash", r.columnText(0)},
                                         {"schedule", json::parse(r.columnText(1))}});
                  } catch (const json::exception &e) {
                    return makeError("schedule " + r.columnText(0) +
                                     " has malformed JSON");
                  }
                  return Status();
                });
  if (s)
    s = forEach(c,
                "SELECT se.uuid, se.started_at, se.command, mc.hash FROM "
                "sessions se JOIN machines mc ON mc.id = se.machine_id "
                "ORDER BY se.uuid",
                [&](const sql::Statement &r) {
                  sessions.push_back({{"uuid", r.columnText(0)},
                                      {"started_at", r.columnText(1)},
                                      {"command", r.columnText(2)},
                                      {"machine", r.columnText(3)}});
                  return Status();
                });
  if (s)
    s = forEach(
        c,
        "SELECT m.uid, t.hash, g.name, mc.hash, s.hash, se.uuid, m.source, "
        "m.status, m.median_s, m.min_s, m.spread, m.repeats, m.max_error, "
        "m.emulated, m.threads, m.error, m.created_at, m.realizer, m.cache FROM measurements m "
        "JOIN tasks t ON t.id = m.task_id JOIN targets g ON g.id = m.target_id "
        "JOIN machines mc ON mc.id = m.machine_id JOIN schedules s ON s.id = "
        "m.schedule_id JOIN sessions se ON se.id = m.session_id ORDER BY m.uid",
        [&](const sql::Statement &r) {
          measurements.push_back({{"uid", r.columnText(0)},
                                  {"task", r.columnText(1)},
                                  {"target", r.columnText(2)},
                                  {"machine", r.columnText(3)},
                                  {"schedule", r.columnText(4)},
                                  {"session", r.columnText(5)},
                                  {"source", r.columnText(6)},
                                  {"status", r.columnText(7)},
                                  {"median_s", optionalNumber(r, 8)},
                                  {"min_s", optionalNumber(r, 9)},
                                  {"spread", optionalNumber(r, 10)},
                                  {"repeats", r.columnInt(11)},
                                  {"max_error", optionalNumber(r, 12)},
                                  {"emulated", r.columnInt(13) != 0},
                                  {"threads", r.columnInt(14)},
                                  {"error", r.columnText(15)},
                                  {"created_at", r.columnText(16)},
                                  {"realizer", r.columnText(17)},
                                  {"cache", r.columnText(18)}});
          return Status();
        });
  if (!s)
    return makeError(db.path() + ": export failed: " + s.message());
  doc["targets"] = std::move(targets);
  doc["machines"] = std::move(machines);
  doc["tasks"] = std::move(tasks);
  doc["schedules"] = std::move(schedules);
  doc["sessions"] = std::move(sessions);
  doc["measurements"] = std::move(measurements);
  return doc;
}

namespace {

/// Everything in a document, parsed and validated, before any write.
struct ParsedDump {
  struct Target {
    std::string name, halide, triple, cpu, features;
  };
  struct Session {
    std::string uuid, startedAt, command, machineHash;
  };
  struct Row {
    Measurement m;
    std::string taskHash, machineHash, scheduleHash;
  };
  std::vector<Target> targets;
  std::map<std::string, MachineFingerprint> machines;
  std::map<std::string, TaskSignature> tasks;
  std::map<std::string, Schedule> schedules;
  std::vector<Session> sessions;
  std::vector<Row> rows;
};

Result<ParsedDump> parseDump(const json &doc) {
  ParsedDump d;
  try {
    if (!doc.is_object() || doc.value("format", "") != kExportFormat)
      return makeError("not a tessel export (missing \"format\": \"" +
                       std::string(kExportFormat) + "\")");
    int version = doc.at("schema_version").get<int>();
    if (version > kSchemaVersion)
      return makeError("exported by a newer tessel (schema version " +
                       std::to_string(version) + ")");
    for (const json &t : doc.at("targets"))
      d.targets.push_back({t.at("name").get<std::string>(),
                           t.at("halide_target").get<std::string>(),
                           t.at("llvm_triple").get<std::string>(),
                           t.at("llvm_cpu").get<std::string>(),
                           t.at("llvm_features").get<std::string>()});
    for (const json &m : doc.at("machines")) {
      std::string hash = m.at("hash").get<std::string>();
      auto fp = MachineFingerprint::fromJson(m.at("fingerprint").dump());
      if (!fp)
        return makeError("machine " + hash + ": " + fp.message());
      if (fp->hash() != hash)
        return makeError("machine " + hash +
                         ": hash does not match its fingerprint");
      d.machines[hash] = *fp;
    }
    for (const json &t : doc.at("tasks")) {
      std::string hash = t.at("hash").get<std::string>();
      auto sig = TaskSignature::parse(t.at("signature").get<std::string>());
      if (!sig)
        return makeError("task " + hash + ": " + sig.message());
      if (sig->hash() != hash)
        return makeError("task " + hash + ": hash does not match its signature");
      d.tasks[hash] = *sig;
    }
    for (const json &s : doc.at("schedules")) {
      std::string hash = s.at("hash").get<std::string>();
      auto sch = Schedule::fromJson(s.at("schedule").dump());
      if (!sch)
        return makeError("schedule " + hash + ": " + sch.message());
      if (sch->hash() != hash)
        return makeError("schedule " + hash + ": hash does not match its JSON");
      d.schedules[hash] = *sch;
    }
    for (const json &s : doc.at("sessions")) {
      ParsedDump::Session se{s.at("uuid").get<std::string>(),
                             s.at("started_at").get<std::string>(),
                             s.at("command").get<std::string>(),
                             s.at("machine").get<std::string>()};
      if (!d.machines.count(se.machineHash))
        return makeError("session " + se.uuid + " names unknown machine " +
                         se.machineHash);
      d.sessions.push_back(se);
    }
    std::map<std::string, bool> sessionKnown;
    for (const auto &s : d.sessions)
      sessionKnown[s.uuid] = true;
    for (const json &j : doc.at("measurements")) {
      ParsedDump::Row row;
      Measurement &m = row.m;
      m.uid = j.at("uid").get<std::string>();
      row.taskHash = j.at("task").get<std::string>();
      row.machineHash = j.at("machine").get<std::string>();
      row.scheduleHash = j.at("schedule").get<std::string>();
      m.target = j.at("target").get<std::string>();
      m.sessionUuid = j.at("session").get<std::string>();
      if (!d.tasks.count(row.taskHash) || !d.machines.count(row.machineHash) ||
          !d.schedules.count(row.scheduleHash) ||
          !sessionKnown.count(m.sessionUuid))
        return makeError("measurement " + m.uid +
                         " refers to a task, machine, schedule or session "
                         "the file does not contain");
      m.task = d.tasks[row.taskHash];
      m.machine = d.machines[row.machineHash];
      m.schedule = d.schedules[row.scheduleHash];
      m.source = j.at("source").get<std::string>();
      auto st = parseStatus(j.at("status").get<std::string>());
      if (!st)
        return makeError("measurement " + m.uid + ": " + st.message());
      m.status = *st;
      m.medianSec = optionalFrom(j, "median_s");
      m.minSec = optionalFrom(j, "min_s");
      m.spread = optionalFrom(j, "spread");
      m.repeats = j.at("repeats").get<int>();
      m.maxError = optionalFrom(j, "max_error");
      m.emulated = j.at("emulated").get<bool>();
      m.threads = j.at("threads").get<int>();
      m.error = j.at("error").get<std::string>();
      m.createdAt = j.at("created_at").get<std::string>();
      // Exports of schema version 1 have no realizer: Halide measured them.
      auto realizer = parseRealizer(j.value("realizer", "halide"));
      if (!realizer)
        return makeError("measurement " + m.uid + ": " + realizer.message());
      m.realizer = *realizer;
      auto cache = parseCache(j.value("cache", "warm"));
      if (!cache)
        return makeError("measurement " + m.uid + ": " + cache.message());
      m.cache = *cache;
      if (m.uid.empty() || m.createdAt.empty())
        return makeError("a measurement lacks its uid or time");
      if (m.status == MeasureStatus::Ok && !m.medianSec)
        return makeError("measurement " + m.uid + " is ok but has no time");
      d.rows.push_back(std::move(row));
    }
  } catch (const json::exception &e) {
    return makeError(std::string("malformed export: ") + e.what());
  }
  return d;
}

Result<int64_t> count(sql::Connection &c, const char *table) {
  return c.queryInt(std::string("SELECT count(*) FROM ") + table);
}

} // namespace

Result<ImportCounts> importJson(Database &db, const json &doc) {
  auto parsed = parseDump(doc);
  if (!parsed)
    return makeError(parsed.message());
  auto &c = db.connection();
  static const char *tables[] = {"targets",  "machines", "tasks",
                                 "schedules", "sessions", "measurements"};
  // Everything in one transaction, counted inside it so that concurrent
  // writers do not skew what this import reports as added.
  sql::Transaction tx(c);
  if (Status s = tx.begin(); !s)
    return makeError(db.path() + ": " + s.message());
  int64_t before[6];
  for (int i = 0; i < 6; ++i) {
    auto n = count(c, tables[i]);
    if (!n)
      return makeError(n.message());
    before[i] = *n;
  }
  for (const auto &t : parsed->targets)
    if (Status s = db.addTarget(t.name, t.halide, t.triple, t.cpu, t.features);
        !s)
      return makeError(s.message());
  for (const auto &[hash, m] : parsed->machines)
    if (auto id = db.machineId(m); !id)
      return makeError(id.message());
  for (const auto &[hash, t] : parsed->tasks)
    if (auto id = db.taskId(t); !id)
      return makeError(id.message());
  for (const auto &[hash, s] : parsed->schedules)
    if (auto id = db.scheduleId(s); !id)
      return makeError(id.message());
  sql::Statement ses(c, "INSERT INTO sessions(uuid, started_at, command, "
                        "machine_id) VALUES (?1, ?2, ?3, ?4) "
                        "ON CONFLICT(uuid) DO NOTHING");
  for (const auto &s : parsed->sessions) {
    auto mid = db.machineId(parsed->machines[s.machineHash]);
    if (!mid)
      return makeError(mid.message());
    ses.reset();
    ses.bind(1, s.uuid).bind(2, s.startedAt).bind(3, s.command).bind(4, *mid);
    if (Status st = ses.run(); !st)
      return makeError(st.message());
  }
  sql::Statement ins(
      c, "INSERT INTO measurements(uid, task_id, target_id, machine_id, "
         "schedule_id, session_id, source, status, median_s, min_s, spread, "
         "repeats, max_error, emulated, threads, error, created_at, realizer, cache) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
         "?15, ?16, ?17, ?18, ?19) ON CONFLICT(uid) DO NOTHING");
  ImportCounts counts;
  for (const auto &row : parsed->rows) {
    const Measurement &m = row.m;
    auto task = db.taskId(m.task);
    auto target = db.targetId(m.target);
    auto machine = db.machineId(m.machine);
    auto schedule = db.scheduleId(m.schedule);
    auto session = db.sessionId(m.sessionUuid);
    for (const Result<int64_t> *r : {&task, &target, &machine, &schedule, &session})
      if (!*r)
        return makeError(r->message());
    ins.reset();
    ins.bind(1, m.uid)
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
        .bind(14, m.emulated ? 1 : 0)
        .bind(15, m.threads)
        .bind(16, m.error)
        .bind(17, m.createdAt)
        .bind(18, std::string(realizerName(m.realizer)))
        .bind(19, cacheName(m.cache));
    if (Status s = ins.run(); !s)
      return makeError(s.message());
    if (c.changes() == 0)
      ++counts.skipped;
  }
  int64_t after[6];
  for (int i = 0; i < 6; ++i) {
    auto n = count(c, tables[i]);
    if (!n)
      return makeError(n.message());
    after[i] = *n;
  }
  if (Status s = tx.commit(); !s)
    return makeError(db.path() + ": " + s.message());
  counts.targets = after[0] - before[0];
  counts.machines = after[1] - before[1];
  counts.tasks = after[2] - before[2];
  counts.schedules = after[3] - before[3];
  counts.sessions = after[4] - before[4];
  counts.measurements = after[5] - before[5];
  return counts;
}

Result<ImportCounts> mergeFrom(Database &out, const std::string &inputPath) {
  auto in = Database::open(inputPath, OpenMode::ReadOnly);
  if (!in)
    return makeError(in.message());
  auto doc = exportJson(**in);
  if (!doc)
    return makeError(doc.message());
  auto counts = importJson(out, *doc);
  if (!counts)
    return makeError(inputPath + ": " + counts.message());
  return counts;
}

} // namespace tessel
