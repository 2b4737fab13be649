// The read side: the `best` view, listTasks, showTask, and filters that try
// to inject SQL.
#include "db/Dump.h"
#include "db/Queries.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <cctype>
#include <map>

using namespace tessel;
using namespace tessel::test;

namespace {

const char *kTask = "matmul m=512 n=512 k=512";
const char *kOnlyFailed = "matmul m=64 n=64 k=64";
const char *kConv = "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1";

/// A database with one task measured in every status on two targets.
class BestView : public ::testing::Test {
protected:
  void SetUp() override {
    db = openDb(dir.file("best.db"));
    ASSERT_NE(db, nullptr);
    session = startSession(*db);
    emuSession = startSession(*db, testMachine("qemu", /*emulated=*/true));
    const MachineFingerprint native = testMachine();
    const MachineFingerprint emu = testMachine("qemu", true);
    auto m = [&](const char *task, const char *target, MeasureStatus st,
                 double median, const char *uid,
                 const MachineFingerprint &machine) {
      return makeMeasurement(task, target,
                             machine.emulated ? emuSession : session, st,
                             median, machine, uid);
    };
    std::vector<Measurement> batch = {
        // avx512: the fastest rows are all unusable; ok-2 is the best.
        m(kTask, "x86-64-avx512", MeasureStatus::Ok, 3e-3, "ok-1", native),
        m(kTask, "x86-64-avx512", MeasureStatus::Ok, 2e-3, "ok-2", native),
        m(kTask, "x86-64-avx512", MeasureStatus::Failed, 1e-4, "failed-1",
          native),
        m(kTask, "x86-64-avx512", MeasureStatus::Wrong, 1e-4, "wrong-1",
          native),
        m(kTask, "x86-64-avx512", MeasureStatus::Timeout, 1e-4, "timeout-1",
          native),
        m(kTask, "x86-64-avx512", MeasureStatus::Ok, 1e-5, "emulated-1", emu),
        // graviton3: slower than avx512, but its own best.
        m(kTask, "graviton3", MeasureStatus::Ok, 5e-3, "g3-1", native),
        m(kTask, "graviton3", MeasureStatus::Ok, 4e-3, "g3-2", native),
        // A task whose every run failed.
        m(kOnlyFailed, "x86-64-avx512", MeasureStatus::Failed, 1e-6, "of-1",
          native),
        m(kOnlyFailed, "x86-64-avx512", MeasureStatus::Timeout, 1e-6, "of-2",
          native),
        m(kConv, "x86-64-avx512", MeasureStatus::Ok, 1e-3, "conv-1", native),
    };
    ASSERT_EQ(insertOrFail(*db, batch), int(batch.size()));
  }

  TempDir dir;
  std::unique_ptr<Database> db;
  std::string session, emuSession;
};

std::string hashOf(const char *text) { return sig(text).hash(); }

} // namespace

TEST_F(BestView, FastestNativeOkIsBest) {
  auto best = queryBest(*db, "x86-64-avx512", hashOf(kTask));
  ASSERT_TRUE(best) << best.message();
  ASSERT_EQ(best->size(), 1u);
  const MeasurementRow &r = best->front();
  EXPECT_EQ(r.uid, "ok-2");
  EXPECT_EQ(r.status, "ok");
  EXPECT_FALSE(r.emulated);
  EXPECT_EQ(r.target, "x86-64-avx512");
  EXPECT_EQ(r.signature, kTask);
  EXPECT_EQ(r.taskHash, hashOf(kTask));
  EXPECT_EQ(r.machineHash, testMachine().hash());
  ASSERT_TRUE(r.medianSec);
  EXPECT_DOUBLE_EQ(*r.medianSec, 2e-3);
  EXPECT_NEAR(r.gflops(), 2.0 * 512 * 512 * 512 / 2e-3 * 1e-9, 1e-6);
}

TEST_F(BestView, UnusableRowsAreNeverBest) {
  // Also directly on the view, for every task and target.
  sql::Statement st(db->connection(),
                    "SELECT m.uid FROM best m ORDER BY m.uid");
  std::vector<std::string> uids;
  while (*st.step())
    uids.push_back(st.columnText(0));
  EXPECT_EQ(uids, (std::vector<std::string>{"conv-1", "g3-2", "ok-2"}));
  auto emulated =
      db->connection().queryInt("SELECT emulated FROM measurements WHERE uid = "
                                "'emulated-1'");
  ASSERT_TRUE(emulated);
  EXPECT_EQ(*emulated, 1);
}

