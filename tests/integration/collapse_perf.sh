# SPDX-License-Identifier: Apache-2.0
# `flamesamp collapse`: the command line, and `collapse perf` against the
# outputs of FlameGraph's stackcollapse-perf.pl on peer data (conformance).
source "$(dirname "$0")/lib.sh"

fs() { "$FLAMESAMP" "$@"; }

# expect_fail NAME STATUS PATTERN COMMAND...: exits STATUS with one stderr line matching PATTERN
expect_fail() {
	local name=$1 status=$2 pattern=$3 rc
	shift 3
	"$@" >"$TESTDIR/out" 2>"$TESTDIR/err"
	rc=$?
	if [ "$rc" -ne "$status" ]; then
		fail "$name" "exit $rc, expected $status"
	elif [ "$(wc -l <"$TESTDIR/err")" -ne 1 ] || ! grep -q -- "$pattern" "$TESTDIR/err"; then
		fail "$name" "stderr: $(head -c 300 "$TESTDIR/err")"
	elif [ -s "$TESTDIR/out" ]; then
		fail "$name" "wrote to stdout"
	else
		pass "$name"
	fi
}

# same NAME FILE EXPECTED-TEXT
same() {
	if [ "$(cat "$2")" = "$3" ]; then pass "$1"; else fail "$1" "got: $(head -c 300 "$2")"; fi
}

cat >"$TESTDIR/a.txt" <<'EOF'
# a perf script header
java 123/456 [001] 1.000001: 250000 cycles:
	ffffffff8103ce3b native_safe_halt+0xb ([kernel.kallsyms])
	7f722d142778 Ljava/io/PrintStream;::print (/tmp/perf-19982.map)
	7f0000000000 [unknown] (/usr/lib/libc.so.6)

V8 WorkerThread 25607 1.000002: 1 cycles:
	4 main (/usr/bin/node)

EOF
cat >"$TESTDIR/b.txt" <<'EOF'
app 1 2.0: 1 instructions:
	1 only_if_first (/x)

app 1 2.5: 1 cycles:
	2 from_b (/x)

EOF

# ---- command line

fs collapse --help >"$TESTDIR/help" 2>&1
if [ $? -eq 0 ] && grep -q 'perf' "$TESTDIR/help" && grep -q -- '--event-filter' "$TESTDIR/help" &&
	grep -q 'pprof' "$TESTDIR/help" && grep -q 'bpftrace' "$TESTDIR/help" &&
	grep -q -- '--sample-type' "$TESTDIR/help" && grep -q -- '--inline' "$TESTDIR/help"; then
	pass "collapse --help lists formats and options"
else
	fail "collapse --help lists formats and options"
fi

expect_fail "unknown option" 2 "unknown option '--bogus'" fs collapse perf --bogus "$TESTDIR/a.txt"
expect_fail "unknown short option" 2 "unknown option '-x'" fs collapse perf -x "$TESTDIR/a.txt"
expect_fail "value given to a flag" 2 "unknown option '--pid=3'" fs collapse folded --pid=3 "$TESTDIR/a.txt"
expect_fail "option without its value" 2 "needs a value" \
	fs collapse perf "$TESTDIR/a.txt" --event-filter
expect_fail "unknown format" 2 "unknown format 'perl'" fs collapse perl "$TESTDIR/a.txt"
expect_fail "no format" 2 "no FORMAT" fs collapse
expect_fail "missing file" 2 "cannot read $TESTDIR/nope.txt" fs collapse perf "$TESTDIR/nope.txt"
expect_fail "--inline is refused" 2 "inline is not supported" \
	fs collapse perf --inline "$TESTDIR/a.txt"
printf '{"nodes": []}\n' >"$TESTDIR/notperf.json"
expect_fail "input that is not perf script" 1 "notperf.json: not perf script output" \
	fs collapse perf "$TESTDIR/notperf.json"

fs collapse perf "$TESTDIR/a.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "perf from a file" "$TESTDIR/out" 'V8_WorkerThread;main 1
java;[libc.so.6];java/io/PrintStream:::print;native_safe_halt 1'
fs collapse perf --tid --all - <"$TESTDIR/a.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "perf from stdin with --tid --all" "$TESTDIR/out" 'V8_WorkerThread-?/25607;main 1
java-123/456;[libc.so.6];Ljava/io/PrintStream:::print_[j];native_safe_halt_[k] 1'
fs collapse --pid --addrs perf <"$TESTDIR/a.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "options before FORMAT, --pid --addrs" "$TESTDIR/out" 'V8_WorkerThread-?;main 1
java-123;[libc.so.6 <7f0000000000>];Ljava/io/PrintStream:::print;native_safe_halt 1'

