#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Recording (`flamesamp [record]`) end to end, as root, on small programs built here from
# tests/programs: the CPU split of a known workload, attaching to a running process, threads
# and libraries that appear after attaching, kernel frames, stopping on SIGINT/SIGTERM and on
# the target's exit, exit statuses and errors, naming and ownership of the output.
#
# Without root, or when the kernel refuses perf_event_open(2), every check is skipped with
# the reason; perf_event_open is probed by a small program of its own (tests/programs/
# perf_probe.c), so that a flamesamp that cannot record fails instead of skipping.
#
# The proportions checked are those of CPU time, which sampling only estimates: the split of
# cpu_split is recorded over 3 s of its CPU time (-- CMD; cpu_split counts CPU time, so a busy
# machine does not thin the samples out) or 3 s of wall-clock time (-p -d 3), at 997 Hz: about
# 3000 samples, over which the sampling error of a share has a standard deviation under 0.9
# points; the tolerance is 3 points.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_record.sh"

# ---- what the machine allows

SKIP_REASON=""   # set: skip every check
SYSTEM_REASON="" # set: skip the checks that need -a

build_programs() {
	local flags=(-O1 -g -fno-omit-frame-pointer) p
	for p in cpu_split late_threads syscalls exit_status perf_probe; do
		"${CC:-cc}" "${flags[@]}" -o "$T/$p" "$PROGRAMS/$p.c" -pthread 2>>"$T/cc.err" || return 1
	done
	# a non-PIE executable: addresses are the ELF's own, no load bias
	"${CC:-cc}" "${flags[@]}" -no-pie -o "$T/split_nopie" "$PROGRAMS/cpu_split.c" \
		2>>"$T/cc.err" || return 1
	# optimised leaves without a frame, in a frame-pointer build and in one without
	"${CC:-cc}" -O2 -g -fno-omit-frame-pointer -DFRAMELESS_LEAVES -o "$T/split_fp" \
		"$PROGRAMS/cpu_split.c" 2>>"$T/cc.err" || return 1
	"${CC:-cc}" -O2 -g -fomit-frame-pointer -DFRAMELESS_LEAVES -o "$T/split_nofp" \
		"$PROGRAMS/cpu_split.c" 2>>"$T/cc.err" || return 1
	"${CC:-cc}" -O2 -g -fomit-frame-pointer -shared -fPIC -o "$T/libdeep.so" \
		"$PROGRAMS/deep_lib.c" 2>>"$T/cc.err" || return 1
	"${CC:-cc}" -O2 -g -fomit-frame-pointer -o "$T/deep_main" "$PROGRAMS/deep_main.c" \
		-L"$T" -ldeep -Wl,-rpath,"$T" -pthread 2>>"$T/cc.err" || return 1
	"${CC:-cc}" "${flags[@]}" -o "$T/dlopen_late" "$PROGRAMS/dlopen_late.c" -ldl 2>>"$T/cc.err" &&
		"${CC:-cc}" "${flags[@]}" -shared -fPIC -o "$T/liblate.so" "$PROGRAMS/late_lib.c" \
			2>>"$T/cc.err"
}

if [ "$(id -u)" != 0 ]; then
	SKIP_REASON="not running as root (uid $(id -u)): recording other processes, -a and the sudo ownership need root"
elif [ ! -e /proc/sys/kernel/perf_event_paranoid ]; then
	SKIP_REASON="this kernel has no perf events (no /proc/sys/kernel/perf_event_paranoid)"
elif ! command -v "${CC:-cc}" >/dev/null; then
	SKIP_REASON="no C compiler (${CC:-cc}) to build the programs to profile"
elif ! build_programs; then
	fail "record: build tests/programs" "$(head -c 500 "$T/cc.err")"
	finish
	exit
elif ! probe=$("$T/perf_probe"); then
	SKIP_REASON="$probe (perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid))"
elif ! probe=$("$T/perf_probe" system); then
	SYSTEM_REASON="$probe"
fi

# split_report FILE: the shares of leaf_a, leaf_b and leaf_c in their samples; succeeds when
# there are at least 300 and each share is within 3 points of 60, 30 and 10 %
split_report() {
	awk -v a="$(weight "$1" leaf_a)" -v b="$(weight "$1" leaf_b)" -v c="$(weight "$1" leaf_c)" '
	function off(share, want) { return share > want + 3 || share < want - 3 }
	BEGIN {
		t = a + b + c
		if (t == 0) { print "no leaf_a, leaf_b or leaf_c samples"; exit 1 }
		pa = 100 * a / t; pb = 100 * b / t; pc = 100 * c / t
		printf "leaf_a %.1f%%, leaf_b %.1f%%, leaf_c %.1f%% of %d samples\n", pa, pb, pc, t
		exit t < 300 || off(pa, 60) || off(pb, 30) || off(pc, 10)
	}'
}

# path_share FILE COMM PATH: percentage of the samples of the last frame of PATH ("a;b;c")
# that are in stacks of COMM holding the frames of PATH next to each other
path_share() {
	awk -v comm="$2" -v path="$3" "{ $SPLIT"'
		last = path
		sub(/.*;/, "", last)
		s = ";"
		has = 0
		for (i = 2; i <= n; i++) {
			s = s f[i] ";"
			if (f[i] == last) has = 1
		}
		if (!has) next
		all += $NF
		if (f[1] == comm && index(s, ";" path ";")) good += $NF
	} END { printf "%d\n", all ? 100 * good / all : 0 }' "$1"
}

# kernel_share FILE COMM: percentage of the samples of COMM with a kernel frame
kernel_share() {
	awk -v comm="$2" "{ $SPLIT"'
		if (f[1] != comm) next
		all += $NF
		for (i = 2; i <= n; i++)
			if (f[i] ~ /_\[k\]$/) { k += $NF; break }
	} END { printf "%d\n", all ? 100 * k / all : 0 }' "$1"
}

# misordered FILE: lines where a user frame follows a kernel frame
misordered() {
	awk "{ $SPLIT"'
		kernel = 0
		for (i = 2; i <= n; i++)
			if (f[i] ~ /_\[k\]$/) kernel = 1
			else if (kernel) { bad++; break }
	} END { print bad + 0 }' "$1"
}

