/* trap: writes a line, then executes `unreachable`. Used to test the trap outcome. */
#include <stdio.h>
int main(void) {
    printf("about to trap\n");
    fflush(stdout);
    __builtin_trap();
}
