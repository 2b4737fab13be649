// Registration of tessel's MLIR passes and pipelines with the global registry,
// so that tessel-opt (and any tool built on MlirOptMain) can run them by flag.
#ifndef TESSEL_PASSES_PASSREGISTRY_H
#define TESSEL_PASSES_PASSREGISTRY_H

namespace tessel {

/// Registers every tessel-* pass and the named pipelines. Safe to call once
/// per process.
void registerTesselPasses();

} // namespace tessel

#endif // TESSEL_PASSES_PASSREGISTRY_H
