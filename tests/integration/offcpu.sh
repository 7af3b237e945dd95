#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Off-CPU recording (`flamesamp --offcpu`, `--hotcold`) end to end, as root, on
# tests/programs/offcpu_split.c built here without frame pointers: the main thread blocks in
# nanosleep, a pipe read and a mutex for 6:3:1 of its blocked time, and reports the time it
# really spent in each function, which the recorded microseconds are checked against (the
# split within 5 points, each total within 10%), with call paths that go from main through
# libc into the kernel.  Also: attaching with -p, the task-state and block-length filters,
# frame-pointer stacks aggregated in the kernel, hot/cold graphs, and errors.
#
# Without root, or on a kernel without BTF, every check is skipped with the reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_record.sh"

SKIP_REASON=""
if [ "$(id -u)" != 0 ]; then
	SKIP_REASON="not running as root (uid $(id -u)): BPF programs need root"
elif [ ! -e /sys/kernel/btf/vmlinux ]; then
	SKIP_REASON="the kernel has no BTF (/sys/kernel/btf/vmlinux): off-CPU tracing needs CONFIG_DEBUG_INFO_BTF"
elif ! command -v "${CC:-cc}" >/dev/null; then
	SKIP_REASON="no C compiler (${CC:-cc}) to build the programs to profile"
elif ! "${CC:-cc}" -O2 -g -fomit-frame-pointer -pthread -o "$T/offcpu_split" \
	"$PROGRAMS/offcpu_split.c" 2>"$T/cc.err"; then
	fail "offcpu: build tests/programs/offcpu_split.c" "$(head -c 500 "$T/cc.err")"
	finish
	exit
fi

# reported FILE FUNCTION: microseconds FUNCTION took by the program's own clock
reported() {
	awk -v f="$2" '$1 == f { printf "%d\n", $2 * 1e6 }' "$1"
}

# within PERCENT GOT WANT: GOT is within PERCENT % of WANT
within() {
	awk -v p="$1" -v got="$2" -v want="$3" 'BEGIN {
		exit !(want > 0 && got >= want * (1 - p / 100) && got <= want * (1 + p / 100))
	}'
}

# split_check FOLDED REPORT: the shares of wait_sleep, wait_pipe and wait_mutex in the
# recorded time, each within 5 points of its share of the program's own times
split_check() {
	awk -v a="$(weight "$1" wait_sleep)" -v b="$(weight "$1" wait_pipe)" \
		-v c="$(weight "$1" wait_mutex)" -v ra="$(reported "$2" wait_sleep)" \
		-v rb="$(reported "$2" wait_pipe)" -v rc="$(reported "$2" wait_mutex)" '
	function off(got, want) { return got > want + 5 || got < want - 5 }
	BEGIN {
		t = a + b + c; rt = ra + rb + rc
		if (!t || !rt) { printf "nothing recorded (%d us) or reported (%d us)\n", t, rt; exit 1 }
		printf "sleep:pipe:mutex recorded %.1f:%.1f:%.1f, real %.1f:%.1f:%.1f (%d us, %d us)\n",
			100 * a / t, 100 * b / t, 100 * c / t, 100 * ra / rt, 100 * rb / rt,
			100 * rc / rt, t, rt
		exit off(100 * a / t, 100 * ra / rt) || off(100 * b / t, 100 * rb / rt) ||
			off(100 * c / t, 100 * rc / rt)
	}'
}

# path_check FOLDED FUNCTION LIBC_RE: percentage of FUNCTION's time in stacks that go
# main;FUNCTION, then through a frame matching LIBC_RE, then into the kernel
path_check() {
	awk -v fn="$2" -v libc="$3" "{ $SPLIT"'
		at = 0
		for (i = 2; i <= n; i++) if (f[i] == fn) at = i
		if (!at) next
		all += $NF
		if (f[at - 1] != "main") next
		lib = 0; kernel = 0
		for (i = at + 1; i <= n; i++) {
			if (f[i] ~ libc) lib = 1
			if (lib && f[i] ~ /_\[k\]$/) kernel = 1
		}
		if (lib && kernel) good += $NF
	} END { printf "%d\n", all ? 100 * good / all : 0 }' "$1"
}