# leaf_unresolved FILE: samples whose innermost user frame is "[liblate.so]" or "[unknown]"
leaf_unresolved() {
	awk "{ $SPLIT"'
		for (i = n; i >= 2 && f[i] ~ /_\[k\]$/; i--)
			;
		if (i >= 2 && (f[i] == "[liblate.so]" || f[i] == "[unknown]")) w += $NF
	} END { print w + 0 }' "$1"
}

# max_frames FILE: the most frames (kernel and user, the comm not counted) on a line
max_frames() {
	awk "{ $SPLIT"'; if (n - 1 > m) m = n - 1 } END { print m + 0 }' "$1"
}

# deep_complete FILE: percentage of the deep_spin samples of `deep_main 100 MS` whose stack
# reaches main;run or thread_main;run with all 101 levels of deep_recurse
deep_complete() {
	awk "{ $SPLIT"'
		if (f[n] != "deep_spin") next
		all += $NF
		levels = 0
		for (i = 2; i <= n; i++)
			if (f[i] == "deep_recurse") levels++
		root = 0
		for (i = 2; i < n; i++)
			if ((f[i] == "main" || f[i] == "thread_main") && f[i + 1] == "run") root = 1
		if (root && levels == 101) good += $NF
	} END { printf "%.1f\n", all ? 100 * good / all : 0 }' "$1"
}

# ---- the checks

# A command run under flamesamp: its CPU split and call paths.
test_command() {
	local n_rc="record -- CMD: exit 0, folded output written"
	local n_split="record -- CMD: leaf_a:leaf_b:leaf_c = 60:30:10 within 3 points"
	local n_path="record -- CMD: cpu_split;...;main;work_a;leaf_a in most leaf_a samples"
	local report share
	skip_all "$SKIP_REASON" "$n_rc" "$n_split" "$n_path" && return
	run cmd -o "$T/cmd.folded" -- "$T/cpu_split" 3000
	if [ "$rc" -eq 0 ] && folded_ok "$T/cmd.folded"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome cmd)"
	fi
	if report=$(split_report "$T/cmd.folded"); then pass "$n_split"; else fail "$n_split" "$report"; fi
	share=$(path_share "$T/cmd.folded" cpu_split "main;work_a;leaf_a")
	if [ "$share" -gt 50 ]; then pass "$n_path"; else fail "$n_path" "$share% of leaf_a samples"; fi
}

# Attaching to a process that is already running: the same split, and the options that shape
# the output (default name, --pid, --tid, ownership under sudo, render options).
test_attach() {
	local n_rc="record -p -d 3: exit 0 after the duration, folded output written"
	local n_split="record -p -d 3: leaf_a:leaf_b:leaf_c = 60:30:10 within 3 points"
	local n_default="record without -o writes flamegraph.svg in the current directory"
	local n_pid="record --pid: every line begins with cpu_split-PID;"
	local n_owner="record under sudo: the output belongs to SUDO_UID:SUDO_GID"
	local n_devnull="record -o /dev/null under sudo: /dev/null stays root's character device"
	local n_maxstack="record --max-stack 3: at most 3 frames per stack"
	local report victim owner frames
	skip_all "$SKIP_REASON" "$n_rc" "$n_split" "$n_default" "$n_pid" "$n_owner" "$n_devnull" \
		"$n_maxstack" && return
	spawn victim "$T/cpu_split"
	sleep 0.2

	run attach -p "$victim" -d 3 -o "$T/attach.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/attach.folded"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome attach)"
	fi
	if report=$(split_report "$T/attach.folded"); then pass "$n_split"; else fail "$n_split" "$report"; fi

	mkdir "$T/cwd"
	(cd "$T/cwd" && run default -p "$victim" -d 0.5) # in a subshell: run's variables are lost
	if svg_ok "$T/cwd/flamegraph.svg"; then
		pass "$n_default"
	else
		fail "$n_default" "$(ls "$T/cwd"), stderr: $(head -c 300 "$T/default.err")"
	fi

	run pid -p "$victim" -d 1 --pid -o "$T/pid.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/pid.folded" &&
		! grep -v -q "^cpu_split-$victim;" "$T/pid.folded"; then
		pass "$n_pid"
	else
		fail "$n_pid" "$(outcome pid); first line: $(head -1 "$T/pid.folded" | cut -c 1-200)"
	fi

	# whoever writes the file (root, or the sudo user) must be able to create it there
	mkdir -m 0777 "$T/owned"
	SUDO_UID=65534 SUDO_GID=65534 run owned -p "$victim" -d 0.5 -o "$T/owned/owned.svg"
	owner=$(stat -c %u:%g "$T/owned/owned.svg" 2>/dev/null)
	if [ "$rc" -eq 0 ] && [ "$owner" = 65534:65534 ] && svg_ok "$T/owned/owned.svg"; then
		pass "$n_owner"
	else
		fail "$n_owner" "owner '${owner:-no file}'; $(outcome owned)"
	fi
	# a device is written in place: not replaced by a regular file, not given to the user
	SUDO_UID=65534 SUDO_GID=65534 run devnull -p "$victim" -d 0.3 --format folded -o /dev/null
	if [ "$rc" -eq 0 ] && [ -c /dev/null ] && [ "$(stat -c %u:%g /dev/null)" = 0:0 ]; then
		pass "$n_devnull"
	else
		fail "$n_devnull" "$(ls -l /dev/null); $(outcome devnull)"
		# put the device back for everything else on this machine
		if [ ! -c /dev/null ]; then rm -f /dev/null && mknod -m 666 /dev/null c 1 3; fi
	fi

	# cpu_split's stacks are 3 user frames deep below main, so 3 cuts all of them
	run maxstack -p "$victim" -d 1 --max-stack 3 -o "$T/maxstack.folded"
	frames=$(max_frames "$T/maxstack.folded")
	if [ "$rc" -eq 0 ] && folded_ok "$T/maxstack.folded" && [ "$frames" -le 3 ]; then
		pass "$n_maxstack"
	else
		fail "$n_maxstack" "up to $frames frames; $(outcome maxstack)"
	fi
	stop "$victim"
}

