/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_STRTAB_H
#define FLAMESAMP_COMMON_STRTAB_H

/*
 * String interning: each distinct byte string gets a small dense id
 * (0, 1, 2, ... in order of first appearance), so frames and stacks can be
 * stored and compared as integers.  Strings may contain any bytes, NUL
 * included; they are stored NUL-terminated for convenience.
 *
 * Memory: the bytes once, in large blocks, plus 16 bytes of index per string.
 * Not thread-safe.
 */

#include <stddef.h>
#include <stdint.h>

struct strtab;

struct strtab *strtab__new(void);
void strtab__free(struct strtab *t);

/* Id of @s (@len bytes), adding it if new. */
uint32_t strtab__intern(struct strtab *t, const char *s, size_t len);
/* Id of @s, or -1 if it was never interned. */
int64_t strtab__find(const struct strtab *t, const char *s, size_t len);
/* The string with id @id; valid until strtab__free(). @len may be NULL. */
const char *strtab__str(const struct strtab *t, uint32_t id, size_t *len);
/* Number of distinct strings. */
size_t strtab__count(const struct strtab *t);

#endif
