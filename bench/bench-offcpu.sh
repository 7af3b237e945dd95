#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Off-CPU tracing overhead: bench/pingpong.c (two threads passing a byte over two pipes,
# ROUNDS round trips, each blocking both threads once) pinned to one CPU, so that a round
# trip is two context switches and not two wakeups of an idle CPU, timed by itself:
#   - with no tracing,
#   - under `flamesamp --offcpu` (user stack copies, unwound in user space),
#   - under `flamesamp --offcpu --call-graph fp` (stacks summed in the kernel),
#   - under `flamesamp --offcpu --sched-frames` (kernel stacks walked at switch-out),
#   - under the equivalent bpftrace script (kernel and user stacks taken at switch-out,
#     summed per stack at switch-in), when bpftrace is installed.
# bpftrace reads tracepoint formats from tracefs, which is not always mounted: it is run in a
# private mount namespace with tracefs mounted there.  Needs root; figures only.
#
#   bench/bench-offcpu.sh BUILD_DIR   (ROUNDS=1000000, RUNS=3: the median is shown)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
rounds=${ROUNDS:-1000000}
runs=${RUNS:-3}
flamesamp=${FLAMESAMP:-$PWD/$build/flamesamp}

if [ "$(id -u)" != 0 ]; then
	echo "offcpu: not root: no off-CPU figures"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -pthread -o "$tmp/pingpong" bench/pingpong.c
cpu=$(($(nproc) - 1))

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME COMMAND...: COMMAND runs `pingpong`, whose time is the last line it prints
measure() {
	local name=$1 i t
	shift
	for ((i = 0; i < runs; i++)); do
		"$@" >"$tmp/out" 2>"$tmp/err" || {
			printf '  %-38s failed: %s\n' "$name" "$(head -c 200 "$tmp/err")"
			return
		}
		grep -E '^[0-9.]+$' "$tmp/out" | tail -1
	done | median >"$tmp/t"
	t=$(cat "$tmp/t")
	[ -n "$t" ] || return 0
	[ -n "${base:-}" ] || base=$t
	printf '  %-38s %8.3f s %8.2f us/round trip %6.2fx\n' "$name" "$t" \
		"$(awk -v t="$t" -v n="$rounds" 'BEGIN { print t / n * 1e6 }')" \
		"$(awk -v t="$t" -v b="$base" 'BEGIN { print t / b }')"
}

echo "offcpu: $rounds pipe round trips between two threads on CPU $cpu (median of $runs)"
base=""
measure "no tracing" taskset -c "$cpu" "$tmp/pingpong" "$rounds"
measure "flamesamp --offcpu" "$flamesamp" --offcpu -q -o "$tmp/fs.folded" -- \
	taskset -c "$cpu" "$tmp/pingpong" "$rounds"
blocks=$(awk '{ w += $NF } END { printf "%.3f", w / 1e6 }' "$tmp/fs.folded")
measure "flamesamp --offcpu --call-graph fp" "$flamesamp" --offcpu --call-graph fp -q \
	-o "$tmp/fp.folded" -- taskset -c "$cpu" "$tmp/pingpong" "$rounds"
measure "flamesamp --offcpu --sched-frames" "$flamesamp" --offcpu --sched-frames -q \
	-o "$tmp/sf.folded" -- taskset -c "$cpu" "$tmp/pingpong" "$rounds"
if command -v bpftrace >/dev/null && command -v unshare >/dev/null; then
	# the same work as flamesamp's: stacks at switch-out, time summed at switch-in
	cat >"$tmp/offcpu.bt" <<'EOF'
tracepoint:sched:sched_switch
{
	if (pid == cpid) {
		@start[tid] = nsecs;
		@kstack[tid] = kstack;
		@ustack[tid] = ustack;
	}
	$t = @start[args->next_pid];
	if ($t) {
		$us = (nsecs - $t) / 1000;
		if ($us >= 1) {
			@us[args->next_comm, @kstack[args->next_pid], @ustack[args->next_pid]] = sum($us);
		}
		delete(@start[args->next_pid]);
	}
}
EOF
	# bpftrace -c wants an unambiguous path: taskset is in /bin and /usr/bin here
	# shellcheck disable=SC2016 # expanded by the inner shell
	measure "bpftrace (same script)" unshare -m sh -c \
		'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace -q -o "$0/bt.out" \
			"$0/offcpu.bt" -c "$3 -c $1 $0/pingpong $2"' \
		"$tmp" "$cpu" "$rounds" "$(command -v taskset)"
else
	echo "  bpftrace not installed: no comparison"
fi
echo "  flamesamp --offcpu recorded $blocks s off-CPU"
