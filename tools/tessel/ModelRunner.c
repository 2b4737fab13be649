/* The program `tessel run` builds against a compiled model: compiled with
 * `-include OUTDIR/model.h` and linked with OUTDIR/libmodel.a. It runs one
 * entry point on .npy inputs (or seeded random ones), writes its outputs as
 * .npy, times it, and compares an output with a reference.
 *
 *   run [--entry NAME] [--input ARG=FILE.npy]... [--output [ARG=]FILE.npy]...
 *       [--seed N] [--bench N] [--compare [ARG=]FILE.npy]...
 *
 * ARG is an argument name of model.h ("arg0", "result0"); without it, the
 * first output. Exit status: 0, 1 on an error (one line on stderr). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ARGS 64
#define MAX_FILES 64

static int fail(const char *fmt, const char *a, const char *b) {
  fprintf(stderr, "tessel: error: ");
  fprintf(stderr, fmt, a, b);
  fprintf(stderr, "\n");
  exit(1);
}

/* tessel dtype -> bytes and numpy descr. */
static const struct {
  const char *dtype, *descr;
  size_t size;
} kTypes[] = {
    {"f32", "<f4", 4}, {"f64", "<f8", 8}, {"f16", "<f2", 2}, {"i64", "<i8", 8},
    {"i32", "<i4", 4}, {"i16", "<i2", 2}, {"i8", "|i1", 1},  {"u64", "<u8", 8},
    {"u32", "<u4", 4}, {"u16", "<u2", 2}, {"u8", "|u1", 1},  {"i1", "|b1", 1},
};

static int type_index(const char *dtype) {
  for (size_t i = 0; i < sizeof kTypes / sizeof kTypes[0]; ++i)
    if (!strcmp(kTypes[i].dtype, dtype))
      return (int)i;
  return -1;
}

static size_t elements(const tessel_arg *a) {
  size_t n = 1;
  for (int d = 0; d < a->rank; ++d)
    n *= (size_t)a->shape[d];
  return n;
}

static void shape_text(const tessel_arg *a, char *buf, size_t size) {
  size_t used = 0;
  buf[0] = 0;
  for (int d = 0; d < a->rank && used + 24 < size; ++d)
    used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? "x" : "",
                             (long long)a->shape[d]);
  if (a->rank == 0)
    snprintf(buf, size, "scalar");
}

/* The .npy header's dict: 'descr', 'fortran_order' and 'shape'. */
static void read_npy(const char *path, const tessel_arg *a, void *data,
                     size_t bytes) {
  FILE *f = fopen(path, "rb");
  if (!f)
    fail("%s: %s", path, strerror(errno));
  unsigned char magic[10];
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "\x93NUMPY", 6))
    fail("%s: not a .npy file%s", path, "");
  size_t len = 0;
  if (magic[6] == 1) {
    if (fread(magic + 8, 1, 2, f) != 2)
      fail("%s: truncated .npy header%s", path, "");
    len = magic[8] | (size_t)magic[9] << 8;
  } else {
    unsigned char l[4];
    if (fread(l, 1, 4, f) != 4)
      fail("%s: truncated .npy header%s", path, "");
    len = l[0] | (size_t)l[1] << 8 | (size_t)l[2] << 16 | (size_t)l[3] << 24;
  }
  if (len > 1 << 20)
    fail("%s: .npy header too long%s", path, "");
  char *h = calloc(len + 1, 1);
  if (!h || fread(h, 1, len, f) != len)
    fail("%s: truncated .npy header%s", path, "");
  int t = type_index(a->dtype);
  const char *descr = strstr(h, "'descr':");
  if (t < 0 || !descr || !strstr(descr, kTypes[t].descr))
    fail("%s: the element type is not the model's %s", path, a->dtype);
  if (strstr(h, "'fortran_order': True"))
    fail("%s: Fortran order; save a C-contiguous array%s", path, "");
  const char *s = strstr(h, "'shape':");
  s = s ? strchr(s, '(') : NULL;
  if (!s)
    fail("%s: no shape in the .npy header%s", path, "");
  int rank = 0;
  long long dims[16];
  for (++s; *s && *s != ')' && rank < 16;) {
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s) {
      ++s;
      continue;
    }
    dims[rank++] = v;
    s = end;
  }
  int same = rank == a->rank;
  for (int d = 0; same && d < rank; ++d)
    same = dims[d] == a->shape[d];
  if (!same) {
    char want[256];
    shape_text(a, want, sizeof want);
    fail("%s: the array's shape is not the model's %s", path, want);
  }
  if (fread(data, 1, bytes, f) != bytes)
    fail("%s: fewer elements than the shape says%s", path, "");
  free(h);
  fclose(f);
}

