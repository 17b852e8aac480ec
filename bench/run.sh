#!/usr/bin/env bash
# make bench: the side-by-side start-latency benchmark of nsinit against
# crun, runc, bubblewrap, unshare(1) and a raw-syscall baseline.
#
#   bench/run.sh [--quick]        (as root; NSINIT=path overrides the binary,
#                                  NSINIT_CORE=path gives the core build's size)
#
# Installs what it needs (Debian packages) when missing, then runs
# bench/bench.py, which writes bench/RESULTS.md, bench/*.png and
# bench/results/. Checks here, independently of bench.py, that the host's
# mount table is the same after the run as before.
set -euo pipefail
cd "$(dirname "$0")/.."

NSINIT=${NSINIT:-target/release/nsinit}

require_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "bench: must run as root: it creates namespaces, mounts and cgroups" >&2
        exit 1
    fi
}

# Each command the bench runs, and the Debian package that has it. A fresh
# machine may lack any of them; only the missing ones are installed.
install_missing() {
    local missing=() pair
    for pair in hyperfine:hyperfine strace:strace crun:crun runc:runc bwrap:bubblewrap \
        unshare:util-linux findmnt:util-linux gcc:gcc strip:binutils readelf:binutils \
        gnuplot:gnuplot-nox python3:python3; do
        command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
    done
    # Headers for the baseline (linux/sched.h) and libc for the burst driver.
    [ -e /usr/include/linux/sched.h ] || missing+=(linux-libc-dev)
    [ -e /usr/include/spawn.h ] || missing+=(libc6-dev)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "bench: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
}

# The mount table as a sorted list: mount point, type, source.
mounts() {
    findmnt -rn -o TARGET,FSTYPE,SOURCE | sort
}

main() {
    require_root
    install_missing
    if [ ! -x "$NSINIT" ]; then
        echo "bench: $NSINIT is missing: run 'make build' (or 'make bench')" >&2
        exit 1
    fi
    local before after status=0
    before=$(mounts)
    python3 bench/bench.py --nsinit "$NSINIT" ${NSINIT_CORE:+--core "$NSINIT_CORE"} "$@" || status=$?
    after=$(mounts)
    if [ "$before" != "$after" ]; then
        echo "bench: WARNING: the host's mount table changed during the bench:" >&2
        diff <(echo "$before") <(echo "$after") >&2 || true
        status=1
    else
        echo "bench: host mount table unchanged ($(echo "$before" | wc -l) mounts)"
    fi
    exit "$status"
}

main "$@"
