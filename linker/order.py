#!/usr/bin/env python3
"""Writes linker/hot.ld and linker/warm.ld: the functions a container start
runs, in the order it first runs them, and linker/hot-rodata.ld and
linker/warm-rodata.ld, the constants it reads, for linker/nsinit.ld to
place together (see there why).

    linker/order.py            (as root, after `make build`)

Builds nsinit (the release build, with the linker's map), a rootfs
holding the bench's static /noop payload, then runs, under ptrace, the bench's
command-line cases (a) `--bare --unshare uts,pid,ipc,mnt --proc /proc`,
(b) `--share net` and (c) the plain default, and `nsinit run --bundle DIR` (an absolute path, as
the bench names it) on `nsinit spec`'s bundle of the same rootfs and on the
bench's minimal bundle of case (a). Every function gets an int3 on
its first byte, removed on its first hit, in every process nsinit makes,
and so does every instruction that names a constant's address (objdump's
reading of the code): the constants of the instructions that ran, and
those that tables among them point to, are the ones a start reads. The
linker's map (NSINIT_LINK_MAP, see build.rs) says where each function
is and which input section holds each constant. hot.ld and hot-rodata.ld list the command-line cases', warm.ld
and warm-rodata.ld what only the bundle adds. Symbols are written as
patterns without their hashes (rustc changes them with the compiler and
the build's features), `$` as `?`; rustc's unnamed constants
(`.rodata..Lanon.HASH.N`) by their number N, which changes with the code:
rerun this after changing what a start runs.
"""
import bisect, ctypes, json, os, re, shutil, signal, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SYM = os.path.join(ROOT, "target/release/nsinit")
MAP = os.path.join(ROOT, "target/release/nsinit.map")

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


def functions(map_path):
    """Address -> symbol of every function, from the linker's map: the
    release build itself is traced, stripped, so that the constants'
    numbers (which change with the build's symbol names) are its own."""
    funcs = {}
    with open(map_path) as f:
        for line in f:
            m = re.match(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+[0-9a-f]+\s+\d+\s+\S*:\(\.text\.([^)]*)\)", line)
            if m:
                funcs.setdefault(int(m.group(1), 16), m.group(2))
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


def rodata_sections(map_path):
    """[(address, size, input section name)] of every constant, from the
    linker's map (lld's: VMA LMA size align, then `file:(section)`)."""
    out = []
    with open(map_path) as f:
        for line in f:
            m = re.match(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S*:\((\.rodata[^)]*)\)", line)
            if m and int(m.group(2), 16):
                out.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3)))
    return sorted(out)


def code_ranges(map_path):
    """[(start, end)] of every function's code, from the linker's map: the
    constants placed among code (warm-rodata.ld) are not read as code."""
    out = []
    with open(map_path) as f:
        for line in f:
            m = re.match(r"\s*([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s+\S*:\(\.text[^)]*\)", line)
            if m:
                out.append((int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2), 16)))
    return sorted(out)


def constant_refs(binary, lo, hi, code):
    """Instruction address (in `code`'s ranges) -> the addresses in
    [lo, hi) it names: an immediate or absolute operand, or objdump's
    `# address` of a rip-relative one."""
    starts = [a for a, _ in code]
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], check=True, capture_output=True, text=True).stdout
    refs = {}
    for line in out.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\t(.*)$", line)
        if not m:
            continue
        operands, _, note = m.group(2).partition("#")
        named = [int(x, 16) for x in re.findall(r"0x([0-9a-f]+)", operands)] + [int(x, 16) for x in re.findall(r"^\s*([0-9a-f]+)", note)]
        named = [a for a in named if lo <= a < hi]
        addr = int(m.group(1), 16)
        i = bisect.bisect_right(starts, addr) - 1
        if named and i >= 0 and addr < code[i][1]:
            refs[addr] = named
    return refs


