// Host detection and the canonical JSON of machine fingerprints.
#include "db/Machine.h"

#include "db/Hash.h"
#include "db/Version.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sqlite3.h>
#include <sstream>
#include <sys/utsname.h>
#include <unistd.h>

namespace tessel {

using nlohmann::json;

std::string MachineFingerprint::canonicalJson() const {
  json j = {{"arch", arch},          {"cpu", cpuModel},
            {"isa", isa},            {"cores", cores},
            {"l1d", l1dBytes},       {"l2", l2Bytes},
            {"l3", l3Bytes},         {"os", os},
            {"versions", versions},  {"emulated", emulated}};
  return j.dump();
}

std::string MachineFingerprint::hash() const {
  return sha256Hex(canonicalJson());
}

Result<MachineFingerprint> MachineFingerprint::fromJson(const std::string &text) {
  try {
    json j = json::parse(text);
    MachineFingerprint m;
    m.arch = j.at("arch").get<std::string>();
    m.cpuModel = j.at("cpu").get<std::string>();
    m.isa = j.at("isa").get<std::vector<std::string>>();
    m.cores = j.at("cores").get<int>();
    m.l1dBytes = j.at("l1d").get<int64_t>();
    m.l2Bytes = j.at("l2").get<int64_t>();
    m.l3Bytes = j.at("l3").get<int64_t>();
    m.os = j.at("os").get<std::string>();
    m.versions = j.at("versions").get<std::map<std::string, std::string>>();
    m.emulated = j.value("emulated", false);
    return m;
  } catch (const json::exception &e) {
    return makeError(std::string("bad machine fingerprint: ") + e.what());
  }
}

namespace {

std::string trim(const std::string &s) {
  size_t b = s.find_first_not_of(" \t\n");
  size_t e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

/// First value of each key in /proc/cpuinfo.
std::map<std::string, std::string> readCpuinfo() {
  std::map<std::string, std::string> out;
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    out.emplace(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return out;
}

int64_t parseCacheSize(const std::string &s) {
  // "32K", "1024K", "32768K", "1M"
  if (s.empty())
    return 0;
  int64_t v = std::atoll(s.c_str());
  char unit = s.back();
  if (unit == 'K')
    v <<= 10;
  else if (unit == 'M')
    v <<= 20;
  return v;
}

void readCaches(MachineFingerprint &m) {
  for (int i = 0; i < 8; ++i) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    std::ifstream lf(dir + "level"), tf(dir + "type"), sf(dir + "size");
    int level = 0;
    std::string type, size;
    if (!(lf >> level) || !(tf >> type) || !(sf >> size))
      break;
    int64_t bytes = parseCacheSize(size);
    if (level == 1 && type != "Instruction")
      m.l1dBytes = bytes;
    else if (level == 2)
      m.l2Bytes = bytes;
    else if (level == 3)
      m.l3Bytes = bytes;
  }
}

std::string armPartName(unsigned implementer, unsigned part) {
  if (implementer != 0x41)
    return "";
  switch (part) {
  case 0xd0c:
    return "Neoverse N1";
  case 0xd40:
    return "Neoverse V1";
  case 0xd4f:
    return "Neoverse V2";
  case 0xd49:
    return "Neoverse N2";
  case 0xd08:
    return "Cortex-A72";
  default:
    return "";
  }
}

} // namespace

MachineFingerprint detectHostMachine() {
  MachineFingerprint m;
  struct utsname u;
  if (uname(&u) == 0)
    m.arch = u.machine;
  auto cpu = readCpuinfo();
  // The ISA features tessel's code generators care about.
  static const std::set<std::string> x86Relevant = {
      "sse4_1", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw",
      "avx512dq", "avx512vl", "avx512cd", "avx512_vnni", "avx512_bf16",
      "avx512ifma", "avx512vbmi", "amx_tile", "amx_bf16", "amx_int8"};
  static const std::set<std::string> armRelevant = {
      "asimd", "asimddp", "fphp", "asimdhp", "sve", "sve2", "bf16", "i8mm",
      "svebf16", "svei8mm", "sveaes", "atomics"};
  std::string flags;
  if (m.arch == "aarch64") {
    unsigned impl = static_cast<unsigned>(
        std::strtoul(cpu["CPU implementer"].c_str(), nullptr, 0));
    unsigned part = static_cast<unsigned>(
        std::strtoul(cpu["CPU part"].c_str(), nullptr, 0));
    char buf[64];
    std::snprintf(buf, sizeof buf, "MIDR 0x%02x/0x%03x", impl, part);
    m.cpuModel = buf;
    std::string name = armPartName(impl, part);
    if (!name.empty())
      m.cpuModel += " (" + name + ")";
    flags = cpu["Features"];
    std::istringstream fs(flags);
    for (std::string f; fs >> f;)
      if (armRelevant.count(f))
        m.isa.push_back(f);
  } else {
    m.cpuModel = cpu["model name"];
    flags = cpu["flags"];
    std::istringstream fs(flags);
    for (std::string f; fs >> f;)
      if (x86Relevant.count(f))
        m.isa.push_back(f);
  }
  std::sort(m.isa.begin(), m.isa.end());
  m.isa.erase(std::unique(m.isa.begin(), m.isa.end()), m.isa.end());
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  m.cores = n > 0 ? static_cast<int>(n) : 0;
  readCaches(m);
  std::ifstream osr("/etc/os-release");
  std::string line;
  while (std::getline(osr, line))
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      m.os = line.substr(12);
      m.os.erase(std::remove(m.os.begin(), m.os.end(), '"'), m.os.end());
    }
  if (m.arch.size() && uname(&u) == 0)
    m.os += std::string(m.os.empty() ? "" : ", ") + "Linux " + u.release;
  m.versions["tessel"] = kTesselVersion;
  m.versions["sqlite"] = sqlite3_libversion();
  return m;
}

Result<std::string> hostPresetName(const MachineFingerprint &m) {
  auto has = [&](const char *f) {
    return std::find(m.isa.begin(), m.isa.end(), f) != m.isa.end();
  };
  if (m.arch == "x86_64") {
    if (has("avx512f"))
      return std::string("x86-64-avx512");
    if (has("avx2") && has("fma"))
      return std::string("x86-64-avx2");
    return makeError("this x86-64 CPU (" + m.cpuModel +
                     ") has no AVX2+FMA; no preset matches");
  }
  if (m.arch == "aarch64") {
    if (m.cpuModel.find("Neoverse N1") != std::string::npos)
      return std::string("graviton2");
    if (m.cpuModel.find("Neoverse V1") != std::string::npos)
      return std::string("graviton3");
    if (m.cpuModel.find("Neoverse V2") != std::string::npos)
      return std::string("graviton4");
    return makeError("this arm64 CPU (" + m.cpuModel +
                     ") is not a Graviton2/3/4; name a preset with --target");
  }
  return makeError("no preset for architecture `" + m.arch + "`");
}

} // namespace tessel
