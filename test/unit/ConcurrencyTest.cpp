// Many writer processes on one database file, and writers killed mid-batch
// or mid-checkpoint.
#include "db/Database.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <random>
#include <set>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tessel;
using namespace tessel::test;

namespace {

constexpr int kBatch = 25;

/// A batch of kBatch measurements whose uids and source name `tag`.
std::vector<Measurement> taggedBatch(const std::string &tag,
                                     const std::string &session,
                                     const MachineFingerprint &machine) {
  std::vector<Measurement> batch;
  for (int i = 0; i < kBatch; ++i) {
    Measurement m;
    m.uid = tag + "-" + std::to_string(i);
    auto task = TaskSignature::parse(
        "matmul m=" + std::to_string(8 * (1 + i % 5)) + " n=64 k=64");
    if (task)
      m.task = *task;
    m.target = "x86-64-avx512";
    m.schedule = testSchedule(1 + i);
    m.machine = machine;
    m.sessionUuid = session;
    m.source = tag;
    m.medianSec = 1e-3 + i * 1e-6;
    m.repeats = 5;
    m.createdAt = "2026-01-01T00:00:00.000Z";
    batch.push_back(std::move(m));
  }
  return batch;
}

/// Child body: opens its own connection (after fork), writes `batches`
/// batches tagged `prefix-bN`; returns the exit code (0 on success).
int writerChild(const std::string &path, const std::string &prefix,
                int batches) {
  auto db = Database::open(path, OpenMode::ReadWrite);
  if (!db)
    return 2;
  MachineFingerprint machine = testMachine(prefix);
  auto session = (*db)->startSession("writer " + prefix, machine);
  if (!session)
    return 3;
  for (int b = 0; b < batches; ++b) {
    auto n = (*db)->insertMeasurements(
        taggedBatch(prefix + "-b" + std::to_string(b), *session, machine));
    if (!n || *n != kBatch)
      return 4;
  }
  return 0;
}

/// Child body for writers that come and go: every batch opens the file anew
/// (each close checkpoints), racing the other writers' opens and checkpoints.
int reopeningChild(const std::string &path, const std::string &prefix,
                   int batches) {
  MachineFingerprint machine = testMachine(prefix);
  std::string session;
  for (int b = 0; b < batches; ++b) {
    auto db = Database::open(path, OpenMode::ReadWrite);
    if (!db) {
      std::fprintf(stderr, "%s\n", db.message().c_str());
      return 2;
    }
    if (session.empty()) {
      auto s = (*db)->startSession("writer " + prefix, machine);
      if (!s)
        return 3;
      session = *s;
    }
    auto n = (*db)->insertMeasurements(
        taggedBatch(prefix + "-b" + std::to_string(b), session, machine));
    if (!n || *n != kBatch)
      return 4;
  }
  return 0;
}

std::string integrityCheck(Database &db) {
  sql::Statement st(db.connection(), "PRAGMA integrity_check");
  auto row = st.step();
  return row && *row ? st.columnText(0) : "no verdict";
}

/// Number of batches (distinct sources) that do not hold exactly kBatch rows.
int64_t tornBatches(Database &db) {
  auto n = db.connection().queryInt(
      "SELECT count(*) FROM (SELECT source FROM measurements GROUP BY source "
      "HAVING count(*) != 25)");
  EXPECT_TRUE(n) << n.message();
  return n ? *n : -1;
}

int64_t rowsWithSource(Database &db, const std::string &source) {
  sql::Statement st(db.connection(),
                    "SELECT count(*) FROM measurements WHERE source = ?1");
  st.bind(1, source);
  auto row = st.step();
  return row && *row ? st.columnInt(0) : -1;
}

} // namespace

/// Forks `procs` children, child p exiting with `body(p)`, and expects each
/// to exit 0.
template <typename Body> void runWriters(int procs, Body body) {
  std::vector<pid_t> pids;
  for (int p = 0; p < procs; ++p) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0)
      _exit(body(p));
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status)) << "writer " << pid << " died";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "writer " << pid << " failed";
  }
}

TEST(Concurrency, FourProcessesWriteOneFile) {
  TempDir dir;
  const std::string path = dir.file("shared.db");
  ASSERT_NE(openDb(path), nullptr); // created, then closed before forking

  constexpr int kProcs = 4, kBatches = 500 / kBatch;
  runWriters(kProcs, [&](int p) {
    return writerChild(path, "p" + std::to_string(p), kBatches);
  });

  auto db = openDb(path, OpenMode::ReadWrite);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(integrityCheck(*db), "ok");
  EXPECT_EQ(countRows(*db, "measurements"), kProcs * 500);
  EXPECT_EQ(countRows(*db, "sessions"), kProcs);
  EXPECT_EQ(countRows(*db, "machines"), kProcs);
  // Shared natural keys were deduplicated across processes.
  EXPECT_EQ(countRows(*db, "tasks"), 5);
  EXPECT_EQ(countRows(*db, "schedules"), kBatch);
  EXPECT_EQ(tornBatches(*db), 0);
  for (int p = 0; p < kProcs; ++p)
    for (int b = 0; b < kBatches; ++b)
      EXPECT_EQ(rowsWithSource(*db, "p" + std::to_string(p) + "-b" +
                                        std::to_string(b)),
                kBatch);
}

