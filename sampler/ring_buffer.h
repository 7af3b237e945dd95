/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SAMPLER_RING_BUFFER_H
#define FLAMESAMP_SAMPLER_RING_BUFFER_H

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

struct ring_buffer;

/*
 * Map @data_pages (a power of two) data pages of the perf event @fd.  NULL
 * and errno on failure: EPERM when the size exceeds what
 * kernel.perf_event_mlock_kb and RLIMIT_MEMLOCK allow, EINVAL for a size that
 * is not a power of two.
 */
struct ring_buffer *ring_buffer__new(int fd, size_t data_pages);
void ring_buffer__free(struct ring_buffer *rb);

int ring_buffer__fd(const struct ring_buffer *rb);
size_t ring_buffer__data_size(const struct ring_buffer *rb);

/* Called once per record; the record is valid only during the call. */
typedef void (*ring_buffer_record_fn)(const struct perf_event_header *hdr, void *ctx);

/*
 * Pass every record published so far to @fn, then release their space to the
 * kernel.  Returns the number of records read; a record with an impossible
 * size (corruption) makes the reader skip everything published so far and
 * count it in ring_buffer__corrupt().
 */
size_t ring_buffer__read(struct ring_buffer *rb, ring_buffer_record_fn fn, void *ctx);

/* Bytes published but not yet read. */
uint64_t ring_buffer__pending(const struct ring_buffer *rb);

/* Times unreadable data was skipped. */
uint64_t ring_buffer__corrupt(const struct ring_buffer *rb);

#endif
