// Read queries over the schedule database.
#include "db/Queries.h"

#include "db/Hash.h"

#include <algorithm>
#include <cctype>

namespace tessel {

double MeasurementRow::gflops() const {
  if (!medianSec || *medianSec <= 0)
    return 0;
  return flops / *medianSec * 1e-9;
}

namespace {

/// Columns read by readRow(), over `measurements m` (or the `best` view as m).
constexpr const char *kRowColumns =
    "m.uid, t.hash, t.signature, t.family, t.flops, g.name, s.hash, s.json, "
    "mc.hash, mc.cpu_model, se.uuid, m.source, m.status, m.median_s, m.min_s, "
    "m.spread, m.max_error, m.repeats, m.emulated, m.threads, m.error, "
    "m.created_at, m.realizer, m.cache";
constexpr const char *kRowJoins =
    " JOIN tasks t ON t.id = m.task_id JOIN targets g ON g.id = m.target_id "
    "JOIN schedules s ON s.id = m.schedule_id "
    "JOIN machines mc ON mc.id = m.machine_id "
    "JOIN sessions se ON se.id = m.session_id ";

MeasurementRow readRow(const sql::Statement &st, int base = 0) {
  MeasurementRow r;
  int i = base;
  r.uid = st.columnText(i++);
  r.taskHash = st.columnText(i++);
  r.signature = st.columnText(i++);
  r.family = st.columnText(i++);
  r.flops = st.columnDouble(i++);
  r.target = st.columnText(i++);
  r.scheduleHash = st.columnText(i++);
  r.scheduleJson = st.columnText(i++);
  r.machineHash = st.columnText(i++);
  r.machineCpu = st.columnText(i++);
  r.sessionUuid = st.columnText(i++);
  r.source = st.columnText(i++);
  r.status = st.columnText(i++);
  r.medianSec = st.columnOptDouble(i++);
  r.minSec = st.columnOptDouble(i++);
  r.spread = st.columnOptDouble(i++);
  r.maxError = st.columnOptDouble(i++);
  r.repeats = st.columnInt(i++);
  r.emulated = st.columnInt(i++) != 0;
  r.threads = st.columnInt(i++);
  r.error = st.columnText(i++);
  r.createdAt = st.columnText(i++);
  r.realizer = st.columnText(i++);
  r.cache = st.columnText(i++);
  return r;
}

using sql::forEachRow;

/// Every row of `st` (which selects kRowColumns) as a MeasurementRow.
Result<std::vector<MeasurementRow>> collectRows(Database &db,
                                                sql::Statement &st) {
  std::vector<MeasurementRow> rows;
  Status status = forEachRow(
      st, [&](const sql::Statement &r) { rows.push_back(readRow(r)); });
  if (!status)
    return makeError(db.path() + ": " + status.message());
  return rows;
}

} // namespace

Result<Stats> queryStats(Database &db) {
  auto &c = db.connection();
  Stats s;
  struct Count {
    int64_t *into;
    const char *sql;
  } counts[] = {
      {&s.schemaVersion, "PRAGMA user_version"},
      {&s.tasks, "SELECT count(*) FROM tasks"},
      {&s.schedules, "SELECT count(*) FROM schedules"},
      {&s.measurements, "SELECT count(*) FROM measurements"},
      {&s.sessions, "SELECT count(*) FROM sessions"},
      {&s.machines, "SELECT count(*) FROM machines"},
      {&s.targets, "SELECT count(*) FROM targets"},
  };
  for (auto &cnt : counts) {
    auto v = c.queryInt(cnt.sql);
    if (!v)
      return makeError(db.path() + ": " + v.message());
    *cnt.into = *v;
  }
  sql::Statement st(
      c, "SELECT g.name, t.family, count(DISTINCT m.task_id), count(*), "
         "sum(m.status = 'ok' AND m.emulated = 0), sum(m.status = 'failed'), "
         "sum(m.status = 'wrong'), sum(m.status = 'timeout'), "
         "sum(m.emulated), "
         "(SELECT count(DISTINCT b.task_id) FROM best b JOIN tasks bt ON bt.id = b.task_id "
         " WHERE b.target_id = g.id AND bt.family = t.family) "
         "FROM measurements m JOIN targets g ON g.id = m.target_id "
         "JOIN tasks t ON t.id = m.task_id "
         "GROUP BY g.id, t.family ORDER BY g.name, t.family");
  Status status = forEachRow(st, [&](const sql::Statement &r) {
    StatsRow row;
    row.target = r.columnText(0);
    row.family = r.columnText(1);
    row.tasks = r.columnInt(2);
    row.measurements = r.columnInt(3);
    row.ok = r.columnInt(4);
    row.failed = r.columnInt(5);
    row.wrong = r.columnInt(6);
    row.timeout = r.columnInt(7);
    row.emulated = r.columnInt(8);
    row.best = r.columnInt(9);
    s.rows.push_back(row);
  });
  if (!status)
    return makeError(db.path() + ": " + status.message());
  return s;
}

Result<std::vector<ListRow>> listTasks(Database &db, const ListFilter &f) {
  // Parameters: ?1 target name or NULL, ?2 family or NULL, ?3 dim or NULL.
  std::string sqlText =
      std::string("SELECT t.hash, t.signature, t.family, t.flops, "
                  "(SELECT count(*) FROM measurements mm WHERE mm.task_id = "
                  "t.id AND (m.target_id IS NULL OR mm.target_id = "
                  "m.target_id) AND (?1 IS NULL OR mm.target_id = (SELECT id "
                  "FROM targets WHERE name = ?1))), m.uid IS NOT NULL, ") +
      kRowColumns +
      " FROM tasks t LEFT JOIN best m ON m.task_id = t.id "
      "AND (?1 IS NULL OR m.target_id = (SELECT id FROM targets WHERE name = "
      "?1)) "
      "LEFT JOIN targets g ON g.id = m.target_id "
      "LEFT JOIN schedules s ON s.id = m.schedule_id "
      "LEFT JOIN machines mc ON mc.id = m.machine_id "
      "LEFT JOIN sessions se ON se.id = m.session_id "
      "WHERE (?2 IS NULL OR t.family = ?2) "
      "AND (?3 IS NULL OR EXISTS (SELECT 1 FROM task_dims d WHERE d.task_id = "
      "t.id AND d.value = ?3)) "
      "ORDER BY t.family, t.signature, g.name";
  sql::Statement st(db.connection(), sqlText);
  st.bind(1, f.target).bind(2, f.family).bind(3, f.shapeContains);
  std::vector<ListRow> rows;
  Status status = forEachRow(st, [&](const sql::Statement &r) {
    ListRow row;
    row.taskHash = r.columnText(0);
    row.signature = r.columnText(1);
    row.family = r.columnText(2);
    row.flops = r.columnDouble(3);
    row.measurements = r.columnInt(4);
    if (r.columnInt(5))
      row.best = readRow(r, 6);
    rows.push_back(std::move(row));
  });
  if (!status)
    return makeError(db.path() + ": " + status.message());
  // With a target filter, tasks never measured on it are not listed.
  if (f.target)
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const ListRow &r) {
                                return !r.best && r.measurements == 0;
                              }),
               rows.end());
  return rows;
}

