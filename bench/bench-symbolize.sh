#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Symbolization: symbol loading time and lookups per second on a generated
# shared object of 100k C++ functions (.symtab), on the large libraries of this
# machine when present (libLLVM: .dynsym only), and on /proc/kallsyms.
#
# Then `flamesamp symbolize -f -i` against the addr2line tools (binutils
# addr2line, llvm-addr2line-14, eu-addr2line) on NADDRS pseudo-random
# addresses over .text of a generated -O2 -g binary full of inline frames
# (INLINE_FILES files of INLINE_FUNCS functions, each with a chain of
# always_inline helpers) and of libLLVM-14.so.1 when present: time, peak
# memory, and how many output lines differ from llvm-addr2line's.  Figures
# only: nothing fails on a time.
#
#   bench/bench-symbolize.sh BUILD_DIR   (FUNCS=100000, NADDRS=200000,
#                                         INLINE_FILES=40, INLINE_FUNCS=250,
#                                         RUNS=5: elapsed is their median)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
funcs=${FUNCS:-100000}
naddrs=${NADDRS:-200000}
inline_files=${INLINE_FILES:-40}
inline_funcs=${INLINE_FUNCS:-250}
# eu-addr2line walks DIE trees for every address (milliseconds each on a large
# binary): it gets the first EU_ADDRS addresses and its time is extrapolated
eu_addrs=2000
llvm="llvm-addr2line-14"

if [ ! -f "$build/libflamesamp.a" ]; then
	echo "bench-symbolize: $build/libflamesamp.a not built" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2046 # pkg-config prints several words
cc -O2 -I. -pthread -o "$tmp/bench_symbolize" bench/bench_symbolize.c "$build/libflamesamp.a" \
	$(pkg-config --libs zlib libelf libdw liblzma) -liberty -lm

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

# --- flamesamp symbolize against the addr2line tools ---

flamesamp=${FLAMESAMP:-$PWD/$build/flamesamp}
if [ ! -x "$flamesamp" ] || [ ! -x /usr/bin/time ]; then
	echo "symbolize: $flamesamp or /usr/bin/time missing: no addr2line comparison"
	exit 0
fi

