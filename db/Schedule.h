// The schedule: one backend-neutral description of a kernel's loop nest.
//
// Two realizers read it: Halide (tuning measurements and AOT kernels) and MLIR
// (tessel-tile-from-schedule). Dimension names are the task family's
// (familyDims(): m, n, k for matmul; n, h, w, c, f, kh, kw for conv2d; for
// windowed families the output spatial loops are "oh" and "ow").
//
// A schedule of kind "autoscheduler" records that Halide's autoscheduler
// `autoscheduler` (adams2019, mullapudi2016) chose the loop nest with `params`;
// only the Halide realizer can reproduce it.
//
// Canonical JSON: sorted keys, no whitespace, and fields equal to their
// default left out, so that adding a field later keeps existing hashes valid.
#ifndef TESSEL_DB_SCHEDULE_H
#define TESSEL_DB_SCHEDULE_H

#include "db/Status.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tessel {

/// True for the `packing` values that pack the weights (weights, both).
inline bool packingHasWeights(const std::string &packing) {
  return packing == "weights" || packing == "both";
}

struct Schedule {
  std::string kind = "loopnest"; ///< "loopnest" or "autoscheduler"
  std::string autoscheduler;     ///< kind == "autoscheduler" only
  std::map<std::string, std::string> params; ///< autoscheduler parameters

  /// Level-1 (cache) tile size per dimension; a missing dimension is untiled.
  std::map<std::string, int64_t> tileOuter;
  /// Level-2 (register) tile size per dimension.
  std::map<std::string, int64_t> tileInner;
  /// Order of the tile loops, outermost first (dimension names).
  std::vector<std::string> order;
  /// The vectorized dimension and its width in elements (0: none).
  std::string vectorDim;
  int64_t vectorWidth = 0;
  /// Unroll factor per dimension of the innermost tile.
  std::map<std::string, int64_t> unroll;
  /// Dimensions whose outer tile loops run in parallel (outermost first).
  std::vector<std::string> parallel;
  /// Packing of operands into tile-contiguous buffers: "none", "weights",
  /// "inputs" or "both".
  std::string packing = "none";
  /// Where packed operands are computed: "root" (once per call) or "outer"
  /// (per cache tile, just the part the tile reads).
  std::string packAt = "root";
  /// Where the fused epilogue is computed: "inner" (in the register tile),
  /// "outer" (per cache tile) or "root" (a separate pass).
  std::string epilogueAt = "inner";
  /// Reduction split factor (rfactor); 1 means no split.
  int64_t reductionSplit = 1;

  bool packsWeights() const { return packingHasWeights(packing); }
  bool packsInputs() const { return packing == "inputs" || packing == "both"; }

  /// Canonical JSON text.
  std::string canonicalJson() const;
  /// SHA-256 hex of canonicalJson().
  std::string hash() const;
  /// Parses schedule JSON (any key order or spacing); unknown keys and
  /// mistyped or out-of-range values are errors.
  static Result<Schedule> fromJson(const std::string &text);
};

} // namespace tessel

#endif // TESSEL_DB_SCHEDULE_H
