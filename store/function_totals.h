/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_STORE_FUNCTION_TOTALS_H
#define FLAMESAMP_STORE_FUNCTION_TOTALS_H

/*
 * The figures of `flamesamp report`: per frame name of a folded profile,
 * the self weight (stacks where it is the leaf) and the total weight
 * (stacks where it appears at all, counted once per stack however often a
 * recursive function appears in it).  Differential stacks count their
 * width (the second count).  Every frame counts, the first frame of a
 * recording ("comm" or "comm-PID") included.
 */

#include <stddef.h>
#include <stdint.h>

#include "render/folded.h"

struct function_total {
	uint32_t name; /* id in the profile (folded_profile__name()) */
	double self, total;
};

enum function_totals_order {
	FUNCTION_TOTALS_BY_SELF,  /* self, then total, then name */
	FUNCTION_TOTALS_BY_TOTAL, /* total, then self, then name */
};

/*
 * Every name with a non-zero weight, sorted as @order says (larger first;
 * ties by name, bytewise).  *@nr receives the count, *@sum the profile's
 * total weight.  The caller frees the array.
 */
struct function_total *function_totals__compute(const struct folded_profile *p,
						enum function_totals_order order, size_t *nr,
						double *sum);

#endif
