// SHA-256 and random identifiers, through OpenSSL's libcrypto.
#include "db/Hash.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <vector>

namespace tessel {

static std::string toHex(const unsigned char *data, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(),
                 nullptr) != 1) {
    std::fprintf(stderr, "tessel: fatal: SHA-256 failed in libcrypto\n");
    std::abort();
  }
  return toHex(digest, len);
}

std::string randomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(bytes)) != 1) {
    std::fprintf(stderr, "tessel: fatal: no random bytes from libcrypto\n");
    std::abort();
  }
  return toHex(buf.data(), bytes);
}

bool isHex(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

} // namespace tessel
