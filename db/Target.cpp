// The preset table and host resolution.
#include "db/Target.h"

#include "db/Machine.h"

#include <algorithm>

namespace tessel {

const std::vector<TargetPreset> &targetPresets() {
  static const std::vector<TargetPreset> presets = {
      {"x86-64-avx2", "x86-64 with AVX2 and FMA (Haswell and later, Zen 1-3)",
       "x86_64", "x86-64-linux-sse41-avx-f16c-fma-avx2",
       "x86_64-unknown-linux-gnu", "haswell", "+avx,+avx2,+fma,+f16c,+sse4.1",
       256, 8, 32 << 10, 512 << 10, 32ll << 20, 96.0},
      {"x86-64-avx512", "x86-64 with AVX-512 (Skylake-SP and later, Zen 4)",
       "x86_64",
       "x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake",
       "x86_64-unknown-linux-gnu", "skylake-avx512",
       "+avx,+avx2,+fma,+f16c,+avx512f,+avx512vl,+avx512bw,+avx512dq,+avx512cd,"
       "-prefer-256-bit",
       512, 8, 32 << 10, 1 << 20, 32ll << 20, 117.0},
      {"graviton2", "AWS Graviton2: Neoverse N1, NEON, dotprod, fp16", "aarch64",
       "arm-64-linux-arm_dot_prod-arm_fp16", "aarch64-unknown-linux-gnu",
       "neoverse-n1", "+neon,+dotprod,+fullfp16", 128, 64, 64 << 10, 1 << 20,
       32ll << 20, 40.0},
      {"graviton3",
       "AWS Graviton3: Neoverse V1, SVE 256-bit, bf16, i8mm, dotprod, fp16",
       "aarch64", "arm-64-linux-arm_dot_prod-arm_fp16-armv81a-sve",
       "aarch64-unknown-linux-gnu", "neoverse-v1",
       "+neon,+dotprod,+fullfp16,+sve,+bf16,+i8mm", 256, 64, 64 << 10, 1 << 20,
       32ll << 20, 83.2},
      {"graviton4", "AWS Graviton4: Neoverse V2, SVE2 128-bit, bf16, i8mm",
       "aarch64", "arm-64-linux-arm_dot_prod-arm_fp16-armv81a-sve-sve2",
       "aarch64-unknown-linux-gnu", "neoverse-v2",
       "+neon,+dotprod,+fullfp16,+sve,+sve2,+bf16,+i8mm", 128, 96, 64 << 10,
       2 << 20, 36ll << 20, 89.6},
  };
  return presets;
}

Status checkRunsOn(const TargetPreset &preset, const MachineFingerprint &m) {
  if (preset.arch != m.arch)
    return makeError("target " + preset.name + " is " + preset.arch +
                     " code and this machine is " + m.arch);
  std::vector<std::string> needed;
  if (preset.name == "x86-64-avx2")
    needed = {"avx2", "fma", "f16c"};
  else if (preset.name == "x86-64-avx512")
    needed = {"avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"};
  else if (preset.name == "graviton2")
    needed = {"asimddp", "asimdhp"};
  else if (preset.name == "graviton3")
    needed = {"asimddp", "asimdhp", "sve"};
  else if (preset.name == "graviton4")
    needed = {"asimddp", "asimdhp", "sve", "sve2"};
  std::string missing;
  for (const auto &f : needed)
    if (std::find(m.isa.begin(), m.isa.end(), f) == m.isa.end())
      missing += (missing.empty() ? "" : ", ") + f;
  if (!missing.empty())
    return makeError("target " + preset.name + " needs " + missing +
                     ", which this CPU (" + m.cpuModel + ") lacks");
  return Status();
}

Result<TargetPreset> resolveTarget(const std::string &name) {
  std::string wanted = name;
  if (name == "host") {
    auto detected = hostPresetName(detectHostMachine());
    if (!detected)
      return makeError(detected.message());
    wanted = *detected;
  }
  std::string known;
  for (const auto &p : targetPresets()) {
    if (p.name == wanted)
      return p;
    known += (known.empty() ? "" : ", ") + p.name;
  }
  return makeError("unknown target `" + name + "` (known: " + known +
                   ", host)");
}

} // namespace tessel
