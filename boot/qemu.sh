#!/bin/sh
# boot/qemu.sh INITRAMFS [KERNEL-ARG]...
# boot/qemu.sh --check
#
# Boots INITRAMFS under qemu-system-x86_64 with Debian's kernel: software
# emulation (TCG; no KVM needed), the serial console on stdin/stdout, and
# `-no-reboot`, so qemu exits as soon as the guest powers off, halts,
# reboots or panics (panic=-1 turns a panic into an immediate reboot).
# KERNEL-ARGs are appended to the kernel command line, e.g.
# `nsinit.config=/etc/other.conf`. Interactively, Ctrl-A X quits qemu.
#
# This is the one place that knows how to boot a test VM: `make boot` and
# tests/boot.rs use it, and so can any later test that needs a kernel of
# its own (the booted kernel mounts only cgroup2, so pure cgroup v2 can be
# tested here).
#
# --check only looks for qemu and a kernel and prints what would be used.
#
# Environment: KERNEL (default: the newest /boot/vmlinuz-*), QEMU (default:
# qemu-system-x86_64), QEMU_MEM (default: 256M).
# Exit status: qemu's, or 3 when qemu or the kernel is missing.
set -eu

me=boot/qemu.sh
QEMU=${QEMU:-qemu-system-x86_64}
QEMU_MEM=${QEMU_MEM:-256M}

missing() {
    echo "$me: $1" >&2
    exit 3
}

# The newest kernel by version, not by name: 6.10 sorts after 6.9.
newest_kernel() {
    ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1
}

find_tools() {
    command -v "$QEMU" >/dev/null 2>&1 ||
        missing "$QEMU not found: apt-get install qemu-system-x86"
    KERNEL=${KERNEL:-$(newest_kernel)}
    [ -n "$KERNEL" ] ||
        missing "no kernel in /boot (/boot/vmlinuz-*): apt-get install linux-image-amd64"
    # Some distributions install kernels readable by root only.
    [ -r "$KERNEL" ] ||
        missing "cannot read the kernel $KERNEL (run as root, or set KERNEL=a readable bzImage)"
}

if [ "${1-}" = --check ]; then
    find_tools
    echo "qemu:   $(command -v "$QEMU")"
    echo "kernel: $KERNEL"
    exit 0
fi

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
    echo "usage: $me INITRAMFS [KERNEL-ARG]...   (or $me --check)" >&2
    exit 2
fi
initramfs=$1
shift
find_tools

# -display none, -serial mon:stdio: no window; the serial port (ttyS0, the
#   kernel's console) and qemu's monitor share stdin/stdout. Not -nographic:
#   that also turns on SeaBIOS's serial console, whose first act is to send
#   a terminal reset that clears the screen.
# -nic none: no network card, so nothing probes for one or its boot ROM.
# -smp 1: one TCG vCPU boots sooner than several on a small host.
# quiet: the kernel's own messages would drown the payload's lines.
exec "$QEMU" \
    -accel tcg \
    -m "$QEMU_MEM" \
    -smp 1 \
    -display none \
    -serial mon:stdio \
    -nic none \
    -no-reboot \
    -kernel "$KERNEL" \
    -initrd "$initramfs" \
    -append "console=ttyS0 panic=-1 quiet${*:+ $*}"
