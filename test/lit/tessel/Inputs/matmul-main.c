// Calls matmul-acc.mlir's compiled `mm` (C + A x B, 37x45 times 45x83) with
// A = 1, B = 2, C = 3: every element must be 3 + 45 * 2 = 93.
#include "model.h"

#include <stdio.h>

static float a[37 * 45], b[45 * 83], c[37 * 83], r[37 * 83];

int main(void) {
  for (int i = 0; i < 37 * 45; ++i)
    a[i] = 1;
  for (int i = 0; i < 45 * 83; ++i)
    b[i] = 2;
  for (int i = 0; i < 37 * 83; ++i)
    c[i] = 3;
  mm(a, b, c, r);
  for (int i = 0; i < 37 * 83; ++i)
    if (r[i] != 93) {
      printf("element %d is %g, not 93\n", i, r[i]);
      return 1;
    }
  printf("ok\n");
  return 0;
}
