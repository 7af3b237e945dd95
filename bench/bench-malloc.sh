#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Allocation tracing overhead: bench/malloc_loop.c (PAIRS malloc(64)/free pairs, timed by
# itself) with no tracing, under `flamesamp --malloc` (every allocation with its stack
# copy), `--malloc-sample 100`, and the equivalent bpftrace uprobe script (size at entry,
# summed per user stack at return) when bpftrace is installed; bpftrace runs in a private
# mount namespace with tracefs mounted there.  Needs root; figures only.
#
#   bench/bench-malloc.sh BUILD_DIR   (PAIRS=10000000)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
pairs=${PAIRS:-10000000}
flamesamp=${FLAMESAMP:-$PWD/$build/flamesamp}

if [ "$(id -u)" != 0 ]; then
	echo "malloc: not root: no allocation tracing figures"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O2 -fno-builtin -o "$tmp/malloc_loop" bench/malloc_loop.c
libc=$(awk '$6 ~ /\/libc[.-]/ { print $6; exit }' /proc/self/maps)

# row NAME COMMAND...: COMMAND runs malloc_loop, whose time is the last number it prints
base=""
row() {
	local name=$1 t
	shift
	if ! "$@" >"$tmp/out" 2>"$tmp/err"; then
		printf '  %-40s failed: %s\n' "$name" "$(head -c 200 "$tmp/err")"
		return
	fi
	t=$(grep -E '^[0-9.]+$' "$tmp/out" | tail -1)
	[ -n "$base" ] || base=$t
	printf '  %-40s %8.3f s %8.3f us/pair %7.1fx   %s\n' "$name" "$t" \
		"$(awk -v t="$t" -v n="$pairs" 'BEGIN { print t / n * 1e6 }')" \
		"$(awk -v t="$t" -v b="$base" 'BEGIN { print t / b }')" \
		"$(grep -o '[0-9,]* allocations in [^ ]*.*recorded' "$tmp/err" | head -1)"
}

echo "malloc: $pairs malloc(64)/free pairs"
row "no tracing" "$tmp/malloc_loop" "$pairs"
row "flamesamp --malloc" "$flamesamp" --malloc -o "$tmp/m.folded" -- "$tmp/malloc_loop" "$pairs"
grep 'dropped' "$tmp/err" | sed 's/^/    /' || true
row "flamesamp --malloc --malloc-sample 100" "$flamesamp" --malloc --malloc-sample 100 \
	-o "$tmp/s.folded" -- "$tmp/malloc_loop" "$pairs"
if command -v bpftrace >/dev/null && command -v unshare >/dev/null; then
	cat >"$tmp/malloc.bt" <<BT
uprobe:$libc:malloc /pid == cpid/ { @size[tid] = arg0; }
uretprobe:$libc:malloc /pid == cpid && @size[tid]/
{
	@bytes[ustack] = sum(@size[tid]);
	delete(@size[tid]);
}
BT
	# shellcheck disable=SC2016 # expanded by the inner shell
	row "bpftrace (same script)" unshare -m sh -c \
		'mount -t tracefs nodev /sys/kernel/tracing && exec bpftrace -q -o "$0/bt.out" \
			"$0/malloc.bt" -c "$0/malloc_loop $1"' "$tmp" "$pairs"
else
	echo "  bpftrace not installed: no comparison"
fi
