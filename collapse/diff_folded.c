// SPDX-License-Identifier: Apache-2.0
#include "collapse/diff_folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "common/strtab.h"
#include "common/xalloc.h"

/* Bad lines are reported one by one up to this many per side, then counted. */
#define MAX_LINE_WARNINGS 10

struct diff_folded {
	struct diff_folded_options opts;
	struct diff_folded_stats stats;
	struct strtab *stacks; /* stack string -> id */
	uint64_t (*counts)[2]; /* per stack id: before, after */
	size_t cap;
	struct strbuf scratch;
};

struct diff_folded *diff_folded__new(const struct diff_folded_options *opts)
{
	struct diff_folded *df = xcalloc(1, sizeof(*df));

	if (opts)
		df->opts = *opts;
	df->stacks = strtab__new();
	return df;
}

void diff_folded__free(struct diff_folded *df)
{
	if (!df)
		return;
	strtab__free(df->stacks);
	free(df->counts);
	strbuf_release(&df->scratch);
	free(df);
}

const struct diff_folded_stats *diff_folded__stats(const struct diff_folded *df)
{
	return &df->stats;
}

static bool is_trailing_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Parse the count field (already without trailing blanks) the way inferno
 * does: digits, or digits '.' digits whose fraction is dropped.  A '+' sign
 * is allowed on whole numbers (Rust's integer parser takes one).
 */
static bool parse_count(const char *s, size_t len, uint64_t *count, bool *fraction)
{
	const char *dot = memchr(s, '.', len);
	size_t int_len = dot ? (size_t)(dot - s) : len, i;
	uint64_t v = 0;

	*fraction = false;
	if (dot) {
		for (i = 0; i < len; i++)
			if (s + i != dot && !is_digit(s[i]))
				return false;
		for (i = int_len + 1; i < len; i++)
			*fraction |= s[i] != '0';
	} else if (len && s[0] == '+') {
		s++;
		int_len--;
	}
	if (!int_len)
		return false;
	for (i = 0; i < int_len; i++) {
		if (!is_digit(s[i]) || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return false;
	}
	*count = v;
	return true;
}

/* "0x" followed by hex digits becomes "0x...", as difffolded.pl -s does. */
static void strip_hex(const char *s, size_t len, struct strbuf *out)
{
	size_t i = 0, j;

	strbuf_reset(out);
	while (i < len) {
		if (i + 2 < len && s[i] == '0' && s[i + 1] == 'x') {
			for (j = i + 2; j < len && strchr("0123456789abcdefABCDEF", s[j]) && s[j];)
				j++;
			if (j > i + 2) {
				strbuf_add(out, "0x...", 5);
				i = j;
				continue;
			}
		}
		strbuf_addch(out, s[i++]);
	}
}

static void add_stack(struct diff_folded *df, enum diff_side side, const char *stack, size_t len,
		      uint64_t count)
{
	uint32_t id;

	if (df->opts.strip_hex) {
		strip_hex(stack, len, &df->scratch);
		/* an empty stack (" 5") leaves an untouched scratch buffer NULL */
		stack = df->scratch.buf ? df->scratch.buf : "";
		len = df->scratch.len;
	}
	id = strtab__intern(df->stacks, stack, len);
	if (id >= df->cap) {
		size_t old = df->cap;

		df->cap = fs_grow_capacity(df->cap, (size_t)id + 1);
		df->counts = xreallocarray(df->counts, df->cap, sizeof(*df->counts));
		memset(df->counts + old, 0, (df->cap - old) * sizeof(*df->counts));
	}
	/* cannot overflow: the side's total, checked first, is at least as large */
	df->counts[id][side] += count;
}

int diff_folded__add(struct diff_folded *df, enum diff_side side, const char *data, size_t len,
		     const char *name)
{
	const char *p = data, *end = data + len;
	uint64_t lineno = df->stats.lines[side];

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *line = p, *line_end = nl ? nl : end, *space, *count_end, *stack_end;
		uint64_t count;
		bool fraction;

		p = nl ? nl + 1 : end;
		lineno++;
		df->stats.lines[side]++;

		space = line_end;
		while (space > line && space[-1] != ' ')
			space--;
		count_end = line_end;
		while (count_end > space && is_trailing_space(count_end[-1]))
			count_end--;
		if (space == line || !parse_count(space, count_end - space, &count, &fraction)) {
			if (++df->stats.skipped_lines[side] <= MAX_LINE_WARNINGS)
				fs_warn("%s: line %" PRIu64 ": no count; line skipped", name,
					lineno);
			continue;
		}
		if (fraction && !df->stats.truncated_fractions) {
			df->stats.truncated_fractions = true;
			fs_warn("%s: fractional counts are truncated to integers", name);
		}
		if (__builtin_add_overflow(df->stats.total[side], count, &df->stats.total[side])) {
			fs_warn("%s: line %" PRIu64 ": the total count is over 2^64", name, lineno);
			return -EOVERFLOW;
		}
		stack_end = space - 1;
		while (stack_end > line && is_trailing_space(stack_end[-1]))
			stack_end--;
		add_stack(df, side, line, stack_end - line, count);
	}
	if (df->stats.skipped_lines[side] > MAX_LINE_WARNINGS)
		fs_warn("%s: %" PRIu64 " lines without a count skipped in all", name,
			df->stats.skipped_lines[side]);
	return 0;
}

struct sorted_stack {
	const char *s;
	size_t len;
	uint32_t id;
};

static int cmp_sorted_stack(const void *a, const void *b)
{
	const struct sorted_stack *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

int diff_folded__write(const struct diff_folded *df, FILE *out)
{
	size_t n = strtab__count(df->stacks), i;
	struct sorted_stack *order = xmalloc((n ? n : 1) * sizeof(*order));
	uint64_t before_total = df->stats.total[DIFF_BEFORE];
	uint64_t after_total = df->stats.total[DIFF_AFTER];
	bool scale = df->opts.normalize && before_total && before_total != after_total;
	int err = 0;

	for (i = 0; i < n; i++) {
		order[i].id = (uint32_t)i;
		order[i].s = strtab__str(df->stacks, (uint32_t)i, &order[i].len);
	}
	qsort(order, n, sizeof(*order), cmp_sorted_stack);

	errno = 0;
	for (i = 0; i < n; i++) {
		uint64_t before = df->counts[order[i].id][DIFF_BEFORE];
		uint64_t after = df->counts[order[i].id][DIFF_AFTER];

		if (scale) {
			/* in floating point and truncated, exactly as both peers compute it */
			double v = (double)before * (double)after_total / (double)before_total;

			before = v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
		}
		if (fwrite(order[i].s, 1, order[i].len, out) != order[i].len ||
		    fprintf(out, " %" PRIu64 " %" PRIu64 "\n", before, after) < 0) {
			err = errno ? -errno : -EIO;
			break;
		}
	}
	free(order);
	return err;
}
