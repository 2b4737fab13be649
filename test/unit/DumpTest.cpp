// Export, import and merge: stable JSON, idempotence, and all-or-nothing
// imports.
#include "db/Dump.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <set>

using namespace tessel;
using namespace tessel::test;
using nlohmann::json;

namespace {

/// Fills `db` with one session on `machine` and a mix of rows whose uids
/// start with `prefix`.
void populate(Database &db, const std::string &prefix,
              const MachineFingerprint &machine) {
  std::string session = startSession(db, machine);
  std::vector<Measurement> batch = {
      makeMeasurement("matmul m=512 n=512 k=512", "x86-64-avx512", session,
                      MeasureStatus::Ok, 2.5e-3, machine, prefix + "-1"),
      makeMeasurement("matmul m=512 n=512 k=512", "x86-64-avx512", session,
                      MeasureStatus::Failed, std::nullopt, machine,
                      prefix + "-2"),
      makeMeasurement("conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1 "
                      "epilogue=bias+relu",
                      "graviton3", session, MeasureStatus::Ok, 1.0 / 3.0,
                      machine, prefix + "-3"),
      makeMeasurement("elementwise shape=1x128x768 op=add", "graviton3",
                      session, MeasureStatus::Wrong, 1e-5, machine,
                      prefix + "-4"),
  };
  batch[3].maxError = 0.5;
  batch[2].maxError = std::nullopt; // an unverified row
  batch[2].spread = std::nullopt;
  ASSERT_EQ(insertOrFail(db, batch), 4);
}

json exportOf(Database &db) {
  auto doc = exportJson(db);
  EXPECT_TRUE(doc) << doc.message();
  return doc ? *doc : json();
}

} // namespace

TEST(Dump, ExportImportExportIsIdentical) {
  TempDir dir;
  auto src = openDb(dir.file("src.db"));
  ASSERT_NE(src, nullptr);
  ASSERT_NO_FATAL_FAILURE(populate(*src, "a", testMachine("a")));
  const std::string first = exportOf(*src).dump(2);

  auto dst = openDb(dir.file("dst.db"));
  ASSERT_NE(dst, nullptr);
  auto counts = importJson(*dst, json::parse(first));
  ASSERT_TRUE(counts) << counts.message();
  EXPECT_EQ(counts->measurements, 4);
  EXPECT_EQ(counts->tasks, 3);
  EXPECT_EQ(counts->sessions, 1);
  EXPECT_EQ(counts->machines, 1);
  EXPECT_EQ(counts->targets, 0); // every preset is in a new database already
  EXPECT_EQ(counts->skipped, 0);
  EXPECT_EQ(exportOf(*dst).dump(2), first);
  EXPECT_EQ(allCounts(*dst), allCounts(*src));

  // The document is what it claims to be.
  json doc = json::parse(first);
  EXPECT_EQ(doc["format"], kExportFormat);
  EXPECT_EQ(doc["schema_version"], kSchemaVersion);
  ASSERT_EQ(doc["measurements"].size(), 4u);
  EXPECT_EQ(doc["measurements"][0]["uid"], "a-1"); // sorted by uid
  EXPECT_TRUE(doc["measurements"][2]["max_error"].is_null());
  EXPECT_EQ(doc["measurements"][2]["median_s"].get<double>(), 1.0 / 3.0);
}

TEST(Dump, ImportTwiceAddsNothing) {
  TempDir dir;
  auto src = openDb(dir.file("src.db"));
  ASSERT_NE(src, nullptr);
  ASSERT_NO_FATAL_FAILURE(populate(*src, "a", testMachine("a")));
  json doc = exportOf(*src);
  auto dst = openDb(dir.file("dst.db"));
  ASSERT_NE(dst, nullptr);
  ASSERT_TRUE(importJson(*dst, doc));
  const auto counts = allCounts(*dst);
  auto again = importJson(*dst, doc);
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again->measurements, 0);
  EXPECT_EQ(again->skipped, 4);
  EXPECT_EQ(again->tasks + again->schedules + again->machines +
                again->sessions + again->targets,
            0);
  EXPECT_EQ(allCounts(*dst), counts);
}

TEST(Dump, MergeIsIdempotent) {
  TempDir dir;
  const std::string in = dir.file("in.db");
  {
    auto src = openDb(in);
    ASSERT_NE(src, nullptr);
    ASSERT_NO_FATAL_FAILURE(populate(*src, "a", testMachine("a")));
  }
  const std::string inBytes = readFile(in);
  auto out = openDb(dir.file("out.db"));
  ASSERT_NE(out, nullptr);
  auto first = mergeFrom(*out, in);
  ASSERT_TRUE(first) << first.message();
  EXPECT_EQ(first->measurements, 4);
  EXPECT_EQ(first->skipped, 0);
  const auto counts = allCounts(*out);
  auto second = mergeFrom(*out, in);
  ASSERT_TRUE(second) << second.message();
  EXPECT_EQ(second->measurements, 0);
  EXPECT_EQ(second->skipped, 4);
  EXPECT_EQ(allCounts(*out), counts);
  EXPECT_TRUE(readFile(in) == inBytes) << "merge wrote to its input";
}

