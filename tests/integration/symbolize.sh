#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `flamesamp symbolize` end to end, on programs built here with gcc -O2 -g:
# output equal to llvm-addr2line-14's (and binutils addr2line's where the two
# peers agree) on thousands of addresses, a known inline chain with its source
# lines, split debug files, live processes (-p), C++ names with and without
# -C, errors, and the input and output variants (stdin batches, -a,
# --pretty-print, -s).
source "$(dirname "$0")/lib.sh"

T=$(cd "$TESTDIR" && pwd -P) # DWARF names files by the compiler's physical cwd
LLVM=llvm-addr2line-14
have_llvm=1
command -v "$LLVM" >/dev/null || have_llvm=0
have_gnu=1
command -v addr2line >/dev/null || have_gnu=0
no_llvm="$LLVM not installed (Debian package llvm-14)"
no_gnu="addr2line not installed (Debian package binutils)"

for tool in gcc readelf nm objcopy strip; do
	if ! command -v "$tool" >/dev/null; then
		skip "symbolize" "$tool not installed (Debian packages gcc, binutils)"
		exit 0
	fi
done

# --- test programs ---

cat >"$T/chain.h" <<'EOF'
/* always_inline helpers: every caller gets a chain of inlined frames */
static inline __attribute__((always_inline)) unsigned long inner(unsigned long x, unsigned long k)
{
	unsigned long acc = k;

	for (unsigned long i = 0; i < x; i++)
		acc += (i ^ (acc >> 3)) * k; /* MARK_INNER */
	return acc;
}

static inline __attribute__((always_inline)) unsigned long middle(unsigned long x)
{
	return inner(x * 3, x | 1) + 1; /* MARK_MIDDLE */
}

static inline __attribute__((always_inline)) unsigned long twist(unsigned long x)
{
	if (x & 1)
		return middle(x >> 1) ^ x;
	return middle(x + 7) * 3;
}
EOF

cat >"$T/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "chain.h"

volatile unsigned long sink;

__attribute__((noinline)) unsigned long outer(unsigned long x)
{
	return middle(x + 1) * 2; /* MARK_OUTER */
}

#define WORKER(n)                                                        \
	__attribute__((noinline)) unsigned long worker_##n(unsigned long x) \
	{                                                                \
		unsigned long r = 0;                                     \
		for (unsigned long j = 0; j < x; j++)                    \
			r += twist(x + j * n) + (r >> n);                \
		return r;                                                \
	}
WORKER(1) WORKER(2) WORKER(3) WORKER(4) WORKER(5) WORKER(6) WORKER(7) WORKER(8)

static int cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

__attribute__((noinline)) void sleeper(void)
{
	for (;;)
		pause(); /* MARK_SLEEP */
}

int main(int argc, char **argv)
{
	unsigned long v[16], n = argc > 1 ? strtoul(argv[1], NULL, 0) : 10;

	if (argc > 2 && !strcmp(argv[2], "sleep"))
		sleeper();
	for (int i = 0; i < 16; i++)
		v[i] = worker_1(n + i) ^ worker_2(n) ^ worker_3(i) ^ worker_4(n * i);
	qsort(v, 16, sizeof(v[0]), cmp);
	sink = outer(n) + worker_5(v[3] & 15) + worker_6(v[4] & 7) + worker_7(1) + worker_8(2);
	printf("%lu\n", sink);
	return 0;
}
EOF

cat >"$T/lib.c" <<'EOF'
#include "chain.h"

static unsigned long helper(unsigned long x)
{
	return twist(x) + 5;
}

__attribute__((noinline)) unsigned long lib_entry(unsigned long x)
{
	return helper(x) * 3 + middle(x);
}

__attribute__((noinline)) unsigned long lib_other(unsigned long x)
{
	unsigned long r = 0;

	for (unsigned long i = 0; i < x; i++)
		r += lib_entry(i) ^ twist(r);
	return r;
}
EOF

cat >"$T/cxx.cpp" <<'EOF'
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace ns {
template <typename T> struct Box {
	T v;
	__attribute__((noinline)) T twice(int k) const { return v * 2 + k; }
};
struct Widget {
	int base;
	__attribute__((noinline)) int compute(int x);
};
int Widget::compute(int x)
{
	std::vector<int> v(x);
	for (int i = 0; i < x; i++)
		v[i] = (i * 7919 + base) % 101;
	std::sort(v.begin(), v.end());
	return v.empty() ? 0 : v[x / 2];
}
} // namespace ns

