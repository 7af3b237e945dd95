// SPDX-License-Identifier: Apache-2.0
#include "symbolize/dwarf_info.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <gelf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/search.h"
#include "common/strtab.h"
#include "common/u64_map.h"
#include "common/xalloc.h"
#include "symbolize/line_program.h"

/* A DIE tree deeper than this is not a program's: stop descending. */
#define MAX_DIE_DEPTH 256

#define NO_FILE LINE_ROW_END

/* Searched by fs_count_at_or_below(): the key first. */
_Static_assert(offsetof(struct line_row, addr) == 0, "line_row key");

/* A subprogram or inlined_subroutine with code. */
struct func_node {
	uint64_t die; /* DIE to name it by (its abstract origin, if any): read when asked for */
	uint32_t end; /* index past this node's subtree */
	uint32_t range_first; /* its address ranges: ranges[range_first, + range_count) */
	uint32_t range_count;
	uint32_t call_file; /* inlined_subroutine: where the call was; NO_FILE if unknown */
	uint32_t call_line;
};

struct addr_range {
	uint64_t lo, hi; /* lo first: searched by fs_count_at_or_below() */
	uint32_t node;	 /* func_node index (top-level list) or unit index (unit list) */
};

struct cu_index {
	struct line_row *rows;
	size_t nrows;
	/* file names of the unit's line table, NULL where unnamed: owned while
	 * the index is built, then interned in the dwarf_info's strings */
	char **files;
	size_t nfiles;
	struct func_node *nodes;
	size_t nnodes;
	struct addr_range *ranges; /* every node's ranges, by node */
	size_t nranges;
	struct addr_range *top; /* subprogram ranges, sorted by lo */
	size_t ntop;
	size_t bytes;
	/* where the last lookup found its row and subprogram: searches start there */
	size_t row_hint, top_hint;
};

struct unit {
	uint64_t die; /* offset of the unit DIE */
	struct cu_index *index;
	uint64_t last_use; /* use_clock when last indexed or looked up in */
	bool ranged;	   /* its unit DIE gave address ranges */
};

struct dwarf_info {
	int fd;
	Elf *elf;
	Dwarf *dw;
	struct unit *units;
	size_t nunits;
	struct addr_range *unit_ranges; /* sorted by lo; node = unit index */
	size_t nunit_ranges, unit_hint;
	bool unranged_done; /* units without ranges were indexed and added */
	size_t index_bytes, indexed;
	struct line_sections sections; /* for the line decoder, read once at open */
	struct u64_map names; /* DIE offset -> strtab id + 1 (0 when nameless: id UINT32_MAX) */
	struct strtab *strings;
};

static void cu_index__free(struct cu_index *ci)
{
	if (!ci)
		return;
	free(ci->files); /* the names are interned */
	free(ci->rows);
	free(ci->nodes);
	free(ci->ranges);
	free(ci->top);
	free(ci);
}

/* Growable arrays while a unit is indexed. */
struct builder {
	struct cu_index *ci;
	size_t rows_cap, nodes_cap, ranges_cap, top_cap;
};

static void push_range(struct builder *b, uint64_t lo, uint64_t hi)
{
	struct cu_index *ci = b->ci;

	if (ci->nranges == b->ranges_cap) {
		b->ranges_cap = b->ranges_cap ? 2 * b->ranges_cap : 64;
		ci->ranges = xreallocarray(ci->ranges, b->ranges_cap, sizeof(*ci->ranges));
	}
	ci->ranges[ci->nranges++] = (struct addr_range){lo, hi, (uint32_t)ci->nnodes};
}

static void push_top(struct builder *b, uint64_t lo, uint64_t hi, uint32_t node)
{
	struct cu_index *ci = b->ci;

	if (ci->ntop == b->top_cap) {
		b->top_cap = b->top_cap ? 2 * b->top_cap : 64;
		ci->top = xreallocarray(ci->top, b->top_cap, sizeof(*ci->top));
	}
	ci->top[ci->ntop++] = (struct addr_range){lo, hi, node};
}

