#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Runs the whole test suite: cmocka unit tests (build/tests/test_*), integration
# scripts (tests/integration/*.sh, which run the real binary) and, for the plain
# build only, the browser test.  With --san-build the unit and integration tests
# run a second time against the ASan+UBSan build.
#
# Prints one result line per test and ends with "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/.."

builds=()
while [ $# -gt 0 ]; do
	case "$1" in
	--build) builds+=("plain:$2"); shift 2 ;;
	--san-build) builds+=("san:$2"); shift 2 ;;
	*) echo "usage: $0 --build DIR [--san-build DIR]" >&2; exit 2 ;;
	esac
done
[ ${#builds[@]} -gt 0 ] || builds=("plain:build")

passed=0 failed=0 skipped=0
failures=()
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

# Count PASS:/FAIL:/SKIP: lines printed by an integration script.
count_lines() {
	local out=$1 tag=$2 n
	n=$(grep -c '^PASS: ' "$out"); passed=$((passed + n))
	n=$(grep -c '^SKIP: ' "$out"); skipped=$((skipped + n))
	n=$(grep -c '^FAIL: ' "$out"); failed=$((failed + n))
	while IFS= read -r line; do failures+=("[$tag] $line"); done < <(grep '^FAIL: ' "$out")
}

for entry in "${builds[@]}"; do
	kind=${entry%%:*}
	dir=${entry#*:}
	echo "=== $kind build ($dir)"
	case "$dir" in
	/*) export FLAMESAMP="$dir/flamesamp" ;;
	*) export FLAMESAMP="$PWD/$dir/flamesamp" ;;
	esac
	export FLAMESAMP_BUILD_KIND=$kind
	if [ "$kind" = san ]; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1
		export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	fi

	for t in "$dir"/tests/test_*; do
		[ -x "$t" ] || continue
		[ "${t%.d}" = "$t" ] || continue
		name=$(basename "$t")
		out="$log/$kind-$name.out"
		"$t" >"$out" 2>&1
		rc=$?
		cat "$out"
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
		s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
		passed=$((passed + ${p:-0})); skipped=$((skipped + ${s:-0}))
		if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
			f=1 # crashed before cmocka could report
		fi
		failed=$((failed + ${f:-0}))
		[ "${f:-0}" -eq 0 ] || failures+=("[$kind] $name (exit $rc)")
	done

	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		name=$(basename "$t" .sh)
		case $name in lib | lib_*) continue ;; esac # sourced by the others
		out="$log/$kind-$name.out"
		echo "--- $name"
		bash "$t" >"$out" 2>&1
		rc=$?
		cat "$out"
		count_lines "$out" "$kind"
		if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
			failed=$((failed + 1))
			failures+=("[$kind] $name exited $rc without reporting a failure")
		fi
	done

	if [ "$kind" = plain ] && [ -f tests/browser/run.sh ]; then
		out="$log/browser.out"
		echo "--- browser"
		bash tests/browser/run.sh >"$out" 2>&1
		rc=$?
		cat "$out"
		count_lines "$out" "$kind"
		if [ "$rc" -ne 0 ] && ! grep -q '^FAIL: ' "$out"; then
			failed=$((failed + 1))
			failures+=("[$kind] browser exited $rc without reporting a failure")
		fi
	fi
done

if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "failures:"
	printf '  %s\n' "${failures[@]}"
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
