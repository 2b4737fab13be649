/* The allocator of code compiled by tessel: the buffers a model (or a tuning
 * candidate) allocates on each call come back from a small per-thread cache
 * of the blocks it freed, instead of malloc and free, which for large blocks
 * are mmap and munmap: a page fault per page on every call (a third of a
 * 28x28 convolution's time, measured).
 *
 * The tessel-compile pipeline lowers memref.alloc / dealloc to these two
 * functions (finalize-memref-to-llvm{use-generic-functions}); `tessel compile`
 * puts this file's object into libmodel.a. Each block carries its size in a
 * header; a thread keeps up to TESSEL_CACHE_BLOCKS freed blocks and at most
 * TESSEL_CACHE_BYTES, handing one back for a request of at most its size
 * and at least half of it; whatever a thread caches is freed when it exits.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define TESSEL_CACHE_BLOCKS 32
#define TESSEL_CACHE_BYTES ((size_t)1 << 30)
#define TESSEL_HEADER 64 /* keeps the block's alignment for vectors */

struct tessel_cache {
  void *block[TESSEL_CACHE_BLOCKS];
  size_t size[TESSEL_CACHE_BLOCKS];
  size_t bytes;
};

/* The OpenMP threads of parallel loops (--threads N), one per core. Left to
 * the scheduler, the two threads of a 2-core machine share one core in about
 * half the processes, and every parallel loop then waits for a time slice
 * (a 3 us kernel measured at 65 us, bimodally, process by process). Runs
 * before main, before the OpenMP runtime reads its environment; a user's
 * own OMP_PROC_BIND or OMP_PLACES is left as it is. */
__attribute__((constructor)) static void tessel_bind_threads(void) {
  if (!getenv("OMP_PROC_BIND") && !getenv("OMP_PLACES")) {
    setenv("OMP_PROC_BIND", "spread", 0);
    setenv("OMP_PLACES", "cores", 0);
  }
}

static pthread_key_t tessel_key;
static pthread_once_t tessel_once = PTHREAD_ONCE_INIT;

static void tessel_release(void *p) {
  struct tessel_cache *c = p;
  for (int i = 0; i < TESSEL_CACHE_BLOCKS; ++i)
    free(c->block[i]);
  free(c);
}

static void tessel_init(void) { pthread_key_create(&tessel_key, tessel_release); }

static struct tessel_cache *tessel_thread_cache(void) {
  pthread_once(&tessel_once, tessel_init);
  struct tessel_cache *c = pthread_getspecific(tessel_key);
  if (!c && (c = calloc(1, sizeof *c)))
    pthread_setspecific(tessel_key, c);
  return c;
}

void *_mlir_memref_to_llvm_alloc(size_t n) {
  struct tessel_cache *c = tessel_thread_cache();
  if (c) {
    int best = -1;
    for (int i = 0; i < TESSEL_CACHE_BLOCKS; ++i)
      if (c->block[i] && c->size[i] >= n && c->size[i] / 2 <= n &&
          (best < 0 || c->size[i] < c->size[best]))
        best = i;
    if (best >= 0) {
      char *b = c->block[best];
      c->block[best] = 0;
      c->bytes -= c->size[best];
      return b + TESSEL_HEADER;
    }
  }
  char *b = aligned_alloc(TESSEL_HEADER, (n + 2 * TESSEL_HEADER - 1) / TESSEL_HEADER * TESSEL_HEADER);
  if (!b)
    return 0;
  *(size_t *)b = n;
  return b + TESSEL_HEADER;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t n) {
  /* Blocks are 64-byte aligned; larger alignments are not requested. */
  (void)alignment;
  return _mlir_memref_to_llvm_alloc(n);
}

void _mlir_memref_to_llvm_free(void *p) {
  if (!p)
    return;
  char *b = (char *)p - TESSEL_HEADER;
  size_t n = *(size_t *)b;
  struct tessel_cache *c = tessel_thread_cache();
  if (c && c->bytes + n <= TESSEL_CACHE_BYTES)
    for (int i = 0; i < TESSEL_CACHE_BLOCKS; ++i)
      if (!c->block[i]) {
        c->block[i] = b;
        c->size[i] = n;
        c->bytes += n;
        return;
      }
  free(b);
}
