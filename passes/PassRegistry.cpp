// Registration of tessel's passes (declared in Passes.td, one file each) and
// of the tessel-compile pipeline.
#include "passes/PassRegistry.h"

#include "passes/PassDetail.h"
#include "passes/Pipeline.h"

namespace tessel {
namespace {
#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"
} // namespace

void registerTesselPasses() {
  registerTesselGenPasses();
  registerCompilePipeline();
}

} // namespace tessel
