// SPDX-License-Identifier: Apache-2.0
#include "symbolize/dwarf_reader.h"

#include <dwarf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/u64_map.h"
#include "common/xalloc.h"

/*
 * Where libdw's rules matter, they are those of elfutils 0.188 (the one
 * dwarf_info's libdw walk runs on): dwarf_ranges, dwarf_lowpc/highpc,
 * dwarf_formudata/formaddr/formstring/formref_die, dwarf_attr_integrate,
 * dwarf_siblingof.  Anything this file does not reproduce is an error.
 */

/* Errors: -ENOTSUP for what is left to libdw, -EINVAL for what is malformed. */
#define UNSUPPORTED (-ENOTSUP)
#define MALFORMED   (-EINVAL)

/* ---- bounded reads ---- */

/* An unsigned LEB128 of at most 10 bytes before @end; false when there is none. */
static inline bool read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	unsigned int shift = 0, i;

	if (q < end && *q < 0x80) {
		*v = *q;
		*p = q + 1;
		return true;
	}
	for (i = 0; i < 10 && q < end; i++, shift += 7) {
		uint8_t b = *q++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			*p = q;
			return true;
		}
	}
	return false;
}

static bool read_sleb(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = 0;
	unsigned int shift = 0, i;

	for (i = 0; i < 10 && q < end; i++) {
		uint8_t b = *q++;

		x |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				x |= ~(uint64_t)0 << shift;
			*v = (int64_t)x;
			*p = q;
			return true;
		}
	}
	return false;
}

/* A little-endian unsigned integer of @size bytes (1 to 8) at @p, in bounds. */
static inline uint64_t get_le(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	switch (size) {
	case 1:
		return p[0];
	case 2:
		return (uint64_t)p[0] | (uint64_t)p[1] << 8;
	case 4: {
		uint32_t w;

		memcpy(&w, p, 4);
		return w;
	}
	case 8:
		memcpy(&v, p, 8);
		return v;
	default:
		while (size--)
			v = v << 8 | p[size];
		return v;
	}
}

static inline bool read_le(const uint8_t **p, const uint8_t *end, unsigned int size, uint64_t *v)
{
	if ((size_t)(end - *p) < size)
		return false;
	*v = get_le(*p, size);
	*p += size;
	return true;
}

/* The attributes read from DIEs, by slot. */
enum {
	AT_LOW_PC,
	AT_HIGH_PC,
	AT_RANGES,
	AT_ORIGIN,
	AT_SPECIFICATION,
	AT_CALL_FILE,
	AT_CALL_LINE,
	AT_NAME,
	AT_LINKAGE_NAME,
	AT_MIPS_LINKAGE_NAME,
	AT_SIBLING,
	AT_STMT_LIST,
	AT_COMP_DIR,
	AT_ENTRY_PC,
	AT_ADDR_BASE,
	AT_GNU_ADDR_BASE,
	AT_STR_OFFSETS_BASE,
	AT_RNGLISTS_BASE,
	AT_SLOTS,
};

static int attr_slot(uint32_t name)
{
	switch (name) {
	case DW_AT_low_pc:
		return AT_LOW_PC;
	case DW_AT_high_pc:
		return AT_HIGH_PC;
	case DW_AT_ranges:
		return AT_RANGES;
	case DW_AT_abstract_origin:
		return AT_ORIGIN;
	case DW_AT_specification:
		return AT_SPECIFICATION;
	case DW_AT_call_file:
		return AT_CALL_FILE;
	case DW_AT_call_line:
		return AT_CALL_LINE;
	case DW_AT_name:
		return AT_NAME;
	case DW_AT_linkage_name:
		return AT_LINKAGE_NAME;
	case DW_AT_MIPS_linkage_name:
		return AT_MIPS_LINKAGE_NAME;
	case DW_AT_sibling:
		return AT_SIBLING;
	case DW_AT_stmt_list:
		return AT_STMT_LIST;
	case DW_AT_comp_dir:
		return AT_COMP_DIR;
	case DW_AT_entry_pc:
		return AT_ENTRY_PC;
	case DW_AT_addr_base:
		return AT_ADDR_BASE;
	case DW_AT_GNU_addr_base:
		return AT_GNU_ADDR_BASE;
	case DW_AT_str_offsets_base:
		return AT_STR_OFFSETS_BASE;
	case DW_AT_rnglists_base:
		return AT_RNGLISTS_BASE;
	default:
		return -1;
	}
}

/* ---- abbreviations ---- */

struct abbrev_attr {
	uint32_t name, form;
	int64_t implicit; /* DW_FORM_implicit_const */
	int slot;	  /* attr_slot(name) */
};

struct abbrev {
	uint32_t code, tag;
	uint32_t first, nattrs; /* attrs[first, + nattrs) */
	bool children;
	/* the values' bytes when every form has a fixed size in the table's unit format, else -1 */
	int32_t fixed;
	/* DW_AT_sibling: the byte offset of its value when the ones before have fixed sizes */
	int32_t sibling_at;
	uint32_t sibling_form;
	bool has_sibling;
};

/* One abbreviation table, for one unit format (fixed sizes depend on it). */
struct abbrev_table {
	uint64_t offset;
	uint16_t version;
	uint8_t address_size, offset_size;
	struct abbrev *v;
	size_t n;
	uint32_t *by_code; /* code -> index + 1, for codes up to max_code; else NULL */
	uint32_t max_code;
	struct u64_map sparse; /* code -> index + 1 (as a pointer) without by_code */
	struct abbrev_attr *attrs;
	size_t nattrs;
	struct abbrev_table *next; /* another format at the same offset */
};

/* The size of a form's value that does not depend on the value; -1 when it does or is unknown. */
static int form_fixed_size(uint32_t form, uint16_t version, uint8_t address_size,
			   uint8_t offset_size)
{
	switch (form) {
	case DW_FORM_flag_present:
	case DW_FORM_implicit_const:
		return 0;
	case DW_FORM_flag:
	case DW_FORM_data1:
	case DW_FORM_ref1:
	case DW_FORM_addrx1:
	case DW_FORM_strx1:
		return 1;
	case DW_FORM_data2:
	case DW_FORM_ref2:
	case DW_FORM_addrx2:
	case DW_FORM_strx2:
		return 2;
	case DW_FORM_addrx3:
	case DW_FORM_strx3:
		return 3;
	case DW_FORM_data4:
	case DW_FORM_ref4:
	case DW_FORM_ref_sup4:
	case DW_FORM_addrx4:
	case DW_FORM_strx4:
		return 4;
	case DW_FORM_data8:
	case DW_FORM_ref8:
	case DW_FORM_ref_sig8:
	case DW_FORM_ref_sup8:
		return 8;
	case DW_FORM_data16:
		return 16;
	case DW_FORM_addr:
		return address_size;
	case DW_FORM_ref_addr:
		return version == 2 ? address_size : offset_size;
	case DW_FORM_strp:
	case DW_FORM_strp_sup:
	case DW_FORM_line_strp:
	case DW_FORM_sec_offset:
	case DW_FORM_GNU_ref_alt:
	case DW_FORM_GNU_strp_alt:
		return offset_size;
	default:
		return -1;
	}
}

