#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Allocation recording (`flamesamp --malloc`) end to end, as root, on
# tests/programs/malloc_sites.c built without frame pointers: four functions called by main
# allocate known sizes through malloc, calloc, malloc+realloc and posix_memalign, free some
# and keep others.  Bytes per site must be exact in bytes mode, calls exact in count mode,
# and in live mode only the sites that keep memory, with exactly what they keep.  Also:
# sampling, attaching with -p, a statically linked target (found through --malloc-lib), and
# errors.
#
# Without root, or on a kernel without BTF, every check is skipped with the reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_record.sh"

SKIP_REASON=""
STATIC_REASON=""
if [ "$(id -u)" != 0 ]; then
	SKIP_REASON="not running as root (uid $(id -u)): BPF uprobes need root"
elif [ ! -e /sys/kernel/btf/vmlinux ]; then
	SKIP_REASON="the kernel has no BTF (/sys/kernel/btf/vmlinux): the BPF programs need it"
elif ! command -v "${CC:-cc}" >/dev/null; then
	SKIP_REASON="no C compiler (${CC:-cc}) to build the programs to profile"
elif ! "${CC:-cc}" -O2 -g -fno-builtin -fomit-frame-pointer -o "$T/malloc_sites" \
	"$PROGRAMS/malloc_sites.c" 2>"$T/cc.err"; then
	fail "malloc: build tests/programs/malloc_sites.c" "$(head -c 500 "$T/cc.err")"
	finish
	exit
elif ! "${CC:-cc}" -O2 -g -fno-builtin -static -o "$T/malloc_static" \
	"$PROGRAMS/malloc_sites.c" 2>"$T/cc.err"; then
	STATIC_REASON="cannot link statically (no libc.a): $(head -c 200 "$T/cc.err")"
fi

# sites FILE: "site_X COUNT" for the four sites, in a fixed order, from lines main;site_X
sites() {
	local s
	for s in site_malloc site_calloc site_realloc site_aligned site_failed; do
		echo "$s $(weight "$1" "$s")"
	done | tr '\n' ' '
}

# A command: bytes, calls and live bytes per site, exact.
test_malloc_modes() {
	local n_bytes="malloc -- CMD: bytes per site exact (48000, 200000, 630000, 204800, 0 for NULL results)"
	local n_count="malloc=count: calls per site exact (1000, 200, 600, 50; failed calls not counted)"
	local n_live="malloc=live: only the sites that keep memory, with exactly what they keep"
	local n_path="malloc: stacks go _start;...;main;site_X (CFI through libc, no frame pointers)"
	local n_svg="malloc: SVG in bytes with the mem palette"
	local n_overflow="malloc=live --malloc-max-live 100: the blocks not tracked are counted and said"
	local got
	skip_all "$SKIP_REASON" "$n_bytes" "$n_count" "$n_live" "$n_path" "$n_svg" "$n_overflow" &&
		return
	run bytes --malloc -o "$T/bytes.folded" -- "$T/malloc_sites"
	got=$(sites "$T/bytes.folded")
	if [ "$rc" -eq 0 ] &&
		[ "$got" = "site_malloc 48000 site_calloc 200000 site_realloc 630000 site_aligned 204800 site_failed 0 " ]; then
		pass "$n_bytes"
	else
		fail "$n_bytes" "$got; $(outcome bytes)"
	fi
	# every line of a site: the whole path from _start, the site called by main
	if [ "$rc" -eq 0 ] && awk '/;site_/ && !/^malloc_sites;_start;__libc_start_main_impl;__libc_start_call_main;main;site_[a-z]+ [0-9]+$/ { bad++ }
		/;site_/ { n++ } END { exit bad || n != 4 }' "$T/bytes.folded"; then
		pass "$n_path"
	else
		fail "$n_path" "$(head -3 "$T/bytes.folded" | cut -c1-200)"
	fi
	run count --malloc=count -o "$T/count.folded" -- "$T/malloc_sites"
	got=$(sites "$T/count.folded")
	if [ "$rc" -eq 0 ] &&
		[ "$got" = "site_malloc 1000 site_calloc 200 site_realloc 600 site_aligned 50 site_failed 0 " ]; then
		pass "$n_count"
	else
		fail "$n_count" "$got; $(outcome count)"
	fi
	run live --malloc=live -o "$T/live.folded" -- "$T/malloc_sites"
	got=$(sites "$T/live.folded")
	if [ "$rc" -eq 0 ] &&
		[ "$got" = "site_malloc 0 site_calloc 200000 site_realloc 0 site_aligned 102400 site_failed 0 " ]; then
		pass "$n_live"
	else
		fail "$n_live" "$got; $(outcome live)"
	fi
	# 100 blocks tracked at most: the overflow is counted and said
	run overflow --malloc=live --malloc-max-live 100 -o "$T/overflow.folded" -- "$T/malloc_sites"
	if [ "$rc" -eq 0 ] && grep -q 'blocks were not tracked (over --malloc-max-live)' \
		"$T/overflow.err"; then
		pass "$n_overflow"
	else
		fail "$n_overflow" "$(outcome overflow)"
	fi
	run svg --malloc -o "$T/bytes.svg" -- "$T/malloc_sites"
	if [ "$rc" -eq 0 ] && svg_ok "$T/bytes.svg" && grep -q '"countname":"bytes"' "$T/bytes.svg" &&
		grep -q 'Allocation Flame Graph: bytes allocated' "$T/bytes.svg" &&
		grep -q '<title>site_calloc (200,000 bytes' "$T/bytes.svg"; then
		pass "$n_svg"
	else
		fail "$n_svg" "$(outcome svg)"
	fi
}

