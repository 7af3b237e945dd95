// SPDX-License-Identifier: Apache-2.0
#include "render/folded.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/line_reader.h"
#include "common/strtab.h"
#include "common/xalloc.h"

struct stack_rec {
	uint64_t off;  /* first frame id in the arena */
	uint32_t n;    /* frame count */
	uint32_t hash; /* of the ids, for the table */
	double weight;
	double delta;
	char sep;
	bool has_delta;
};

struct seq_rec {
	uint32_t stack;
	bool has_delta;
	double weight;
	double delta;
};

/*
 * Index over the names in the strtab, tuned for the parser's hot path: most
 * frames are names seen before, so a lookup is one hash of a short string and
 * one probe that usually settles on the first slot without touching the
 * strtab.
 */
struct name_slot {
	const char *str; /* the strtab's copy */
	uint32_t len;
	uint32_t id_plus1; /* 0: empty */
	uint64_t hash;
};

struct folded_profile {
	unsigned flags;
	struct strtab *names;
	struct name_slot *name_slots;
	size_t name_mask, nnames;

	uint32_t *arena; /* frame ids of every distinct stack, back to back */
	size_t arena_len, arena_cap;

	struct stack_rec *stacks;
	size_t nstacks, stacks_cap;
	uint32_t *slots; /* open addressing over stacks: index + 1, 0 = empty */
	size_t mask;

	struct seq_rec *seq;
	size_t nseq, seq_cap;

	uint32_t *scratch; /* ids of the line being parsed */
	size_t scratch_cap;

	size_t lines, ignored;
	double total;
	double before_total; /* of differential lines, to keep their deltas finite */
	bool differential;
};

struct folded_profile *folded_profile__new(unsigned flags)
{
	struct folded_profile *p = xcalloc(1, sizeof(*p));

	p->flags = flags;
	p->names = strtab__new();
	p->name_mask = 4095;
	p->name_slots = xcalloc(p->name_mask + 1, sizeof(*p->name_slots));
	p->mask = 4095;
	p->slots = xcalloc(p->mask + 1, sizeof(*p->slots));
	/*
	 * Never NULL, even while every stack is empty (" 5" or ";; 5"): stacks
	 * point into it, and NULL + 0 is undefined behaviour.
	 */
	p->arena_cap = 64;
	p->arena = xmalloc(p->arena_cap * sizeof(*p->arena));
	return p;
}

void folded_profile__free(struct folded_profile *p)
{
	if (!p)
		return;
	strtab__free(p->names);
	free(p->name_slots);
	free(p->arena);
	free(p->stacks);
	free(p->slots);
	free(p->seq);
	free(p->scratch);
	free(p);
}

/* Bytes @s[0..len) (len < 8) as a little-endian word. */
static inline uint64_t load_short(const char *s, size_t len)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < len; i++)
		w |= (uint64_t)(unsigned char)s[i] << (8 * i);
	return w;
}

static inline uint64_t load8(const char *s)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w;
}

/*
 * Names are short (typically 10-40 bytes): hash whole words, and for the tail
 * reload the last 8 bytes of the name (overlapping what was hashed) rather
 * than going byte by byte.
 */
static inline uint64_t name_hash(const char *s, size_t len)
{
	uint64_t h = len * 0x9e3779b97f4a7c15ULL, w;
	size_t i;

	if (len < 8) {
		w = load_short(s, len);
	} else {
		for (i = 0; i + 8 < len; i += 8) {
			h = (h ^ load8(s + i)) * 0xff51afd7ed558ccdULL;
			h ^= h >> 32;
		}
		w = load8(s + len - 8);
	}
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 29);
}

static inline bool same_bytes(const char *a, const char *b, size_t len)
{
	size_t i;

	if (len < 8)
		return load_short(a, len) == load_short(b, len);
	for (i = 0; i + 8 < len; i += 8)
		if (load8(a + i) != load8(b + i))
			return false;
	return load8(a + len - 8) == load8(b + len - 8);
}

