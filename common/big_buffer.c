// SPDX-License-Identifier: Apache-2.0
#include "common/big_buffer.h"

#include <sys/mman.h>

void *big_buffer__new(size_t size, bool populate)
{
	void *p = mmap(NULL, size ? size : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	/* advice only: a kernel without THP, or with it off, gives small pages */
	(void)madvise(p, size, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
	if (populate)
		(void)madvise(p, size, MADV_POPULATE_WRITE);
#else
	(void)populate;
#endif
	return p;
}

void big_buffer__free(void *p, size_t size)
{
	if (p)
		munmap(p, size ? size : 1);
}