# several files are one stream: b.txt's cycles samples are dropped, a.txt set the event
fs collapse perf "$TESTDIR/a.txt" "$TESTDIR/b.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "several perf files merge" "$TESTDIR/out" 'V8_WorkerThread;main 1
app;from_b 1
java;[libc.so.6];java/io/PrintStream:::print;native_safe_halt 1'
fs collapse perf "$TESTDIR/b.txt" "$TESTDIR/a.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "the first file's first event is kept" "$TESTDIR/out" 'app;only_if_first 1'
if [ "$(wc -l <"$TESTDIR/err")" -eq 1 ] &&
	grep -q "warning: .*kept only the first event type, 'instructions'" "$TESTDIR/err"; then
	pass "dropped events are reported in one warning"
else
	fail "dropped events are reported in one warning" "$(cat "$TESTDIR/err")"
fi
fs collapse perf --event-filter=cycles "$TESTDIR/b.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "--event-filter" "$TESTDIR/out" 'app;from_b 1'
# a sample cut at the end of one file goes on in the next, as with the script
printf 'app 1 1.0: c:\n\t1 f (/x)' >"$TESTDIR/cut1.txt"
printf '\t2 g (/x)\n\n' >"$TESTDIR/cut2.txt"
fs collapse perf "$TESTDIR/cut1.txt" "$TESTDIR/cut2.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
same "perf files are one stream" "$TESTDIR/out" 'app;g;f 1'
fs collapse auto "$TESTDIR/a.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
fs collapse perf "$TESTDIR/a.txt" >"$TESTDIR/out-perf" 2>"$TESTDIR/err"
check "auto recognises perf script" cmp -s "$TESTDIR/out" "$TESTDIR/out-perf"

printf 'app 1 1.0: c:\n\t1 f (/x)\n\tnot a frame\n\napp 1 2.0: c:\n\t2 g (/x)\n' >"$TESTDIR/odd.txt"
fs collapse perf "$TESTDIR/odd.txt" >"$TESTDIR/out" 2>"$TESTDIR/err"
if [ "$(cat "$TESTDIR/out")" = 'app;f 1' ] && grep -q 'skipped 1 line that' "$TESTDIR/err" &&
	grep -q 'ends inside a sample' "$TESTDIR/err"; then
	pass "skipped lines and a truncated last sample are reported"
else
	fail "skipped lines and a truncated last sample are reported" "$(cat "$TESTDIR/err")"
fi

fs collapse perf -o "$TESTDIR/out.folded" "$TESTDIR/a.txt" >"$TESTDIR/out" 2>&1
if [ $? -eq 0 ] && [ ! -s "$TESTDIR/out" ] && [ "$(wc -l <"$TESTDIR/out.folded")" -eq 2 ]; then
	pass "-o writes the file"
else
	fail "-o writes the file"
fi
echo "keep me" >"$TESTDIR/keep.folded"
fs collapse perf -o "$TESTDIR/keep.folded" "$TESTDIR/notperf.json" 2>/dev/null
if [ $? -eq 1 ] && [ "$(cat "$TESTDIR/keep.folded")" = "keep me" ] &&
	[ "$(ls "$TESTDIR" | grep -c keep)" -eq 1 ]; then
	pass "-o is left alone when the input is rejected"
else
	fail "-o is left alone when the input is rejected"
fi
expect_fail "-o into a missing directory" 1 "cannot write '$TESTDIR/no/dir.folded'" \
	fs collapse perf -o "$TESTDIR/no/dir.folded" "$TESTDIR/a.txt"

# CRLF input collapses as its LF twin (the Perl script would print nothing)
sed 's/$/\r/' "$TESTDIR/a.txt" >"$TESTDIR/crlf.txt"
fs collapse perf "$TESTDIR/crlf.txt" >"$TESTDIR/out" 2>/dev/null
fs collapse perf "$TESTDIR/a.txt" >"$TESTDIR/out-lf" 2>/dev/null
check "CRLF input" cmp -s "$TESTDIR/out" "$TESTDIR/out-lf"

# hostile input: random bytes, NULs, a 10 MB line; any exit but a crash
perl -e 'srand(7); print map { chr(int(rand(256))) } 1 .. 300000' >"$TESTDIR/random.bin"
perl -e 'srand(8); my @a = (" ", "\t", "\n", "\n", "\0", "(", ")", "->", "[unknown]",
	"+0x1f", "java", "1/2", " 12 ", "cycles:", "#", "\r", "\xff", "L/a;", "\"");
	print map { $a[int(rand(@a))] } 1 .. 300000' >"$TESTDIR/noise.txt"
perl -e 'print "app 1 1.0: c:\n\t1 ", "(a" x 5000000, " (m)\n\n"' >"$TESTDIR/long.txt"
for f in random.bin noise.txt long.txt; do
	fs collapse perf --all --addrs --tid "$TESTDIR/$f" >/dev/null 2>&1
	rc=$?
	if [ "$rc" -le 1 ]; then
		pass "hostile input $f (exit $rc)"
	else
		fail "hostile input $f" "exit $rc"
	fi
done

# ---- conformance with stackcollapse-perf.pl on peer data

