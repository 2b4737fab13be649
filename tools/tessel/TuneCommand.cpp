// `tessel tune`: search, measure and verify schedules for tasks on this
// machine, recording every candidate in the schedule database.
#include "tools/tessel/Commands.h"

#include "db/Database.h"
#include "db/Realizer.h"
#include "db/TasksFile.h"
#include "tools/tessel/Table.h"
#include "tuner/Measure.h"
#include "tuner/Session.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>

namespace tessel {

namespace {

struct TuneCommandOptions {
  std::string db, target = "host", tasksFile, budget, inject, runner,
      search = "evolutionary", realizer = "auto";
  double runnerTimeout = 600;
  std::vector<std::string> tasks;
  int trials = 0, threads = 1, batch = 8;
  uint64_t seed = 1;
  double timeout = 60;
  bool noAutoschedulers = false;
  bool json = false;
  std::string commandLine;
};

/// "90", "90s", "10m", "1h30m" -> seconds; nullopt if malformed.
std::optional<double> parseDuration(const std::string &text) {
  std::regex part("([0-9]+(?:\\.[0-9]+)?)([smh]?)");
  double total = 0;
  auto begin = std::sregex_iterator(text.begin(), text.end(), part);
  size_t covered = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    if (static_cast<size_t>(it->position()) != covered)
      return std::nullopt;
    covered += it->length();
    double v = std::stod((*it)[1]);
    std::string unit = (*it)[2];
    total += unit == "h" ? v * 3600 : unit == "m" ? v * 60 : v;
  }
  if (covered != text.size() || text.empty())
    return std::nullopt;
  return total;
}

std::string ratio(std::optional<double> base, std::optional<double> best) {
  if (!base || !best || *best <= 0)
    return "-";
  return fixed(*base / *best, 2) + "x";
}

void printSummary(const std::vector<TaskSummary> &summaries, double peak) {
  Table t({"task", "trials", "best", "GFLOP/s", "% peak", "vs heuristic",
           "vs Adams2019", "vs Mullapudi2016", "failed/wrong/timeout"},
          {false, true, true, true, true, true, true, true, true});
  for (const auto &s : summaries) {
    double flops = s.task.flops();
    std::string gf = "-", pct = "-";
    if (s.best) {
      double g = flops / *s.best * 1e-9;
      gf = fixed(g, 1);
      if (peak > 0)
        pct = fixed(100 * g / peak, 0) + "%";
    }
    t.addRow({s.task.canonical(), std::to_string(s.stored + s.measured),
              formatSeconds(s.best), gf, pct, ratio(s.heuristic, s.best),
              ratio(s.adams2019, s.best), ratio(s.mullapudi2016, s.best),
              std::to_string(s.failed) + "/" + std::to_string(s.wrong) + "/" +
                  std::to_string(s.timeouts)});
  }
  std::cout << "\n";
  t.print(std::cout);
  for (const auto &s : summaries)
    if (!s.note.empty())
      std::cout << "note: " << s.task.canonical() << ": " << s.note << "\n";
  if (peak > 0)
    std::cout << "\n% peak is of the measured fp32 FMA peak, " << fixed(peak, 1)
              << " GFLOP/s for the threads used.\n";
}

/// The summary as JSON: one object per task, times in seconds (null when
/// not measured).
void printSummaryJson(const std::vector<TaskSummary> &summaries, double peak) {
  auto opt = [](const std::optional<double> &v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto &s : summaries)
    tasks.push_back(
        {{"signature", s.task.canonical()},
         {"hash", s.task.hash()},
         {"count", s.count},
         {"realizer", realizerName(s.realizer)},
         {"trials", s.stored + s.measured},
         {"measured_now", s.measured},
         {"best_s", opt(s.best)},
         {"default_s", opt(s.heuristic)},
         {"adams2019_s", opt(s.adams2019)},
         {"mullapudi2016_s", opt(s.mullapudi2016)},
         {"gflops", s.best ? nlohmann::json(s.task.flops() / *s.best * 1e-9)
                           : nlohmann::json(nullptr)},
         {"failed", s.failed},
         {"wrong", s.wrong},
         {"timeouts", s.timeouts},
         {"note", s.note}});
  std::cout << nlohmann::json{{"peak_gflops", peak}, {"tasks", tasks}}.dump(2)
            << "\n";
}

int runTune(const TuneCommandOptions &o) {
  auto preset = resolveTarget(o.target);
  if (!preset)
    return fail(preset.message());
  if (o.tasks.empty() == o.tasksFile.empty())
    return fail("give either --task SIGNATURE (repeatable) or --tasks FILE");
  TasksFile tasks;
  if (!o.tasksFile.empty()) {
    auto f = TasksFile::read(o.tasksFile);
    if (!f)
      return fail(f.message());
    tasks = *f;
  }
  for (const auto &text : o.tasks) {
    auto sig = TaskSignature::parse(text);
    if (!sig)
      return fail("--task `" + text + "`: " + sig.message());
    // Refused before any budget is spent; a tasks file's such tasks are
    // skipped with a note instead.
    if (Status s = checkMeasurable(*sig); !s)
      return fail("--task `" + text + "`: " + s.message());
    tasks.add(*sig);
  }
  TuneOptions opts;
  opts.trials = o.trials;
  if (!o.budget.empty()) {
    auto d = parseDuration(o.budget);
    if (!d || *d <= 0)
      return fail("--time-budget `" + o.budget +
                  "` is not a duration like 90s, 10m or 1h30m");
    opts.timeBudgetSec = *d;
  }
  if (opts.trials == 0 && opts.timeBudgetSec == 0)
    return fail("give a budget: --trials N or --time-budget DURATION");
  opts.threads = o.threads;
  opts.seed = o.seed;
  opts.batchSize = o.batch;
  opts.autoschedulers = !o.noAutoschedulers;
  opts.measure.timeoutSec = o.timeout;
  opts.measure.inject = o.inject;
  opts.runner = o.runner;
  opts.realizer = o.realizer;
  opts.search = o.search;
  opts.runnerTimeoutSec = o.runnerTimeout;
  auto db = Database::open(o.db, OpenMode::Create);
  if (!db)
    return fail(db.message());
  TuneSession session(**db, *preset, opts, o.commandLine, std::cerr);
  std::cerr << "tuning " << tasks.tasks.size() << " task(s) for " << preset->name
            << " with " << o.threads << " thread(s); every candidate goes to "
            << o.db << "\n";
  auto summaries = session.run(tasks);
  if (!summaries)
    return fail(summaries.message());
  if (o.json)
    printSummaryJson(*summaries, session.peakGflops());
  else
    printSummary(*summaries, session.peakGflops());
  if (tuneInterrupted()) {
    std::cerr << "interrupted: everything measured is in " << o.db
              << "; run the same command again to continue\n";
    return 130;
  }
  return 0;
}

} // namespace

void addTuneCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<TuneCommandOptions>();
  CLI::App *cmd = app.add_subcommand(
      "tune", "Search, measure and verify schedules on this machine");
  cmd->add_option("--db", o->db, "Schedule database (created if missing)")
      ->required();
  cmd->add_option("--target", o->target, "Target preset or 'host'")
      ->capture_default_str();
  cmd->add_option("--task", o->tasks, "Task signature (repeatable)");
  cmd->add_option("--tasks", o->tasksFile,
                  "Tasks file written by tessel-opt --tessel-extract-tasks");
  cmd->add_option("--trials", o->trials,
                  "Trials per task, counting those already in the database")
      ->check(atLeast(1));
  cmd->add_option("--time-budget", o->budget,
                  "Wall-time budget for the session (90s, 10m, 1h30m); "
                  "give it, --trials, or both");
  cmd->add_option("--threads", o->threads, "Threads per measurement")
      ->check(between(1, 1024))
      ->capture_default_str();
  cmd->add_option("--seed", o->seed, "Seed of the search")
      ->capture_default_str();
  cmd->add_option("--batch", o->batch, "Candidates per search batch")
      ->check(between(1, 1000))
      ->capture_default_str();
  cmd->add_option("--timeout", o->timeout,
                  "Seconds one candidate may take (compile, verify, time)")
      ->check(atLeast(0.1))
      ->capture_default_str();
  cmd->add_flag("--json", o->json,
                "The summary as JSON on stdout (progress stays on stderr)");
  cmd->add_flag("--no-autoschedulers", o->noAutoschedulers,
                "Do not measure Halide's Adams2019 and Mullapudi2016 seeds");
  cmd->add_option("--search", o->search,
                  "evolutionary, or random: every proposal sampled at "
                  "random, the baseline the search is measured against")
      ->check(CLI::IsMember({"evolutionary", "random"}))
      ->capture_default_str();
  cmd->add_option("--realizer", o->realizer,
                  "Which code the candidates are measured as: mlir (the loops tessel "
                  "compile emits, through its pipeline), halide (Halide's kernels, for "
                  "tessel aot and --kernels halide), or auto: mlir wherever it applies")
      ->check(CLI::IsMember({"auto", "mlir", "halide"}))
      ->capture_default_str();
  cmd->add_option("--runner", o->runner,
                  "Measure on the target through this command, {exe} standing for "
                  "the benchmark program: 'qemu-aarch64 -cpu max,sve256=on {exe}' "
                  "(emulated: verified, never used as timings), or "
                  "\"sh -c 'scp {exe} g3:/tmp/b && ssh g3 /tmp/b'\"");
  cmd->add_option("--runner-timeout", o->runnerTimeout,
                  "Seconds one batch may take on the target")
      ->capture_default_str();
  cmd->add_option("--inject-fault", o->inject,
                  "Testing only: make every candidate crash, abort, hang, "
                  "return wrong results or run out of memory")
      ->check(CLI::IsMember({"crash", "abort", "hang", "wrong", "oom"}))
      ->group("");
  setExamples(cmd,
              {"tessel tune --db s.db --tasks tasks.json --time-budget 10m",
               "tessel tune --db s.db --task 'matmul m=512 n=512 k=512' "
               "--trials 64 --threads 2"});
  cmd->callback([o, cmd, &exitCode] {
    o->commandLine = "tessel tune";
    for (const auto *opt : cmd->get_options())
      for (const auto &r : opt->results())
        if (!opt->get_name().empty() && opt->get_name() != "--help")
          o->commandLine += " " + opt->get_name() + " " + r;
    exitCode = runTune(*o);
  });
}

} // namespace tessel
