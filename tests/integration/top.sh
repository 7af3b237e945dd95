#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `flamesamp top` and the process picker, driven as a user would in a terminal: each run is
# a tmux session of its own (a dedicated server socket, killed at the end) that keys are sent
# to (send-keys) and whose screen is read back (capture-pane).  The programs watched are
# tests/programs/cpu_split.c (leaf_a, leaf_b and leaf_c share the CPU 6:3:1) and
# offcpu_split.c (blocked 6:3:1 in wait_sleep, wait_pipe and wait_mutex), built here.
#
# Checked: the hottest functions in order with plausible shares, callers and callees and
# moving between them, pause, the sources not recorded, the off-CPU view, -o on quit, on
# SIGTERM and after --duration, a target that exits, a command, tiny and resized windows,
# hostile process names, the picker (sorted by CPU, filtered, Enter starts top), and the
# errors: no terminal, unknown TERM, a dead pid.
#
# Without root, tmux, a compiler or perf events, every check is skipped with the reason.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_record.sh"

SOCK=flamesamp-test-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; cleanup' EXIT

ALL_CHECKS=(
	"top: hottest functions in order" "top: callers and callees" "top: pause"
	"top: sources not recorded" "top: -o on quit" "top: off-CPU view" "top: memory view"
	"top: target exit" "top: command" "top: SIGTERM" "top: --duration" "top: -o FILE.db"
	"top: tiny terminal" "top: hostile names" "top: picker" "top: picker quits"
	"top: no terminal" "top: unknown TERM" "top: dead pid"
)

SKIP_REASON=""
if [ "$(id -u)" != 0 ]; then
	SKIP_REASON="not running as root (uid $(id -u)): sampling other processes needs root"
elif ! command -v tmux >/dev/null; then
	SKIP_REASON="tmux is not installed: the terminal UI is driven through it"
elif [ ! -e /proc/sys/kernel/perf_event_paranoid ]; then
	SKIP_REASON="this kernel has no perf events (no /proc/sys/kernel/perf_event_paranoid)"
elif ! command -v "${CC:-cc}" >/dev/null; then
	SKIP_REASON="no C compiler (${CC:-cc}) to build the programs to watch"
elif ! { "${CC:-cc}" -O1 -g -fno-omit-frame-pointer -o "$T/cpu_split" "$PROGRAMS/cpu_split.c" &&
	"${CC:-cc}" -O2 -g -fomit-frame-pointer -pthread -o "$T/offcpu_split" \
		"$PROGRAMS/offcpu_split.c" &&
	"${CC:-cc}" -O1 -o "$T/perf_probe" "$PROGRAMS/perf_probe.c"; } 2>"$T/cc.err"; then
	fail "top: build tests/programs" "$(head -c 500 "$T/cc.err")"
	finish
	exit
elif ! probe=$("$T/perf_probe"); then
	SKIP_REASON="$probe (perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid))"
fi
if skip_all "$SKIP_REASON" "${ALL_CHECKS[@]}"; then
	finish
	exit
fi

# pids of the programs watched, set by spawn
busy="" sleeper="" short="" busy2="" picked="" gone=""

tm() { tmux -L "$SOCK" "$@"; }

# start NAME WIDTH HEIGHT ARGS...: runs `flamesamp ARGS` in a new tmux session NAME of that
# size; its exit status goes to $T/NAME.rc and its stderr to $T/NAME.err
start() {
	local name=$1 w=$2 h=$3 cmd
	shift 3
	rm -f "$T/$name.rc"
	printf -v cmd '%q ' "$FLAMESAMP" "$@"
	tm new-session -d -s "$name" -x "$w" -y "$h" \
		"$cmd 2>$T/$name.err; echo \$? >$T/$name.rc; sleep 600"
}

# screen NAME: what session NAME shows
screen() { tm capture-pane -p -t "$1"; }

# wait_screen NAME REGEX SECONDS: until the screen matches (extended regex); fails after
wait_screen() {
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# keys NAME KEY...: sends the keys, then gives the screen time to redraw
keys() {
	local name=$1
	shift
	tm send-keys -t "$name" "$@"
	sleep 0.5
}

# wait_rc NAME SECONDS: sets rc to flamesamp's exit status once it has exited, or 124
wait_rc() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		if [ -s "$T/$1.rc" ]; then
			rc=$(cat "$T/$1.rc")
			return 0
		fi
		sleep 0.1
	done
	rc=124
	return 1
}

# end NAME: the session is no longer needed
end() { tm kill-session -t "$1" 2>/dev/null; }