int main(int argc, char **argv)
{
	ns::Widget w{argc};
	ns::Box<long> b{argc};
	std::printf("%d %ld\n", w.compute(argc > 1 ? std::atoi(argv[1]) : 100), b.twice(3));
	return 0;
}
EOF

build() { # what, then the command: stop the script with a failure if it does not build
	local what=$1
	shift
	if ! "$@" >"$T/build.err" 2>&1; then
		fail "symbolize: build $what" "$(head -c 300 "$T/build.err")"
		finish
		exit
	fi
}
cd "$T" || exit 1
build "PIE program" gcc -O2 -g -o prog prog.c
build "non-PIE program" gcc -O2 -g -no-pie -o prog_nopie prog.c
build "object file" gcc -O2 -g -c -o prog.o prog.c
build "shared library" gcc -O2 -g -shared -fPIC -o libt.so lib.c
# .dynsym only: what a distribution ships without its debug package
build "stripped library" strip -o libt_dyn.so libt.so
# split debug file next to the binary, found by .gnu_debuglink (and its CRC)
build "debug file" objcopy --only-keep-debug prog prog.debug
build "debug-stripped program" strip --strip-debug -o prog_split prog
build "debuglink" objcopy --add-gnu-debuglink=prog.debug prog_split
# no .symtab either: the symbols come from the debug file too
build "fully stripped program" strip --strip-all -o prog_split_all prog
build "debuglink (stripped)" objcopy --add-gnu-debuglink=prog.debug prog_split_all
have_cxx=1
command -v g++ >/dev/null || have_cxx=0
[ "$have_cxx" = 0 ] || build "C++ program" g++ -O2 -g -o cxx cxx.cpp
cd - >/dev/null || exit 1