# Threads created after attaching are followed.
test_late_threads() {
	local n_rc="record -p on late_threads: ends with the process, exit 0"
	local n_both="record -p on late_threads: thread_spin_one and thread_spin_two each >= 25% of both"
	local n_tid="record --tid: lines begin with late_threads-PID/TID, one TID per thread function"
	local target one two tids
	skip_all "$SKIP_REASON" "$n_rc" "$n_both" "$n_tid" && return
	spawn target "$T/late_threads" 2000
	if ! wait_ready target; then
		fail "$n_rc" "late_threads did not start: $(head -c 200 "$T/target.log")"
		return
	fi
	run threads -p "$target" -o "$T/threads.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/threads.folded"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome threads)"
	fi
	one=$(weight "$T/threads.folded" thread_spin_one)
	two=$(weight "$T/threads.folded" thread_spin_two)
	if [ $((one + two)) -ge 500 ] && [ $((4 * one)) -ge $((one + two)) ] &&
		[ $((4 * two)) -ge $((one + two)) ]; then
		pass "$n_both"
	else
		fail "$n_both" "thread_spin_one $one samples, thread_spin_two $two"
	fi

	spawn target "$T/late_threads" 1000
	if ! wait_ready target; then
		fail "$n_tid" "late_threads did not start: $(head -c 200 "$T/target.log")"
		return
	fi
	run tid -p "$target" --tid -o "$T/tid.folded"
	# TIDs of the lines holding each thread function: one each, neither the main thread's
	tids=$(awk "{ $SPLIT"'
		split(f[1], id, "/")
		for (i = 2; i <= n; i++)
			if (f[i] == "thread_spin_one" || f[i] == "thread_spin_two") seen[f[i] " " id[2]] = 1
	} END { for (k in seen) print k }' "$T/tid.folded" | sort)
	if [ "$rc" -eq 0 ] && folded_ok "$T/tid.folded" &&
		! grep -v -q -E "^late_threads-$target/[0-9]+;" "$T/tid.folded" &&
		[ "$(echo "$tids" | awk '{ print $1 }' | uniq -d)" = "" ] &&
		[ "$(echo "$tids" | awk '{ print $2 }' | sort -u | grep -v -c -x "$target")" = 2 ]; then
		pass "$n_tid"
	else
		fail "$n_tid" "$(outcome tid); function/TID pairs: $(echo "$tids" | tr '\n' ' ')"
	fi
}

# A library mapped after attaching is symbolized from its own symbol table: late_lib_spin
# exists nowhere else.
test_dlopen() {
	local n_rc="record -p on dlopen_late: ends with the process, exit 0"
	local n_sym="record -p on dlopen_late: late_lib_spin (from liblate.so) >= 25% of samples"
	local n_path="record -p on dlopen_late: main;late_lib_spin in most late_lib_spin samples"
	local n_unres="record -p on dlopen_late: no leaf left as [liblate.so] or [unknown]"
	local target lib all share unres
	skip_all "$SKIP_REASON" "$n_rc" "$n_sym" "$n_path" "$n_unres" && return
	spawn target "$T/dlopen_late" "$T/liblate.so" 1000 1
	if ! wait_ready target; then
		fail "$n_rc" "dlopen_late did not start: $(head -c 200 "$T/target.log")"
		return
	fi
	run dlopen -p "$target" -o "$T/dlopen.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/dlopen.folded"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome dlopen)"
	fi
	lib=$(weight "$T/dlopen.folded" late_lib_spin)
	all=$(awk '{ w += $NF } END { print w + 0 }' "$T/dlopen.folded")
	if [ "$lib" -gt 0 ] && [ $((4 * lib)) -ge "$all" ]; then
		pass "$n_sym"
	else
		fail "$n_sym" "late_lib_spin $lib of $all samples"
	fi
	share=$(path_share "$T/dlopen.folded" dlopen_late "main;late_lib_spin")
	if [ "$share" -gt 50 ]; then pass "$n_path"; else fail "$n_path" "$share% of late_lib_spin samples"; fi
	unres=$(leaf_unresolved "$T/dlopen.folded")
	if [ "$lib" -gt 0 ] && [ $((20 * unres)) -le "$lib" ]; then
		pass "$n_unres"
	else
		fail "$n_unres" "$unres samples end in [liblate.so]/[unknown], $lib in late_lib_spin"
	fi
}

# Kernel frames, system-wide: a process living in read(2).
test_kernel() {
	local n_rc="record -a -d 2: exit 0, folded output written"
	local n_k="record -a: syscalls lines carry kernel frames (_[k]) in >= 50% of their samples"
	local n_order="record -a: kernel frames come after the user frames"
	local n_nok="record -a --no-kernel: no kernel frames"
	local target share bad
	skip_all "${SKIP_REASON:-$SYSTEM_REASON}" "$n_rc" "$n_k" "$n_order" "$n_nok" && return
	spawn target "$T/syscalls"
	sleep 0.2
	run system record -a -d 2 -o "$T/system.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/system.folded"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome system)"
	fi
	share=$(kernel_share "$T/system.folded" syscalls)
	if grep -q '^syscalls;' "$T/system.folded" && [ "$share" -ge 50 ]; then
		pass "$n_k"
	else
		fail "$n_k" "$share% of $(grep -c '^syscalls;' "$T/system.folded") syscalls lines' samples"
	fi
	bad=$(misordered "$T/system.folded")
	if [ "$bad" -eq 0 ] && grep -q '_\[k\]' "$T/system.folded"; then
		pass "$n_order"
	else
		fail "$n_order" "$bad lines with a user frame after a kernel frame"
	fi

	run nokernel -a -d 1 --no-kernel -o "$T/nokernel.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/nokernel.folded" &&
		! grep -q '_\[k\]' "$T/nokernel.folded"; then
		pass "$n_nok"
	else
		fail "$n_nok" "$(outcome nokernel); $(grep -c '_\[k\]' "$T/nokernel.folded") lines with _[k]"
	fi
	stop "$target"
}

