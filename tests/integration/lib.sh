# SPDX-License-Identifier: Apache-2.0
# Helpers for integration tests: source this file, then report each check with
# pass/fail/skip.  tests/run-tests.sh counts the PASS:/FAIL:/SKIP: lines.
#
#   FLAMESAMP   the binary under test (set by run-tests.sh; defaults to build/)
#   TESTDIR     a scratch directory, removed on exit
#   SHARED      ../shared next to the repository (peer test data), may be absent

set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FLAMESAMP=${FLAMESAMP:-$REPO/build/flamesamp}
SHARED=${SHARED:-$(cd "$REPO/.." && pwd)/shared}
PEER=$SHARED/peer-tests
TESTDIR=$(mktemp -d)
trap 'rm -rf "$TESTDIR"' EXIT
_failures=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+: $2}"; _failures=$((_failures + 1)); }
skip() { echo "SKIP: $1: $2"; }

# check NAME COMMAND...: pass if the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# Exit status for the script: non-zero if anything failed.
finish() { [ "$_failures" -eq 0 ]; }