# A command under --offcpu: its blocked-time split, totals and call paths.
test_offcpu_command() {
	local n_rc="offcpu -- CMD: exit 0, folded output in microseconds"
	local n_split="offcpu -- CMD: wait_sleep:wait_pipe:wait_mutex as the program measured, within 5 points"
	local n_total="offcpu -- CMD: each function's recorded time within 10% of the program's"
	local n_path="offcpu -- CMD: main;wait_X;libc...;kernel stacks for the sleep, pipe and mutex"
	local report fn got want bad="" share
	skip_all "$SKIP_REASON" "$n_rc" "$n_split" "$n_total" "$n_path" && return
	run cmd --offcpu -o "$T/cmd.folded" -- "$T/offcpu_split" 100 "$T/cmd.report"
	if [ "$rc" -eq 0 ] && folded_ok "$T/cmd.folded" && [ -s "$T/cmd.report" ]; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome cmd)"
		fail "$n_split"
		fail "$n_total"
		fail "$n_path"
		return
	fi
	if report=$(split_check "$T/cmd.folded" "$T/cmd.report"); then
		pass "$n_split"
	else
		fail "$n_split" "$report"
	fi
	for fn in wait_sleep wait_pipe wait_mutex; do
		got=$(weight "$T/cmd.folded" $fn)
		want=$(reported "$T/cmd.report" $fn)
		within 10 "$got" "$want" || bad+="$fn $got us recorded, $want us real; "
	done
	if [ -z "$bad" ]; then pass "$n_total"; else fail "$n_total" "$bad"; fi
	bad=""
	for fn in "wait_sleep nanosleep" "wait_pipe read" "wait_mutex (lll_lock|futex|pthread_mutex_lock|pthread_cond_wait)"; do
		# shellcheck disable=SC2086 # two words: function and pattern
		set -- $fn
		share=$(path_check "$T/cmd.folded" "$1" "$2")
		[ "$share" -ge 90 ] || bad+="$1: $share% complete; "
	done
	if [ -z "$bad" ]; then
		pass "$n_path"
	else
		fail "$n_path" "$bad e.g. $(grep -m1 'wait_pipe' "$T/cmd.folded" | cut -c1-300)"
	fi
}

# kernel_weight FOLDED FUNCTION: the weight of stacks through FUNCTION that go on into
# the kernel's nanosleep (the block's kernel stack)
kernel_weight() {
	awk -v want="$2" "{ $SPLIT"'
		at = 0
		for (i = 2; i <= n; i++) if (f[i] == want) at = i
		if (!at) next
		for (i = at + 1; i <= n; i++) if (f[i] ~ /nanosleep.*_\[k\]$/) { w += $NF; break }
	} END { print w + 0 }' "$1"
}

# A block still going on when the recording stops counts up to then, with the kernel
# stack it is blocked in (taken at switch-in otherwise, which never came).
test_offcpu_still_blocked() {
	local n_end="offcpu -d 1 -- sleep 5: the sleep still going at the end counts up to then (1 s within 15%), with its kernel stack"
	local n_fp="offcpu --call-graph fp -d 1 -- sleep 5: the same, summed in the kernel"
	local got kern
	skip_all "$SKIP_REASON" "$n_end" "$n_fp" && return
	run end --offcpu -d 1 -o "$T/end.folded" -- sleep 5
	got=$(weight "$T/end.folded" __clock_nanosleep)
	kern=$(kernel_weight "$T/end.folded" __clock_nanosleep)
	if [ "$rc" -ne 0 ] && within 15 "$got" 1000000 && [ "$kern" -eq "$got" ] &&
		grep -q 'still off-CPU at the end' "$T/end.err"; then
		pass "$n_end"
	else
		fail "$n_end" "__clock_nanosleep $got us, $kern us of it with kernel frames; $(outcome end)"
	fi
	run endfp --offcpu --call-graph fp -d 1 -o "$T/endfp.folded" -- sleep 5
	got=$(weight "$T/endfp.folded" __clock_nanosleep)
	kern=$(kernel_weight "$T/endfp.folded" __clock_nanosleep)
	if [ "$rc" -ne 0 ] && within 15 "$got" 1000000 && [ "$kern" -eq "$got" ]; then
		pass "$n_fp"
	else
		fail "$n_fp" "__clock_nanosleep $got us, $kern us of it with kernel frames; $(outcome endfp)"
	fi
}

