// Opening the schedule database: creation, migration, and refusing (without
// touching) files that are not healthy tessel databases.
#include "db/Database.h"
#include "db/Queries.h"
#include "db/Target.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <sqlite3.h>
#include <unistd.h>

using namespace tessel;
using namespace tessel::test;

namespace {

const OpenMode kAllModes[] = {OpenMode::ReadOnly, OpenMode::ReadWrite,
                              OpenMode::Create};

const char *modeName(OpenMode m) {
  switch (m) {
  case OpenMode::ReadOnly:
    return "ReadOnly";
  case OpenMode::ReadWrite:
    return "ReadWrite";
  case OpenMode::Create:
    return "Create";
  }
  return "?";
}

/// Creates a database at `path` holding `n` measurements (in batches of 50),
/// checkpointed and closed, so that the whole content is in the main file.
void makePopulatedDb(const std::string &path, int n) {
  auto db = openDb(path);
  ASSERT_NE(db, nullptr);
  std::string session = startSession(*db);
  std::vector<Measurement> batch;
  for (int i = 0; i < n; ++i) {
    batch.push_back(makeMeasurement(
        "matmul m=" + std::to_string(16 * (1 + i % 7)) + " n=64 k=64",
        "x86-64-avx512", session, MeasureStatus::Ok, 1e-3 + i * 1e-6));
    if (batch.size() == 50 || i + 1 == n) {
      ASSERT_EQ(insertOrFail(*db, batch), int(batch.size()));
      batch.clear();
    }
  }
  ASSERT_TRUE(db->connection().exec("PRAGMA wal_checkpoint(TRUNCATE)"));
}

/// Expects every open mode to refuse `path` with a message naming it, and the
/// file to stay byte-identical.
void expectRefusedUntouched(const std::string &path, const std::string &why) {
  const std::string before = readFile(path);
  for (OpenMode mode : kAllModes) {
    auto db = Database::open(path, mode);
    EXPECT_FALSE(db) << modeName(mode) << " opened " << path;
    if (!db) {
      EXPECT_NE(db.message().find(path), std::string::npos)
          << "message does not name the file: " << db.message();
      EXPECT_NE(db.message().find(why), std::string::npos)
          << modeName(mode) << ": `" << db.message() << "` lacks `" << why
          << "`";
    }
    EXPECT_TRUE(readFile(path) == before)
        << modeName(mode) << " changed " << path;
  }
}

int64_t pragma(Database &db, const std::string &name) {
  auto v = db.connection().queryInt("PRAGMA " + name);
  EXPECT_TRUE(v) << v.message();
  return v ? *v : -1;
}

std::string integrityCheck(Database &db) {
  sql::Statement st(db.connection(), "PRAGMA integrity_check");
  auto row = st.step();
  return row && *row ? st.columnText(0) : "no verdict";
}

} // namespace

TEST(Database, CreatesFreshDatabase) {
  TempDir dir;
  std::string path = dir.file("new.db");
  auto db = openDb(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->path(), path);
  EXPECT_EQ(pragma(*db, "user_version"), kSchemaVersion);
  EXPECT_EQ(pragma(*db, "application_id"), kApplicationId);
  EXPECT_EQ(countRows(*db, "targets"), int64_t(targetPresets().size()));
  EXPECT_EQ(countRows(*db, "measurements"), 0);
  {
    sql::Statement mode(db->connection(), "PRAGMA journal_mode");
    ASSERT_TRUE(*mode.step());
    EXPECT_EQ(mode.columnText(0), "wal");
  }
  db.reset(); // closing checkpoints the WAL into the main file
  // The header bytes say so too: application_id at 68, user_version at 60.
  std::string bytes = readFile(path);
  ASSERT_GE(bytes.size(), 100u);
  EXPECT_EQ(bytes.substr(68, 4), "tssl");
  EXPECT_EQ(bytes.substr(60, 4),
            std::string("\0\0\0", 3) + char(kSchemaVersion));
}

