/* build-jobs: -mbulk-memory
 * bulkmem: memory.fill or memory.copy of N bytes in a loop, forever. WasmKit prices these
 * itself, one unit per operator and one more per 64 bytes, which buys 2 to 8 times the wall
 * time of plain instructions per unit (docs/PERFORMANCE.md): so poe-wasm/2 refuses the bulk
 * copies, and this module is an invalid module under it. `scripts/bench-fuel --poe` runs it
 * under an older build to show why.
 *
 * Input: "<mode> <n>". Modes:
 *   fill N    memory.fill of N bytes
 *   copy N    memory.copy of N bytes (overlapping, as memmove) */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uint8_t area[(1 << 24) + 64];

int main(void) {
    char line[64] = {0};
    if (read(0, line, sizeof line - 1) <= 0) { fprintf(stderr, "bulkmem: no mode\n"); return 2; }
    char mode[16] = {0};
    long n = 0;
    if (sscanf(line, "%15s %ld", mode, &n) != 2 || n < 0 || n > 1 << 24) return 2;
    if (!strcmp(mode, "fill")) {
        for (int value = 0;; value++) __builtin_memset(area, value, (uint32_t)n);
    }
    if (!strcmp(mode, "copy")) {
        for (;;) __builtin_memmove(area, area + 64, (uint32_t)n);
    }
    fprintf(stderr, "bulkmem: unknown mode %s\n", mode);
    return 2;
}
