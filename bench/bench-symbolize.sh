#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Symbolization: symbol loading time and lookups per second on a generated
# shared object of 100k C++ functions (.symtab), on the large libraries of this
# machine when present (libLLVM: .dynsym only), and on /proc/kallsyms.  Figures
# only: nothing fails on a time.
#
#   bench/bench-symbolize.sh BUILD_DIR        (FUNCS=100000 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
funcs=${FUNCS:-100000}

if [ ! -f "$build/libflamesamp.a" ]; then
	echo "bench-symbolize: $build/libflamesamp.a not built" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -I. -o "$tmp/bench_symbolize" bench/bench_symbolize.c "$build/libflamesamp.a" \
	$(pkg-config --libs libelf) -liberty -lm

# FUNCS sized functions named bench::worker<N>::run(), 16 bytes each
awk -v n="$funcs" 'BEGIN {
	print ".text"
	for (i = 0; i < n; i++) {
		s = sprintf("_ZN5bench6workerILi%dEE3runEv", i)
		printf ".globl %s\n.type %s, @function\n%s:\n.fill 16, 1, 0xc3\n.size %s, 16\n", s, s, s, s
	}
	print ".section .note.GNU-stack, \"\", @progbits"
}' >"$tmp/funcs.s"
cc -shared -o "$tmp/libbench.so" "$tmp/funcs.s"

files=("$tmp/libbench.so")
for f in /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1 \
	/usr/lib/x86_64-linux-gnu/libc.so.6; do
	[ -f "$f" ] && files+=("$f")
done
"$tmp/bench_symbolize" "${files[@]}"
