# nsinit: build, test, demo. `make help` lists the targets.

CARGO   ?= cargo
NSINIT  := target/release/nsinit
PROBE   := target/release/nsinit-probe
DEMO    := target/demo-rootfs
SHELLFS := target/shell-rootfs
BUSYBOX ?= /bin/busybox

.PHONY: all build test size run shell clean help

all: build

help:
	@echo "make build   build target/release/nsinit (static, no libc)"
	@echo "make test    unit tests and integration tests that start real containers (root)"
	@echo "make size    print the stripped size of the binary"
	@echo "make run     start the demo container: hostname, PID 1, its mounts"
	@echo "make shell   an interactive busybox shell in a container (needs busybox-static)"

build:
	$(CARGO) build --release

test:
	$(CARGO) test --release

size: build
	@strip -o target/nsinit.stripped $(NSINIT)
	@echo "nsinit: $$(stat -c %s target/nsinit.stripped) bytes stripped (goal: <= 65536)"

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

clean:
	$(CARGO) clean

# Start latency side by side with crun, runc, bwrap, unshare and a raw-syscall
# baseline; writes bench/RESULTS.md and its plots. Root; about 10 minutes.
.PHONY: bench
bench: build
	NSINIT=$(NSINIT) bench/run.sh