# Kernel stacks: by default from the blocked thread's saved state (the scheduler's own
# functions left out by the kernel), with --sched-frames walked at switch-out.
test_offcpu_sched_frames() {
	local n_def="offcpu: kernel stacks of pipe reads reach pipe_read, without schedule()"
	local n_sched="offcpu --sched-frames: the same stacks end in schedule and __schedule"
	skip_all "$SKIP_REASON" "$n_def" "$n_sched" && return
	run kdef --offcpu -o "$T/kdef.folded" -- "$T/offcpu_split" 20
	if [ "$rc" -eq 0 ] && grep -q 'wait_pipe;.*pipe_read_\[k\]' "$T/kdef.folded" &&
		! grep -q 'schedule_\[k\]' "$T/kdef.folded"; then
		pass "$n_def"
	else
		fail "$n_def" "$(grep -m1 'wait_pipe' "$T/kdef.folded" | cut -c1-300); $(outcome kdef)"
	fi
	run ksched --offcpu --sched-frames -o "$T/ksched.folded" -- "$T/offcpu_split" 20
	if [ "$rc" -eq 0 ] &&
		grep -q 'wait_pipe;.*pipe_read_\[k\];schedule_\[k\];__schedule_\[k\] ' "$T/ksched.folded"; then
		pass "$n_sched"
	else
		fail "$n_sched" "$(grep -m1 'wait_pipe' "$T/ksched.folded" | cut -c1-300); $(outcome ksched)"
	fi
}

# The SVG: off-CPU title, microseconds, the io palette (blues), well-formed.
test_offcpu_svg() {
	local n_svg="offcpu: SVG titled Off-CPU Time Flame Graph, counts in us, blue frames"
	skip_all "$SKIP_REASON" "$n_svg" && return
	run svg --offcpu -o "$T/off.svg" -- "$T/offcpu_split" 20
	# the io palette's hues: red and green well below blue
	if [ "$rc" -eq 0 ] && svg_ok "$T/off.svg" && grep -q 'Off-CPU Time Flame Graph' "$T/off.svg" &&
		grep -q '"countname":"us"' "$T/off.svg" &&
		grep -o 'fill="rgb([0-9]*,[0-9]*,[0-9]*)"' "$T/off.svg" | tr -dc '0-9,\n' |
		awk -F, '$3 > $1 + 40 { blue++ } END { exit !(blue > 0.8 * NR) }'; then
		pass "$n_svg"
	else
		fail "$n_svg" "$(outcome svg)"
	fi
}

# Attaching to a running process for part of its run.
test_offcpu_pid() {
	local n_pid="offcpu -p PID -d 2: the same split, within 5 points"
	local target report
	skip_all "$SKIP_REASON" "$n_pid" && return
	spawn target "$T/offcpu_split" 400 "$T/pid.report"
	sleep 0.5
	run pid --offcpu -p "$target" -d 2 -o "$T/pid.folded"
	wait_exit "$target" 20
	if [ "$rc" -eq 0 ] && report=$(split_check "$T/pid.folded" "$T/pid.report"); then
		pass "$n_pid"
	else
		fail "$n_pid" "${report:-} $(outcome pid)"
	fi
}

