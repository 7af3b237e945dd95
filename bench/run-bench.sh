#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# `make bench`: speed and memory figures for flamesamp beside its peers
# (flamegraph.pl, stackcollapse-perf.pl, perf record) when those are on PATH.  Prints
# figures only; nothing here passes or fails on a time.
#
#   bench/run-bench.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export FLAMESAMP=$PWD/$build/flamesamp

if [ ! -x /usr/bin/time ]; then
	echo "bench: /usr/bin/time is missing (apt-get install time)" >&2
	exit 2
fi
echo "flamesamp bench on $(nproc) CPUs, $(uname -r)"
for b in bench/bench-*.sh; do
	echo
	bash "$b" "$build"
done
