/* A generic runner for models compiled by `tessel compile`: build with
 *   cc -O2 -include OUTDIR/model.h harness.c OUTDIR/libmodel.a -lpthread -lm -o run
 * It fills every input of every entry point with the same deterministic
 * values, runs the entry point, and writes all outputs (raw, in argument
 * order) to the file given; with `--bench N` it also times N calls (after
 * a warm-up of at least 200 ms) and prints the median and the spread in
 * milliseconds; with `--dump-inputs
 * PREFIX` it also writes each input to PREFIX.argN.bin (raw).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static size_t dtype_size(const char *d) {
  if (!strcmp(d, "f64") || !strcmp(d, "i64") || !strcmp(d, "u64")) return 8;
  if (!strcmp(d, "f32") || !strcmp(d, "i32") || !strcmp(d, "u32")) return 4;
  if (!strcmp(d, "f16") || !strcmp(d, "bf16") || !strcmp(d, "i16") || !strcmp(d, "u16")) return 2;
  return 1;
}

/* Input element i: a spread of values in [-1, 1) for floats, small integers
 * otherwise; the same on every machine. */
static void fill(void *p, const char *d, size_t n, unsigned seed) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t h = (uint32_t)(i * 2654435761u + seed * 40503u);
    h ^= h >> 13;
    int v = (int)(h % 2001) - 1000;
    if (!strcmp(d, "f32")) ((float *)p)[i] = v / 1000.0f;
    else if (!strcmp(d, "f64")) ((double *)p)[i] = v / 1000.0;
    else if (!strcmp(d, "i32")) ((int32_t *)p)[i] = v % 100;
    else if (!strcmp(d, "i64")) ((int64_t *)p)[i] = v % 100;
    else if (!strcmp(d, "i16")) ((int16_t *)p)[i] = (int16_t)(v % 100);
    else if (!strcmp(d, "i8")) ((int8_t *)p)[i] = (int8_t)(v % 100);
    else if (!strcmp(d, "u8")) ((uint8_t *)p)[i] = (uint8_t)(h % 256);
    else if (!strcmp(d, "i1")) ((uint8_t *)p)[i] = (uint8_t)(h & 1);
    else memset((char *)p + i * dtype_size(d), 0, dtype_size(d));
  }
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s OUTPUT.bin [--bench N] [--dump-inputs PREFIX]\n", argv[0]);
    return 2;
  }
  int bench = 0;
  const char *dump = NULL;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--bench")) bench = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--dump-inputs")) dump = argv[i + 1];
  }
  FILE *out = fopen(argv[1], "wb");
  if (!out) {
    perror(argv[1]);
    return 1;
  }
  for (int e = 0; e < tessel_num_entries; ++e) {
    const tessel_entry *entry = &tessel_entries[e];
    void *buffers[64];
    size_t sizes[64];
    if (entry->num_args > 64) return 1;
    for (int a = 0; a < entry->num_args; ++a) {
      const tessel_arg *arg = &entry->args[a];
      size_t n = 1;
      for (int d = 0; d < arg->rank; ++d) n *= (size_t)arg->shape[d];
      sizes[a] = n * dtype_size(arg->dtype);
      buffers[a] = aligned_alloc(64, (sizes[a] + 63) / 64 * 64);
      if (arg->is_output) memset(buffers[a], 0xff, sizes[a]);
      else fill(buffers[a], arg->dtype, n, (unsigned)a);
      if (dump && !arg->is_output) {
        char path[4096];
        snprintf(path, sizeof path, "%s.arg%d.bin", dump, a);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buffers[a], 1, sizes[a], f) != sizes[a]) {
          perror(path);
          return 1;
        }
        fclose(f);
      }
    }
    entry->call(buffers);
    for (int a = 0; a < entry->num_args; ++a)
      if (entry->args[a].is_output) fwrite(buffers[a], 1, sizes[a], out);
    if (bench > 0) {
      /* Warm-up, as in a serving process: at least 3 calls and 200 ms, so
       * that caches, page tables and the placement of OpenMP threads on
       * cores have settled before the timed calls. */
      double start = now_ms();
      for (int r = 0; r < 3 || now_ms() - start < 200; ++r) entry->call(buffers);
      double *t = malloc(sizeof(double) * bench);
      for (int r = 0; r < bench; ++r) {
        double t0 = now_ms();
        entry->call(buffers);
        t[r] = now_ms() - t0;
      }
      qsort(t, bench, sizeof(double), cmp_double);
      printf("%s: median %.4f ms (min %.4f, max %.4f, %d runs)\n", entry->name,
             t[bench / 2], t[0], t[bench - 1], bench);
      free(t);
    }
    for (int a = 0; a < entry->num_args; ++a) free(buffers[a]);
  }
  fclose(out);
  return 0;
}
