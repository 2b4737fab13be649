// tessel_kernels.json (see KernelTable.h).
#include "db/KernelTable.h"

#include "db/Process.h"

#include <nlohmann/json.hpp>

namespace tessel {

using nlohmann::json;

std::string kernelFunctionName(const std::string &taskHash) {
  return "tessel_k_" + taskHash.substr(0, 16);
}

std::string kernelTableJson(const std::string &target,
                            const KernelTable &table) {
  json kernels = json::array();
  for (const auto &[signature, function] : table)
    kernels.push_back({{"signature", signature}, {"function", function}});
  json doc = {{"format", "tessel-kernels"},
              {"version", 1},
              {"target", target},
              {"kernels", kernels}};
  return doc.dump(2) + "\n";
}

Result<KernelTable> readKernelTable(const std::string &path) {
  auto text = readFile(path);
  if (!text)
    return makeError(text.message());
  KernelTable table;
  try {
    json doc = json::parse(*text);
    if (!doc.is_object() || doc.value("format", "") != "tessel-kernels" ||
        doc.value("version", 0) != 1 || !doc.contains("kernels") ||
        !doc.at("kernels").is_array())
      return makeError(path + ": not a tessel_kernels.json of version 1");
    for (const json &k : doc.at("kernels"))
      table[k.at("signature").get<std::string>()] =
          k.at("function").get<std::string>();
  } catch (const json::exception &e) {
    return makeError(path + ": " + e.what());
  }
  return table;
}

} // namespace tessel
