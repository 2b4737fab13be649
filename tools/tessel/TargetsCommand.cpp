// `tessel targets`: the target presets, and what this machine is.
#include "tools/tessel/Commands.h"

#include "db/Machine.h"
#include "db/Target.h"
#include "tools/tessel/Table.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

namespace tessel {

using nlohmann::json;

namespace {

struct TargetsOptions {
  bool host = false;
  bool json = false;
};

json presetJson(const TargetPreset &p) {
  return {{"name", p.name},
          {"description", p.description},
          {"arch", p.arch},
          {"halide_target", p.halideTarget},
          {"llvm_triple", p.llvmTriple},
          {"llvm_cpu", p.llvmCpu},
          {"llvm_features", p.llvmFeatures},
          {"vector_bits", p.vectorBits},
          {"cores", p.cores},
          {"l1d_bytes", p.l1dBytes},
          {"l2_bytes", p.l2Bytes},
          {"l3_bytes", p.l3Bytes},
          {"peak_gflops_per_core", p.peakGflopsPerCore}};
}

int runHost(const TargetsOptions &o) {
  MachineFingerprint m = detectHostMachine();
  auto preset = hostPresetName(m);
  if (o.json) {
    std::cout << json{{"fingerprint", json::parse(m.canonicalJson())},
                      {"fingerprint_hash", m.hash()},
                      {"preset", preset ? json(*preset) : json(nullptr)},
                      {"problem", preset ? "" : preset.message()}}
                     .dump(2)
              << "\n";
    return preset ? 0 : 1;
  }
  std::string isa;
  for (const auto &f : m.isa)
    isa += (isa.empty() ? "" : " ") + f;
  std::cout << "cpu          " << m.cpuModel << "\n"
            << "arch         " << m.arch << "\n"
            << "isa          " << isa << "\n"
            << "cores        " << m.cores << "\n"
            << "caches       L1d " << formatBytes(m.l1dBytes) << ", L2 "
            << formatBytes(m.l2Bytes) << ", L3 " << formatBytes(m.l3Bytes)
            << "\n"
            << "os           " << m.os << "\n"
            << "fingerprint  " << m.hash().substr(0, 12) << "\n";
  if (!preset) {
    std::cout << "preset       none: " << preset.message() << "\n";
    return 1;
  }
  std::cout << "preset       " << *preset << " (what --target host means here)\n";
  return 0;
}

int runList(const TargetsOptions &o) {
  if (o.json) {
    json out = json::array();
    for (const auto &p : targetPresets())
      out.push_back(presetJson(p));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  Table t({"name", "arch", "vector", "cores", "L2", "peak/core", "llvm cpu",
           "halide target"},
          {false, false, true, true, true, true, false, false});
  for (const auto &p : targetPresets())
    t.addRow({p.name, p.arch, std::to_string(p.vectorBits) + " bit",
              std::to_string(p.cores), formatBytes(p.l2Bytes),
              fixed(p.peakGflopsPerCore, 1) + " GFLOP/s", p.llvmCpu,
              p.halideTarget});
  t.print(std::cout);
  auto host = hostPresetName(detectHostMachine());
  std::cout << "\nhost: "
            << (host ? *host + " (detected; see `tessel targets --host`)"
                     : "no preset matches: " + host.message())
            << "\n";
  return 0;
}

} // namespace

void addTargetsCommand(CLI::App &app, int &exitCode) {
  auto opts = std::make_shared<TargetsOptions>();
  CLI::App *cmd = app.add_subcommand(
      "targets", "List the target presets, or describe this machine");
  cmd->add_flag("--host", opts->host,
                "Print this machine's fingerprint and the preset it matches");
  cmd->add_flag("--json", opts->json, "Machine-readable JSON output");
  setExamples(cmd, {"tessel targets", "tessel targets --host --json"});
  cmd->callback([opts, &exitCode] {
    exitCode = opts->host ? runHost(*opts) : runList(*opts);
  });
}

} // namespace tessel
