// Reading and writing the tasks file.
#include "db/TasksFile.h"

#include "db/Process.h"

#include <limits>
#include <nlohmann/json.hpp>

namespace tessel {

using nlohmann::json;

std::string TasksFile::toJson() const {
  json tasksJson = json::array();
  for (const auto &t : tasks)
    tasksJson.push_back({{"signature", t.signature.canonical()},
                         {"hash", t.signature.hash()},
                         {"count", t.count},
                         {"flops", t.signature.flops()}});
  json doc = {{"format", "tessel-tasks"},
              {"version", 1},
              {"model", model},
              {"tasks", tasksJson}};
  return doc.dump(2) + "\n";
}

Result<TasksFile> TasksFile::fromJson(const std::string &text) {
  TasksFile f;
  try {
    json doc = json::parse(text);
    if (!doc.is_object() || doc.value("format", "") != "tessel-tasks")
      return makeError("not a tasks file (missing \"format\": \"tessel-tasks\")");
    if (doc.value("version", 0) != 1)
      return makeError("unsupported tasks file version");
    f.model = doc.value("model", "");
    if (!doc.contains("tasks") || !doc.at("tasks").is_array())
      return makeError(
          "\"tasks\" must be an array of {\"signature\", \"count\"} objects");
    int index = 0;
    for (const json &t : doc.at("tasks")) {
      std::string where = "task " + std::to_string(index++);
      auto sig = TaskSignature::parse(t.at("signature").get<std::string>());
      if (!sig)
        return makeError(where + ": " + sig.message());
      if (t.contains("hash") && t.at("hash").get<std::string>() != sig->hash())
        return makeError(where + ": hash does not match the signature `" +
                         sig->canonical() + "`");
      if (t.contains("count") && !t.at("count").is_number_integer())
        return makeError(where + ": count must be an integer");
      int64_t count = t.value("count", int64_t(1));
      if (count < 1 || count > kMaxCount)
        return makeError(where + ": count must be between 1 and " +
                         std::to_string(kMaxCount) + ", got " +
                         std::to_string(count));
      f.add(*sig, count);
    }
  } catch (const json::exception &e) {
    return makeError(std::string("malformed tasks file: ") + e.what());
  }
  return f;
}

Result<TasksFile> TasksFile::read(const std::string &path) {
  auto text = readFile(path);
  if (!text)
    return makeError(path + ": cannot read the tasks file");
  auto f = fromJson(*text);
  if (!f)
    return makeError(path + ": " + f.message());
  return f;
}

void TasksFile::add(const TaskSignature &sig, int64_t count) {
  if (index_.size() != tasks.size()) { // `tasks` was changed directly
    index_.clear();
    for (size_t i = 0; i < tasks.size(); ++i)
      index_[tasks[i].signature.canonical()] = i;
  }
  auto [it, inserted] = index_.emplace(sig.canonical(), tasks.size());
  if (!inserted) {
    int64_t &c = tasks[it->second].count;
    c = c > std::numeric_limits<int64_t>::max() - count
            ? std::numeric_limits<int64_t>::max()
            : c + count;
    return;
  }
  tasks.push_back({sig, count});
}

} // namespace tessel
