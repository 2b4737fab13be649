// Numbers as people read them (see Format.h).
#include "db/Format.h"

#include <cstdio>

namespace tessel {

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string formatSeconds(std::optional<double> s) {
  if (!s)
    return "-";
  double v = *s;
  if (v >= 1)
    return fixed(v, 2) + " s";
  if (v >= 1e-3)
    return fixed(v * 1e3, 3) + " ms";
  return fixed(v * 1e6, 1) + " us";
}

std::string formatBytes(long long bytes) {
  if (bytes <= 0)
    return "-";
  if (bytes % (1 << 20) == 0)
    return std::to_string(bytes >> 20) + " MiB";
  if (bytes % (1 << 10) == 0)
    return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " B";
}

} // namespace tessel