Result<std::vector<MeasurementRow>>
queryBest(Database &db, const std::string &target,
          const std::optional<std::string> &taskHash,
          std::optional<int64_t> threads, std::optional<Realizer> realizer) {
  // The best view's ranking, with the records of the wanted thread count
  // ranked first.
  std::string from = threads
                         ? "(" + bestRankingSql("(m.threads = ?3) DESC") + ")"
                         : std::string("best");
  std::string sqlText = std::string("SELECT ") + kRowColumns + " FROM " + from +
                        " m" + kRowJoins +
                        "WHERE g.name = ?1 AND (?2 IS NULL OR t.hash = ?2) "
                        "AND (?4 IS NULL OR m.realizer = ?4) "
                        "ORDER BY t.family, t.signature, m.realizer";
  sql::Statement st(db.connection(), sqlText);
  st.bind(1, target).bind(2, taskHash);
  if (threads)
    st.bind(3, *threads);
  st.bind(4, realizer ? std::optional<std::string>(realizerName(*realizer))
                      : std::nullopt);
  return collectRows(db, st);
}

Result<std::vector<MeasurementRow>>
queryMeasurements(Database &db, const std::string &taskHash,
                  const std::string &target,
                  const std::optional<std::string> &machineHash,
                  std::optional<int64_t> threads, std::optional<Realizer> realizer) {
  std::string sqlText = std::string("SELECT ") + kRowColumns +
                        " FROM measurements m" + kRowJoins +
                        "WHERE t.hash = ?1 AND g.name = ?2 AND (?3 IS NULL OR "
                        "mc.hash = ?3) AND (?4 IS NULL OR m.threads = ?4) "
                        "AND (?5 IS NULL OR m.realizer = ?5) ORDER BY m.id";
  sql::Statement st(db.connection(), sqlText);
  st.bind(1, taskHash).bind(2, target).bind(3, machineHash).bind(4, threads);
  st.bind(5, realizer ? std::optional<std::string>(realizerName(*realizer))
                      : std::nullopt);
  return collectRows(db, st);
}

