// Numbers as people read them in tessel's output: tables, reports, progress.
#ifndef TESSEL_DB_FORMAT_H
#define TESSEL_DB_FORMAT_H

#include <optional>
#include <string>

namespace tessel {

/// Fixed-point text with `digits` decimals.
std::string fixed(double v, int digits);
/// A duration in seconds as "1.234 ms" / "56.7 us" / "2.10 s"; "-" for none.
std::string formatSeconds(std::optional<double> s);
/// A byte count as "32 KiB" / "1 MiB".
std::string formatBytes(long long bytes);

} // namespace tessel

#endif // TESSEL_DB_FORMAT_H