/* Add @die as a node if it has code; returns the node index or -1. */
static long add_node(struct builder *b, Dwarf_Die *die, bool top)
{
	struct cu_index *ci = b->ci;
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	uint32_t first = (uint32_t)ci->nranges, node = (uint32_t)ci->nnodes;
	struct func_node *n;
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	Dwarf_Word w;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		push_range(b, lo, hi);
		if (top)
			push_top(b, lo, hi, node);
	}
	if (ci->nranges == first)
		return -1;
	if (ci->nnodes == b->nodes_cap) {
		b->nodes_cap = b->nodes_cap ? 2 * b->nodes_cap : 64;
		ci->nodes = xreallocarray(ci->nodes, b->nodes_cap, sizeof(*ci->nodes));
	}
	n = &ci->nodes[ci->nnodes++];
	/* inlined copies share their abstract origin's name: name that DIE, once */
	n->die = dwarf_dieoffset(die);
	if (dwarf_attr(die, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &origin))
		n->die = dwarf_dieoffset(&origin);
	n->end = node + 1;
	n->range_first = first;
	n->range_count = (uint32_t)(ci->nranges - first);
	n->call_file = NO_FILE;
	n->call_line = 0;
	if (dwarf_attr(die, DW_AT_call_file, &attr) && dwarf_formudata(&attr, &w) == 0 &&
	    w < NO_FILE)
		n->call_file = (uint32_t)w;
	if (dwarf_attr(die, DW_AT_call_line, &attr) && dwarf_formudata(&attr, &w) == 0 &&
	    w <= UINT32_MAX)
		n->call_line = (uint32_t)w;
	return node;
}

/*
 * Walk @die and its siblings.  Only what can hold code is entered:
 * functions, blocks, namespaces.  Types are skipped, their member function
 * definitions are unit-level DIEs (DW_AT_specification) anyway; so are
 * subprograms without code (declarations, abstract instances).
 */
static void walk(struct builder *b, Dwarf_Die *die, int depth, bool in_function)
{
	Dwarf_Die child;

	if (depth > MAX_DIE_DEPTH)
		return;
	do {
		int tag = dwarf_tag(die);
		long node = -1;

		switch (tag) {
		case DW_TAG_subprogram:
			node = add_node(b, die, true);
			if (node < 0)
				continue;
			break;
		case DW_TAG_inlined_subroutine:
			if (!in_function)
				continue; /* an inlined call outside any function: nothing to chain
					     to */
			node = add_node(b, die, false);
			if (node < 0)
				continue;
			break;
		case DW_TAG_lexical_block:
		case DW_TAG_try_block:
		case DW_TAG_catch_block:
		case DW_TAG_namespace:
		case DW_TAG_module:
			break;
		default:
			continue;
		}
		if (dwarf_haschildren(die) && dwarf_child(die, &child) == 0)
			walk(b, &child, depth + 1, in_function || node >= 0);
		if (node >= 0)
			b->ci->nodes[node].end = (uint32_t)b->ci->nnodes;
	} while (dwarf_siblingof(die, die) == 0);
}

/*
 * The sections the line decoder reads, from @dw's ELF file (libdw has read
 * and decompressed them already).  Read once, before any thread starts:
 * the workers only read the buffers.
 */
static bool line_sections(Dwarf *dw, struct line_sections *s)
{
	Elf *elf = dwarf_getelf(dw);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Ehdr eh;

	memset(s, 0, sizeof(*s));
	if (!elf || !gelf_getehdr(elf, &eh) || elf_getshdrstrndx(elf, &shstrndx) < 0)
		return false;
	s->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strncmp(name, ".debug_", 7))
			continue;
		if (strcmp(name, ".debug_line") && strcmp(name, ".debug_line_str") &&
		    strcmp(name, ".debug_str"))
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		if (!strcmp(name, ".debug_line")) {
			s->line = data->d_buf;
			s->line_size = data->d_size;
		} else if (!strcmp(name, ".debug_line_str")) {
			s->line_str = data->d_buf;
			s->line_str_size = data->d_size;
		} else {
			s->str = data->d_buf;
			s->str_size = data->d_size;
		}
	}
	return s->line != NULL;
}

