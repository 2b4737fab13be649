// FMA peak measurement.
#include "tuner/Peak.h"

#include <algorithm>
#include <chrono>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace tessel {

namespace {

double seconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

#if defined(__x86_64__)
// 12 independent chains hide the FMA latency on every x86 core of interest.
__attribute__((target("avx512f"))) float fma512(long iters) {
  __m512 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm512_set1_ps(0.1f * i);
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long n = 0; n < iters; ++n)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)
      a[i] = _mm512_fmadd_ps(a[i], m, c);
  __m512 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float fma256(long iters) {
  __m256 a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = _mm256_set1_ps(0.1f * i);
  const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
  for (long n = 0; n < iters; ++n)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)
      a[i] = _mm256_fmadd_ps(a[i], m, c);
  __m256 s = a[0];
  for (int i = 1; i < 12; ++i)
    s = _mm256_add_ps(s, a[i]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}
#endif

#if defined(__aarch64__)
float fma128(long iters) {
  float32x4_t a[12];
  for (int i = 0; i < 12; ++i)
    a[i] = vdupq_n_f32(0.1f * i);
  const float32x4_t m = vdupq_n_f32(0.999999f), c = vdupq_n_f32(1e-7f);
  for (long n = 0; n < iters; ++n)
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i)
      a[i] = vfmaq_f32(c, a[i], m);
  float32x4_t s = a[0];
  for (int i = 1; i < 12; ++i)
    s = vaddq_f32(s, a[i]);
  return vaddvq_f32(s);
}
#endif

volatile float sink;

template <typename Fn> double bestGflops(Fn fn, int lanes) {
  // ~15 ms per run at full speed, best of 8 runs: long enough for the core
  // to reach its vector clock, short enough not to matter at start-up.
  const long iters = 2000000;
  double best = 0;
  for (int rep = 0; rep < 8; ++rep) {
    double t0 = seconds();
    sink = fn(iters);
    double t = seconds() - t0;
    best = std::max(best, 2.0 * 12 * lanes * iters / t * 1e-9);
  }
  return best;
}

} // namespace

double measureFmaPeakGflops(int maxVectorBits) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (maxVectorBits >= 512 && __builtin_cpu_supports("avx512f"))
    return bestGflops(fma512, 16);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    return bestGflops(fma256, 8);
  return 0;
#elif defined(__aarch64__)
  (void)maxVectorBits;
  return bestGflops(fma128, 4);
#else
  return 0;
#endif
}

} // namespace tessel
