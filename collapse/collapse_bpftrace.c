// SPDX-License-Identifier: Apache-2.0
/*
 * bpftrace map output to folded stacks.
 *
 * A script such as
 *     profile:hz:99 { @[kstack, ustack, comm] = count(); }
 * prints, when it ends, one entry per key (bpftrace src/output/text.cpp):
 *     @[
 *             native_safe_halt+6
 *             default_idle+26
 *     ,
 *             __GI___poll+79
 *             main+91
 *     , sshd]: 12
 * A key is a tuple whose parentheses are left out; a stack prints as a line
 * break and one indented frame per line, leaf first, so the text between two
 * stacks is a line holding ", " and scalar parts (comm, pid) follow ", ".
 * Stack modes other than the default are read too: perf mode
 * ("\tffffffff81001234 sym+0x12 (module)") and raw mode (bare hex addresses,
 * written here as "0x...").
 *
 * Output, root first: the scalar parts of the key in order (comm first, as
 * a process frame), then the stacks from the last to the first, each from
 * its outermost frame down.  That puts user code under the process name and
 * kernel code on top with the usual `kstack, ustack` key order.  Offsets
 * ("+123", "+0x7b") are cut, so that calls from different places in one
 * function merge into one frame, as in stackcollapse-perf.pl output.
 *
 * Everything that is not a map entry with at least one stack and a numeric
 * value is skipped and counted: "Attaching N probes..." headers, printf
 * output, maps without a stack in their key, histograms.  Entries of all
 * maps in the output (@a, @b, repeated print()s) add up into one profile.
 */
#include "collapse/collapse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collapse/frame_name.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

struct span {
	size_t off, len; /* into bpf_entry.text */
	size_t stack;	 /* which stack of the key, for frames */
};

/* The key of the map entry being read. */
struct bpf_entry {
	struct strbuf text; /* frame and scalar names, back to back */
	struct span *frames, *scalars;
	size_t n_frames, cap_frames, n_scalars, cap_scalars;
	size_t n_stacks;
	bool in_stack;	/* the previous line was a frame */
	size_t n_lines; /* lines the entry spans, counted as skipped if it is dropped */
};

static void push_span(struct span **v, size_t *n, size_t *cap, size_t off, size_t len, size_t stack)
{
	if (*n == *cap) {
		*cap = fs_grow_capacity(*cap, *n + 1);
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[*n].off = off;
	(*v)[*n].len = len;
	(*v)[*n].stack = stack;
	(*n)++;
}

static void entry_reset(struct bpf_entry *e)
{
	strbuf_reset(&e->text);
	e->n_frames = e->n_scalars = e->n_stacks = 0;
	e->in_stack = false;
	e->n_lines = 0;
}

static void entry_release(struct bpf_entry *e)
{
	strbuf_release(&e->text);
	free(e->frames);
	free(e->scalars);
}

static bool is_hex(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return len > 0;
}

static bool is_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return len > 0;
}

/* Add the frame printed on @line (a line inside a stack). */
static void add_frame(struct bpf_entry *e, const char *line, size_t len)
{
	const char *s = line, *end = line + len, *sp, *plus;
	size_t off = e->text.len;
	bool perf_mode = len && line[0] == '\t';

	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (is_hex(s, end - s)) {
		/* raw mode: an unsymbolized address */
		strbuf_addstr(&e->text, "0x");
		frame_name__add(&e->text, s, end - s);
		goto done;
	}
	sp = memchr(s, ' ', end - s);
	if (perf_mode && sp && is_hex(s, sp - s)) {
		/* perf mode: "ADDR SYMBOL+0xOFF (MODULE)" */
		s = sp + 1;
		if (end > s && end[-1] == ')') {
			const char *open = end - 1;

			while (open > s && !(open[0] == '(' && open[-1] == ' '))
				open--;
			if (open > s)
				end = open - 1;
		}
	}
	plus = end;
	while (plus > s && plus[-1] != '+')
		plus--;
	if (plus > s + 1 &&
	    (is_digits(plus, end - plus) || (end - plus > 2 && plus[0] == '0' && plus[1] == 'x' &&
					     is_hex(plus + 2, end - plus - 2))))
		end = plus - 1;
	if (end > s)
		frame_name__add(&e->text, s, end - s);
	else
		strbuf_addstr(&e->text, "[unknown]");
done:
	if (!e->in_stack) {
		e->n_stacks++;
		e->in_stack = true;
	}
	push_span(&e->frames, &e->n_frames, &e->cap_frames, off, e->text.len - off,
		  e->n_stacks - 1);
}

