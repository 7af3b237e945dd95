#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Speed and memory of `flamesamp collapse perf` on a generated 64 MB `perf
# script` text (bench/gen-perf-script.c: deterministic, realistic stacks).
# When stackcollapse-perf.pl is on PATH, it runs on the same input: both
# timings side by side, the speed ratio, and whether the outputs are identical.
#
#   bench/bench-collapse.sh [BUILD_DIR] [SIZE_MB]     (defaults: build, 64)
#
# Prints figures only; it never fails on a time.
set -u
cd "$(dirname "$0")/.."

build=${1:-build}
size_mb=${2:-64}
runs=5
bin=$build/flamesamp
if [ ! -x "$bin" ]; then
	echo "bench-collapse: $bin not found (build it first)" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"${CC:-cc}" -O2 -o "$tmp/gen-perf-script" bench/gen-perf-script.c || exit 1
"$tmp/gen-perf-script" "$size_mb" >"$tmp/perf.txt" || exit 1
bytes=$(stat -c %s "$tmp/perf.txt")
samples=$(grep -c '^$' "$tmp/perf.txt")

have_time=0
[ -x /usr/bin/time ] && have_time=1

# run OUT CMD...: sets wall (seconds) and rss (KB, "?" without /usr/bin/time)
run() {
	local out=$1 start end
	shift
	start=$(date +%s.%N)
	if [ $have_time -eq 1 ]; then
		/usr/bin/time -f %M -o "$tmp/rss" "$@" >"$out" 2>"$tmp/stderr"
	else
		"$@" >"$out" 2>"$tmp/stderr"
	fi
	end=$(date +%s.%N)
	wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')
	rss=$([ $have_time -eq 1 ] && tail -1 "$tmp/rss" || echo "?")
}

mbps() { awk -v b="$bytes" -v t="$1" 'BEGIN { printf "%.1f", b / 1048576 / t }'; }
mb() { [ "$1" = "?" ] && echo "?" || echo "$(($1 / 1024))"; }

# best of $runs, with the peak RSS of that run
best=
for _ in $(seq $runs); do
	run "$tmp/flamesamp.folded" "$bin" collapse perf "$tmp/perf.txt"
	if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
		best=$wall
		best_rss=$rss
	fi
done
stacks=$(wc -l <"$tmp/flamesamp.folded")

printf 'collapse perf: %.1f MB of perf script, %d samples, %d distinct stacks\n' \
	"$(awk -v b="$bytes" 'BEGIN { print b / 1048576 }')" "$samples" "$stacks"
printf '  %-28s %8.3f s %9.1f MB/s   peak RSS %5s MB   (best of %d)\n' \
	"flamesamp collapse perf" "$best" "$(mbps "$best")" "$(mb "$best_rss")" $runs

if command -v stackcollapse-perf.pl >/dev/null 2>&1; then
	run "$tmp/perl.folded" stackcollapse-perf.pl "$tmp/perf.txt"
	printf '  %-28s %8.3f s %9.1f MB/s   peak RSS %5s MB\n' \
		"stackcollapse-perf.pl" "$wall" "$(mbps "$wall")" "$(mb "$rss")"
	printf '  speed ratio: %.1fx; ' "$(awk -v a="$wall" -v b="$best" 'BEGIN { print a / b }')"
	if cmp -s "$tmp/flamesamp.folded" "$tmp/perl.folded"; then
		echo "outputs identical"
	else
		echo "OUTPUTS DIFFER"
	fi
else
	echo "  stackcollapse-perf.pl not on PATH: no comparison"
fi
