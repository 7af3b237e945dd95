#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The profile database end to end: `record -o FILE.db` (with the folded output of the same
# recording beside it, `-o FILE.db -o FILE.folded`), `render` and `report` of it against the
# folded file, time slices of tests/programs/phase_split.c (phase_a for the first second,
# phase_b for the next), a recording killed with SIGKILL, `query` (read-only, JSON), the stack
# filters on folded input, CSV quoting of hostile names, and bad databases.
#
# The recordings need root and perf events (probed by tests/programs/perf_probe.c), the
# off-CPU one also kernel BTF, the full-disk one a tmpfs mount; without them those checks
# are skipped with the reason.  The checks on folded input and on bad files always run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_record.sh"

SKIP_REASON=""
OFFCPU_REASON=""
flags=(-O1 -g -fno-omit-frame-pointer)
if ! command -v python3 >/dev/null; then
	SKIP_REASON="no python3 (JSON, CSV and SQLite checks)"
elif [ "$(id -u)" != 0 ]; then
	SKIP_REASON="not running as root (uid $(id -u)): recording needs root"
elif [ ! -e /proc/sys/kernel/perf_event_paranoid ]; then
	SKIP_REASON="this kernel has no perf events (no /proc/sys/kernel/perf_event_paranoid)"
elif ! command -v "${CC:-cc}" >/dev/null; then
	SKIP_REASON="no C compiler (${CC:-cc}) to build the programs to profile"
elif ! { "${CC:-cc}" "${flags[@]}" -o "$T/cpu_split" "$PROGRAMS/cpu_split.c" &&
	"${CC:-cc}" "${flags[@]}" -o "$T/phase_split" "$PROGRAMS/phase_split.c" &&
	"${CC:-cc}" "${flags[@]}" -o "$T/perf_probe" "$PROGRAMS/perf_probe.c" &&
	"${CC:-cc}" -O2 -g -fomit-frame-pointer -pthread -o "$T/offcpu_split" \
		"$PROGRAMS/offcpu_split.c" &&
	"${CC:-cc}" -O2 -g -fno-builtin -fomit-frame-pointer -o "$T/malloc_sites" \
		"$PROGRAMS/malloc_sites.c"; } 2>"$T/cc.err"; then
	fail "store: build tests/programs" "$(head -c 500 "$T/cc.err")"
	finish
	exit
elif ! probe=$("$T/perf_probe"); then
	SKIP_REASON="$probe (perf_event_paranoid $(cat /proc/sys/kernel/perf_event_paranoid))"
fi
if [ -n "$SKIP_REASON" ]; then
	OFFCPU_REASON=$SKIP_REASON
elif [ ! -r /sys/kernel/btf/vmlinux ]; then
	OFFCPU_REASON="the kernel has no BTF (/sys/kernel/btf/vmlinux): off-CPU tracing needs CONFIG_DEBUG_INFO_BTF"
fi

# sum FILE: the total of a folded file's counts
sum() { awk '{ s += $NF } END { printf "%d\n", s }' "$1"; }