# --state and --min-block / --max-block, applied in the kernel.
test_offcpu_filters() {
	local n_d="offcpu --state uninterruptible: the vfork waits kept, within 10% of the real time"
	local n_s="offcpu --state interruptible: no vfork waits, the children's sleeps kept"
	local n_min="offcpu --min-block 4500: the 6 ms sleeps, hardly any 3 ms pipe or 1 ms mutex wait"
	local n_max="offcpu --max-block 4500: no 6 ms sleep"
	local got want
	skip_all "$SKIP_REASON" "$n_d" "$n_s" "$n_min" "$n_max" && return
	run d --offcpu --state uninterruptible -o "$T/d.folded" -- "$T/offcpu_split" -D 50 "$T/d.report"
	# the stack ends in __libc_vfork: vfork keeps its return address in a register
	# while the child runs on the same stack, and CFI cannot follow it there
	got=$(weight "$T/d.folded" __libc_vfork)
	want=$(reported "$T/d.report" wait_vfork)
	if [ "$rc" -eq 0 ] && within 10 "$got" "$want" &&
		[ "$(weight "$T/d.folded" __clock_nanosleep)" -lt "$((want / 10))" ]; then
		pass "$n_d"
	else
		fail "$n_d" "__libc_vfork $got us recorded, wait_vfork $want us real; $(outcome d)"
	fi
	run s --offcpu --state interruptible -o "$T/s.folded" -- "$T/offcpu_split" -D 50
	if [ "$rc" -eq 0 ] && [ "$(weight "$T/s.folded" __libc_vfork)" -eq 0 ] &&
		[ "$(weight "$T/s.folded" __clock_nanosleep)" -gt 0 ]; then
		pass "$n_s"
	else
		fail "$n_s" "__libc_vfork $(weight "$T/s.folded" __libc_vfork) us; $(outcome s)"
	fi
	run min --offcpu --min-block 4500 -o "$T/min.folded" -- "$T/offcpu_split" 30
	# 30 pipe waits of 3 ms and mutex waits of 1 ms: on a loaded machine one may
	# take longer than 4.5 ms, never many
	if [ "$rc" -eq 0 ] && [ "$(weight "$T/min.folded" wait_sleep)" -gt 150000 ] &&
		[ "$(weight "$T/min.folded" wait_pipe)" -lt 15000 ] &&
		[ "$(weight "$T/min.folded" wait_mutex)" -lt 15000 ]; then
		pass "$n_min"
	else
		fail "$n_min" "sleep/pipe/mutex $(weight "$T/min.folded" wait_sleep)/$(weight \
			"$T/min.folded" wait_pipe)/$(weight "$T/min.folded" wait_mutex) us; $(outcome min)"
	fi
	run max --offcpu --max-block 4500 -o "$T/max.folded" -- "$T/offcpu_split" 30
	if [ "$rc" -eq 0 ] && [ "$(weight "$T/max.folded" wait_sleep)" -eq 0 ] &&
		[ "$(weight "$T/max.folded" wait_pipe)" -gt 50000 ]; then
		pass "$n_max"
	else
		fail "$n_max" "sleep/pipe $(weight "$T/max.folded" wait_sleep)/$(weight \
			"$T/max.folded" wait_pipe) us; $(outcome max)"
	fi
}

# --call-graph fp: frame-pointer stacks summed in the kernel.  Without frame pointers
# the user callers of libc are lost, but the time and the kernel stacks are all there.
test_offcpu_fp() {
	local n_fp="offcpu --call-graph fp: the main thread's time summed in the kernel, within 10%"
	local got want
	skip_all "$SKIP_REASON" "$n_fp" && return
	run fp --offcpu --call-graph fp --tid -o "$T/fp.folded" -- "$T/offcpu_split" 100 "$T/fp.report"
	# the main thread's lines ("offcpu_split-PID/TID" with TID = PID)
	got=$(awk '{ split($0, id, /[-\/;]/) } id[2] == id[3] { w += $NF } END { print w + 0 }' \
		"$T/fp.folded")
	want=$(($(reported "$T/fp.report" wait_sleep) + $(reported "$T/fp.report" wait_pipe) +
		$(reported "$T/fp.report" wait_mutex)))
	if [ "$rc" -eq 0 ] && within 10 "$got" "$want" && grep -q '_\[k\]' "$T/fp.folded"; then
		pass "$n_fp"
	else
		fail "$n_fp" "main thread $got us recorded, $want us real; $(outcome fp)"
	fi
}