/*
 * The unit's line table, with our own decoder.  What it does not handle
 * (line_program.h) leaves the unit without lines: libdw's reader is not a
 * fallback, since it reads the file names of a damaged table past the end
 * of .debug_line (found by fuzzing libdw 0.188).
 */
static void read_lines(struct builder *b, const struct line_sections *sections, Dwarf_Die *cu)
{
	struct cu_index *ci = b->ci;
	struct line_table t;
	Dwarf_Attribute attr;
	Dwarf_Word offset;
	uint8_t addr_size = 8, offset_size;
	Dwarf_Die unit_die;
	const char *comp_dir;
	int err;

	if (!dwarf_attr(cu, DW_AT_stmt_list, &attr) || dwarf_formudata(&attr, &offset) != 0 ||
	    !sections->line || !dwarf_diecu(cu, &unit_die, &addr_size, &offset_size))
		return; /* no line table */
	comp_dir = dwarf_attr(cu, DW_AT_comp_dir, &attr) ? dwarf_formstring(&attr) : NULL;
	err = line_program__decode(sections, offset, comp_dir, addr_size, &t);
	if (err) {
		fs_debug("symbolize: line table at 0x%llx: %s: no lines for its unit",
			 (unsigned long long)offset, strerror(-err));
		return;
	}
	ci->rows = t.rows;
	ci->nrows = t.nrows;
	ci->files = t.files;
	ci->nfiles = t.nfiles;
}

static int cmp_range(const void *a, const void *b)
{
	const struct addr_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	/* the larger first: a nested range is found after the one containing it */
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	return x->node < y->node ? -1 : x->node > y->node;
}

/* Lookups rely on rows sorted by address. */
static int cmp_row(const void *a, const void *b)
{
	const struct line_row *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static struct cu_index *build_index(Dwarf *dw, const struct line_sections *sections,
				    uint64_t unit_die)
{
	struct builder b = {0};
	Dwarf_Die cu, child;
	size_t i;

	b.ci = xcalloc(1, sizeof(*b.ci));
	if (!dwarf_offdie(dw, unit_die, &cu))
		return b.ci;
	read_lines(&b, sections, &cu);
	for (i = 1; i < b.ci->nrows; i++)
		if (b.ci->rows[i].addr < b.ci->rows[i - 1].addr) {
			/* a sequence that goes back (set_address lower than before):
			 * only broken tables do, and which of the rows of one address
			 * wins is then unspecified */
			qsort(b.ci->rows, b.ci->nrows, sizeof(*b.ci->rows), cmp_row);
			break;
		}
	if (dwarf_haschildren(&cu) && dwarf_child(&cu, &child) == 0)
		walk(&b, &child, 1, false);
	if (b.ci->ntop)
		qsort(b.ci->top, b.ci->ntop, sizeof(*b.ci->top), cmp_range);
	b.ci->bytes = sizeof(*b.ci) + b.ci->nrows * sizeof(*b.ci->rows) +
		      b.ci->nnodes * sizeof(*b.ci->nodes) +
		      (b.ci->nranges + b.ci->ntop) * sizeof(struct addr_range) +
		      b.ci->nfiles * (sizeof(char *) + 48);
	return b.ci;
}

static void read_units(struct dwarf_info *di)
{
	size_t units_cap = 0, ranges_cap = 0;
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;

	while (dwarf_get_units(di->dw, cu, &cu, NULL, &unit_type, &cudie, &subdie) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		struct unit *u;

		/* type units, skeletons of split units, and dwz's partial units (shared
		 * types and abstract functions, imported by the units with the code):
		 * no code of their own */
		if (unit_type != DW_UT_compile)
			continue;
		if (di->nunits == units_cap) {
			units_cap = units_cap ? 2 * units_cap : 64;
			di->units = xreallocarray(di->units, units_cap, sizeof(*di->units));
		}
		u = &di->units[di->nunits];
		*u = (struct unit){.die = dwarf_dieoffset(&cudie)};
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0) {
			if (lo >= hi)
				continue;
			if (di->nunit_ranges == ranges_cap) {
				ranges_cap = ranges_cap ? 2 * ranges_cap : 64;
				di->unit_ranges = xreallocarray(di->unit_ranges, ranges_cap,
								sizeof(*di->unit_ranges));
			}
			di->unit_ranges[di->nunit_ranges++] =
				(struct addr_range){lo, hi, (uint32_t)di->nunits};
			u->ranged = true;
		}
		di->nunits++;
	}
	if (di->nunit_ranges)
		qsort(di->unit_ranges, di->nunit_ranges, sizeof(*di->unit_ranges), cmp_range);
}

