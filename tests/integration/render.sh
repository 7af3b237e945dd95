#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `flamesamp render` end to end: valid XML for hostile input, every option,
# merging of several files, exit codes, no partial output, warnings, the
# palette map, and inferno's renderer inputs from ../shared/peer-tests.
source "$(dirname "$0")/lib.sh"

T=$TESTDIR
have_xmllint=1
command -v xmllint >/dev/null || have_xmllint=0
have_python=1
command -v python3 >/dev/null || have_python=0

# valid_xml NAME FILE: pass if FILE is well-formed XML (skip without xmllint).
valid_xml() {
	if [ "$have_xmllint" = 0 ]; then
		skip "$1" "xmllint not installed (package libxml2-utils)"
	elif xmllint --noout "$2" 2>"$T/xmllint.err"; then
		pass "$1"
	else
		fail "$1" "$(head -c 300 "$T/xmllint.err")"
	fi
}

printf 'main;read;sys_read_[k] 30\nmain;compute 50\nmain;compute;inner 20\nidle 10\n' >"$T/basic.txt"

# --- basics ---
"$FLAMESAMP" render --hash "$T/basic.txt" >"$T/basic.svg" 2>"$T/basic.err"
check "render: exit 0" test $? -eq 0
check "render: no stderr for clean input" test ! -s "$T/basic.err"
valid_xml "render: basic output is valid XML" "$T/basic.svg"
check "render: root frame" grep -q '<title>all (110 samples, 100%)</title>' "$T/basic.svg"
check "render: annotation hidden" grep -q '<title>sys_read (30 samples, 27.27%)</title>' "$T/basic.svg"
"$FLAMESAMP" render --hash <"$T/basic.txt" >"$T/stdin.svg"
check "render: stdin equals file" cmp -s "$T/basic.svg" "$T/stdin.svg"
"$FLAMESAMP" render --hash - <"$T/basic.txt" >"$T/dash.svg"
check "render: '-' is stdin" cmp -s "$T/basic.svg" "$T/dash.svg"
"$FLAMESAMP" render --hash -o "$T/out.svg" "$T/basic.txt"
check "render: -o writes the file" cmp -s "$T/basic.svg" "$T/out.svg"
"$FLAMESAMP" render --help >"$T/help.txt"
check "render: --help exits 0" test $? -eq 0
check "render: --help documents options" grep -q -- '--minwidth' "$T/help.txt"

# --- several files merge exactly like their concatenation ---
printf 'b;x 3\na;y 1\n' >"$T/part1.txt"
printf 'a;y 4\nb 2\nc;z 1.5\n' >"$T/part2.txt"
cat "$T/part1.txt" "$T/part2.txt" >"$T/both.txt"
"$FLAMESAMP" render --hash "$T/part1.txt" "$T/part2.txt" >"$T/merged.svg"
"$FLAMESAMP" render --hash "$T/both.txt" >"$T/concat.svg"
check "render: several files = concatenation" cmp -s "$T/merged.svg" "$T/concat.svg"

# --- warnings ---
printf 'a 1\n\nno count here\nb 2\r\nbad 1x\n' >"$T/bad.txt"
"$FLAMESAMP" render "$T/bad.txt" >"$T/bad.svg" 2>"$T/bad.err"
check "render: invalid lines still exit 0" test $? -eq 0
check "render: one warning line for invalid lines" \
	test "$(cat "$T/bad.err")" = "flamesamp: warning: ignored 3 lines with invalid format"
: >"$T/empty.txt"
"$FLAMESAMP" render "$T/empty.txt" >"$T/empty.svg" 2>"$T/empty.err"
check "render: empty input exits 0" test $? -eq 0
check "render: empty input says so" grep -q 'ERROR: No valid input provided to flamegraph' "$T/empty.svg"
check "render: empty input warns" grep -q '^flamesamp: warning: no valid input' "$T/empty.err"
valid_xml "render: empty input is valid XML" "$T/empty.svg"

# --- exit codes and no partial output ---
expect_exit() { # NAME CODE COMMAND...: exit status and exactly one stderr line "flamesamp: ..."
	local name=$1 code=$2 rc lines
	shift 2
	"$@" >"$T/exit.out" 2>"$T/exit.err"
	rc=$?
	lines=$(wc -l <"$T/exit.err")
	if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] && grep -q '^flamesamp: ' "$T/exit.err"; then
		pass "$name"
	else
		fail "$name" "exit $rc (want $code), stderr: $(head -c 200 "$T/exit.err")"
	fi
}
expect_exit "render: unknown option -> 2" 2 "$FLAMESAMP" render --no-such-option "$T/basic.txt"
expect_exit "render: missing file -> 2" 2 "$FLAMESAMP" render "$T/missing.txt"
expect_exit "render: directory as input -> 2" 2 "$FLAMESAMP" render "$T"
expect_exit "render: bad --width -> 2" 2 "$FLAMESAMP" render --width abc "$T/basic.txt"
expect_exit "render: bad --minwidth -> 2" 2 "$FLAMESAMP" render --minwidth 1px "$T/basic.txt"
expect_exit "render: bad --colors -> 2" 2 "$FLAMESAMP" render --colors nope "$T/basic.txt"
expect_exit "render: bad --bgcolors -> 2" 2 "$FLAMESAMP" render --bgcolors '#12345' "$T/basic.txt"
expect_exit "render: bad --encoding -> 2" 2 "$FLAMESAMP" render --encoding 'a"b' "$T/basic.txt"
expect_exit "render: missing option value -> 2" 2 "$FLAMESAMP" render "$T/basic.txt" --title
expect_exit "render: --hash with --deterministic -> 2" 2 \
	"$FLAMESAMP" render --hash --deterministic "$T/basic.txt"
