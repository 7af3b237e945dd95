// SPDX-License-Identifier: Apache-2.0
/*
 * The default unwinder: DWARF CFI first, the kernel's frame-pointer chain
 * after it.
 *
 * libdw's unwinder already decides per frame: CFI from .eh_frame or
 * .debug_frame where the module has it, the frame-pointer rule where it does
 * not.  What it cannot do is go past the end of the stack copy.  The kernel's
 * frame-pointer walk has no such limit but is wrong wherever a function keeps
 * no frame.  So: unwind with CFI, then find the outermost CFI frame in the
 * kernel's user chain; when it is there, the chains agree at that frame and
 * whatever the kernel found beyond it is appended.  When it is not there, the
 * frame-pointer chain is out of step and nothing of it is used.
 */
#include <stdlib.h>

#include "common/xalloc.h"
#include "sampler/unwind.h"

struct auto_unwinder {
	struct unwinder dwarf;
	struct unwinder frame_pointer; /* the kernel's user chain, resolved */
	struct sampler_frame *fp_frames;
	size_t cap;
};

static bool same_frame(const struct sampler_frame *a, const struct sampler_frame *b)
{
	return a->dso == b->dso && a->addr == b->addr && a->dso != DSO_UNKNOWN;
}

static size_t unwind_auto(struct unwinder *u, const struct unwind_input *in,
			  struct process_table *pt, struct sampler_frame *out, size_t max)
{
	struct auto_unwinder *au = u->priv;
	size_t n, n_fp, i, k, first_user;

	n = au->dwarf.unwind(&au->dwarf, in, pt, out, max);
	if (!n || n == max)
		return n;
	/* the kernel's user chain, resolved the same way (pc - 1 for return addresses) */
	if (au->cap < max) {
		au->cap = max;
		au->fp_frames = xreallocarray(au->fp_frames, au->cap, sizeof(*au->fp_frames));
	}
	n_fp = au->frame_pointer.unwind(&au->frame_pointer, in, pt, au->fp_frames, max);
	if (n_fp < 2)
		return n;
	for (first_user = 0; first_user < n && out[first_user].dso == DSO_KERNEL; first_user++)
		;
	if (first_user == n)
		return n;
	/* the outermost CFI frame, in the frame-pointer chain (not at its very end) */
	for (k = 0; k + 1 < n_fp; k++)
		if (same_frame(&au->fp_frames[k], &out[n - 1]))
			break;
	if (k + 1 >= n_fp)
		return n;
	for (i = k + 1; i < n_fp && n < max; i++)
		out[n++] = au->fp_frames[i];
	return n;
}

static void destroy_auto(struct unwinder *u)
{
	struct auto_unwinder *au = u->priv;

	if (au->dwarf.destroy)
		au->dwarf.destroy(&au->dwarf);
	free(au->fp_frames);
	free(au);
}

static void forget_auto(struct unwinder *u, pid_t pid)
{
	struct auto_unwinder *au = u->priv;

	if (au->dwarf.forget_process)
		au->dwarf.forget_process(&au->dwarf, pid);
}

int unwinder_init_auto(struct unwinder *u, bool include_kernel)
{
	struct auto_unwinder *au = xcalloc(1, sizeof(*au));
	int err = unwinder_init_dwarf(&au->dwarf, include_kernel);

	if (err) {
		free(au);
		return err;
	}
	unwinder_init_frame_pointer(&au->frame_pointer, false);
	u->unwind = unwind_auto;
	u->destroy = destroy_auto;
	u->forget_process = forget_auto;
	u->include_kernel = include_kernel;
	u->priv = au;
	return 0;
}
