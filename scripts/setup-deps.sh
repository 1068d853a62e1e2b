#!/usr/bin/env bash
# Installs the Debian packages rundb's tests and lab use. Run as root.
# `scripts/setup-deps.sh --list` prints the package names only.
set -euo pipefail

PACKAGES=(
	redis-server   # the reference server (Redis 7.0) for differential tests and the lab
	redis-tools    # redis-cli, redis-benchmark
	make
	gcc            # cgo (the malloc backends)
	libc6-dev      # the C headers cgo compiles against
	libjemalloc2           # --alloc jemalloc (preloaded: libjemalloc.so.2)
	libmimalloc2.0         # --alloc mimalloc (libmimalloc.so.2)
	libtcmalloc-minimal4   # --alloc tcmalloc (libtcmalloc_minimal.so.4)
)

if [[ "${1:-}" == "--list" ]]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "setup-deps: apt-get not found; install these packages (Debian names) by hand: ${PACKAGES[*]}" >&2
	exit 1
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "setup-deps: run this as root (sudo is not installed)" >&2
		exit 1
	fi
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y "${PACKAGES[@]}"
# Debian starts a redis-server service on install; the tests start their own.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop redis-server 2>/dev/null || true; fi
$SUDO service redis-server stop 2>/dev/null || true