expect_exit "render: -o into a missing directory -> 1" 1 \
	"$FLAMESAMP" render -o "$T/no/such/dir/out.svg" "$T/basic.txt"
check "render: nothing left in a missing directory" test ! -e "$T/no"
if [ -w /dev/full ]; then
	expect_exit "render: write error on stdout -> 1" 1 \
		sh -c "'$FLAMESAMP' render '$T/basic.txt' >/dev/full"
else
	skip "render: write error on stdout -> 1" "/dev/full not writable"
fi
echo "previous content" >"$T/keep.svg"
"$FLAMESAMP" render -o "$T/keep.svg" "$T/basic.txt" "$T/missing.txt" 2>/dev/null
check "render: failed run keeps the old output file" \
	test "$(cat "$T/keep.svg")" = "previous content"
check "render: failed run leaves no temporary file" \
	test -z "$(find "$T" -maxdepth 1 -name '.keep.svg.*')"

# --- every option is accepted ---
options=(
	"--title=MyTitle" "--subtitle=sub" "--notes=notes--" "--countname=bytes"
	"--nametype=Name:" "--encoding=UTF-8" "--width=800" "--height=20" "--minwidth=2"
	"--minwidth=0.5%" "--fonttype=Courier" "--fontsize=10" "--fontwidth=0.6" "--reverse"
	"--inverted" "-i" "--flamechart" "--factor=0.5" "--total=500" "--colors=java" "-c js"
	"--colors=mem" "--colors=io" "--colors=wakeup" "--colors=chain" "--colors=perl"
	"--colors=python" "--colors=rust" "--colors=red" "--colors=green" "--colors=blue"
	"--colors=aqua" "--colors=yellow" "--colors=purple" "--colors=orange" "--bgcolors=blue"
	"--bgcolors=#102030" "--hash" "--deterministic" "--random" "--seed=5" "--negate"
	"--search-color=#00ff00" "--frame-height=12" "--font-type=Arial" "--font-size=9"
	"--font-width=0.5" "--count-name=ms" "--name-type=Fn:" "--min-width=1" "--color=hot"
	"--encoding=ISO-8859-1"
)
bad_options=""
for opt in "${options[@]}"; do
	# shellcheck disable=SC2086 # "-c js" is two words on purpose
	if ! "$FLAMESAMP" render $opt "$T/basic.txt" >"$T/opt.svg" 2>"$T/opt.err"; then
		bad_options="$bad_options [$opt: $(head -c 100 "$T/opt.err")]"
	elif [ "$have_xmllint" = 1 ] && ! xmllint --noout "$T/opt.svg" 2>/dev/null; then
		bad_options="$bad_options [$opt: invalid XML]"
	fi
done
if [ -z "$bad_options" ]; then pass "render: every option accepted"; else fail "render: every option accepted" "$bad_options"; fi
(cd "$T" && "$FLAMESAMP" render --cp basic.txt >cp.svg)
check "render: --cp writes palette.map" test -s "$T/palette.map"

# --- palette map keeps colours across runs (random colours otherwise) ---
"$FLAMESAMP" render --palfile "$T/pal.map" "$T/basic.txt" >"$T/pal1.svg"
"$FLAMESAMP" render --palfile "$T/pal.map" "$T/basic.txt" >"$T/pal2.svg"
check "render: palette map gives stable colours" cmp -s "$T/pal1.svg" "$T/pal2.svg"
check "render: palette map names the root" grep -q '^->rgb(' "$T/pal.map"
check "render: palette map sorted" sh -c "LC_ALL=C sort -c '$T/pal.map'"

# --- hostile input: any bytes give valid XML ---
if [ "$have_python" = 1 ]; then
	python3 - "$T" <<'EOF'
import random, sys
d = sys.argv[1]
pieces = [b";", b" ", b"\t", b"\n", b"1", b"23", b" 5\n", b"\r\n", b"<", b">", b"&", b'"', b"'",
          b"]]>", b"--", b"\x00", b"\x01", b"\x1b", b"\x7f", b"\xff", b"\xfe", b"\xc3", b"\xa9",
          b"\xed\xa0\x80", b"\xef\xbf\xbe", b"\xf4\x90\x80\x80", "日本".encode(), b"_[k]",
          b"func", b"::", b" 1 2\n", b"0.5\n"]
