/* randloop: asks the host for 1 MiB of random bytes, forever. Host calls are charged fuel
 * by the bytes they move (docs/JOBS.md), so this stops at its fuel limit quickly instead
 * of running for a long time on a few fuel units per call. */
#include <stdint.h>
#include <wasi/api.h>

static uint8_t buffer[1 << 20];

int main(void) {
    for (;;)
        if (__wasi_random_get(buffer, sizeof buffer) != 0) return 1;
}
