// Registration of tessel's passes. The passes themselves (task extraction,
// schedule application, tiling from schedules, the tessel-compile pipeline)
// are declared in passes/Passes.td as they are added, one file each.
#include "passes/PassRegistry.h"

namespace tessel {

void registerTesselPasses() {}

} // namespace tessel
