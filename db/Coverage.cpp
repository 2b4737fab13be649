// The coverage of a compiled model (see Coverage.h).
#include "db/Coverage.h"

#include "db/Format.h"

#include <nlohmann/json.hpp>

namespace tessel {

using nlohmann::json;

namespace {
const char *const kSources[] = {"tuned", "nearest", "default",
                                "given", "none",    "untiled"};
} // namespace

std::string CoverageEntry::line() const {
  std::string l = source + " " + scheduleId + " " + op;
  if (code == "upstream")
    l += " [upstream loops]";
  else
    l += code == "halide" ? " [halide " + kernel + "]" : " [" + code + "]";
  if (measuredSec)
    l += " measured " + formatSeconds(measuredSec);
  if (!note.empty())
    l += " (" + note + ")";
  return l;
}

std::map<std::string, int> Coverage::counts() const {
  std::map<std::string, int> n;
  for (const char *s : kSources)
    n[s] = 0;
  for (const CoverageEntry &e : ops)
    n[e.source]++;
  return n;
}

std::string Coverage::summaryLine() const {
  auto n = counts();
  std::string l = "summary:";
  for (const char *s : kSources)
    l += std::string(" ") + s + "=" + std::to_string(n[s]);
  return l;
}

std::string Coverage::text() const {
  std::string t = "target " + target + "\n";
  for (const CoverageEntry &e : ops)
    t += e.location + ": " + e.line() + "\n";
  return t + summaryLine() + "\n";
}

std::string Coverage::toJson() const {
  json list = json::array();
  for (const CoverageEntry &e : ops)
    list.push_back(
        {{"location", e.location},
         {"source", e.source},
         {"schedule_id", e.scheduleId},
         {"op", e.op},
         {"code", e.code},
         {"kernel", e.kernel},
         {"measured_s", e.measuredSec ? json(*e.measuredSec) : json(nullptr)},
         {"note", e.note}});
  json summary = json::object();
  for (const auto &[source, n] : counts())
    summary[source] = n;
  json doc = {{"target", target}, {"ops", list}, {"summary", summary}};
  return doc.dump(2) + "\n";
}

Result<Coverage> Coverage::fromJson(const std::string &text) {
  Coverage c;
  try {
    json doc = json::parse(text);
    c.target = doc.at("target").get<std::string>();
    for (const json &o : doc.at("ops")) {
      CoverageEntry e;
      e.location = o.at("location").get<std::string>();
      e.source = o.at("source").get<std::string>();
      e.scheduleId = o.at("schedule_id").get<std::string>();
      e.op = o.at("op").get<std::string>();
      e.code = o.at("code").get<std::string>();
      e.kernel = o.value("kernel", "");
      if (o.contains("measured_s") && o.at("measured_s").is_number())
        e.measuredSec = o.at("measured_s").get<double>();
      e.note = o.value("note", "");
      c.ops.push_back(std::move(e));
    }
  } catch (const json::exception &e) {
    return makeError(std::string("coverage report: ") + e.what());
  }
  return c;
}

} // namespace tessel