# rows NAME: the function rows of the list: "FUNCTION SELF% TOTAL%"
rows() {
	screen "$1" | awk 'NR > 3 && $1 ~ /%$/ && NF >= 5 {
		f = $0; sub(/^ *[^ ]+ +[^ ]+ +[^ ]+ +[^ ]+ +/, "", f)
		print f, $1 + 0, $3 + 0 }'
}

# ---- the list of hottest functions

spawn busy "$T/cpu_split"
start list 120 40 top -p "$busy" -o "$T/quit.folded"
if ! wait_screen list 'leaf_c' 15; then
	fail "top: hottest functions in order" "no leaf_c after 15 s: $(screen list | head -5)"
else
	sleep 3 # a few thousand samples
	r=$(rows list)
	first3=$(echo "$r" | head -3 | awk '{ printf "%s ", $1 }')
	header=$(screen list | head -1)
	if [ "$first3" != "leaf_a leaf_b leaf_c " ]; then
		fail "top: hottest functions in order" "first rows: $(echo "$r" | head -5 | tr '\n' '|')"
	elif ! echo "$r" | awk '
		$1 == "leaf_a" { a = $2 } $1 == "leaf_b" { b = $2 } $1 == "leaf_c" { c = $2 }
		$1 == "main" { m = $3 }
		END { exit !(a > 50 && a < 70 && b > 22 && b < 38 && c > 5 && c < 15 && m > 95) }'; then
		fail "top: hottest functions in order" "shares off: $(echo "$r" | head -8 | tr '\n' '|')"
	elif ! [[ $header == *"pid $busy (cpu_split)"*"CPU"*samples* ]]; then
		fail "top: hottest functions in order" "header: $header"
	else
		pass "top: hottest functions in order"
	fi

	# j: leaf_b; Enter: its callers and callees; Enter on its caller work_b; back twice
	keys list j Enter
	s1=$(screen list)
	keys list Enter
	s2=$(screen list)
	keys list Escape
	s3=$(screen list)
	keys list BSpace
	s4=$(screen list)
	if ! echo "$s1" | sed -n 3p | grep -q '^leaf_b  self' ||
		! echo "$s1" | sed -n '/CALLERS/,/CALLEES/p' | grep -q ' work_b$'; then
		fail "top: callers and callees" "leaf_b view: $(echo "$s1" | sed -n 3,8p | tr '\n' '|')"
	elif ! echo "$s2" | sed -n 3p | grep -q '^work_b  self' ||
		! echo "$s2" | sed -n '/CALLERS/,/CALLEES/p' | grep -q ' main$' ||
		! echo "$s2" | sed -n '/CALLEES/,$p' | grep -q ' leaf_b$'; then
		fail "top: callers and callees" "work_b view: $(echo "$s2" | sed -n 3,8p | tr '\n' '|')"
	elif ! echo "$s3" | sed -n 3p | grep -q '^leaf_b  self'; then
		fail "top: callers and callees" "Esc did not go back to leaf_b: $(echo "$s3" | sed -n 3p)"
	elif ! echo "$s4" | sed -n 3p | grep -q 'SELF%.*FUNCTION'; then
		fail "top: callers and callees" "Backspace did not go back to the list: $(echo "$s4" | sed -n 3p)"
	else
		pass "top: callers and callees"
	fi

	# p: the list stops changing while sampling goes on
	keys list p
	p1=$(screen list)
	sleep 2
	p2=$(screen list)
	keys list p
	p3=$(screen list)
	if ! echo "$p1" | head -1 | grep -q PAUSED; then
		fail "top: pause" "no PAUSED in the header: $(echo "$p1" | head -1)"
	elif [ "$(echo "$p1" | sed -n '4,$p')" != "$(echo "$p2" | sed -n '4,$p')" ]; then
		fail "top: pause" "the list changed while paused"
	elif echo "$p3" | head -1 | grep -q PAUSED ||
		[ "$(echo "$p2" | sed -n 4p)" = "$(echo "$p3" | sed -n 4p)" ]; then
		fail "top: pause" "p again did not resume: $(echo "$p3" | sed -n '1p;4p' | tr '\n' '|')"
	else
		pass "top: pause"
	fi

	keys list 2
	n2=$(screen list | sed -n 2p)
	keys list 3
	n3=$(screen list | sed -n 2p)
	if [ "$n2" != "off-CPU not recorded (start with --offcpu)" ] ||
		! [[ $n3 == "memory not recorded (start with --malloc"* ]]; then
		fail "top: sources not recorded" "2: '$n2', 3: '$n3'"
	else
		pass "top: sources not recorded"
	fi

	keys list q
	wait_rc list 30
	if [ "$rc" != 0 ]; then
		fail "top: -o on quit" "exit $rc: $(head -c 300 "$T/list.err")"
	elif ! folded_ok "$T/quit.folded"; then
		fail "top: -o on quit" "not folded stacks: $(head -3 "$T/quit.folded")"
	elif ! awk -v a="$(weight "$T/quit.folded" leaf_a)" -v b="$(weight "$T/quit.folded" leaf_b)" \
		-v c="$(weight "$T/quit.folded" leaf_c)" 'BEGIN { exit !(a > b && b > c && c > 0) }' ||
		! grep -q '^cpu_split;.*;main;work_a;leaf_a [0-9]*$' "$T/quit.folded"; then
		fail "top: -o on quit" "unexpected stacks: $(sort -t' ' -k2 -nr "$T/quit.folded" | head -3)"
	else
		pass "top: -o on quit"
	fi