# The generated program: a header of three always_inline helpers nested
# (top -> mid -> leaf, with loops), and per function a static inline step
# that calls top: every function holds a few dozen inlined frames, chains
# four deep.
gen=$tmp/inline
mkdir -p "$gen"
awk -v dir="$gen" -v files="$inline_files" -v funcs="$inline_funcs" 'BEGIN {
	h = dir "/inline.h"
	print "#include <stdint.h>\n#include <string.h>" > h
	print "static inline __attribute__((always_inline)) uint64_t leaf(uint64_t x, uint64_t k)\n{\n" \
		"\tuint64_t a = k;\n\n\tfor (uint64_t i = 0; i < (x & 15); i++)\n" \
		"\t\ta += (i ^ (a >> 3)) * k;\n\treturn a;\n}" > h
	print "static inline __attribute__((always_inline)) uint64_t mid(uint64_t x, uint64_t k)\n{\n" \
		"\treturn leaf(x ^ k, k + 1) + leaf(x >> 2, k * 3);\n}" > h
	print "static inline __attribute__((always_inline)) uint64_t top(uint64_t x, uint64_t k)\n{\n" \
		"\tif (x & 1)\n\t\treturn mid(x, k) ^ x;\n\treturn mid(x >> 1, k ^ 5) * 3;\n}" > h
	close(h)
	for (f = 0; f < files; f++) {
		c = sprintf("%s/f%02d.c", dir, f)
		print "#include \"inline.h\"" > c
		for (i = 0; i < funcs; i++) {
			printf "static inline __attribute__((always_inline)) uint64_t step_%d_%d(uint64_t x)\n" \
				"{\n\treturn top(x + %d, %d) ^ (x >> %d);\n}\n", f, i, i, f * funcs + i, i % 7 + 1 > c
			printf "uint64_t fn_%d_%d(uint64_t x)\n{\n\tuint64_t r = 0;\n\n" \
				"\tfor (uint64_t j = 0; j < (x & 7); j++)\n\t\tr += step_%d_%d(x + j);\n" \
				"\treturn r;\n}\n", f, i, f, i > c
		}
		close(c)
	}
	m = dir "/main.c"
	print "#include <stdint.h>\n#include <stdio.h>" > m
	for (f = 0; f < files; f++)
		for (i = 0; i < funcs; i++)
			printf "uint64_t fn_%d_%d(uint64_t);\n", f, i > m
	print "static uint64_t (*const fns[])(uint64_t) = {" > m
	for (f = 0; f < files; f++)
		for (i = 0; i < funcs; i++)
			printf "\tfn_%d_%d,\n", f, i > m
	print "};\n\nint main(int argc, char **argv)\n{\n\tuint64_t s = 0;\n\n" \
		"\tfor (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)\n" \
		"\t\ts += fns[i](i + (uint64_t)argc);\n\tprintf(\"%lu\\n\", (unsigned long)s);\n" \
		"\treturn 0;\n}" > m
	close(m)
}'
echo
start=$(date +%s.%N)
# shellcheck disable=SC2016 # $0 is expanded by the inner sh
(cd "$gen" && printf '%s\0' ./*.c |
	xargs -0 -P"$(nproc)" -n1 sh -c 'cc -O2 -g -c -o "${0%.c}.o" "$0"' &&
	cc -o inline_bench ./*.o)
secs=$(echo "$(date +%s.%N) $start" | awk '{ printf "%.0f", $1 - $2 }')
echo "symbolize: built $gen/inline_bench: $((inline_files * inline_funcs)) functions with" \
	"inline chains, $(($(stat -c %s "$gen/inline_bench") >> 20)) MB, gcc -O2 -g on" \
	"$(nproc) CPUs in $secs s"

targets=("$gen/inline_bench")
[ -f /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 ] &&
	targets+=(/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1)

# random_addrs BIN N: N deterministic pseudo-random addresses over BIN's .text
# (Park-Miller: the products stay exact in awk's doubles)
random_addrs() {
	local start size
	read -r start size < <(readelf -SW "$1" | awk '$2 == ".text" { print $4, $6 }')
	awk -v s=$((16#$start)) -v z=$((16#$size)) -v n="$2" 'BEGIN {
		x = 12345
		for (i = 0; i < n; i++) {
			x = (x * 16807) % 2147483647
			printf "%x\n", s + int(x / 2147483647 * z)
		}
	}'
}

# timed NAME ADDRS_FILE OUT COMMAND...: one table row; "-" when not installed.
# Elapsed time: the median of RUNS runs (default 5; one run for one taking
# 2 s or more), timed in microseconds ($EPOCHREALTIME: /usr/bin/time
# rounds to 10 ms, as much as the whole of a fast run); CPU time and peak
# memory from the first run, under /usr/bin/time.
timed() {
	local name=$1 in=$2 out=$3 n runs=${RUNS:-5} i e u s m t0 t1
	shift 3
	n=$(wc -l <"$in")
	if ! command -v "$1" >/dev/null; then
		printf '  %-26s not installed, skipped\n' "$name"
		return
	fi
	/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$@" <"$in" >"$out" 2>/dev/null || true
	# time's last line: a non-zero exit adds one before it
	read -r e u s m < <(tail -1 "$tmp/time")
	[ "${e%.*}" -ge 2 ] && runs=1
	: >"$tmp/runs"
	for ((i = 0; i < runs; i++)); do
		t0=$EPOCHREALTIME
		"$@" <"$in" >/dev/null 2>&1 || true
		t1=$EPOCHREALTIME
		echo "$t0 $t1" | awk '{ printf "%.6f\n", $2 - $1 }' >>"$tmp/runs"
	done
	e=$(sort -n "$tmp/runs" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	echo "$name $n $e $u $s $m" >>"$tmp/rows"
}

# What differs from llvm-addr2line by design (as tests/integration/symbolize.sh):
# its " (discriminator N)", file names from STT_FILE symbols at line 0, and
# GCC clone suffixes (foo.isra.0) that it takes from the symbol table.
clone='s/\.(isra|constprop|part|cold|lto_priv)(\.[0-9]+)*$//'

for bin in "${targets[@]}"; do
	random_addrs "$bin" "$naddrs" >"$tmp/addrs"
	head -"$eu_addrs" "$tmp/addrs" >"$tmp/addrs.eu"
	: >"$tmp/rows"
	echo
	echo "symbolize -f -i: $bin ($(($(stat -c %s "$bin") >> 20)) MB$(readelf -SW "$bin" |
		grep -q '\.debug_info' && echo ", DWARF" || echo ", .dynsym only"))"
	timed "flamesamp symbolize" "$tmp/addrs" "$tmp/fs.out" "$flamesamp" symbolize -f -i -e "$bin"
	timed "binutils addr2line" "$tmp/addrs" /dev/null addr2line -f -i -e "$bin"
	timed "$llvm" "$tmp/addrs" "$tmp/llvm.out" "$llvm" -f -i -e "$bin"
	timed "eu-addr2line" "$tmp/addrs.eu" /dev/null eu-addr2line -f -i -e "$bin"
	printf '  %-26s %9s %9s %9s %8s\n' tool addresses seconds "cpu s" "peak MB"
	awk -v n="$naddrs" '{
		name = $1; for (i = 2; i <= NF - 5; i++) name = name " " $i
		cnt = $(NF - 4); e = $(NF - 3); cpu = $(NF - 2) + $(NF - 1); mb = $NF / 1024
		printf "  %-26s %9d %9.3f %9.2f %8.1f\n", name, cnt, e, cpu, mb
		full = e
		if (cnt < n) {
			full = e / cnt * n
			printf "  %-26s %9d %9.0f  (extrapolated from %.2f ms per address)\n", \
				"  " name, n, full, e / cnt * 1000
		}
		if (name == "flamesamp symbolize") fs = e
		else if (!best || full < best) { best = full; bname = name }
	} END {
		if (fs && best)
			printf "  flamesamp speedup over the fastest peer (%s): %.1fx\n", bname, best / fs
	}' "$tmp/rows"
	if [ -s "$tmp/llvm.out" ] && [ -s "$tmp/fs.out" ]; then
		sed -E -e 's/ \(discriminator [0-9]+\)$//' -e 's|^[^/ ]+:0$|??:0|' -e "$clone" \
			"$tmp/llvm.out" >"$tmp/llvm.cmp"
		sed -E -e "$clone" "$tmp/fs.out" >"$tmp/fs.cmp"
		differ=$(diff "$tmp/fs.cmp" "$tmp/llvm.cmp" | grep -c '^<' || true)
		echo "  output against $llvm: $differ of $(wc -l <"$tmp/fs.cmp") lines differ" \
			"(after removing its discriminators, STT_FILE names and clone suffixes)"
		if [ "$differ" -gt 0 ]; then
			# head ends the pipe early: SIGPIPE upstream is expected
			diff "$tmp/fs.cmp" "$tmp/llvm.cmp" | grep '^[<>]' | head -2 | cut -c1-110 |
				sed 's/^/    e.g. /' || true
		fi
	fi
done