static void grow_names(struct folded_profile *p)
{
	size_t mask = p->name_mask * 2 + 1, i;
	struct name_slot *slots = xcalloc(mask + 1, sizeof(*slots));

	for (i = 0; i <= p->name_mask; i++) {
		struct name_slot *s = &p->name_slots[i];
		size_t pos;

		if (!s->id_plus1)
			continue;
		pos = s->hash & mask;
		while (slots[pos].id_plus1)
			pos = (pos + 1) & mask;
		slots[pos] = *s;
	}
	free(p->name_slots);
	p->name_slots = slots;
	p->name_mask = mask;
}

static inline uint32_t intern_name(struct folded_profile *p, const char *name, size_t len)
{
	uint64_t h = name_hash(name, len);
	size_t pos = h & p->name_mask;
	struct name_slot *slot;
	uint32_t id;

	for (;;) {
		slot = &p->name_slots[pos];
		if (!slot->id_plus1)
			break;
		if (slot->hash == h && slot->len == len && same_bytes(slot->str, name, len))
			return slot->id_plus1 - 1;
		pos = (pos + 1) & p->name_mask;
	}
	id = strtab__intern(p->names, name, len);
	*slot = (struct name_slot){strtab__str(p->names, id, NULL), (uint32_t)len, id + 1, h};
	if (++p->nnames * 2 > p->name_mask + 1)
		grow_names(p);
	return id;
}

uint32_t folded_profile__intern(struct folded_profile *p, const char *name, size_t len)
{
	return intern_name(p, name, len);
}

const char *folded_profile__name(const struct folded_profile *p, uint32_t id, size_t *len)
{
	return strtab__str(p->names, id, len);
}

int64_t folded_profile__find_name(const struct folded_profile *p, const char *name, size_t len)
{
	return strtab__find(p->names, name, len);
}

size_t folded_profile__name_count(const struct folded_profile *p)
{
	return strtab__count(p->names);
}

static void grow_table(struct folded_profile *p)
{
	size_t mask = p->mask * 2 + 1, i;
	uint32_t *slots = xcalloc(mask + 1, sizeof(*slots));

	for (i = 0; i < p->nstacks; i++) {
		size_t pos = p->stacks[i].hash & mask;

		while (slots[pos])
			pos = (pos + 1) & mask;
		slots[pos] = (uint32_t)i + 1;
	}
	free(p->slots);
	p->slots = slots;
	p->mask = mask;
}

