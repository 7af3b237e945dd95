/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_DEMANGLE_H
#define FLAMESAMP_SYMBOLIZE_DEMANGLE_H

/*
 * Readable function names from mangled symbols: C++ (Itanium ABI, "_Z...")
 * and Rust (legacy "_ZN...17h<hash>E" without the hash, and v0 "_R..."),
 * through libiberty's demangler.  Names come out the way stackcollapse-perf.pl
 * shows perf's output, without parameter lists: "ns::func", not
 * "ns::func(int) const".  Any input is safe (names come from the profiled
 * program); over-long names are left as they are.
 */

#include <stddef.h>

/*
 * The readable form of @name, malloc'ed (the caller frees), or NULL when
 * @name is not a name this demangler knows: then show it as it is.
 */
char *demangle_symbol(const char *name);

/*
 * Cut a parameter list the way stackcollapse-perf.pl does: everything from
 * the first '(' that does not open "(anonymous namespace)".  Works in place
 * on @len bytes and returns the new length.  A lambda's name is cut too
 * ("f()::{lambda()#1}::operator()" becomes "f"), exactly as the Perl tool
 * cuts it, so profiles from both can be compared.
 */
size_t demangle_cut_params(char *name, size_t len);

#endif
