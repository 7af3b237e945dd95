// SPDX-License-Identifier: Apache-2.0
#include <linux/perf_event.h>

#include "sampler/unwind.h"

static size_t unwind_callchain(struct unwinder *u, const struct unwind_input *in,
			       struct process_table *pt, struct sampler_frame *out, size_t max)
{
	bool kernel = false, first = true;
	size_t n = 0;
	uint64_t i;

	for (i = 0; i < in->nr_callchain && n < max; i++) {
		uint64_t ip = in->callchain[i];

		/* entries at or above PERF_CONTEXT_MAX mark where a context begins */
		if (ip >= (uint64_t)PERF_CONTEXT_MAX) {
			kernel = ip == (uint64_t)PERF_CONTEXT_KERNEL;
			if (ip != (uint64_t)PERF_CONTEXT_KERNEL &&
			    ip != (uint64_t)PERF_CONTEXT_USER)
				break; /* guest or hypervisor frames: not ours to resolve */
			continue;
		}
		/*
		 * Every address but the sampled pc is a return address, which
		 * points after the call: step back into the call instruction so
		 * a call that ends a function is not blamed on the next one.
		 */
		if (!first && ip)
			ip--;
		first = false;
		if (kernel) {
			if (u->include_kernel)
				out[n++] = (struct sampler_frame){.dso = DSO_KERNEL, .addr = ip};
			continue;
		}
		out[n].dso = process_table__resolve(pt, in->pid, ip, &out[n].addr);
		if (out[n].dso == DSO_UNKNOWN)
			out[n].addr = 0;
		n++;
	}
	return n;
}

void unwinder_init_frame_pointer(struct unwinder *u, bool include_kernel)
{
	u->unwind = unwind_callchain;
	u->include_kernel = include_kernel;
}