def trace(argv, cwd, refs):
    """The functions of nsinit that `argv` runs, in the order first run,
    and the constants' addresses its instructions named (`refs`)."""
    funcs = functions(MAP)
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        libc.ptrace(TRACEME, 0, None, None)
        os.execv(argv[0], argv)
    os.waitpid(pid, 0)
    libc.ptrace(SETOPTIONS, pid, None, ctypes.c_void_p(OPTIONS))
    original = {addr: set_byte(pid, addr, 0xCC) for addr in set(funcs) | set(refs)}
    order, seen, live, execed, read = [], set(), {pid}, set(), []
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
            if addr in funcs and funcs[addr] not in seen:
                seen.add(funcs[addr])
                order.append(funcs[addr])
            read += refs.get(addr, [])
        elif event == 0 and sig != signal.SIGSTOP:
            deliver = sig
        libc.ptrace(CONT, p, None, ctypes.c_void_p(deliver))
    return order, read


def constants_read(addresses, sections, image):
    """The input sections holding `addresses`, in the order first named,
    and those that the 8-byte words of any of them point into (tables of
    strings), until no more come."""
    starts = [a for a, _, _ in sections]

    def holder(addr):
        i = bisect.bisect_right(starts, addr) - 1
        return i if i >= 0 and addr < sections[i][0] + sections[i][1] else None

    order, seen = [], set()
    todo = list(addresses)
    while todo:
        i = holder(todo.pop(0))
        if i is None or i in seen:
            continue
        seen.add(i)
        order.append(sections[i][2])
        addr, size, _ = sections[i]
        data = image(addr, size)
        for k in range(-addr % 8, size - 7, 8):
            todo.append(int.from_bytes(data[k:k + 8], "little"))
    return order


def elf_reader(binary):
    """Reads `size` bytes at virtual address `addr` of `binary`'s loaded
    segments."""
    out = subprocess.run(["readelf", "-lW", binary], check=True, capture_output=True, text=True).stdout
    loads = [(int(m[1], 16), int(m[0], 16), int(m[2], 16)) for m in
             re.findall(r"LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)", out)]
    with open(binary, "rb") as f:
        raw = f.read()

    def image(addr, size):
        for vaddr, offset, filesz in loads:
            if vaddr <= addr and addr + size <= vaddr + filesz:
                return raw[offset + addr - vaddr:offset + addr - vaddr + size]
        return b""
    return image


def pattern(symbol, kind=".text."):
    """A linker-script pattern for `symbol`'s section, without the hashes
    that change with the compiler and the features."""
    s = re.sub(r"17h[0-9a-f]{16}E$", "17h*", symbol)
    s = re.sub(r"Cs[0-9A-Za-z]+_", "Cs*_", s)
    return kind + s.replace("$", "?")


def constant_pattern(section):
    """A linker-script pattern for the constants' input section `section`:
    an unnamed one by its number, a named one (a static, a function's jump
    table) as `pattern` writes names; None for the merged ones (strings,
    vector constants), which nsinit.ld places itself. The jump tables of
    a `match` (`.Lswitch.table.FUNCTION`) go by their function's name."""
    m = re.match(r"\.rodata\.\.Lanon\.[0-9a-f]+\.(\d+)$", section)
    if m:
        return f".rodata..Lanon.*.{m.group(1)}"
    if section.startswith(".rodata._ZN"):
        return pattern(section[len(".rodata."):], ".rodata.")
    # A function's lookup table made from a `match` (its symbol, then
    # `.N` when the function has several): by the function's name.
    m = re.match(r"(\.rodata\.\.Lswitch\.table\.)(_ZN.*17h)[0-9a-f]{16}E(\.\d+)?$", section)
    if m:
        return pattern(m.group(2) + "0" * 16 + "E", m.group(1)) + (m.group(3) or "")
    return None