TEST(Concurrency, WritersThatReopenForEveryBatch) {
  TempDir dir;
  const std::string path = dir.file("churn.db");
  ASSERT_NE(openDb(path), nullptr);
  constexpr int kProcs = 4, kBatches = 40;
  runWriters(kProcs, [&](int p) {
    return reopeningChild(path, "p" + std::to_string(p), kBatches);
  });
  auto db = openDb(path, OpenMode::ReadWrite);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(integrityCheck(*db), "ok");
  EXPECT_EQ(countRows(*db, "measurements"), kProcs * kBatches * kBatch);
  EXPECT_EQ(tornBatches(*db), 0);
}

TEST(Concurrency, SigkillLeavesOnlyWholeBatches) {
  TempDir dir;
  const std::string path = dir.file("killed.db");
  ASSERT_NE(openDb(path), nullptr);

  const unsigned seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::set<std::string> reported; // batches a child said it committed

  // Several rounds on the same file, each killing a writer at a new moment;
  // later rounds also recover what earlier kills left behind.
  for (int round = 0; round < 4; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      auto db = Database::open(path, OpenMode::ReadWrite);
      if (!db)
        _exit(2);
      // Checkpoint often so that kills also land inside checkpoints.
      if (!(*db)->connection().exec("PRAGMA wal_autocheckpoint=16"))
        _exit(3);
      MachineFingerprint machine = testMachine("killed");
      auto session = (*db)->startSession("killed writer", machine);
      if (!session)
        _exit(4);
      for (int b = 0;; ++b) {
        auto n = (*db)->insertMeasurements(
            taggedBatch("r" + std::to_string(round) + "-b" + std::to_string(b),
                        *session, machine));
        if (!n || *n != kBatch)
          _exit(5);
        if (write(fds[1], &b, sizeof b) != sizeof b)
          _exit(6);
      }
    }
    close(fds[1]);
    const int waitFor = 3 + int(rng() % 6);
    int b = -1, got = 0;
    while (got < waitFor && read(fds[0], &b, sizeof b) == sizeof b) {
      reported.insert("r" + std::to_string(round) + "-b" + std::to_string(b));
      ++got;
    }
    ASSERT_EQ(got, waitFor) << "the writer stopped early";
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "the writer exited with " << WEXITSTATUS(status);
    // Batches committed (and reported) after we stopped reading.
    while (read(fds[0], &b, sizeof b) == sizeof b)
      reported.insert("r" + std::to_string(round) + "-b" + std::to_string(b));
    close(fds[0]);

    auto db = openDb(path, OpenMode::ReadWrite);
    ASSERT_NE(db, nullptr) << "round " << round;
    EXPECT_EQ(integrityCheck(*db), "ok") << "round " << round;
    int64_t rows = countRows(*db, "measurements");
    EXPECT_EQ(rows % kBatch, 0) << "a torn batch in round " << round;
    EXPECT_EQ(tornBatches(*db), 0) << "round " << round;
    EXPECT_GE(rows, int64_t(reported.size()) * kBatch);
    // At most the one batch in flight was committed without being reported.
    EXPECT_LE(rows, int64_t(reported.size() + round + 1) * kBatch);
    for (const std::string &tag : reported)
      EXPECT_EQ(rowsWithSource(*db, tag), kBatch) << tag << " is incomplete";
  }
}

TEST(Concurrency, OpensAfterACrashMidCheckpoint) {
  // A checkpoint copies WAL frames into the main file in page order, page 1
  // (whose header holds the new page count) first. A process killed (or a
  // reader arriving) between that write and the last page sees a main file
  // shorter than its header says, while the WAL still holds every page: the
  // database is healthy and SQLite recovers it.
  TempDir dir;
  const std::string live = dir.file("live.db"), copy = dir.file("copy.db");
  auto db = openDb(live);
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->connection().exec("PRAGMA wal_autocheckpoint=0"));
  std::string session = startSession(*db);
  std::vector<Measurement> batch;
  for (int i = 0; i < 300; ++i)
    batch.push_back(
        makeMeasurement("matmul m=" + std::to_string(8 + i) + " n=64 k=64",
                        "x86-64-avx512", session, MeasureStatus::Ok, 1e-3));
  ASSERT_EQ(insertOrFail(*db, batch), 300);

  // The crash state: the main file, the WAL, and page 1 already copied.
  std::string main = readFile(live), wal = readFile(live + "-wal");
  ASSERT_GT(wal.size(), 32u);
  const size_t pageSize = 4096, frame = 24 + pageSize;
  std::string page1;
  for (size_t off = 32; off + frame <= wal.size(); off += frame)
    if (wal.compare(off, 4, std::string("\0\0\0\1", 4)) == 0)
      page1 = wal.substr(off + 24, pageSize);
  ASSERT_EQ(page1.size(), pageSize);
  ASSERT_GE(main.size(), pageSize);
  main.replace(0, pageSize, page1);
  writeFile(copy, main);
  writeFile(copy + "-wal", wal);
  db.reset();

  auto reopened = Database::open(copy, OpenMode::ReadWrite);
  ASSERT_TRUE(reopened) << reopened.message();
  EXPECT_EQ(integrityCheck(**reopened), "ok");
  EXPECT_EQ(countRows(**reopened, "measurements"), 300);
}
