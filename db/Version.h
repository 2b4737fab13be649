// tessel's version string, recorded in every machine fingerprint.
#ifndef TESSEL_DB_VERSION_H
#define TESSEL_DB_VERSION_H

namespace tessel {
inline constexpr const char *kTesselVersion = "0.1.0";
} // namespace tessel

#endif // TESSEL_DB_VERSION_H
