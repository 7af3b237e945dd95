// SPDX-License-Identifier: Apache-2.0
/*
 * A shared library for the unwinding tests, built without frame pointers
 * (-O2 -fomit-frame-pointer): deep_recurse calls itself DEPTH times, then
 * spins in deep_spin, a leaf with no stack frame.  Only CFI can walk it.
 */
static volatile unsigned long sink;

__attribute__((noinline)) void deep_spin(unsigned long n)
{
	unsigned long acc = 0;

	for (unsigned long i = 0; i < n; i++)
		acc += i ^ (acc >> 3);
	sink = acc;
}

__attribute__((noinline)) unsigned long deep_recurse(int depth, unsigned long n)
{
	unsigned long r;

	if (depth == 0) {
		deep_spin(n);
		return 1;
	}
	r = deep_recurse(depth - 1, n);
	/* work after the call: no tail call, so every level keeps its frame */
	sink += r;
	return r + 1;
}