/* Add the ", "-separated scalar parts of the key in @s. */
static void add_scalars(struct bpf_entry *e, const char *s, size_t len)
{
	const char *end = s + len;

	while (s < end) {
		const char *comma = s, *stop;
		size_t off = e->text.len;

		while (comma + 1 < end && !(comma[0] == ',' && comma[1] == ' '))
			comma++;
		if (comma + 1 >= end)
			comma = end;
		stop = comma;
		while (stop > s && isspace((unsigned char)stop[-1]))
			stop--;
		while (s < stop && isspace((unsigned char)*s))
			s++;
		if (stop > s) {
			frame_name__add(&e->text, s, stop - s);
			push_span(&e->scalars, &e->n_scalars, &e->cap_scalars, off,
				  e->text.len - off, 0);
		}
		s = comma < end ? comma + 2 : end;
	}
}

/*
 * If @line ends an entry ("...]: VALUE"), set *key_len to the length before
 * "]" and return 1 with the value in *value, or return -1 for an entry whose
 * value is not a number ("]:" then a histogram, "]: (1, 2)").  0 otherwise.
 */
static int parse_terminator(const char *line, size_t len, size_t *key_len, double *value)
{
	const char *close = NULL, *p;
	char *num_end;
	size_t i;

	for (i = len; i-- > 0;) {
		if (line[i] == ']' && i + 1 < len && line[i + 1] == ':') {
			close = line + i;
			break;
		}
	}
	if (!close)
		return 0;
	*key_len = close - line;
	p = close + 2;
	while (*p == ' ')
		p++;
	if (p == line + len || !(isdigit((unsigned char)*p) || *p == '-'))
		return -1;
	*value = strtod(p, &num_end);
	if (num_end != line + len || !isfinite(*value))
		return -1;
	return 1;
}

/* Folded stack of the finished entry into @stack (empty when it has no stack). */
static void entry_stack(const struct bpf_entry *e, struct strbuf *stack)
{
	size_t i, st;

	strbuf_reset(stack);
	if (!e->n_stacks)
		return;
	for (i = 0; i < e->n_scalars; i++) {
		if (stack->len)
			strbuf_addch(stack, ';');
		strbuf_add(stack, e->text.buf + e->scalars[i].off, e->scalars[i].len);
	}
	for (st = e->n_stacks; st-- > 0;) {
		for (i = e->n_frames; i-- > 0;) {
			if (e->frames[i].stack != st)
				continue;
			if (stack->len)
				strbuf_addch(stack, ';');
			strbuf_add(stack, e->text.buf + e->frames[i].off, e->frames[i].len);
		}
	}
}

/* "@name[" at the start of @line: the length of that prefix, else 0. */
static size_t map_key_start(const char *line, size_t len)
{
	size_t i = 1;

	if (!len || line[0] != '@')
		return 0;
	while (i < len && (isalnum((unsigned char)line[i]) || line[i] == '_'))
		i++;
	return i < len && line[i] == '[' ? i + 1 : 0;
}

int collapse_bpftrace(const char *data, size_t len, const struct collapse_options *opts,
		      struct stack_counts *out, struct collapse_stats *stats)
{
	struct bpf_entry e = {.text = STRBUF_INIT};
	struct strbuf stack = STRBUF_INIT;
	const char *p = data, *end = data + len;
	bool in_entry = false;
	size_t key_len, start;
	double value;
	int term;

	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *line = p;
		size_t line_len = (nl ? nl : end) - p;

		p = nl ? nl + 1 : end;
		if (line_len && line[line_len - 1] == '\r')
			line_len--;

		start = map_key_start(line, line_len);
		if (start) {
			if (in_entry) /* the previous entry never ended */
				stats->skipped_lines += e.n_lines;
			entry_reset(&e);
			in_entry = true;
			e.n_lines = 1;
			term = parse_terminator(line + start, line_len - start, &key_len, &value);
			if (term) {
				/* a one-line entry has no stack in its key */
				stats->skipped_lines++;
				in_entry = false;
				continue;
			}
			add_scalars(&e, line + start, line_len - start);
			continue;
		}
		if (!in_entry) {
			if (line_len)
				stats->skipped_lines++;
			continue;
		}
		e.n_lines++;
		if (line_len && (line[0] == ',' || line[0] == ']')) {
			e.in_stack = false;
			term = parse_terminator(line, line_len, &key_len, &value);
			key_len = term ? key_len : line_len;
			if (key_len > 1)
				add_scalars(&e, line + 1, key_len - 1);
			if (!term)
				continue;
			in_entry = false;
			entry_stack(&e, &stack);
			if (term < 0 || !stack.len || value <= 0) {
				stats->skipped_lines += e.n_lines;
				continue;
			}
			stack_counts__add(out, stack.buf, stack.len, value);
			stats->samples++;
			continue;
		}
		add_frame(&e, line, line_len);
	}
	if (in_entry)
		stats->skipped_lines += e.n_lines;
	strbuf_release(&stack);
	entry_release(&e);
	return 0;
}
