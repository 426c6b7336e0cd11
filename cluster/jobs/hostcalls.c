/* build-jobs: -mreference-types
 * hostcalls: calls one host function in a loop, forever, so that `scripts/bench-fuel` can
 * measure the wall time a unit of fuel buys for each kind of host call, against a plain
 * instruction loop. Every mode is a worst case for its price: the most host work per fuel
 * unit the job ABI allows.
 *
 * Input: "<mode> <n>", for example "random 1048576" or "fn 12". Modes:
 *   random N   random_get of N bytes
 *   stdout N   fd_write of N bytes to stdout (ends with outputTooLarge at the output limit)
 *   stderr N   fd_write of N bytes to stderr (kept up to the log limit, then dropped)
 *   iovecs N   fd_write to stderr of N empty buffers (host work, no bytes)
 *   read N     fd_read of N bytes from stdin, after this line; exits at the end of input
 *   path N     path_open of an N-byte path (no directory is open: EBADF, after the path is read)
 *   grow N     memory.grow by N pages, a store into every 4 KiB of them; exits when refused
 *   table N    table.grow of an externref table by N elements until refused (the table cap),
 *              then table.grow by 0 forever: WasmKit copies the whole table on every grow
 *   fn K       the K-th of the other WASI functions (table below), with arguments that fail
 *              fast (fd 99, empty buffers); K = -1 prints the table size
 * The loop never ends on its own except where said: the run stops at its fuel limit. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static uint8_t buffer[1 << 20];
static __wasi_iovec_t iovecs[1 << 16];
static char path[1 << 20];
static volatile uint32_t sink;
static __externref_t table[0];

/* Not in wasi-libc's header (it was dropped from WASI), but still a preview-1 import. */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) int32_t wasi_proc_raise(int32_t);

/* Each call's result is stored to `sink`, so the call cannot be left out. */
static void f_args(void) { __wasi_size_t a, b; sink = __wasi_args_sizes_get(&a, &b); sink = __wasi_args_get((uint8_t **)buffer, buffer + 64); }
static void f_environ(void) { __wasi_size_t a, b; sink = __wasi_environ_sizes_get(&a, &b); sink = __wasi_environ_get((uint8_t **)buffer, buffer + 64); }
static void f_clock_res(void) { __wasi_timestamp_t t; sink = __wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &t); }
static void f_clock_time(void) { __wasi_timestamp_t t; sink = __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t); }
static void f_advise(void) { sink = __wasi_fd_advise(99, 0, 0, __WASI_ADVICE_NORMAL); }
static void f_allocate(void) { sink = __wasi_fd_allocate(99, 0, 0); }
static void f_close(void) { sink = __wasi_fd_close(99); }
static void f_datasync(void) { sink = __wasi_fd_datasync(99); }
static void f_fdstat(void) { __wasi_fdstat_t s; sink = __wasi_fd_fdstat_get(1, &s); }
static void f_set_flags(void) { sink = __wasi_fd_fdstat_set_flags(99, 0); }
static void f_set_rights(void) { sink = __wasi_fd_fdstat_set_rights(99, 0, 0); }
static void f_filestat(void) { __wasi_filestat_t s; sink = __wasi_fd_filestat_get(1, &s); }
static void f_set_size(void) { sink = __wasi_fd_filestat_set_size(99, 0); }
static void f_set_times(void) { sink = __wasi_fd_filestat_set_times(99, 0, 0, 0); }
static void f_pread(void) { __wasi_size_t n; sink = __wasi_fd_pread(0, iovecs, 0, 0, &n); }
static void f_prestat_dir_name(void) { sink = __wasi_fd_prestat_dir_name(3, buffer, 0); }
static void f_prestat(void) { __wasi_prestat_t p; sink = __wasi_fd_prestat_get(3, &p); }
static void f_pwrite(void) { __wasi_size_t n; sink = __wasi_fd_pwrite(1, (const __wasi_ciovec_t *)iovecs, 0, 0, &n); }
static void f_readdir(void) { __wasi_size_t n; sink = __wasi_fd_readdir(99, buffer, 0, 0, &n); }
static void f_renumber(void) { sink = __wasi_fd_renumber(99, 98); }
static void f_seek(void) { __wasi_filesize_t o; sink = __wasi_fd_seek(0, 0, __WASI_WHENCE_CUR, &o); }
static void f_sync(void) { sink = __wasi_fd_sync(99); }
static void f_tell(void) { __wasi_filesize_t o; sink = __wasi_fd_tell(0, &o); }
static void f_mkdir(void) { sink = __wasi_path_create_directory(99, "d"); }
static void f_path_filestat(void) { __wasi_filestat_t s; sink = __wasi_path_filestat_get(99, 0, "d", &s); }
static void f_path_set_times(void) { sink = __wasi_path_filestat_set_times(99, 0, "d", 0, 0, 0); }
static void f_link(void) { sink = __wasi_path_link(99, 0, "d", 99, "e"); }
static void f_open(void) { __wasi_fd_t fd; sink = __wasi_path_open(99, 0, "d", 0, 0, 0, 0, &fd); }
static void f_readlink(void) { __wasi_size_t n; sink = __wasi_path_readlink(99, "d", buffer, 0, &n); }
static void f_rmdir(void) { sink = __wasi_path_remove_directory(99, "d"); }
static void f_rename(void) { sink = __wasi_path_rename(99, "d", 99, "e"); }
static void f_symlink(void) { sink = __wasi_path_symlink("d", 99, "e"); }
static void f_unlink(void) { sink = __wasi_path_unlink_file(99, "d"); }
static void f_poll(void) { __wasi_size_t n; sink = __wasi_poll_oneoff((const __wasi_subscription_t *)buffer, (__wasi_event_t *)(buffer + 4096), 0, &n); }
static void f_raise(void) { sink = (uint32_t)wasi_proc_raise(0); }
static void f_yield(void) { sink = __wasi_sched_yield(); }
static void f_accept(void) { __wasi_fd_t fd; sink = __wasi_sock_accept(99, 0, &fd); }
static void f_recv(void) { __wasi_size_t n; __wasi_roflags_t f; sink = __wasi_sock_recv(99, iovecs, 0, 0, &n, &f); }
static void f_send(void) { __wasi_size_t n; sink = __wasi_sock_send(99, (const __wasi_ciovec_t *)iovecs, 0, 0, &n); }
static void f_shutdown(void) { sink = __wasi_sock_shutdown(99, __WASI_SDFLAGS_RD); }

