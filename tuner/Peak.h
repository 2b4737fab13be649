// The machine's fp32 FMA peak, measured, for "% of peak" figures: a loop of
// independent vector FMA chains in the widest ISA this CPU has.
#ifndef TESSEL_TUNER_PEAK_H
#define TESSEL_TUNER_PEAK_H

namespace tessel {

/// Measured fp32 FMA peak of one core in GFLOP/s (the best of 8 runs of
/// ~15 ms) with vectors of at most `maxVectorBits` (the target's width: an
/// AVX2 target on an AVX-512 machine is held to AVX2's peak). 0 if the
/// architecture has no measuring loop.
double measureFmaPeakGflops(int maxVectorBits = 512);

} // namespace tessel

#endif // TESSEL_TUNER_PEAK_H