Result<TaskDetail> showTask(Database &db, const std::string &prefixIn,
                            int topN) {
  std::string prefix = prefixIn;
  std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (!isHex(prefix) || prefix.size() < 4)
    return makeError("`" + prefixIn +
                     "` is not a task hash or prefix (4 or more hex digits)");
  sql::Statement find(db.connection(),
                      "SELECT hash, signature, family, flops FROM tasks "
                      "WHERE substr(hash, 1, length(?1)) = ?1 ORDER BY hash "
                      "LIMIT 6");
  find.bind(1, prefix);
  std::vector<TaskDetail> matches;
  Status status = forEachRow(find, [&](const sql::Statement &r) {
    TaskDetail d;
    d.hash = r.columnText(0);
    d.signature = r.columnText(1);
    d.family = r.columnText(2);
    d.flops = r.columnDouble(3);
    matches.push_back(d);
  });
  if (!status)
    return makeError(db.path() + ": " + status.message());
  if (matches.empty())
    return makeError("no task with a hash starting `" + prefix + "` in " +
                     db.path());
  if (matches.size() > 1) {
    std::string msg = "`" + prefix + "` is ambiguous: it starts";
    for (const auto &m : matches)
      msg += " " + m.hash.substr(0, kShortHashLength) + " (" + m.signature + ")";
    return makeError(msg);
  }
  TaskDetail d = matches.front();

  sql::Statement best(db.connection(),
                      std::string("SELECT ") + kRowColumns + " FROM best m" +
                          kRowJoins + "WHERE t.hash = ?1 ORDER BY g.name");
  best.bind(1, d.hash);
  status = forEachRow(
      best, [&](const sql::Statement &r) { d.best.push_back(readRow(r)); });
  if (!status)
    return makeError(status.message());

  sql::Statement top(
      db.connection(),
      std::string("SELECT ") + kRowColumns + " FROM measurements m" +
          kRowJoins +
          "WHERE t.hash = ?1 ORDER BY (m.status = 'ok' AND m.emulated = 0) "
          "DESC, m.median_s IS NULL, m.median_s, m.uid LIMIT ?2");
  top.bind(1, d.hash).bind(2, int64_t(topN));
  status = forEachRow(
      top, [&](const sql::Statement &r) { d.top.push_back(readRow(r)); });
  if (!status)
    return makeError(status.message());
  sql::Statement count(db.connection(),
                       "SELECT count(*) FROM measurements m JOIN tasks t ON "
                       "t.id = m.task_id WHERE t.hash = ?1");
  count.bind(1, d.hash);
  auto row = count.step();
  if (!row)
    return makeError(row.message());
  d.measurements = count.columnInt(0);
  return d;
}

} // namespace tessel
