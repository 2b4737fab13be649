// The tasks file: round trip, merged counts, and what reading refuses.
#include "db/TasksFile.h"

#include "TestUtil.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

using namespace tessel;
using namespace tessel::test;
using nlohmann::json;

namespace {

TasksFile sample() {
  TasksFile f;
  f.model = "resnet18.mlir";
  f.add(sig("conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1 "
            "epilogue=bias+relu"),
        4);
  f.add(sig("matmul m=1 n=1000 k=512 epilogue=bias"));
  f.add(sig("pool_avg n=1 h=7 w=7 c=512 kh=7 kw=7"));
  return f;
}

/// The fromJson() error of `text` (fails the test if it parses).
std::string readError(const std::string &text) {
  auto f = TasksFile::fromJson(text);
  EXPECT_FALSE(f) << text;
  return f ? std::string() : f.message();
}

} // namespace

TEST(TasksFile, RoundTrip) {
  TasksFile f = sample();
  std::string text = f.toJson();
  auto back = TasksFile::fromJson(text);
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->model, "resnet18.mlir");
  ASSERT_EQ(back->tasks.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->tasks[i].signature.canonical(),
              f.tasks[i].signature.canonical());
    EXPECT_EQ(back->tasks[i].count, f.tasks[i].count);
  }
  EXPECT_EQ(back->toJson(), text);

  json doc = json::parse(text);
  EXPECT_EQ(doc["format"], "tessel-tasks");
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["tasks"][0]["count"], 4);
  EXPECT_EQ(doc["tasks"][0]["hash"], f.tasks[0].signature.hash());
  EXPECT_EQ(doc["tasks"][0]["flops"].get<double>(),
            f.tasks[0].signature.flops());
}

TEST(TasksFile, EqualSignaturesMergeCounts) {
  TasksFile f;
  f.add(sig("matmul m=8 n=8 k=8"), 2);
  f.add(sig("matmul k=8 n=8 m=8 in=f32"), 3);
  f.add(sig("matmul m=8 n=8 k=8 epilogue=relu"));
  ASSERT_EQ(f.tasks.size(), 2u);
  EXPECT_EQ(f.tasks[0].count, 5);
  EXPECT_EQ(f.tasks[1].count, 1);

  // Reading merges too, whatever spelling each entry used.
  auto r = TasksFile::fromJson(R"({"format":"tessel-tasks","version":1,
    "tasks":[{"signature":"matmul m=8 n=8 k=8","count":2},
             {"signature":"matmul  n=8 k=8 m=8 layout=nn"},
             {"signature":"matmul m=8 n=8 k=8 epilogue=relu","count":7}]})");
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->tasks.size(), 2u);
  EXPECT_EQ(r->tasks[0].count, 3);
  EXPECT_EQ(r->tasks[1].count, 7);
  EXPECT_EQ(r->model, "");
}

TEST(TasksFile, HandWrittenSignatureWithoutHash) {
  auto r = TasksFile::fromJson(R"({"format":"tessel-tasks","version":1,
    "model":"hand",
    "tasks":[{"signature":"conv2d kw=3 kh=3 f=8 c=8 w=16 h=16 n=1 stride=1,1"}]})");
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->tasks.size(), 1u);
  EXPECT_EQ(r->tasks[0].signature.canonical(),
            "conv2d n=1 h=16 w=16 c=8 f=8 kh=3 kw=3");
  EXPECT_EQ(r->tasks[0].count, 1);
}

TEST(TasksFile, WrongHashIsRejected) {
  TaskSignature s = sig("matmul m=8 n=8 k=8");
  TaskSignature other = sig("matmul m=8 n=8 k=16");
  json doc = {
      {"format", "tessel-tasks"},
      {"version", 1},
      {"tasks", {{{"signature", s.canonical()}, {"hash", other.hash()}}}}};
  std::string msg = readError(doc.dump());
  EXPECT_NE(msg.find("task 0"), std::string::npos) << msg;
  EXPECT_NE(msg.find("hash does not match"), std::string::npos) << msg;
  // The hash of a non-canonical spelling is the hash of its canonical form.
  doc["tasks"][0] = {{"signature", "matmul k=8 n=8 m=8"}, {"hash", s.hash()}};
  EXPECT_TRUE(TasksFile::fromJson(doc.dump()));
}

TEST(TasksFile, RejectsMalformedFiles) {
  struct Case {
    const char *text, *mentions;
  };
  const Case cases[] = {
      {"", "malformed"},
      {"{\"format\":\"tessel-tasks\",", "malformed"},
      {"[]", "not a tasks file"},
      {R"({"format":"tessel-schedule-db","version":1,"tasks":[]})",
       "not a tasks file"},
      {R"({"format":"tessel-tasks","version":2,"tasks":[]})", "version"},
      {R"({"format":"tessel-tasks","version":1,"tasks":[{"count":1}]})",
       "malformed"},
      {R"({"format":"tessel-tasks","version":1,"tasks":[{"signature":5}]})",
       "malformed"},
      {R"({"format":"tessel-tasks","version":1,
          "tasks":[{"signature":"matmul m=8 n=8 k=8"},
                   {"signature":"matmul m=8 n=8"}]})",
       "task 1: matmul needs dimension `k`"},
      {R"({"format":"tessel-tasks","version":1,
          "tasks":[{"signature":"matmul m=8 n=8 k=8","count":0}]})",
       "count must be between 1 and"},
      {R"({"format":"tessel-tasks","version":1,"tasks":{}})",
       "\"tasks\" must be an array"},
      {R"({"format":"tessel-tasks","version":1})",
       "\"tasks\" must be an array"},
  };
  for (const Case &c : cases) {
    std::string msg = readError(c.text);
    EXPECT_NE(msg.find(c.mentions), std::string::npos)
        << c.text << " -> " << msg;
  }
}

TEST(TasksFile, ReadNamesThePath) {
  TempDir dir;
  auto missing = TasksFile::read(dir.file("none.json"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.message().find("none.json"), std::string::npos);
  writeFile(dir.file("bad.json"), "{ not json");
  auto bad = TasksFile::read(dir.file("bad.json"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("bad.json"), std::string::npos);
  writeFile(dir.file("good.json"), sample().toJson());
  auto good = TasksFile::read(dir.file("good.json"));
  ASSERT_TRUE(good) << good.message();
  EXPECT_EQ(good->tasks.size(), 3u);
}

TEST(TasksFile, ManyTasksMergeByCanonicalText) {
  // 20,000 distinct tasks, each added twice: one entry each, counts summed
  // (the merge looks tasks up by their text, not by a scan of the list).
  TasksFile f;
  for (int round = 0; round < 2; ++round)
    for (int m = 1; m <= 20000; ++m)
      f.add(*TaskSignature::parse("matmul m=" + std::to_string(m) + " n=8 k=8"),
            m);
  ASSERT_EQ(f.tasks.size(), 20000u);
  EXPECT_EQ(f.tasks[41].count, 84);
  // Entries changed directly are still found.
  f.tasks.push_back({*TaskSignature::parse("matmul m=1 n=1 k=1"), 1});
  f.add(*TaskSignature::parse("matmul m=1 n=1 k=1"), 2);
  EXPECT_EQ(f.tasks.size(), 20001u);
  EXPECT_EQ(f.tasks.back().count, 3);
}
