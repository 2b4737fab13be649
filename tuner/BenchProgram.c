/* The benchmark program of tuner/ProgramMeasure.h: linked with a batch of
 * candidate kernels compiled ahead of time (Halide kernels, or the one-op
 * functions of the MLIR realizer), the task's inputs and reference output
 * (data.S), and the table of candidates with the limits (candidates.h,
 * generated). It runs here or on the target (statically linked), and prints
 * JSON lines:
 *   {"machine": {...}}                         the fingerprint, first
 *   {"begin": I}                               before candidate I runs
 *   {"candidate": I, "status": "ok", "median_s": ..., "min_s": ..., "spread": ...,
 *    "repeats": N, "max_error": E}             or "wrong" / "failed" + "error"
 * Each candidate is verified against the reference before it is timed; one
 * that takes longer than TESSEL_CANDIDATE_TIMEOUT_S is ended by SIGALRM (its
 * "begin" line tells which). Samples during which the program did not have a
 * core (CPU time / wall time below 0.9: a busy machine) are taken again.
 * With TESSEL_FLUSH_BYTES, each timed call follows a sweep of the caches
 * (see time_flushed).
 * `--from I` starts at candidate I. TESSEL_INJECT (tests only) makes every
 * candidate misbehave after its first call: 1 crash, 2 abort, 3 hang,
 * 4 wrong result, 5 out of memory.
 */
#define _GNU_SOURCE
#include "candidates.h"

#ifndef TESSEL_FLUSH_BYTES
#define TESSEL_FLUSH_BYTES 0
#endif
#define TESSEL_MAX_SAMPLES 200

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

extern const unsigned char tessel_data[];