/*
 * Skip the value of @form at *@p, before @end.  0, or an error: a form of
 * unknown size (DW_FORM_indirect included), or a value past @end.
 */
static int skip_form(uint32_t form, const struct abbrev_table *t, const uint8_t **p,
		     const uint8_t *end)
{
	int fixed = form_fixed_size(form, t->version, t->address_size, t->offset_size);
	const uint8_t *nul;
	uint64_t len;

	if (fixed >= 0) {
		if ((size_t)(end - *p) < (size_t)fixed)
			return MALFORMED;
		*p += fixed;
		return 0;
	}
	switch (form) {
	case DW_FORM_sdata:
	case DW_FORM_udata:
	case DW_FORM_ref_udata:
	case DW_FORM_addrx:
	case DW_FORM_loclistx:
	case DW_FORM_rnglistx:
	case DW_FORM_strx:
	case DW_FORM_GNU_addr_index:
	case DW_FORM_GNU_str_index:
		return read_uleb(p, end, &len) ? 0 : MALFORMED;
	case DW_FORM_string:
		nul = memchr(*p, 0, (size_t)(end - *p));
		if (!nul)
			return MALFORMED;
		*p = nul + 1;
		return 0;
	case DW_FORM_block1:
		if (!read_le(p, end, 1, &len))
			return MALFORMED;
		break;
	case DW_FORM_block2:
		if (!read_le(p, end, 2, &len))
			return MALFORMED;
		break;
	case DW_FORM_block4:
		if (!read_le(p, end, 4, &len))
			return MALFORMED;
		break;
	case DW_FORM_block:
	case DW_FORM_exprloc:
		if (!read_uleb(p, end, &len))
			return MALFORMED;
		break;
	default:
		return UNSUPPORTED; /* DW_FORM_indirect, and forms libdw does not know either */
	}
	if (len > (uint64_t)(end - *p))
		return MALFORMED;
	*p += len;
	return 0;
}

static void abbrev_table__free(struct abbrev_table *t)
{
	while (t) {
		struct abbrev_table *next = t->next;

		free(t->v);
		free(t->by_code);
		u64_map__release(&t->sparse);
		free(t->attrs);
		free(t);
		t = next;
	}
}

/* Codes up to this are mapped by a dense array (producers number them from 1). */
#define DENSE_CODES 65536

/*
 * The table at @offset of .debug_abbrev, read to its terminating 0 code,
 * or NULL when it is malformed (then its units go to libdw) or has a code
 * twice (which libdw would take as invalid only once it reached it).
 */
static struct abbrev_table *abbrev_table__read(const struct dwarf_section *sec, uint64_t offset,
					       const struct dwarf_unit_header *h)
{
	struct abbrev_table *t = xcalloc(1, sizeof(*t));
	const uint8_t *p, *end;
	size_t cap = 0, attrs_cap = 0, i;

	t->offset = offset;
	t->version = h->version;
	t->address_size = h->address_size;
	t->offset_size = h->offset_size;
	if (offset >= sec->size)
		goto bad;
	p = sec->data + offset;
	end = sec->data + sec->size;
	for (;;) {
		struct abbrev *a;
		uint64_t code, tag, name, form;
		int64_t offset_in_die = 0;

		if (p >= end)
			goto bad;
		if (*p == 0)
			break; /* past the last entry */
		if (!read_uleb(&p, end, &code) || !code || code > UINT32_MAX)
			goto bad;
		if (t->n == cap) {
			cap = cap ? 2 * cap : 64;
			t->v = xreallocarray(t->v, cap, sizeof(*t->v));
		}
		a = &t->v[t->n++];
		memset(a, 0, sizeof(*a));
		a->code = (uint32_t)code;
		if (p >= end || !read_uleb(&p, end, &tag) || tag > UINT32_MAX || end - p < 2)
			goto bad;
		a->tag = (uint32_t)tag;
		a->children = *p++ == DW_CHILDREN_yes;
		a->first = (uint32_t)t->nattrs;
		a->sibling_at = -1;
		for (;;) {
			struct abbrev_attr *at;
			int64_t implicit = 0;
			int size;

			if (p >= end || !read_uleb(&p, end, &name) || p >= end ||
			    !read_uleb(&p, end, &form) || name > UINT32_MAX || form > UINT32_MAX)
				goto bad;
			if (form == DW_FORM_implicit_const &&
			    (p >= end || !read_sleb(&p, end, &implicit)))
				goto bad;
			if (!name && !form)
				break;
			if (t->nattrs == attrs_cap) {
				attrs_cap = attrs_cap ? 2 * attrs_cap : 256;
				t->attrs = xreallocarray(t->attrs, attrs_cap, sizeof(*t->attrs));
			}
			at = &t->attrs[t->nattrs++];
			*at = (struct abbrev_attr){(uint32_t)name, (uint32_t)form, implicit,
						   attr_slot((uint32_t)name)};
			a->nattrs++;
			if (name == DW_AT_sibling && !a->has_sibling) {
				a->has_sibling = true;
				a->sibling_form = (uint32_t)form;
				if (offset_in_die >= 0 && offset_in_die <= INT32_MAX)
					a->sibling_at = (int32_t)offset_in_die;
			}
			size = form_fixed_size((uint32_t)form, h->version, h->address_size,
					       h->offset_size);
			if (size < 0 || offset_in_die < 0)
				offset_in_die = -1;
			else
				offset_in_die += size;
		}
		a->fixed = offset_in_die >= 0 && offset_in_die <= INT32_MAX ? (int32_t)offset_in_die
									    : -1;
		if (a->code > t->max_code)
			t->max_code = a->code;
	}
	if (t->max_code <= DENSE_CODES) {
		t->by_code = xcalloc((size_t)t->max_code + 1, sizeof(*t->by_code));
		for (i = 0; i < t->n; i++) {
			if (t->by_code[t->v[i].code])
				goto bad;
			t->by_code[t->v[i].code] = (uint32_t)i + 1;
		}
	} else {
		for (i = 0; i < t->n; i++) {
			if (u64_map__get(&t->sparse, t->v[i].code))
				goto bad;
			u64_map__set(&t->sparse, t->v[i].code, (void *)(uintptr_t)(i + 1));
		}
	}
	return t;
bad:
	abbrev_table__free(t);
	return NULL;
}

