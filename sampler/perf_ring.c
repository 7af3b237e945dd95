// SPDX-License-Identifier: Apache-2.0
#include "sampler/perf_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/xalloc.h"

struct perf_ring {
	int fd;
	struct perf_event_mmap_page *meta;
	unsigned char *data;
	size_t mmap_len;
	uint64_t data_size, mask;
	uint64_t corrupt;
	unsigned char scratch[1 << 16];
};

struct perf_ring *perf_ring__new(int fd, size_t data_pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct perf_ring *rb;
	void *base;

	if (!data_pages || (data_pages & (data_pages - 1))) {
		errno = EINVAL;
		return NULL;
	}
	base = mmap(NULL, (data_pages + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return NULL;
	rb = xcalloc(1, sizeof(*rb));
	rb->fd = fd;
	rb->meta = base;
	rb->mmap_len = (data_pages + 1) * page;
	rb->data = (unsigned char *)base + page;
	rb->data_size = (uint64_t)data_pages * page;
	rb->mask = rb->data_size - 1;
	return rb;
}

void perf_ring__free(struct perf_ring *rb)
{
	if (!rb)
		return;
	munmap(rb->meta, rb->mmap_len);
	free(rb);
}

int perf_ring__fd(const struct perf_ring *rb)
{
	return rb->fd;
}

size_t perf_ring__data_size(const struct perf_ring *rb)
{
	return rb->data_size;
}

uint64_t perf_ring__corrupt(const struct perf_ring *rb)
{
	return rb->corrupt;
}

uint64_t perf_ring__pending(const struct perf_ring *rb)
{
	return __atomic_load_n(&rb->meta->data_head, __ATOMIC_ACQUIRE) - rb->meta->data_tail;
}

size_t perf_ring__read(struct perf_ring *rb, perf_ring_record_fn fn, void *ctx)
{
	/* acquire: the record bytes are visible once data_head is (perf's smp_rmb) */
	uint64_t head = __atomic_load_n(&rb->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = rb->meta->data_tail;
	size_t n = 0;

	while (tail < head) {
		uint64_t off = tail & rb->mask;
		struct perf_event_header hdr;
		const struct perf_event_header *rec;

		/* the 8-byte header never wraps: records are 8-byte aligned */
		memcpy(&hdr, rb->data + off, sizeof(hdr));
		if (hdr.size < sizeof(hdr) || hdr.size > head - tail) {
			rb->corrupt++;
			tail = head;
			break;
		}
		if (off + hdr.size > rb->data_size) {
			size_t first = rb->data_size - off;

			memcpy(rb->scratch, rb->data + off, first);
			memcpy(rb->scratch + first, rb->data, hdr.size - first);
			rec = (const struct perf_event_header *)rb->scratch;
		} else {
			rec = (const struct perf_event_header *)(rb->data + off);
		}
		fn(rec, ctx);
		tail += hdr.size;
		n++;
	}
	/* release: our reads of the records complete before the kernel may reuse the space */
	__atomic_store_n(&rb->meta->data_tail, tail, __ATOMIC_RELEASE);
	return n;
}
