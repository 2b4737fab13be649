/* Calling a model compiled by `tessel compile` from C.
 *
 *   tessel compile resnet18.mlir --db schedules.db --target host -o r18
 *   cc -O2 -I r18 resnet18.c r18/libmodel.a -lpthread -ldl -lm -o resnet18
 *   ./resnet18
 *
 * A model compiled with `--threads N` also links LLVM's OpenMP runtime:
 *   ... r18/libmodel.a -L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib ...
 *
 * model.h declares `forward` (plain pointers, shapes in its comment) and
 * `forward_checked` (the same, with a shape per buffer). This program feeds
 * one 1x3x32x32 image, prints the five highest of the 1000 scores, and the
 * median latency of 100 calls after 200 ms of warm-up.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(void) {
  static float image[1 * 3 * 32 * 32], scores[1 * 1000];
  const int64_t image_shape[] = {1, 3, 32, 32}, scores_shape[] = {1, 1000};
  for (int i = 0; i < 3 * 32 * 32; ++i) /* a smooth test pattern */
    image[i] = (float)((i * 37) % 255) / 255.0f - 0.5f;
  if (forward_checked(image, image_shape, scores, scores_shape) != 0) {
    fprintf(stderr, "shape mismatch: this program is for resnet18 at 1x3x32x32\n");
    return 1;
  }
  int top[5] = {-1, -1, -1, -1, -1};
  for (int k = 0; k < 5; ++k)
    for (int c = 0; c < 1000; ++c) {
      int taken = 0;
      for (int j = 0; j < k; ++j) taken |= top[j] == c;
      if (!taken && (top[k] < 0 || scores[c] > scores[top[k]])) top[k] = c;
    }
  printf("top-5 classes:");
  for (int k = 0; k < 5; ++k) printf(" %d (%.5f)", top[k], scores[top[k]]);
  /* Warm-up, as a serving process would be: 200 ms of calls. */
  for (double start = now_ms(); now_ms() - start < 200;) forward(image, scores);
  double t[100];
  for (int r = 0; r < 100; ++r) {
    double t0 = now_ms();
    forward(image, scores);
    t[r] = now_ms() - t0;
  }
  qsort(t, 100, sizeof t[0], by_value);
  printf("\nlatency: median %.3f ms over 100 calls (min %.3f)\n", t[50], t[0]);
  return 0;
}
