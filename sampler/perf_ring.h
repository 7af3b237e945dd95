/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SAMPLER_PERF_RING_H
#define FLAMESAMP_SAMPLER_PERF_RING_H

/*
 * One perf_event mmap ring: a metadata page followed by 2^n data pages.
 *
 * The kernel writes records at data_head; we read from data_tail and publish
 * how far we got by writing data_tail back.  The mapping is PROT_WRITE so the
 * kernel honours data_tail and never overwrites unread records (with a
 * read-only mapping it would, silently).  Records that wrap around the end of
 * the data area are copied into a scratch buffer so callers always see one
 * contiguous record (header.size is a u16, so 64 KiB is enough).
 *
 * Not thread-safe: one reader per ring.
 */

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

struct perf_ring;

/*
 * Map @data_pages (a power of two) data pages of the perf event @fd.  NULL
 * and errno on failure: EPERM when the size exceeds what
 * kernel.perf_event_mlock_kb and RLIMIT_MEMLOCK allow, EINVAL for a size that
 * is not a power of two.
 */
struct perf_ring *perf_ring__new(int fd, size_t data_pages);
void perf_ring__free(struct perf_ring *rb);

int perf_ring__fd(const struct perf_ring *rb);
size_t perf_ring__data_size(const struct perf_ring *rb);

/* Called once per record; the record is valid only during the call. */
typedef void (*perf_ring_record_fn)(const struct perf_event_header *hdr, void *ctx);

/*
 * Pass every record published so far to @fn, then release their space to the
 * kernel.  Returns the number of records read; a record with an impossible
 * size (corruption) makes the reader skip everything published so far and
 * count it in perf_ring__corrupt().
 */
size_t perf_ring__read(struct perf_ring *rb, perf_ring_record_fn fn, void *ctx);

/* Bytes published but not yet read. */
uint64_t perf_ring__pending(const struct perf_ring *rb);

/* Times unreadable data was skipped. */
uint64_t perf_ring__corrupt(const struct perf_ring *rb);

#endif