TEST_F(BestView, TargetsAreSeparate) {
  auto g3 = queryBest(*db, "graviton3", std::nullopt);
  ASSERT_TRUE(g3) << g3.message();
  ASSERT_EQ(g3->size(), 1u);
  EXPECT_EQ(g3->front().uid, "g3-2");
  auto avx512 = queryBest(*db, "x86-64-avx512", std::nullopt);
  ASSERT_TRUE(avx512);
  ASSERT_EQ(avx512->size(), 2u); // conv and the 512 matmul; not kOnlyFailed
  EXPECT_EQ(avx512->at(0).uid, "conv-1");
  EXPECT_EQ(avx512->at(1).uid, "ok-2");
  auto none = queryBest(*db, "graviton2", std::nullopt);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST_F(BestView, ThreadCountIsPreferredThenAnyRecord) {
  // A faster 2-thread record of the matmul, and a 2-thread failure faster
  // still; the conv has 1-thread records only.
  Measurement two = makeMeasurement(kTask, "x86-64-avx512", session,
                                    MeasureStatus::Ok, 1e-3, testMachine(), "two-1");
  two.threads = 2;
  Measurement twoFailed = makeMeasurement(kTask, "x86-64-avx512", session,
                                          MeasureStatus::Failed, 1e-5,
                                          testMachine(), "two-failed");
  twoFailed.threads = 2;
  ASSERT_EQ(insertOrFail(*db, {two, twoFailed}), 2);
  auto uids = [&](std::optional<int64_t> threads) {
    auto rows = queryBest(*db, "x86-64-avx512", std::nullopt, threads);
    EXPECT_TRUE(rows) << rows.message();
    std::vector<std::string> out;
    for (const MeasurementRow &r : *rows)
      out.push_back(r.uid);
    return out;
  };
  EXPECT_EQ(uids(std::nullopt), (std::vector<std::string>{"conv-1", "two-1"}));
  EXPECT_EQ(uids(1), (std::vector<std::string>{"conv-1", "ok-2"}));
  EXPECT_EQ(uids(2), (std::vector<std::string>{"conv-1", "two-1"}));
  auto one = queryBest(*db, "x86-64-avx512", hashOf(kTask), 1);
  ASSERT_TRUE(one);
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ(one->front().threads, 1);
}

TEST_F(BestView, OnlyFailedRowsMeansNoBest) {
  auto best = queryBest(*db, "x86-64-avx512", hashOf(kOnlyFailed));
  ASSERT_TRUE(best) << best.message();
  EXPECT_TRUE(best->empty());
  ListFilter f;
  f.target = "x86-64-avx512";
  f.shapeContains = 64;
  auto rows = listTasks(*db, f);
  ASSERT_TRUE(rows) << rows.message();
  // 64 appears in kOnlyFailed (m=n=k=64) and in kConv (c=f=64).
  ASSERT_EQ(rows->size(), 2u);
  const ListRow *failed = nullptr;
  for (const auto &r : *rows)
    if (r.signature == kOnlyFailed)
      failed = &r;
  ASSERT_NE(failed, nullptr);
  EXPECT_FALSE(failed->best);
  EXPECT_EQ(failed->measurements, 2);
}

TEST_F(BestView, ListFiltersByTargetFamilyAndShape) {
  auto all = listTasks(*db, ListFilter());
  ASSERT_TRUE(all) << all.message();
  // kTask has a best on two targets (two rows); the others one row each.
  EXPECT_EQ(all->size(), 4u);

  ListFilter g3;
  g3.target = "graviton3";
  auto g3rows = listTasks(*db, g3);
  ASSERT_TRUE(g3rows);
  ASSERT_EQ(g3rows->size(), 1u);
  EXPECT_EQ(g3rows->front().signature, kTask);
  ASSERT_TRUE(g3rows->front().best);
  EXPECT_EQ(g3rows->front().best->uid, "g3-2");
  EXPECT_EQ(g3rows->front().measurements, 2);

  ListFilter avx;
  avx.target = "x86-64-avx512";
  auto avxRows = listTasks(*db, avx);
  ASSERT_TRUE(avxRows);
  ASSERT_EQ(avxRows->size(), 3u);
  for (const auto &r : *avxRows)
    if (r.signature == kTask) {
      ASSERT_TRUE(r.best);
      EXPECT_EQ(r.best->uid, "ok-2");
      EXPECT_EQ(r.measurements, 6);
    }

  ListFilter conv;
  conv.family = "conv2d";
  auto convRows = listTasks(*db, conv);
  ASSERT_TRUE(convRows);
  ASSERT_EQ(convRows->size(), 1u);
  EXPECT_EQ(convRows->front().signature, kConv);
  EXPECT_EQ(convRows->front().family, "conv2d");

  ListFilter shape;
  shape.shapeContains = 512;
  auto shapeRows = listTasks(*db, shape);
  ASSERT_TRUE(shapeRows);
  ASSERT_EQ(shapeRows->size(), 2u); // kTask on two targets
  for (const auto &r : *shapeRows)
    EXPECT_EQ(r.signature, kTask);

  ListFilter both;
  both.family = "matmul";
  both.shapeContains = 56; // only the conv has a 56
  auto bothRows = listTasks(*db, both);
  ASSERT_TRUE(bothRows);
  EXPECT_TRUE(bothRows->empty());
}

TEST_F(BestView, ShowTaskByPrefix) {
  std::string h = hashOf(kTask);
  auto d = showTask(*db, h.substr(0, 8), 3);
  ASSERT_TRUE(d) << d.message();
  EXPECT_EQ(d->hash, h);
  EXPECT_EQ(d->signature, kTask);
  EXPECT_EQ(d->measurements, 8);
  ASSERT_EQ(d->best.size(), 2u); // graviton3 and x86-64-avx512
  EXPECT_EQ(d->best[0].uid, "g3-2");
  EXPECT_EQ(d->best[1].uid, "ok-2");
  // Top: usable rows fastest first; the fast failed/emulated ones come later.
  ASSERT_EQ(d->top.size(), 3u);
  EXPECT_EQ(d->top[0].uid, "ok-2");
  EXPECT_EQ(d->top[1].uid, "ok-1");
  EXPECT_EQ(d->top[2].uid, "g3-2");
  // Upper-case prefixes work too.
  std::string upper = h.substr(0, 10);
  for (char &c : upper)
    c = char(std::toupper(static_cast<unsigned char>(c)));
  auto u = showTask(*db, upper, 1);
  ASSERT_TRUE(u) << u.message();
  EXPECT_EQ(u->hash, h);
}

TEST_F(BestView, ShowTaskMissingAndAmbiguousPrefix) {
  // A prefix no task has: flip the first digit of a real hash.
  std::string h = hashOf(kTask);
  std::string missing = h.substr(0, 12);
  missing[0] = missing[0] == '0' ? '1' : '0';
  for (const char *other : {kOnlyFailed, kConv})
    ASSERT_NE(hashOf(other).substr(0, 12), missing);
  auto d = showTask(*db, missing, 3);
  ASSERT_FALSE(d);
  EXPECT_NE(d.message().find("no task"), std::string::npos) << d.message();

  // Four digits is the minimum; ambiguity needs two tasks sharing four. Insert
  // tasks until that happens (65536 buckets: expect a hit within ~300 tasks).
  std::map<std::string, std::string> seen;
  std::string a, b;
  for (int i = 1; i < 5000 && a.empty(); ++i) {
    std::string text = "elementwise shape=" + std::to_string(i) + " op=add";
    std::string p = sig(text).hash().substr(0, 4);
    auto [it, fresh] = seen.emplace(p, text);
    if (!fresh) {
      a = it->second;
      b = text;
    }
  }
  ASSERT_FALSE(a.empty());
  std::string s2 = startSession(*db);
  ASSERT_EQ(
      insertOrFail(
          *db, {makeMeasurement(a, "graviton2", s2, MeasureStatus::Ok, 1e-3),
                makeMeasurement(b, "graviton2", s2, MeasureStatus::Ok, 1e-3)}),
      2);
  std::string prefix = sig(a).hash().substr(0, 4);
  auto amb = showTask(*db, prefix, 3);
  ASSERT_FALSE(amb);
  EXPECT_NE(amb.message().find("ambiguous"), std::string::npos)
      << amb.message();
  EXPECT_NE(amb.message().find(a), std::string::npos) << amb.message();
  EXPECT_NE(amb.message().find(b), std::string::npos) << amb.message();

  // Too short or not hex.
  EXPECT_FALSE(showTask(*db, h.substr(0, 3), 3));
  EXPECT_FALSE(showTask(*db, "zzzz", 3));
  EXPECT_FALSE(showTask(*db, "", 3));
}

TEST_F(BestView, InjectionInFiltersMatchesNothingAndChangesNothing) {
  auto exportText = [&] {
    auto doc = exportJson(*db);
    EXPECT_TRUE(doc) << doc.message();
    return doc ? doc->dump(2) : std::string();
  };
  const auto countsBefore = allCounts(*db);
  const std::string exportBefore = exportText();
  const std::vector<std::string> attacks = {
      "x' OR 1=1 --",
      "x\" OR 1=1 --",
      "'; DROP TABLE measurements; --",
      "x86-64-avx512' OR '1'='1",
      "%",
      "*",
  };
  for (const std::string &attack : attacks) {
    auto best = queryBest(*db, attack, std::nullopt);
    ASSERT_TRUE(best) << attack << ": " << best.message();
    EXPECT_TRUE(best->empty()) << attack;
    auto byHash = queryBest(*db, "x86-64-avx512", attack);
    ASSERT_TRUE(byHash) << byHash.message();
    EXPECT_TRUE(byHash->empty()) << attack;

    ListFilter byTarget;
    byTarget.target = attack;
    auto rows = listTasks(*db, byTarget);
    ASSERT_TRUE(rows) << rows.message();
    EXPECT_TRUE(rows->empty()) << attack;
    ListFilter byFamily;
    byFamily.family = attack;
    rows = listTasks(*db, byFamily);
    ASSERT_TRUE(rows) << rows.message();
    EXPECT_TRUE(rows->empty()) << attack;

    EXPECT_FALSE(showTask(*db, attack, 3)) << attack;
  }
  // A hex prefix followed by an injection is refused, not partly matched.
  std::string h = hashOf(kTask);
  EXPECT_FALSE(showTask(*db, h.substr(0, 6) + "' OR 1=1 --", 3));
  EXPECT_EQ(allCounts(*db), countsBefore);
  EXPECT_EQ(exportText(), exportBefore);
}

TEST_F(BestView, RecordsTimedAsAModelRunsRankFirstInViewAndChoice) {
  // A slower cold record beats a faster swept one, which beats a faster warm
  // one: in the view, in queryBest by threads, and in cacheRank's order.
  const char *task = "matmul m=96 n=96 k=96";
  auto m = [&](double median, const char *uid, CacheState cache) {
    Measurement x =
        makeMeasurement(task, "x86-64-avx512", session, MeasureStatus::Ok,
                        median, testMachine(), uid);
    x.cache = cache;
    return x;
  };
  ASSERT_EQ(insertOrFail(*db, {m(1e-5, "warm-1", CacheState::Warm),
                               m(2e-5, "swept-1", CacheState::Swept)}),
            2);
  auto best = queryBest(*db, "x86-64-avx512", hashOf(task));
  ASSERT_TRUE(best && best->size() == 1u);
  EXPECT_EQ(best->front().uid, "swept-1");
  ASSERT_EQ(insertOrFail(*db, {m(3e-5, "cold-1", CacheState::Cold)}), 1);
  for (std::optional<int64_t> threads :
       {std::optional<int64_t>(), std::optional<int64_t>(1)}) {
    best = queryBest(*db, "x86-64-avx512", hashOf(task), threads);
    ASSERT_TRUE(best && best->size() == 1u);
    EXPECT_EQ(best->front().uid, "cold-1");
    EXPECT_EQ(best->front().cache, "cold");
  }
  EXPECT_LT(cacheRank(CacheState::Cold), cacheRank(CacheState::Swept));
  EXPECT_LT(cacheRank(CacheState::Swept), cacheRank(CacheState::Warm));
  for (auto c : {CacheState::Warm, CacheState::Swept, CacheState::Cold})
    EXPECT_EQ(*parseCache(cacheName(c)), c);
  EXPECT_FALSE(parseCache("hot"));
}