struct dwarf_info *dwarf_info__open(int fd)
{
	struct dwarf_info *di;
	Elf *elf;
	Dwarf *dw;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(fd);
		errno = ENOEXEC;
		return NULL;
	}
	dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!dw) {
		elf_end(elf);
		close(fd);
		errno = ENOENT;
		return NULL;
	}
	di = xcalloc(1, sizeof(*di));
	di->fd = fd;
	di->elf = elf;
	di->dw = dw;
	di->strings = strtab__new();
	line_sections(dw, &di->sections);
	/*
	 * libdw 0.188 reads the strings of these sections with strlen(): one
	 * that does not end in a NUL would be read past its end.  Producers
	 * always end them with one; a file that does not is damaged or hostile.
	 */
	if ((di->sections.str_size && di->sections.str[di->sections.str_size - 1]) ||
	    (di->sections.line_str_size && di->sections.line_str[di->sections.line_str_size - 1])) {
		fs_debug("symbolize: DWARF string section not NUL-terminated: DWARF not used");
		dwarf_info__free(di);
		errno = EINVAL;
		return NULL;
	}
	read_units(di);
	if (!di->nunits) {
		dwarf_info__free(di);
		errno = ENOENT;
		return NULL;
	}
	return di;
}

void dwarf_info__drop_indexes(struct dwarf_info *di)
{
	size_t i;

	if (!di)
		return;
	for (i = 0; i < di->nunits; i++) {
		cu_index__free(di->units[i].index);
		di->units[i].index = NULL;
	}
	/* names are cheap, but bounded memory means everything goes */
	u64_map__release(&di->names);
	memset(&di->names, 0, sizeof(di->names));
	strtab__free(di->strings);
	di->strings = strtab__new();
	di->index_bytes = 0;
	di->indexed = 0;
}

void dwarf_info__free(struct dwarf_info *di)
{
	if (!di)
		return;
	dwarf_info__drop_indexes(di);
	strtab__free(di->strings);
	free(di->units);
	free(di->unit_ranges);
	dwarf_end(di->dw);
	elf_end(di->elf);
	close(di->fd);
	free(di);
}

/* One clock for every dwarf_info, so that uses compare across files (lookups are single-threaded).
 */
static uint64_t use_clock;

/*
 * Publish a unit's new index (on the calling thread, never in a worker).
 * Its file names move to the dwarf_info's strings, so that what lookups
 * returned stays valid when units are dropped.
 */
static void set_index(struct dwarf_info *di, struct unit *u, struct cu_index *ci)
{
	size_t i;

	for (i = 0; i < ci->nfiles; i++) {
		char *name = ci->files[i];

		if (!name)
			continue;
		ci->files[i] = (char *)strtab__str(
			di->strings, strtab__intern(di->strings, name, strlen(name)), NULL);
		free(name);
	}
	u->last_use = ++use_clock;
	u->index = ci;
	di->index_bytes += ci->bytes;
	di->indexed++;
}

