# nsinit: build, test, demo. `make help` lists the targets.

CARGO   ?= cargo
NSINIT  := target/release/nsinit
# The core alone (cargo --no-default-features): what the 48 KiB goal measures.
CORE    := target/core/release/nsinit
PROBE   := target/release/nsinit-probe
DEMO    := target/demo-rootfs
SHELLFS := target/shell-rootfs
BUSYBOX ?= /bin/busybox
INITRAMFS := target/initramfs.cpio.gz
BOOT_APPEND ?=
# make install: $(DESTDIR)$(PREFIX)/bin/nsinit and the man page nsinit(1).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=
MAN     ?= target/nsinit.1
# The engine tests' Python (pytest, grpcio): a virtualenv of their own, from
# tests/engines/requirements.txt, so the host's Python is left alone.
VENV    := target/venv

.PHONY: all build core test test-engines size run shell clean help initramfs boot man install uninstall

all: build

help:
	@echo "make build   build target/release/nsinit (static, no libc)"
	@echo "make test    unit tests and integration tests that start real containers (root)"
	@echo "make test-engines  podman, containerd, Docker and CRI running images on nsinit (root)"
	@echo "make bench   start latency side by side with crun, runc, bwrap and a raw-syscall baseline (root)"
	@echo "make bench-engines  podman, Docker, ctr and CRI starts with nsinit, crun and runc (root)"
	@echo "make size    print the stripped size of the binary, and of the core alone"
	@echo "make run     start the demo container: hostname, PID 1, its mounts"
	@echo "make shell   an interactive busybox shell in a container (needs busybox-static)"
	@echo "make initramfs  target/initramfs.cpio.gz: nsinit as /init, starting the demo container"
	@echo "make boot    boot that initramfs in qemu (TCG); ends when nsinit powers the VM off"
	@echo "make install build, then install nsinit in \$$(DESTDIR)\$$(PREFIX)/bin (PREFIX=/usr/local) and nsinit(1)"
	@echo "make man     target/nsinit.1, the man page, from the --help text (src/help.txt)"

build:
	$(CARGO) build --release

# The core build is checked too: a feature left out must not break it.
test: core
	$(CARGO) test --release
	$(MAKE) test-engines

# Engines drive the binary `make build` leaves; each scenario runs with runc
# beside it. ENGINES_ARGS passes pytest options (-k podman, -x). A base
# directory of their own: pytest's shared /tmp/pytest-of-USER keeps only its
# last three runs, and renames a live one's away under another run.
test-engines: build $(VENV)/bin/pytest
	$(VENV)/bin/pytest -v --basetemp=$(CURDIR)/target/engines-tmp tests/engines $(ENGINES_ARGS)

$(VENV)/bin/pytest: tests/engines/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r tests/engines/requirements.txt
	touch $@

core:
	$(CARGO) build --release --no-default-features --target-dir target/core

size: build core
	@strip -o target/nsinit.stripped $(NSINIT)
	@strip -o target/nsinit-core.stripped $(CORE)
	@echo "nsinit: $$(stat -c %s target/nsinit.stripped) bytes stripped, everything in (goal: <= 163840)"
	@echo "nsinit core: $$(stat -c %s target/nsinit-core.stripped) bytes stripped (goal: <= 49152)"

# The demo rootfs holds one file: the project's own static probe, as /bin/hello.
$(DEMO)/bin/hello: build
	@mkdir -p $(DEMO)/bin $(DEMO)/proc $(DEMO)/dev $(DEMO)/sys
	@cp $(PROBE) $@

run: $(DEMO)/bin/hello
	$(NSINIT) --rootfs $(DEMO) --hostname hello-nsinit /bin/hello

shell: build
	@test -x $(BUSYBOX) || { echo "make shell needs $(BUSYBOX): apt-get install busybox-static" >&2; exit 1; }
	@! readelf -lW $(BUSYBOX) | grep -q INTERP || \
		{ echo "$(BUSYBOX) is not static: apt-get install busybox-static" >&2; exit 1; }
	@mkdir -p $(SHELLFS)/bin $(SHELLFS)/proc $(SHELLFS)/dev $(SHELLFS)/sys $(SHELLFS)/tmp $(SHELLFS)/root
	@cp $(BUSYBOX) $(SHELLFS)/bin/busybox
	@for applet in $$($(BUSYBOX) --list); do [ "$$applet" = busybox ] || ln -sf busybox $(SHELLFS)/bin/$$applet; done
	$(NSINIT) --rootfs $(SHELLFS) --hostname box --tmpfs /tmp --clearenv \
		--setenv PATH /bin --setenv HOME /root --setenv TERM "$${TERM:-xterm}" --setenv PS1 '\h:\w\$$ ' \
		--chdir /root -- /bin/sh

# An initramfs whose /init is nsinit itself (its system-init mode): it reads
# /etc/nsinit.conf (boot/nsinit.conf) and starts the demo container, rootfs
# /demo, whose only file is the probe as /bin/hello. The generator adds /init,
# /dev/console and the mount points /proc, /sys, /dev, /run and /etc itself.
initramfs: build
	python3 tools/mkinitramfs.py -o $(INITRAMFS) --init $(NSINIT) \
		--file /etc/nsinit.conf=boot/nsinit.conf --file /demo/bin/hello=$(PROBE) \
		--dir /demo/proc --dir /demo/dev --dir /demo/sys
	@echo "wrote $(INITRAMFS)"

# Boots it under qemu with Debian's kernel (qemu-system-x86, linux-image-amd64);
# BOOT_APPEND adds kernel arguments, e.g. BOOT_APPEND=nsinit.config=/etc/x.conf.
boot: initramfs
	boot/qemu.sh $(INITRAMFS) $(BOOT_APPEND)

# The man page is written from src/help.txt, the text of --help, so the
# two say the same (needs python3).
man: $(MAN)

$(MAN): src/help.txt tools/mkman.py Cargo.toml
	@mkdir -p $(dir $@)
	python3 tools/mkman.py -o $@

install: build $(MAN)
	install -D -m 0755 $(NSINIT) $(DESTDIR)$(BINDIR)/nsinit
	install -D -m 0644 $(MAN) $(DESTDIR)$(MANDIR)/man1/nsinit.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/nsinit $(DESTDIR)$(MANDIR)/man1/nsinit.1

clean:
	$(CARGO) clean

# Start latency side by side with crun, runc, bwrap, unshare and a raw-syscall
# baseline; writes bench/RESULTS.md and its plots. Root; about 10 minutes.
.PHONY: bench
bench: build core
	NSINIT=$(NSINIT) NSINIT_CORE=$(CORE) bench/run.sh

# The start of a container under podman, Docker, ctr and a CRI pod with
# nsinit, crun and runc side by side, and each runtime's own share of it;
# writes its section of bench/RESULTS.md and bench/engines.png. Root, the
# engines installed (as .ci/run does) and gnuplot; about 10 minutes.
# BENCH_ENGINES_ARGS passes options (--rounds N, --engines podman,ctr).
.PHONY: bench-engines
bench-engines: build $(VENV)/bin/pytest
	$(VENV)/bin/python bench/engines.py --nsinit $(NSINIT) $(BENCH_ENGINES_ARGS)
