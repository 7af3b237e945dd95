#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `flamesamp render` on a large folded file: ~200k distinct stacks of depth
# 5-60 in 160 MB of unsorted text (bench/gen_folded.c, fixed seed).  Prints
# wall time and peak RSS (best of RUNS runs), and, when flamegraph.pl is on
# PATH, the same for it with both SVG sizes.  Figures only: nothing fails on a
# time.
#
#   bench/bench-render.sh BUILD_DIR        (RUNS=3 STACKS=215000 MB=160 to change)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
case $build in
/*) ;;
*) build=$PWD/$build ;;
esac
bin=${FLAMESAMP:-$build/flamesamp}
runs=${RUNS:-3}
stacks=${STACKS:-215000}
mb=${MB:-160}

if [ ! -x "$bin" ]; then
	echo "bench-render: $bin not built" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -o "$tmp/gen_folded" bench/gen_folded.c
"$tmp/gen_folded" "$stacks" "$mb" 1 >"$tmp/input.folded"
size=$(stat -c %s "$tmp/input.folded")
lines=$(wc -l <"$tmp/input.folded")
distinct=$(cut -d' ' -f1 "$tmp/input.folded" | LC_ALL=C sort -u | wc -l)
echo "render: input $((size / 1000000)) MB, $lines lines, $distinct distinct stacks"

# measure LABEL COMMAND...: best wall time and the peak RSS of that run.
measure() {
	local label=$1 best="" best_rss="" i t rss
	shift
	for ((i = 0; i < runs; i++)); do
		/usr/bin/time -f "%e %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || {
			echo "render: $label failed: $(head -c 200 "$tmp/stderr")"
			return 1
		}
		read -r t rss <"$tmp/time"
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
			best_rss=$rss
		fi
	done
	printf 'render: %-14s %7.2f s  %8.1f MB peak RSS  (best of %d)\n' "$label" "$best" \
		"$(awk -v k="$best_rss" 'BEGIN { print k / 1024 }')" "$runs"
	eval "${label//[^a-z]/_}_time=$best; ${label//[^a-z]/_}_rss=$best_rss"
}

measure flamesamp "$bin" render -o "$tmp/flamesamp.svg" "$tmp/input.folded"
frames=$(grep -o '<g><title>' "$tmp/flamesamp.svg" | wc -l)
echo "render: flamesamp SVG   $(stat -c %s "$tmp/flamesamp.svg") bytes, $frames frames"

if command -v flamegraph.pl >/dev/null; then
	runs=1 measure flamegraph.pl sh -c "flamegraph.pl '$tmp/input.folded' >'$tmp/perl.svg'"
	echo "render: flamegraph.pl SVG $(stat -c %s "$tmp/perl.svg") bytes," \
		"$(grep -c '^<g >' "$tmp/perl.svg") frames"
	awk -v a="$flamesamp_time" -v b="$flamegraph_pl_time" -v ra="$flamesamp_rss" \
		-v rb="$flamegraph_pl_rss" 'BEGIN {
		printf "render: flamesamp is %.1fx faster with %.1fx less memory\n",
			b / (a > 0 ? a : 0.01), rb / ra }'
else
	echo "render: flamegraph.pl not on PATH: no comparison"
fi