fi
end list
stop "$busy"

# ---- off-CPU

if [ ! -e /sys/kernel/btf/vmlinux ]; then
	skip "top: off-CPU view" "the kernel has no BTF (/sys/kernel/btf/vmlinux): off-CPU tracing needs it"
else
	spawn sleeper "$T/offcpu_split" 100000
	start offcpu 160 120 top --offcpu -p "$sleeper" -d 0.5
	if ! wait_screen offcpu 'samples' 20; then
		fail "top: off-CPU view" "did not start: $(head -c 300 "$T/offcpu.err")"
	else
		sleep 2
		keys offcpu 2
		sleep 2
		r=$(rows offcpu)
		header=$(screen offcpu | head -1)
		if ! [[ $header == *"off-CPU"*blocks* ]]; then
			fail "top: off-CPU view" "header: $header"
		elif ! echo "$r" | awk '
			$1 == "wait_sleep" { a = $3 } $1 == "wait_pipe" { b = $3 }
			$1 == "wait_mutex" { c = $3 }
			END { exit !(a > b && b > c && c > 0) }'; then
			fail "top: off-CPU view" "wait_sleep > wait_pipe > wait_mutex expected: $(echo "$r" |
				grep wait_ | tr '\n' '|')"
		else
			pass "top: off-CPU view"
		fi
	fi
	keys offcpu q
	wait_rc offcpu 30
	end offcpu
	stop "$sleeper"
fi

# ---- allocations: a command whose sites allocate known amounts (tests/programs/malloc_sites.c)

if [ ! -e /sys/kernel/btf/vmlinux ]; then
	skip "top: memory view" "the kernel has no BTF (/sys/kernel/btf/vmlinux): the BPF programs need it"
elif ! "${CC:-cc}" -O2 -g -fno-builtin -fomit-frame-pointer -o "$T/malloc_sites" \
	"$PROGRAMS/malloc_sites.c" 2>"$T/cc.err"; then
	fail "top: memory view" "build tests/programs/malloc_sites.c: $(head -c 300 "$T/cc.err")"
else
	start memory 120 30 top --malloc -o "$T/memory.folded" -- "$T/malloc_sites"
	if ! wait_screen memory "command $T/malloc_sites exited" 20; then
		fail "top: memory view" "$(head -c 300 "$T/memory.err") $(screen memory | head -3 | tr '\n' '|')"
	else
		keys memory 3
		r=$(rows memory)
		header=$(screen memory | head -1)
		keys memory q
		wait_rc memory 20
		# bytes asked for per site: 630,000 (realloc), 204,800, 200,000 and 48,000
		if [ "$(echo "$r" | head -1 | awk '{ print $1 }')" != site_realloc ] ||
			! [[ $header == *"memory  1,850 allocations"* ]]; then
			fail "top: memory view" "$header: $(echo "$r" | head -4 | tr '\n' '|')"
		elif [ "$rc" != 0 ] || [ "$(weight "$T/memory.folded" site_realloc)" != 630000 ] ||
			[ "$(weight "$T/memory.folded" site_aligned)" != 204800 ] ||
			[ "$(weight "$T/memory.folded" site_calloc)" != 200000 ] ||
			[ "$(weight "$T/memory.folded" site_malloc)" != 48000 ]; then
			fail "top: memory view" "exit $rc, -o: $(tr '\n' '|' <"$T/memory.folded")"
		else
			pass "top: memory view"
		fi
	fi
	end memory
fi