static struct cu_index *unit_index(struct dwarf_info *di, struct unit *u)
{
	if (!u->index)
		set_index(di, u, build_index(di->dw, &di->sections, u->die));
	u->last_use = ++use_clock;
	return u->index;
}

/*
 * Ranges sorted by lo may nest or overlap: look back from the last start
 * at or below @addr for one that contains it.  A few steps suffice for
 * real files; the bound keeps a hostile one from making lookups linear.
 */
#define LOOK_BACK 16

static long find_range(const struct addr_range *r, size_t n, uint64_t addr, size_t *hint)
{
	long i = (long)fs_count_at_or_below(r, sizeof(*r), n, addr, hint) - 1, stop = i - LOOK_BACK;

	for (; i >= 0 && i > stop; i--)
		if (addr < r[i].hi)
			return i;
	return -1;
}

/* Units whose DIE has no ranges: index them, and let their functions stand for their ranges. */
static void add_unranged_units(struct dwarf_info *di)
{
	size_t i, j, cap = di->nunit_ranges;

	di->unranged_done = true;
	for (i = 0; i < di->nunits; i++) {
		struct cu_index *ci;

		if (di->units[i].ranged)
			continue;
		ci = unit_index(di, &di->units[i]);
		for (j = 0; j < ci->ntop; j++) {
			if (di->nunit_ranges == cap) {
				cap = cap ? 2 * cap : 64;
				di->unit_ranges = xreallocarray(di->unit_ranges, cap,
								sizeof(*di->unit_ranges));
			}
			di->unit_ranges[di->nunit_ranges++] =
				(struct addr_range){ci->top[j].lo, ci->top[j].hi, (uint32_t)i};
		}
	}
	if (di->nunit_ranges)
		qsort(di->unit_ranges, di->nunit_ranges, sizeof(*di->unit_ranges), cmp_range);
}

static struct unit *unit_of(struct dwarf_info *di, uint64_t addr)
{
	long i = find_range(di->unit_ranges, di->nunit_ranges, addr, &di->unit_hint);

	/*
	 * Producers give every unit with code its ranges, and a unit without
	 * any has no code (glibc has hundreds of those).  Only a file where no
	 * unit has ranges is from a producer that omits them: then its
	 * functions say where each unit is.
	 */
	if (i < 0 && !di->unranged_done && !di->nunit_ranges) {
		add_unranged_units(di);
		i = find_range(di->unit_ranges, di->nunit_ranges, addr, &di->unit_hint);
	}
	return i < 0 ? NULL : &di->units[di->unit_ranges[i].node];
}

static bool node_contains(const struct cu_index *ci, const struct func_node *n, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < n->range_count; i++) {
		const struct addr_range *r = &ci->ranges[n->range_first + i];

		if (addr >= r->lo && addr < r->hi)
			return true;
	}
	return false;
}

/* The line row in effect at @addr, or NULL (before the first row, or past a sequence's end). */
static const struct line_row *row_at(struct cu_index *ci, uint64_t addr)
{
	size_t n =
		fs_count_at_or_below(ci->rows, sizeof(*ci->rows), ci->nrows, addr, &ci->row_hint);
	const struct line_row *r;

	if (!n)
		return NULL;
	r = &ci->rows[n - 1];
	return r->file == NO_FILE ? NULL : r;
}

static const char *file_name(const struct cu_index *ci, uint32_t file)
{
	return file < ci->nfiles ? ci->files[file] : NULL;
}

/*
 * The name of the function DIE @die_off (through abstract origins and
 * specifications): its mangled linkage name, else its name; cached.
 */