static inline const struct abbrev *abbrev_find(const struct abbrev_table *t, uint64_t code)
{
	uintptr_t i;

	if (t->by_code)
		return code <= t->max_code && t->by_code[code] ? &t->v[t->by_code[code] - 1] : NULL;
	i = (uintptr_t)u64_map__get(&t->sparse, code);
	return i ? &t->v[i - 1] : NULL;
}

/* ---- unit headers ---- */

/* The tag of the DIE at @die of a unit whose abbreviations are at @offset, and a GNU_dwo_id. */
static int unit_die_tag(const struct dwarf_sections *s, const struct dwarf_unit_header *h,
			uint32_t *tag, bool *dwo)
{
	const uint8_t *p = s->info.data + h->die, *end = s->info.data + h->end;
	struct abbrev_table *t;
	const struct abbrev *a;
	uint64_t code;
	uint32_t i;

	if (!read_uleb(&p, end, &code) || !code)
		return UNSUPPORTED;
	t = abbrev_table__read(&s->abbrev, h->abbrev_offset, h);
	if (!t)
		return UNSUPPORTED;
	a = abbrev_find(t, code);
	if (!a) {
		abbrev_table__free(t);
		return UNSUPPORTED;
	}
	*tag = a->tag;
	*dwo = false;
	for (i = 0; i < a->nattrs; i++)
		if (t->attrs[a->first + i].name == DW_AT_GNU_dwo_id)
			*dwo = true;
	abbrev_table__free(t);
	return 0;
}

int dwarf_reader__units(const struct dwarf_sections *s, struct dwarf_unit_header **units, size_t *n)
{
	const uint8_t *data = s->info.data;
	size_t size = s->info.size, cap = 0;
	uint64_t off = 0;
	int err = 0;

	*units = NULL;
	*n = 0;
	/* libdw stops where fewer than 5 bytes are left */
	while (off + 4 < size) {
		const uint8_t *p = data + off, *end = data + size;
		struct dwarf_unit_header h = {.offset = off};
		uint64_t length, v;

		length = get_le(p, 4);
		p += 4;
		h.offset_size = 4;
		if (length == 0xffffffff) {
			if (!read_le(&p, end, 8, &length))
				goto unsupported;
			h.offset_size = 8;
		} else if (length >= 0xfffffff0) {
			goto unsupported;
		}
		if (length > (uint64_t)(end - p))
			goto unsupported; /* libdw would cut the unit at the section's end */
		h.end = (uint64_t)(p - data) + length;
		end = data + h.end;
		if (!read_le(&p, end, 2, &v) || v < 2 || v > 5)
			goto unsupported;
		h.version = (uint16_t)v;
		if (h.version >= 5) {
			if (!read_le(&p, end, 1, &v))
				goto unsupported;
			h.unit_type = (uint8_t)v;
			if (!read_le(&p, end, 1, &v))
				goto unsupported;
			h.address_size = (uint8_t)v;
			if (!read_le(&p, end, h.offset_size, &h.abbrev_offset))
				goto unsupported;
			if (h.unit_type == DW_UT_type) {
				/* type signature and type offset: never code */
				if (!read_le(&p, end, 8, &v) ||
				    !read_le(&p, end, h.offset_size, &v))
					goto unsupported;
			} else if (h.unit_type != DW_UT_compile && h.unit_type != DW_UT_partial) {
				goto unsupported; /* split DWARF, unknown types */
			}
		} else {
			if (!read_le(&p, end, h.offset_size, &h.abbrev_offset) ||
			    !read_le(&p, end, 1, &v))
				goto unsupported;
			h.address_size = (uint8_t)v;
		}
		if ((h.address_size != 4 && h.address_size != 8) || p >= end ||
		    h.abbrev_offset >= s->abbrev.size)
			goto unsupported;
		h.die = (uint64_t)(p - data);
		if (h.version < 5) {
			uint32_t tag;
			bool dwo;

			/* libdw tells the unit type from the unit DIE's tag */
			if (unit_die_tag(s, &h, &tag, &dwo) < 0 || dwo)
				goto unsupported;
			h.unit_type = tag == DW_TAG_partial_unit ? DW_UT_partial
				      : tag == DW_TAG_type_unit	 ? DW_UT_type
								 : DW_UT_compile;
		}
		if (*n == cap) {
			cap = cap ? 2 * cap : 64;
			*units = xreallocarray(*units, cap, sizeof(**units));
		}
		(*units)[(*n)++] = h;
		off = h.end;
	}
	return 0;
unsupported:
	err = UNSUPPORTED;
	free(*units);
	*units = NULL;
	*n = 0;
	return err;
}

/* ---- units and DIEs ---- */

/* An attribute of a DIE: its form and where its value is (NULL: absent). */
struct attr {
	const uint8_t *val;
	uint32_t form;
	int64_t implicit;
};

struct die {
	uint64_t offset;
	const struct abbrev *abbrev;
	const uint8_t *children; /* past the attributes */
	struct attr at[AT_SLOTS];
};

/* A unit being read, with what its unit DIE says about the others. */
struct unit {
	const struct dwarf_sections *s;
	const struct dwarf_unit_header *h;
	const uint8_t *start, *end; /* its bytes in .debug_info */
	const struct abbrev_table *abbrevs;
	uint64_t addr_base, str_off_base, rnglists_base, base_address;
	bool ready;
	int err; /* what reading its unit DIE gave */
};

struct dwarf_reader {
	const struct dwarf_sections *s;
	const struct dwarf_unit_header *headers;
	size_t nheaders;
	struct unit *units;	/* by header index, filled in as units are used */
	struct u64_map abbrevs; /* .debug_abbrev offset -> struct abbrev_table (NULL: bad) */
	struct u64_map names;	/* DIE offset -> resolved name, or &no_name */
};

static const char no_name[] = "";
static struct abbrev_table bad_table;

