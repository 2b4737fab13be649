// `tessel db ...`: create, inspect, query, merge, export and import schedule
// databases. Tables are aligned for people; `--json` prints machine-readable
// output instead.
#include "tools/tessel/Commands.h"

#include "db/Dump.h"
#include "db/Hash.h"
#include "db/Process.h"
#include "db/Queries.h"
#include "db/Target.h"
#include "tools/tessel/Table.h"

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tessel {

using nlohmann::json;

namespace {

struct DbOptions {
  std::string db;
  bool json = false;
  std::string target, op, task, output, hashPrefix, realizer;
  int64_t shapeContains = -1; ///< -1: no filter
  std::vector<std::string> inputs;
  int top = 10;
};

json optionalJson(const std::optional<double> &v) {
  return v ? json(*v) : json(nullptr);
}

json rowJson(const MeasurementRow &r) {
  json schedule;
  try {
    schedule = json::parse(r.scheduleJson);
  } catch (const json::exception &) {
    schedule = r.scheduleJson;
  }
  return {{"uid", r.uid},
          {"task", r.taskHash},
          {"signature", r.signature},
          {"family", r.family},
          {"target", r.target},
          {"schedule_hash", r.scheduleHash},
          {"schedule", schedule},
          {"machine", r.machineHash},
          {"machine_cpu", r.machineCpu},
          {"session", r.sessionUuid},
          {"source", r.source},
          {"status", r.status},
          {"median_s", optionalJson(r.medianSec)},
          {"min_s", optionalJson(r.minSec)},
          {"spread", optionalJson(r.spread)},
          {"repeats", r.repeats},
          {"max_error", optionalJson(r.maxError)},
          {"emulated", r.emulated},
          {"threads", r.threads},
          {"gflops", r.gflops()},
          {"error", r.error},
          {"created_at", r.createdAt},
          {"realizer", r.realizer},
          {"cache", r.cache}};
}

std::string shortHash(const std::string &h) {
  return h.substr(0, kShortHashLength);
}

std::string gflopsText(const MeasurementRow &r) {
  return r.medianSec ? fixed(r.gflops(), 1) : "-";
}

std::string spreadText(const std::optional<double> &s) {
  return s ? fixed(*s * 100, 1) + "%" : "-";
}

Result<std::unique_ptr<Database>> openRead(const DbOptions &o) {
  return Database::open(o.db, OpenMode::ReadOnly);
}

int runInit(const DbOptions &o) {
  auto db = Database::open(o.db, OpenMode::Create);
  if (!db)
    return fail(db.message());
  auto version = (*db)->connection().queryInt("PRAGMA user_version");
  if (o.json)
    std::cout << json{{"db", o.db}, {"schema_version", version ? *version : 0}}
                     .dump(2)
              << "\n";
  else
    std::cout << "initialized " << o.db << " (schema version "
              << (version ? *version : 0) << ")\n";
  return 0;
}

int runStats(const DbOptions &o) {
  auto db = openRead(o);
  if (!db)
    return fail(db.message());
  auto stats = queryStats(**db);
  if (!stats)
    return fail(stats.message());
  const Stats &s = *stats;
  if (o.json) {
    json rows = json::array();
    for (const auto &r : s.rows)
      rows.push_back({{"target", r.target},
                      {"family", r.family},
                      {"tasks", r.tasks},
                      {"measurements", r.measurements},
                      {"ok", r.ok},
                      {"failed", r.failed},
                      {"wrong", r.wrong},
                      {"timeout", r.timeout},
                      {"emulated", r.emulated},
                      {"best", r.best}});
    std::cout << json{{"db", o.db},
                      {"schema_version", s.schemaVersion},
                      {"tasks", s.tasks},
                      {"schedules", s.schedules},
                      {"measurements", s.measurements},
                      {"sessions", s.sessions},
                      {"machines", s.machines},
                      {"targets", s.targets},
                      {"by_target_family", rows}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << o.db << " (schema version " << s.schemaVersion << ")\n";
  std::cout << "  tasks " << s.tasks << "   schedules " << s.schedules
            << "   measurements " << s.measurements << "   sessions "
            << s.sessions << "   machines " << s.machines << "\n";
  if (s.rows.empty()) {
    std::cout << "  no measurements yet\n";
    return 0;
  }
  std::cout << "\n";
  Table t({"target", "family", "tasks", "measured", "ok", "failed", "wrong",
           "timeout", "emulated", "with best"},
          {false, false, true, true, true, true, true, true, true, true});
  for (const auto &r : s.rows)
    t.addRow({r.target, r.family, std::to_string(r.tasks),
              std::to_string(r.measurements), std::to_string(r.ok),
              std::to_string(r.failed), std::to_string(r.wrong),
              std::to_string(r.timeout), std::to_string(r.emulated),
              std::to_string(r.best)});
  t.print(std::cout);
  return 0;
}

int runList(const DbOptions &o) {
  auto db = openRead(o);
  if (!db)
    return fail(db.message());
  ListFilter f;
  if (!o.target.empty()) {
    auto p = resolveTarget(o.target);
    if (!p)
      return fail(p.message());
    f.target = p->name;
  }
  if (!o.op.empty()) {
    auto fam = parseFamily(o.op);
    if (!fam)
      return fail(fam.message());
    f.family = std::string(familyName(*fam));
  }
  if (o.shapeContains >= 0)
    f.shapeContains = o.shapeContains;
  auto rows = listTasks(**db, f);
  if (!rows)
    return fail(rows.message());
  if (o.json) {
    json out = json::array();
    for (const auto &r : *rows)
      out.push_back({{"task", r.taskHash},
                     {"signature", r.signature},
                     {"family", r.family},
                     {"flops", r.flops},
                     {"measurements", r.measurements},
                     {"best", r.best ? rowJson(*r.best) : json(nullptr)}});
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (rows->empty()) {
    std::cout << "no tasks match\n";
    return 0;
  }
  Table t({"task", "family", "target", "realizer", "best", "GFLOP/s", "measured",
           "signature"},
          {false, false, false, false, true, true, true, false});
  for (const auto &r : *rows)
    t.addRow({shortHash(r.taskHash), r.family, r.best ? r.best->target : "-",
              r.best ? r.best->realizer : "-",
              r.best ? formatSeconds(r.best->medianSec) : "-",
              r.best ? gflopsText(*r.best) : "-",
              std::to_string(r.measurements), r.signature});
  t.print(std::cout);
  return 0;
}

void printMeasurements(const std::vector<MeasurementRow> &rows) {
  Table t({"uid", "target", "realizer", "status", "median", "min", "spread",
           "repeats", "GFLOP/s", "max err", "source", "schedule", "machine"},
          {false, false, false, false, true, true, true, true, true, true, false,
           false, false});
  for (const auto &r : rows) {
    std::string status = r.status + (r.emulated ? " (emulated)" : "") +
                         (r.cache == "warm" ? "" : " (" + r.cache + ")");
    std::string err = r.maxError ? fixed(*r.maxError, 7) : "-";
    if (r.maxError && *r.maxError != 0 && *r.maxError < 1e-4) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1e", *r.maxError);
      err = buf;
    }
    t.addRow({shortHash(r.uid), r.target, r.realizer, status, formatSeconds(r.medianSec),
              formatSeconds(r.minSec), spreadText(r.spread),
              std::to_string(r.repeats), gflopsText(r), err, r.source,
              shortHash(r.scheduleHash), r.machineCpu});
  }
  t.print(std::cout);
}

int runShow(const DbOptions &o) {
  auto db = openRead(o);
  if (!db)
    return fail(db.message());
  auto d = showTask(**db, o.hashPrefix, o.top);
  if (!d)
    return fail(d.message());
  if (o.json) {
    json best = json::array(), top = json::array();
    for (const auto &r : d->best)
      best.push_back(rowJson(r));
    for (const auto &r : d->top)
      top.push_back(rowJson(r));
    std::cout << json{{"task", d->hash},
                      {"signature", d->signature},
                      {"family", d->family},
                      {"flops", d->flops},
                      {"measurements", d->measurements},
                      {"best", best},
                      {"top", top}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::cout << "task       " << d->hash << "\n"
            << "signature  " << d->signature << "\n"
            << "family     " << d->family << "\n"
            << "work       " << fixed(d->flops * 1e-9, 3) << " GFLOP\n"
            << "measured   " << d->measurements << " times\n";
  if (d->best.empty()) {
    std::cout << "\nno usable best on any target yet\n";
  } else {
    std::cout << "\nbest per target and realizer:\n";
    for (const auto &b : d->best)
      std::cout << "  " << b.target << "  " << b.realizer << "  "
                << formatSeconds(b.medianSec)
                << "  " << gflopsText(b) << " GFLOP/s  (" << b.source
                << ", on " << b.machineCpu << ")\n    schedule "
                << shortHash(b.scheduleHash) << " " << b.scheduleJson << "\n";
  }
  if (!d->top.empty()) {
    std::cout << "\nmeasurements (fastest usable first, " << d->top.size()
              << " of " << d->measurements << "):\n";
    printMeasurements(d->top);
  }
  return 0;
}

int runBest(const DbOptions &o) {
  auto db = openRead(o);
  if (!db)
    return fail(db.message());
  auto preset = resolveTarget(o.target);
  if (!preset)
    return fail(preset.message());
  std::optional<std::string> taskHash;
  if (!o.task.empty()) {
    auto sig = TaskSignature::parse(o.task);
    if (!sig)
      return fail("--task: " + sig.message());
    taskHash = sig->hash();
  }
  std::optional<Realizer> realizer;
  if (!o.realizer.empty()) {
    auto r = parseRealizer(o.realizer);
    if (!r)
      return fail("--realizer: " + r.message());
    realizer = *r;
  }
  auto rows = queryBest(**db, preset->name, taskHash, std::nullopt, realizer);
  if (!rows)
    return fail(rows.message());
  if (o.json) {
    json out = json::array();
    for (const auto &r : *rows)
      out.push_back(rowJson(r));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  if (rows->empty()) {
    std::cout << "no usable best for " << preset->name
              << (taskHash ? " and this task" : "") << " in " << o.db << "\n";
    return taskHash ? 1 : 0;
  }
  Table t({"task", "target", "realizer", "median", "GFLOP/s", "spread", "source",
           "signature", "schedule"},
          {false, false, false, true, true, true, false, false, false});
  for (const auto &r : *rows)
    t.addRow({shortHash(r.taskHash), r.target, r.realizer, formatSeconds(r.medianSec),
              gflopsText(r), spreadText(r.spread), r.source, r.signature,
              r.scheduleJson});
  t.print(std::cout);
  return 0;
}

json countsJson(const ImportCounts &c) {
  return {{"targets", c.targets},     {"machines", c.machines},
          {"tasks", c.tasks},         {"schedules", c.schedules},
          {"sessions", c.sessions},   {"measurements", c.measurements},
          {"already_present", c.skipped}};
}

std::string countsText(const ImportCounts &c) {
  return "+" + std::to_string(c.measurements) + " measurements, +" +
         std::to_string(c.tasks) + " tasks, +" + std::to_string(c.schedules) +
         " schedules, +" + std::to_string(c.machines) + " machines, +" +
         std::to_string(c.sessions) + " sessions, +" +
         std::to_string(c.targets) + " targets; " + std::to_string(c.skipped) +
         " measurements already present";
}

int runMerge(const DbOptions &o) {
  // Validate every input before creating or touching the output.
  for (const auto &in : o.inputs) {
    auto db = Database::open(in, OpenMode::ReadOnly);
    if (!db)
      return fail(db.message() + " (nothing was merged)");
  }
  auto out = Database::open(o.db, OpenMode::Create);
  if (!out)
    return fail(out.message());
  ImportCounts total;
  json perInput = json::array();
  for (const auto &in : o.inputs) {
    auto c = mergeFrom(**out, in);
    if (!c)
      return fail(c.message());
    total += *c;
    if (o.json)
      perInput.push_back({{"input", in}, {"added", countsJson(*c)}});
    else
      std::cout << "merged " << in << ": " << countsText(*c) << "\n";
  }
  if (o.json)
    std::cout << json{{"db", o.db}, {"inputs", perInput},
                      {"added", countsJson(total)}}
                     .dump(2)
              << "\n";
  else if (o.inputs.size() > 1)
    std::cout << "total into " << o.db << ": " << countsText(total) << "\n";
  return 0;
}

int runExport(const DbOptions &o) {
  auto db = openRead(o);
  if (!db)
    return fail(db.message());
  auto doc = exportJson(**db);
  if (!doc)
    return fail(doc.message());
  std::string text = doc->dump(2) + "\n";
  if (o.output.empty() || o.output == "-") {
    std::cout << text;
    return 0;
  }
  if (int rc = writeOutputFile(o.output, text, o.db))
    return rc;
  std::cerr << "exported " << (*doc)["measurements"].size()
            << " measurements to " << o.output << "\n";
  return 0;
}

int runImport(const DbOptions &o) {
  std::string text;
  if (o.inputs.empty() || o.inputs.front() == "-") {
    std::stringstream ss;
    ss << std::cin.rdbuf();
    text = ss.str();
  } else {
    auto read = readFile(o.inputs.front());
    if (!read)
      return fail(read.message());
    text = *read;
  }
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception &e) {
    return fail((o.inputs.empty() ? std::string("stdin") : o.inputs.front()) +
                ": not valid JSON (" + e.what() + ")");
  }
  auto db = Database::open(o.db, OpenMode::Create);
  if (!db)
    return fail(db.message());
  auto c = importJson(**db, doc);
  if (!c)
    return fail((o.inputs.empty() ? std::string("stdin") : o.inputs.front()) +
                ": " + c.message() + " (nothing was imported)");
  if (o.json)
    std::cout << json{{"db", o.db}, {"added", countsJson(*c)}}.dump(2) << "\n";
  else
    std::cout << "imported into " << o.db << ": " << countsText(*c) << "\n";
  return 0;
}

} // namespace

void addDbCommand(CLI::App &app, int &exitCode) {
  CLI::App *db = app.add_subcommand(
      "db", "Create, query, merge, export and import schedule databases");
  db->require_subcommand(1);
  setExamples(db, {"tessel db list --db s.db",
                   "tessel db merge --db fleet.db host1.db host2.db"});
  auto opts = std::make_shared<DbOptions>();

  auto common = [&](CLI::App *sub, bool withJson = true) {
    sub->add_option("--db", opts->db, "Schedule database file")->required();
    if (withJson)
      sub->add_flag("--json", opts->json, "Machine-readable JSON output");
  };
  auto bindRun = [&](CLI::App *sub, int (*fn)(const DbOptions &)) {
    sub->callback([opts, fn, &exitCode] { exitCode = fn(*opts); });
  };

  CLI::App *init = db->add_subcommand("init", "Create an empty database "
                                              "(or check an existing one)");
  common(init);
  setExamples(init, {"tessel db init --db s.db"});
  bindRun(init, runInit);

  CLI::App *stats = db->add_subcommand(
      "stats", "Counts per target and op family, sessions and machines");
  common(stats);
  setExamples(stats, {"tessel db stats --db s.db --json"});
  bindRun(stats, runStats);

  CLI::App *list =
      db->add_subcommand("list", "Tasks with their best time and GFLOP/s");
  common(list);
  list->add_option("--target", opts->target, "Only this target (or host)");
  list->add_option("--op", opts->op, "Only this op family (matmul, conv2d, ...)");
  list->add_option("--shape-contains", opts->shapeContains,
                   "Only tasks with a dimension equal to this value")
      ->check(atLeast(0));
  setExamples(list, {"tessel db list --db s.db --op conv2d"});
  bindRun(list, runList);

  CLI::App *show = db->add_subcommand(
      "show", "One task: its best schedule per target and top measurements");
  common(show);
  show->add_option("hash", opts->hashPrefix, "Task hash or unique prefix")
      ->required();
  show->add_option("--top", opts->top, "How many measurements to list")
      ->check(between(1, 100000))
      ->capture_default_str();
  setExamples(show, {"tessel db show --db s.db 3f2a --top 5"});
  bindRun(show, runShow);

  CLI::App *best = db->add_subcommand(
      "best", "The schedule a compiler would use per task for a target");
  common(best);
  best->add_option("--target", opts->target, "Target preset (or host)")
      ->required();
  best->add_option("--task", opts->task, "Only this task signature");
  best->add_option("--realizer", opts->realizer,
                   "Only records of this realizer: mlir (the loops tessel compile "
                   "emits) or halide (Halide kernels)");
  setExamples(
      best, {"tessel db best --db s.db --target host --realizer mlir --json"});
  bindRun(best, runBest);

  CLI::App *merge = db->add_subcommand(
      "merge", "Fold databases into --db (idempotent; keeps every measurement)");
  common(merge);
  merge->add_option("inputs", opts->inputs, "Databases to merge in")
      ->required();
  setExamples(merge, {"tessel db merge --db fleet.db host1.db host2.db"});
  bindRun(merge, runMerge);

  CLI::App *exp = db->add_subcommand(
      "export", "Write the whole database as canonical JSON");
  common(exp);
  exp->add_option("-o,--output", opts->output, "Output file (default: stdout)");
  setExamples(exp, {"tessel db export --db s.db -o s.json"});
  bindRun(exp, runExport);

  CLI::App *imp = db->add_subcommand(
      "import", "Add the content of an exported JSON file (idempotent)");
  common(imp);
  imp->add_option("file", opts->inputs, "Exported JSON file (- for stdin)")
      ->expected(0, 1);
  setExamples(imp, {"tessel db import --db s.db s.json"});
  bindRun(imp, runImport);
}

} // namespace tessel