# query_value DB SQL: the single value of a one-row, one-column result
query_value() { "$FLAMESAMP" query --json "$1" "$2" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
print(list(rows[0].values())[0])'; }

# One recording written both ways: the database and the folded file hold the same stacks.
test_same_recording() {
	local n_rc="record -o FILE.db -o FILE.folded: exit 0, both written, one self-contained file"
	local n_integrity="record -o FILE.db: PRAGMA integrity_check is ok"
	local n_render="render FILE.db draws the same SVG as render FILE.folded of the recording"
	local n_report="report FILE.db: the same CSV as report FILE.folded, total = folded sum"
	local n_query="query: SUM(weight) of samples = folded sum, meta says mode cpu, samples"
	local n_json="report --json and query --json: valid JSON, typed values"
	local got want
	skip_all "$SKIP_REASON" "$n_rc" "$n_integrity" "$n_render" "$n_report" "$n_query" \
		"$n_json" && return
	run both -o "$T/p.db" -o "$T/p.folded" -- "$T/cpu_split" 1500
	if [ "$rc" -eq 0 ] && [ -s "$T/p.db" ] && folded_ok "$T/p.folded" &&
		[ ! -e "$T/p.db-wal" ] && [ -z "$(find "$T" -name 'p.db.tmp-*')" ] &&
		grep -q "wrote $T/p.db and $T/p.folded" "$T/both.err"; then
		pass "$n_rc"
	else
		fail "$n_rc" "$(outcome both); $(ls "$T")"
	fi
	got=$("$FLAMESAMP" query "$T/p.db" "PRAGMA integrity_check" 2>&1 | tail -1)
	if [ "$got" = ok ]; then pass "$n_integrity"; else fail "$n_integrity" "$got"; fi

	"$FLAMESAMP" render --hash --title T --subtitle S -o "$T/db.svg" "$T/p.db" 2>"$T/r1.err"
	"$FLAMESAMP" render --hash --title T --subtitle S -o "$T/folded.svg" "$T/p.folded" \
		2>"$T/r2.err"
	if [ -s "$T/db.svg" ] && cmp -s "$T/db.svg" "$T/folded.svg" &&
		grep -q '>leaf_a ' "$T/db.svg"; then
		pass "$n_render"
	else
		fail "$n_render" "$(cmp "$T/db.svg" "$T/folded.svg" 2>&1) $(cat "$T/r1.err")"
	fi

	"$FLAMESAMP" report -n 0 --csv "$T/p.db" >"$T/db.csv"
	"$FLAMESAMP" report -n 0 --csv "$T/p.folded" >"$T/folded.csv"
	got=$("$FLAMESAMP" report --json "$T/p.db" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
	want=$(sum "$T/p.folded")
	if [ -s "$T/db.csv" ] && cmp -s "$T/db.csv" "$T/folded.csv" && [ "$got" = "$want" ] &&
		grep -q '^leaf_a,' "$T/db.csv"; then
		pass "$n_report"
	else
		fail "$n_report" "total $got, folded $want; $(diff "$T/db.csv" "$T/folded.csv" | head -5)"
	fi

	got=$(query_value "$T/p.db" "SELECT SUM(weight) FROM samples")
	if [ "$got" = "$want" ] &&
		[ "$(query_value "$T/p.db" "SELECT value FROM meta WHERE key = 'mode'")" = cpu ] &&
		[ "$(query_value "$T/p.db" "SELECT value FROM meta WHERE key = 'samples'")" -ge "$want" ]; then
		pass "$n_query"
	else
		fail "$n_query" "SUM(weight) $got, folded $want"
	fi

	if "$FLAMESAMP" report --json -n 3 "$T/p.db" | python3 -m json.tool >/dev/null &&
		"$FLAMESAMP" query --json "$T/p.db" \
			"SELECT id, name, line, kind, address FROM frames LIMIT 20" >"$T/q.json" &&
		python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows and all(isinstance(r["id"], int) and isinstance(r["name"], str) and
                    (r["line"] is None or isinstance(r["line"], int)) for r in rows), rows
assert {r["kind"] for r in rows} <= {"user", "kernel", "jit", "inline", "unknown"}
' "$T/q.json"; then
		pass "$n_json"
	else
		fail "$n_json" "$(head -c 300 "$T/q.json")"
	fi
}

# phase_split: phase_a in the first second, phase_b in the second.
test_time_slices() {
	local n_slice="render/report --from 0 --to 1: mostly phase_a; --from 1 --to 2: mostly phase_b"
	local n_end="report --from -0.5: the last half second is phase_b"
	local a1 b1 a2 b2 total
	skip_all "$SKIP_REASON" "$n_slice" "$n_end" && return
	run phase -o "$T/ph.db" -- "$T/phase_split" 1
	share() { # FILE FUNC: percent of the profile's total in FUNC
		"$FLAMESAMP" report -n 0 --json "$@" | python3 -c '
import json, sys
r = json.load(sys.stdin)
t = {f["name"]: f["total"] for f in r["functions"]}
print(int(100 * t.get(sys.argv[1], 0) / r["total"]) if r["total"] else 0)' "${FUNC}"
	}
	a1=$(FUNC=phase_a share --from 0 --to 1 "$T/ph.db")
	b1=$(FUNC=phase_b share --from 0 --to 1 "$T/ph.db")
	a2=$(FUNC=phase_a share --from 1 --to 2 "$T/ph.db")
	b2=$(FUNC=phase_b share --from 1 --to 2 "$T/ph.db")
	total=$(query_value "$T/ph.db" "SELECT SUM(weight) FROM samples")
	if [ "$rc" -eq 0 ] && [ "$total" -gt 500 ] && [ "$a1" -ge 80 ] && [ "$b1" -le 10 ] &&
		[ "$b2" -ge 80 ] && [ "$a2" -le 10 ]; then
		pass "$n_slice"
	else
		fail "$n_slice" "$(outcome phase); [0,1]: phase_a $a1%, phase_b $b1%; [1,2]: phase_a $a2%, phase_b $b2%; $total samples"
	fi
	b2=$(FUNC=phase_b share --from -0.5 "$T/ph.db")
	if [ "$b2" -ge 90 ]; then pass "$n_end"; else fail "$n_end" "phase_b $b2%"; fi
}

# SIGKILL half way: the database holds what was committed.
test_killed() {
	local n_kill="record -o FILE.db killed with SIGKILL after 2.5 s: report and query work, integrity ok, the stacks seen are there"
	local rec child got samples
	skip_all "$SKIP_REASON" "$n_kill" && return
	spawn rec "$FLAMESAMP" record -q -o "$T/k.db" -- "$T/cpu_split" 0
	sleep 2.5
	child=$(cat "/proc/$rec/task/$rec/children" 2>/dev/null)
	kill -KILL "$rec"
	wait "$rec" 2>/dev/null
	for p in $child; do kill -KILL "$p" 2>/dev/null; done
	got=$("$FLAMESAMP" query "$T/k.db" "PRAGMA integrity_check" 2>&1 | tail -1)
	samples=$(query_value "$T/k.db" "SELECT SUM(weight) FROM samples" 2>/dev/null)
	"$FLAMESAMP" report -n 5 "$T/k.db" >"$T/k.report" 2>&1
	if [ "$got" = ok ] && [ "${samples:-0}" -gt 500 ] && grep -q ' leaf_a$' "$T/k.report" &&
		[ -z "$(query_value "$T/k.db" "SELECT value FROM meta WHERE key = 'end_ns'" 2>/dev/null)" ]; then
		pass "$n_kill"
	else
		fail "$n_kill" "integrity: $got; $samples samples; $(head -c 300 "$T/k.report")"
	fi
}

test_query() {
	local n_ro="query: a statement that writes fails (exit 2, one line), the file is unchanged"
	local n_errors="query: an SQL error, several statements, a missing argument: exit 2, one line"
	local n_table="query: a table with a header, NULL shown as NULL"
	local before
	skip_all "$SKIP_REASON" "$n_ro" "$n_errors" "$n_table" && return
	[ -s "$T/p.db" ] || { fail "$n_ro" "no database from the first recording"; return; }
	before=$(md5sum <"$T/p.db")
	"$FLAMESAMP" query "$T/p.db" "INSERT INTO meta VALUES ('x', 'y')" >"$T/ins.out" 2>"$T/ins.err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/ins.err")" -eq 1 ] &&
		grep -q '^flamesamp: query: .*readonly' "$T/ins.err" && [ ! -s "$T/ins.out" ] &&
		[ "$(md5sum <"$T/p.db")" = "$before" ] &&
		"$FLAMESAMP" query "$T/p.db" "DELETE FROM samples" 2>/dev/null; [ $? -eq 2 ]; then
		pass "$n_ro"
	else
		fail "$n_ro" "exit $rc: $(cat "$T/ins.err")"
	fi
	local bad=0
	"$FLAMESAMP" query "$T/p.db" "SELECT nope FROM frames" 2>"$T/e1.err"
	[ $? -eq 2 ] && grep -qx 'flamesamp: query: no such column: nope' "$T/e1.err" || bad=1
	"$FLAMESAMP" query "$T/p.db" "SELECT 1; SELECT 2" 2>"$T/e2.err"
	[ $? -eq 2 ] && [ "$(wc -l <"$T/e2.err")" -eq 1 ] || bad=2
	"$FLAMESAMP" query "$T/p.db" 2>"$T/e3.err"
	[ $? -eq 2 ] && [ "$(wc -l <"$T/e3.err")" -eq 1 ] || bad=3
	if [ "$bad" = 0 ]; then pass "$n_errors"; else fail "$n_errors" "case $bad"; fi
	"$FLAMESAMP" query "$T/p.db" "SELECT 'a' AS x, NULL AS y, 12 AS z UNION ALL SELECT 'bcd', 1, 3" >"$T/t.out"
	if [ "$(cat "$T/t.out")" = "$(printf 'x       y   z\na    NULL  12\nbcd     1   3')" ]; then
		pass "$n_table"
	else
		fail "$n_table" "$(cat -A "$T/t.out")"
	fi
}

# Off-CPU and hot/cold recordings: weights in ns, scaled to us as the folded output.
test_hotcold() {
	local n_hc="record --hotcold -o FILE.db: render equals the folded output's, _[o] frames, us"
	skip_all "$OFFCPU_REASON" "$n_hc" && return
	run hc --hotcold -o "$T/hc.db" -o "$T/hc.folded" -- "$T/offcpu_split" -H 50
	"$FLAMESAMP" report -n 0 --csv "$T/hc.db" >"$T/hc-db.csv" 2>&1
	"$FLAMESAMP" report -n 0 --csv "$T/hc.folded" >"$T/hc-folded.csv" 2>&1
	if [ "$rc" -eq 0 ] && cmp -s "$T/hc-db.csv" "$T/hc-folded.csv" &&
		grep -q '_\[o\],' "$T/hc-db.csv" &&
		[ "$(query_value "$T/hc.db" "SELECT value FROM meta WHERE key = 'count_name'")" = us ] &&
		[ "$(query_value "$T/hc.db" "SELECT COUNT(DISTINCT event) FROM samples")" = 2 ]; then
		pass "$n_hc"
	else
		fail "$n_hc" "$(outcome hc); $(diff "$T/hc-db.csv" "$T/hc-folded.csv" | head -4)"
	fi
}

# Allocations: bytes per time slice, and live mode (weights at the end, bucket 0).
test_malloc() {
	local n_bytes="record --malloc -o FILE.db: report equals the folded output's, unit bytes"
	local n_live="record --malloc=live -o FILE.db: report equals the folded output's, all in bucket 0"
	skip_all "$OFFCPU_REASON" "$n_bytes" "$n_live" && return
	run mb -q --malloc -o "$T/m.db" -o "$T/m.folded" -- "$T/malloc_sites"
	"$FLAMESAMP" report -n 0 --csv "$T/m.db" >"$T/m-db.csv" 2>&1
	"$FLAMESAMP" report -n 0 --csv "$T/m.folded" >"$T/m-folded.csv" 2>&1
	if [ "$rc" -eq 0 ] && cmp -s "$T/m-db.csv" "$T/m-folded.csv" && grep -q '^site_' "$T/m-db.csv" &&
		[ "$(query_value "$T/m.db" "SELECT value FROM meta WHERE key = 'unit'")" = bytes ]; then
		pass "$n_bytes"
	else
		fail "$n_bytes" "$(outcome mb); $(diff "$T/m-db.csv" "$T/m-folded.csv" | head -4)"
	fi
	run ml -q --malloc=live -o "$T/ml.db" -o "$T/ml.folded" -- "$T/malloc_sites"
	"$FLAMESAMP" report -n 0 --csv "$T/ml.db" >"$T/ml-db.csv" 2>&1
	"$FLAMESAMP" report -n 0 --csv "$T/ml.folded" >"$T/ml-folded.csv" 2>&1
	if [ "$rc" -eq 0 ] && cmp -s "$T/ml-db.csv" "$T/ml-folded.csv" &&
		[ "$(query_value "$T/ml.db" "SELECT SUM(weight) FROM samples")" = "$(sum "$T/ml.folded")" ] &&
		[ "$(query_value "$T/ml.db" "SELECT MAX(bucket) FROM samples")" = 0 ]; then
		pass "$n_live"
	else
		fail "$n_live" "$(outcome ml); $(diff "$T/ml-db.csv" "$T/ml-folded.csv" | head -4)"
	fi
}

test_full_disk() {
	local n_full="record -o FILE.db on a full file system: one line, exit 1"
	skip_all "$SKIP_REASON" "$n_full" && return
	mkdir -p "$T/small"
	if ! mount -t tmpfs -o size=96k tmpfs "$T/small" 2>"$T/mount.err"; then
		skip "$n_full" "cannot mount a small tmpfs: $(head -c 200 "$T/mount.err")"
		return
	fi
	run full -q -o "$T/small/full.db" -- "$T/cpu_split" 1500
	umount "$T/small"
	if [ "$rc" -eq 1 ] && [ "$(wc -l <"$T/full.err")" -eq 1 ] &&
		grep -qx "flamesamp: cannot write '$T/small/full.db': No space left on device" \
			"$T/full.err"; then
		pass "$n_full"
	else
		fail "$n_full" "$(outcome full)"
	fi
}

# Filters on folded input (no recording needed).
test_folded_filters() {
	local n_filters="render/report filters on folded input: --pid --tid --comm --grep --exclude --skip-after"
	local n_from="render --from on folded input: exit 2, needs a profile database"
	local n_csv="report --csv quotes names with commas and quotes (RFC 4180)"
	local n_regex="render --grep with a bad regular expression: exit 2, one line"
	local got bad=0
	cat >"$T/in.folded" <<-'EOF'
		app-10/11;_start;main;work;leaf_a 5
		app-10/12;_start;main;io;read_[k] 3
		db-20/20;_start;main;query 2
		app-10/11;_start;main;main;recurse 4
	EOF
	got=$("$FLAMESAMP" report --csv --pid 10 --exclude 'read' "$T/in.folded" | grep '^_start,')
	[ "$got" = $'_start,0,0.00,9,100.00\r' ] || bad=1
	got=$("$FLAMESAMP" report --csv --tid 12 "$T/in.folded" | grep '^read')
	[ "$got" = $'read_[k],3,100.00,3,100.00\r' ] || bad=2
	got=$("$FLAMESAMP" report --json --comm db --grep '^qu' "$T/in.folded" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
	[ "$got" = 2 ] || bad=3
	"$FLAMESAMP" render --hash --skip-after main --title X -o "$T/skip.svg" "$T/in.folded"
	printf 'main;work;leaf_a 5\nmain;io;read_[k] 3\nmain;query 2\nmain;main;recurse 4\n' |
		"$FLAMESAMP" render --hash --title X -o "$T/skip-want.svg"
	cmp -s "$T/skip.svg" "$T/skip-want.svg" || bad=4
	if [ "$bad" = 0 ]; then pass "$n_filters"; else fail "$n_filters" "case $bad: $got"; fi

	"$FLAMESAMP" render --from 1 "$T/in.folded" >"$T/from.out" 2>"$T/from.err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$T/from.out" ] && grep -q 'need a profile database' "$T/from.err"; then
		pass "$n_from"
	else
		fail "$n_from" "exit $rc: $(cat "$T/from.err")"
	fi

	printf '%s\n' 'main;say "hi", then;a,b 3' 'main;x;"quoted" 1' >"$T/hostile.folded"
	"$FLAMESAMP" report -n 0 --csv "$T/hostile.folded" >"$T/hostile.csv"
	if python3 -c '
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
names = {r[0]: r for r in rows[1:]}
assert rows[0] == ["name", "self", "self_percent", "total", "total_percent"], rows[0]
assert names["say \"hi\", then"][3] == "3", names
assert names["a,b"][1] == "3" and names["\"quoted\""][1] == "1", names
' "$T/hostile.csv"; then
		pass "$n_csv"
	else
		fail "$n_csv" "$(cat "$T/hostile.csv")"
	fi

	"$FLAMESAMP" render --grep '(' "$T/in.folded" >/dev/null 2>"$T/re.err"
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(wc -l <"$T/re.err")" -eq 1 ]; then
		pass "$n_regex"
	else
		fail "$n_regex" "exit $rc: $(cat "$T/re.err")"
	fi
}

test_bad_databases() {
	local n_bad="render/report/query on a SQLite file that is not a profile, another schema version, a corrupt file: one line, non-zero"
	local f cmd bad="" n
	skip_all "$([ -n "$(command -v python3)" ] || echo "no python3 to write SQLite files")" \
		"$n_bad" && return
	python3 - "$T" <<-'EOF'
		import sqlite3, sys
		d = sys.argv[1]
		c = sqlite3.connect(d + "/other.db"); c.execute("CREATE TABLE t(x)"); c.commit(); c.close()
		c = sqlite3.connect(d + "/v9.db")
		c.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
		c.execute("INSERT INTO meta VALUES ('schema_version', '9')"); c.commit(); c.close()
		c = sqlite3.connect(d + "/corrupt.db")
		c.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
		c.execute("CREATE TABLE t(x)")
		c.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
		c.commit(); c.close()
		b = bytearray(open(d + "/corrupt.db", "rb").read())
		b[4096:] = b"\xa5" * (len(b) - 4096)
		open(d + "/corrupt.db", "wb").write(b)
	EOF
	for f in other v9 corrupt; do
		for cmd in render report query; do
			if [ "$cmd" = query ]; then
				"$FLAMESAMP" query "$T/$f.db" "SELECT 1" >"$T/bad.out" 2>"$T/bad.err"
			else
				"$FLAMESAMP" "$cmd" "$T/$f.db" >"$T/bad.out" 2>"$T/bad.err"
			fi
			rc=$?
			n=$(wc -l <"$T/bad.err")
			if [ "$rc" -eq 0 ] || [ "$rc" -gt 2 ] || [ "$n" -ne 1 ] ||
				! grep -q "^flamesamp: cannot read '$T/$f.db': " "$T/bad.err"; then
				bad="$bad $cmd $f.db: exit $rc, $(cat "$T/bad.err");"
			fi
		done
	done
	if [ -z "$bad" ]; then pass "$n_bad"; else fail "$n_bad" "$bad"; fi
}

test_same_recording
test_time_slices
test_killed
test_query
test_hotcold
test_malloc
test_full_disk
test_folded_filters
test_bad_databases
finish