struct dwarf_reader *dwarf_reader__new(const struct dwarf_sections *s,
				       const struct dwarf_unit_header *units, size_t nunits)
{
	struct dwarf_reader *r = xcalloc(1, sizeof(*r));

	r->s = s;
	r->headers = units;
	r->nheaders = nunits;
	r->units = xcalloc(nunits ? nunits : 1, sizeof(*r->units));
	return r;
}

void dwarf_reader__free(struct dwarf_reader *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; r->abbrevs.slots && i <= r->abbrevs.mask; i++)
		if (r->abbrevs.slots[i].value && r->abbrevs.slots[i].value != &bad_table)
			abbrev_table__free(r->abbrevs.slots[i].value);
	u64_map__release(&r->abbrevs);
	u64_map__release(&r->names);
	free(r->units);
	free(r);
}

/* The abbreviations of the unit @h, read once per offset and format; NULL when malformed. */
static const struct abbrev_table *abbrevs_of(struct dwarf_reader *r,
					     const struct dwarf_unit_header *h)
{
	struct abbrev_table *first = u64_map__get(&r->abbrevs, h->abbrev_offset), *t;

	if (first == &bad_table)
		return NULL;
	for (t = first; t; t = t->next)
		if (t->version == h->version && t->address_size == h->address_size &&
		    t->offset_size == h->offset_size)
			return t;
	t = abbrev_table__read(&r->s->abbrev, h->abbrev_offset, h);
	if (!t) {
		if (!first)
			u64_map__set(&r->abbrevs, h->abbrev_offset, &bad_table);
		return NULL;
	}
	if (first) {
		t->next = first->next;
		first->next = t;
	} else {
		u64_map__set(&r->abbrevs, h->abbrev_offset, t);
	}
	return t;
}

/*
 * The attributes of the DIE at *@p (its code read already: @a), the ones
 * with a slot into @d (the first of each name, as dwarf_attr() finds it),
 * *@p left past them.
 */
static int read_attrs(const struct unit *u, const struct abbrev *a, const uint8_t **p,
		      struct die *d)
{
	const struct abbrev_attr *at = a->nattrs ? &u->abbrevs->attrs[a->first] : NULL;
	uint32_t i;
	int err;

	memset(d->at, 0, sizeof(d->at));
	d->abbrev = a;
	for (i = 0; i < a->nattrs; i++) {
		int slot = at[i].slot;

		if (slot >= 0 && !d->at[slot].val) {
			d->at[slot].val = *p;
			d->at[slot].form = at[i].form;
			d->at[slot].implicit = at[i].implicit;
		}
		err = skip_form(at[i].form, u->abbrevs, p, u->end);
		if (err)
			return err;
	}
	d->children = *p;
	return 0;
}

/* The DIE at @p (in @u): 0 and *@d, or an error (a null entry is one). */
static int read_die(const struct unit *u, const uint8_t *p, struct die *d)
{
	const struct abbrev *a;
	uint64_t code;

	d->offset = (uint64_t)(p - u->start) + u->h->offset;
	if (p >= u->end || !*p || !read_uleb(&p, u->end, &code))
		return MALFORMED;
	a = abbrev_find(u->abbrevs, code);
	if (!a)
		return MALFORMED;
	return read_attrs(u, a, &p, d);
}

/* dwarf_formudata() for the attributes and forms producers use; other forms are errors. */
static int attr_udata(const struct unit *u, const struct attr *at, uint64_t *v)
{
	const uint8_t *p = at->val;

	switch (at->form) {
	case DW_FORM_data1:
		*v = get_le(p, 1);
		return 0;
	case DW_FORM_data2:
		*v = get_le(p, 2);
		return 0;
	case DW_FORM_data4:
		*v = get_le(p, 4);
		return 0;
	case DW_FORM_data8:
		*v = get_le(p, 8);
		return 0;
	case DW_FORM_udata:
		return read_uleb(&p, u->end, v) ? 0 : MALFORMED;
	case DW_FORM_sdata: {
		int64_t s;

		if (!read_sleb(&p, u->end, &s))
			return MALFORMED;
		*v = (uint64_t)s;
		return 0;
	}
	case DW_FORM_implicit_const:
		*v = (uint64_t)at->implicit;
		return 0;
	default:
		return UNSUPPORTED;
	}
}

/*
 * An offset into @sec (DW_FORM_sec_offset, or data4/data8 before DWARF 4,
 * as dwarf_formudata() reads pointer classes): 0 and *@off when it is inside
 * the section, -ENOENT when it is not (libdw's "no value"), another error
 * for a form of another class.
 */
static int attr_sec_offset(const struct unit *u, const struct attr *at,
			   const struct dwarf_section *sec, uint64_t *off)
{
	switch (at->form) {
	case DW_FORM_sec_offset:
		*off = get_le(at->val, u->h->offset_size);
		break;
	case DW_FORM_data4:
	case DW_FORM_data8:
		if (u->h->version >= 4)
			return UNSUPPORTED; /* a constant then */
		*off = get_le(at->val, at->form == DW_FORM_data4 ? 4 : 8);
		break;
	default:
		return UNSUPPORTED;
	}
	return sec->size && *off < sec->size ? 0 : -ENOENT;
}

/*
 * An attribute of the pointer classes (stmt_list, *_base, ranges) as
 * dwarf_formudata() reads it: DW_FORM_sec_offset (and data4/data8 before
 * DWARF 4) must point inside @sec, else -ENOENT (libdw's "no value"); other
 * constants are taken as they are.
 */
static int attr_pointer(const struct unit *u, const struct attr *at,
			const struct dwarf_section *sec, uint64_t *v)
{
	int err = attr_sec_offset(u, at, sec, v);

	return err == UNSUPPORTED ? attr_udata(u, at, v) : err;
}

/* __libdw_addrx(): entry @idx of the unit's part of .debug_addr. */
static int addrx(const struct unit *u, uint64_t idx, uint64_t *addr)
{
	const struct dwarf_section *sec = &u->s->addr;
	uint64_t size = u->h->address_size;

	if (!sec->size || size > sec->size || u->addr_base > sec->size - size ||
	    idx > (sec->size - size - u->addr_base) / size)
		return MALFORMED;
	*addr = get_le(sec->data + u->addr_base + idx * size, (unsigned int)size);
	return 0;
}

