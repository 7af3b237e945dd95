#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Real-browser test of the SVG flame graph script (render/flamegraph.js):
# check_flamegraph.js renders folded stacks of known shape with
# `$FLAMESAMP render --hash`, opens them in headless Chromium through
# playwright-core and checks hover, zoom, search, URL state and hostile names.
#
#   FLAMESAMP            binary under test (default: build/flamesamp)
#   CHROMIUM             browser (default: /usr/bin/chromium, Debian's package)
#   BROWSER_SCREENSHOTS  if set, a directory that receives two screenshots
#
# Without node, Chromium or tests/browser/node_modules it prints one SKIP line
# naming what is missing; scripts/install-deps.sh installs all of them.
source "$(dirname "$0")/../integration/lib.sh"

here=$REPO/tests/browser
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM

# The renderer embeds the script in a CDATA section, which this would end.
if grep -qF ']]>' "$REPO/render/flamegraph.js"; then
	fail "browser: flamegraph.js has no CDATA terminator" "render/flamegraph.js contains ]]>"
else
	pass "browser: flamegraph.js has no CDATA terminator"
fi

missing=()
if ! command -v node >/dev/null; then
	missing+=("node (apt-get install nodejs)")
elif [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
	missing+=("node >= 20 for playwright-core (found $(node --version))")
fi
if [ ! -x "$CHROMIUM" ]; then
	missing+=("$CHROMIUM (apt-get install chromium)")
fi
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
	missing+=("tests/browser/node_modules/playwright-core (npm ci --prefix tests/browser)")
fi
if [ ${#missing[@]} -gt 0 ]; then
	reason=$(printf '%s, ' "${missing[@]}")
	skip browser "missing ${reason%, }; scripts/install-deps.sh installs them"
	finish
	exit
fi

if [ ! -x "$FLAMESAMP" ]; then
	fail "browser: flamesamp binary" "$FLAMESAMP not found (build it first)"
	finish
	exit
fi

args=(--flamesamp "$FLAMESAMP" --workdir "$TESTDIR")
if [ -n "${BROWSER_SCREENSHOTS:-}" ]; then
	mkdir -p "$BROWSER_SCREENSHOTS"
	args+=(--screenshot-dir "$BROWSER_SCREENSHOTS")
fi

# check_flamegraph.js bounds itself at 100 s; this catches a hung node.
timeout -k 5 115 node "$here/check_flamegraph.js" "${args[@]}"
rc=$?
if [ "$rc" -ge 124 ]; then
	fail "browser: whole test" "killed after 115 s (exit $rc)"
elif [ "$rc" -ne 0 ]; then
	_failures=$((_failures + 1))
fi
finish