# Processes that live a few milliseconds under -a, and a program that execs another, are
# symbolized: their mappings come from FORK, COMM (exec) and MMAP2 records, in time order.
# A 20 ms cpu_split spends a millisecond or two in execve and ld.so, more on a loaded
# machine: those samples are named too, but are not in main.  A missed mapping shows as
# [unknown] or a file-only [cpu_split] frame; [unknown] is right inside execve only, where
# the user registers still point into the old image.
test_short_lived() {
	local n_short="record -a: short-lived processes are symbolized (<= 2% of their samples unnamed, >= 90% of main's in leaf_a/b/c)"
	local n_exec="record -- sh -c 'exec ...': samples after the exec are named and resolved"
	local loop leaves all
	skip_all "${SKIP_REASON:-$SYSTEM_REASON}" "$n_short" "$n_exec" && return
	# shellcheck disable=SC2016 # $0 belongs to the inner shell
	spawn loop sh -c 'i=0; while [ $i -lt 200 ]; do "$0" 20; i=$((i + 1)); done' "$T/cpu_split"
	run short record -a -d 2 -o "$T/short.folded"
	stop "$loop"
	read -r all unnamed in_main leaves < <(awk '/^cpu_split;/ {
		all += $NF
		if (/(^|;)\[cpu_split\]/ || (/(^|;)\[unknown\]/ && !/execve/)) unnamed += $NF
		if (/;main;/) { in_main += $NF; if (/;leaf_[abc][; ]/) leaves += $NF }
	} END { print all + 0, unnamed + 0, in_main + 0, leaves + 0 }' "$T/short.folded")
	if [ "$rc" -eq 0 ] && [ "$in_main" -ge 200 ] && [ $((100 * unnamed)) -le $((2 * all)) ] &&
		[ $((100 * leaves)) -ge $((90 * in_main)) ]; then
		pass "$n_short"
	else
		fail "$n_short" "of $all cpu_split samples: $unnamed unnamed, $in_main in main, $leaves of them in the leaves; $(outcome short)"
	fi

	# shellcheck disable=SC2016 # $0 belongs to the inner shell
	run exec record -o "$T/exec.folded" -- sh -c 'exec "$0" 1000' "$T/cpu_split"
	leaves=$(awk '/^cpu_split;.*;main;work_a;leaf_a /{ w += $NF } END { print w + 0 }' \
		"$T/exec.folded")
	all=$(awk '{ w += $NF } END { print w + 0 }' "$T/exec.folded")
	if [ "$rc" -eq 0 ] && [ "$all" -ge 500 ] && [ $((100 * leaves)) -ge $((50 * all)) ]; then
		pass "$n_exec"
	else
		fail "$n_exec" "$leaves of $all samples in cpu_split;...;main;work_a;leaf_a; $(outcome exec)"
	fi
}

# --open hands the SVG to the desktop's opener (a stand-in xdg-open here).
test_open() {
	local n_open="record --open: runs xdg-open on the written SVG"
	local i
	skip_all "$SKIP_REASON" "$n_open" && return
	mkdir -p "$T/bin"
	printf '#!/bin/sh\necho "$1" > "%s"\n' "$T/opened" >"$T/bin/xdg-open"
	chmod +x "$T/bin/xdg-open"
	PATH="$T/bin:$PATH" DISPLAY=:99 run open record --open -o "$T/open.svg" -- "$T/cpu_split" 200
	for ((i = 0; i < 50; i++)); do
		[ -s "$T/opened" ] && break
		sleep 0.1
	done
	if [ "$rc" -eq 0 ] && svg_ok "$T/open.svg" && [ "$(cat "$T/opened" 2>/dev/null)" = "$T/open.svg" ]; then
		pass "$n_open"
	else
		fail "$n_open" "opened: '$(cat "$T/opened" 2>/dev/null)'; $(outcome open)"
	fi
}

# Errors that carry their fix: -F above the kernel's limit, an unprivileged user on another
# user's process (and on every CPU), ring buffers over the locked-memory limit.
test_limits() {
	local n_rate="record -F above kernel.perf_event_max_sample_rate: one line naming the sysctl"
	local n_perm="record as an unprivileged user on root's process: one line, permission denied"
	local n_all="record -a as an unprivileged user: one line naming kernel.perf_event_paranoid"
	local n_mlock="record -m over the locked-memory limit: one line naming perf_event_mlock_kb"
	local max target nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	skip_all "$SKIP_REASON" "$n_rate" "$n_perm" "$n_all" "$n_mlock" && return
	max=$(cat /proc/sys/kernel/perf_event_max_sample_rate)
	run rate -F $((max + 1)) -o "$T/rate.svg" -- "$T/cpu_split" 100
	if [ "$rc" -ne 0 ] && [ "$(wc -l <"$T/rate.err")" -eq 1 ] &&
		grep -q 'perf_event_max_sample_rate' "$T/rate.err" && [ ! -e "$T/rate.svg" ]; then
		pass "$n_rate"
	else
		fail "$n_rate" "$(outcome rate)"
	fi
	if ! command -v setpriv >/dev/null; then
		skip_all "setpriv (util-linux) is not installed" "$n_perm" "$n_all" "$n_mlock"
		return
	fi
	chmod 0777 "$T"
	spawn target "$T/cpu_split" 3000
	sleep 0.1
	FLAMESAMP_REAL=$FLAMESAMP
	FLAMESAMP="${nobody[*]} $FLAMESAMP_REAL"
	# shellcheck disable=SC2086 # the command is split on purpose
	timeout 20 ${nobody[*]} "$FLAMESAMP_REAL" -p "$target" -d 1 -o "$T/perm.svg" 2>"$T/perm.err"
	rc=$?
	FLAMESAMP=$FLAMESAMP_REAL
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/perm.err")" -eq 1 ] &&
		grep -q 'permission denied' "$T/perm.err" && [ ! -e "$T/perm.svg" ]; then
		pass "$n_perm"
	else
		fail "$n_perm" "exit $rc: $(cat "$T/perm.err")"
	fi
	stop "$target"
	if [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -le 0 ]; then
		skip "$n_all" "kernel.perf_event_paranoid <= 0 lets every user profile every CPU"
	else
		timeout 20 "${nobody[@]}" "$FLAMESAMP" -a -d 1 -o "$T/all.svg" 2>"$T/all.err"
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/all.err")" -eq 1 ] &&
			grep -q 'kernel.perf_event_paranoid' "$T/all.err"; then
			pass "$n_all"
		else
			fail "$n_all" "exit $rc: $(cat "$T/all.err")"
		fi
	fi
	if [ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 2 ]; then
		skip "$n_mlock" "kernel.perf_event_paranoid > 2 forbids unprivileged profiling"
	else
		# 256 MiB per CPU is beyond perf_event_mlock_kb and any default ulimit -l
		timeout 20 "${nobody[@]}" "$FLAMESAMP" -m 256M -o "$T/mlock.svg" -- "$T/cpu_split" 100 \
			2>"$T/mlock.err"
		rc=$?
		if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/mlock.err")" -eq 1 ] &&
			grep -q 'perf_event_mlock_kb' "$T/mlock.err"; then
			pass "$n_mlock"
		else
			fail "$n_mlock" "exit $rc: $(cat "$T/mlock.err")"
		fi
	fi
}