# ---- the target exits; a command; SIGTERM; --duration

spawn short "$T/cpu_split" 1500
start exited 120 40 top -p "$short"
if wait_screen exited "process $short exited" 20 && rows exited | grep -q '^leaf_a '; then
	keys exited q
	wait_rc exited 20
	if [ "$rc" = 0 ]; then pass "top: target exit"; else fail "top: target exit" "exit $rc"; fi
else
	fail "top: target exit" "$(screen exited | head -5 | tr '\n' '|')"
fi
end exited
stop "$short"

start command 120 40 top -o "$T/command.folded" -- "$T/cpu_split" 1500
if wait_screen command "command $T/cpu_split exited" 20 && rows command | grep -q '^leaf_a '; then
	keys command q
	wait_rc command 20
	if [ "$rc" = 0 ] && [ "$(weight "$T/command.folded" leaf_a)" -gt 0 ]; then
		pass "top: command"
	else
		fail "top: command" "exit $rc: $(head -c 300 "$T/command.err")"
	fi
else
	fail "top: command" "$(screen command | head -5 | tr '\n' '|')"
fi
end command

spawn busy2 "$T/cpu_split"
start term 120 40 top -p "$busy2" -o "$T/term.svg"
if wait_screen term leaf_a 15; then
	pkill_target=$(pgrep -f "^$FLAMESAMP top -p $busy2 " | head -1)
	kill -TERM "$pkill_target"
	wait_rc term 30
	if [ "$rc" = 0 ] && svg_ok "$T/term.svg" && grep -q 'leaf_a' "$T/term.svg" &&
		! screen term | grep -q 'SELF%'; then
		pass "top: SIGTERM"
	else
		fail "top: SIGTERM" "exit $rc, screen: $(screen term | head -3 | tr '\n' '|')"
	fi
else
	fail "top: SIGTERM" "did not start: $(head -c 300 "$T/term.err")"
fi
end term

start duration 120 40 top -p "$busy2" --duration 2 -o "$T/duration.folded"
wait_rc duration 30
if [ "$rc" = 0 ] && folded_ok "$T/duration.folded" &&
	[ "$(weight "$T/duration.folded" leaf_a)" -gt 0 ]; then
	pass "top: --duration"
else
	fail "top: --duration" "exit $rc: $(head -c 300 "$T/duration.err")"
fi
end duration

# -o FILE.db: the view as a profile database, read back by report and query
start db 120 40 top -p "$busy2" --duration 2 -o "$T/top.db"
wait_rc db 30
dbtop=$("$FLAMESAMP" report --csv -n 1 "$T/top.db" 2>&1 | sed -n 2p)
dbmode=$("$FLAMESAMP" query "$T/top.db" "SELECT value FROM meta WHERE key = 'mode'" 2>&1 | tail -1)
if [ "$rc" = 0 ] && [ "${dbtop#*leaf_a}" != "$dbtop" ] && [ "$(echo $dbmode)" = cpu ]; then
	pass "top: -o FILE.db"
else
	fail "top: -o FILE.db" "exit $rc, report: $dbtop, mode: $dbmode; $(head -c 300 "$T/db.err")"
fi
end db

# ---- small windows, resizing, hostile names

