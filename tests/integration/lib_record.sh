# SPDX-License-Identifier: Apache-2.0
# Helpers for the tests that record (record.sh, offcpu.sh): running flamesamp and
# background programs, and reading folded output.  Source after lib.sh.

T=$TESTDIR
PROGRAMS=$REPO/tests/programs
have_xmllint=1
command -v xmllint >/dev/null || have_xmllint=0
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TESTDIR"
}
trap cleanup EXIT

# skip_all REASON NAME...: if REASON is set, report every NAME skipped and succeed
skip_all() {
	local reason=$1 name
	shift
	[ -n "$reason" ] || return 1
	for name; do
		skip "$name" "$reason"
	done
}

# ---- running things

# run NAME ARGS...: runs flamesamp with ARGS (killed after 60 s); stdout and stderr go to
# $T/NAME.out and $T/NAME.err; sets rc and elapsed (seconds)
run() {
	local name=$1 start
	shift
	start=$(date +%s.%N)
	timeout -k 5 60 "$FLAMESAMP" "$@" >"$T/$name.out" 2>"$T/$name.err"
	rc=$?
	elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# outcome NAME: how the last run of NAME ended, for failure messages
outcome() {
	local how="exit $rc"
	[ "$rc" -eq 124 ] && how="still running after the time limit, killed"
	echo "$how after ${elapsed}s, stderr: $(head -c 300 "$T/$1.err")"
}

# spawn VAR PROGRAM ARGS...: starts a program in the background, its pid in VAR and its
# output in $T/VAR.log; it is killed at the end if still running
spawn() {
	local var=$1
	shift
	"$@" >"$T/$var.log" 2>&1 &
	printf -v "$var" %s "$!"
	bg_pids+=("$!")
}

# wait_ready VAR: waits (up to 10 s) until the program spawned as VAR printed "ready"
wait_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '^ready' "$T/$1.log" && return 0
		sleep 0.1
	done
	return 1
}

stop() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# alive PID: the process exists and is not a zombie (an exited child of this shell stays a
# zombie, for which kill -0 still succeeds, until it is waited for)
alive() {
	local state
	state=$(sed -n 's/.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_exit PID SECONDS: sets rc to the exit status of the background child PID, or kills it
# and sets rc to 124 if it is still running after SECONDS; elapsed is the time waited
wait_exit() {
	local i start
	start=$(date +%s.%N)
	for ((i = 0; i < $2 * 10; i++)); do
		alive "$1" || break
		sleep 0.1
	done
	if alive "$1"; then
		kill -KILL "$1"
		wait "$1" 2>/dev/null
		rc=124
	else
		wait "$1"
		rc=$?
	fi
	elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
}

# ---- reading folded output: "comm;outermost;...;leaf COUNT", kernel frames end in "_[k]"

# The awk programs split a line into f[1] = comm, f[2..n] = frames, and the count $NF.
# shellcheck disable=SC2016 # awk text
SPLIT='n = split(substr($0, 1, length($0) - length($NF) - 1), f, ";")'

# weight FILE FRAME: samples whose stack holds FRAME
weight() {
	awk -v want="$2" "{ $SPLIT"'
		for (i = 2; i <= n; i++)
			if (f[i] == want) { w += $NF; break }
	} END { print w + 0 }' "$1"
}

# folded_ok FILE: non-empty, every line "STACK COUNT", the last one complete
folded_ok() {
	[ -s "$1" ] && [ -z "$(tail -c 1 "$1")" ] &&
		awk '!/^[^ ;].* [0-9]+$/ { bad = 1 } END { exit bad }' "$1"
}

# svg_ok FILE: non-empty, complete (ends with </svg>), well-formed when xmllint is there
svg_ok() {
	[ -s "$1" ] && tail -c 16 "$1" | grep -q '</svg>' &&
		{ [ "$have_xmllint" = 0 ] || xmllint --noout "$1" 2>/dev/null; }
}

