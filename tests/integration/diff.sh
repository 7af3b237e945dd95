#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `flamesamp diff`: conformance with inferno's diff-folded results (the data
# inferno tests itself with), the -o output file, and exit codes.
. "$(dirname "$0")/lib.sh"

D=$PEER/inferno/diff-folded

# --- conformance -------------------------------------------------------------------------------
# Each case: result file, options, BEFORE input (AFTER is always after.txt), as in
# inferno's tests/diff-folded.rs.  inferno and difffolded.pl print in hash order,
# which changes from run to run (inferno's test sorts both sides before comparing);
# flamesamp sorts, so its output must equal the sorted result file byte for byte.
conformance() {
	local passed=0 failed=0 name opts before
	if [ ! -d "$D" ]; then
		skip "diff: inferno conformance" "../shared/peer-tests not found"
		return
	fi
	while read -r name opts before; do
		[ "$opts" = - ] && opts=
		# shellcheck disable=SC2086
		if ! "$FLAMESAMP" diff $opts "$D/$before" "$D/after.txt" >"$TESTDIR/$name.out" \
			2>"$TESTDIR/$name.err"; then
			fail "diff: inferno $name" "exit $?: $(head -c 200 "$TESTDIR/$name.err")"
			failed=$((failed + 1))
		elif LC_ALL=C sort "$D/results/$name.txt" | cmp -s - "$TESTDIR/$name.out"; then
			pass "diff: inferno $name"
			passed=$((passed + 1))
		else
			fail "diff: inferno $name" \
				"$(LC_ALL=C sort "$D/results/$name.txt" | diff - "$TESTDIR/$name.out" | head -5)"
			failed=$((failed + 1))
		fi
	done <<'EOF'
default - before.txt
normalize -n before.txt
strip_hex -s before.txt
fractionals - before_fractionals.txt
EOF
	echo "conformance: $passed passed, $failed failed"
	check "diff: fractional counts are reported as truncated" \
		grep -q 'fractional counts are truncated' "$TESTDIR/fractionals.err"
	# a line without a count is skipped with a warning, as inferno does
	"$FLAMESAMP" diff "$D/bad_before.txt" "$D/after.txt" >"$TESTDIR/bad.out" 2>"$TESTDIR/bad.err"
	if [ $? -eq 0 ] && grep -q 'bad_before.txt: line 3: no count' "$TESTDIR/bad.err" &&
		[ "$(wc -l <"$TESTDIR/bad.out")" -eq 9 ] &&
		grep -qx 'dd;\[unknown\];read;system_call_\[k\];__fdget_pos_\[k\] 0 15' "$TESTDIR/bad.out"; then
		pass "diff: inferno bad_before.txt (line without a count skipped)"
	else
		fail "diff: inferno bad_before.txt (line without a count skipped)" \
			"$(cat "$TESTDIR/bad.err")"
	fi
}

# --- behaviour without peer data ---------------------------------------------------------------
behaviour() {
	local t=$TESTDIR rc
	printf 'main;a 3\nmain;b 1\n' >"$t/b.txt"
	printf 'main;a 2\nmain;c 6\n' >"$t/a.txt"
	"$FLAMESAMP" diff "$t/b.txt" "$t/a.txt" >"$t/out.txt"
	check "diff: union of stacks, sorted" diff -u - "$t/out.txt" <<'EOF'
main;a 3 2
main;b 1 0
main;c 0 6
EOF
	"$FLAMESAMP" diff --normalize "$t/b.txt" "$t/a.txt" >"$t/norm.txt"
	check "diff: --normalize scales BEFORE to AFTER's total" diff -u - "$t/norm.txt" <<'EOF'
main;a 6 2
main;b 2 0
main;c 0 6
EOF
	"$FLAMESAMP" diff -o "$t/written.txt" "$t/b.txt" "$t/a.txt" >"$t/stdout.txt"
	check "diff: -o FILE writes the file" cmp -s "$t/out.txt" "$t/written.txt"
	check "diff: -o FILE writes nothing to standard output" test ! -s "$t/stdout.txt"
	"$FLAMESAMP" diff - "$t/a.txt" <"$t/b.txt" >"$t/stdin.txt"
	check "diff: '-' reads standard input" cmp -s "$t/out.txt" "$t/stdin.txt"

	"$FLAMESAMP" diff "$t/b.txt" "$t/missing.txt" >/dev/null 2>"$t/err"
	rc=$?
	check "diff: missing file exits 2" test "$rc" -eq 2
	check "diff: missing file is named in one error line" \
		bash -c '[ "$(wc -l <"$1")" -eq 1 ] && grep -q "^flamesamp: cannot read .*missing.txt" "$1"' \
		_ "$t/err"
	"$FLAMESAMP" diff --bogus "$t/b.txt" "$t/a.txt" >/dev/null 2>&1
	check "diff: unknown option exits 2" test $? -eq 2
	"$FLAMESAMP" diff "$t/b.txt" >/dev/null 2>&1
	check "diff: one file exits 2" test $? -eq 2
	"$FLAMESAMP" diff -o >/dev/null 2>&1
	check "diff: -o without a value exits 2" test $? -eq 2
	"$FLAMESAMP" diff --help >"$t/help.txt"
	check "diff: --help exits 0 and shows usage" grep -q '^usage: flamesamp diff' "$t/help.txt"

	# an output that cannot be written: exit 1, and no file left behind
	"$FLAMESAMP" diff -o "$t/no/such/dir/out.txt" "$t/b.txt" "$t/a.txt" 2>/dev/null
	check "diff: unwritable -o exits 1" test $? -eq 1
	if [ -w /dev/full ]; then
		"$FLAMESAMP" diff "$t/b.txt" "$t/a.txt" >/dev/full 2>"$t/err"
		rc=$?
		check "diff: write error (full disk) exits 1" test "$rc" -eq 1
	else
		skip "diff: write error (full disk) exits 1" "/dev/full is not writable"
	fi
	echo previous >"$t/keep.txt"
	printf 'x 18446744073709551615\ny 1\n' >"$t/huge.txt"
	"$FLAMESAMP" diff -o "$t/keep.txt" "$t/huge.txt" "$t/a.txt" 2>"$t/err"
	rc=$?
	check "diff: counts over 2^64 exit 1" test "$rc" -eq 1
	check "diff: a failed run keeps the old output file" grep -qx previous "$t/keep.txt"

	# hostile input: any bytes, no line breaks inside the output's stacks
	head -c 65536 /dev/urandom >"$t/random.bin"
	"$FLAMESAMP" diff "$t/random.bin" "$t/random.bin" >"$t/random.out" 2>/dev/null
	rc=$?
	check "diff: random bytes do not crash" test "$rc" -eq 0
	check "diff: every output line ends in two counts" \
		bash -c '! grep -qav " [0-9][0-9]* [0-9][0-9]*$" "$1"' _ "$t/random.out"
}

conformance
behaviour
finish
