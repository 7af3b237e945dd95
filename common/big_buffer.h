/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_BIG_BUFFER_H
#define FLAMESAMP_COMMON_BIG_BUFFER_H

/*
 * Large buffers filled once and read back (DWARF sections, batches of
 * lookup results), from anonymous memory with huge pages where the kernel
 * gives them (THP "always" or "madvise").  Malloc memory of that size faults
 * in a page at a time as it is first written, and a growing one is copied
 * when it moves: on a VM a page fault costs microseconds, and a run that
 * reads 15 MB of sections spent a fifth of its time there.
 */

#include <stdbool.h>
#include <stddef.h>

/*
 * @size bytes, zeroed and page-aligned, or NULL with errno set.  Only the
 * pages written are ever backed: a bound far above the usual need costs
 * address space, not memory.  @populate backs all of it now, in one call
 * (Linux 5.14; ignored before), for a buffer about to be written whole.
 */
void *big_buffer__new(size_t size, bool populate);
/* @p from big_buffer__new(@size); NULL does nothing. */
void big_buffer__free(void *p, size_t size);

#endif
