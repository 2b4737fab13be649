// The realizers of schedules: which code a record was measured on.
//
// A schedule is realized either by Halide (its JIT during tuning, its AOT
// kernels in `tessel aot` and `tessel compile --kernels halide`) or by MLIR
// (tessel-tile-from-schedule: the loops `tessel compile` emits). A record names
// the realizer it was measured with: the compiler uses a record only for the
// code that realizer emits. Which knobs each realizer realizes is declared in
// kernels/Plan.h.
#ifndef TESSEL_DB_REALIZER_H
#define TESSEL_DB_REALIZER_H

#include "db/Status.h"

#include <string>

namespace tessel {

enum class Realizer { Halide, Mlir };

/// "halide" or "mlir": the spelling in records, exports and the CLI.
const char *realizerName(Realizer r);
/// Parses a realizer name; fails naming the known ones.
Result<Realizer> parseRealizer(const std::string &name);

} // namespace tessel

#endif // TESSEL_DB_REALIZER_H
