#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Completeness and cost of stacks without frame pointers: flamesamp's default mode (auto)
# beside `--call-graph fp`, `perf record -g` and `perf record --call-graph dwarf` (when perf
# is installed), at 997 Hz:
#
#   split_fp     tests/programs/cpu_split.c -O2 -fno-omit-frame-pointer -DFRAMELESS_LEAVES:
#                frame pointers everywhere but in the leaves; figure: % of leaf samples with
#                the exact path main;work_X;leaf_X
#   split_nofp   the same built -fomit-frame-pointer
#   clang        `clang -O2 -c` of a generated C file (Debian's clang: libLLVM and
#                libclang-cpp have no frame pointers and no .symtab); figures: % of the
#                weight whose stack reaches main, % with an [unknown] frame (an address in no
#                file: a failed unwind), % with a frame named only by its file ([libLLVM...]:
#                a function absent from .dynsym), the profiler's own CPU time, and the time
#                from the compiler's exit to folded stacks (perf: its exit + perf script)
#
#   bench/bench-stacks.sh [BUILD_DIR] [FUNCTIONS]   (defaults: build, 1500)
#
# Needs root.  Prints figures only; it never fails on a time.
set -u
cd "$(dirname "$0")/.." || exit 2

build=${1:-build}
functions=${2:-1500}
case "$build" in
/*) bin=$build/flamesamp ;;
*) bin=$PWD/$build/flamesamp ;;
esac

echo "stacks: complete stacks without frame pointers (997 Hz)"
if [ "$(id -u)" != 0 ]; then
	echo "  skipped: not running as root (uid $(id -u)); sampling needs root here"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
have_perf=0
command -v perf >/dev/null && perf record -q -o "$tmp/probe.data" true 2>/dev/null && have_perf=1
CC=${CC:-cc}
$CC -O2 -g -fno-omit-frame-pointer -DFRAMELESS_LEAVES -o "$tmp/split_fp" \
	tests/programs/cpu_split.c || exit 1
$CC -O2 -g -fomit-frame-pointer -DFRAMELESS_LEAVES -o "$tmp/split_nofp" \
	tests/programs/cpu_split.c || exit 1

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# exact FILE: % of leaf_a/b/c samples under main;work_X;leaf_X
exact() {
	awk '{
		n = split(substr($0, 1, length($0) - length($NF) - 1), f, ";")
		leaf = ""
		for (i = 2; i <= n; i++)
			if (f[i] ~ /^leaf_[abc]$/) { leaf = f[i]; at = i }
		if (leaf == "") next
		all += $NF
		if (at >= 4 && f[at - 1] == "work_" substr(leaf, 6) && f[at - 2] == "main") good += $NF
	} END { printf "%.1f%%", all ? 100 * good / all : 0 }' "$1"
}

# reach FILE: "% reaching main, % with [unknown], % with a file-only frame"
reach() {
	awk '{
		n = split(substr($0, 1, length($0) - length($NF) - 1), f, ";")
		all += $NF
		m = 0; u = 0; o = 0
		for (i = 2; i <= n; i++) {
			if (f[i] == "main") m = 1
			if (f[i] == "[unknown]") u = 1
			else if (f[i] !~ /_\[k\]$/ && f[i] ~ /^\[.*\]$/) o = 1
		}
		main += m * $NF; unknown += u * $NF; fileonly += o * $NF
	} END {
		printf "%5.1f%% %5.1f%% %5.1f%%", 100 * main / all, 100 * unknown / all, 100 * fileonly / all
	}' "$1"
}

# profile NAME MODE OUT CMD...: folded stacks of CMD in OUT; sets t_total (the profiler's
# wall time), t_post (for perf, the perf script pipeline) and cpu (the profiler's own CPU
# seconds: its user+sys minus its child's)
profile() {
	local name=$1 mode=$2 out=$3 start end
	shift 3
	start=$(now)
	case $mode in
	auto) /usr/bin/time -f '%U %S' -o "$tmp/$name.time" "$bin" -q -o "$out" -- \
		/usr/bin/time -f '%U %S' -o "$tmp/$name.child" "$@" 2>"$tmp/$name.err" ;;
	fp) /usr/bin/time -f '%U %S' -o "$tmp/$name.time" "$bin" -q --call-graph fp -o "$out" -- \
		/usr/bin/time -f '%U %S' -o "$tmp/$name.child" "$@" 2>"$tmp/$name.err" ;;
	perf-g) /usr/bin/time -f '%U %S' -o "$tmp/$name.time" perf record -q -g -F 997 \
		-o "$tmp/$name.data" -- /usr/bin/time -f '%U %S' -o "$tmp/$name.child" "$@" \
		2>"$tmp/$name.err" ;;
	perf-dwarf) /usr/bin/time -f '%U %S' -o "$tmp/$name.time" perf record -q \
		--call-graph dwarf -F 997 -o "$tmp/$name.data" -- \
		/usr/bin/time -f '%U %S' -o "$tmp/$name.child" "$@" 2>"$tmp/$name.err" ;;
	esac
	end=$(now)
	t_total=$(elapsed "$start" "$end")
	cpu=$(awk 'NR == FNR { p = $1 + $2; next } { c = $1 + $2 } END { printf "%.2f", p - c }' \
		"$tmp/$name.time" "$tmp/$name.child")
	t_post=0
	case $mode in
	perf-*)
		start=$(now)
		perf script -i "$tmp/$name.data" 2>/dev/null | "$bin" collapse perf >"$out"
		t_post=$(elapsed "$start" "$(now)")
		;;
	esac
}

modes=(auto fp)
[ "$have_perf" = 1 ] && modes+=(perf-g perf-dwarf)

printf '  %-12s %-12s %10s\n' program mode exact-path
for prog in split_fp split_nofp; do
	for mode in "${modes[@]}"; do
		profile "$prog-$mode" "$mode" "$tmp/$prog-$mode.folded" "$tmp/$prog" 2000
		printf '  %-12s %-12s %10s\n' "$prog" "$mode" "$(exact "$tmp/$prog-$mode.folded")"
	done
done

if ! command -v clang >/dev/null; then
	echo "  clang: skipped (clang is not installed)"
	exit 0
fi
# A C file that keeps clang -O2 busy for several seconds: many functions with loops,
# switches and an inlined helper.
awk -v n="$functions" 'BEGIN {
	print "static inline int mix(int a, int b) { return (a * 31) ^ (b >> 3); }"
	for (i = 0; i < n; i++) {
		printf "int f%d(int *v, int len) {\n\tint s = %d;\n", i, i
		print "\tfor (int j = 0; j < len; j++) {"
		print "\t\tswitch ((v[j] + j) & 7) {"
		for (c = 0; c < 8; c++)
			printf "\t\tcase %d: s = mix(s, v[j] * %d + %d); break;\n", c, c + i, c
		print "\t\t}"
		print "\t\tif (s > 1000) s -= v[(j + 1) % len];"
		print "\t}"
		if (i > 0) printf "\treturn s + f%d(v, len - 1);\n}\n", i - 1
		else print "\treturn s;\n}"
	}
}' >"$tmp/big.c"
start=$(now)
clang -O2 -c "$tmp/big.c" -o "$tmp/big.o" || exit 1
alone=$(elapsed "$start" "$(now)")
echo "  clang -O2 -c of $functions generated functions: ${alone}s alone"
printf '  %-12s %-11s %6s %6s %6s %9s %14s\n' program mode main unknwn file-o "own CPU" \
	"after exit"
for mode in "${modes[@]}"; do
	profile "clang-$mode" "$mode" "$tmp/clang-$mode.folded" clang -O2 -c "$tmp/big.c" -o \
		"$tmp/big.o"
	printf '  %-12s %-11s %s %8ss %14s\n' clang "$mode" "$(reach "$tmp/clang-$mode.folded")" \
		"$cpu" "$(awk -v t="$t_total" -v a="$alone" -v p="$t_post" \
			'BEGIN { printf "%.2fs+%.2fs", t - a, p }')"
done
