#include <stddef.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

// What malloc holds, for the node's memory gauges. glibc's mallinfo2 sums every arena
// (it walks them under their locks, so it is read once a minute, not per request).
// Returns 0 where the libc offers no such count (musl), leaving the outputs untouched.
static inline int poe_heap_usage(size_t *in_use, size_t *held) {
#ifdef __GLIBC__
    struct mallinfo2 info = mallinfo2();
    *in_use = info.uordblks + info.hblkhd;
    *held = info.arena + info.hblkhd;
    return 1;
#else
    (void)in_use;
    (void)held;
    return 0;
#endif
}
