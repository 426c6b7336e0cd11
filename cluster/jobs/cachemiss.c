/* cachemiss: plain instructions at their slowest. Walks a random cycle through an array of
 * N MiB (input: "N"), one dependent load per step, so nearly every load misses the caches
 * once the array is larger than them. No host calls: this is the limit of what fuel prices
 * can bound, since WasmKit charges every load the same (docs/PERFORMANCE.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
    char line[32] = {0};
    if (read(0, line, sizeof line - 1) <= 0) { fprintf(stderr, "cachemiss: no size\n"); return 2; }
    long mib = strtol(line, NULL, 10);
    if (mib <= 0 || mib > 512) return 2;
    uint32_t count = (uint32_t)(mib << 20) / sizeof(uint32_t);
    uint32_t *next = malloc((size_t)count * sizeof(uint32_t));
    if (next == NULL) { fprintf(stderr, "cachemiss: malloc failed\n"); return 1; }
    /* Sattolo's shuffle with a fixed xorshift seed: one cycle through every slot. */
    for (uint32_t i = 0; i < count; i++) next[i] = i;
    uint32_t state = 2463534242u;
    for (uint32_t i = count - 1; i > 0; i--) {
        state ^= state << 13; state ^= state >> 17; state ^= state << 5;
        uint32_t j = state % i;
        uint32_t t = next[i]; next[i] = next[j]; next[j] = t;
    }
    fprintf(stderr, "cachemiss: walking %ld MiB\n", mib);
    /* The store to `sink` keeps the walk from being optimized away; it always hits the cache. */
    static volatile uint32_t sink __attribute__((unused));
    for (uint32_t at = 0;; at = next[at]) sink = at;
}
