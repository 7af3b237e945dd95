/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_RENDER_FOLDED_H
#define FLAMESAMP_RENDER_FOLDED_H

/*
 * A profile of folded stacks: "frame;frame;frame COUNT" lines, or stacks
 * added one by one by a program, ready to be drawn by flamegraph__write().
 *
 * Frame names are interned (each distinct name stored once, with a dense
 * u32 id) and identical stacks are merged, so memory grows with the number of
 * distinct stacks, not with the input size.  Weights are doubles, as in the
 * Perl tools (fractional counts are kept).
 *
 * Text input follows flamegraph.pl: the count is the last whitespace-separated
 * field and must match \d+(\.\d*)?; the stack is everything before the
 * whitespace that precedes it (so frames may contain spaces).  A line whose
 * stack itself ends in such a count is differential ("stack BEFORE AFTER"):
 * its width is AFTER and its colour shows AFTER - BEFORE.  Trailing ';' are
 * dropped (Perl's split), one trailing '\r' is ignored (CRLF files), and lines
 * without a valid count - blank ones included - are skipped and counted.  A
 * count is not valid when it, or the total it adds to, exceeds the range of a
 * double (about 1.8e308), so weights and deltas stay finite.
 *
 * Ownership: the profile owns everything it stores; strings and arrays it
 * returns stay valid until the next add or folded_profile__free().
 * Not thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct folded_profile;

enum folded_profile_flags {
	/*
	 * Remember the input order of stacks as well (consecutive repeats
	 * merged).  Flame charts need it; flame graphs sort and do not.
	 */
	FOLDED_KEEP_ORDER = 1u << 0,
};

struct folded_stats {
	size_t lines;	      /* text lines seen by the parser */
	size_t ignored_lines; /* of those, lines skipped for having no valid count */
	size_t stacks;	      /* distinct stacks */
	size_t names;	      /* distinct frame names */
	double total;	      /* sum of all weights */
	bool differential;    /* some stack carries two counts */
};

/* A stack as the renderer sees it. */
struct folded_stack {
	const uint32_t *frames; /* root first; ids from folded_profile__intern() */
	uint32_t nframes;
	char sep;	/* whitespace byte that ended the stack in its line (' ' if added) */
	bool has_delta; /* came from a differential line */
	double weight;	/* width: the count, or AFTER for differential lines */
	double delta;	/* AFTER - BEFORE, summed (0 unless has_delta) */
};

struct folded_profile *folded_profile__new(unsigned flags);
void folded_profile__free(struct folded_profile *p);

/* --- adding stacks programmatically --- */

/* Id of a frame name (any bytes), adding it if new. */
uint32_t folded_profile__intern(struct folded_profile *p, const char *name, size_t len);
/* Add @count to the stack @ids[0..n) (root first). */
void folded_profile__add_ids(struct folded_profile *p, const uint32_t *ids, size_t n, double count);
/* Differential: width @after, colour from @after - @before. */
void folded_profile__add_diff_ids(struct folded_profile *p, const uint32_t *ids, size_t n,
				  double before, double after);
/* Convenience: NUL-terminated frame names, root first. */
void folded_profile__add(struct folded_profile *p, const char *const *frames, size_t n,
			 double count);

/* A stack as folded text without its count ("root;...;leaf", @len bytes; names hold no ';'). */
void folded_profile__add_stack(struct folded_profile *p, const char *stack, size_t len,
			       double count);

/* --- parsing folded text --- */

/* Parse one line (no '\n').  true if it was added, false if skipped as invalid. */
bool folded_profile__add_line(struct folded_profile *p, const char *line, size_t len);
/* Parse @len bytes of folded text. */
void folded_profile__add_text(struct folded_profile *p, const char *text, size_t len);
/* Read folded text from @fd (not closed) until end of file.  0, or -errno on a read error. */
int folded_profile__read_fd(struct folded_profile *p, int fd);
/* Read a file ("-" is standard input).  0, or -errno (open or read failure). */
int folded_profile__read_file(struct folded_profile *p, const char *path);

/* --- reading the profile back --- */

void folded_profile__stats(const struct folded_profile *p, struct folded_stats *out);
/* Name of frame @id; @len may be NULL.  The string is NUL-terminated. */
const char *folded_profile__name(const struct folded_profile *p, uint32_t id, size_t *len);
/* Id of @name, or -1 if no frame has that name. */
int64_t folded_profile__find_name(const struct folded_profile *p, const char *name, size_t len);
size_t folded_profile__name_count(const struct folded_profile *p);

/* Distinct stacks, in order of first appearance. */
size_t folded_profile__stack_count(const struct folded_profile *p);
void folded_profile__stack(const struct folded_profile *p, size_t i, struct folded_stack *out);

/*
 * With FOLDED_KEEP_ORDER: the stacks in input order, a run of identical
 * consecutive stacks being one entry with the run's weight and delta.
 * Returns 0 entries without the flag.
 */
size_t folded_profile__sequence_len(const struct folded_profile *p);
void folded_profile__sequence(const struct folded_profile *p, size_t i, struct folded_stack *out);

#endif
