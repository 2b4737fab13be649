// Schedules: canonical JSON, hashing, and what fromJson() accepts or refuses.
#include "db/Schedule.h"

#include "db/Hash.h"

#include <gtest/gtest.h>

#include <string>

using namespace tessel;

namespace {

Schedule full() {
  Schedule s;
  s.tileOuter = {{"n", 128}, {"m", 64}, {"k", 256}};
  s.tileInner = {{"n", 32}, {"m", 6}};
  s.order = {"n", "m", "k"};
  s.vectorDim = "n";
  s.vectorWidth = 16;
  s.unroll = {{"m", 6}};
  s.parallel = {"n"};
  s.packing = "weights";
  s.epilogueAt = "outer";
  s.reductionSplit = 4;
  return s;
}

/// The fromJson() error of `text` (fails the test if it parses).
std::string parseError(const std::string &text) {
  auto s = Schedule::fromJson(text);
  EXPECT_FALSE(s) << text << " parsed as " << s->canonicalJson();
  return s ? std::string() : s.message();
}

} // namespace

TEST(Schedule, DefaultScheduleIsEmptyObject) {
  Schedule s;
  EXPECT_EQ(s.canonicalJson(), "{}");
  EXPECT_EQ(s.hash(), sha256Hex("{}"));
}

TEST(Schedule, CanonicalJsonIsSortedAndCompact) {
  EXPECT_EQ(full().canonicalJson(),
            R"({"epilogue_at":"outer","order":["n","m","k"],)"
            R"("packing":"weights","parallel":["n"],"reduction_split":4,)"
            R"("tile_inner":{"m":6,"n":32},"tile_outer":{"k":256,"m":64,)"
            R"("n":128},"unroll":{"m":6},"vector_dim":"n","vector_width":16})");
}

TEST(Schedule, DefaultsAreLeftOut) {
  Schedule s;
  s.tileOuter = {{"m", 32}};
  s.packing = "none";
  s.epilogueAt = "inner";
  s.reductionSplit = 1;
  s.vectorWidth = 0;
  EXPECT_EQ(s.canonicalJson(), R"({"tile_outer":{"m":32}})");
  // Defaults written out explicitly do not change the hash.
  auto parsed = Schedule::fromJson(
      R"({"kind":"loopnest","packing":"none","epilogue_at":"inner",)"
      R"("reduction_split":1,"vector_width":0,"tile_outer":{"m":32},)"
      R"("tile_inner":{},"order":[],"unroll":{},"parallel":[],)"
      R"("vector_dim":"","params":{}})");
  ASSERT_TRUE(parsed) << parsed.message();
  EXPECT_EQ(parsed->canonicalJson(), s.canonicalJson());
  EXPECT_EQ(parsed->hash(), s.hash());
}

TEST(Schedule, FromCanonicalJsonIsIdentity) {
  Schedule auto_;
  auto_.kind = "autoscheduler";
  auto_.autoscheduler = "adams2019";
  auto_.params = {{"parallelism", "2"}, {"beam_size", "32"}};
  for (const Schedule &s : {Schedule(), full(), auto_}) {
    auto back = Schedule::fromJson(s.canonicalJson());
    ASSERT_TRUE(back) << back.message();
    EXPECT_EQ(back->canonicalJson(), s.canonicalJson());
    EXPECT_EQ(back->hash(), s.hash());
    EXPECT_EQ(back->tileOuter, s.tileOuter);
    EXPECT_EQ(back->order, s.order);
    EXPECT_EQ(back->params, s.params);
    EXPECT_EQ(back->reductionSplit, s.reductionSplit);
  }
}

TEST(Schedule, KeyOrderAndWhitespaceDoNotChangeHash) {
  auto a = Schedule::fromJson(
      R"({"tile_outer":{"m":64,"n":128},"vector_dim":"n","vector_width":16})");
  auto b = Schedule::fromJson(R"(
    {
      "vector_width" : 16,
      "tile_outer"   : { "n" : 128, "m" : 64 },
      "vector_dim"   : "n"
    }
  )");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->canonicalJson(), b->canonicalJson());
  EXPECT_EQ(a->hash(), b->hash());
  // Loop order is meaningful: it is a list, not a set.
  auto c = Schedule::fromJson(R"({"order":["m","n"]})");
  auto d = Schedule::fromJson(R"({"order":["n","m"]})");
  ASSERT_TRUE(c && d);
  EXPECT_NE(c->hash(), d->hash());
}