if [ ! -d "$PEER" ]; then
	skip "conformance" "../shared/peer-tests not found"
	finish
	exit
fi

conf_pass=0 conf_fail=0
# conform NAME STATUS EXPECT INPUT [OPTION]: EXPECT is a file or "perl:<sha256 prefix>"
conform() {
	local name=$1 status=$2 expect=$3 input=$4 rc ok=1
	shift 4
	if [ "${input%.gz}" != "$input" ]; then
		gzip -dc "$input" | fs collapse perf "$@" - >"$TESTDIR/conf" 2>/dev/null
		rc=${PIPESTATUS[1]}
	else
		fs collapse perf "$@" "$input" >"$TESTDIR/conf" 2>/dev/null
		rc=$?
	fi
	if [ "$rc" -ne "$status" ]; then
		ok=0
	elif [ "${expect#perl:}" != "$expect" ]; then
		[ "$(sha256sum <"$TESTDIR/conf" | cut -c1-16)" = "${expect#perl:}" ] || ok=0
	else
		cmp -s "$TESTDIR/conf" "$expect" || ok=0
	fi
	if [ $ok -eq 1 ]; then
		pass "conformance $name"
		conf_pass=$((conf_pass + 1))
	else
		fail "conformance $name" "exit $rc; output differs from stackcollapse-perf.pl"
		conf_fail=$((conf_fail + 1))
	fi
}

# FlameGraph's own test suite: 13 captures x 6 options
fg=$PEER/flamegraph-perl/test
for input in "$fg"/*.txt; do
	base=$(basename "$input" .txt)
	for opt in pid tid kernel jit all addrs; do
		conform "flamegraph-perl $base --$opt" 0 "$fg/results/$base-collapsed-$opt.txt" \
			"$input" "--$opt"
	done
done

# inferno's inputs.  Where inferno's expected output equals the Perl script's,
# it is the reference; elsewhere the digest of the Perl script's output is
# (inferno weights samples by period, demangles Rust, keeps a last sample that
# lacks its blank line, keeps C++ argument lists and marks jitdump frames).
inf=$PEER/inferno/collapse-perf
conform "inferno example-perf-stacks" 0 "$inf/results/example-perf-stacks-collapsed.txt" \
	"$PEER/flamegraph-perl/example-perf-stacks.txt.gz"
conform "inferno no-events" 0 "$inf/results/no-events-collapsed.txt" "$inf/no-events.txt"
while read -r name status digest opt; do
	conform "inferno $name ${opt:-(no option)}" "$status" "perl:$digest" "$inf/$name.txt" $opt
done <<'EOF'
cpp-stacks-std-function 0 13729e347a83d6ac
go-stacks 0 49c49b3d21d8e786
java-inline 0 16b887f4882606d9
single-event 0 e3b0c44298fc1c14
single-line-stacks 1 e3b0c44298fc1c14
sourcepawn-jitdump 0 f3e7a806f91261c9 --jit
versioned-vmlinux 0 e3b0c44298fc1c14 --kernel
weird-stack-line 0 d9d44fc7534b862b
empty-line 0 ca0ac7fb1504b752
EOF
while read -r opt digest; do
	conform "inferno perf-rust-Yamakaky-dcpu $opt" 0 "perl:$digest" \
		"$fg/perf-rust-Yamakaky-dcpu.txt" "$opt"
done <<'EOF'
--pid 5c93cc02d92b7554
--tid b87fc78637a8d667
--kernel 48eb7acd67d0f8ec
--jit d2a9402a8fce535b
--all 48eb7acd67d0f8ec
--addrs 98e310daa1ae62b7
EOF

# speedscope's perf captures: digests of the Perl script's output
while read -r name digest opt; do
	conform "speedscope $name ${opt:-(no option)}" 0 "perl:$digest" \
		"$PEER/speedscope/linux-perf/$name.linux-perf.txt" $opt
done <<'EOF'
forks 95955d95b3f7f01f
forks 9a94eb304107c3cc --tid
forks fb0037a7d765a916 --all
forks aa78ee0140ee3ba8 --addrs
one-sample e3b0c44298fc1c14
rust-mangled 5db6780e598cce35
rust-mangled 7f0b0e82679be6a4 --tid
simple-with-header 5333f45f872655c4
simple-with-header 88688e86aaff5816 --tid
simple-with-header 8a7b5ab46bf92268 --addrs
simple-with-pid a9fc34c7861c39de
simple-with-pid 1792f1506685fd62 --tid
simple-with-pid 27f66a0a20e86a98 --all
simple-with-pid 8d8524f76632a05f --addrs
simple e3b0c44298fc1c14
system-wide 8fa77d7ba1915edc
system-wide 4cf629a67468676c --tid
system-wide b98ded675e95ea17 --all
system-wide 1238d9f9c72cac4d --addrs
EOF

echo "conformance: $conf_pass passed, $conf_fail failed"
finish
