// Halide version and plugin locations.
#include "kernels/HalideInfo.h"

namespace tessel {

std::string halideVersion() {
  return TESSEL_HALIDE_VERSION;
}

std::string autoschedulerPluginPath(const std::string &name) {
  if (name == "adams2019")
    return TESSEL_HALIDE_ADAMS2019;
  if (name == "mullapudi2016")
    return TESSEL_HALIDE_MULLAPUDI2016;
  if (name == "li2018")
    return TESSEL_HALIDE_LI2018;
  return "";
}

} // namespace tessel