/* dwarf_formaddr(): 0 and *@addr, -ENOENT for a form that is no address, or an error. */
static int attr_addr(const struct unit *u, const struct attr *at, uint64_t *addr)
{
	const uint8_t *p = at->val;
	uint64_t idx;

	switch (at->form) {
	case DW_FORM_addr:
		*addr = get_le(p, u->h->address_size);
		return 0;
	case DW_FORM_addrx:
		if (!read_uleb(&p, u->end, &idx))
			return MALFORMED;
		return addrx(u, idx, addr);
	case DW_FORM_addrx1:
		return addrx(u, get_le(p, 1), addr);
	case DW_FORM_addrx2:
		return addrx(u, get_le(p, 2), addr);
	case DW_FORM_addrx3:
		return addrx(u, get_le(p, 3), addr);
	case DW_FORM_addrx4:
		return addrx(u, get_le(p, 4), addr);
	case DW_FORM_GNU_addr_index:
		return UNSUPPORTED; /* split DWARF */
	default:
		return -ENOENT;
	}
}

/* dwarf_formstring(), for the forms of one file; NULL is never returned with 0. */
static int attr_string(const struct unit *u, const struct attr *at, const char **str)
{
	const struct dwarf_section *offs = &u->s->str_offsets, *sec = &u->s->str;
	unsigned int osize = u->h->offset_size;
	const uint8_t *p = at->val;
	uint64_t off, idx;

	switch (at->form) {
	case DW_FORM_string:
		*str = (const char *)p; /* its NUL is inside the unit: skip_form() found it */
		return 0;
	case DW_FORM_strp:
		off = get_le(p, osize);
		break;
	case DW_FORM_line_strp:
		off = get_le(p, osize);
		sec = &u->s->line_str;
		break;
	case DW_FORM_strx:
		if (!read_uleb(&p, u->end, &idx))
			return MALFORMED;
		goto indexed;
	case DW_FORM_strx1:
	case DW_FORM_strx2:
	case DW_FORM_strx3:
	case DW_FORM_strx4:
		idx = get_le(p, at->form - DW_FORM_strx1 + 1);
	indexed:
		if (!offs->size || osize > offs->size || u->str_off_base > offs->size - osize ||
		    idx > (offs->size - osize - u->str_off_base) / osize)
			return MALFORMED;
		off = get_le(offs->data + u->str_off_base + idx * osize, osize);
		break;
	default:
		return UNSUPPORTED; /* a supplementary file's, split DWARF's, or no string */
	}
	/* the caller checked that the string sections end in a NUL */
	if (off >= sec->size)
		return MALFORMED;
	*str = (const char *)sec->data + off;
	return 0;
}

/* dwarf_formref_die(): the .debug_info offset of the DIE an attribute refers to. */
static int attr_ref(const struct unit *u, const struct attr *at, uint64_t *off)
{
	const uint8_t *p = at->val;
	uint64_t v;

	switch (at->form) {
	case DW_FORM_ref1:
	case DW_FORM_ref2:
	case DW_FORM_ref4:
	case DW_FORM_ref8:
		v = get_le(p, at->form == DW_FORM_ref1	 ? 1
			      : at->form == DW_FORM_ref2 ? 2
			      : at->form == DW_FORM_ref4 ? 4
							 : 8);
		break;
	case DW_FORM_ref_udata:
		if (!read_uleb(&p, u->end, &v))
			return MALFORMED;
		break;
	case DW_FORM_ref_addr:
		*off = get_le(p, u->h->version == 2 ? u->h->address_size : u->h->offset_size);
		return 0;
	default:
		return UNSUPPORTED; /* type signatures, supplementary files */
	}
	if (v >= u->h->end - u->h->offset)
		return MALFORMED;
	*off = u->h->offset + v;
	return 0;
}

/* The offset of .debug_str_offsets past the first header, as libdw takes it without a base. */
static uint64_t str_offsets_header(const struct dwarf_section *sec)
{
	const uint8_t *p = sec->data, *end;
	uint64_t length, version = 0;

	if (!sec->size)
		return 0;
	end = sec->data + sec->size;
	if (!read_le(&p, end, 4, &length))
		return 0;
	if (length == 0xffffffff && !read_le(&p, end, 8, &length))
		return 0;
	if (end - p < 4 || length < 4 || (uint64_t)(end - p) < length)
		return 0;
	read_le(&p, end, 2, &version);
	if (version != 5)
		return 0;
	return (uint64_t)(p + 2 - sec->data);
}

/* The offset of .debug_rnglists past the first header, as libdw takes it without a base. */
static uint64_t rnglists_header(const struct dwarf_section *sec)
{
	const uint8_t *p = sec->data, *end;
	uint64_t length, version = 0, address_size = 0, segment_size = 0, count = 0;
	unsigned int offset_size = 4;

	if (!sec->size)
		return 0;
	end = sec->data + sec->size;
	if (!read_le(&p, end, 4, &length))
		return 0;
	if (length == 0xffffffff) {
		if (!read_le(&p, end, 8, &length))
			return 0;
		offset_size = 8;
	}
	if (end - p < 8 || length < 8 || length > (uint64_t)(end - p))
		return 0;
	read_le(&p, end, 2, &version);
	read_le(&p, end, 1, &address_size);
	read_le(&p, end, 1, &segment_size);
	read_le(&p, end, 4, &count);
	if (version != 5 || (address_size != 4 && address_size != 8) || segment_size || !count ||
	    length - 8 < count * offset_size)
		return 0;
	return (uint64_t)(p - sec->data);
}

static size_t unit_index_of(const struct dwarf_reader *r, uint64_t off)
{
	size_t lo = 0, hi = r->nheaders;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->headers[mid].end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo; /* nheaders: none */
}

/*
 * Unit @i, ready to read: its abbreviations, and from its DIE the bases
 * libdw takes (addresses, strings, range lists) and the base address of
 * its ranges.  NULL when that fails (u->err is why).
 */