# text_addrs BIN N: N addresses spread evenly over BIN's .text, in hex
text_addrs() {
	local start size
	read -r start size < <(readelf -SW "$1" | awk '$2 == ".text" { print $4, $6 }')
	awk -v s=$((16#$start)) -v z=$((16#$size)) -v n="$2" \
		'BEGIN { for (i = 0; i < n; i++) printf "%x\n", s + int(i * z / n) }'
}

# marker FILE TAG: the line number of the comment "/* TAG */" in FILE
marker() { grep -n "/\* $2 \*/" "$1" | cut -d: -f1; }

# sym_addr BIN NAME: a symbol's value, in hex without 0x
sym_addr() { nm "$1" | awk -v n="$2" '$3 == n { print $1; exit }'; }

# Differences between flamesamp and the peers that are legitimate, filtered
# precisely:
#  - both peers print " (discriminator N)" after a line that has one; the
#    symbolizer keeps no discriminators;
#  - LLVM 14 names the file of an address that DWARF has no line for from
#    the STT_FILE symbol before its function symbol ("crtstuff.c:0", a bare
#    name at line 0, where flamesamp says "??:0"), binutils likewise
#    ("crtstuff.c:?");
#  - a function that GCC cloned (foo.isra.0, foo.constprop.0, foo.part.0,
#    foo.cold) is named by llvm-addr2line after its symbol, by flamesamp and
#    binutils after its DWARF (foo): the suffix is removed on both sides.
norm_clone='s/\.(isra|constprop|part|cold|lto_priv)(\.[0-9]+)*$//'
peer_filter() {
	sed -E -e 's/ \(discriminator [0-9]+\)$//' -e 's|^[^/ ]+:0$|??:0|' -e "$norm_clone"
}
fs_filter() { sed -E -e "$norm_clone"; }

# first_diff A B: the first differing lines, for a failure message
first_diff() { diff "$1" "$2" | grep '^[<>]' | head -4 | tr '\n' '|' | head -c 400; }

# Addresses of -a without leading zeros: llvm-addr2line prints them so, binutils
# and flamesamp as 16 digits (which section 7 checks against binutils).
addr_short() { sed -E 's/^0x0*([0-9a-f])/0x\1/'; }

# One line per address: "-a" output with the address lines as separators.
records() {
	addr_short | awk '/^0x[0-9a-f]+$/ { if (NR > 1) print r; r = $0; next }
			  { r = r "\t" $0 } END { print r }'
}

# --- 1. equal to llvm-addr2line and binutils addr2line on .text ---

for bin in prog prog_nopie libt.so libt_dyn.so cxx; do
	[ -f "$T/$bin" ] || continue
	text_addrs "$T/$bin" 2000 >"$T/$bin.addrs"
done
for bin in prog prog_nopie libt.so libt_dyn.so cxx; do
	if [ ! -f "$T/$bin" ]; then
		skip "symbolize: $bin equals peers" "g++ not installed (Debian package g++)"
		continue
	fi
	for mode in "-f -i" "-f" ""; do
		name="symbolize: $bin ${mode:-plain}: 2000 addresses"
		# shellcheck disable=SC2086
		"$FLAMESAMP" symbolize $mode -e "$T/$bin" <"$T/$bin.addrs" >"$T/fs.raw" 2>"$T/fs.err"
		rc=$?
		fs_filter <"$T/fs.raw" >"$T/fs.out"
		if [ "$rc" -ne 0 ] || [ -s "$T/fs.err" ]; then
			fail "$name" "exit $rc: $(head -c 300 "$T/fs.err")"
			continue
		fi
		if [ "$have_llvm" = 1 ]; then
			# shellcheck disable=SC2086
			"$LLVM" $mode -e "$T/$bin" <"$T/$bin.addrs" | peer_filter >"$T/llvm.out"
			if [ ! -s "$T/llvm.out" ]; then
				fail "$name = $LLVM" "no output from $LLVM"
			elif cmp -s "$T/fs.out" "$T/llvm.out"; then
				pass "$name = $LLVM ($(wc -l <"$T/fs.out") lines)"
			else
				fail "$name = $LLVM" "$(first_diff "$T/fs.out" "$T/llvm.out")"
			fi
		else
			skip "$name = $LLVM" "$no_llvm"
		fi
		# binutils differs from llvm by design in places (it names padding
		# after the previous function, prints "??:?" for a function without
		# lines): compare the addresses where the two peers agree
		if [ "$have_gnu" = 1 ] && [ "$have_llvm" = 1 ]; then
			# shellcheck disable=SC2086
			"$FLAMESAMP" symbolize -a $mode -e "$T/$bin" <"$T/$bin.addrs" | fs_filter |
				records >"$T/fs.rec"
			# shellcheck disable=SC2086
			addr2line -a $mode -e "$T/$bin" <"$T/$bin.addrs" | peer_filter |
				records >"$T/gnu.rec"
			# shellcheck disable=SC2086
			"$LLVM" -a $mode -e "$T/$bin" <"$T/$bin.addrs" | peer_filter |
				records >"$T/llvm.rec"
			read -r agree differ < <(paste -d '\n' "$T/fs.rec" "$T/gnu.rec" "$T/llvm.rec" |
				awk 'NR % 3 == 1 { f = $0 } NR % 3 == 2 { g = $0 }
				     NR % 3 == 0 && g == $0 { a++; if (f != g) { d++; if (!x) x = f } }
				     END { print a + 0, d + 0; if (x) print x > "/dev/stderr" }' \
					2>"$T/gnu.first")
			if [ "$agree" -ge 200 ] && [ "$differ" -eq 0 ]; then
				pass "$name = addr2line where the peers agree ($agree addresses)"
			else
				fail "$name = addr2line where the peers agree" \
					"$differ of $agree differ, first: $(head -c 300 "$T/gnu.first")"
			fi
		elif [ "$have_gnu" = 0 ]; then
			skip "$name = addr2line" "$no_gnu"
		fi
	done
done

# --- 2. a known inline chain with its source lines ---

l_inner=$(marker "$T/chain.h" MARK_INNER)
l_middle=$(marker "$T/chain.h" MARK_MIDDLE)
l_outer=$(marker "$T/prog.c" MARK_OUTER)
want=$(printf 'inner\t%s/chain.h:%s\tmiddle\t%s/chain.h:%s\touter\t%s/prog.c:%s' \
	"$T" "$l_inner" "$T" "$l_middle" "$T" "$l_outer")
read -r start size < <(nm -S "$T/prog" | awk '$4 == "outer" { print $1, $2 }')
for ((i = 0; i < 16#$size; i++)); do printf '%x\n' $((16#$start + i)); done >"$T/outer.addrs"
"$FLAMESAMP" symbolize -a -f -i -e "$T/prog" <"$T/outer.addrs" | records >"$T/outer.rec"
hits=$(cut -f2- "$T/outer.rec" | grep -cxF "$want")
if [ "$hits" -gt 0 ]; then
	pass "symbolize: inline chain inner < middle < outer with marker lines ($hits addresses)"
else
	fail "symbolize: inline chain inner < middle < outer" \
		"no address of outer gives: $want; got e.g. $(sed -n 8p "$T/outer.rec")"
fi
# without -i: the innermost function and the line of the address, as addr2line
addr=$(grep -F "$want" "$T/outer.rec" | head -1 | cut -f1)
out=$("$FLAMESAMP" symbolize -f -e "$T/prog" "$addr" | tr '\n' '\t')
check "symbolize: without -i the innermost function and line" \
	test "$out" = "$(printf 'inner\t%s/chain.h:%s\t' "$T" "$l_inner")"

# --- 3. split debug file ---

if readelf -SW "$T/prog_split" | grep -q '\.debug_info'; then
	fail "symbolize: split debug setup" "prog_split still has .debug_info"
fi
"$FLAMESAMP" symbolize -f -i -e "$T/prog" <"$T/prog.addrs" >"$T/full.out"
for bin in prog_split prog_split_all; do
	"$FLAMESAMP" symbolize -f -i -e "$T/$bin" <"$T/prog.addrs" >"$T/split.out"
	if cmp -s "$T/full.out" "$T/split.out"; then
		pass "symbolize: $bin (.gnu_debuglink) = unstripped binary"
	else
		fail "symbolize: $bin (.gnu_debuglink) = unstripped binary" \
			"$(first_diff "$T/full.out" "$T/split.out")"
	fi
done

# --- 4. -p PID: live processes, dead ones ---

# wait_mapped PID PATH: until PATH shows in the process's maps (5 s at most)
wait_mapped() {
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q " $2\$" "/proc/$1/maps" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
for bin in prog prog_nopie; do
	"$T/$bin" 1 sleep &
	pid=$!
	if ! wait_mapped "$pid" "$T/$bin"; then
		fail "symbolize: -p ($bin)" "the test process did not start"
		kill "$pid" 2>/dev/null
		continue
	fi
	vaddr=$(printf '%x' $((16#$(sym_addr "$T/$bin" sleeper) + 4)))
	# a PIE is loaded at the start of its mapping at file offset 0
	base=0
	[ "$bin" = prog ] && base=$(awk -v p="$T/$bin" '$6 == p && $3 == "00000000" {
		split($1, a, "-"); print a[1]; exit }' "/proc/$pid/maps")
	paddr=$(printf '%x' $((16#$base + 16#$vaddr)))
	"$FLAMESAMP" symbolize -p "$pid" -f -i "$paddr" >"$T/pid.out" 2>"$T/pid.err"
	rc=$?
	"$FLAMESAMP" symbolize -e "$T/$bin" -f -i "$vaddr" >"$T/exe.out"
	if [ "$rc" -eq 0 ] && [ "$(head -1 "$T/pid.out")" = sleeper ] &&
		grep -qx "$T/prog.c:[0-9]*" "$T/pid.out" && cmp -s "$T/pid.out" "$T/exe.out"; then
		pass "symbolize: -p names the function of a live $bin (= -e at its vaddr)"
	else
		fail "symbolize: -p ($bin)" "exit $rc, got: $(tr '\n' '|' <"$T/pid.out") \
want: $(tr '\n' '|' <"$T/exe.out") $(head -c 200 "$T/pid.err")"
	fi
	kill "$pid"
	wait "$pid" 2>/dev/null
done

# -p of a JIT that writes a jitdump (node --perf-prof: jit-PID.dump in its working
# directory, mapped executable): its code is named from the file.  The address of hot()'s
# code is taken from the file's last JIT_CODE_LOAD record for it.
jitdump_addr() { # FILE NAME-PREFIX: the code address of the last load named so
	python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
pos, found = struct.unpack_from("<I", data, 8)[0], None
while pos + 16 <= len(data):
	rid, size = struct.unpack_from("<II", data, pos)
	if size < 16 or pos + size > len(data):
		break
	if rid == 0:
		addr, = struct.unpack_from("<Q", data, pos + 16 + 16)
		name = data[pos + 56:data.index(b"\0", pos + 56)].decode()
		if name.startswith(sys.argv[2]):
			found = addr
	pos += size
print("%x" % found if found is not None else "")
PY
}
if command -v node >/dev/null; then
	(cd "$T" && exec node --perf-prof --no-turbo-inlining "$REPO/tests/programs/jit_split.js" 20000 \
		>/dev/null) &
	pid=$!
	jaddr=
	for ((i = 0; i < 50; i++)); do
		sleep 0.1
		[ -s "$T/jit-$pid.dump" ] || continue
		jaddr=$(jitdump_addr "$T/jit-$pid.dump" "JS:*hot ")
		[ -n "$jaddr" ] && break
	done
	if [ -z "$jaddr" ]; then
		fail "symbolize: -p names JIT code from a jitdump" "no JS:*hot in $T/jit-$pid.dump"
	else
		out=$("$FLAMESAMP" symbolize -p "$pid" -f "$jaddr" 2>&1 | head -1)
		check "symbolize: -p names JIT code from a jitdump ($out)" \
			test "${out%% *}" = "JS:*hot"
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$T/jit-$pid.dump" "/tmp/perf-$pid.map"
else
	skip "symbolize: -p names JIT code from a jitdump" "node (Node.js) is not installed"
fi

# --- 5. C++ names ---

if [ "$have_cxx" = 1 ]; then
	compute=$(sym_addr "$T/cxx" _ZN2ns6Widget7computeEi)
	twice=$(nm "$T/cxx" | awk '$3 ~ /^_ZNK2ns3BoxIlE5twiceEi/ { print $1; exit }')
	out=$("$FLAMESAMP" symbolize -f -e "$T/cxx" "$compute" | head -1)
	check "symbolize: C++ without -C: linkage name" test "$out" = _ZN2ns6Widget7computeEi
	out=$("$FLAMESAMP" symbolize -f -C -e "$T/cxx" "$compute" "$twice" | sed -n '1p;3p' |
		tr '\n' '|')
	check "symbolize: -C demangles without parameter lists" \
		test "$out" = "ns::Widget::compute|ns::Box<long>::twice|"
	"$FLAMESAMP" symbolize -f -i -C -e "$T/cxx" <"$T/cxx.addrs" >"$T/cxx.out"
	check "symbolize: -C -i names every inlined std:: frame demangled" \
		sh -c "grep -q '^std::' '$T/cxx.out' && ! grep -q '^_Z' '$T/cxx.out'"
else
	skip "symbolize: C++ names" "g++ not installed (Debian package g++)"
fi

# --- 6. errors: one line on stderr, the exit code, no crash ---
# (a relocatable object is refused: its sections all start at address 0, and
# the peers disagree on what an address means there)

expect_error() { # NAME CODE PATTERN COMMAND...
	local name=$1 code=$2 pattern=$3 rc lines
	shift 3
	"$@" >"$T/err.out" 2>"$T/err.err" </dev/null
	rc=$?
	lines=$(wc -l <"$T/err.err")
	if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && grep -q "^flamesamp: .*$pattern" "$T/err.err" &&
		[ ! -s "$T/err.out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $code), stderr: $(head -c 200 "$T/err.err")"
	fi
}
printf 'not an ELF file\n' >"$T/text.txt"
"$T/prog" 1 >/dev/null &
dead=$!
wait "$dead"
expect_error "symbolize: missing file -> 2" 2 "No such file" \
	"$FLAMESAMP" symbolize -e "$T/missing" 1000
expect_error "symbolize: non-ELF file -> 2" 2 "not an ELF file" \
	"$FLAMESAMP" symbolize -e "$T/text.txt" 1000
expect_error "symbolize: relocatable object -> 2" 2 "relocatable object" \
	"$FLAMESAMP" symbolize -e "$T/prog.o" 1000
expect_error "symbolize: directory -> 2" 2 "directory" "$FLAMESAMP" symbolize -e "$T" 1000
expect_error "symbolize: no -e or -p -> 2" 2 "no target" "$FLAMESAMP" symbolize 1000
expect_error "symbolize: -e and -p -> 2" 2 "exclude" \
	"$FLAMESAMP" symbolize -e "$T/prog" -p $$ 1000
expect_error "symbolize: unknown option -> 2" 2 "unknown option '--bogus'" \
	"$FLAMESAMP" symbolize --bogus -e "$T/prog" 1000
expect_error "symbolize: -e without value -> 2" 2 "needs a value" "$FLAMESAMP" symbolize -e
expect_error "symbolize: -p not a number -> 2" 2 "invalid value for -p" \
	"$FLAMESAMP" symbolize -p abc 1000
expect_error "symbolize: dead pid -> 1" 1 "no such process" \
	"$FLAMESAMP" symbolize -p "$dead" 1000
# another user's process: the kernel refuses its maps (ptrace access mode)
if [ "$(id -u)" != 0 ]; then
	expect_error "symbolize: -p of another user's process -> 1" 1 "Permission denied" \
		"$FLAMESAMP" symbolize -p 1 1000
elif ! command -v setpriv >/dev/null; then
	skip "symbolize: -p of another user's process" "setpriv not installed (util-linux)"
elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$FLAMESAMP"; then
	skip "symbolize: -p of another user's process" "user 65534 cannot run $FLAMESAMP"
else
	expect_error "symbolize: -p of another user's process -> 1" 1 "Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$FLAMESAMP" symbolize -p $$ 1000
fi
"$FLAMESAMP" symbolize --help >"$T/help.txt"
check "symbolize: --help exits 0" test $? -eq 0
check "symbolize: --help documents options" grep -q -- '--pretty-print' "$T/help.txt"

# --- 7. input and output variants ---

# shellcheck disable=SC2046
"$FLAMESAMP" symbolize -f -i -e "$T/prog" $(cat "$T/prog.addrs") >"$T/args.out"
check "symbolize: addresses as arguments = on standard input" cmp -s "$T/args.out" "$T/full.out"

# 0x prefixes, upper case, blanks, CRLF, blank lines, no final newline
head -20 "$T/prog.addrs" >"$T/some.addrs"
awk '{ print (NR % 2 ? "0x" : "  ") toupper($0) (NR % 3 ? "" : "\r"); if (NR % 4 == 0) print "" }' \
	"$T/some.addrs" | head -c -1 >"$T/messy.addrs"
"$FLAMESAMP" symbolize -f -i -e "$T/prog" <"$T/some.addrs" >"$T/some.out"
"$FLAMESAMP" symbolize -f -i -e "$T/prog" <"$T/messy.addrs" >"$T/messy.out"
check "symbolize: 0x, case, blanks, CRLF, blank lines, last line without newline" \
	cmp -s "$T/some.out" "$T/messy.out"

# a line that is no number: what binutils addr2line prints for it
printf 'zz\n' >"$T/bad.addrs"
"$FLAMESAMP" symbolize -f -e "$T/prog" <"$T/bad.addrs" >"$T/bad.out"
check "symbolize: a malformed line prints ?? and ??:0" test "$(tr '\n' '|' <"$T/bad.out")" = "??|??:0|"
if [ "$have_gnu" = 1 ]; then
	addr2line -f -e "$T/prog" <"$T/bad.addrs" >"$T/bad.gnu"
	check "symbolize: malformed line = addr2line" cmp -s "$T/bad.out" "$T/bad.gnu"
fi

# more than one batch (32k addresses) from a file
for ((i = 0; i < 70; i++)); do cat "$T/prog.addrs"; done >"$T/many.addrs"
for ((i = 0; i < 70; i++)); do cat "$T/full.out"; done >"$T/many.want"
"$FLAMESAMP" symbolize -f -i -e "$T/prog" <"$T/many.addrs" >"$T/many.out"
check "symbolize: 140000 addresses on stdin (several batches)" cmp -s "$T/many.out" "$T/many.want"

# interactive: each line is answered before the next is written
coproc FS { "$FLAMESAMP" symbolize -f -e "$T/prog" 2>/dev/null; }
answers=""
for a in $(head -3 "$T/some.addrs"); do
	echo "$a" >&"${FS[1]}"
	read -r -t 10 fn <&"${FS[0]}" && read -r -t 10 loc <&"${FS[0]}" && answers+="$fn|$loc|"
done
fs_in=${FS[1]}
exec {fs_in}>&-
wait "$FS_PID"
# shellcheck disable=SC2046
"$FLAMESAMP" symbolize -f -e "$T/prog" $(head -3 "$T/some.addrs") | tr '\n' '|' >"$T/inter.want"
check "symbolize: a pipe fed one address at a time is answered line by line" \
	test "$answers" = "$(cat "$T/inter.want")"

# a batch spanning the whole address space (not one file's addresses) sorts another way
"$FLAMESAMP" symbolize -f -e "$T/prog" <"$T/some.addrs" >"$T/some.f"
awk '{ print; print "ffffffffffffff00"; print "0" }' "$T/some.addrs" >"$T/wide.addrs"
awk 'NR % 2 { fn = $0; next } { print fn; print; print "??"; print "??:0"; print "??"; print "??:0" }' \
	"$T/some.f" >"$T/wide.want"
"$FLAMESAMP" symbolize -f -e "$T/prog" <"$T/wide.addrs" >"$T/wide.out"
check "symbolize: addresses from 0 to 2^64 in one batch" cmp -s "$T/wide.out" "$T/wide.want"

# standard output failing while standard input stays open: an error, not a wait for input
mkfifo "$T/in.fifo"
exec {hold}<>"$T/in.fifo" # held open: the input never ends
head -1 "$T/some.addrs" >&"$hold"
timeout 10 "$FLAMESAMP" symbolize -f -e "$T/prog" <"$T/in.fifo" >/dev/full 2>"$T/full.err"
rc=$?
exec {hold}>&-
check "symbolize: a full output is an error at once, input still open (exit $rc)" test "$rc" = 1
check "symbolize: a full output names the problem" \
	grep -q 'cannot write standard output: No space left on device' "$T/full.err"
expect_error "symbolize: unreadable standard input -> 1" 1 "cannot read standard input" \
	sh -c '"$1" symbolize -e "$2" </' sh "$FLAMESAMP" "$T/prog"

# -a, --pretty-print and -s on a few addresses against the peers
few=$(printf '%s\n' "$(sym_addr "$T/prog" outer)" "$addr" "$(sym_addr "$T/prog" worker_3)" \
	"$(sym_addr "$T/prog" main)" 0)
for mode in "-a -f -i" "-a" "--pretty-print -f -i" "-a --pretty-print -f -i" "-s -f -i" \
	"-a -s"; do
	# shellcheck disable=SC2086
	"$FLAMESAMP" symbolize $mode -e "$T/prog" $few >"$T/few.out"
	if [ "$have_llvm" = 1 ]; then
		addr_short <"$T/few.out" >"$T/few.short"
		# shellcheck disable=SC2086
		"$LLVM" $mode -e "$T/prog" $few | peer_filter >"$T/few.llvm"
		if cmp -s "$T/few.short" "$T/few.llvm"; then
			pass "symbolize: $mode = $LLVM (but for the addresses' leading zeros)"
		else
			fail "symbolize: $mode = $LLVM" "$(first_diff "$T/few.short" "$T/few.llvm")"
		fi
	else
		skip "symbolize: $mode = $LLVM" "$no_llvm"
	fi
	# binutils: the same, except "?? ??:0" for an unknown address in --pretty-print
	# (flamesamp and llvm: "?? at ??:0")
	if [ "$have_gnu" = 1 ]; then
		# shellcheck disable=SC2086
		addr2line $mode -e "$T/prog" $few | peer_filter |
			sed -E 's/^(0x[0-9a-f]+: )?\?\? \?\?:0$/\1?? at ??:0/' >"$T/few.gnu"
		if cmp -s "$T/few.out" "$T/few.gnu"; then
			pass "symbolize: $mode = addr2line"
		else
			fail "symbolize: $mode = addr2line" "$(first_diff "$T/few.out" "$T/few.gnu")"
		fi
	fi
done
# --pretty-print without -f: binutils' " (inlined by) " prefix (llvm-addr2line prints none)
out=$("$FLAMESAMP" symbolize --pretty-print -i -e "$T/prog" "$addr" | tr '\n' '|')
check "symbolize: --pretty-print -i without -f" test "$out" = \
	"$T/chain.h:$l_inner| (inlined by) $T/chain.h:$l_middle| (inlined by) $T/prog.c:$l_outer|"

"$FLAMESAMP" symbolize -v -e "$T/prog" "$addr" >/dev/null 2>"$T/v.err"
check "symbolize: -v reports what was indexed" grep -q '^flamesamp: symbols: 1 files.*DWARF: 1 files' \
	"$T/v.err"

finish
