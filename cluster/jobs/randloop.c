/* randloop: asks the host for 1 MiB of random bytes, forever, until its fuel runs out.
 * Each call is priced by the bytes it asks for (docs/JOBS.md, "Fuel prices": 16.8 million
 * fuel a call under poe-wasm/2), so it runs about as long per unit of fuel as plain
 * instructions: 0.2 s on 10^8 fuel. Under the old price (64 a call, one per 16 bytes) it
 * took 4.6-10.6 s on 10^7 fuel and 72 s on 10^8: it did not stop "quickly". */
#include <stdint.h>
#include <wasi/api.h>

static uint8_t buffer[1 << 20];

int main(void) {
    for (;;)
        if (__wasi_random_get(buffer, sizeof buffer) != 0) return 1;
}
