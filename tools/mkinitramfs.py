#!/usr/bin/env python3
"""Write a gzip-compressed newc cpio archive: an initramfs whose /init is nsinit.

    mkinitramfs.py -o OUT --init BINARY [--file DEST=SRC]... [--dir DEST]...

The archive always holds what the kernel and nsinit's system-init mode need
before anything else runs: /init, the empty mount points /proc, /sys, /dev,
/run and /etc, and the character device /dev/console (5,1). The kernel opens
/dev/console from the initramfs to give /init its stdin, stdout and stderr;
without that node /init starts with them closed and prints nothing.

`--file DEST=SRC` adds the host file SRC as DEST (executable if SRC is),
`--dir DEST` an empty directory; parent directories are added as needed.

The archive is written directly, rather than with cpio(1), so that it can
hold a device node without root or mknod, and so that it is reproducible:
every entry is owned by root, has a fixed mode and a zero mtime, and the
entries come in sorted order. The same inputs give the same bytes.
Python's standard library only.
"""

import argparse
import gzip
import os
import stat
import sys
from pathlib import PurePosixPath

# The directories the contract of nsinit's system-init mode expects to find
# (it mounts proc, sysfs, devtmpfs and a tmpfs on them) or reads (/etc).
BASE_DIRS = ["/proc", "/sys", "/dev", "/run", "/etc"]
CONSOLE = "/dev/console"
CONSOLE_MAJOR, CONSOLE_MINOR = 5, 1

NEWC_MAGIC = b"070701"
TRAILER = "TRAILER!!!"


class Entry:
    """One archive member: a directory, a regular file or a character device."""

    def __init__(self, mode, data=b"", rdev=(0, 0)):
        self.mode = mode
        self.data = data
        self.rdev = rdev

    @property
    def is_dir(self):
        return stat.S_ISDIR(self.mode)


def directory():
    return Entry(stat.S_IFDIR | 0o755)


def regular_file(src):
    """A host file's bytes; 0755 if the host file is executable, else 0644."""
    with open(src, "rb") as f:
        data = f.read()
    executable = os.stat(src).st_mode & 0o111
    return Entry(stat.S_IFREG | (0o755 if executable else 0o644), data)


def char_device(major, minor):
    return Entry(stat.S_IFCHR | 0o600, rdev=(major, minor))


def archive_path(dest):
    """`/a/b` -> `a/b`, the form the kernel's unpacker and cpio(1) use."""
    path = PurePosixPath(dest)
    if not path.is_absolute() or ".." in path.parts or path == PurePosixPath("/"):
        raise ValueError(f"expected an absolute path below /, got {dest!r}")
    return str(path.relative_to("/"))


class Tree:
    """The archive's contents by path, with every parent directory present."""

    def __init__(self):
        self.entries = {}

    def add(self, dest, entry):
        path = archive_path(dest)
        # Parents first, so the unpacker never meets a path whose directory is missing.
        for parent in reversed(PurePosixPath(path).parents[:-1]):
            self._put(str(parent), directory())
        self._put(path, entry)

    def _put(self, path, entry):
        old = self.entries.get(path)
        if old is not None:
            # A directory named twice (as a parent, then explicitly) is fine;
            # anything else would silently drop one of the two.
            if old.is_dir and entry.is_dir:
                return
            raise ValueError(f"/{path} given twice")
        self.entries[path] = entry

    def sorted(self):
        """Sorted by path components, so every directory precedes its contents."""
        return sorted(self.entries.items(), key=lambda item: PurePosixPath(item[0]).parts)


def newc_header(ino, entry, name_size):
    nlink = 2 if entry.is_dir else 1
    fields = [
        ino, entry.mode, 0, 0, nlink, 0,  # ino, mode, uid, gid, nlink, mtime
        len(entry.data), 0, 0,            # filesize, devmajor, devminor
        entry.rdev[0], entry.rdev[1],     # rdevmajor, rdevminor
        name_size, 0,                     # namesize (with its NUL), check
    ]
    return NEWC_MAGIC + b"".join(b"%08X" % f for f in fields)


def pad4(buf):
    """newc aligns each name and each file's data to 4 bytes."""
    buf.extend(b"\0" * (-len(buf) % 4))


def newc_archive(tree):
    out = bytearray()
    members = tree.sorted() + [(TRAILER, Entry(0))]
    for ino, (path, entry) in enumerate(members, start=1):
        name = path.encode() + b"\0"
        # The trailer conventionally carries inode 0.
        out += newc_header(0 if path == TRAILER else ino, entry, len(name))
        out += name
        pad4(out)
        out += entry.data
        pad4(out)
    return bytes(out)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Write an initramfs (gzip newc cpio) whose /init is nsinit.")
    p.add_argument("-o", "--output", required=True, help="the .cpio.gz to write")
    p.add_argument("--init", required=True, help="the binary to install as /init")
    p.add_argument("--file", action="append", default=[], metavar="DEST=SRC", help="add host file SRC as DEST")
    p.add_argument("--dir", action="append", default=[], metavar="DEST", help="add an empty directory DEST")
    return p.parse_args(argv)


def build_tree(args):
    tree = Tree()
    tree.add("/init", regular_file(args.init))
    for d in BASE_DIRS + args.dir:
        tree.add(d, directory())
    tree.add(CONSOLE, char_device(CONSOLE_MAJOR, CONSOLE_MINOR))
    for spec in args.file:
        dest, sep, src = spec.partition("=")
        if not sep or not src:
            raise ValueError(f"--file: expected DEST=SRC, got {spec!r}")
        tree.add(dest, regular_file(src))
    return tree


def write_atomically(path, data):
    """Write beside the target, then rename: a failed run leaves no half archive."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main(argv):
    args = parse_args(argv)
    try:
        tree = build_tree(args)
    except (OSError, ValueError) as e:
        print(f"mkinitramfs: {e}", file=sys.stderr)
        return 1
    # mtime=0 keeps the gzip header, and so the whole file, reproducible.
    write_atomically(args.output, gzip.compress(newc_archive(tree), compresslevel=9, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