def write(path, what, symbols):
    with open(path, "w") as f:
        f.write(f"/* {what}\n * Written by linker/order.py; rewrite it when the start path changes. */\n")
        seen = set()
        for s in symbols:
            p = pattern(s) if not s.startswith(".rodata") else constant_pattern(s)
            if p and p not in seen:
                seen.add(p)
                f.write(f"*({p})\n")


def main():
    if os.geteuid() != 0:
        raise SystemExit("order.py: run as root (it starts containers)")
    env = dict(os.environ, NSINIT_LINK_MAP=MAP)
    subprocess.run(["cargo", "build", "--release", "--bin", "nsinit"], cwd=ROOT, env=env, check=True)
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
        sections = rodata_sections(MAP)
        lo, hi = min(a for a, _, _ in sections), max(a + n for a, n, _ in sections)
        refs = constant_refs(SYM, lo, hi, code_ranges(MAP))
        image = elf_reader(SYM)
        hot, hot_read = [], []
        for case in cases:
            funcs, read = trace([SYM] + case, work, refs)
            hot += [f for f in funcs if f not in hot]
            hot_read += read
        subprocess.run([SYM, "spec"], cwd=work, check=True)
        with open(os.path.join(work, "config.json")) as f:
            config = json.load(f)
        # The bundles as the bench makes them (bench/bench.py, `bundle`):
        # the root named by an absolute path, a cgroupsPath; runc spec's
        # container for cases (b) and (c), and for (a) four namespaces and
        # /proc alone, no masked or read-only paths, a writable root.
        config["process"]["terminal"] = False
        config["process"]["args"] = ["/noop"]
        config["root"]["path"] = rootfs
        config["linux"]["cgroupsPath"] = "/nsinit-order"
        minimal = json.loads(json.dumps(config))
        minimal["linux"]["namespaces"] = [{"type": t} for t in ("pid", "ipc", "uts", "mount")]
        minimal["mounts"] = [m for m in minimal["mounts"] if m["destination"] == "/proc"]
        for key in ("maskedPaths", "readonlyPaths"):
            minimal["linux"].pop(key, None)
        minimal["root"]["readonly"] = False
        minimal.pop("hostname", None)
        warm, read = [], []
        for name, bundle in (("spec", config), ("minimal", minimal)):
            path = os.path.join(work, name)
            os.makedirs(path)
            with open(os.path.join(path, "config.json"), "w") as f:
                json.dump(bundle, f)
            # Named by an absolute path, as the bench names it: that takes
            # code of its own (a path relative to the working directory
            # does not).
            funcs, bundle_read = trace([SYM, "run", "--bundle", path, "nsinit-order"], work, refs)
            warm += [f for f in funcs if f not in hot and f not in warm]
            read += bundle_read
        hot_constants = constants_read(hot_read, sections, image)
        warm_constants = [c for c in constants_read(read, sections, image) if c not in hot_constants]
    finally:
        shutil.rmtree(work)
    write(os.path.join(ROOT, "linker/hot.ld"), "What nsinit's command-line starts run, in the order they first run it.", hot)
    write(os.path.join(ROOT, "linker/warm.ld"), "What `nsinit run` on `nsinit spec`'s bundle runs beyond hot.ld.", warm)
    write(os.path.join(ROOT, "linker/hot-rodata.ld"), "The constants nsinit's command-line starts read, in the order first named.", hot_constants)
    write(os.path.join(ROOT, "linker/warm-rodata.ld"), "The constants `nsinit run` on `nsinit spec`'s bundle reads beyond hot-rodata.ld.", warm_constants)
    size = {name: n for _, n, name in sections}
    print(f"order.py: {len(hot)} functions in linker/hot.ld, {len(warm)} in linker/warm.ld; "
          f"{len(hot_constants)} constants ({sum(size[c] for c in hot_constants)} bytes) in linker/hot-rodata.ld, "
          f"{len(warm_constants)} ({sum(size[c] for c in warm_constants)} bytes) in linker/warm-rodata.ld, "
          f"of {len(sections)} ({sum(size.values())} bytes)")


main()