static const struct { const char *name; void (*call)(void); } functions[] = {
    {"args_sizes_get+args_get", f_args}, {"environ_sizes_get+environ_get", f_environ},
    {"clock_res_get", f_clock_res}, {"clock_time_get", f_clock_time}, {"fd_advise", f_advise},
    {"fd_allocate", f_allocate}, {"fd_close", f_close}, {"fd_datasync", f_datasync},
    {"fd_fdstat_get", f_fdstat}, {"fd_fdstat_set_flags", f_set_flags},
    {"fd_fdstat_set_rights", f_set_rights}, {"fd_filestat_get", f_filestat},
    {"fd_filestat_set_size", f_set_size}, {"fd_filestat_set_times", f_set_times},
    {"fd_pread", f_pread}, {"fd_prestat_dir_name", f_prestat_dir_name}, {"fd_prestat_get", f_prestat},
    {"fd_pwrite", f_pwrite}, {"fd_readdir", f_readdir}, {"fd_renumber", f_renumber},
    {"fd_seek", f_seek}, {"fd_sync", f_sync}, {"fd_tell", f_tell},
    {"path_create_directory", f_mkdir}, {"path_filestat_get", f_path_filestat},
    {"path_filestat_set_times", f_path_set_times}, {"path_link", f_link}, {"path_open", f_open},
    {"path_readlink", f_readlink}, {"path_remove_directory", f_rmdir}, {"path_rename", f_rename},
    {"path_symlink", f_symlink}, {"path_unlink_file", f_unlink}, {"poll_oneoff", f_poll},
    {"proc_raise", f_raise}, {"sched_yield", f_yield}, {"sock_accept", f_accept},
    {"sock_recv", f_recv}, {"sock_send", f_send}, {"sock_shutdown", f_shutdown},
};

/* Reads the mode line one byte at a time, so that in `read` mode the rest of stdin is left. */
static int read_line(char *line, int size) {
    int used = 0;
    while (used < size - 1 && read(0, line + used, 1) == 1 && line[used] != '\n') used++;
    line[used] = 0;
    return used;
}

int main(void) {
    char line[64];
    if (read_line(line, sizeof line) == 0) { fprintf(stderr, "hostcalls: no mode\n"); return 2; }
    char mode[16] = {0};
    long n = 0;
    if (sscanf(line, "%15s %ld", mode, &n) < 1) return 2;
    uint32_t size = n < 0 ? 0 : (uint32_t)n;
    if (!strcmp(mode, "random")) {
        if (size > sizeof buffer) return 2;
        for (;;) sink = __wasi_random_get(buffer, size);
    }
    if (!strcmp(mode, "stdout") || !strcmp(mode, "stderr")) {
        if (size > sizeof buffer) return 2;
        __wasi_ciovec_t iov = {buffer, size};
        __wasi_size_t written;
        __wasi_fd_t fd = mode[3] == 'o' ? 1 : 2;
        for (;;) if (__wasi_fd_write(fd, &iov, 1, &written) != 0) return 1;
    }
    if (!strcmp(mode, "iovecs")) {
        if (size > sizeof iovecs / sizeof iovecs[0]) return 2;
        __wasi_size_t written;
        for (;;) sink = __wasi_fd_write(2, (const __wasi_ciovec_t *)iovecs, size, &written);
    }
    if (!strcmp(mode, "read")) {
        if (size > sizeof buffer) return 2;
        __wasi_iovec_t iov = {buffer, size};
        __wasi_size_t got;
        do {
            if (__wasi_fd_read(0, &iov, 1, &got) != 0) return 1;
        } while (got > 0);
        return 0;
    }
    if (!strcmp(mode, "path")) {
        if (size >= sizeof path) return 2;
        memset(path, 'a', size);
        __wasi_fd_t fd;
        for (;;) sink = __wasi_path_open(3, 0, path, 0, 0, 0, 0, &fd);
    }
    if (!strcmp(mode, "grow")) {
        for (;;) {
            long old = __builtin_wasm_memory_grow(0, n);
            if (old < 0) return 0;
            for (long page = old * 16; page < (old + n) * 16; page++) *(volatile uint8_t *)(uintptr_t)(page * 4096) = 1;
        }
    }
    if (!strcmp(mode, "table")) {
        while (__builtin_wasm_table_grow(table, __builtin_wasm_ref_null_extern(), (int)n) >= 0) {}
        fprintf(stderr, "hostcalls: table refused at %lu elements\n", __builtin_wasm_table_size(table));
        for (;;) sink = (uint32_t)__builtin_wasm_table_grow(table, __builtin_wasm_ref_null_extern(), 0);
    }
    if (!strcmp(mode, "fn")) {
        long count = sizeof functions / sizeof functions[0];
        if (n < 0) { printf("%ld\n", count); return 0; }
        if (n >= count) return 2;
        fprintf(stderr, "%s\n", functions[n].name);
        for (;;) functions[n].call();
    }
    fprintf(stderr, "hostcalls: unknown mode %s\n", mode);
    return 2;
}