/* Two ids per multiply: stacks are long and this runs once per input line. */
static inline uint32_t stack_hash(const uint32_t *ids, size_t n)
{
	uint64_t h = n * 0x9e3779b97f4a7c15ULL, w;
	size_t i;

	for (i = 0; i + 2 <= n; i += 2) {
		memcpy(&w, ids + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (i < n)
		h = (h ^ ids[i]) * 0xff51afd7ed558ccdULL;
	return (uint32_t)fs_hash_mix(h);
}

/* Index of the stack @ids[0..n), created with weight 0 if new. */
static uint32_t find_or_add_stack(struct folded_profile *p, const uint32_t *ids, size_t n, char sep)
{
	uint32_t h = stack_hash(ids, n);
	size_t pos = h & p->mask;
	struct stack_rec *s;

	for (;;) {
		uint32_t slot = p->slots[pos];

		if (!slot)
			break;
		s = &p->stacks[slot - 1];
		if (s->hash == h && s->n == n && !memcmp(p->arena + s->off, ids, n * sizeof(*ids)))
			return slot - 1;
		pos = (pos + 1) & p->mask;
	}
	if (p->arena_len + n > p->arena_cap) {
		p->arena_cap = fs_grow_capacity(p->arena_cap, p->arena_len + n);
		p->arena = xreallocarray(p->arena, p->arena_cap, sizeof(*p->arena));
	}
	if (n)
		memcpy(p->arena + p->arena_len, ids, n * sizeof(*ids));
	if (p->nstacks == p->stacks_cap) {
		p->stacks_cap = fs_grow_capacity(p->stacks_cap, p->nstacks + 1);
		p->stacks = xreallocarray(p->stacks, p->stacks_cap, sizeof(*p->stacks));
	}
	s = &p->stacks[p->nstacks];
	*s = (struct stack_rec){.off = p->arena_len, .n = (uint32_t)n, .hash = h, .sep = sep};
	p->arena_len += n;
	p->slots[pos] = (uint32_t)++p->nstacks;
	if (p->nstacks * 4 > (p->mask + 1) * 3)
		grow_table(p);
	return (uint32_t)p->nstacks - 1;
}

static void add_stack(struct folded_profile *p, const uint32_t *ids, size_t n, double weight,
		      bool has_delta, double delta, char sep)
{
	uint32_t idx = find_or_add_stack(p, ids, n, sep);
	struct stack_rec *s = &p->stacks[idx];

	s->weight += weight;
	if (has_delta) {
		s->has_delta = true;
		s->delta += delta;
		p->differential = true;
	}
	p->total += weight;
	if (!(p->flags & FOLDED_KEEP_ORDER))
		return;
	if (p->nseq && p->seq[p->nseq - 1].stack == idx) {
		struct seq_rec *last = &p->seq[p->nseq - 1];

		last->weight += weight;
		last->delta += delta;
		last->has_delta |= has_delta;
		return;
	}
	if (p->nseq == p->seq_cap) {
		p->seq_cap = fs_grow_capacity(p->seq_cap, p->nseq + 1);
		p->seq = xreallocarray(p->seq, p->seq_cap, sizeof(*p->seq));
	}
	p->seq[p->nseq++] = (struct seq_rec){idx, has_delta, weight, has_delta ? delta : 0};
}

void folded_profile__add_ids(struct folded_profile *p, const uint32_t *ids, size_t n, double count)
{
	add_stack(p, ids, n, count, false, 0, ' ');
}

void folded_profile__add_diff_ids(struct folded_profile *p, const uint32_t *ids, size_t n,
				  double before, double after)
{
	add_stack(p, ids, n, after, true, after - before, ' ');
}

static uint32_t *scratch(struct folded_profile *p, size_t n)
{
	if (n > p->scratch_cap) {
		p->scratch_cap = fs_grow_capacity(p->scratch_cap, n);
		p->scratch = xreallocarray(p->scratch, p->scratch_cap, sizeof(*p->scratch));
	}
	return p->scratch;
}

void folded_profile__add(struct folded_profile *p, const char *const *frames, size_t n,
			 double count)
{
	uint32_t *ids = scratch(p, n);
	size_t i;

	for (i = 0; i < n; i++)
		ids[i] = folded_profile__intern(p, frames[i], strlen(frames[i]));
	add_stack(p, ids, n, count, false, 0, ' ');
}

void folded_profile__add_stack(struct folded_profile *p, const char *stack, size_t len,
			       double count)
{
	size_t n = 1, start = 0, i, k = 0;
	uint32_t *ids;

	for (i = 0; i < len; i++)
		n += stack[i] == ';';
	ids = scratch(p, n);
	for (i = 0; i <= len; i++) {
		if (i < len && stack[i] != ';')
			continue;
		ids[k++] = folded_profile__intern(p, stack + start, i - start);
		start = i + 1;
	}
	add_stack(p, ids, n, count, false, 0, ' ');
}

/* Perl's \s: what may separate the count from the stack. */
static inline bool perl_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static inline bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Value of a count matched by split_count(): digits with at most one '.'. */
static double count_value(const char *s, size_t len)
{
	char small[64], *copy = small;
	uint64_t v = 0;
	double d;
	size_t i;

	if (len <= 18 && !memchr(s, '.', len)) {
		for (i = 0; i < len; i++)
			v = v * 10 + (uint64_t)(s[i] - '0');
		return (double)v;
	}
	if (len >= sizeof(small))
		copy = xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	d = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return d;
}

/*
 * Match flamegraph.pl's /^(.*)\s+?(\d+(?:\.\d*)?)$/ against s[0..len):
 * the count is the trailing \d+(\.\d*)? and exactly one whitespace byte before
 * it belongs to the separator (the greedy (.*) keeps any others).
 */
static bool split_count(const char *s, size_t len, size_t *stack_len, double *count, char *sep)
{
	size_t p = len, start;

	while (p && digit(s[p - 1]))
		p--;
	if (p && s[p - 1] == '.') {
		size_t dot = p - 1;

		start = dot;
		while (start && digit(s[start - 1]))
			start--;
		if (start == dot)
			return false;
	} else {
		if (p == len)
			return false;
		start = p;
	}
	if (!start || !perl_space((unsigned char)s[start - 1]))
		return false;
	*count = count_value(s + start, len - start);
	*stack_len = start - 1;
	*sep = s[start - 1];
	return true;
}

bool folded_profile__add_line(struct folded_profile *p, const char *line, size_t len)
{
	double count, before = 0;
	bool has_delta = false;
	size_t stack_len, n = 0, cap;
	const char *s, *end;
	uint32_t *ids;
	char sep, sep2;

	p->lines++;
	if (len && line[len - 1] == '\r')
		len--;
	if (!split_count(line, len, &stack_len, &count, &sep)) {
		p->ignored++;
		return false;
	}
	if (split_count(line, stack_len, &stack_len, &before, &sep2)) {
		has_delta = true;
		sep = sep2;
	}
	/*
	 * A count beyond the range of a double (Perl reads it as Inf), or one
	 * that takes a total there, would make widths and colours Inf - Inf =
	 * NaN.  Bounded totals also bound every sum of AFTER - BEFORE.
	 */
	if (!isfinite(p->total + count) || !isfinite(p->before_total + before)) {
		p->ignored++;
		return false;
	}
	p->before_total += before;
	/* Perl's split drops trailing empty fields */
	while (stack_len && line[stack_len - 1] == ';')
		stack_len--;
	cap = 16;
	ids = scratch(p, cap);
	s = line;
	end = line + stack_len;
	while (s < end) {
		const char *semi = memchr(s, ';', end - s);
		const char *stop = semi ? semi : end;

		if (n == cap) {
			cap *= 2;
			ids = scratch(p, cap);
		}
		ids[n++] = intern_name(p, s, stop - s);
		s = stop + 1;
	}
	add_stack(p, ids, n, count, has_delta, has_delta ? count - before : 0, sep);
	return true;
}

void folded_profile__add_text(struct folded_profile *p, const char *text, size_t len)
{
	const char *end = text + len;

	while (text < end) {
		const char *nl = memchr(text, '\n', end - text);
		const char *stop = nl ? nl : end;

		folded_profile__add_line(p, text, stop - text);
		text = stop + 1;
	}
}

int folded_profile__read_fd(struct folded_profile *p, int fd)
{
	struct line_reader *r = line_reader__new_fd(fd);
	char *line;
	size_t len;
	int err;

	while ((err = line_reader__next(r, &line, &len)) > 0)
		folded_profile__add_line(p, line, len);
	line_reader__free(r);
	return err;
}

int folded_profile__read_file(struct folded_profile *p, const char *path)
{
	int fd, err;

	if (!strcmp(path, "-"))
		return folded_profile__read_fd(p, STDIN_FILENO);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* the kernel reads ahead more eagerly when it knows the access is sequential */
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	err = folded_profile__read_fd(p, fd);
	close(fd);
	return err;
}

void folded_profile__stats(const struct folded_profile *p, struct folded_stats *out)
{
	*out = (struct folded_stats){
		.lines = p->lines,
		.ignored_lines = p->ignored,
		.stacks = p->nstacks,
		.names = strtab__count(p->names),
		.total = p->total,
		.differential = p->differential,
	};
}

size_t folded_profile__stack_count(const struct folded_profile *p)
{
	return p->nstacks;
}

void folded_profile__stack(const struct folded_profile *p, size_t i, struct folded_stack *out)
{
	const struct stack_rec *s = &p->stacks[i];

	*out = (struct folded_stack){
		.frames = p->arena + s->off,
		.nframes = s->n,
		.sep = s->sep,
		.has_delta = s->has_delta,
		.weight = s->weight,
		.delta = s->delta,
	};
}

size_t folded_profile__sequence_len(const struct folded_profile *p)
{
	return p->nseq;
}

void folded_profile__sequence(const struct folded_profile *p, size_t i, struct folded_stack *out)
{
	const struct seq_rec *q = &p->seq[i];

	folded_profile__stack(p, q->stack, out);
	out->weight = q->weight;
	out->delta = q->delta;
	out->has_delta = q->has_delta;
}
