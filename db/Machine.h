// The machine fingerprint stored with every measurement.
//
// A fingerprint says which CPU a timing came from (model name on x86, MIDR
// implementer/part on arm64), which ISA features it had, cores and cache sizes,
// the OS, and the versions of the tools that produced the code. Its hash is the
// SHA-256 of its canonical JSON, so identical machines share one row and a
// stale or foreign record stays visible.
#ifndef TESSEL_DB_MACHINE_H
#define TESSEL_DB_MACHINE_H

#include "db/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessel {

struct MachineFingerprint {
  std::string arch;     ///< "x86_64", "aarch64"
  std::string cpuModel; ///< "AMD EPYC 9R14 ..." or "MIDR 0x41/0xd40 (Neoverse V1)"
  std::vector<std::string> isa; ///< sorted relevant ISA features
  int cores = 0;
  int64_t l1dBytes = 0, l2Bytes = 0, l3Bytes = 0;
  std::string os;
  std::map<std::string, std::string> versions; ///< tool -> version
  bool emulated = false; ///< ran under an emulator (qemu)

  /// Canonical JSON text (sorted keys, no whitespace).
  std::string canonicalJson() const;
  std::string hash() const;
  /// Parses what canonicalJson() wrote; fails on missing or mistyped fields.
  static Result<MachineFingerprint> fromJson(const std::string &text);
};

/// Reads this machine's fingerprint from /proc/cpuinfo, /sys and uname.
/// Never fails: fields it cannot read stay empty or zero.
MachineFingerprint detectHostMachine();

/// The preset that matches a fingerprint: x86-64-avx512 for AVX-512F,
/// x86-64-avx2 for AVX2+FMA, graviton2/3/4 for Neoverse N1/V1/V2.
Result<std::string> hostPresetName(const MachineFingerprint &m);

} // namespace tessel

#endif // TESSEL_DB_MACHINE_H
