/* The entry point of the bench's libc-free programs: clears the frame
 * pointer, hands the initial stack (argc, argv..., NULL, envp...) to the
 * program's start_c(long *sp), which must not return. */
__asm__(".globl _start\n"
        "_start:\n"
        "  xor %ebp, %ebp\n"
        "  mov %rsp, %rdi\n"
        "  and $-16, %rsp\n"
        "  call start_c\n"
        "  hlt\n");