static void write_npy(const char *path, const tessel_arg *a, const void *data,
                      size_t bytes) {
  int t = type_index(a->dtype);
  char dict[512], shape[256] = "";
  size_t used = 0;
  for (int d = 0; d < a->rank; ++d)
    used += (size_t)snprintf(shape + used, sizeof shape - used, "%lld,%s",
                             (long long)a->shape[d],
                             a->rank > 1 && d + 1 < a->rank ? " " : "");
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                   kTypes[t].descr, shape);
  /* Magic, version, length and dict padded with spaces to 64 bytes, '\n' last.
   */
  int total = (10 + n + 1 + 63) / 64 * 64;
  int pad = total - 10 - n - 1;
  FILE *f = fopen(path, "wb");
  if (!f)
    fail("%s: %s", path, strerror(errno));
  unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
  head[8] = (unsigned char)((total - 10) & 0xff);
  head[9] = (unsigned char)((total - 10) >> 8);
  int ok = fwrite(head, 1, 10, f) == 10 &&
           fwrite(dict, 1, (size_t)n, f) == (size_t)n;
  for (int i = 0; ok && i < pad; ++i)
    ok = fputc(' ', f) != EOF;
  ok = ok && fputc('\n', f) != EOF && fwrite(data, 1, bytes, f) == bytes;
  if (fclose(f) != 0 || !ok)
    fail("%s: cannot write (%s)", path, strerror(errno));
}

/* Seeded values: floats in [-1, 1), small integers otherwise. */
static void fill_random(void *p, const tessel_arg *a, uint64_t seed) {
  size_t n = elements(a);
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double u = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
    const char *d = a->dtype;
    if (!strcmp(d, "f32"))
      ((float *)p)[i] = (float)(2 * u - 1);
    else if (!strcmp(d, "f64"))
      ((double *)p)[i] = 2 * u - 1;
    else if (!strcmp(d, "i32"))
      ((int32_t *)p)[i] = (int32_t)(u * 200) - 100;
    else if (!strcmp(d, "i64"))
      ((int64_t *)p)[i] = (int64_t)(u * 200) - 100;
    else if (!strcmp(d, "i8"))
      ((int8_t *)p)[i] = (int8_t)((int)(u * 256) - 128);
    else if (!strcmp(d, "u8"))
      ((uint8_t *)p)[i] = (uint8_t)(u * 256);
    else if (!strcmp(d, "i1"))
      ((uint8_t *)p)[i] = (uint8_t)(u < 0.5);
    else
      memset((char *)p + i * kTypes[type_index(d)].size, 0,
             kTypes[type_index(d)].size);
  }
}

static double value(const void *p, const char *dtype, size_t i) {
  if (!strcmp(dtype, "f32"))
    return ((const float *)p)[i];
  if (!strcmp(dtype, "f64"))
    return ((const double *)p)[i];
  if (!strcmp(dtype, "i32"))
    return ((const int32_t *)p)[i];
  if (!strcmp(dtype, "i64"))
    return (double)((const int64_t *)p)[i];
  if (!strcmp(dtype, "i8"))
    return ((const int8_t *)p)[i];
  if (!strcmp(dtype, "u8") || !strcmp(dtype, "i1"))
    return ((const uint8_t *)p)[i];
  return NAN;
}

static void compare(const char *path, const tessel_arg *a, const void *got,
                    size_t bytes) {
  void *want = malloc(bytes ? bytes : 1);
  read_npy(path, a, want, bytes);
  double max_abs = 0, max_rel = 0;
  size_t n = elements(a), bad = 0;
  for (size_t i = 0; i < n; ++i) {
    double x = value(got, a->dtype, i), y = value(want, a->dtype, i);
    double e = fabs(x - y);
    if (isnan(x) != isnan(y) || (e > 1e-7 + 1e-3 * fabs(y)))
      ++bad;
    if (e > max_abs || isnan(e))
      max_abs = e;
    if (y != 0 && e / fabs(y) > max_rel)
      max_rel = e / fabs(y);
  }
  printf("compare %s with %s: max abs error %.3g, max rel error %.3g, %zu of "
         "%zu outside "
         "rtol 1e-3 atol 1e-7\n",
         a->name, path, max_abs, max_rel, bad, n);
  free(want);
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Warm-up as in a serving process (3 calls and 200 ms), then N timed calls. */
static void bench(const tessel_entry *e, void **buffers, int n) {
  double start = now_ms();
  for (int r = 0; r < 3 || now_ms() - start < 200; ++r)
    e->call(buffers);
  double *t = malloc(sizeof(double) * (size_t)n);
  for (int r = 0; r < n; ++r) {
    double t0 = now_ms();
    e->call(buffers);
    t[r] = now_ms() - t0;
  }
  qsort(t, (size_t)n, sizeof(double), by_value);
  printf("latency: median %.4f ms, min %.4f ms over %d calls (after a 200 ms "
         "warm-up)\n",
         t[n / 2], t[0], n);
  free(t);
}

/* "ARG=FILE": the argument it names; "FILE": the first output. */
static int named(const tessel_entry *e, const char *spec, const char **file,
                 int wantOutput) {
  const char *eq = strchr(spec, '=');
  for (int a = 0; eq && a < e->num_args; ++a)
    if (strlen(e->args[a].name) == (size_t)(eq - spec) &&
        !strncmp(e->args[a].name, spec, (size_t)(eq - spec))) {
      if (e->args[a].is_output != wantOutput)
        fail("`%s` is %s of the entry point", e->args[a].name,
             wantOutput ? "an input, not an output"
                        : "an output, not an input");
      *file = eq + 1;
      return a;
    }
  if (eq) {
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(eq - spec), spec);
    fail("the entry point has no argument `%s`%s", name, "");
  }
  if (!wantOutput)
    fail("--input %s: give ARG=FILE.npy", spec, "");
  for (int a = 0; a < e->num_args; ++a)
    if (e->args[a].is_output) {
      *file = spec;
      return a;
    }
  return fail("the entry point has no output%s%s", "", "");
}

