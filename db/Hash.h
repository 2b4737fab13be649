// Stable digests and random identifiers used by the schedule database.
//
// Task and schedule hashes are SHA-256 digests of canonical text, so the same
// kernel gets the same hash on every machine and in every version of tessel.
#ifndef TESSEL_DB_HASH_H
#define TESSEL_DB_HASH_H

#include <string>
#include <string_view>

namespace tessel {

/// Lower-case hexadecimal SHA-256 of `text` (64 characters).
std::string sha256Hex(std::string_view text);

/// `bytes` random bytes from the system's CSPRNG, as lower-case hex. Used for
/// measurement and session identifiers that must not collide across machines.
/// Aborts if the CSPRNG fails (there is no safe fallback for an identifier).
std::string randomHex(size_t bytes);

/// Number of hex characters shown where a hash is printed for people.
constexpr size_t kShortHashLength = 12;

/// True if `s` is non-empty and only lower- or upper-case hex digits.
bool isHex(std::string_view s);

} // namespace tessel

#endif // TESSEL_DB_HASH_H
