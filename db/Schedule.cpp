// Canonical JSON of schedules.
#include "db/Schedule.h"

#include "db/Hash.h"

#include <nlohmann/json.hpp>
#include <set>

namespace tessel {

using nlohmann::json;

std::string Schedule::canonicalJson() const {
  json j = json::object();
  if (kind != "loopnest")
    j["kind"] = kind;
  if (!autoscheduler.empty())
    j["autoscheduler"] = autoscheduler;
  if (!params.empty())
    j["params"] = params;
  if (!tileOuter.empty())
    j["tile_outer"] = tileOuter;
  if (!tileInner.empty())
    j["tile_inner"] = tileInner;
  if (!order.empty())
    j["order"] = order;
  if (!vectorDim.empty())
    j["vector_dim"] = vectorDim;
  if (vectorWidth != 0)
    j["vector_width"] = vectorWidth;
  if (!unroll.empty())
    j["unroll"] = unroll;
  if (!parallel.empty())
    j["parallel"] = parallel;
  if (packing != "none")
    j["packing"] = packing;
  if (packAt != "root")
    j["pack_at"] = packAt;
  if (epilogueAt != "inner")
    j["epilogue_at"] = epilogueAt;
  if (reductionSplit != 1)
    j["reduction_split"] = reductionSplit;
  return j.dump();
}

std::string Schedule::hash() const { return sha256Hex(canonicalJson()); }

Result<Schedule> Schedule::fromJson(const std::string &text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception &e) {
    return makeError(std::string("schedule is not valid JSON: ") + e.what());
  }
  if (!j.is_object())
    return makeError("schedule JSON must be an object");
  static const std::set<std::string> known = {
      "kind",   "autoscheduler", "params",   "tile_outer",  "tile_inner",
      "order",  "vector_dim",    "vector_width", "unroll",  "parallel",
      "packing", "pack_at",      "epilogue_at",  "reduction_split"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!known.count(it.key()))
      return makeError("unknown schedule field `" + it.key() + "`");
  // nlohmann converts 32.5 or true to an integer silently; a schedule given
  // with such a value would be stored as a different schedule.
  auto isInt = [](const json &v) { return v.is_number_integer(); };
  for (const char *key : {"vector_width", "reduction_split"})
    if (j.contains(key) && !isInt(j[key]))
      return makeError(std::string("schedule field `") + key +
                       "` must be an integer");
  for (const char *key : {"tile_outer", "tile_inner", "unroll"})
    if (j.contains(key) && j[key].is_object())
      for (const auto &[dim, v] : j[key].items())
        if (!isInt(v))
          return makeError(std::string("schedule field `") + key + "." + dim +
                           "` must be an integer");
  Schedule s;
  try {
    s.kind = j.value("kind", s.kind);
    s.autoscheduler = j.value("autoscheduler", s.autoscheduler);
    s.params = j.value("params", s.params);
    s.tileOuter = j.value("tile_outer", s.tileOuter);
    s.tileInner = j.value("tile_inner", s.tileInner);
    s.order = j.value("order", s.order);
    s.vectorDim = j.value("vector_dim", s.vectorDim);
    s.vectorWidth = j.value("vector_width", s.vectorWidth);
    s.unroll = j.value("unroll", s.unroll);
    s.parallel = j.value("parallel", s.parallel);
    s.packing = j.value("packing", s.packing);
    s.packAt = j.value("pack_at", s.packAt);
    s.epilogueAt = j.value("epilogue_at", s.epilogueAt);
    s.reductionSplit = j.value("reduction_split", s.reductionSplit);
  } catch (const json::exception &e) {
    return makeError(std::string("schedule field has the wrong type: ") +
                     e.what());
  }
  if (s.kind != "loopnest" && s.kind != "autoscheduler")
    return makeError("schedule kind must be loopnest or autoscheduler, got `" +
                     s.kind + "`");
  if (s.kind == "autoscheduler" && s.autoscheduler.empty())
    return makeError("an autoscheduler schedule must name its autoscheduler");
  for (const auto *m : {&s.tileOuter, &s.tileInner, &s.unroll})
    for (const auto &[dim, v] : *m)
      if (v < 1)
        return makeError("tile and unroll factors must be >= 1 (`" + dim +
                         "` is " + std::to_string(v) + ")");
  if (s.vectorWidth < 0 || s.reductionSplit < 1)
    return makeError("vector_width must be >= 0 and reduction_split >= 1");
  static const std::set<std::string> packings = {"none", "weights", "inputs",
                                                 "both"};
  if (!packings.count(s.packing))
    return makeError("packing must be none, weights, inputs or both");
  if (s.packAt != "root" && s.packAt != "outer")
    return makeError("pack_at must be root or outer");
  static const std::set<std::string> ats = {"inner", "outer", "root"};
  if (!ats.count(s.epilogueAt))
    return makeError("epilogue_at must be inner, outer or root");
  return s;
}

} // namespace tessel
