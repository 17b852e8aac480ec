/*
 * sleep: a static payload that stays alive for a while (argv[1] seconds,
 * default 1) so the runtime's own memory can be read while its container
 * runs. No libc: its own memory would otherwise never matter, but a small
 * static payload keeps the container's contents identical across runners.
 *
 * Build: gcc -nostdlib -static -O2 -fno-stack-protector -o sleep sleep.c
 */
#define NR_nanosleep 35
#define NR_exit_group 231

struct timespec_k {
    long tv_sec;
    long tv_nsec;
};

static long syscall2(long n, long a, long b)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

/* Called from _start with the initial stack: argc, argv[0..], NULL, envp. */
__attribute__((used)) static void start_c(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    struct timespec_k t = {1, 0};
    if (argc > 1) {
        t.tv_sec = 0;
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            t.tv_sec = t.tv_sec * 10 + (*p - '0');
    }
    syscall2(NR_nanosleep, (long)&t, 0);
    syscall2(NR_exit_group, 0, 0);
    __builtin_unreachable();
}

#include "start.h"
