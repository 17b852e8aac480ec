#!/usr/bin/env python3
"""Writes linker/hot.ld and linker/warm.ld: the functions a container start
runs, in the order it first runs them, for linker/nsinit.ld to place
together (see there why).

    linker/order.py            (as root, after `make build`)

Builds nsinit with its symbols into target/sym, a rootfs holding the
bench's static /noop payload, then runs, under ptrace, the bench's
command-line cases (a) `--bare --unshare uts,pid,ipc,mnt --proc /proc`,
(b) `--share net` and (c) the plain default, and `nsinit run` on
`nsinit spec`'s bundle of the same rootfs. Every function gets an int3 on
its first byte, removed on its first hit, in every process nsinit makes.
hot.ld lists the command-line cases' functions, warm.ld those only the
bundle runs. Symbols are written as patterns without their hashes (rustc
changes them with the compiler and the build's features), `$` as `?`.
"""
import ctypes, json, os, re, shutil, signal, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYM = os.path.join(ROOT, "target/sym/release/nsinit")

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
TRACEME, PEEK, POKE, CONT, GETREGS, SETREGS, SETOPTIONS, GETEVENTMSG = 0, 1, 4, 7, 12, 13, 0x4200, 0x4201
# PTRACE_O_TRACEFORK | TRACEVFORK | TRACECLONE | TRACEEXEC | EXITKILL
OPTIONS = 0x2 | 0x4 | 0x8 | 0x10 | 0x100000
EVENT_FORK, EVENT_VFORK, EVENT_CLONE, EVENT_EXEC = 1, 2, 3, 4


class Regs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_ulonglong) for n in (
        "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss "
        "fs_base gs_base ds es fs gs").split()]


def functions(binary):
    """Address -> symbol of every function in `binary`."""
    out = subprocess.run(["nm", "--defined-only", binary], check=True, capture_output=True, text=True).stdout
    funcs = {}
    for line in out.splitlines():
        addr, kind, name = line.split(None, 2)
        if kind in "tT":
            funcs.setdefault(int(addr, 16), name)
    return funcs


def set_byte(pid, addr, byte):
    """Writes `byte` at `addr` in `pid`'s memory; returns the byte it replaced."""
    ctypes.set_errno(0)
    word = libc.ptrace(PEEK, pid, addr, None) & 0xFFFF_FFFF_FFFF_FFFF
    if ctypes.get_errno():
        raise OSError(ctypes.get_errno(), f"PTRACE_PEEKDATA {addr:#x}")
    new = (word & ~0xFF) | byte
    if libc.ptrace(POKE, pid, addr, ctypes.c_void_p(new - (1 << 64) if new >= 1 << 63 else new)) != 0:
        raise OSError(ctypes.get_errno(), f"PTRACE_POKEDATA {addr:#x}")
    return word & 0xFF


def trace(argv, cwd):
    """The functions of nsinit that `argv` runs, in the order first run."""
    funcs = functions(SYM)
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        libc.ptrace(TRACEME, 0, None, None)
        os.execv(argv[0], argv)
    os.waitpid(pid, 0)
    libc.ptrace(SETOPTIONS, pid, None, ctypes.c_void_p(OPTIONS))
    original = {addr: set_byte(pid, addr, 0xCC) for addr in funcs}
    order, seen, live, execed = [], set(), {pid}, set()
    libc.ptrace(CONT, pid, None, None)
    while live:
        p, status = os.waitpid(-1, 0x4000_0000)  # __WALL
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            live.discard(p)
            continue
        sig, event, deliver = os.WSTOPSIG(status), status >> 16, 0
        if event in (EVENT_FORK, EVENT_VFORK, EVENT_CLONE):
            child = ctypes.c_ulong()
            libc.ptrace(GETEVENTMSG, p, None, ctypes.byref(child))
            live.add(child.value)
        elif event == EVENT_EXEC:
            execed.add(p)
        elif event == 0 and sig == signal.SIGTRAP and p not in execed:
            regs = Regs()
            libc.ptrace(GETREGS, p, None, ctypes.byref(regs))
            addr = regs.rip - 1
            if addr not in original:
                raise SystemExit(f"order.py: SIGTRAP at {addr:#x}, not a breakpoint")
            set_byte(p, addr, original[addr])
            regs.rip = addr
            libc.ptrace(SETREGS, p, None, ctypes.byref(regs))
            if funcs[addr] not in seen:
                seen.add(funcs[addr])
                order.append(funcs[addr])
        elif event == 0 and sig != signal.SIGSTOP:
            deliver = sig
        libc.ptrace(CONT, p, None, ctypes.c_void_p(deliver))
    return order


def pattern(symbol):
    """A linker-script pattern for `symbol`'s section, without the hashes
    that change with the compiler and the features."""
    s = re.sub(r"17h[0-9a-f]{16}E$", "17h*", symbol)
    s = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", s)
    return ".text." + s.replace("$", "?")


def write(path, what, symbols):
    with open(path, "w") as f:
        f.write(f"/* {what}\n * Written by linker/order.py; rewrite it when the start path changes. */\n")
        seen = set()
        for s in symbols:
            p = pattern(s)
            if p not in seen:
                seen.add(p)
                f.write(f"*({p})\n")


def main():
    if os.geteuid() != 0:
        raise SystemExit("order.py: run as root (it starts containers)")
    env = dict(os.environ, CARGO_PROFILE_RELEASE_STRIP="false")
    subprocess.run(["cargo", "build", "--release", "--bin", "nsinit", "--target-dir", "target/sym"],
                   cwd=ROOT, env=env, check=True)
    work = tempfile.mkdtemp(prefix="nsinit-order.")
    try:
        rootfs = os.path.join(work, "rootfs")
        for d in ("proc", "dev", "sys"):
            os.makedirs(os.path.join(rootfs, d))
        subprocess.run(["gcc", "-nostdlib", "-static", "-O2", "-fno-stack-protector", "-s", "-o",
                        os.path.join(rootfs, "noop"), os.path.join(ROOT, "bench/noop.c")], check=True)
        cases = [
            ["--bare", "--rootfs", rootfs, "--unshare", "uts,pid,ipc,mnt", "--proc", "/proc", "/noop"],
            ["--rootfs", rootfs, "--share", "net", "/noop"],
            ["--rootfs", rootfs, "/noop"],
        ]
        hot = []
        for case in cases:
            hot += [f for f in trace([SYM] + case, work) if f not in hot]
        subprocess.run([SYM, "spec"], cwd=work, check=True)
        spec = os.path.join(work, "config.json")
        with open(spec) as f:
            config = json.load(f)
        config["process"]["terminal"] = False
        config["process"]["args"] = ["/noop"]
        config["linux"]["cgroupsPath"] = "/nsinit-order"
        with open(spec, "w") as f:
            json.dump(config, f)
        warm = [f for f in trace([SYM, "run", "nsinit-order"], work) if f not in hot]
    finally:
        shutil.rmtree(work)
    write(os.path.join(ROOT, "linker/hot.ld"), "What nsinit's command-line starts run, in the order they first run it.", hot)
    write(os.path.join(ROOT, "linker/warm.ld"), "What `nsinit run` on `nsinit spec`'s bundle runs beyond hot.ld.", warm)
    print(f"order.py: {len(hot)} functions in linker/hot.ld, {len(warm)} in linker/warm.ld")


main()