# exact_share FILE COMM: percentage of the samples in leaf_a/b/c whose stack holds
# main;work_X;leaf_X (X the same letter) next to each other, in a COMM line
exact_share() {
	awk -v comm="$2" "{ $SPLIT"'
		leaf = ""
		for (i = 2; i <= n; i++)
			if (f[i] ~ /^leaf_[abc]$/) { leaf = f[i]; at = i }
		if (leaf == "") next
		all += $NF
		x = substr(leaf, 6)
		if (f[1] == comm && at >= 4 && f[at - 1] == "work_" x && f[at - 2] == "main")
			good += $NF
	} END { printf "%.1f\n", all ? 100 * good / all : 0 }' "$1"
}

# check_exact NAME RUN COMM CONDITION: after `run RUN ...`, pass NAME if it exited 0 and
# exact_share of its output meets CONDITION (an awk comparison such as ">= 98")
check_exact() {
	local share
	share=$(exact_share "$T/$2.folded" "$3")
	if [ "$rc" -eq 0 ] && awk -v s="$share" "BEGIN { exit !(s $4) }"; then
		pass "$1"
	else
		fail "$1" "$share% exact; $(outcome "$2")"
	fi
}

# Complete stacks without frame pointers: leaves without a frame (whose caller a frame-pointer
# walk loses), whole programs and libraries built without frame pointers, deep recursion.
test_unwinding() {
	local n_fp="record (default): frame-pointer build with frameless leaves, >= 98% exact main;work_X;leaf_X"
	local n_fpneg="record --call-graph fp: the same program loses the leaves' callers (the case is real)"
	local n_nofp="record (default): -fomit-frame-pointer build, >= 98% exact main;work_X;leaf_X"
	local n_dwarf="record --call-graph dwarf: -fomit-frame-pointer build, >= 98% exact"
	local n_nopie="record (default): a non-PIE executable is symbolized, >= 98% exact"
	local n_split="record (default): -fomit-frame-pointer build keeps the 6:3:1 split"
	local n_deep="record (default): 100-deep recursion in a library without frame pointers, >= 90% of deep_spin samples reach main or thread_main with all 101 levels"
	local share report
	skip_all "$SKIP_REASON" "$n_fp" "$n_fpneg" "$n_nofp" "$n_dwarf" "$n_split" "$n_deep" \
		"$n_nopie" && return
	run split_fp -o "$T/split_fp.folded" -- "$T/split_fp" 3000
	check_exact "$n_fp" split_fp split_fp ">= 98"
	run split_fp_g --call-graph fp -o "$T/split_fp_g.folded" -- "$T/split_fp" 1000
	check_exact "$n_fpneg" split_fp_g split_fp "< 50"
	run split_nofp -o "$T/split_nofp.folded" -- "$T/split_nofp" 3000
	check_exact "$n_nofp" split_nofp split_nofp ">= 98"
	if report=$(split_report "$T/split_nofp.folded"); then
		pass "$n_split"
	else
		fail "$n_split" "$report"
	fi
	run split_nopie -o "$T/split_nopie.folded" -- "$T/split_nopie" 1000
	check_exact "$n_nopie" split_nopie split_nopie ">= 98"
	run split_dwarf --call-graph dwarf -o "$T/split_dwarf.folded" -- "$T/split_nofp" 2000
	check_exact "$n_dwarf" split_dwarf split_nofp ">= 98"
	run deep -o "$T/deep.folded" -- "$T/deep_main" 100 1500
	share=$(deep_complete "$T/deep.folded")
	if [ "$rc" -eq 0 ] && awk -v s="$share" 'BEGIN { exit !(s >= 90) }'; then
		pass "$n_deep"
	else
		fail "$n_deep" "$share% complete; $(outcome deep)"
	fi
}

# C++ names: demangled and cut before the parameter list by default, as perf script +
# stackcollapse-perf.pl show them; kept mangled with --no-demangle.
test_cxx_names() {
	local n_dem="record: C++ frames demangled (main;app::Engine::run;app::Engine::spin<int>)"
	local n_raw="record --no-demangle: C++ frames keep their mangled names"
	skip_all "$SKIP_REASON" "$n_dem" "$n_raw" && return
	skip_all "$(command -v "${CXX:-g++}" >/dev/null || echo "no C++ compiler (${CXX:-g++})")" \
		"$n_dem" "$n_raw" && return
	if ! "${CXX:-g++}" -O2 -g -o "$T/cxx_names" "$PROGRAMS/cxx_names.cpp" 2>>"$T/cc.err"; then
		fail "$n_dem" "cannot build cxx_names: $(head -c 300 "$T/cc.err")"
		return
	fi
	run cxx -o "$T/cxx.folded" -- "$T/cxx_names" 1000
	if [ "$rc" -eq 0 ] && [ "$(path_share "$T/cxx.folded" cxx_names \
		"main;app::Engine::run;app::Engine::spin<int>")" -ge 90 ]; then
		pass "$n_dem"
	else
		fail "$n_dem" "$(outcome cxx); $(sort -k2 -nr "$T/cxx.folded" | head -2 | cut -c1-200)"
	fi
	run cxxraw --no-demangle -o "$T/cxxraw.folded" -- "$T/cxx_names" 500
	if [ "$rc" -eq 0 ] && grep -q ';_ZN3app6Engine4spinIiEET_S2_' "$T/cxxraw.folded" &&
		! grep -q 'app::Engine' "$T/cxxraw.folded"; then
		pass "$n_raw"
	else
		fail "$n_raw" "$(outcome cxxraw); $(sort -k2 -nr "$T/cxxraw.folded" | head -2 | cut -c1-200)"
	fi
}

