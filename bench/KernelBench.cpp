// Side-by-side kernel benchmark: for each task, tessel's code (the MLIR loops
// tessel compile emits) with the tuned schedule (the best MLIR record in the
// database) and with its built-in default, both measured through the
// tuner's benchmark program (the tessel-compile pipeline); and Halide's
// Adams2019 and Mullapudi2016 autoschedulers (its JIT): in one run,
// interleaved round by round so that a noisy machine hurts every column
// alike. Prints GFLOP/s, % of the measured FMA peak and ratios; CSV with
// --csv.
//
//   tessel-bench-kernels --db bench.db [--target host] [--threads 1]
//                        [--rounds 3] [--csv out.csv] SIGNATURE...
#include "db/Database.h"
#include "db/Queries.h"
#include "kernels/Plan.h"
#include "tuner/Measure.h"
#include "tuner/Peak.h"
#include "tuner/ProgramMeasure.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>

using namespace tessel;

namespace {

struct Column {
  std::string name;
  std::optional<Schedule> schedule;
  std::vector<double> medians;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv) {
  CLI::App app{"tessel kernel benchmark: tuned vs heuristic vs autoschedulers"};
  std::string dbPath, targetName = "host", csvPath;
  int threads = 1, rounds = 3;
  std::vector<std::string> signatures;
  app.add_option("--db", dbPath, "Database with tuned schedules")->required();
  app.add_option("--target", targetName, "Target preset");
  app.add_option("--threads", threads, "Threads");
  app.add_option("--rounds", rounds, "Interleaved rounds per column");
  app.add_option("--csv", csvPath, "Also write CSV here");
  app.add_option("signatures", signatures, "Tasks")->required();
  CLI11_PARSE(app, argc, argv);

  auto target = resolveTarget(targetName);
  if (!target) {
    std::cerr << "tessel-bench-kernels: " << target.message() << "\n";
    return 1;
  }
  auto db = Database::open(dbPath, OpenMode::ReadOnly);
  if (!db) {
    std::cerr << "tessel-bench-kernels: " << db.message() << "\n";
    return 1;
  }
  ProgramOptions po;
  po.realizer = Realizer::Mlir;
  po.threads = threads;
  auto program = ProgramMeasurer::create(*target, po);
  if (!program) {
    std::cerr << "tessel-bench-kernels: " << program.message() << "\n";
    return 1;
  }
  double peak = measureFmaPeakGflops() * threads;
  std::printf("measured fp32 FMA peak: %.1f GFLOP/s (%d thread%s)\n\n", peak,
              threads, threads > 1 ? "s" : "");
  std::printf("%-58s %9s %9s %9s %9s  %6s  %8s %8s\n", "task", "tuned",
              "heuristic", "adams2019", "mullapudi", "%peak", "vs heur",
              "vs adams");
  std::ofstream csv;
  if (!csvPath.empty()) {
    csv.open(csvPath);
    csv << "task,tuned_gflops,heuristic_gflops,adams2019_gflops,"
           "mullapudi2016_gflops,peak_gflops,threads\n";
  }
  MeasureOptions mo;
  mo.threads = threads;
  mo.maxTimingSec = 0.5;
  for (const auto &text : signatures) {
    auto task = TaskSignature::parse(text);
    if (!task) {
      std::cerr << "tessel-bench-kernels: `" << text << "`: " << task.message()
                << "\n";
      return 1;
    }
    auto fixture = TaskFixture::create(*task);
    if (!fixture) {
      std::cerr << "tessel-bench-kernels: " << fixture.message() << "\n";
      return 1;
    }
    std::vector<Column> cols(4);
    cols[0].name = "tuned";
    auto best = queryBest(**db, target->name, task->hash(), threads, Realizer::Mlir);
    if (best && !best->empty()) {
      auto s = Schedule::fromJson(best->front().scheduleJson);
      if (s)
        cols[0].schedule = *s;
    }
    cols[1].name = "heuristic";
    cols[1].schedule = defaultSchedule(*task, *target, Realizer::Mlir, threads);
    for (int i = 2; i < 4; ++i) {
      Schedule s;
      s.kind = "autoscheduler";
      s.autoscheduler = i == 2 ? "adams2019" : "mullapudi2016";
      s.params["parallelism"] = std::to_string(threads);
      cols[i].name = s.autoscheduler;
      cols[i].schedule = s;
    }
    std::vector<std::string> problems;
    for (int r = 0; r < rounds; ++r) {
      // tessel's two columns: one benchmark program.
      std::vector<Schedule> mlir;
      for (int i = 0; i < 2; ++i)
        if (cols[i].schedule)
          mlir.push_back(*cols[i].schedule);
      auto results = (*program)->measure(**fixture, mlir);
      for (int i = 0, k = 0; i < 2; ++i) {
        if (!cols[i].schedule)
          continue;
        const MeasureResult &m = results[k++];
        if (m.status == MeasureStatus::Ok)
          cols[i].medians.push_back(*m.medianSec);
        else if (r == 0)
          problems.push_back(cols[i].name + ": " + statusName(m.status) + ", " +
                             m.error.substr(0, 120));
      }
      for (auto &c : cols) {
        if (!c.schedule || c.schedule->kind != "autoscheduler")
          continue;
        // An autoscheduler that failed once (timeout, out of memory) fails
        // again: do not spend the rounds on it.
        if (r > 0 && c.schedule->kind == "autoscheduler" && c.medians.empty())
          continue;
        MeasureOptions o = mo;
        if (c.schedule->kind == "autoscheduler")
          o.timeoutSec = 300; // autoscheduling comes before compiling
        MeasureResult m = measure(**fixture, *c.schedule, *target, o);
        if (m.status == MeasureStatus::Ok)
          c.medians.push_back(*m.medianSec);
        else if (r == 0)
          problems.push_back(c.name + ": " + statusName(m.status) + ", " +
                             m.error.substr(0, 120));
      }
    }
    auto gf = [&](const Column &c) {
      return c.medians.empty() ? 0.0 : task->flops() / median(c.medians) * 1e-9;
    };
    auto cell = [&](double g) {
      char b[32];
      if (g > 0)
        std::snprintf(b, sizeof b, "%9.1f", g);
      else
        std::snprintf(b, sizeof b, "%9s", "n/a");
      return std::string(b);
    };
    double t = gf(cols[0]), h = gf(cols[1]), a = gf(cols[2]), m = gf(cols[3]);
    std::string label = task->canonical();
    if (label.size() > 58)
      label = label.substr(0, 55) + "...";
    std::printf("%-58s %s %s %s %s  %5.0f%%  %7.2fx %7.2fx\n", label.c_str(),
                cell(t).c_str(), cell(h).c_str(), cell(a).c_str(),
                cell(m).c_str(), peak > 0 ? 100 * t / peak : 0.0,
                h > 0 ? t / h : 0.0, a > 0 ? t / a : 0.0);
    for (const auto &p : problems)
      std::printf("    %s\n", p.c_str());
    std::fflush(stdout);
    if (csv)
      csv << '"' << task->canonical() << "\"," << t << ',' << h << ',' << a
          << ',' << m << ',' << peak << ',' << threads << "\n";
  }
  std::printf("\nGFLOP/s at the median of %d interleaved rounds per column "
              "(each round itself a median of repeats); tuned = the best MLIR "
              "record in %s for %s, heuristic = the MLIR realizer's default, "
              "both compiled by the tessel-compile pipeline.\n",
              rounds, dbPath.c_str(), target->name.c_str());
  return 0;
}
