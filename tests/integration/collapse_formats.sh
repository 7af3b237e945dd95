#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `flamesamp collapse` on real profiles: a .cpuprofile from `node --cpu-prof`
# and a pprof profile from Go's runtime/pprof, both of programs written here
# whose functions have a known 6:3:1 cost; the peer files from speedscope;
# bpftrace and folded text; and hostile inputs, which must give one error
# line and exit status 1, never a crash.
. "$(dirname "$0")/lib.sh"

# shares FILE NAME...: each NAME's share of the weight of the stacks that hold
# one of the NAMEs, a frame matching when its name (up to the first blank) is NAME.
shares() {
	local file=$1
	shift
	awk -v names="$*" '
		BEGIN { n = split(names, want, " ") }
		{
			w = $NF; stack = $0; sub(/ [^ ]*$/, "", stack)
			k = split(stack, frames, ";")
			for (i = 1; i <= k; i++) {
				split(frames[i], word, " ")
				for (j = 1; j <= n; j++)
					if (word[1] == want[j]) { got[j] += w; sum += w; i = k + 1; break }
			}
		}
		END {
			for (j = 1; j <= n; j++)
				printf "%s%.3f", (j > 1 ? " " : ""), (sum ? got[j] / sum : 0)
			print ""
		}
	' "$file"
}

# close_to "A B C" "X Y Z" TOL: as many values as expected, each within TOL.
close_to() {
	awk -v got="$1" -v want="$2" -v tol="$3" 'BEGIN {
		n = split(got, g, " ")
		if (n != split(want, w, " ")) exit 1
		for (i = 1; i <= n; i++) if (g[i] - w[i] > tol || w[i] - g[i] > tol) exit 1
	}'
}

# total FILE: sum of the counts.
total() {
	awk '{ s += $NF } END { printf "%.0f\n", s }' "$1"
}