start tiny 20 5 top -p "$busy2"
ok=1
wait_screen tiny 'SELF%' 15 || ok=0
keys tiny Enter
keys tiny '?'
keys tiny x
tm resize-window -t tiny -x 3 -y 2
sleep 0.5
keys tiny j
tm resize-window -t tiny -x 100 -y 12
sleep 1.5
keys tiny Escape
wide=$(screen tiny)
keys tiny q
wait_rc tiny 20
if [ "$ok" = 1 ] && [ "$rc" = 0 ] && echo "$wide" | grep -q 'SELF%.*FUNCTION' &&
	[ "$(echo "$wide" | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -le 100 ]; then
	pass "top: tiny terminal"
else
	fail "top: tiny terminal" "exit $rc: $(head -c 300 "$T/tiny.err") screen: $(echo "$wide" | head -4 | tr '\n' '|')"
fi
end tiny
stop "$busy2"

# a process whose command line holds an escape sequence: shown as text, never sent
evil=$'fstest_evil_\e[31mred\a'
(exec -a "$evil" "$T/cpu_split") &
evil_pid=$!
bg_pids+=("$evil_pid")
sleep 0.5
start hostile 140 30
if wait_screen hostile 'COMMAND' 15; then
	keys hostile / f s t e s t _ e v i l Enter
	shown=$(screen hostile | grep "fstest_evil")
	if [[ $shown == *"fstest_evil_?[31mred?"* ]] &&
		! tm capture-pane -e -p -t hostile | grep -q $'\e\\[31m'; then
		pass "top: hostile names"
	else
		fail "top: hostile names" "shown: $shown"
	fi
else
	fail "top: hostile names" "no picker: $(head -c 300 "$T/hostile.err")"
fi
keys hostile q
end hostile
stop "$evil_pid"

# ---- the picker: `flamesamp` alone on a terminal

cp "$T/cpu_split" "$T/fstest_pick_$$"
spawn picked "$T/fstest_pick_$$"
sleep 1
start picker 140 40
if ! wait_screen picker "fstest_pick_$$" 15; then
	fail "top: picker" "the busy process is not listed: $(screen picker | head -6 | tr '\n' '|')"
else
	sleep 2.5 # a refresh with a full interval of CPU use
	place=$(screen picker | awk -v p="$picked" 'NR > 3 && $2 == p { print NR - 3; exit }')
	keys picker / f s t e s t _ p i c k Enter
	only=$(screen picker | awk 'NR > 3 && NF' | wc -l)
	keys picker Enter
	if [ -z "$place" ] || [ "$place" -gt 3 ]; then
		fail "top: picker" "the busy process is row '${place}', not in the first 3: $(screen picker |
			sed -n 4,7p | tr '\n' '|')"
	elif [ "$only" != 1 ]; then
		fail "top: picker" "the filter left $only rows"
	elif ! wait_screen picker "pid $picked \\(fstest_pick" 15 || ! wait_screen picker 'leaf_a' 15; then
		fail "top: picker" "Enter did not start top on it: $(screen picker | head -4 | tr '\n' '|')"
	else
		keys picker q
		wait_rc picker 20
		if [ "$rc" = 0 ]; then pass "top: picker"; else fail "top: picker" "exit $rc"; fi
	fi
fi
end picker

start picker_q 120 30
if wait_screen picker_q 'COMMAND' 15; then
	keys picker_q j j k
	keys picker_q Escape
	wait_rc picker_q 10
	[ "$rc" = 0 ] || fail "top: picker quits" "Esc: exit $rc"
	start picker_q2 120 30 top
	if wait_screen picker_q2 'COMMAND' 15; then
		keys picker_q2 q
		wait_rc picker_q2 10
		if [ "$rc" = 0 ]; then pass "top: picker quits"; else fail "top: picker quits" "q: exit $rc"; fi
	else
		fail "top: picker quits" "top without a target showed no picker"
	fi
	end picker_q2
else
	fail "top: picker quits" "no picker: $(head -c 300 "$T/picker_q.err")"
fi
end picker_q
stop "$picked"

# ---- errors

"$FLAMESAMP" top -p 1 </dev/null >"$T/notty.out" 2>"$T/notty.err"
rc=$?
"$FLAMESAMP" </dev/null >"$T/bare.out" 2>"$T/bare.err"
rc2=$?
if [ "$rc" = 2 ] && [ "$(cat "$T/notty.err")" = "flamesamp: top: needs a terminal" ] &&
	[ "$rc2" = 2 ] && grep -q '^usage: flamesamp' "$T/bare.err" && [ ! -s "$T/bare.out" ]; then
	pass "top: no terminal"
else
	fail "top: no terminal" "top: exit $rc '$(cat "$T/notty.err")'; bare: exit $rc2"
fi

printf -v cmd '%q ' "$FLAMESAMP" top -p 1
tm new-session -d -s badterm -x 80 -y 24 \
	"TERM=no-such-terminal $cmd 2>$T/badterm.err; echo \$? >$T/badterm.rc; sleep 600"
wait_rc badterm 10
if [ "$rc" = 2 ] && [ "$(wc -l <"$T/badterm.err")" = 1 ] &&
	grep -q "^flamesamp: unknown terminal type 'no-such-terminal'" "$T/badterm.err"; then
	pass "top: unknown TERM"
else
	fail "top: unknown TERM" "exit $rc: $(head -c 300 "$T/badterm.err")"
fi
end badterm

spawn gone sleep 0
wait "$gone" 2>/dev/null
start dead 80 24 top -p "$gone"
wait_rc dead 10
if [ "$rc" = 1 ] && [ "$(cat "$T/dead.err")" = "flamesamp: -p $gone: no such process" ]; then
	pass "top: dead pid"
else
	fail "top: dead pid" "exit $rc: $(head -c 300 "$T/dead.err")"
fi
end dead

finish