for seed in range(6):
    r = random.Random(seed)
    out = bytearray()
    while len(out) < 60000:
        if r.random() < 0.3:
            out += bytes(r.randrange(256) for _ in range(r.randrange(1, 20)))
        else:
            out += r.choice(pieces)
    open(f"{d}/hostile{seed}.txt", "wb").write(bytes(out))
EOF
	for f in "$T"/hostile*.txt; do
		n=$(basename "$f" .txt)
		"$FLAMESAMP" render --minwidth 0 "$f" >"$T/$n.svg" 2>/dev/null
		check "render: hostile $n exits 0" test $? -eq 0
		valid_xml "render: hostile $n is valid XML" "$T/$n.svg"
	done
	"$FLAMESAMP" render --encoding ISO-8859-1 --minwidth 0 "$T/hostile0.txt" >"$T/latin1.svg" 2>/dev/null
	valid_xml "render: hostile input declared ISO-8859-1 is valid XML" "$T/latin1.svg"
	"$FLAMESAMP" render --minwidth 0 --title $'<&>\x01"' --notes $'--x-' --countname ']]>' \
		--nametype '</script>' --subtitle $'\xff' "$T/hostile1.txt" >"$T/texts.svg" 2>/dev/null
	valid_xml "render: hostile option texts are valid XML" "$T/texts.svg"
else
	skip "render: hostile inputs" "python3 not installed"
fi

# --- inferno's renderer inputs ---
IN=$PEER/inferno/flamegraph-inputs
if [ ! -d "$IN" ]; then
	skip "render: peer flamegraph inputs" "../shared/peer-tests not found"
	finish
	exit
fi
for f in "$IN"/*/*.txt; do
	rel=${f#"$IN"/}
	"$FLAMESAMP" render "$f" >"$T/peer.svg" 2>/dev/null
	check "render: peer $rel exits 0" test $? -eq 0
	valid_xml "render: peer $rel is valid XML" "$T/peer.svg"
done
"$FLAMESAMP" render "$IN/bad-lines/bad-lines.txt" >/dev/null 2>"$T/bad-lines.err"
check "render: peer bad-lines reports 3 ignored lines" \
	grep -qx 'flamesamp: warning: ignored 3 lines with invalid format' "$T/bad-lines.err"
"$FLAMESAMP" render "$IN/empty/empty.txt" >"$T/peer-empty.svg" 2>/dev/null
check "render: peer empty input gives the no-samples SVG" \
	grep -q 'No valid input provided' "$T/peer-empty.svg"
"$FLAMESAMP" render --hash "$IN"/multiple-inputs/*-1.txt "$IN"/multiple-inputs/*-2.txt >"$T/multi.svg"
"$FLAMESAMP" render --hash "$IN"/unsorted-input/*.txt >"$T/unsorted.svg"
check "render: peer multiple inputs = the unsorted whole" cmp -s "$T/multi.svg" "$T/unsorted.svg"
"$FLAMESAMP" render --hash --flamechart "$IN/flamechart/flames.txt" >"$T/chart.svg"
check "render: peer flame chart titled" grep -q '>Flame Chart</text>' "$T/chart.svg"
# fractional counts keep their fraction in the weights
"$FLAMESAMP" render --hash "$IN/fractional-samples/fractional.txt" >"$T/frac.svg"
check "render: peer fractional weights kept" grep -q 'fs:w="[0-9]*\.[0-9]' "$T/frac.svg"

# palette maps: the peer file is read in place and copied before --cp rewrites it
cp "$IN/palette-map/palette.map" "$T/peer-palette.map"
"$FLAMESAMP" render --palfile "$T/peer-palette.map" "$IN/unsorted-input/"*.txt >"$T/pm.svg" 2>"$T/pm.err"
check "render: peer palette map run exits 0" test $? -eq 0
pinned=$(grep -m1 '^ClassLoaderData::oops_do->' "$IN/palette-map/palette.map" | sed 's/.*->//')
check "render: peer palette map colour used" \
	grep -q "<title>ClassLoaderData::oops_do ([^<]*</title><rect [^>]*fill=\"$pinned\"" "$T/pm.svg"
check "render: peer palette map keeps its entries" \
	grep -qx "ClassLoaderData::oops_do->$pinned" "$T/peer-palette.map"
cp "$IN/palette-map/palette_invalid.map" "$T/invalid.map"
"$FLAMESAMP" render --palfile "$T/invalid.map" "$IN/unsorted-input/"*.txt >"$T/pmi.svg" 2>"$T/pmi.err"
check "render: invalid palette map lines are warned about" \
	grep -q '^flamesamp: warning: ignored 5 lines with invalid format in palette map' "$T/pmi.err"
valid_xml "render: invalid palette map still gives valid XML" "$T/pmi.svg"
"$FLAMESAMP" render "$IN/example-perf-stacks/palette.map" >/dev/null 2>"$T/notfolded.err"
check "render: a palette map as input is just invalid lines" grep -q 'ignored' "$T/notfolded.err"

finish