static const struct unit *unit_get(struct dwarf_reader *r, size_t i, int *err)
{
	struct unit *u = &r->units[i];
	const struct attr *at;
	struct die d;
	uint64_t v;
	int e;

	if (u->ready)
		goto out;
	u->ready = true;
	u->s = r->s;
	u->h = &r->headers[i];
	u->start = r->s->info.data + u->h->offset;
	u->end = r->s->info.data + u->h->end;
	u->abbrevs = abbrevs_of(r, u->h);
	if (!u->abbrevs) {
		u->err = UNSUPPORTED;
		goto out;
	}
	e = read_die(u, r->s->info.data + u->h->die, &d);
	if (e)
		goto fail;
	/* __libdw_cu_addr_base(): GNU_addr_base, else addr_base; 0 without a usable one */
	at = d.at[AT_GNU_ADDR_BASE].val ? &d.at[AT_GNU_ADDR_BASE] : &d.at[AT_ADDR_BASE];
	if (at->val) {
		e = attr_pointer(u, at, &r->s->addr, &v);
		if (e && e != -ENOENT)
			goto fail;
		u->addr_base = e ? 0 : v;
	}
	/* str_offsets_base_off() */
	e = -ENOENT;
	if (d.at[AT_STR_OFFSETS_BASE].val) {
		e = attr_pointer(u, &d.at[AT_STR_OFFSETS_BASE], &r->s->str_offsets, &v);
		if (e && e != -ENOENT)
			goto fail;
		u->str_off_base = v;
	}
	if (e)
		u->str_off_base = u->h->version < 5 ? 0 : str_offsets_header(&r->s->str_offsets);
	/* __libdw_cu_ranges_base(), for DWARF 5 */
	if (u->h->version >= 5) {
		v = 0;
		if (d.at[AT_RNGLISTS_BASE].val) {
			e = attr_pointer(u, &d.at[AT_RNGLISTS_BASE], &r->s->rnglists, &v);
			if (e && e != -ENOENT)
				goto fail;
			if (e)
				v = 0;
		}
		if (!v && r->s->rnglists.size)
			v = rnglists_header(&r->s->rnglists);
		u->rnglists_base = v;
	}
	/* __libdw_cu_base_address(): low_pc, else entry_pc, else 0 */
	e = d.at[AT_LOW_PC].val ? attr_addr(u, &d.at[AT_LOW_PC], &v) : -ENOENT;
	if (e == -ENOENT && d.at[AT_ENTRY_PC].val)
		e = attr_addr(u, &d.at[AT_ENTRY_PC], &v);
	if (e && e != -ENOENT)
		goto fail;
	u->base_address = e ? 0 : v;
	if (u->base_address == UINT64_MAX)
		goto unsupported; /* libdw's "not known yet": it fails */
	goto out;
unsupported:
	e = UNSUPPORTED;
fail:
	u->err = e;
out:
	*err = u->err;
	return u->err ? NULL : u;
}

/* Where ranges go: @v, growable, each tagged with @node; subprograms' to @top too. */
struct range_sink {
	struct dwarf_range **v;
	size_t *n, *cap;
	struct dwarf_range **top;
	size_t *ntop, *top_cap;
	uint32_t node;
};

static void push(struct dwarf_range **v, size_t *n, size_t *cap, uint64_t lo, uint64_t hi,
		 uint32_t node)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = (struct dwarf_range){lo, hi, node};
}

static void sink_add(struct range_sink *s, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return; /* empty: dwarf_info leaves them out */
	push(s->v, s->n, s->cap, lo, hi, s->node);
	if (s->top)
		push(s->top, s->ntop, s->top_cap, lo, hi, s->node);
}

/* A range list of .debug_ranges (before DWARF 5), as __libdw_read_begin_end_pair_inc reads it. */
static int read_ranges(const struct unit *u, uint64_t off, uint64_t base, struct range_sink *s)
{
	const struct dwarf_section *sec = &u->s->ranges;
	unsigned int width = u->h->address_size;
	uint64_t escape = width == 8 ? UINT64_MAX : UINT32_MAX;
	const uint8_t *p = sec->data + off, *end = sec->data + sec->size;

	for (;;) {
		uint64_t begin, last;

		if ((size_t)(end - p) < 2 * width)
			return MALFORMED;
		begin = get_le(p, width);
		last = get_le(p + width, width);
		p += 2 * width;
		if (begin == escape) {
			if (last == escape)
				return MALFORMED;
			base = last;
		} else if (!begin && !last) {
			return 0;
		} else {
			sink_add(s, begin + base, last + base);
		}
	}
}

/* A range list of .debug_rnglists (DWARF 5). */
static int read_rnglist(const struct unit *u, uint64_t off, uint64_t base, struct range_sink *s)
{
	const struct dwarf_section *sec = &u->s->rnglists;
	unsigned int width = u->h->address_size;
	const uint8_t *p = sec->data + off, *end = sec->data + sec->size;
	int err;

	for (;;) {
		uint64_t a, b;

		if (p >= end)
			return MALFORMED;
		switch (*p++) {
		case DW_RLE_end_of_list:
			return 0;
		case DW_RLE_base_addressx:
			if (!read_uleb(&p, end, &a) || (err = addrx(u, a, &base)))
				return MALFORMED;
			break;
		case DW_RLE_startx_endx:
			if (!read_uleb(&p, end, &a) || addrx(u, a, &a) || !read_uleb(&p, end, &b) ||
			    addrx(u, b, &b))
				return MALFORMED;
			sink_add(s, a, b);
			break;
		case DW_RLE_startx_length:
			if (!read_uleb(&p, end, &a) || addrx(u, a, &a) || !read_uleb(&p, end, &b))
				return MALFORMED;
			sink_add(s, a, a + b);
			break;
		case DW_RLE_offset_pair:
			if (!read_uleb(&p, end, &a) || !read_uleb(&p, end, &b))
				return MALFORMED;
			sink_add(s, a + base, b + base);
			break;
		case DW_RLE_base_address:
			if (!read_le(&p, end, width, &base))
				return MALFORMED;
			break;
		case DW_RLE_start_end:
			if (!read_le(&p, end, width, &a) || !read_le(&p, end, width, &b))
				return MALFORMED;
			sink_add(s, a, b);
			break;
		case DW_RLE_start_length:
			if (!read_le(&p, end, width, &a) || !read_uleb(&p, end, &b))
				return MALFORMED;
			sink_add(s, a, a + b);
			break;
		default:
			return MALFORMED;
		}
	}
}

/*
 * The ranges of a DIE as dwarf_ranges() gives them: [low_pc, high_pc) when
 * both are there (high_pc an address, or a constant added to low_pc), else
 * its DW_AT_ranges list, else none.
 */