# --hotcold: CPU time and off-CPU time in one graph, in the same unit.
test_hotcold() {
	local n_hc="hotcold: spin_cpu (on-CPU) and wait_sleep_[o] (off-CPU) each within 15% of the real times (CPU time, time asleep)"
	local n_mark="hotcold: off-CPU frames all end in _[o], on-CPU frames none"
	local n_svg="hotcold: SVG draws off-CPU frames blue and on-CPU ones warm"
	local spin sleep rspin rsleep
	skip_all "$SKIP_REASON" "$n_hc" "$n_mark" "$n_svg" && return
	run hc --hotcold -o "$T/hc.folded" -- "$T/offcpu_split" -H 50 "$T/hc.report"
	spin=$(weight "$T/hc.folded" spin_cpu)
	sleep=$(weight "$T/hc.folded" "wait_sleep_[o]")
	rspin=$(reported "$T/hc.report" spin_cpu)
	rsleep=$(reported "$T/hc.report" wait_sleep)
	if [ "$rc" -eq 0 ] && within 15 "$spin" "$rspin" && within 15 "$sleep" "$rsleep"; then
		pass "$n_hc"
	else
		fail "$n_hc" "spin_cpu $spin/$rspin us, wait_sleep $sleep/$rsleep us; $(outcome hc)"
	fi
	# a line is off-CPU when its leaf is; then every frame is marked, else none
	if [ "$rc" -eq 0 ] && awk "{ $SPLIT"'
		off = f[n] ~ /_\[o\]$/
		for (i = 2; i <= n; i++) if ((f[i] ~ /_\[o\]$/) != off) bad++
	} END { exit bad > 0 }' "$T/hc.folded" && grep -q '_\[o\] ' "$T/hc.folded"; then
		pass "$n_mark"
	else
		fail "$n_mark" "$(grep -m2 -v '^[^ ]*_\[o\] [0-9]*$' "$T/hc.folded" | cut -c1-200)"
	fi
	run hcsvg --hotcold -o "$T/hc.svg" -- "$T/offcpu_split" -H 20
	# frames are <g><title>NAME (N us, P%)</title><rect ... fill="rgb(R,G,B)"; the wide
	# ones (spin_cpu on-CPU, wait_sleep off-CPU; a sliver of each is in the other state)
	if [ "$rc" -eq 0 ] && svg_ok "$T/hc.svg" && tr '\n' ' ' <"$T/hc.svg" |
		grep -o '<title>[^<]*</title><rect[^>]*fill="rgb([0-9,]*)"' |
		sed -n 's/^<title>\([a-z_]*\) ([0-9,]* us, \([0-9.]*\)%).*rgb(\([0-9]*\),[0-9]*,\([0-9]*\))"$/\1 \2 \3 \4/p' |
		awk '
			# NAME SHARE R B
			($1 == "wait_sleep" || $1 == "spin_cpu") && $2 >= 5 {
				if ($1 == "wait_sleep") { if ($4 > $3 + 40) cold++; else bad++ }
				else { if ($3 > $4 + 40) hot++; else bad++ }
			}
			END { exit !(cold && hot && !bad) }'; then
		pass "$n_svg"
	else
		fail "$n_svg" "$(outcome hcsvg)"
	fi
}

# Problems get one line and a non-zero exit.
test_offcpu_errors() {
	local n_dead="offcpu -p DEAD: exit 1, no such process"
	local n_user="offcpu as an unprivileged user: exit 1, one line naming the missing privilege"
	local n_usage="offcpu: -F, bad --state, --min-block over --max-block, filters without --offcpu: exit 2"
	local bad="" args
	skip_all "$SKIP_REASON" "$n_dead" "$n_user" "$n_usage" && return
	run dead --offcpu -p 999999 -o "$T/dead.folded"
	if [ "$rc" -eq 1 ] && grep -q 'no such process' "$T/dead.err" && [ ! -e "$T/dead.folded" ]; then
		pass "$n_dead"
	else
		fail "$n_dead" "$(outcome dead)"
	fi
	if command -v setpriv >/dev/null; then
		mkdir -p "$T/nobody"
		chmod 755 "$T"
		chmod 777 "$T/nobody"
		timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups \
			"$FLAMESAMP" --offcpu -o "$T/nobody/user.folded" -- /bin/true >"$T/user.out" \
			2>"$T/user.err"
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/user.err")" -eq 1 ] &&
			grep -qi 'root\|permit\|CAP_BPF' "$T/user.err"; then
			pass "$n_user"
		else
			fail "$n_user" "exit $rc: $(head -c 300 "$T/user.err")"
		fi
	else
		skip "$n_user" "setpriv (util-linux) is not installed"
	fi
	for args in "--offcpu -F 99" "--offcpu --state sleepy" "--offcpu --min-block 10 --max-block 5" \
		"--min-block 10" "--state all" "--sched-frames"; do
		# shellcheck disable=SC2086 # the options are words
		run usage $args -o "$T/usage.folded" -- /bin/true
		[ "$rc" -eq 2 ] && [ "$(wc -l <"$T/usage.err")" -eq 1 ] || bad+="'$args': exit $rc; "
	done
	if [ -z "$bad" ]; then pass "$n_usage"; else fail "$n_usage" "$bad"; fi
}

test_offcpu_command
test_offcpu_svg
test_offcpu_still_blocked
test_offcpu_sched_frames
test_offcpu_pid
test_offcpu_filters
test_offcpu_fp
test_hotcold
test_offcpu_errors
finish
