#!/usr/bin/env bash
# Makes sure the programs and libraries `make test` and `make bench` use are
# on this machine. When all are present it exits 0 at once, quietly (no apt,
# no network). When one is missing: as root it runs scripts/setup-deps.sh and
# checks again; otherwise it names what is missing and the one command to
# run, and exits 1.
#
# `scripts/ensure-deps.sh --list` prints what it checks ("tool NAME PACKAGE",
# "lib FILE PACKAGE", "headers cc PACKAGE").
#
# Settings (the defaults are what the Makefile needs; tests replace them):
#   RUNDB_DEPS_TOOLS  programs looked up on PATH, "name:package ..."
#   RUNDB_DEPS_LIBS   shared objects looked up in the library directories,
#                     "file:package ..." ("a|b:package": either file will do)
#   RUNDB_LIB_DIRS    the library directories, colon-separated, globs allowed
#   RUNDB_DEPS_CC     the C compiler whose headers cgo needs ("" skips the check)
#   RUNDB_DEPS_SETUP  the install command (default: bash <this dir>/setup-deps.sh)
#   RUNDB_DEPS_UID    the user id to act as (default: id -u)
set -euo pipefail

here=$(dirname "$0")
tools=${RUNDB_DEPS_TOOLS-"redis-server:redis-server redis-cli:redis-tools redis-benchmark:redis-tools gcc:gcc"}
libs=${RUNDB_DEPS_LIBS-"libjemalloc.so.2:libjemalloc2 libmimalloc.so.2|libmimalloc.so.2.0:libmimalloc2.0 libtcmalloc_minimal.so.4:libtcmalloc-minimal4"}
# The directories the Makefile's JEMALLOC_LIB wildcard searches.
libdirs=${RUNDB_LIB_DIRS-"/usr/lib/*-linux-gnu:/lib/*-linux-gnu:/usr/lib:/usr/local/lib"}
cc=${RUNDB_DEPS_CC-gcc}
setup_display="$here/setup-deps.sh"
if [[ -n "${RUNDB_DEPS_SETUP:-}" ]]; then setup_display=$RUNDB_DEPS_SETUP; fi
uid=${RUNDB_DEPS_UID:-$(id -u)}

if [[ "${1:-}" == "--list" ]]; then
	for t in $tools; do echo "tool ${t%%:*} ${t##*:}"; done
	for l in $libs; do echo "lib ${l%%:*} ${l##*:}"; done
	if [[ -n "$cc" ]]; then echo "headers $cc libc6-dev"; fi
	exit 0
fi

# haslib FILE[|FILE...]: whether one of the files is in a library directory.
haslib() {
	local alts dirs d f
	IFS='|' read -ra alts <<<"$1"
	IFS=: read -ra dirs <<<"$libdirs"
	for d in "${dirs[@]}"; do
		for f in "${alts[@]}"; do
			# $d may be a glob (/usr/lib/*-linux-gnu).
			if compgen -G "$d/$f" >/dev/null; then return 0; fi
		done
	done
	return 1
}

# need WHAT PACKAGE records a missing item and its package (once).
need() {
	missing+=("$1")
	if [[ " ${pkgs[*]} " != *" $2 "* ]]; then pkgs+=("$2"); fi
}

# check fills missing (for the message) and pkgs (the Debian packages).
check() {
	missing=() pkgs=()
	local t l f
	for t in $tools; do
		if ! command -v "${t%%:*}" >/dev/null 2>&1; then need "${t%%:*}" "${t##*:}"; fi
	done
	for l in $libs; do
		if ! haslib "${l%%:*}"; then
			f=${l%%:*}
			need "${f%%|*}" "${l##*:}"
		fi
	done
	# cgo (the malloc backends) compiles against the C library's headers.
	if [[ -n "$cc" ]] && command -v "$cc" >/dev/null 2>&1 &&
		! printf '#include <malloc.h>\n#include <dlfcn.h>\n' | "$cc" -E -x c - >/dev/null 2>&1; then
		need "the C headers for $cc" libc6-dev
	fi
}

report() {
	local m p
	m=$(printf ', %s' "${missing[@]}")
	p=$(printf ' %s' "${pkgs[@]}")
	echo "ensure-deps: missing ${m:2} (Debian packages:$p)" >&2
}

check
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi
report
if [[ "$uid" -ne 0 ]]; then
	echo "ensure-deps: install them as root with: sudo $setup_display" >&2
	exit 1
fi
echo "ensure-deps: installing with $setup_display" >&2
if [[ -n "${RUNDB_DEPS_SETUP:-}" ]]; then
	$RUNDB_DEPS_SETUP
else
	bash "$here/setup-deps.sh"
fi
check
if [[ ${#missing[@]} -ne 0 ]]; then
	report
	echo "ensure-deps: still missing after $setup_display" >&2
	exit 1
fi
