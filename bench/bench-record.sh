#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Cost of recording: a CPU-bound program doing a fixed amount of work (tests/programs/cpu_split.c
# -n ROUNDS) alone, then under `flamesamp -F 997` and `-F 10000`, and under `perf record -g`
# at the same rates when perf is installed.  For each, averaged over a few runs:
#
#   samples, lost   as the profiler itself reports them
#   CPU             the profiler's own user + sys time (its rusage covers the children it
#                   waited for, so the target's own times, measured inside, are subtracted)
#   target          the target's wall-clock time, and its slowdown against running alone
#   exit->output    from the target's exit to the profiler's: for flamesamp, the SVG is ready;
#                   for perf, perf.data is written, and "+ N s" is what `perf script |
#                   flamesamp collapse perf | flamesamp render` then takes to reach an SVG
#
#   bench/bench-record.sh [BUILD_DIR] [ROUNDS]     (defaults: build, 8000: about 3 s of work)
#
# Needs root (to sample at these rates whatever perf_event_paranoid says).  Prints figures
# only; it never fails on a time.
set -u
cd "$(dirname "$0")/.." || exit 2

build=${1:-build}
rounds=${2:-8000}
runs=3
case "$build" in
/*) bin=$build/flamesamp ;;
*) bin=$PWD/$build/flamesamp ;;
esac

echo "record: cpu_split -n $rounds (fixed work), $runs runs each"
if [ "$(id -u)" != 0 ]; then
	echo "  skipped: not running as root (uid $(id -u)); sampling needs root here"
	exit 0
fi
if [ ! -x /usr/bin/time ]; then
	echo "  skipped: /usr/bin/time is missing (apt-get install time)"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "bench-record: $bin not found (build it first)" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"${CC:-cc}" -O1 -g -fno-omit-frame-pointer -o "$tmp/cpu_split" tests/programs/cpu_split.c || exit 1
# The target as the profilers run it: its own times, and the moment it exited.
cat >"$tmp/target.sh" <<EOF
#!/bin/sh
/usr/bin/time -f '%e %U %S' -o "$tmp/target.time" "$tmp/cpu_split" -n $rounds
date +%s.%N >"$tmp/target.end"
EOF
chmod +x "$tmp/target.sh"

# ---- what the profilers report about themselves on stderr.  The flamesamp summary line is
# "flamesamp: 1,002 samples, 0 lost, 0 throttled; wrote FILE"; if its wording changes, these
# two functions are the place to adapt.  "?" when nothing matches.
flamesamp_samples() {
	sed -n 's/^flamesamp: \([0-9][0-9,]*\) samples.*/\1/p' "$1" | tail -1 | tr -d , | grep . || echo "?"
}
flamesamp_lost() {
	grep -i 'lost' "$1" | sed -n 's/.*[^0-9,]\([0-9][0-9,]*\) lost.*/\1/p' | tail -1 | tr -d , |
		grep . || echo "?"
}
# perf prints "[ perf record: Captured and wrote 0.5 MB perf.data (2987 samples) ]", and
# lost events only when there are some ("Processed N events and lost M chunks!").
perf_samples() {
	sed -n 's/.*(\([0-9]*\) samples).*/\1/p' "$1" | tail -1 | grep . || echo "?"
}
perf_lost() {
	sed -n 's/.*lost \([0-9][0-9]*\).*/\1/p' "$1" | awk '{ n += $1 } END { print n + 0 }'
}

# ---- the target alone: the average of $runs runs, as for the profilers
alone=0
for ((i = 0; i < runs; i++)); do
	"$tmp/target.sh"
	read -r wall _ <"$tmp/target.time"
	alone=$(awk -v a="$alone" -v w="$wall" -v n="$runs" 'BEGIN { print a + w / n }')
done
printf '  target alone: %.2f s\n' "$alone"
printf '  %-24s %8s %6s %8s %9s %9s %14s\n' profiler samples lost 'own CPU' target slowdown exit-\>output

# measure LABEL KIND POST COMMAND...: runs COMMAND, a profiler whose last arguments are
# $tmp/target.sh, $runs times and prints the row of averages.  KIND (flamesamp or perf) says
# how to read its report; POST, if not empty, is a command run afterwards to reach an SVG,
# whose time is shown apart.
measure() {
	local label=$1 kind=$2 post=$3 i end post_time t_wall t_user t_sys p_user p_sys post_start
	shift 3
	: >"$tmp/rows"
	for ((i = 0; i < runs; i++)); do
		rm -f "$tmp/target.end" "$tmp/target.time"
		/usr/bin/time -f '%U %S' -o "$tmp/profiler.time" "$@" >"$tmp/profiler.out" \
			2>"$tmp/profiler.err"
		end=$(date +%s.%N)
		if [ ! -s "$tmp/target.end" ]; then
			echo "  $label: failed: $(tail -c 300 "$tmp/profiler.err")"
			return
		fi
		read -r t_wall t_user t_sys <"$tmp/target.time"
		read -r p_user p_sys < <(tail -1 "$tmp/profiler.time")
		post_time=0
		if [ -n "$post" ]; then
			post_start=$(date +%s.%N)
			bash -c "$post"
			post_time=$(awk -v a="$post_start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
		fi
		echo "$("${kind}_samples" "$tmp/profiler.err") $("${kind}_lost" "$tmp/profiler.err")" \
			"$(awk -v u="$p_user" -v s="$p_sys" -v tu="$t_user" -v ts="$t_sys" \
				'BEGIN { print u + s - tu - ts }')" \
			"$t_wall $(awk -v a="$(cat "$tmp/target.end")" -v b="$end" 'BEGIN { print b - a }')" \
			"$post_time" >>"$tmp/rows"
	done
	awk -v label="$label" -v alone="$alone" -v post="$post" '
	{ for (i = 1; i <= 6; i++) { s[i] += $i; if ($i == "?") unknown[i] = 1 } }
	END {
		n = NR
		samples = unknown[1] ? "?" : sprintf("%d", s[1] / n)
		lost = unknown[2] ? "?" : sprintf("%d", s[2] / n)
		tail = post ? sprintf(" + %.2f s", s[6] / n) : ""
		printf "  %-24s %8s %6s %7.2fs %8.2fs %+8.1f%% %13.3fs%s\n", label, samples, lost,
			s[3] / n, s[4] / n, 100 * (s[4] / n / alone - 1), s[5] / n, tail
	}' "$tmp/rows"
}

for hz in 997 10000; do
	measure "flamesamp -F $hz" flamesamp "" \
		"$bin" -F "$hz" -o "$tmp/flamesamp.svg" -- "$tmp/target.sh"
done
if command -v perf >/dev/null 2>&1; then
	for hz in 997 10000; do
		measure "perf record -g -F $hz" perf \
			"perf script -i '$tmp/perf.data' 2>/dev/null | '$bin' collapse perf | '$bin' render >'$tmp/perf.svg'" \
			perf record -g -F "$hz" -o "$tmp/perf.data" -- "$tmp/target.sh"
	done
else
	echo "  perf not installed: no comparison"
fi
echo "  (kernel.perf_event_max_sample_rate = $(cat /proc/sys/kernel/perf_event_max_sample_rate 2>/dev/null || echo '?'))"