# Inlined functions: their own frames, marked _[i] (default), with source lines (--lines), or
# folded into the function they were inlined into (--no-inline).  inline_split spends its time
# in mix(), inlined into outer_a() and outer_b(), inlined into work_a() and work_b(), 3:1.
test_inline() {
	local n_path="record: inlined frames main;work_a;outer_a_[i];mix_[i] in >= 98% of work_a samples"
	local n_split="record: work_a:work_b = 75:25 within 3 points, by their inlined frames"
	local n_lines="record --lines: frames \"func inline_split.c:LINE\" with the call lines of the source"
	local n_noinl="record --no-inline: no _[i] frame, main;work_a;outer_a gone"
	local n_max="record --max-stack 2: frames as shown, inlined ones too: outer_a_[i];mix_[i] without main;work_a"
	local src=$PROGRAMS/inline_split.c share report l_mix l_outer l_work
	skip_all "$SKIP_REASON" "$n_path" "$n_split" "$n_lines" "$n_noinl" "$n_max" && return
	if ! "${CC:-cc}" -O2 -g -o "$T/inline_split" "$src" 2>>"$T/cc.err"; then
		fail "$n_path" "cannot build inline_split: $(head -c 300 "$T/cc.err")"
		return
	fi
	run inl -o "$T/inl.folded" -- "$T/inline_split" 3000
	# of the samples in work_a, those under main;work_a;outer_a_[i];mix_[i]
	share=$(awk -v path=";main;work_a;outer_a_[i];mix_[i];" "{ $SPLIT"'
		s = ";"
		for (i = 2; i <= n; i++) s = s f[i] ";"
		if (!index(s, ";work_a;")) next
		all += $NF
		if (f[1] == "inline_split" && index(s, path)) good += $NF
	} END { printf "%d\n", all ? 100 * good / all : 0 }' "$T/inl.folded")
	if [ "$rc" -eq 0 ] && [ "$(weight "$T/inl.folded" work_a)" -ge 300 ] && [ "$share" -ge 98 ]; then
		pass "$n_path"
	else
		fail "$n_path" "$share%; $(outcome inl); $(sort -k2 -nr "$T/inl.folded" | head -2 | cut -c1-200)"
	fi
	if report=$(awk -v a="$(weight "$T/inl.folded" "outer_a_[i]")" \
		-v b="$(weight "$T/inl.folded" "outer_b_[i]")" 'BEGIN {
			t = a + b
			if (t == 0) { print "no outer_a_[i] or outer_b_[i] frames"; exit 1 }
			printf "outer_a %.1f%% of %d samples\n", 100 * a / t, t
			exit t < 300 || 100 * a / t > 78 || 100 * a / t < 72
		}'); then
		pass "$n_split"
	else
		fail "$n_split" "$report"
	fi
	l_mix=$(grep -n 'LINE_MIX' "$src" | cut -d: -f1)
	l_outer=$(grep -n 'LINE_OUTER_A' "$src" | cut -d: -f1)
	l_work=$(grep -n 'LINE_WORK_A' "$src" | cut -d: -f1)
	run inl_lines --lines -o "$T/inl_lines.folded" -- "$T/inline_split" 1000
	# mix's own line is the loop body or the loop header above it
	share=$(path_share "$T/inl_lines.folded" inline_split \
		"work_a inline_split.c:$l_work;outer_a inline_split.c:${l_outer}_[i]")
	if [ "$rc" -eq 0 ] && [ "$share" -ge 98 ] &&
		grep -Eq ";outer_a inline_split.c:${l_outer}_\[i\];mix inline_split.c:($l_mix|$((l_mix - 1)))_\[i\] [0-9]+\$" \
			"$T/inl_lines.folded"; then
		pass "$n_lines"
	else
		fail "$n_lines" "$share%; $(outcome inl_lines); $(sort -k2 -nr "$T/inl_lines.folded" | head -2 | cut -c1-300)"
	fi
	run inl_no --no-inline -o "$T/inl_no.folded" -- "$T/inline_split" 1000
	if [ "$rc" -eq 0 ] && folded_ok "$T/inl_no.folded" && ! grep -q '_\[i\]' "$T/inl_no.folded" &&
		[ "$(path_share "$T/inl_no.folded" inline_split "main;work_a")" -ge 98 ]; then
		pass "$n_noinl"
	else
		fail "$n_noinl" "$(outcome inl_no); $(sort -k2 -nr "$T/inl_no.folded" | head -2 | cut -c1-200)"
	fi
	# two addresses, work_a's pc and main's return address, are four frames with the
	# inlined ones: the two innermost stay
	run inl_max --max-stack 2 -o "$T/inl_max.folded" -- "$T/inline_split" 1000
	if [ "$rc" -eq 0 ] && folded_ok "$T/inl_max.folded" &&
		[ "$(max_frames "$T/inl_max.folded")" -le 2 ] &&
		[ "$(awk '$1 == "inline_split;outer_a_[i];mix_[i]" { w += $2 } END { print w + 0 }' \
			"$T/inl_max.folded")" -ge 300 ]; then
		pass "$n_max"
	else
		fail "$n_max" "up to $(max_frames "$T/inl_max.folded") frames; $(outcome inl_max); $(sort -k2 -nr "$T/inl_max.folded" | head -2 | cut -c1-200)"
	fi
}

