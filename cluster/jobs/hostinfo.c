/* hostinfo: prints what the job ABI lets a module see of its host: arguments, environment
 * size, the wall clock, the monotonic clock and 16 random bytes. Every validator must
 * print the same thing for the same job ID. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("argc %d argv0 %s\n", argc, argc > 0 ? argv[0] : "");
    int envc = 0;
    for (char **e = environ; e && *e; e++) envc++;
    printf("envc %d\n", envc);
    struct timespec wall, mono;
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    printf("realtime %lld.%09ld\nmonotonic %lld.%09ld\n", (long long)wall.tv_sec, wall.tv_nsec,
           (long long)mono.tv_sec, mono.tv_nsec);
    unsigned char bytes[16];
    if (getentropy(bytes, sizeof bytes) != 0) { printf("random unavailable\n"); return 1; }
    printf("random ");
    for (int i = 0; i < 16; i++) printf("%02x", bytes[i]);
    printf("\n");
    FILE *f = fopen("/etc/passwd", "r");
    printf("fopen %s\n", f ? "opened" : "refused");
    return 0;
}
