// Target presets: the named machines tessel generates code and tunes for.
//
// A preset maps one name to everything the two code generators need (the
// Halide target string, the LLVM triple/CPU/features for MLIR) and to the
// machine facts the search assumes (vector width, cores, cache sizes, nominal
// FMA peak). `host` is not a preset of its own: resolveTarget("host") detects
// this machine and returns the preset that matches it.
//
// Halide 14 target features do not imply one another: every string below
// spells out the whole chain (see DESIGN.md, "Pitfalls").
#ifndef TESSEL_DB_TARGET_H
#define TESSEL_DB_TARGET_H

#include "db/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel {

struct TargetPreset {
  std::string name;
  std::string description;
  std::string arch; ///< "x86_64" or "aarch64"
  std::string halideTarget;
  std::string llvmTriple;
  std::string llvmCpu;
  std::string llvmFeatures;
  int vectorBits = 128;  ///< natural fp32 SIMD width the search assumes
  int cores = 1;         ///< cores of a typical instance
  int64_t l1dBytes = 0;  ///< per core
  int64_t l2Bytes = 0;   ///< per core
  int64_t l3Bytes = 0;   ///< shared
  double peakGflopsPerCore = 0; ///< nominal fp32 FMA peak, for "% of peak"

  /// fp32 lanes of one vector.
  int vectorLanesF32() const { return vectorBits / 32; }
};

/// Every preset, in a stable order (x86 first, then Graviton).
const std::vector<TargetPreset> &targetPresets();

struct MachineFingerprint;

/// Ok if code for `preset` runs natively on machine `m` (same architecture,
/// every ISA feature the preset's code may use). Otherwise says what is
/// missing: such a target is measured on its own hardware, or emulated.
Status checkRunsOn(const TargetPreset &preset, const MachineFingerprint &m);

/// Looks up a preset by name; "host" detects this machine. Fails with the list
/// of known names, or with what was detected when no preset matches the host.
Result<TargetPreset> resolveTarget(const std::string &name);

} // namespace tessel

#endif // TESSEL_DB_TARGET_H