TEST(Dump, MergeOfDisjointSessionsIsTheUnion) {
  TempDir dir;
  const MachineFingerprint ma = testMachine("a"), mb = testMachine("b");
  ASSERT_NE(ma.hash(), mb.hash());
  for (const auto &[name, machine] :
       {std::pair{std::string("a"), ma}, std::pair{std::string("b"), mb}}) {
    auto db = openDb(dir.file(name + ".db"));
    ASSERT_NE(db, nullptr);
    ASSERT_NO_FATAL_FAILURE(populate(*db, name, machine));
  }
  auto out = openDb(dir.file("out.db"));
  ASSERT_NE(out, nullptr);
  ImportCounts total;
  for (const char *name : {"a.db", "b.db"}) {
    auto c = mergeFrom(*out, dir.file(name));
    ASSERT_TRUE(c) << c.message();
    total += *c;
  }
  EXPECT_EQ(total.measurements, 8);
  EXPECT_EQ(total.sessions, 2);
  EXPECT_EQ(total.machines, 2);
  EXPECT_EQ(total.tasks, 3); // the same kernels, tuned on two machines
  EXPECT_EQ(countRows(*out, "measurements"), 8);
  EXPECT_EQ(countRows(*out, "tasks"), 3);

  // Every measurement kept its own machine and session.
  json doc = exportOf(*out);
  std::map<std::string, std::string> sessionMachine;
  for (const json &s : doc["sessions"])
    sessionMachine[s["uuid"]] = s["machine"];
  ASSERT_EQ(sessionMachine.size(), 2u);
  std::set<std::string> machines;
  for (const json &m : doc["measurements"]) {
    std::string uid = m["uid"];
    const std::string &want = uid[0] == 'a' ? ma.hash() : mb.hash();
    EXPECT_EQ(m["machine"], want) << uid;
    EXPECT_EQ(sessionMachine[m["session"]], want) << uid;
    machines.insert(m["machine"].get<std::string>());
  }
  EXPECT_EQ(machines.size(), 2u);
}

TEST(Dump, RefusesTamperedDocumentsWritingNothing) {
  TempDir dir;
  auto src = openDb(dir.file("src.db"));
  ASSERT_NE(src, nullptr);
  ASSERT_NO_FATAL_FAILURE(populate(*src, "a", testMachine("a")));
  const json good = exportOf(*src);

  auto dst = openDb(dir.file("dst.db"));
  ASSERT_NE(dst, nullptr);
  ASSERT_NO_FATAL_FAILURE(
      populate(*dst, "d", testMachine("d"))); // something to keep intact
  const auto counts = allCounts(*dst);
  const std::string before = exportOf(*dst).dump();

  struct Case {
    const char *what;
    json doc;
    const char *mentions;
  };
  std::vector<Case> cases;
  {
    json d = good;
    std::string h = d["tasks"][0]["hash"];
    h[0] = h[0] == 'a' ? 'b' : 'a';
    d["tasks"][0]["hash"] = h;
    cases.push_back({"tampered task hash", d, "does not match"});
  }
  {
    json d = good;
    d["tasks"][1]["signature"] = "matmul m=1 n=1 k=1";
    cases.push_back({"tampered signature", d, "does not match"});
  }
  {
    json d = good;
    d["schedules"][0]["schedule"]["vector_width"] = 4;
    cases.push_back({"tampered schedule", d, "does not match"});
  }
  {
    json d = good;
    d["machines"][0]["fingerprint"]["cores"] = 64;
    cases.push_back({"tampered machine", d, "does not match"});
  }
  {
    json d = good;
    d["measurements"][3]["task"] = std::string(64, 'f');
    cases.push_back({"missing task", d, "does not contain"});
  }
  {
    json d = good;
    d["tasks"].erase(0);
    cases.push_back({"task section lacks a task", d, "does not contain"});
  }
  {
    json d = good;
    d["measurements"][1]["status"] = "great";
    cases.push_back({"bad status", d, "unknown measurement status"});
  }
  {
    // Valid on its own, fails only while writing: an unknown target on the
    // last row must roll back the rows before it.
    json d = good;
    d["measurements"][3]["target"] = "no-such-target";
    cases.push_back({"unknown target", d, "no-such-target"});
  }
  {
    json d = good;
    d["schema_version"] = kSchemaVersion + 1;
    cases.push_back({"newer export", d, "newer"});
  }
  {
    json d = good;
    d.erase("format");
    cases.push_back({"not an export", d, "not a tessel export"});
  }
  {
    json d = good;
    d["measurements"][0].erase("median_s");
    cases.push_back({"missing field", d, "malformed"});
  }
  for (const Case &c : cases) {
    auto r = importJson(*dst, c.doc);
    EXPECT_FALSE(r) << c.what << " was imported";
    if (!r) {
      EXPECT_NE(r.message().find(c.mentions), std::string::npos)
          << c.what << ": " << r.message();
    }
    EXPECT_EQ(allCounts(*dst), counts) << c.what;
  }
  EXPECT_EQ(exportOf(*dst).dump(), before);
  // The untampered document still imports.
  auto ok = importJson(*dst, good);
  ASSERT_TRUE(ok) << ok.message();
  EXPECT_EQ(ok->measurements, 4);
}

TEST(Dump, MergeFromBadInputFails) {
  TempDir dir;
  auto out = openDb(dir.file("out.db"));
  ASSERT_NE(out, nullptr);
  const auto counts = allCounts(*out);
  auto missing = mergeFrom(*out, dir.file("nope.db"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("nope.db"), std::string::npos);
  writeFile(dir.file("junk.db"), "not a database at all, just some text....");
  EXPECT_FALSE(mergeFrom(*out, dir.file("junk.db")));
  EXPECT_EQ(allCounts(*out), counts);
}
