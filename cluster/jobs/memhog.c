/* memhog: allocates and fills 1 MiB blocks until malloc fails, then aborts. Under the
 * job's memory limit this ends as `outOfMemory`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *volatile blocks[4096];

int main(void) {
    for (unsigned long i = 0; i < 4096; i++) {
        char *p = malloc(1 << 20);
        if (p == NULL) {
            fprintf(stderr, "malloc failed after %lu MiB\n", i);
            abort();
        }
        memset(p, (int)i + 1, 1 << 20);
        blocks[i] = p;
    }
    printf("allocated 4 GiB?\n");
    return 0;
}
