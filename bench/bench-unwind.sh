#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# DWARF unwinding: microseconds per sample and per frame of sampler/unwind_dwarf.c
# on stacks 10 to ~200 frames deep through a library built without frame pointers
# (see bench/bench_unwind.c).  Figures only: nothing fails on a time.
#
#   bench/bench-unwind.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}

if [ ! -f "$build/libflamesamp.a" ]; then
	echo "bench-unwind: $build/libflamesamp.a not built" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/deep.c" <<'EOF'
#include <stdint.h>
typedef uint64_t (*capture_fn)(uint64_t *, void *, uint64_t, uint64_t);
struct capture { uint64_t regs[24]; unsigned char *stack; uint64_t size, want, top; };
static volatile uint64_t sink;
__attribute__((noipa)) uint64_t so_leaf(struct capture *c, capture_fn fn)
{
	uint64_t r = fn(c->regs, c->stack, c->want, c->top);
	c->size = r;
	sink += r;
	return r + 1;
}
__attribute__((noipa)) uint64_t so_recurse(struct capture *c, capture_fn fn, int depth)
{
	uint64_t r = depth ? so_recurse(c, fn, depth - 1) : so_leaf(c, fn);
	sink += r;
	return r + 2;
}
__attribute__((noipa)) uint64_t so_entry(struct capture *c, capture_fn fn, int depth)
{
	uint64_t r = so_recurse(c, fn, depth);
	sink += r;
	return r + 3;
}
EOF
cc -shared -fPIC -O2 -fomit-frame-pointer -o "$tmp/libdeep.so" "$tmp/deep.c"
# shellcheck disable=SC2046 # pkg-config prints several words
cc -O2 -g -I. -o "$tmp/bench_unwind" bench/bench_unwind.c "$build/libflamesamp.a" \
	$(pkg-config --libs libdw libelf) -liberty -lm
"$tmp/bench_unwind" "$tmp/libdeep.so"