TEST(Database, CreateInitializesAnEmptyFile) {
  TempDir dir;
  std::string path = dir.file("empty.db");
  writeFile(path, "");
  auto db = openDb(path, OpenMode::Create);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(pragma(*db, "user_version"), kSchemaVersion);
}

TEST(Database, ReopeningKeepsData) {
  TempDir dir;
  std::string path = dir.file("re.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 20));
  for (OpenMode mode : kAllModes) {
    auto db = openDb(path, mode);
    ASSERT_NE(db, nullptr) << modeName(mode);
    EXPECT_EQ(countRows(*db, "measurements"), 20) << modeName(mode);
    EXPECT_EQ(countRows(*db, "targets"), int64_t(targetPresets().size()));
  }
}

TEST(Database, MissingFileIsNotCreatedUnlessAsked) {
  TempDir dir;
  std::string path = dir.file("missing.db");
  for (OpenMode mode : {OpenMode::ReadOnly, OpenMode::ReadWrite}) {
    auto db = Database::open(path, mode);
    ASSERT_FALSE(db) << modeName(mode);
    EXPECT_NE(db.message().find(path), std::string::npos) << db.message();
    EXPECT_FALSE(std::filesystem::exists(path)) << modeName(mode);
  }
}

TEST(Database, ReadOnlyOpenDoesNotModifyTheFile) {
  TempDir dir;
  std::string path = dir.file("ro.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 100));
  const std::string before = readFile(path);
  {
    auto db = openDb(path, OpenMode::ReadOnly);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(countRows(*db, "measurements"), 100);
    auto stats = queryStats(*db);
    ASSERT_TRUE(stats) << stats.message();
    EXPECT_EQ(stats->measurements, 100);
    // Writing through a read-only handle fails.
    EXPECT_FALSE(db->startSession("write", testMachine()));
  }
  EXPECT_TRUE(readFile(path) == before);
}

TEST(Database, MigratesForwardKeepingData) {
  TempDir dir;
  std::string path = dir.file("mig.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 30));
  const int next = kSchemaVersion + 1;
  std::vector<Migration> steps = {
      {kSchemaVersion, "ALTER TABLE tasks ADD COLUMN note TEXT"}};
  {
    auto db = Database::open(path, OpenMode::ReadWrite, steps, next);
    ASSERT_TRUE(db) << db.message();
    EXPECT_EQ(pragma(**db, "user_version"), next);
    EXPECT_EQ(pragma(**db, "application_id"), kApplicationId);
    auto note = (*db)->connection().queryInt(
        "SELECT count(*) FROM pragma_table_info('tasks') WHERE name = 'note'");
    ASSERT_TRUE(note) << note.message();
    EXPECT_EQ(*note, 1);
    EXPECT_EQ(countRows(**db, "measurements"), 30);
    EXPECT_EQ(integrityCheck(**db), "ok");
  }
  // Reopening at the new version with the same steps runs nothing again.
  auto again = Database::open(path, OpenMode::ReadOnly, steps, next);
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(countRows(**again, "measurements"), 30);
}

TEST(Database, ReadOnlyDoesNotMigrate) {
  TempDir dir;
  std::string path = dir.file("old.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 5));
  const std::string before = readFile(path);
  std::vector<Migration> steps = {
      {kSchemaVersion, "ALTER TABLE tasks ADD COLUMN note TEXT"}};
  auto db = Database::open(path, OpenMode::ReadOnly, steps, kSchemaVersion + 1);
  ASSERT_FALSE(db);
  EXPECT_NE(db.message().find("older"), std::string::npos) << db.message();
  EXPECT_TRUE(readFile(path) == before);
}

TEST(Database, FailedMigrationLeavesFileUntouched) {
  TempDir dir;
  std::string path = dir.file("badmig.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 30));
  const std::string before = readFile(path);
  // A bad step alone, and a good step followed by a bad one: neither may
  // leave a half-migrated file behind.
  const int v = kSchemaVersion;
  const std::vector<std::vector<Migration>> plans = {
      {{v, "ALTER TABLE no_such_table ADD COLUMN x TEXT"}},
      {{v, "ALTER TABLE tasks ADD COLUMN note TEXT"}, {v + 1, "THIS IS NOT SQL"}},
  };
  for (const auto &steps : plans) {
    int target = int(steps.size()) + v;
    auto db = Database::open(path, OpenMode::ReadWrite, steps, target);
    ASSERT_FALSE(db);
    EXPECT_NE(db.message().find("migration"), std::string::npos)
        << db.message();
    EXPECT_NE(db.message().find(path), std::string::npos) << db.message();
    EXPECT_TRUE(readFile(path) == before);
  }
  auto db = openDb(path, OpenMode::ReadOnly);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(pragma(*db, "user_version"), kSchemaVersion);
  EXPECT_EQ(countRows(*db, "measurements"), 30);
}

TEST(Database, MissingMigrationPathFails) {
  TempDir dir;
  std::string path = dir.file("gap.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 1));
  const std::string before = readFile(path);
  auto db = Database::open(path, OpenMode::ReadWrite,
                           {{kSchemaVersion + 1, "ALTER TABLE tasks ADD COLUMN note TEXT"}},
                           kSchemaVersion + 2);
  ASSERT_FALSE(db);
  EXPECT_NE(db.message().find("no migration path"), std::string::npos)
      << db.message();
  EXPECT_TRUE(readFile(path) == before);
}

TEST(Database, NewerSchemaIsRefusedUntouched) {
  TempDir dir;
  std::string path = dir.file("newer.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 10));
  {
    auto db = Database::open(path, OpenMode::ReadWrite,
                             {{kSchemaVersion, "ALTER TABLE tasks ADD COLUMN note TEXT"}},
                             kSchemaVersion + 1);
    ASSERT_TRUE(db) << db.message();
    ASSERT_TRUE((*db)->connection().exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }
  expectRefusedUntouched(path, "newer");
}

TEST(Database, RefusesNonSqliteFile) {
  TempDir dir;
  std::string path = dir.file("ls.db");
  std::string ls = readFile("/bin/ls");
  ASSERT_GE(ls.size(), 100u);
  writeFile(path, ls.substr(0, 100));
  expectRefusedUntouched(path, "not an SQLite database");
  // A text file shorter than a header, too.
  writeFile(path, "hello\n");
  expectRefusedUntouched(path, "not an SQLite database");
}

TEST(Database, RefusesEmptyFileUnlessCreating) {
  TempDir dir;
  std::string path = dir.file("empty.db");
  writeFile(path, "");
  for (OpenMode mode : {OpenMode::ReadOnly, OpenMode::ReadWrite}) {
    auto db = Database::open(path, mode);
    ASSERT_FALSE(db) << modeName(mode);
    EXPECT_NE(db.message().find(path), std::string::npos) << db.message();
    EXPECT_EQ(std::filesystem::file_size(path), 0u);
  }
}

TEST(Database, RefusesTruncatedFile) {
  TempDir dir;
  std::string path = dir.file("trunc.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 400));
  ASSERT_FALSE(std::filesystem::exists(path + "-wal"));
  std::string full = readFile(path);
  ASSERT_GT(full.size(), 8u * 4096) << "want a database of several pages";
  writeFile(path, full.substr(0, full.size() / 2));
  expectRefusedUntouched(path, "truncated");
}

TEST(Database, RefusesCorruptFile) {
  TempDir dir;
  std::string path = dir.file("corrupt.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(path, 400));
  std::string bytes = readFile(path);
  const size_t pageSize = 4096;
  ASSERT_EQ(bytes.size() % pageSize, 0u);
  size_t pages = bytes.size() / pageSize;
  ASSERT_GT(pages, 8u);
  std::mt19937 rng(1234);
  size_t page = pages / 2;
  for (size_t i = 0; i < pageSize; ++i)
    bytes[page * pageSize + i] = char(rng() & 0xff);
  writeFile(path, bytes);
  expectRefusedUntouched(path, "corrupt");
}

TEST(Database, RefusesForeignSqliteDatabase) {
  TempDir dir;
  std::string path = dir.file("foreign.db");
  {
    sqlite3 *raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "CREATE TABLE people(name TEXT, age INTEGER);"
                           "INSERT INTO people VALUES ('ada', 36);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  expectRefusedUntouched(path, "not a tessel database");
}

TEST(Database, RefusesOtherApplicationsDatabase) {
  TempDir dir;
  std::string path = dir.file("other.db");
  {
    sqlite3 *raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "PRAGMA application_id = 305419896;"
                           "PRAGMA user_version = 7;"
                           "CREATE TABLE tasks(hash TEXT);",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  expectRefusedUntouched(path, "another application");
}

TEST(Database, StatusNamesRoundTrip) {
  for (auto s : {MeasureStatus::Ok, MeasureStatus::Failed, MeasureStatus::Wrong,
                 MeasureStatus::Timeout}) {
    auto back = parseStatus(statusName(s));
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(parseStatus("OK"));
}

TEST(Database, InsertIsAllOrNothing) {
  TempDir dir;
  auto db = openDb(dir.file("tx.db"));
  ASSERT_NE(db, nullptr);
  std::string session = startSession(*db);
  std::vector<Measurement> batch = {
      makeMeasurement("matmul m=8 n=8 k=8", "graviton3", session,
                      MeasureStatus::Ok, 1e-3),
      makeMeasurement("matmul m=8 n=8 k=8", "no-such-target", session,
                      MeasureStatus::Ok, 1e-3)};
  const auto before = allCounts(*db);
  auto n = db->insertMeasurements(batch);
  ASSERT_FALSE(n);
  EXPECT_NE(n.message().find("no-such-target"), std::string::npos)
      << n.message();
  EXPECT_EQ(allCounts(*db), before);
  // An ok row without a time is refused too, and a repeated uid is skipped.
  batch = {makeMeasurement("matmul m=8 n=8 k=8", "graviton3", session,
                           MeasureStatus::Ok, std::nullopt)};
  EXPECT_FALSE(db->insertMeasurements(batch));
  batch = {makeMeasurement("matmul m=8 n=8 k=8", "graviton3", session,
                           MeasureStatus::Ok, 1e-3, testMachine(), "u1")};
  EXPECT_EQ(insertOrFail(*db, batch), 1);
  EXPECT_EQ(insertOrFail(*db, batch), 0);
  EXPECT_EQ(countRows(*db, "measurements"), 1);
}

TEST(Database, RefusesTruncatedFileWithWalLeavingBothUntouched) {
  TempDir dir;
  const std::string live = dir.file("live.db"), copy = dir.file("copy.db");
  ASSERT_NO_FATAL_FAILURE(makePopulatedDb(live, 400));
  {
    auto db = openDb(live, OpenMode::ReadWrite);
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(db->connection().exec("PRAGMA wal_autocheckpoint=0"));
    std::string session = startSession(*db);
    ASSERT_EQ(
        insertOrFail(*db, {makeMeasurement("matmul m=3 n=5 k=7", "graviton2",
                                           session, MeasureStatus::Ok, 1e-3)}),
        1);
    std::string main = readFile(live);
    writeFile(copy, main.substr(0, main.size() / 2));
    writeFile(copy + "-wal", readFile(live + "-wal"));
  }
  const std::string wal = readFile(copy + "-wal");
  ASSERT_GT(wal.size(), 32u);
  expectRefusedUntouched(copy, "corrupt");
  EXPECT_TRUE(readFile(copy + "-wal") == wal) << "the WAL was checkpointed";
}

namespace {

/// The rows every older file of these tests holds besides its record: a
/// target, a machine, the task (hash and text as given), a schedule and a
/// session, all with id 1.
std::string olderFileRows(const std::string &taskHash,
                          const std::string &taskText) {
  return "INSERT INTO targets VALUES (1, 'x86-64-avx512', 'h', 't', 'c', 'f');"
         "INSERT INTO machines VALUES (1, 'm1', '{}', 'x86_64', 'cpu', 'avx', "
         "2, 1, 2, 3, "
         "'os', '{}', 0);"
         "INSERT INTO tasks VALUES (1, '" +
         taskHash + "', '" + taskText +
         "', 'matmul', 'nn', 'f32', 'f32', '', 1024);"
         "INSERT INTO schedules VALUES (1, 'sh', '{}');"
         "INSERT INTO sessions VALUES (1, 'u1', '2026-01-01T00:00:00.000Z', "
         "'tune', 1);";
}

/// A database as tessel wrote it at schema version 1 (test/unit/Inputs/
/// schema-v1.sql, the schema of that release), with one ok record.
void makeVersion1Db(const std::string &path) {
  sql::Connection c;
  ASSERT_TRUE(c.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000));
  ASSERT_TRUE(c.exec(readFile(TESSEL_UNIT_INPUTS "/schema-v1.sql")));
  ASSERT_TRUE(
      c.exec(olderFileRows("th", "matmul m=8 n=8 k=8") +
             "INSERT INTO measurements(uid, task_id, target_id, machine_id, "
             "schedule_id, "
             "session_id, source, status, median_s, min_s, emulated, threads, "
             "created_at) "
             "VALUES ('r1', 1, 1, 1, 1, 1, 'search', 'ok', 0.001, 0.001, 0, 1, "
             "'2026-01-01T00:00:00.000Z');"
             "PRAGMA application_id=1953723244; PRAGMA user_version=1;"));
}

const char *kVersion2Task = "matmul m=8 n=8 k=8";

/// A database as tessel wrote it at schema version 2 (test/unit/Inputs/
/// schema-v2.sql), with one record of kVersion2Task timed with swept caches.
void makeVersion2Db(const std::string &path) {
  sql::Connection c;
  ASSERT_TRUE(c.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 1000));
  ASSERT_TRUE(c.exec(readFile(TESSEL_UNIT_INPUTS "/schema-v2.sql")));
  ASSERT_TRUE(c.exec(
      olderFileRows(sig(kVersion2Task).hash(), sig(kVersion2Task).canonical()) +
      "INSERT INTO measurements(uid, task_id, target_id, machine_id, "
      "schedule_id, "
      "session_id, source, status, median_s, min_s, emulated, threads, "
      "created_at, "
      "realizer, cache) VALUES ('r2', 1, 1, 1, 1, 1, 'search', 'ok', 0.001, "
      "0.001, 0, 1, "
      "'2026-01-01T00:00:00.000Z', 'mlir', 'swept');"
      "PRAGMA application_id=1953723244; PRAGMA user_version=2;"));
}

} // namespace

TEST(Database, Version2IsReadableReadOnlyUntouched) {
  TempDir dir;
  std::string path = dir.file("v2.db");
  ASSERT_NO_FATAL_FAILURE(makeVersion2Db(path));
  const std::string before = readFile(path);
  {
    auto db = openDb(path, OpenMode::ReadOnly);
    ASSERT_NE(db, nullptr);
    auto best = queryBest(*db, "x86-64-avx512", std::nullopt, int64_t(1));
    ASSERT_TRUE(best) << best.message();
    ASSERT_EQ(best->size(), 1u);
    EXPECT_EQ((*best)[0].cache, "swept");
  }
  EXPECT_TRUE(readFile(path) == before);
}

TEST(Database, Version2MigratesKeepingRecordsAndTakesColdOnes) {
  TempDir dir;
  std::string path = dir.file("v2.db");
  ASSERT_NO_FATAL_FAILURE(makeVersion2Db(path));
  {
    auto db = openDb(path, OpenMode::ReadWrite);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(pragma(*db, "user_version"), kSchemaVersion);
    auto rows =
        queryMeasurements(*db, sig(kVersion2Task).hash(), "x86-64-avx512");
    ASSERT_TRUE(rows) << rows.message();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].uid, "r2");
    EXPECT_EQ((*rows)[0].realizer, "mlir");
    EXPECT_EQ((*rows)[0].cache, "swept");
    // Slower, but timed cold: the best from now on.
    Measurement m = makeMeasurement(kVersion2Task, "x86-64-avx512",
                                    startSession(*db), MeasureStatus::Ok, 2e-3);
    m.realizer = Realizer::Mlir;
    m.cache = CacheState::Cold;
    ASSERT_EQ(insertOrFail(*db, {m}), 1);
    EXPECT_EQ(integrityCheck(*db), "ok");
  }
  auto db = openDb(path, OpenMode::ReadOnly);
  ASSERT_NE(db, nullptr);
  auto best = queryBest(*db, "x86-64-avx512", std::nullopt);
  ASSERT_TRUE(best) << best.message();
  ASSERT_EQ(best->size(), 1u);
  EXPECT_EQ((*best)[0].cache, "cold");
  EXPECT_DOUBLE_EQ(*(*best)[0].medianSec, 2e-3);
  EXPECT_EQ(pragma(*db, "user_version"), kSchemaVersion);
}

TEST(Database, Version1IsReadableReadOnlyUntouched) {
  TempDir dir;
  std::string path = dir.file("v1.db");
  ASSERT_NO_FATAL_FAILURE(makeVersion1Db(path));
  const std::string before = readFile(path);
  {
    auto db = openDb(path, OpenMode::ReadOnly);
    ASSERT_NE(db, nullptr);
    auto best = queryBest(*db, "x86-64-avx512", std::nullopt);
    ASSERT_TRUE(best) << best.message();
    ASSERT_EQ(best->size(), 1u);
    EXPECT_EQ((*best)[0].realizer, "halide");
    auto mlir = queryBest(*db, "x86-64-avx512", std::nullopt, std::nullopt,
                          Realizer::Mlir);
    ASSERT_TRUE(mlir) << mlir.message();
    EXPECT_TRUE(mlir->empty());
  }
  EXPECT_TRUE(readFile(path) == before);
}

TEST(Database, Version1MigratesWithHalideRecords) {
  TempDir dir;
  std::string path = dir.file("v1.db");
  ASSERT_NO_FATAL_FAILURE(makeVersion1Db(path));
  {
    auto db = openDb(path, OpenMode::ReadWrite);
    ASSERT_NE(db, nullptr);
    EXPECT_EQ(pragma(*db, "user_version"), kSchemaVersion);
    auto rows = queryMeasurements(*db, "th", "x86-64-avx512");
    ASSERT_TRUE(rows) << rows.message();
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].realizer, "halide");
    std::string session = startSession(*db);
    Measurement m = makeMeasurement("matmul m=8 n=8 k=8", "x86-64-avx512", session,
                                    MeasureStatus::Ok, 2e-3);
    m.realizer = Realizer::Mlir;
    ASSERT_EQ(insertOrFail(*db, {m}), 1);
    EXPECT_EQ(integrityCheck(*db), "ok");
  }
  // One best per realizer, each with its own.
  auto db = openDb(path, OpenMode::ReadOnly);
  ASSERT_NE(db, nullptr);
  auto best = queryBest(*db, "x86-64-avx512", std::nullopt);
  ASSERT_TRUE(best) << best.message();
  ASSERT_EQ(best->size(), 2u);
  EXPECT_EQ((*best)[0].realizer, "halide");
  EXPECT_EQ((*best)[1].realizer, "mlir");
  EXPECT_DOUBLE_EQ(*(*best)[1].medianSec, 2e-3);
}