TEST(Schedule, DifferentSchedulesHashDifferently) {
  Schedule a = full(), b = full();
  b.tileInner["m"] = 4;
  EXPECT_NE(a.hash(), b.hash());
  EXPECT_EQ(a.hash().size(), 64u);
}

TEST(Schedule, RejectsUnknownFields) {
  EXPECT_NE(parseError(R"({"tile_outer":{"m":8},"tile_outr":{"n":8}})")
                .find("unknown schedule field `tile_outr`"),
            std::string::npos);
  EXPECT_NE(parseError(R"({"vectorWidth":8})").find("vectorWidth"),
            std::string::npos);
}

TEST(Schedule, RejectsBadTypes) {
  for (const char *text : {
           R"({"tile_outer":{"m":"32"}})",
           R"({"tile_outer":[32]})",
           R"({"order":"m,n,k"})",
           R"({"order":[1,2]})",
           R"({"vector_width":"16"})",
           R"({"vector_dim":3})",
           R"({"params":{"beam":32}})",
           R"({"kind":1})",
           R"({"reduction_split":null})",
           // A fraction or a boolean is not an integer: silently truncating
           // would store a schedule other than the one given.
           R"({"tile_outer":{"m":32.5}})",
           R"({"vector_width":8.7})",
           R"({"unroll":{"m":true}})",
           R"({"vector_width":true})",
           R"({"reduction_split":"2"})",
       })
    EXPECT_FALSE(parseError(text).empty()) << text;
}

TEST(Schedule, RejectsOutOfRangeValues) {
  EXPECT_NE(parseError(R"({"tile_outer":{"m":0}})").find(">= 1"),
            std::string::npos);
  parseError(R"({"tile_inner":{"m":-8}})");
  parseError(R"({"unroll":{"k":0}})");
  parseError(R"({"vector_width":-4})");
  parseError(R"({"reduction_split":0})");
  // Above INT64_MAX wraps to a negative value; it must not become a tile.
  parseError(R"({"tile_outer":{"m":18446744073709551615}})");
}

TEST(Schedule, RejectsBadEnums) {
  EXPECT_NE(parseError(R"({"packing":"all"})").find("packing"),
            std::string::npos);
  EXPECT_NE(parseError(R"({"epilogue_at":"middle"})").find("epilogue_at"),
            std::string::npos);
  EXPECT_NE(parseError(R"({"kind":"halide"})").find("kind"), std::string::npos);
  for (const char *ok : {R"({"packing":"weights"})", R"({"packing":"inputs"})",
                         R"({"packing":"both"})", R"({"epilogue_at":"root"})"})
    EXPECT_TRUE(Schedule::fromJson(ok)) << ok;
}

TEST(Schedule, AutoschedulerNeedsName) {
  EXPECT_NE(parseError(R"({"kind":"autoscheduler"})").find("autoscheduler"),
            std::string::npos);
  parseError(R"({"kind":"autoscheduler","autoscheduler":""})");
  auto ok = Schedule::fromJson(
      R"({"kind":"autoscheduler","autoscheduler":"mullapudi2016",)"
      R"("params":{"last_level_cache_size":"1048576"}})");
  ASSERT_TRUE(ok) << ok.message();
  EXPECT_EQ(ok->autoscheduler, "mullapudi2016");
  EXPECT_EQ(ok->canonicalJson(),
            R"({"autoscheduler":"mullapudi2016","kind":"autoscheduler",)"
            R"("params":{"last_level_cache_size":"1048576"}})");
}

TEST(Schedule, RejectsNonObjectsAndBadJson) {
  EXPECT_NE(parseError("[1,2]").find("object"), std::string::npos);
  EXPECT_NE(parseError("{\"tile_outer\":").find("not valid JSON"),
            std::string::npos);
  parseError("");
  parseError("null");
}