# --malloc-sample: one allocation in N at random, weights scaled by N.
test_malloc_sample() {
	local n_sample="malloc --malloc-sample 10: site_malloc's 1000 calls within 35%, in tens"
	local got
	skip_all "$SKIP_REASON" "$n_sample" && return
	run sample --malloc=count --malloc-sample 10 -o "$T/sample.folded" -- "$T/malloc_sites"
	got=$(weight "$T/sample.folded" site_malloc)
	if [ "$rc" -eq 0 ] && [ "$got" -ge 650 ] && [ "$got" -le 1350 ] && [ $((got % 10)) -eq 0 ]; then
		pass "$n_sample"
	else
		fail "$n_sample" "site_malloc $got calls; $(outcome sample)"
	fi
}

# Attaching to a process that waits, before it allocates.
test_malloc_pid() {
	local n_pid="malloc=live -p PID: the allocations made while attached, exact"
	local target got
	skip_all "$SKIP_REASON" "$n_pid" && return
	mkfifo "$T/in"
	"$T/malloc_sites" -w <"$T/in" >"$T/pid.log" 2>&1 &
	target=$!
	bg_pids+=("$target")
	exec 7>"$T/in"
	wait_ready_log "$T/pid.log"
	"$FLAMESAMP" --malloc=live -p "$target" -o "$T/pid.folded" >"$T/pid.out" 2>"$T/pid.err" &
	local rec=$!
	sleep 1.5 # attached
	echo go >&7
	for _ in $(seq 50); do grep -q done "$T/pid.log" && break; sleep 0.1; done
	kill -INT "$rec"
	wait "$rec"
	rc=$?
	echo end >&7
	exec 7>&-
	wait "$target" 2>/dev/null
	got=$(sites "$T/pid.folded")
	if [ "$rc" -eq 0 ] &&
		[ "$got" = "site_malloc 0 site_calloc 200000 site_realloc 0 site_aligned 102400 site_failed 0 " ]; then
		pass "$n_pid"
	else
		fail "$n_pid" "$got; exit $rc: $(head -c 300 "$T/pid.err")"
	fi
}

# wait_ready_log FILE: until FILE holds "ready" (10 s at most)
wait_ready_log() {
	for _ in $(seq 100); do grep -q ready "$1" && return 0; sleep 0.1; done
	return 1
}

# A static binary has no libc to probe: said clearly; --malloc-lib on the binary works.
test_malloc_static() {
	local n_warn="malloc -- STATIC: says no allocation was seen and why"
	local n_lib="malloc --malloc-lib STATIC: the static binary's own malloc, bytes exact"
	local got
	skip_all "$SKIP_REASON" "$n_warn" "$n_lib" && return
	skip_all "$STATIC_REASON" "$n_warn" "$n_lib" && return
	run static --malloc -o "$T/static.folded" -- "$T/malloc_static"
	if grep -q 'statically linked' "$T/static.err"; then
		pass "$n_warn"
	else
		fail "$n_warn" "$(outcome static)"
	fi
	run staticlib --malloc --malloc-lib "$T/malloc_static" -o "$T/staticlib.folded" -- \
		"$T/malloc_static"
	got=$(sites "$T/staticlib.folded")
	if [ "$rc" -eq 0 ] &&
		[ "$got" = "site_malloc 48000 site_calloc 200000 site_realloc 630000 site_aligned 204800 site_failed 0 " ]; then
		pass "$n_lib"
	else
		fail "$n_lib" "$got; $(outcome staticlib)"
	fi
}

test_malloc_errors() {
	local n_usage="malloc: bad mode, -a, -F, --malloc-sample without --malloc, with --offcpu: exit 2"
	local n_lib="malloc --malloc-lib without malloc: exit 1, one line naming the file"
	local bad="" args
	skip_all "$SKIP_REASON" "$n_usage" "$n_lib" && return
	for args in "--malloc=sizes" "--malloc -a" "--malloc -F 99" "--malloc-sample 10" \
		"--malloc --offcpu" "--malloc-lib /x"; do
		# shellcheck disable=SC2086 # the options are words
		run usage $args -o "$T/usage.folded" -- /bin/true
		[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/usage.err")" -eq 1 ] || bad+="'$args': exit $rc; "
	done
	if [ -z "$bad" ]; then pass "$n_usage"; else fail "$n_usage" "$bad"; fi
	run lib --malloc --malloc-lib /bin/true -o "$T/lib.folded" -- /bin/true
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/lib.err")" -eq 1 ] && grep -q '/bin/true' "$T/lib.err" &&
		[ ! -e "$T/lib.folded" ]; then
		pass "$n_lib"
	else
		fail "$n_lib" "$(outcome lib)"
	fi
}

test_malloc_modes
test_malloc_sample
test_malloc_pid
test_malloc_static
test_malloc_errors
finish