static int die_ranges(const struct unit *u, const struct die *d, struct range_sink *s)
{
	const struct attr *ranges = &d->at[AT_RANGES];
	uint64_t lo, hi, off, idx;
	int err;

	if (d->at[AT_HIGH_PC].val) {
		err = attr_addr(u, &d->at[AT_HIGH_PC], &hi);
		if (err == -ENOENT) {
			/* a constant: an offset from low_pc (DWARF 4) */
			err = d->at[AT_LOW_PC].val ? attr_addr(u, &d->at[AT_LOW_PC], &lo) : -ENOENT;
			if (!err) {
				err = attr_udata(u, &d->at[AT_HIGH_PC], &hi);
				hi += lo;
			}
		}
		if (!err)
			err = d->at[AT_LOW_PC].val ? attr_addr(u, &d->at[AT_LOW_PC], &lo) : -ENOENT;
		if (!err) {
			sink_add(s, lo, hi);
			return 0;
		}
		if (err != -ENOENT)
			return err;
	}
	if (!ranges->val)
		return 0;
	if (u->h->version < 5) {
		err = attr_sec_offset(u, ranges, &u->s->ranges, &off);
		return err ? (err == -ENOENT ? MALFORMED : err)
			   : read_ranges(u, off, u->base_address, s);
	}
	if (ranges->form == DW_FORM_rnglistx) {
		/* initial_offset(): through the offsets after the unit's rnglists_base */
		const struct dwarf_section *sec = &u->s->rnglists;
		const uint8_t *p = ranges->val;
		unsigned int osize = u->h->offset_size;

		if (!read_uleb(&p, u->end, &idx) || !sec->size || osize > sec->size ||
		    u->rnglists_base > sec->size - osize ||
		    idx > (sec->size - osize - u->rnglists_base) / osize)
			return MALFORMED;
		off = get_le(sec->data + u->rnglists_base + idx * osize, osize) + u->rnglists_base;
		if (off >= sec->size)
			return MALFORMED;
	} else {
		err = attr_sec_offset(u, ranges, &u->s->rnglists, &off);
		if (err)
			return err == -ENOENT ? MALFORMED : err;
	}
	return read_rnglist(u, off, u->base_address, s);
}

/* ---- names ---- */

/*
 * dwarf_attr_integrate(): attribute @slot of the DIE at @off, else of the
 * DIE its abstract origin or specification names, 17 DIEs at most.  0 and
 * *@u, *@at (at->val NULL when no DIE of the chain has it), or an error.
 */
static int integrate(struct dwarf_reader *r, uint64_t off, int slot, const struct unit **u,
		     struct attr *at)
{
	int i, err;

