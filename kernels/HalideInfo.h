// Facts about the Halide installation tessel was built against: its version
// and where its autoscheduler plugins are (taken from Halide's CMake package at
// configure time, so no multiarch directory is hard-coded).
#ifndef TESSEL_KERNELS_HALIDEINFO_H
#define TESSEL_KERNELS_HALIDEINFO_H

#include <string>

namespace tessel {

/// "14.0.0"
std::string halideVersion();

/// Full path of an autoscheduler plugin: `name` is "adams2019",
/// "mullapudi2016" or "li2018". Empty for an unknown name.
std::string autoschedulerPluginPath(const std::string &name);

} // namespace tessel

#endif // TESSEL_KERNELS_HALIDEINFO_H