static const char *die_name(struct dwarf_info *di, uint64_t die_off)
{
	uintptr_t v = (uintptr_t)u64_map__get(&di->names, die_off);
	const char *name = NULL;
	Dwarf_Attribute attr;
	Dwarf_Die die;
	uint32_t id;

	if (v)
		return v == UINTPTR_MAX ? NULL : strtab__str(di->strings, (uint32_t)(v - 1), NULL);
	if (dwarf_offdie(di->dw, die_off, &die)) {
		const char *linkage = NULL;

		if (dwarf_attr_integrate(&die, DW_AT_linkage_name, &attr) ||
		    dwarf_attr_integrate(&die, DW_AT_MIPS_linkage_name, &attr))
			linkage = dwarf_formstring(&attr);
		if (dwarf_attr_integrate(&die, DW_AT_name, &attr))
			name = dwarf_formstring(&attr);
		/*
		 * A mangled name says more than DW_AT_name ("ns::S::f" against "f");
		 * an unmangled one is an asm label (glibc's "__GI___clock_gettime")
		 * and says less than the name the source gave.
		 */
		if (linkage &&
		    (!name || (linkage[0] == '_' && (linkage[1] == 'Z' || linkage[1] == 'R'))))
			name = linkage;
	}
	if (!name || !name[0]) {
		u64_map__set(&di->names, die_off, (void *)UINTPTR_MAX);
		return NULL;
	}
	id = strtab__intern(di->strings, name, strlen(name));
	u64_map__set(&di->names, die_off, (void *)((uintptr_t)id + 1));
	return strtab__str(di->strings, id, NULL);
}

#define MAX_INLINE_DEPTH 64

size_t dwarf_info__lookup(struct dwarf_info *di, uint64_t addr, bool inlines,
			  struct dwarf_location *out, size_t max)
{
	uint32_t chain[MAX_INLINE_DEPTH];
	const struct line_row *row;
	struct cu_index *ci;
	struct unit *u;
	size_t depth = 0, n = 0, k;
	long top;

	if (!di || !max)
		return 0;
	u = unit_of(di, addr);
	if (!u)
		return 0;
	ci = unit_index(di, u);
	row = row_at(ci, addr);
	top = find_range(ci->top, ci->ntop, addr, &ci->top_hint);
	if (top >= 0) {
		uint32_t cur = ci->top[top].node;

		chain[depth++] = cur;
		while (depth < MAX_INLINE_DEPTH) {
			uint32_t j = cur + 1, found = UINT32_MAX;

			for (; j < ci->nodes[cur].end && j < ci->nnodes; j = ci->nodes[j].end) {
				if (node_contains(ci, &ci->nodes[j], addr)) {
					found = j;
					break;
				}
				if (ci->nodes[j].end <= j)
					break; /* cannot happen: end is past the node */
			}
			if (found == UINT32_MAX)
				break;
			chain[depth++] = cur = found;
		}
	}
	if (!depth) {
		out[0] = (struct dwarf_location){
			.file = row ? file_name(ci, row->file) : NULL,
			.line = row ? row->line : 0,
		};
		return 1;
	}
	/* innermost first; with more than @max, the outermost are kept */
	k = depth - 1;
	if (inlines && depth > max)
		k = max - 1;
	for (;; k--) {
		const struct func_node *node = &ci->nodes[chain[k]];
		struct dwarf_location *l = &out[n++];

		l->name = die_name(di, node->die);
		if (k == depth - 1) {
			l->file = row ? file_name(ci, row->file) : NULL;
			l->line = row ? row->line : 0;
		} else {
			const struct func_node *callee = &ci->nodes[chain[k + 1]];

			l->file = file_name(ci, callee->call_file);
			l->line = callee->call_line;
		}
		if (!inlines || !k)
			break;
	}
	return n;
}

#define MAX_THREADS 16

struct prepare_job {
	struct dwarf_info *di;
	uint32_t *todo; /* unit indexes */
	size_t ntodo;
	atomic_size_t next;
};

