// SPDX-License-Identifier: Apache-2.0
#include "store/function_totals.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct sort_ctx {
	const struct folded_profile *p;
	enum function_totals_order order;
};

/* qsort has no context argument: one sort at a time (not thread-safe, as the profile) */
static struct sort_ctx sort_ctx;

static int cmp_double(double a, double b)
{
	return (a < b) - (a > b); /* larger first */
}

static int cmp_total(const void *a, const void *b)
{
	const struct function_total *x = a, *y = b;
	int c;

	if (sort_ctx.order == FUNCTION_TOTALS_BY_TOTAL) {
		c = cmp_double(x->total, y->total);
		c = c ? c : cmp_double(x->self, y->self);
	} else {
		c = cmp_double(x->self, y->self);
		c = c ? c : cmp_double(x->total, y->total);
	}
	if (c)
		return c;
	return strcmp(folded_profile__name(sort_ctx.p, x->name, NULL),
		      folded_profile__name(sort_ctx.p, y->name, NULL));
}

struct function_total *function_totals__compute(const struct folded_profile *p,
						enum function_totals_order order, size_t *nr,
						double *sum)
{
	size_t names = folded_profile__name_count(p), n = folded_profile__stack_count(p), i, j,
	       out = 0;
	struct function_total *t = xcalloc(names + 1, sizeof(*t));
	size_t *seen = xcalloc(names + 1, sizeof(*seen)); /* stack index + 1 that counted it */

	*sum = 0;
	for (i = 0; i < names; i++)
		t[i].name = (uint32_t)i;
	for (i = 0; i < n; i++) {
		struct folded_stack fs;

		folded_profile__stack(p, i, &fs);
		if (!fs.nframes)
			continue;
		*sum += fs.weight;
		t[fs.frames[fs.nframes - 1]].self += fs.weight;
		for (j = 0; j < fs.nframes; j++) {
			if (seen[fs.frames[j]] == i + 1)
				continue;
			seen[fs.frames[j]] = i + 1;
			t[fs.frames[j]].total += fs.weight;
		}
	}
	for (i = 0; i < names; i++)
		if (t[i].total > 0 || t[i].self > 0)
			t[out++] = t[i];
	sort_ctx = (struct sort_ctx){p, order};
	qsort(t, out, sizeof(*t), cmp_total);
	free(seen);
	*nr = out;
	return t;
}