	memset(at, 0, sizeof(*at));
	for (i = 0; i < 17; i++) {
		size_t k = unit_index_of(r, off);
		const struct attr *next;
		struct die d;

		if (k >= r->nheaders || off < r->headers[k].die)
			return MALFORMED;
		*u = unit_get(r, k, &err);
		if (!*u)
			return err;
		err = read_die(*u, r->s->info.data + off, &d);
		if (err)
			return err;
		if (d.at[slot].val) {
			*at = d.at[slot];
			return 0;
		}
		next = d.at[AT_ORIGIN].val ? &d.at[AT_ORIGIN] : &d.at[AT_SPECIFICATION];
		if (!next->val)
			return 0;
		err = attr_ref(*u, next, &off);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The name dwarf_info gives the function DIE at @off: its mangled linkage
 * name, else its name (both through abstract origins and specifications);
 * NULL when it has neither.  Cached by DIE.
 */
static int die_name(struct dwarf_reader *r, uint64_t off, const char **out)
{
	const char *name = NULL, *linkage = NULL, *cached = u64_map__get(&r->names, off);
	const struct unit *u;
	struct attr at;
	int err;

	if (cached) {
		*out = cached == no_name ? NULL : cached;
		return 0;
	}
	err = integrate(r, off, AT_LINKAGE_NAME, &u, &at);
	if (!err && !at.val)
		err = integrate(r, off, AT_MIPS_LINKAGE_NAME, &u, &at);
	if (!err && at.val)
		err = attr_string(u, &at, &linkage);
	if (!err)
		err = integrate(r, off, AT_NAME, &u, &at);
	if (!err && at.val)
		err = attr_string(u, &at, &name);
	if (err)
		return err;
	/*
	 * A mangled name says more than DW_AT_name ("ns::S::f" against "f");
	 * an unmangled one is an asm label (glibc's "__GI___clock_gettime")
	 * and says less than the name the source gave.
	 */
	if (linkage && (!name || (linkage[0] == '_' && (linkage[1] == 'Z' || linkage[1] == 'R'))))
		name = linkage;
	if (name && !name[0])
		name = NULL;
	u64_map__set(&r->names, off, (void *)(name ? name : no_name));
	*out = name;
	return 0;
}

/* ---- the walk ---- */

struct walk {
	struct dwarf_reader *r;
	const struct unit *u;
	struct dwarf_funcs *out;
	int max_depth;
};

/* DW_AT_sibling, as dwarf_siblingof() follows it: after the DIE, inside the unit. */
static int sibling_target(const struct unit *u, const struct die *d, const uint8_t **next)
{
	const struct attr *at = &d->at[AT_SIBLING];
	uint64_t off;
	int err;

	if (at->form == DW_FORM_ref_addr)
		return UNSUPPORTED; /* libdw fails on it */
	err = attr_ref(u, at, &off);
	if (err)
		return err;
	if (off <= d->offset)
		return MALFORMED;
	*next = u->s->info.data + off;
	return 0;
}

/*
 * Skip the DIE list at *@p, to past the null entry that ends it (or the
 * unit's end), as dwarf_siblingof() skips subtrees: by DW_AT_sibling where
 * a DIE has it, else DIE by DIE.
 */
static int skip_list(const struct unit *u, const uint8_t **p)
{
	const uint8_t *q = *p, *end = u->end;
	size_t level = 1;
	struct die d;
	int err;

	for (;;) {
		const struct abbrev *a;
		uint64_t code;

		while (q < end && !*q) {
			q++;
			if (!--level) {
				*p = q;
				return 0;
			}
		}
		if (q >= end) {
			*p = end;
			return 0;
		}
		d.offset = (uint64_t)(q - u->start) + u->h->offset;
		if (!read_uleb(&q, end, &code) || !(a = abbrev_find(u->abbrevs, code)))
			return MALFORMED;
		if (!a->has_sibling && a->fixed >= 0) {
			/* the common DIE: a fixed size, no sibling to follow */
			if (end - q < a->fixed)
				return MALFORMED;
			q += a->fixed;
			level += a->children;
			continue;
		}
		err = read_attrs(u, a, &q, &d);
		if (err)
			return err;
		if (a->has_sibling) {
			err = sibling_target(u, &d, &q);
			if (err)
				return err;
		} else {
			level += a->children;
		}
	}
}

/*
 * Add the DIE @d if it has code: 0 and its index in out->funcs in *@node_out
 * (-1 when it has no code), or an error.
 */
static int add_func(struct walk *w, const struct die *d, bool top, long *node_out)
{
	struct dwarf_funcs *out = w->out;
	size_t first = out->nranges, node = out->nfuncs;
	struct range_sink s = {
		.v = &out->ranges,
		.n = &out->nranges,
		.cap = &out->ranges_cap,
		.top = top ? &out->top : NULL,
		.ntop = &out->ntop,
		.top_cap = &out->top_cap,
		.node = (uint32_t)node,
	};
	struct dwarf_func *f;
	uint64_t origin = d->offset, v;
	const char *name;
	int err;

	*node_out = -1;
	if (node >= UINT32_MAX || out->nranges >= UINT32_MAX)
		return UNSUPPORTED;
	err = die_ranges(w->u, d, &s);
	if (err)
		return err;
	if (out->nranges == first)
		return 0;
	if (out->nranges > UINT32_MAX)
		return UNSUPPORTED;
	/* inlined copies share their abstract origin's name */
	if (d->at[AT_ORIGIN].val) {
		err = attr_ref(w->u, &d->at[AT_ORIGIN], &origin);
		if (err)
			return err;
	}
	err = die_name(w->r, origin, &name);
	if (err)
		return err;
	if (out->nfuncs == out->funcs_cap) {
		out->funcs_cap = out->funcs_cap ? 2 * out->funcs_cap : 64;
		out->funcs = xreallocarray(out->funcs, out->funcs_cap, sizeof(*out->funcs));
	}
	f = &out->funcs[out->nfuncs++];
	f->name = name;
	f->end = (uint32_t)node + 1;
	f->range_first = (uint32_t)first;
	f->range_count = (uint32_t)(out->nranges - first);
	f->call_file = UINT32_MAX;
	f->call_line = 0;
	if (d->at[AT_CALL_FILE].val) {
		err = attr_udata(w->u, &d->at[AT_CALL_FILE], &v);
		if (err)
			return err;
		if (v < UINT32_MAX)
			f->call_file = (uint32_t)v;
	}
	if (d->at[AT_CALL_LINE].val) {
		err = attr_udata(w->u, &d->at[AT_CALL_LINE], &v);
		if (err)
			return err;
		if (v <= UINT32_MAX)
			f->call_line = (uint32_t)v;
	}
	*node_out = (long)node;
	return 0;
}

static bool holds_code(uint32_t tag)
{
	switch (tag) {
	case DW_TAG_subprogram:
	case DW_TAG_inlined_subroutine:
	case DW_TAG_lexical_block:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_namespace:
	case DW_TAG_module:
		return true;
	default:
		return false;
	}
}

/*
 * The DIE list at *@p, at @depth: what dwarf_info's libdw walk does with
 * it, then *@p past the null entry that ends it (or at the unit's end).
 */
static int walk_list(struct walk *w, const uint8_t **p, int depth, bool in_function)
{
	const struct unit *u = w->u;
	const uint8_t *q = *p, *end = u->end;
	int err;

	if (depth > w->max_depth)
		return skip_list(u, p);
	for (;;) {
		const struct abbrev *a;
		const uint8_t *next;
		long node = -1;
		bool enter = false;
		struct die d;
		uint64_t code;

		if (q >= end) {
			*p = end;
			return 0;
		}
		if (!*q) {
			*p = q + 1;
			return 0;
		}
		d.offset = (uint64_t)(q - u->start) + u->h->offset;
		if (!read_uleb(&q, end, &code) || !(a = abbrev_find(u->abbrevs, code)))
			return MALFORMED;
		if (!holds_code(a->tag) && !a->has_sibling && a->fixed >= 0) {
			/* a type, variable or parameter of fixed size: over it and its children */
			if (end - q < a->fixed)
				return MALFORMED;
			q += a->fixed;
			if (a->children) {
				err = skip_list(u, &q);
				if (err)
					return err;
			}
			continue;
		}
		err = read_attrs(u, a, &q, &d);
		if (err)
			return err;
		switch (a->tag) {
		case DW_TAG_subprogram:
			err = add_func(w, &d, true, &node);
			enter = node >= 0;
			break;
		case DW_TAG_inlined_subroutine:
			if (in_function) {
				err = add_func(w, &d, false, &node);
				enter = node >= 0;
			}
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
		case DW_TAG_namespace:
		case DW_TAG_module:
			enter = true;
			break;
		}
		if (err)
			return err;
		next = d.children;
		if (a->children && enter) {
			err = walk_list(w, &next, depth + 1, in_function || node >= 0);
			if (err)
				return err;
			if (node >= 0)
				w->out->funcs[node].end = (uint32_t)w->out->nfuncs;
		}
		/* next: where DW_AT_sibling says, as libdw goes, else past the subtree */
		if (a->has_sibling)
			err = sibling_target(u, &d, &next);
		else if (a->children && !enter)
			err = skip_list(u, &next);
		if (err)
			return err;
		q = next;
	}
}

/* ---- entry points ---- */

int dwarf_reader__unit(struct dwarf_reader *r, size_t unit, struct dwarf_unit_info *info,
		       struct dwarf_range **ranges, size_t *nranges, size_t *cap)
{
	struct range_sink s = {.v = ranges, .n = nranges, .cap = cap, .node = (uint32_t)unit};
	const struct unit *u;
	struct die d;
	uint64_t v;
	int err;

	memset(info, 0, sizeof(*info));
	u = unit_get(r, unit, &err);
	if (!u)
		return err;
	err = read_die(u, r->s->info.data + u->h->die, &d);
	if (!err)
		err = die_ranges(u, &d, &s);
	if (!err && d.at[AT_STMT_LIST].val) {
		err = attr_pointer(u, &d.at[AT_STMT_LIST], &r->s->line, &v);
		if (!err) {
			info->has_stmt_list = true;
			info->stmt_list = v;
		} else if (err == -ENOENT) {
			err = 0;
		}
	}
	if (!err && d.at[AT_COMP_DIR].val)
		err = attr_string(u, &d.at[AT_COMP_DIR], &info->comp_dir);
	return err;
}

int dwarf_reader__functions(struct dwarf_reader *r, size_t unit, int max_depth,
			    struct dwarf_funcs *out)
{
	struct walk w = {.r = r, .out = out, .max_depth = max_depth};
	const uint8_t *p;
	struct die d;
	int err;

	w.u = unit_get(r, unit, &err);
	if (!w.u)
		return err;
	err = read_die(w.u, r->s->info.data + w.u->h->die, &d);
	if (err || !d.abbrev->children)
		return err;
	p = d.children;
	return walk_list(&w, &p, 1, false);
}