# reject NAME ARGS...: `collapse ARGS` exits with 1, one "flamesamp: " line on stderr, no output.
reject() {
	local name=$1 rc lines
	shift
	"$FLAMESAMP" collapse "$@" >"$TESTDIR/rej.out" 2>"$TESTDIR/rej.err"
	rc=$?
	lines=$(wc -l <"$TESTDIR/rej.err")
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -q '^flamesamp: ' "$TESTDIR/rej.err" &&
		[ ! -s "$TESTDIR/rej.out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, $lines stderr lines: $(head -c 300 "$TESTDIR/rej.err")"
	fi
}

# --- node --cpu-prof: time-weighted stacks with a 6:3:1 split ---------------------------------
node_test() {
	local dir=$TESTDIR/node got measured
	if ! command -v node >/dev/null; then
		skip "v8: node --cpu-prof 6:3:1" "node not installed (apt-get install nodejs)"
		return
	fi
	mkdir -p "$dir"
	cat >"$dir/prog.js" <<'EOF'
'use strict';
// six() does 6 units of work for every 3 of three() and 1 of one(), interleaved.
// Work is counted in loop iterations, not time, and allocates nothing (no GC).
function burn(n) {
	let x = 0;
	for (let i = 0; i < n; i++)
		x = (x * 31 + i) | 0;
	return x;
}
function six(unit) { return burn(6 * unit); }
function three(unit) { return burn(3 * unit); }
function one(unit) { return burn(unit); }

// a unit of about 1 ms on this machine: the measured part lasts about 3 s
let unit = 100000, sink = 0;
for (;;) {
	const t0 = process.hrtime.bigint();
	sink ^= burn(unit);
	if (Number(process.hrtime.bigint() - t0) >= 1e6) break;
	unit *= 2;
}
// The profiler's clock is the wall clock: on a busy machine a function that
// is preempted longer gets more time.  So the time each call really took is
// measured too, and printed as the split the profile must show.
const spent = [0n, 0n, 0n];
const fns = [six, three, one];
for (let round = 0; round < 300; round++) {
	for (let f = 0; f < 3; f++) {
		const t0 = process.hrtime.bigint();
		sink ^= fns[f](unit);
		spent[f] += process.hrtime.bigint() - t0;
	}
}
const sum = Number(spent[0] + spent[1] + spent[2]);
console.log(spent.map(t => (Number(t) / sum).toFixed(3)).join(' '));
if (sink === 0.5) console.log(sink);
EOF
	if ! (cd "$dir" && node --cpu-prof --cpu-prof-dir=. --cpu-prof-name=prog.cpuprofile \
		prog.js) >"$dir/measured" 2>"$dir/node.err"; then
		fail "v8: node --cpu-prof 6:3:1" "node failed: $(head -c 300 "$dir/node.err")"
		return
	fi
	if ! "$FLAMESAMP" collapse v8 "$dir/prog.cpuprofile" >"$dir/v8.folded"; then
		fail "v8: node --cpu-prof 6:3:1" "collapse v8 failed"
		return
	fi
	got=$(shares "$dir/v8.folded" six three one)
	measured=$(cat "$dir/measured")
	echo "v8: node --cpu-prof shares six/three/one: $got (measured by the program:" \
		"$measured, by design 0.600 0.300 0.100)"
	# the profiler thread is preempted too on a busy machine: allow for some of its gaps
	if close_to "$got" "$measured" 0.04 && close_to "$got" "0.6 0.3 0.1" 0.15; then
		pass "v8: node --cpu-prof 6:3:1"
	else
		fail "v8: node --cpu-prof 6:3:1" "shares $got, measured $measured"
	fi
	check "v8: frames are 'name url:line:col'" \
		grep -q ";six file://$dir/prog.js:10:13;burn file://$dir/prog.js:4:14 " "$dir/v8.folded"
	"$FLAMESAMP" collapse auto "$dir/prog.cpuprofile" >"$dir/auto.folded"
	check "v8: collapse auto = collapse v8" cmp -s "$dir/v8.folded" "$dir/auto.folded"
	# weights are microseconds from the first sample to the last
	local want
	want=$(node -e '
		const p = JSON.parse(require("fs").readFileSync(process.argv[1]));
		let t = 0, first = 0, last = 0;
		p.timeDeltas.forEach((d, i) => { t += d; if (!i) first = t; last = Math.max(last, t); });
		console.log(last - first);' "$dir/prog.cpuprofile")
	got=$(total "$dir/v8.folded")
	# "(root)" and V8's placeholder script are dropped; they take no time in node
	if [ "$got" -le "$want" ] && [ "$got" -ge $((want * 99 / 100)) ]; then
		pass "v8: total weight is the profile's time span ($got of $want us)"
	else
		fail "v8: total weight is the profile's time span" "$got us, expected $want"
	fi
}

# --- Go runtime/pprof: CPU nanoseconds with a 6:3:1 split, gzipped and not ---------------------
go_test() {
	local dir=$TESTDIR/go got
	if ! command -v go >/dev/null; then
		skip "pprof: Go runtime/pprof 6:3:1" "go not installed (apt-get install golang-go)"
		return
	fi
	mkdir -p "$dir"
	cat >"$dir/prog.go" <<'EOF'
// six() does 6 units of work for every 3 of three() and 1 of one(), interleaved.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"
)

var sink uint64

// step is small enough to be inlined into burn: pprof then lists both
// functions in one Location, the inlined one first.
func step(x uint64, i int) uint64 { return x*31 + uint64(i) }

//go:noinline
func burn(n int) uint64 {
	x := uint64(0)
	for i := 0; i < n; i++ {
		x = step(x, i)
	}
	return x
}

//go:noinline
func six(unit int) { sink ^= burn(6 * unit) }

//go:noinline
func three(unit int) { sink ^= burn(3 * unit) }

//go:noinline
func one(unit int) { sink ^= burn(unit) }

func main() {
	out, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// a unit of about 2 ms: the profile lasts about 3 s
	unit := 100000
	for {
		t0 := time.Now()
		sink ^= burn(unit)
		if time.Since(t0) >= 2*time.Millisecond {
			break
		}
		unit *= 2
	}
	// 500 Hz rather than pprof's 100, for enough samples in 3 s.  pprof then
	// says it "cannot set cpu profile rate", and records at this rate.
	runtime.SetCPUProfileRate(500)
	if err := pprof.StartCPUProfile(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for round := 0; round < 150; round++ {
		six(unit)
		three(unit)
		one(unit)
	}
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
EOF
	# offline, and nothing written outside the scratch directory
	if ! (cd "$dir" && GOCACHE=$dir/cache GOPATH=$dir/gopath GOTOOLCHAIN=local GOPROXY=off \
		GOFLAGS= GO111MODULE=off GOENV=off go build -o prog prog.go) 2>"$dir/build.err"; then
		fail "pprof: Go runtime/pprof 6:3:1" "go build failed: $(head -c 300 "$dir/build.err")"
		return
	fi
	if ! "$dir/prog" "$dir/cpu.pprof" 2>"$dir/run.err"; then
		fail "pprof: Go runtime/pprof 6:3:1" "the Go program failed: $(head -c 300 "$dir/run.err")"
		return
	fi
	if ! "$FLAMESAMP" collapse pprof "$dir/cpu.pprof" >"$dir/gz.folded"; then
		fail "pprof: Go runtime/pprof 6:3:1" "collapse pprof failed"
		return
	fi
	got=$(shares "$dir/gz.folded" main.six main.three main.one)
	echo "pprof: Go cpu shares six/three/one: $got (expected 0.600 0.300 0.100)"
	if close_to "$got" "0.6 0.3 0.1" 0.05; then
		pass "pprof: Go runtime/pprof 6:3:1"
	else
		fail "pprof: Go runtime/pprof 6:3:1" "shares $got"
	fi
	check "pprof: the Go profile is gzipped" \
		bash -c '[ "$(od -An -tx1 -N2 "$1" | tr -d " ")" = 1f8b ]' _ "$dir/cpu.pprof"
	gunzip -c "$dir/cpu.pprof" >"$dir/cpu.raw"
	"$FLAMESAMP" collapse pprof "$dir/cpu.raw" >"$dir/raw.folded"
	check "pprof: not gzipped gives the same stacks" cmp -s "$dir/gz.folded" "$dir/raw.folded"
	"$FLAMESAMP" collapse auto "$dir/cpu.raw" >"$dir/auto.folded"
	check "pprof: collapse auto (not gzipped) = collapse pprof" \
		cmp -s "$dir/gz.folded" "$dir/auto.folded"
	"$FLAMESAMP" collapse auto "$dir/cpu.pprof" >"$dir/auto-gz.folded"
	check "pprof: collapse auto (gzipped) = collapse pprof" \
		cmp -s "$dir/gz.folded" "$dir/auto-gz.folded"
	check "pprof: inlined step() is above burn()" grep -q ';main.burn;main.step ' "$dir/gz.folded"
	check "pprof: no inlined frame below its caller" \
		bash -c '! grep -q "main.step;main.burn" "$1"' _ "$dir/gz.folded"
	# the default is the first sample type (Go: "samples"); cpu nanoseconds are
	# the sample counts times the sampling period on every line
	"$FLAMESAMP" collapse pprof --sample-type cpu "$dir/cpu.pprof" >"$dir/cpu.folded"
	"$FLAMESAMP" collapse pprof --sample-type samples "$dir/cpu.pprof" >"$dir/samples.folded"
	local cpu samples period
	cpu=$(total "$dir/cpu.folded")
	samples=$(total "$dir/samples.folded")
	period=$(awk 'NR == FNR { n[$0] = $NF; next }
		{ c = $NF; s = $0; sub(/ [^ ]*$/, "", s)
		  for (k in n) { t = k; sub(/ [^ ]*$/, "", t); if (t == s) p[c / n[k]]++ } }
		END { for (x in p) { print x; k++ } if (k != 1) print "mixed" }' \
		"$dir/samples.folded" "$dir/cpu.folded")
	echo "pprof: Go profile: $samples samples, $cpu ns, period $period ns"
	if [ "$samples" -gt 500 ] && [ "$period" = 2000000 ] &&
		[ "$(wc -l <"$dir/samples.folded")" -eq "$(wc -l <"$dir/cpu.folded")" ] &&
		cmp -s "$dir/samples.folded" "$dir/gz.folded"; then
		pass "pprof: sample counts by default, --sample-type cpu nanoseconds"
	else
		fail "pprof: sample counts by default, --sample-type cpu nanoseconds" \
			"$samples samples, $cpu ns, period $period"
	fi
	reject "pprof: unknown --sample-type" pprof --sample-type=alloc_space "$dir/cpu.pprof"
	head -c $(($(stat -c %s "$dir/cpu.raw") / 2)) "$dir/cpu.raw" >"$dir/half.raw"
	reject "pprof: truncated protobuf" pprof "$dir/half.raw"
	head -c $(($(stat -c %s "$dir/cpu.pprof") / 2)) "$dir/cpu.pprof" >"$dir/half.gz"
	reject "pprof: truncated gzip" pprof "$dir/half.gz"
}

# --- speedscope's files: totals as speedscope shows them ---------------------------------------
peer_test() {
	local s=$PEER/speedscope f out
	if [ ! -d "$s" ]; then
		skip "peer: speedscope profiles" "../shared/peer-tests not found"
		return
	fi
	out=$TESTDIR/peer.folded
	# speedscope (src/import/__snapshots__/chrome.test.ts.snap) shows a total of 34345 us,
	# the time from the first sample to the last, as here; its b 17002 and c 16283
	# differ by the one interval where the stack changes, as a sample here weighs the
	# time up to it rather than after it (see collapse/collapse_v8.c)
	"$FLAMESAMP" collapse v8 "$s/Chrome/65/simple.cpuprofile" >"$out"
	check "peer: Chrome 65 simple.cpuprofile" diff -u - "$out" <<'EOF'
(anonymous) :1:1;a :1:11;b :6:11;d :14:11 16788
(anonymous) :1:1;a :1:11;c :10:11;d :14:11 17557
EOF
	# the Node 10 tree form of the same run gives the same stacks
	"$FLAMESAMP" collapse auto "$s/node/10.11.0/example.cpuprofile" >"$out"
	check "peer: Node 10 example.cpuprofile (tree form)" diff -u - "$out" <<'EOF'
(anonymous) :1;a :1;b :6;d :14 16788
(anonymous) :1;a :1;c :10;d :14 17557
EOF
	# 1 MB profile: the time from its first sample to its last
	"$FLAMESAMP" collapse v8 "$s/Chrome/65/sucrase.cpuprofile" >"$out"
	if [ "$(total "$out")" = 22002043 ] && [ "$(wc -l <"$out")" -gt 1000 ]; then
		pass "peer: Chrome 65 sucrase.cpuprofile total 22002043 us"
	else
		fail "peer: Chrome 65 sucrase.cpuprofile total 22002043 us" "total $(total "$out")"
	fi
	# speedscope's pprof snapshot (its cpu values): runtime.main 1360000000, main.delta 580000000
	"$FLAMESAMP" collapse auto --sample-type cpu "$s/pprof/simple.prof" >"$out"
	if [ "$(total "$out")" = 1500000000 ] &&
		[ "$(grep '^runtime.main;' "$out" | total /dev/stdin)" = 1360000000 ] &&
		[ "$(grep ';main.delta' "$out" | total /dev/stdin)" = 580000000 ]; then
		pass "peer: Go simple.prof"
	else
		fail "peer: Go simple.prof" "$(tr '\n' '|' <"$out")"
	fi
	for f in simple.txt simple-crlf.txt simple-utf16-le.txt simple-utf16-be.txt \
		simple-with-invalids.txt; do
		"$FLAMESAMP" collapse auto "$s/stackcollapse/$f" >"$out" 2>"$TESTDIR/peer.err"
		check "peer: folded $f" diff -u - "$out" <<'EOF'
a;b 5
a;b;c 5
a;b;d 4
EOF
	done
	check "peer: folded invalid lines are reported" \
		grep -q 'skipped 3 lines' "$TESTDIR/peer.err"
	"$FLAMESAMP" collapse folded "$s/stackcollapse/recursion.txt" >"$out"
	check "peer: folded recursion.txt merged" diff -u - "$out" <<'EOF'
a;a 1
a;b 1
a;b;a;b 2
a;b;a;b;a;b 1
a;b;a;b;c 2
a;b;a;c 2
b;b 1
EOF
}

# --- bpftrace output ---------------------------------------------------------------------------
bpftrace_test() {
	local in=$TESTDIR/bpftrace.txt
	cat >"$in" <<'EOF'
Attaching 1 probe...


@[
        native_safe_halt+6
        default_idle+26
, 
        __GI___poll+79
        main+91
, sshd]: 12
@[
        do_idle+484
, 
, swapper/0]: 7
EOF
	"$FLAMESAMP" collapse auto "$in" >"$TESTDIR/bpftrace.folded"
	check "bpftrace: @[kstack, ustack, comm] = count()" diff -u - "$TESTDIR/bpftrace.folded" <<'EOF'
sshd;main;__GI___poll;default_idle;native_safe_halt 12
swapper/0;do_idle 7
EOF
}

# --- hostile inputs ----------------------------------------------------------------------------
hostile_test() {
	local d=$TESTDIR/hostile rc
	mkdir -p "$d"
	printf '{"nodes":[{"id":1,"callFrame":{"functionName":"f"' >"$d/truncated.json"
	reject "hostile: truncated JSON" v8 "$d/truncated.json"
	head -c 4096 /dev/urandom >"$d/random.bin"
	reject "hostile: random bytes as v8" v8 "$d/random.bin"
	reject "hostile: random bytes as pprof" pprof "$d/random.bin"
	printf '{"nodes":[1,2,3]}' >"$d/garbage.json"
	reject "hostile: nodes that are not objects" v8 "$d/garbage.json"
	printf '%s' '{"nodes":[{"id":1,"callFrame":{"functionName":"f"}}],"samples":[1,1],' \
		'"timeDeltas":[1,9223372036854775807]}x' >"$d/trailing.json"
	reject "hostile: JSON followed by garbage" v8 "$d/trailing.json"
	printf '%s' '{"nodes":[{"id":1,"callFrame":{"functionName":"f"}}],"samples":[1,1,1],' \
		'"timeDeltas":[1,9223372036854775807,9223372036854775807]}' >"$d/overflow.json"
	reject "hostile: timeDeltas that overflow" v8 "$d/overflow.json"
	printf '%s' '{"nodes":[{"id":1,"parent":2,"callFrame":{"functionName":"f"}},' \
		'{"id":2,"parent":1,"callFrame":{"functionName":"g"}}],"samples":[1,2],' \
		'"timeDeltas":[0,1]}' >"$d/cycle.json"
	reject "hostile: node parents in a cycle" v8 "$d/cycle.json"
	# negative time deltas are real (speedscope PR 305): held, not an error
	printf '%s' '{"nodes":[{"id":1,"callFrame":{"functionName":"f"}},' \
		'{"id":2,"callFrame":{"functionName":"g"}}],"samples":[1,2,1,2,1],' \
		'"timeDeltas":[100,50,-30,40,10]}' >"$d/negative.json"
	"$FLAMESAMP" collapse v8 "$d/negative.json" >"$d/negative.folded"
	# times 100 150 120 160 170, held at 150 until passed: f 0 + 0 + 10, g 50 + 10
	check "hostile: negative timeDeltas are held" diff -u - "$d/negative.folded" <<'EOF'
f 10
g 60
EOF
	# a 200000-deep call chain: walked with loops, not recursion
	awk 'BEGIN {
		printf "{\"nodes\":["
		for (i = 1; i <= 200000; i++)
			printf "%s{\"id\":%d,\"parent\":%d,\"callFrame\":{\"functionName\":\"f\"}}", (i > 1 ? "," : ""), i, i - 1
		printf "],\"samples\":[200000,200000],\"timeDeltas\":[0,5]}"
	}' >"$d/deep.json"
	"$FLAMESAMP" collapse v8 "$d/deep.json" >"$d/deep.folded" 2>/dev/null
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$(tr -cd ';' <"$d/deep.folded" | wc -c)" -eq 199999 ]; then
		pass "hostile: 200000-deep node chain"
	else
		fail "hostile: 200000-deep node chain" "exit $rc"
	fi
	# the tree form nests JSON: 100000 levels are refused, not a stack overflow
	awk 'BEGIN {
		printf "{\"samples\":[],\"timestamps\":[],\"head\":"
		for (i = 1; i <= 100000; i++) printf "{\"id\":%d,\"functionName\":\"f\",\"children\":[", i
		for (i = 1; i <= 100000; i++) printf "]}"
		printf "}"
	}' >"$d/nested.json"
	reject "hostile: 100000-deep JSON tree" v8 "$d/nested.json"

	# pprof: a sample naming a location that does not exist; a string index past the table
	printf '\x0a\x04\x08\x01\x10\x02\x12\x06\x0a\x01\x05\x12\x01\x01\x32\x00\x32\x07samples\x32\x05count' \
		>"$d/badloc.pb"
	reject "hostile: pprof location index" pprof "$d/badloc.pb"
	printf '\x0a\x04\x08\x09\x10\x02\x32\x00' >"$d/badstr.pb"
	reject "hostile: pprof string index" pprof "$d/badstr.pb"
	# a gzip bomb: 1025 members of 1 MiB of zeros, over the 1 GiB cap, in about 1 MB
	head -c 1048576 /dev/zero | gzip -9 >"$d/member.gz"
	cp "$d/member.gz" "$d/bomb.gz"
	for rc in 1 2 3 4 5 6 7 8 9 10; do
		cat "$d/bomb.gz" "$d/bomb.gz" >"$d/bomb2.gz" && mv "$d/bomb2.gz" "$d/bomb.gz"
	done
	cat "$d/member.gz" >>"$d/bomb.gz"
	reject "hostile: gzip bomb" pprof "$d/bomb.gz"
	if grep -q 'larger than 1073741824 bytes' "$TESTDIR/rej.err"; then
		pass "hostile: gzip bomb stops at the 1 GiB cap"
	else
		fail "hostile: gzip bomb stops at the 1 GiB cap" "$(cat "$TESTDIR/rej.err")"
	fi
	reject "hostile: unknown format by content" auto "$d/random.bin"
}

node_test
go_test
peer_test
bpftrace_test
hostile_test
finish
