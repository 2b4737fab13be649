// Task signatures: parsing, canonical text, golden hashes, FLOP counts.
#include "db/Signature.h"

#include <gtest/gtest.h>

using namespace tessel;

TEST(Signature, ParsesAndCanonicalizes) {
  auto s = TaskSignature::parse("matmul  k=512 m=512   n=512");
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->canonical(), "matmul m=512 n=512 k=512");
}