int main(int argc, char **argv) {
  const char *entryName = NULL, *inputs[MAX_FILES], *outputs[MAX_FILES],
             *refs[MAX_FILES];
  int nIn = 0, nOut = 0, nRef = 0, n = 0;
  uint64_t seed = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *flag = argv[i], *v = argv[i + 1];
    if (!strcmp(flag, "--entry"))
      entryName = v;
    else if (!strcmp(flag, "--input") && nIn < MAX_FILES)
      inputs[nIn++] = v;
    else if (!strcmp(flag, "--output") && nOut < MAX_FILES)
      outputs[nOut++] = v;
    else if (!strcmp(flag, "--compare") && nRef < MAX_FILES)
      refs[nRef++] = v;
    else if (!strcmp(flag, "--seed"))
      seed = strtoull(v, NULL, 10);
    else if (!strcmp(flag, "--bench"))
      n = atoi(v);
    else
      fail("unknown runner flag %s%s", flag, "");
  }
  const tessel_entry *e = &tessel_entries[0];
  for (int i = 0; entryName && i < tessel_num_entries; ++i)
    if (!strcmp(tessel_entries[i].name, entryName))
      e = &tessel_entries[i];
  if (entryName && strcmp(e->name, entryName))
    fail("the model has no entry point `%s`%s", entryName, "");
  if (e->num_args > MAX_ARGS)
    fail("entry point %s has too many arguments%s", e->name, "");
  void *buffers[MAX_ARGS];
  const char *from[MAX_ARGS] = {0};
  size_t bytes[MAX_ARGS];
  for (int i = 0; i < nIn; ++i) {
    const char *file;
    from[named(e, inputs[i], &file, 0)] = file;
  }
  for (int a = 0; a < e->num_args; ++a) {
    const tessel_arg *arg = &e->args[a];
    if (type_index(arg->dtype) < 0)
      fail("argument %s has element type %s, which tessel run cannot fill",
           arg->name, arg->dtype);
    bytes[a] = elements(arg) * kTypes[type_index(arg->dtype)].size;
    buffers[a] = aligned_alloc(64, (bytes[a] + 63) / 64 * 64);
    if (!buffers[a])
      fail("out of memory for argument %s%s", arg->name, "");
    char shape[256];
    shape_text(arg, shape, sizeof shape);
    if (arg->is_output) {
      memset(buffers[a], 0, bytes[a]);
      continue;
    }
    if (from[a]) {
      read_npy(from[a], arg, buffers[a], bytes[a]);
      printf("input %s %s %s: %s\n", arg->name, arg->dtype, shape, from[a]);
    } else {
      fill_random(buffers[a], arg, seed + (uint64_t)a);
      printf("input %s %s %s: random (seed %llu)\n", arg->name, arg->dtype,
             shape, (unsigned long long)(seed + (uint64_t)a));
    }
  }
  const char *to[MAX_ARGS] = {0};
  for (int i = 0; i < nOut; ++i) {
    const char *file;
    int a = named(e, outputs[i], &file, 1);
    to[a] = file;
  }
  e->call(buffers);
  for (int a = 0; a < e->num_args; ++a) {
    const tessel_arg *arg = &e->args[a];
    if (!arg->is_output)
      continue;
    char shape[256];
    shape_text(arg, shape, sizeof shape);
    if (to[a])
      write_npy(to[a], arg, buffers[a], bytes[a]);
    printf("output %s %s %s%s%s\n", arg->name, arg->dtype, shape,
           to[a] ? ": " : "", to[a] ? to[a] : "");
  }
  for (int i = 0; i < nRef; ++i) {
    const char *file;
    int a = named(e, refs[i], &file, 1);
    compare(file, &e->args[a], buffers[a], bytes[a]);
  }
  if (n > 0)
    bench(e, buffers, n);
  for (int a = 0; a < e->num_args; ++a)
    free(buffers[a]);
  return 0;
}