# Binaries deleted or replaced under a running process (an upgrade, a redeploy): the files
# mapped are reached through /proc/PID/map_files, for their symbols and for their CFI.
# deep_main runs from a copy whose executable is deleted and whose libdeep.so (no frame
# pointers: only CFI walks it) is replaced by another library, renamed over it.
test_deleted_binaries() {
	local n_named="record -p: a deleted executable and a replaced library still name their frames (deep_spin >= 50%, run >= 50% of samples)"
	local n_deep="record -p: CFI of the replaced library still read, >= 90% of deep_spin samples reach main or thread_main with all 101 levels"
	local dir=$T/gone victim i all spin run_w share range
	skip_all "$SKIP_REASON" "$n_named" "$n_deep" && return
	# the kernel lets only CAP_SYS_ADMIN in the initial user namespace open map_files
	range=$(awk '/ \// { print $1; exit }' "/proc/$$/maps")
	if ! head -c 4 "/proc/$$/map_files/$range" >/dev/null 2>&1; then
		skip_all "root without CAP_SYS_ADMIN in the initial user namespace (a container?): /proc/PID/map_files cannot be opened" \
			"$n_named" "$n_deep"
		return
	fi
	mkdir -p "$dir"
	if ! "${CC:-cc}" -O2 -g -fomit-frame-pointer -shared -fPIC -o "$dir/libdeep.so" \
		"$PROGRAMS/deep_lib.c" 2>>"$T/cc.err" ||
		! "${CC:-cc}" -O2 -g -fomit-frame-pointer -o "$dir/deep_main" "$PROGRAMS/deep_main.c" \
			-L"$dir" -ldeep -Wl,-rpath,"$dir" -pthread 2>>"$T/cc.err"; then
		fail "$n_named" "cannot build deep_main: $(head -c 300 "$T/cc.err")"
		return
	fi
	spawn victim "$dir/deep_main" 100 60000
	for ((i = 0; i < 100; i++)); do
		grep -q "$dir/libdeep.so" "/proc/$victim/maps" 2>/dev/null && break
		sleep 0.1
	done
	rm -f "$dir/deep_main"
	cp "$T/liblate.so" "$dir/libdeep.so.new" && mv -f "$dir/libdeep.so.new" "$dir/libdeep.so"
	run deleted -p "$victim" -d 1 -o "$T/deleted.folded"
	stop "$victim"
	all=$(awk '{ w += $NF } END { print w + 0 }' "$T/deleted.folded")
	spin=$(weight "$T/deleted.folded" deep_spin)
	run_w=$(weight "$T/deleted.folded" run)
	if [ "$rc" -eq 0 ] && [ "$all" -ge 200 ] && [ $((2 * spin)) -ge "$all" ] &&
		[ $((2 * run_w)) -ge "$all" ]; then
		pass "$n_named"
	else
		fail "$n_named" "deep_spin $spin, run $run_w of $all samples; $(outcome deleted); $(sort -k2 -nr "$T/deleted.folded" | head -2 | cut -c1-200)"
	fi
	share=$(deep_complete "$T/deleted.folded")
	if [ "$rc" -eq 0 ] && awk -v s="$share" 'BEGIN { exit !(s >= 90) }'; then
		pass "$n_deep"
	else
		fail "$n_deep" "$share% complete; $(outcome deleted)"
	fi
}

# Stopping: SIGINT and SIGTERM end the recording with the output complete; so does the
# target's exit.
test_stop() {
	local n_int="record stopped by SIGINT: exit 0, complete SVG"
	local n_title="record: render options apply to the SVG (--title)"
	local n_term="record stopped by SIGTERM: exit 0, complete folded output"
	local n_exit="record -p: ends when the target exits, exit 0, output written"
	local victim fpid
	skip_all "$SKIP_REASON" "$n_int" "$n_title" "$n_term" "$n_exit" && return
	spawn victim "$T/cpu_split"
	sleep 0.2
	if env --default-signal=INT true 2>/dev/null; then
		# A script's background jobs start with SIGINT ignored; Ctrl-C reaches a foreground
		# process whose SIGINT is at its default, which env restores.
		env --default-signal=INT "$FLAMESAMP" -p "$victim" -o "$T/int.svg" \
			--title "Stopped by SIGINT" >"$T/int.out" 2>"$T/int.err" &
		fpid=$!
		sleep 1.5
		kill -INT "$fpid"
		wait_exit "$fpid" 10
		if [ "$rc" -eq 0 ] && svg_ok "$T/int.svg" && grep -q 'leaf_a' "$T/int.svg"; then
			pass "$n_int"
		else
			fail "$n_int" "$(outcome int)"
		fi
		check "$n_title" grep -s -q '>Stopped by SIGINT<' "$T/int.svg"
	else
		skip "$n_int" "env has no --default-signal (coreutils < 8.31): SIGINT stays ignored in a background job"
		skip "$n_title" "needs the SIGINT recording"
	fi

	"$FLAMESAMP" -p "$victim" -o "$T/term.folded" >"$T/term.out" 2>"$T/term.err" &
	fpid=$!
	sleep 1.5
	kill -TERM "$fpid"
	wait_exit "$fpid" 10
	if [ "$rc" -eq 0 ] && folded_ok "$T/term.folded" && grep -q ';leaf_a ' "$T/term.folded"; then
		pass "$n_term"
	else
		fail "$n_term" "$(outcome term)"
	fi
	stop "$victim"

	spawn victim "$T/cpu_split" 1500
	sleep 0.2
	run targetexit -p "$victim" -o "$T/targetexit.folded"
	if [ "$rc" -eq 0 ] && folded_ok "$T/targetexit.folded" && [ "${elapsed%.*}" -lt 10 ]; then
		pass "$n_exit"
	else
		fail "$n_exit" "$(outcome targetexit)"
	fi
	stop "$victim"
}

