// Realizer names.
#include "db/Realizer.h"

namespace tessel {

const char *realizerName(Realizer r) { return r == Realizer::Mlir ? "mlir" : "halide"; }

Result<Realizer> parseRealizer(const std::string &name) {
  if (name == "mlir")
    return Realizer::Mlir;
  if (name == "halide")
    return Realizer::Halide;
  return makeError("unknown realizer `" + name + "` (known: mlir, halide)");
}

} // namespace tessel
