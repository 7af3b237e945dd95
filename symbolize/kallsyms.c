// SPDX-License-Identifier: Apache-2.0
#include "symbolize/kallsyms.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/number.h"
#include "common/line_reader.h"
#include "common/strbuf.h"
#include "common/strtab.h"
#include "common/xalloc.h"

#define NO_MODULE UINT32_MAX

struct ksym {
	uint64_t addr;
	uint32_t name;	 /* offset in names */
	uint32_t module; /* strtab id, or NO_MODULE */
};

/* A parsed line, kept with what the choice between aliases needs. */
struct kline {
	struct ksym sym;
	uint32_t lineno;
	uint8_t rank; /* T, W, t, w */
};

struct kallsyms {
	struct ksym *syms;
	size_t nsyms;
	char *names;
	struct strtab *modules;
	bool hidden;
};

/* While parsing: names grow in a strbuf (so offsets, not pointers). */
struct kallsyms_builder {
	struct kline *lines;
	size_t n, cap;
	struct strbuf names;
	struct strtab *modules;
	bool any_line, any_address;
	int err;
};

static int cmp_kline(const void *pa, const void *pb)
{
	const struct kline *a = pa, *b = pb;

	if (a->sym.addr != b->sym.addr)
		return (a->sym.addr > b->sym.addr) - (a->sym.addr < b->sym.addr);
	if (a->rank != b->rank)
		return (a->rank > b->rank) - (a->rank < b->rank);
	return (a->lineno > b->lineno) - (a->lineno < b->lineno);
}

static int type_rank(char type)
{
	switch (type) {
	case 'T':
		return 0;
	case 'W':
		return 1;
	case 't':
		return 2;
	case 'w':
		return 3;
	default:
		return -1;
	}
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "ADDRESS TYPE NAME[\t[MODULE]]"; anything else is skipped. */
static void parse_line(struct kallsyms_builder *b, const char *s, size_t len)
{
	const char *end = s + len, *name, *mod;
	size_t ndigits = 0, name_len;
	uint64_t addr = 0;
	struct kline *k;
	int rank, d;
	char type;

	while (s < end && (d = fs_hex_digit(*s)) >= 0) {
		if (++ndigits > 16)
			return;
		addr = addr << 4 | (uint64_t)d;
		s++;
	}
	if (!ndigits || end - s < 3 || !is_blank(s[0]) || !is_blank(s[2]))
		return;
	type = s[1];
	s += 3;
	b->any_line = true;
	if (addr)
		b->any_address = true;
	rank = type_rank(type);
	if (rank < 0)
		return;
	name = s;
	while (s < end && !is_blank(*s) && *s != '\r')
		s++;
	name_len = (size_t)(s - name);
	if (!name_len)
		return;
	while (s < end && is_blank(*s))
		s++;
	mod = NULL;
	if (s < end && *s == '[') {
		mod = ++s;
		while (s < end && *s != ']')
			s++;
	}
	if (b->names.len + name_len + 1 > UINT32_MAX || b->n >= UINT32_MAX) {
		b->err = -EFBIG;
		return;
	}
	if (b->n == b->cap) {
		b->cap = fs_grow_capacity(b->cap, b->n + 1);
		b->lines = xreallocarray(b->lines, b->cap, sizeof(*b->lines));
	}
	k = &b->lines[b->n];
	k->sym.addr = addr;
	k->sym.name = (uint32_t)b->names.len;
	k->sym.module = mod ? strtab__intern(b->modules, mod, (size_t)(s - mod)) : NO_MODULE;
	k->lineno = (uint32_t)b->n;
	k->rank = (uint8_t)rank;
	b->n++;
	strbuf_add(&b->names, name, name_len);
	strbuf_addch(&b->names, '\0');
}

static struct kallsyms *finish(struct kallsyms_builder *b)
{
	struct kallsyms *ks;
	size_t i;

	if (b->err) {
		free(b->lines);
		strbuf_release(&b->names);
		strtab__free(b->modules);
		errno = -b->err;
		return NULL;
	}
	ks = xcalloc(1, sizeof(*ks));
	ks->modules = b->modules;
	ks->names = strbuf_detach(&b->names, NULL);
	ks->hidden = b->any_line && !b->any_address;
	if (!ks->hidden && b->n) {
		/* mostly sorted already, but module symbols are not */
		qsort(b->lines, b->n, sizeof(*b->lines), cmp_kline);
		ks->syms = xreallocarray(NULL, b->n, sizeof(*ks->syms));
		for (i = 0; i < b->n; i++)
			if (!i || b->lines[i].sym.addr != b->lines[i - 1].sym.addr)
				ks->syms[ks->nsyms++] = b->lines[i].sym;
	}
	free(b->lines);
	return ks;
}

static void builder_init(struct kallsyms_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->modules = strtab__new();
}

struct kallsyms *kallsyms__parse(const char *data, size_t len)
{
	const char *end = data + len;
	struct kallsyms_builder b;

	builder_init(&b);
	while (data < end && !b.err) {
		const char *nl = memchr(data, '\n', (size_t)(end - data));
		size_t n = nl ? (size_t)(nl - data) : (size_t)(end - data);

		parse_line(&b, data, n);
		data += n + (nl ? 1 : 0);
	}
	return finish(&b);
}

struct kallsyms *kallsyms__load(const char *path)
{
	struct kallsyms_builder b;
	struct line_reader *r;
	char *line;
	size_t len;
	int ret = 0;

	r = line_reader__open(path ? path : "/proc/kallsyms");
	if (!r)
		return NULL;
	builder_init(&b);
	while (!b.err && (ret = line_reader__next(r, &line, &len)) > 0)
		parse_line(&b, line, len);
	if (!b.err && ret < 0)
		b.err = ret;
	line_reader__free(r);
	return finish(&b);
}

void kallsyms__free(struct kallsyms *ks)
{
	if (!ks)
		return;
	free(ks->syms);
	free(ks->names);
	strtab__free(ks->modules);
	free(ks);
}

size_t kallsyms__count(const struct kallsyms *ks)
{
	return ks->nsyms;
}

bool kallsyms__hidden(const struct kallsyms *ks)
{
	return ks->hidden;
}

long kallsyms__find(const struct kallsyms *ks, uint64_t addr)
{
	const struct ksym *base = ks->syms;
	size_t n = ks->nsyms;

	if (!n || base[0].addr > addr)
		return -1;
	/* the last symbol <= addr, branch-free */
	while (n > 1) {
		size_t half = n / 2;

		base = base[half].addr <= addr ? base + half : base;
		n -= half;
	}
	return base - ks->syms;
}

const char *kallsyms__name(const struct kallsyms *ks, size_t idx)
{
	return ks->names + ks->syms[idx].name;
}

const char *kallsyms__module(const struct kallsyms *ks, size_t idx)
{
	if (ks->syms[idx].module == NO_MODULE)
		return NULL;
	return strtab__str(ks->modules, ks->syms[idx].module, NULL);
}

uint64_t kallsyms__addr(const struct kallsyms *ks, size_t idx)
{
	return ks->syms[idx].addr;
}
