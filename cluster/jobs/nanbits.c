/* nanbits: computes, from operands read at run time (so the compiler cannot fold them),
 * every floating-point operation whose NaN result WebAssembly leaves open, and prints the
 * result's bits. Under the deterministic profile every line shows the canonical NaN:
 * f64 7ff8000000000000, f32 7fc00000. On a host that does not canonicalize, x86 prints
 * fff8000000000000 for 0/0 and ARM 7ff8000000000000.
 *
 * Input (nanbits-input.txt): "0 -1 inf -inf <f64 NaN bits> <f32 NaN bits>", the NaN bits in hex,
 * e.g. a signaling NaN with a payload, which operations may propagate. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bits64(const char *name, double v) {
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    printf("%-24s %016llx\n", name, (unsigned long long)b);
}

static void bits32(const char *name, float v) {
    uint32_t b;
    memcpy(&b, &v, sizeof b);
    printf("%-24s %08x\n", name, (unsigned)b);
}

int main(void) {
    char text[256] = {0};
    ssize_t n = read(0, text, sizeof text - 1);
    if (n <= 0) { fprintf(stderr, "nanbits: no input\n"); return 2; }
    char *p = text;
    double zero = strtod(p, &p), minus_one = strtod(p, &p), inf = strtod(p, &p), minus_inf = strtod(p, &p);
    uint64_t payload64 = strtoull(p, &p, 16);
    uint32_t payload32 = (uint32_t)strtoul(p, &p, 16);
    double nan64;
    float nan32;
    memcpy(&nan64, &payload64, sizeof nan64);
    memcpy(&nan32, &payload32, sizeof nan32);
    float zerof = (float)zero, minus_onef = (float)minus_one, inff = (float)inf, minus_inff = (float)minus_inf;

    bits64("f64.div 0/0", zero / zero);
    bits64("f64.sqrt -1", sqrt(minus_one));
    bits64("f64.add inf+-inf", inf + minus_inf);
    bits64("f64.sub inf-inf", inf - inf);
    bits64("f64.mul 0*inf", zero * inf);
    bits64("f64.add nan+1", nan64 + 1.0);
    bits64("f64.min nan,1", __builtin_wasm_min_f64(nan64, 1.0));
    bits64("f64.max nan,1", __builtin_wasm_max_f64(nan64, 1.0));
    bits64("f64.ceil nan", ceil(nan64));
    bits64("f64.floor nan", floor(nan64));
    bits64("f64.trunc nan", trunc(nan64));
    bits64("f64.nearest nan", nearbyint(nan64));
    bits64("f64.promote_f32 nan", (double)nan32);
    bits64("libm log -1", log(minus_one));

    bits32("f32.div 0/0", zerof / zerof);
    bits32("f32.sqrt -1", sqrtf(minus_onef));
    bits32("f32.add inf+-inf", inff + minus_inff);
    bits32("f32.sub inf-inf", inff - inff);
    bits32("f32.mul 0*inf", zerof * inff);
    bits32("f32.add nan+1", nan32 + 1.0f);
    bits32("f32.min nan,1", __builtin_wasm_min_f32(nan32, 1.0f));
    bits32("f32.max nan,1", __builtin_wasm_max_f32(nan32, 1.0f));
    bits32("f32.ceil nan", ceilf(nan32));
    bits32("f32.floor nan", floorf(nan32));
    bits32("f32.trunc nan", truncf(nan32));
    bits32("f32.nearest nan", nearbyintf(nan32));
    bits32("f32.demote_f64 nan", (float)nan64);
    bits32("libm logf -1", logf(minus_onef));
    return 0;
}
