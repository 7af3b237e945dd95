/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_KALLSYMS_H
#define FLAMESAMP_SYMBOLIZE_KALLSYMS_H

/*
 * Kernel text symbols from /proc/kallsyms.
 *
 * Lines are "ADDRESS TYPE NAME" with an optional "\t[MODULE]" (ADDRESS in
 * hex without 0x).  Kept: text symbols (types t, T, w, W) of the kernel and
 * of modules (BPF programs and ftrace trampolines appear as modules too).
 * Lines that do not parse are skipped.  kallsyms gives no sizes: a symbol
 * covers the addresses up to the next kept symbol (the last one, everything
 * above it).  Of several symbols at one address the first global one (T)
 * is shown, else the first weak (W), else the first local (t, then w).
 *
 * With kernel.kptr_restrict hiding them, every address reads as 0: the table
 * is then empty and kallsyms__hidden() says why.
 *
 * Immutable once built: lookups may run from several threads at once.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kallsyms;

/* Read @path (NULL for "/proc/kallsyms"). NULL and errno on failure. */
struct kallsyms *kallsyms__load(const char *path);
/* Parse kallsyms text held in memory; @data need not be NUL-terminated. */
struct kallsyms *kallsyms__parse(const char *data, size_t len);
void kallsyms__free(struct kallsyms *ks);

/* Number of distinct symbol addresses kept; 0 when none (or all hidden). */
size_t kallsyms__count(const struct kallsyms *ks);
/* Whether lines were read but every address was 0 (kernel.kptr_restrict). */
bool kallsyms__hidden(const struct kallsyms *ks);

/* Index of the symbol covering @addr, or -1. */
long kallsyms__find(const struct kallsyms *ks, uint64_t addr);
/* Name of symbol @idx; valid until kallsyms__free(). */
const char *kallsyms__name(const struct kallsyms *ks, size_t idx);
/* Its module ("ext4", "bpf"), or NULL for the kernel image. */
const char *kallsyms__module(const struct kallsyms *ks, size_t idx);
uint64_t kallsyms__addr(const struct kallsyms *ks, size_t idx);

#endif
