#!/usr/bin/env bash
# Installs the Debian packages rundb's tests and lab use. Run as root.
# `scripts/setup-deps.sh --list` prints the package names only.
set -euo pipefail

PACKAGES=(
	redis-server   # the reference server (Redis 7.0) for differential tests and the lab
	redis-tools    # redis-cli, redis-benchmark
	make
	gcc            # cgo (the malloc backends)
	libjemalloc2           # --alloc jemalloc (preloaded: libjemalloc.so.2)
	libmimalloc2.0         # --alloc mimalloc (libmimalloc.so.2)
	libtcmalloc-minimal4   # --alloc tcmalloc (libtcmalloc_minimal.so.4)
)

if [[ "${1:-}" == "--list" ]]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y "${PACKAGES[@]}"
# Debian starts a redis-server service on install; the tests start their own.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop redis-server 2>/dev/null || true; fi
$SUDO service redis-server stop 2>/dev/null || true