/*
 * A worker: its own libdw handle, units taken one at a time.  The handles
 * are made before the threads start, on the one Elf of the file: libdw
 * then shares the sections it read (and decompressed), and each handle
 * keeps its own unit and abbreviation state.
 */
struct worker {
	struct prepare_job *job;
	Dwarf *dw;
};

static void *prepare_worker(void *arg)
{
	struct worker *w = arg;
	struct prepare_job *job = w->job;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->ntodo) {
		struct unit *u = &job->di->units[job->todo[i]];

		u->index = build_index(w->dw, &job->di->sections, u->die);
	}
	return NULL;
}

void dwarf_info__prepare(struct dwarf_info *di, const uint64_t *addrs, size_t n,
			 unsigned int threads)
{
	struct prepare_job job = {.di = di};
	struct worker workers[MAX_THREADS];
	pthread_t tids[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	unsigned int nworkers, t;
	bool *wanted;
	size_t i;

	if (!di || !n)
		return;
	wanted = xcalloc(di->nunits, sizeof(*wanted));
	for (i = 0; i < n; i++) {
		struct unit *u = unit_of(di, addrs[i]);

		if (u && !u->index && !wanted[u - di->units]) {
			wanted[u - di->units] = true;
			job.ntodo++;
		}
	}
	if (!job.ntodo)
		goto out;
	job.todo = xreallocarray(NULL, job.ntodo, sizeof(*job.todo));
	job.ntodo = 0;
	for (i = 0; i < di->nunits; i++)
		if (wanted[i])
			job.todo[job.ntodo++] = (uint32_t)i;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (threads > job.ntodo)
		threads = (unsigned int)job.ntodo;
	workers[0] = (struct worker){&job, di->dw};
	for (t = 1; t < threads; t++) {
		Dwarf *dw = dwarf_begin_elf(di->elf, DWARF_C_READ, NULL);

		if (!dw)
			break;
		workers[t] = (struct worker){&job, dw};
	}
	nworkers = t;
	/* the calling thread is worker 0 */
	for (t = 1; t < nworkers; t++)
		if (pthread_create(&tids[t], NULL, prepare_worker, &workers[t]) == 0)
			started[t] = true;
	prepare_worker(&workers[0]);
	for (t = 1; t < nworkers; t++) {
		if (started[t])
			pthread_join(tids[t], NULL);
		dwarf_end(workers[t].dw);
	}
	for (i = 0; i < job.ntodo; i++) {
		struct unit *u = &di->units[job.todo[i]];

		if (u->index) {
			struct cu_index *ci = u->index;

			u->index = NULL;
			set_index(di, u, ci);
		}
	}
	free(job.todo);
out:
	free(wanted);
}

size_t dwarf_info__memory(const struct dwarf_info *di)
{
	return di ? di->index_bytes + (di->strings ? strtab__count(di->strings) * 48 : 0) : 0;
}

size_t dwarf_info__units_indexed(const struct dwarf_info *di)
{
	return di ? di->indexed : 0;
}

size_t dwarf_info__unit_uses(const struct dwarf_info *di, struct dwarf_unit_use *uses)
{
	size_t i, n = 0;

	for (i = 0; di && i < di->nunits; i++)
		if (di->units[i].index)
			uses[n++] = (struct dwarf_unit_use){di->units[i].last_use,
							    di->units[i].index->bytes};
	return n;
}

size_t dwarf_info__drop_unused_since(struct dwarf_info *di, uint64_t since)
{
	size_t i, freed = 0;

	for (i = 0; di && i < di->nunits; i++) {
		struct unit *u = &di->units[i];

		if (!u->index || u->last_use >= since)
			continue;
		freed += u->index->bytes;
		di->index_bytes -= u->index->bytes;
		di->indexed--;
		cu_index__free(u->index);
		u->index = NULL;
	}
	return freed;
}