# Exit statuses and errors.
test_errors() {
	local n_status="record -- CMD: exits with the command's status (3)"
	local n_dead="record -p DEAD_PID: fails with one line 'no such process', no output"
	local n_abc="record -p abc: usage error (2), one line, no output"
	local n_zero="record -p 0: refused with one line, no output"
	local n_out="record -o into a missing directory: fails at once, naming the path"
	local n_notrun="record -o into a missing directory: the command is not started"
	local dead bad=$T/nonexistent-dir/x.svg
	skip_all "$SKIP_REASON" "$n_status" "$n_dead" "$n_abc" "$n_zero" "$n_out" "$n_notrun" &&
		return
	run status -o "$T/status.folded" -- "$T/exit_status" 3
	if [ "$rc" -eq 3 ]; then pass "$n_status"; else fail "$n_status" "$(outcome status)"; fi

	true &
	dead=$!
	wait "$dead"
	run dead -p "$dead" -o "$T/dead.svg"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(wc -l <"$T/dead.err")" -eq 1 ] &&
		grep -q '^flamesamp: .*no such process' "$T/dead.err" && [ ! -e "$T/dead.svg" ]; then
		pass "$n_dead"
	else
		fail "$n_dead" "$(outcome dead)"
	fi
	run abc -p abc -o "$T/abc.svg"
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/abc.err")" -eq 1 ] &&
		grep -q '^flamesamp: ' "$T/abc.err" && [ ! -e "$T/abc.svg" ]; then
		pass "$n_abc"
	else
		fail "$n_abc" "$(outcome abc)"
	fi
	# pid 0 means "the calling process" to perf_event_open(2): it must not be passed through
	run zero -p 0 -d 1 -o "$T/zero.svg"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$(wc -l <"$T/zero.err")" -eq 1 ] &&
		grep -q '^flamesamp: ' "$T/zero.err" && [ ! -e "$T/zero.svg" ]; then
		pass "$n_zero"
	else
		fail "$n_zero" "$(outcome zero)"
	fi

	# shellcheck disable=SC2016 # $0 and $1 belong to the inner shell
	run badout -o "$bad" -- sh -c 'touch "$0"; exec "$1" 5000' "$T/started" "$T/cpu_split"
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "${elapsed%.*}" -lt 3 ] &&
		[ "$(wc -l <"$T/badout.err")" -eq 1 ] && grep -q -F "flamesamp: " "$T/badout.err" &&
		grep -q -F "$bad" "$T/badout.err" && [ ! -e "$T/nonexistent-dir" ]; then
		pass "$n_out"
	else
		fail "$n_out" "$(outcome badout)"
	fi
	if [ ! -e "$T/started" ]; then pass "$n_notrun"; else fail "$n_notrun" "it ran"; fi
}

# JIT code named from /tmp/perf-PID.map (--perf-basic-prof) or from a jitdump file
# (--perf-prof: jit-PID.dump in node's working directory, which V8 maps executable for
# profilers to find): Node.js on a 3:1 split between two JS functions doing the same work
# (tests/programs/jit_split.js).  TurboFan inlining is off so that the two functions stay
# frames of their own.  The default call graph is used: CFI stops at the first JIT frame (it
# has none), and the kernel's frame-pointer chain (V8 keeps frame pointers in its code)
# continues from it; --call-graph fp gives the same split.
test_jit() {
	local flag=$1 what=$2 tag=$3
	local n_rc="record -- node $flag: exit 0, folded output written"
	local n_names="record -- node $flag: hot and cold named from the $what, with _[j]"
	local n_split="record -- node $flag: hot:cold = 75:25 within 5 points"
	local report pid
	skip_all "$SKIP_REASON" "$n_rc" "$n_names" "$n_split" && return
	skip_all "$(command -v node >/dev/null || echo "node (Node.js) is not installed")" \
		"$n_rc" "$n_names" "$n_split" && return
	# from the scratch directory: whatever node leaves behind goes with it
	pushd "$T" >/dev/null || return
	run "$tag" -o "$T/$tag.folded" -- node "$flag" --no-turbo-inlining \
		"$PROGRAMS/jit_split.js" 3000
	popd >/dev/null || return
	pid=$(sed -n 's/^pid \([0-9]*\) .*/\1/p' "$T/$tag.out")
	if [ -n "$pid" ] && [ "$flag" = --perf-prof ] && [ -e "/tmp/perf-$pid.map" ]; then
		fail "$n_names" "node $flag wrote /tmp/perf-$pid.map: the names may not come from $what"
		rm -f "/tmp/perf-$pid.map"
		return
	fi
	[ -n "$pid" ] && rm -f "/tmp/perf-$pid.map" "$T/jit-$pid.dump"
	if [ "$rc" -eq 0 ] && folded_ok "$T/$tag.folded"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome "$tag")"
	fi
	# V8 names them "JS:*hot /path:LINE:COL" (* optimised, ~ interpreted, ^ baseline)
	report=$(awk "{ $SPLIT"'
		for (i = 2; i <= n; i++) {
			if (f[i] ~ /^JS:[*~^+]?hot .*_\[j\]$/) { h += $NF; break }
			if (f[i] ~ /^JS:[*~^+]?cold .*_\[j\]$/) { c += $NF; break }
		}
	} END {
		t = h + c
		if (t == 0) { print "no hot or cold JIT frames"; exit 2 }
		share = 100 * h / t
		printf "hot %.1f%% of %d samples in hot or cold\n", share, t
		exit t < 300 || share > 80 || share < 70
	}' "$T/$tag.folded")
	case $? in
	0) pass "$n_names"; pass "$n_split" ;;
	1) pass "$n_names"; fail "$n_split" "$report" ;;
	*) fail "$n_names" "$report; leaves: $(awk '{ print $NF, $0 }' "$T/$tag.folded" |
		sort -rn | head -3 | cut -c1-200)"; fail "$n_split" "$report" ;;
	esac
}

test_command
test_attach
test_late_threads
test_dlopen
test_kernel
test_short_lived
test_open
test_stop
test_errors
test_limits
test_unwinding
test_cxx_names
test_inline
test_deleted_binaries
test_jit --perf-basic-prof "perf map" jit
test_jit --perf-prof jitdump jitdump
finish
