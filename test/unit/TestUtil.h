// Shared fixtures for the db/ unit tests: temp directories, files, and
// hand-built machines, sessions and measurements.
#ifndef TESSEL_TEST_UNIT_TESTUTIL_H
#define TESSEL_TEST_UNIT_TESTUTIL_H

#include "db/Database.h"
#include "db/Target.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace tessel::test {

/// The preset `host` resolves to here (fails the test if none does).
inline TargetPreset hostTarget() {
  auto t = resolveTarget("host");
  EXPECT_TRUE(t) << t.message();
  return t ? *t : TargetPreset();
}

/// A parsed task signature (fails the test if `text` does not parse).
inline TaskSignature parseTask(const std::string &text) {
  auto s = TaskSignature::parse(text);
  EXPECT_TRUE(s) << text << ": " << s.message();
  return s ? *s : TaskSignature();
}

/// A fresh directory under ::testing::TempDir(), removed with its contents on
/// destruction.
class TempDir {
public:
  TempDir() {
    std::string base = ::testing::TempDir();
    if (base.empty() || base.back() != '/')
      base += '/';
    std::string tmpl = base + "tessel-unit-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data()))
      ADD_FAILURE() << "mkdtemp failed for " << tmpl;
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  /// `name` inside this directory.
  std::string file(const std::string &name) const { return path_ + "/" + name; }

private:
  std::string path_;
};

/// The whole content of `path` (empty if it cannot be read).
inline std::string readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void writeFile(const std::string &path, const std::string &bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// A deterministic fingerprint; `variant` changes the CPU model (and so the
/// hash) so that tests can tell machines apart.
inline MachineFingerprint testMachine(const std::string &variant = "a",
                                      bool emulated = false) {
  MachineFingerprint m;
  m.arch = "x86_64";
  m.cpuModel = "Test CPU " + variant;
  m.isa = {"avx2", "avx512f", "fma"};
  m.cores = 2;
  m.l1dBytes = 32 << 10;
  m.l2Bytes = 1 << 20;
  m.l3Bytes = 32 << 20;
  m.os = "Linux 6.1.0";
  m.versions = {{"tessel", "0.1.0"}, {"sqlite", "3.40.1"}};
  m.emulated = emulated;
  return m;
}

/// Parses a signature known to be valid (fails the test otherwise).
inline TaskSignature sig(const std::string &text) {
  auto s = TaskSignature::parse(text);
  EXPECT_TRUE(s) << text << ": " << s.message();
  return s ? *s : TaskSignature();
}

/// A schedule that differs from others by its outer tile on `m`.
inline Schedule testSchedule(int64_t tileM = 64) {
  Schedule s;
  s.tileOuter = {{"m", tileM}, {"n", 64}};
  s.tileInner = {{"m", 8}, {"n", 16}};
  s.order = {"m", "n", "k"};
  s.vectorDim = "n";
  s.vectorWidth = 16;
  return s;
}

/// A measurement of `task` on `target` in `session`; ok rows get `median`.
inline Measurement
makeMeasurement(const std::string &task, const std::string &target,
                const std::string &session, MeasureStatus status,
                std::optional<double> median,
                const MachineFingerprint &machine = testMachine(),
                const std::string &uid = "") {
  Measurement m;
  m.uid = uid;
  m.task = sig(task);
  m.target = target;
  m.schedule = testSchedule(median ? int64_t(*median * 1e6) % 97 + 1 : 1);
  m.machine = machine;
  m.sessionUuid = session;
  m.source = "search";
  m.status = status;
  m.medianSec = median;
  if (median)
    m.minSec = *median * 0.95;
  m.spread = 0.02;
  m.repeats = 10;
  m.maxError = 1e-6;
  m.emulated = machine.emulated;
  if (status != MeasureStatus::Ok)
    m.error = "test failure";
  m.createdAt = "2026-01-02T03:04:05.678Z";
  return m;
}

/// Opens `path` with `mode`, failing the test (and returning null) on error.
inline std::unique_ptr<Database> openDb(const std::string &path,
                                        OpenMode mode = OpenMode::Create) {
  auto db = Database::open(path, mode);
  EXPECT_TRUE(db) << db.message();
  return db ? std::move(*db) : nullptr;
}

/// Starts a session with `machine`, failing the test on error.
inline std::string
startSession(Database &db, const MachineFingerprint &machine = testMachine()) {
  auto s = db.startSession("unit test", machine);
  EXPECT_TRUE(s) << s.message();
  return s ? *s : std::string();
}

/// SELECT count(*) FROM `table` (-1 on error).
inline int64_t countRows(Database &db, const std::string &table) {
  auto n = db.connection().queryInt("SELECT count(*) FROM " + table);
  EXPECT_TRUE(n) << n.message();
  return n ? *n : -1;
}

/// Row counts of every table, for "nothing changed" checks.
inline std::vector<int64_t> allCounts(Database &db) {
  std::vector<int64_t> v;
  for (const char *t : {"targets", "machines", "tasks", "task_dims",
                        "schedules", "sessions", "measurements"})
    v.push_back(countRows(db, t));
  return v;
}

/// Inserts `batch`, failing the test on error; returns rows inserted.
inline int insertOrFail(Database &db, const std::vector<Measurement> &batch) {
  auto n = db.insertMeasurements(batch);
  EXPECT_TRUE(n) << n.message();
  return n ? *n : -1;
}

} // namespace tessel::test

#endif // TESSEL_TEST_UNIT_TESTUTIL_H
