/* The calls nsinit's default filter denies to a container with runc's
 * capabilities (src/seccomp/default.rs, less chroot, which CAP_SYS_CHROOT
 * opens), by x86_64 number; personality is denied but for the personas
 * below, clone with a namespace flag, socket for AF_VSOCK and AF_ALG,
 * and clone3 gets ENOSYS. Kept in step with default.rs by hand. */
static const struct { unsigned nr, errno_; } denied[] = {
    {103, 1}, /* syslog */
    {134, 1}, /* uselib */
    {136, 1}, /* ustat */
    {139, 1}, /* sysfs */
    {153, 1}, /* vhangup */
    {155, 1}, /* pivot_root */
    {156, 1}, /* _sysctl */
    {163, 1}, /* acct */
    {164, 1}, /* settimeofday */
    {165, 1}, /* mount */
    {166, 1}, /* umount2 */
    {167, 1}, /* swapon */
    {168, 1}, /* swapoff */
    {169, 1}, /* reboot */
    {170, 1}, /* sethostname */
    {171, 1}, /* setdomainname */
    {172, 1}, /* iopl */
    {173, 1}, /* ioperm */
    {174, 1}, /* create_module */
    {175, 1}, /* init_module */
    {176, 1}, /* delete_module */
    {177, 1}, /* get_kernel_syms */
    {178, 1}, /* query_module */
    {179, 1}, /* quotactl */
    {180, 1}, /* nfsservctl */
    {181, 1}, /* getpmsg */
    {182, 1}, /* putpmsg */
    {183, 1}, /* afs_syscall */
    {184, 1}, /* tuxcall */
    {185, 1}, /* security */
    {212, 1}, /* lookup_dcookie */
    {227, 1}, /* clock_settime */
    {236, 1}, /* vserver */
    {237, 1}, /* mbind */
    {238, 1}, /* set_mempolicy */
    {239, 1}, /* get_mempolicy */
    {246, 1}, /* kexec_load */
    {248, 1}, /* add_key */
    {249, 1}, /* request_key */
    {250, 1}, /* keyctl */
    {256, 1}, /* migrate_pages */
    {272, 1}, /* unshare */
    {279, 1}, /* move_pages */
    {298, 1}, /* perf_event_open */
    {300, 1}, /* fanotify_init */
    {304, 1}, /* open_by_handle_at */
    {308, 1}, /* setns */
    {312, 1}, /* kcmp */
    {313, 1}, /* finit_module */
    {320, 1}, /* kexec_file_load */
    {321, 1}, /* bpf */
    {323, 1}, /* userfaultfd */
    {425, 1}, /* io_uring_setup */
    {426, 1}, /* io_uring_enter */
    {427, 1}, /* io_uring_register */
    {428, 1}, /* open_tree */
    {429, 1}, /* move_mount */
    {430, 1}, /* fsopen */
    {431, 1}, /* fsconfig */
    {432, 1}, /* fsmount */
    {433, 1}, /* fspick */
    {438, 1}, /* pidfd_getfd */
    {440, 1}, /* process_madvise */
    {442, 1}, /* mount_setattr */
    {443, 1}, /* quotactl_fd */
    {450, 1}, /* set_mempolicy_home_node */
    {459, 1}, /* lsm_get_self_attr */
    {460, 1}, /* lsm_set_self_attr */
    {461, 1}, /* lsm_list_modules */
    {467, 1}, /* open_tree_attr */
    {435, 38}, /* clone3: ENOSYS */
};
#define NR_CLONE 56
#define NR_SOCKET 41
#define NR_PERSONALITY 135
#define CLONE_NAMESPACES 0x7e020000u
static const unsigned sockets_denied[] = {40 /* AF_VSOCK */, 38 /* AF_ALG */};
static const unsigned personas[] = {0, 0x8, 0x20000, 0x20008, 0xffffffffu};