static double now_sec(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static double cpu_sec(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Timing without flushing: calls batched into samples of at least 2 ms, up
 * to 15 samples or 0.5 s; a sample without a whole core is taken again (up
 * to 45 tries). Returns the number of samples. */
static int time_batched(int i, struct halide_buffer_t **args, double *samples) {
  double t0 = now_sec();
  tessel_call(i, args);
  double one = now_sec() - t0;
  int calls = one > 0 ? (int)(2e-3 / one) + 1 : 1000;
  int count = 0, tries = 0;
  double start = now_sec();
  while (count < 15 && (count < 5 || now_sec() - start < 0.5) && tries < 45) {
    ++tries;
    double s0 = now_sec(), c0 = cpu_sec();
    for (int c = 0; c < calls; ++c) tessel_call(i, args);
    double wall = now_sec() - s0, cpu = cpu_sec() - c0;
    if (cpu / wall >= 0.9 || tries > 30) samples[count++] = wall / calls;
  }
  return count;
}

/* Evicts [p, p + bytes) from every level of the caches (of every core):
 * x86 clflush, arm64 dc civac (open to user code on Linux). Elsewhere a
 * no-op: the sweep alone then stands for it. */
static void evict(const void *p, size_t bytes) {
  const char *c = (const char *)((uintptr_t)p & ~(uintptr_t)63),
             *end = (const char *)p + bytes;
#if defined(__x86_64__)
  for (; c < end; c += 64)
    __asm__ volatile("clflush (%0)" ::"r"(c) : "memory");
  __asm__ volatile("mfence" ::: "memory");
#elif defined(__aarch64__)
  for (; c < end; c += 64)
    __asm__ volatile("dc civac, %0" ::"r"(c) : "memory");
  __asm__ volatile("dsb ish" ::: "memory");
#else
  (void)c, (void)end;
#endif
}

/* Timing as a model runs the kernel: each sample is one call after the
 * caches were swept by writing TESSEL_FLUSH_BYTES (twice the L2), so that its
 * inputs come from the last-level cache, as they do between the ops of a
 * model, not from a loop that keeps everything in L1 and L2, and after the
 * arrays marked constant (weights, bias: marked only where the model's
 * weights outgrow the last-level cache) were evicted to memory, where such a
 * model reads them from.
 * Up to TESSEL_MAX_SAMPLES samples or 0.3 s (at least 5). */
static int time_flushed(int i, struct halide_buffer_t **args,
                        const size_t *bytes, double *samples) {
  static volatile char *sweep;
  if (!sweep) sweep = calloc(1, TESSEL_FLUSH_BYTES);
  int count = 0, tries = 0;
  double start = now_sec();
  while (count < TESSEL_MAX_SAMPLES && (count < 5 || now_sec() - start < 0.3) &&
         tries < 3 * TESSEL_MAX_SAMPLES) {
    ++tries;
    for (size_t b = 0; b < (size_t)TESSEL_FLUSH_BYTES; b += 64) sweep[b] += 1;
    for (int a = 0; a < TESSEL_NUM_ARRAYS; ++a)
      if (tessel_arrays[a].constant)
        evict(args[a]->host, bytes[a]);
    double s0 = now_sec(), c0 = cpu_sec();
    tessel_call(i, args);
    double wall = now_sec() - s0, cpu = cpu_sec() - c0;
    if (cpu / wall >= 0.9 || wall < 20e-6 || tries > 2 * TESSEL_MAX_SAMPLES)
      samples[count++] = wall;
  }
  return count;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int64_t cache_bytes(int index) {
  char path[128], text[64];
  snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int64_t v = 0;
  if (fgets(text, sizeof text, f)) {
    char unit = 0;
    long n = 0;
    if (sscanf(text, "%ld%c", &n, &unit) >= 1)
      v = n * (unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : 1);
  }
  fclose(f);
  return v;
}

/* The fingerprint in the form tessel stores (db/Machine.h). */
static void print_machine(void) {
  struct utsname u;
  uname(&u);
  char cpu[128] = "unknown";
#if defined(__aarch64__)
  unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
  if (hw & (1ul << 11)) { /* HWCAP_CPUID: MIDR_EL1 is readable */
    uint64_t midr;
    __asm__ volatile("mrs %0, MIDR_EL1" : "=r"(midr));
    unsigned impl = (midr >> 24) & 0xff, part = (midr >> 4) & 0xfff;
    const char *name = impl != 0x41 ? 0 : part == 0xd0c ? "Neoverse N1"
                       : part == 0xd40 ? "Neoverse V1" : part == 0xd4f ? "Neoverse V2"
                       : part == 0xd49 ? "Neoverse N2" : 0;
    if (name) snprintf(cpu, sizeof cpu, "MIDR 0x%02x/0x%03x (%s)", impl, part, name);
    else snprintf(cpu, sizeof cpu, "MIDR 0x%02x/0x%03x", impl, part);
  }
  const char *isa[16];
  int n = 0;
  if (hw & (1ul << 1)) isa[n++] = "asimd";
  if (hw & (1ul << 20)) isa[n++] = "asimddp";
  if (hw & (1ul << 10)) isa[n++] = "asimdhp";
  if (hw & (1ul << 8)) isa[n++] = "atomics";
  if (hw2 & (1ul << 14)) isa[n++] = "bf16";
  if (hw & (1ul << 9)) isa[n++] = "fphp";
  if (hw2 & (1ul << 13)) isa[n++] = "i8mm";
  if (hw & (1ul << 22)) isa[n++] = "sve";
  if (hw2 & (1ul << 1)) isa[n++] = "sve2";
#else
  const char *isa[1];
  int n = 0;
#endif
  char os[128] = "";
  FILE *f = fopen("/etc/os-release", "r");
  if (f) {
    char line[256];
    while (fgets(line, sizeof line, f))
      if (!strncmp(line, "PRETTY_NAME=", 12)) {
        char *v = line + 12;
        v[strcspn(v, "\n")] = 0;
        if (*v == '"') { ++v; v[strcspn(v, "\"")] = 0; }
        snprintf(os, sizeof os, "%s", v);
      }
    fclose(f);
  }
  /* Under qemu-user, /proc/cpuinfo is the host's: an arm64 program that
   * finds no "CPU implementer" there (or an x86 vendor) is emulated. */
  int implementer = 0, x86 = 0;
  FILE *ci = fopen("/proc/cpuinfo", "r");
  if (ci) {
    char line[512];
    while (fgets(line, sizeof line, ci)) {
      if (!strncmp(line, "CPU implementer", 15)) implementer = 1;
      if (!strncmp(line, "vendor_id", 9)) x86 = 1;
    }
    fclose(ci);
  }
  int emulated = x86 || (!strcmp(u.machine, "aarch64") && !implementer);
  printf("{\"machine\": {\"arch\": \"%s\", \"cpu\": \"%s\", \"emulated\": %s, \"isa\": [",
         u.machine, cpu, emulated ? "true" : "false");
  for (int i = 0; i < n; ++i) printf("%s\"%s\"", i ? ", " : "", isa[i]);
  printf("], \"cores\": %ld, \"l1d\": %lld, \"l2\": %lld, \"l3\": %lld, \"os\": \"%s\"}}\n",
         sysconf(_SC_NPROCESSORS_ONLN), (long long)cache_bytes(0),
         (long long)cache_bytes(2), (long long)cache_bytes(3), os);
  fflush(stdout);
}

static double element(const void *p, int code, int bits, size_t i) {
  if (code == halide_type_float) return ((const float *)p)[i];
  if (code == halide_type_int && bits == 32) return ((const int32_t *)p)[i];
  if (code == halide_type_int && bits == 8) return ((const int8_t *)p)[i];
  return ((const uint8_t *)p)[i];
}

int main(int argc, char **argv) {
  int from = argc >= 3 && !strcmp(argv[1], "--from") ? atoi(argv[2]) : 0;
  /* Halide kernels run on a pool of TESSEL_THREADS threads (read at its first
   * use); MLIR code carries its thread count. */
  char threads[16];
  snprintf(threads, sizeof threads, "%d", TESSEL_THREADS);
  setenv("HL_NUM_THREADS", threads, 1);
  if (TESSEL_MEMORY_LIMIT_BYTES > 0) {
    struct rlimit lim = {(rlim_t)TESSEL_MEMORY_LIMIT_BYTES, (rlim_t)TESSEL_MEMORY_LIMIT_BYTES};
    setrlimit(RLIMIT_AS, &lim);
  }
  print_machine();
  if (TESSEL_NUM_CANDIDATES == 0) return 0;
  struct halide_buffer_t buffers[TESSEL_NUM_ARRAYS];
  struct halide_dimension_t dims[TESSEL_NUM_ARRAYS][8];
  struct halide_buffer_t *args[TESSEL_NUM_ARRAYS];
  size_t bytes[TESSEL_NUM_ARRAYS], offset = 0;
  for (int a = 0; a < TESSEL_NUM_ARRAYS; ++a) {
    const struct tessel_array *s = &tessel_arrays[a];
    size_t n = 1;
    int64_t stride = 1;
    for (int d = 0; d < s->rank; ++d) n *= (size_t)s->shape[d];
    for (int d = 0; d < s->rank; ++d) { /* Halide dims: innermost first */
      int64_t extent = s->shape[s->rank - 1 - d];
      dims[a][d].min = 0;
      dims[a][d].extent = (int32_t)extent;
      dims[a][d].stride = (int32_t)stride;
      dims[a][d].flags = 0;
      stride *= extent;
    }
    bytes[a] = n * (size_t)(s->bits / 8);
    memset(&buffers[a], 0, sizeof buffers[a]);
    buffers[a].host = aligned_alloc(64, (bytes[a] + 63) / 64 * 64);
    buffers[a].type.code = (uint8_t)s->code;
    buffers[a].type.bits = (uint8_t)s->bits;
    buffers[a].type.lanes = 1;
    buffers[a].dimensions = s->rank;
    buffers[a].dim = dims[a];
    args[a] = &buffers[a];
    if (a + 1 < TESSEL_NUM_ARRAYS) {
      memcpy(buffers[a].host, tessel_data + offset, bytes[a]);
      offset += bytes[a];
    }
  }
  const int out = TESSEL_NUM_ARRAYS - 1;
  const double *reference = (const double *)(tessel_data + offset);
  size_t outElements = bytes[out] / (size_t)(tessel_arrays[out].bits / 8);
  for (int i = from; i < TESSEL_NUM_CANDIDATES; ++i) {
    printf("{\"begin\": %d}\n", i);
    fflush(stdout);
    alarm(TESSEL_CANDIDATE_TIMEOUT_S);
    memset(buffers[out].host, 0xff, bytes[out]);
    int status = tessel_call(i, args);
    if (status != 0) {
      alarm(0);
      printf("{\"candidate\": %d, \"status\": \"failed\", \"error\": \"Halide error %d\"}\n", i,
             status);
      fflush(stdout);
      continue;
    }
    if (TESSEL_INJECT == 1) raise(SIGSEGV);
    if (TESSEL_INJECT == 2) abort();
    if (TESSEL_INJECT == 3) for (;;) pause();
    if (TESSEL_INJECT == 4) memset(buffers[out].host, 0x40, 4); /* 3.0 (f32) */
    if (TESSEL_INJECT == 5) for (;;) memset(malloc(1 << 28), 1, 1 << 28);
    double err = 0;
    for (size_t e = 0; e < outElements; ++e) {
      double d = fabs(element(buffers[out].host, tessel_arrays[out].code,
                              tessel_arrays[out].bits, e) - reference[e]);
      if (!(d <= err)) err = d; /* NaN propagates */
    }
    if (!(err <= TESSEL_TOLERANCE)) {
      alarm(0);
      printf("{\"candidate\": %d, \"status\": \"wrong\", \"max_error\": %.9g, "
             "\"error\": \"max error %.6g exceeds tolerance %.6g\"}\n", i, isnan(err) ? 1e308 : err, isnan(err) ? 1e308 : err,
             TESSEL_TOLERANCE);
      fflush(stdout);
      continue;
    }
    double samples[TESSEL_MAX_SAMPLES];
    int count = TESSEL_FLUSH_BYTES > 0 ? time_flushed(i, args, bytes, samples)
                                       : time_batched(i, args, samples);
    alarm(0);
    qsort(samples, count, sizeof samples[0], by_value);
    double median = samples[count / 2];
    double spread = (samples[(count * 9) / 10 < count ? (count * 9) / 10 : count - 1] -
                     samples[count / 10]) / median;
    printf("{\"candidate\": %d, \"status\": \"ok\", \"median_s\": %.9g, \"min_s\": %.9g, "
           "\"spread\": %.6g, \"repeats\": %d, \"max_error\": %.9g}\n",
           i, median, samples[0], spread, count, err);
    fflush(stdout);
  }
  return 0;
}
