/* forever: never returns. It must stop at its fuel limit, with the same digest every time. */
int main(void) {
    volatile unsigned long long spins = 0;
    for (;;) spins++;
}
