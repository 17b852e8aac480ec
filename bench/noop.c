/*
 * noop: the payload every runner starts. It makes one system call,
 * exit_group(EXIT_CODE), so whatever a start costs is the runtime's and the
 * kernel's, never the payload's. No libc, no dynamic loader, no stack use.
 *
 * Build: gcc -nostdlib -static -O2 -o noop noop.c
 * With -DEXIT_CODE=42 it becomes the check payload: a runner that passes 42
 * back has really executed it.
 */
#ifndef EXIT_CODE
#define EXIT_CODE 0
#endif

#define NR_exit_group 231 /* x86_64 */

void _start(void)
{
    __asm__ volatile("syscall" : : "a"(NR_exit_group), "D"(EXIT_CODE));
    __builtin_unreachable();
}
