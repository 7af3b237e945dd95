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
#include <sys/stat.h>
#include <unistd.h>

#include "common/big_buffer.h"
#include "common/log.h"
#include "common/search.h"
#include "common/strtab.h"
#include "common/u64_map.h"
#include "common/xalloc.h"
#include "symbolize/dwarf_reader.h"
#include "symbolize/line_program.h"

/* A DIE tree deeper than this is not a program's: stop descending. */
#define MAX_DIE_DEPTH 256

#define NO_FILE LINE_ROW_END

/* Searched by fs_count_at_or_below(): the key first. */
_Static_assert(offsetof(struct line_row, addr) == 0, "line_row key");
_Static_assert(offsetof(struct dwarf_range, lo) == 0, "dwarf_range key");

struct cu_index {
	struct line_row *rows;
	size_t nrows;
	/* file names of the unit's line table, NULL where unnamed: owned while
	 * the index is built, then interned in the dwarf_info's strings */
	char **files;
	size_t nfiles;
	/* its functions (f.top: subprogram ranges, sorted by lo) */
	struct dwarf_funcs f;
	bool named; /* by dwarf_reader: funcs have their names, else DIE offsets (libdw) */
	size_t bytes;
	/* where the last lookup found its row and subprogram: searches start there */
	size_t row_hint, top_hint;
};

struct unit {
	uint64_t die;  /* offset of the unit DIE */
	size_t header; /* dwarf_reader: its header */
	struct cu_index *index;
	uint64_t last_use; /* use_clock when last indexed or looked up in */
	bool ranged;	   /* its unit DIE gave address ranges */
	bool libdw;	   /* dwarf_reader could not index it: libdw does */
};

struct dwarf_info {
	int fd;
	Elf *elf;
	/*
	 * dwarf_reader reads the units, libdw those it cannot (and every unit of
	 * a file it does not read: whole_libdw).  libdw reads every DWARF
	 * section of the file when it starts: @dw is made only when needed.
	 */
	bool whole_libdw;
	Dwarf *dw;
	bool dw_tried;
	struct dwarf_sections raw; /* dwarf_reader's */
	void *arena;		   /* raw's uncompressed sections, read at open */
	size_t arena_size;
	struct dwarf_unit_header *headers;
	size_t nheaders;
	struct dwarf_reader *reader;	  /* the calling thread's */
	struct line_scratch line_scratch; /* the calling thread's */
	struct unit *units;
	size_t nunits;
	struct dwarf_range *unit_ranges; /* sorted by lo; node = unit index */
	size_t nunit_ranges, unit_hint;
	bool unranged_done; /* units without ranges were indexed and added */
	size_t index_bytes, indexed;
	struct line_sections sections; /* for the line decoder, read once at open */
	struct u64_map names; /* libdw's units: DIE offset -> strtab id + 1 (UINTPTR_MAX: none) */
	struct strtab *strings;
};

static void cu_index__free(struct cu_index *ci)
{
	if (!ci)
		return;
	free(ci->files); /* the names are interned */
	free(ci->rows);
	free(ci->f.funcs);
	free(ci->f.ranges);
	free(ci->f.top);
	free(ci);
}

/* libdw's handle on the file, made on first use; NULL when libdw cannot read it. */
static Dwarf *libdw_of(struct dwarf_info *di)
{
	if (!di->dw_tried) {
		di->dw_tried = true;
		di->dw = dwarf_begin_elf(di->elf, DWARF_C_READ, NULL);
		if (!di->dw)
			fs_debug("symbolize: libdw cannot read the DWARF: %s", dwarf_errmsg(-1));
	}
	return di->dw;
}

static void push_range(struct dwarf_range **v, size_t *n, size_t *cap, uint64_t lo, uint64_t hi,
		       uint32_t node)
{
	if (*n == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	(*v)[(*n)++] = (struct dwarf_range){lo, hi, node};
}

/* ---- libdw's walk, for the units dwarf_reader leaves to it ---- */

/* Add @die as a node if it has code; returns the node index or -1. */
static long add_node(struct dwarf_funcs *f, Dwarf_Die *die, bool top)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	uint32_t first = (uint32_t)f->nranges, node = (uint32_t)f->nfuncs;
	struct dwarf_func *n;
	Dwarf_Attribute attr;
	Dwarf_Die origin;
	Dwarf_Word w;

	while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		if (lo >= hi)
			continue;
		push_range(&f->ranges, &f->nranges, &f->ranges_cap, lo, hi, node);
		if (top)
			push_range(&f->top, &f->ntop, &f->top_cap, lo, hi, node);
	}
	if (f->nranges == first)
		return -1;
	if (f->nfuncs == f->funcs_cap) {
		f->funcs_cap = f->funcs_cap ? 2 * f->funcs_cap : 64;
		f->funcs = xreallocarray(f->funcs, f->funcs_cap, sizeof(*f->funcs));
	}
	n = &f->funcs[f->nfuncs++];
	/* inlined copies share their abstract origin's name: name that DIE, once */
	n->die = dwarf_dieoffset(die);
	if (dwarf_attr(die, DW_AT_abstract_origin, &attr) && dwarf_formref_die(&attr, &origin))
		n->die = dwarf_dieoffset(&origin);
	n->end = node + 1;
	n->range_first = first;
	n->range_count = (uint32_t)(f->nranges - first);
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
 * dwarf_reader__functions() does the same without libdw.
 */
static void walk(struct dwarf_funcs *f, Dwarf_Die *die, int depth, bool in_function)
{
	Dwarf_Die child;

	if (depth > MAX_DIE_DEPTH)
		return;
	do {
		int tag = dwarf_tag(die);
		long node = -1;

		switch (tag) {
		case DW_TAG_subprogram:
			node = add_node(f, die, true);
			if (node < 0)
				continue;
			break;
		case DW_TAG_inlined_subroutine:
			if (!in_function)
				continue; /* an inlined call outside any function: nothing to chain
					     to */
			node = add_node(f, die, false);
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
			walk(f, &child, depth + 1, in_function || node >= 0);
		if (node >= 0)
			f->funcs[node].end = (uint32_t)f->nfuncs;
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

/* ---- the sections dwarf_reader reads ---- */

/* libdw's DWARF section names (dwarf_begin_elf.c), and which of them dwarf_reader reads. */
static const struct {
	const char *name;
	size_t field; /* offset of its struct dwarf_section, or SIZE_MAX */
} known_sections[] = {
#define READ(sec) offsetof(struct dwarf_sections, sec)
	{".debug_info", READ(info)},
	{".debug_types", SIZE_MAX},
	{".debug_abbrev", READ(abbrev)},
	{".debug_addr", READ(addr)},
	{".debug_aranges", SIZE_MAX},
	{".debug_line", READ(line)},
	{".debug_line_str", READ(line_str)},
	{".debug_frame", SIZE_MAX},
	{".debug_loc", SIZE_MAX},
	{".debug_loclists", SIZE_MAX},
	{".debug_pubnames", SIZE_MAX},
	{".debug_str", READ(str)},
	{".debug_str_offsets", READ(str_offsets)},
	{".debug_macinfo", SIZE_MAX},
	{".debug_macro", SIZE_MAX},
	{".debug_ranges", READ(ranges)},
	{".debug_rnglists", READ(rnglists)},
	{".gnu_debugaltlink", SIZE_MAX},
#undef READ
};

#define NKNOWN (sizeof(known_sections) / sizeof(*known_sections))

/* Where load_sections() reads an uncompressed section from, and into. */
struct section_read {
	struct dwarf_section *sec;
	uint64_t offset, size;
};

/* A section's room in the arena: 16-byte aligned starts. */
static size_t arena_room(uint64_t size)
{
	return ((size_t)size + 15) & ~(size_t)15;
}

/* Read @n sections of @fd into one arena (*@arena, *@arena_size); 0 or -errno. */
static int read_sections(int fd, struct section_read *reads, size_t n, void **arena,
			 size_t *arena_size)
{
	size_t total = 0, i, at = 0;
	char *buf;

	for (i = 0; i < n; i++)
		total += arena_room(reads[i].size);
	if (!total)
		return 0;
	/* not elf_getdata()'s malloc memory: see big_buffer.h */
	buf = big_buffer__new(total, true);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t done = 0;

		while (done < reads[i].size) {
			ssize_t r = pread(fd, buf + at + done, reads[i].size - done,
					  (off_t)(reads[i].offset + done));

			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				big_buffer__free(buf, total);
				return r < 0 ? -errno : -EIO; /* truncated meanwhile */
			}
			done += (uint64_t)r;
		}
		reads[i].sec->data = (const uint8_t *)buf + at;
		reads[i].sec->size = reads[i].size;
		at += arena_room(reads[i].size);
	}
	*arena = buf;
	*arena_size = total;
	return 0;
}

/*
 * dwarf_reader's sections of @elf (@size bytes, open as @fd), read as libdw
 * would read them: the same section for each name, decompressed the same
 * way (uncompressed ones into one arena, *@arena of *@arena_size).  Only
 * in the layout every linker makes: each DWARF section once, none in a
 * section group, none .zdebug_ (GNU compression) or .dwo, no dwz
 * supplementary file.  -ENOTSUP for any other: libdw reads that file, as
 * it would (and with it the line decoder's own choice of sections,
 * line_sections()).  Big-endian files are left to libdw too.
 */
static int load_sections(Elf *elf, int fd, uint64_t size, struct dwarf_sections *out, void **arena,
			 size_t *arena_size)
{
	bool seen[NKNOWN] = {false};
	struct section_read reads[NKNOWN];
	size_t shstrndx, k, nreads = 0;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;

	memset(out, 0, sizeof(*out));
	if (!gelf_getehdr(elf, &eh) || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    elf_getshdrstrndx(elf, &shstrndx) < 0)
		return -ENOTSUP;
	while ((scn = elf_nextscn(elf, scn))) {
		struct dwarf_section *sec;
		const char *name;
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			return -ENOTSUP;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			return -ENOTSUP;
		if (!strncmp(name, ".zdebug", 7) || !strncmp(name, ".gnu.debuglto_", 14))
			return -ENOTSUP;
		for (k = 0; k < NKNOWN && strcmp(name, known_sections[k].name); k++)
			;
		if (k == NKNOWN) {
			if (!strncmp(name, ".debug_", 7) && strlen(name) >= 4 &&
			    !strcmp(name + strlen(name) - 4, ".dwo"))
				return -ENOTSUP;
			continue;
		}
		if (seen[k] || (sh.sh_flags & SHF_GROUP))
			return -ENOTSUP;
		seen[k] = true;
		if (sh.sh_type == SHT_NOBITS)
			continue;
		/* even a section not read: libdw fails on a file where it could not be */
		if (!(sh.sh_flags & SHF_COMPRESSED) &&
		    (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset))
			return -ENOTSUP;
		if (known_sections[k].field == SIZE_MAX) {
			if (k == NKNOWN - 1)
				return -ENOTSUP; /* dwz: its forms name another file */
			continue;
		}
		sec = (struct dwarf_section *)((char *)out + known_sections[k].field);
		if (!(sh.sh_flags & SHF_COMPRESSED)) {
			/* the file's bytes, as elf_getdata() would give them */
			if (sh.sh_size)
				reads[nreads++] =
					(struct section_read){sec, sh.sh_offset, sh.sh_size};
			continue;
		}
		if (elf_compress(scn, 0, 0) < 0)
			continue; /* libdw goes on without it too */
		data = elf_getdata(scn, NULL);
		if (!data)
			return -ENOTSUP;
		if (!data->d_buf || !data->d_size)
			continue;
		sec->data = data->d_buf;
		sec->size = data->d_size;
	}
	if (read_sections(fd, reads, nreads, arena, arena_size) < 0)
		return -ENOTSUP;
	return out->info.size ? 0 : -ENOTSUP;
}

/* ---- indexes ---- */

/*
 * The unit's line table, with our own decoder.  What it does not handle
 * (line_program.h) leaves the unit without lines: libdw's reader is not a
 * fallback, since it reads the file names of a damaged table past the end
 * of .debug_line (found by fuzzing libdw 0.188).
 */
static void read_lines(struct cu_index *ci, const struct line_sections *sections, uint64_t offset,
		       const char *comp_dir, unsigned int addr_size, struct line_scratch *scratch)
{
	struct line_table t;
	int err;

	err = line_program__decode(sections, offset, comp_dir, addr_size, scratch, &t);
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
	const struct dwarf_range *x = a, *y = b;

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

/* Rows and subprograms in address order, and the size of the index. */
static struct cu_index *finish_index(struct cu_index *ci)
{
	size_t i;

	for (i = 1; i < ci->nrows; i++)
		if (ci->rows[i].addr < ci->rows[i - 1].addr) {
			/* a sequence that goes back (set_address lower than before):
			 * only broken tables do, and which of the rows of one address
			 * wins is then unspecified */
			qsort(ci->rows, ci->nrows, sizeof(*ci->rows), cmp_row);
			break;
		}
	if (ci->f.ntop)
		qsort(ci->f.top, ci->f.ntop, sizeof(*ci->f.top), cmp_range);
	ci->bytes = sizeof(*ci) + ci->nrows * sizeof(*ci->rows) +
		    ci->f.nfuncs * sizeof(*ci->f.funcs) +
		    (ci->f.nranges + ci->f.ntop) * sizeof(struct dwarf_range) +
		    ci->nfiles * (sizeof(char *) + 48);
	return ci;
}

/*
 * The index of the unit whose DIE is at @unit_die, with libdw (@dw NULL: an
 * empty one).  @scratch: the calling thread's, for the line table.
 */
static struct cu_index *build_index_libdw(Dwarf *dw, const struct line_sections *sections,
					  uint64_t unit_die, struct line_scratch *scratch)
{
	struct cu_index *ci = xcalloc(1, sizeof(*ci));
	uint8_t addr_size = 8, offset_size;
	Dwarf_Attribute attr;
	Dwarf_Die cu, child, unit;
	Dwarf_Word offset;

	if (!dw || !dwarf_offdie(dw, unit_die, &cu))
		return ci;
	if (dwarf_attr(&cu, DW_AT_stmt_list, &attr) && dwarf_formudata(&attr, &offset) == 0 &&
	    sections->line && dwarf_diecu(&cu, &unit, &addr_size, &offset_size))
		read_lines(ci, sections, offset,
			   dwarf_attr(&cu, DW_AT_comp_dir, &attr) ? dwarf_formstring(&attr) : NULL,
			   addr_size, scratch);
	if (dwarf_haschildren(&cu) && dwarf_child(&cu, &child) == 0)
		walk(&ci->f, &child, 1, false);
	return finish_index(ci);
}

/* The index of unit @u with dwarf_reader; NULL when it cannot (libdw then will). */
static struct cu_index *build_index_reader(struct dwarf_reader *r, const struct dwarf_info *di,
					   const struct unit *u, struct line_scratch *scratch)
{
	struct cu_index *ci = xcalloc(1, sizeof(*ci));
	struct dwarf_unit_info info;
	struct dwarf_range *none = NULL;
	size_t n = 0, cap = 0;
	int err;

	ci->named = true;
	err = dwarf_reader__unit(r, u->header, &info, &none, &n, &cap);
	free(none);
	if (!err)
		err = dwarf_reader__functions(r, u->header, MAX_DIE_DEPTH, &ci->f);
	if (err) {
		fs_debug("symbolize: unit at 0x%llx: %s: read with libdw",
			 (unsigned long long)di->headers[u->header].offset, strerror(-err));
		cu_index__free(ci);
		return NULL;
	}
	if (info.has_stmt_list && di->sections.line)
		read_lines(ci, &di->sections, info.stmt_list, info.comp_dir,
			   di->headers[u->header].address_size, scratch);
	return finish_index(ci);
}

static void add_unit_range(struct dwarf_info *di, size_t *cap, uint64_t lo, uint64_t hi)
{
	if (lo >= hi)
		return;
	push_range(&di->unit_ranges, &di->nunit_ranges, cap, lo, hi, (uint32_t)di->nunits);
	di->units[di->nunits].ranged = true;
}

static struct unit *new_unit(struct dwarf_info *di, size_t *cap)
{
	if (di->nunits == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		di->units = xreallocarray(di->units, *cap, sizeof(*di->units));
	}
	memset(&di->units[di->nunits], 0, sizeof(*di->units));
	return &di->units[di->nunits];
}

/*
 * The compilation units and their ranges, with libdw.  Type units,
 * skeletons of split units, and dwz's partial units (shared types and
 * abstract functions, imported by the units with the code) have no code of
 * their own.
 */
static void read_units_libdw(struct dwarf_info *di)
{
	size_t units_cap = 0, ranges_cap = 0;
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, subdie;
	uint8_t unit_type;

	while (dwarf_get_units(di->dw, cu, &cu, NULL, &unit_type, &cudie, &subdie) == 0) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;

		if (unit_type != DW_UT_compile)
			continue;
		new_unit(di, &units_cap)->die = dwarf_dieoffset(&cudie);
		while ((off = dwarf_ranges(&cudie, off, &base, &lo, &hi)) > 0)
			add_unit_range(di, &ranges_cap, lo, hi);
		di->nunits++;
	}
}

/* The same with dwarf_reader: -ENOTSUP (or another error) when libdw is to read them. */
static int read_units_reader(struct dwarf_info *di)
{
	size_t units_cap = 0, ranges_cap = 0, i, j, n, cap;
	struct dwarf_range *ranges = NULL;
	int err = 0;

	err = dwarf_reader__units(&di->raw, &di->headers, &di->nheaders);
	if (err)
		return err;
	di->reader = dwarf_reader__new(&di->raw, di->headers, di->nheaders);
	for (i = 0; i < di->nheaders; i++) {
		struct dwarf_unit_info info;
		struct unit *u;

		if (di->headers[i].unit_type != DW_UT_compile)
			continue;
		u = new_unit(di, &units_cap);
		u->die = di->headers[i].die;
		u->header = i;
		n = cap = 0;
		err = dwarf_reader__unit(di->reader, i, &info, &ranges, &n, &cap);
		if (err)
			break;
		for (j = 0; j < n; j++)
			add_unit_range(di, &ranges_cap, ranges[j].lo, ranges[j].hi);
		free(ranges);
		ranges = NULL;
		di->nunits++;
	}
	free(ranges);
	return err;
}

static void read_units(struct dwarf_info *di)
{
	if (!di->whole_libdw && read_units_reader(di)) {
		/* a file dwarf_reader does not read as libdw would: libdw reads it all */
		fs_debug("symbolize: DWARF left to libdw");
		di->whole_libdw = true;
		dwarf_reader__free(di->reader);
		di->reader = NULL;
		free(di->headers);
		di->headers = NULL;
		di->nheaders = 0;
		free(di->units);
		di->units = NULL;
		di->nunits = 0;
		free(di->unit_ranges);
		di->unit_ranges = NULL;
		di->nunit_ranges = 0;
	}
	if (di->whole_libdw && libdw_of(di)) {
		line_sections(di->dw, &di->sections);
		read_units_libdw(di);
	}
	if (di->nunit_ranges)
		qsort(di->unit_ranges, di->nunit_ranges, sizeof(*di->unit_ranges), cmp_range);
}

struct dwarf_info *dwarf_info__open(int fd)
{
	struct dwarf_info *di;
	struct stat st;
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || fstat(fd, &st) < 0) {
		elf_end(elf);
		close(fd);
		errno = ENOEXEC;
		return NULL;
	}
	di = xcalloc(1, sizeof(*di));
	di->fd = fd;
	di->elf = elf;
	di->strings = strtab__new();
	di->whole_libdw = !!getenv("FLAMESAMP_DWARF_LIBDW") ||
			  load_sections(elf, fd, (uint64_t)st.st_size, &di->raw, &di->arena,
					&di->arena_size) < 0;
	if (di->whole_libdw) {
		if (!libdw_of(di)) {
			dwarf_info__free(di);
			errno = ENOENT;
			return NULL;
		}
		line_sections(di->dw, &di->sections);
	} else {
		/* what line_sections() finds in such a file */
		di->sections = (struct line_sections){
			.line = di->raw.line.data,
			.line_size = di->raw.line.size,
			.line_str = di->raw.line_str.data,
			.line_str_size = di->raw.line_str.size,
			.str = di->raw.str.data,
			.str_size = di->raw.str.size,
		};
	}
	/*
	 * libdw 0.188 reads the strings of these sections with strlen(): one
	 * that does not end in a NUL would be read past its end.  Producers
	 * always end them with one; a file that does not is damaged or hostile.
	 * dwarf_reader relies on it too.
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
	dwarf_reader__free(di->reader);
	line_scratch__release(&di->line_scratch);
	free(di->headers);
	dwarf_end(di->dw);
	elf_end(di->elf);
	big_buffer__free(di->arena, di->arena_size);
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

/*
 * The index of unit @u, built now: by dwarf_reader @r, or by libdw when it
 * cannot (then the unit is marked, for the next time).  NULL only when
 * @dw_allowed is false and libdw is needed: workers leave those units to
 * the calling thread, which owns the libdw handle.
 */
static struct cu_index *build_index(struct dwarf_info *di, struct dwarf_reader *r,
				    struct line_scratch *scratch, struct unit *u, bool dw_allowed)
{
	struct cu_index *ci = NULL;

	if (!di->whole_libdw && !u->libdw) {
		ci = build_index_reader(r, di, u, scratch);
		if (!ci)
			u->libdw = true;
	}
	if (!ci && dw_allowed)
		ci = build_index_libdw(di->whole_libdw ? di->dw : libdw_of(di), &di->sections,
				       u->die, scratch);
	return ci;
}

static struct cu_index *unit_index(struct dwarf_info *di, struct unit *u)
{
	if (!u->index)
		set_index(di, u, build_index(di, di->reader, &di->line_scratch, u, true));
	u->last_use = ++use_clock;
	return u->index;
}

/*
 * Ranges sorted by lo may nest or overlap: look back from the last start
 * at or below @addr for one that contains it.  A few steps suffice for
 * real files; the bound keeps a hostile one from making lookups linear.
 */
#define LOOK_BACK 16

static long find_range(const struct dwarf_range *r, size_t n, uint64_t addr, size_t *hint)
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
		for (j = 0; j < ci->f.ntop; j++)
			push_range(&di->unit_ranges, &di->nunit_ranges, &cap, ci->f.top[j].lo,
				   ci->f.top[j].hi, (uint32_t)i);
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

static bool func_contains(const struct cu_index *ci, const struct dwarf_func *f, uint64_t addr)
{
	uint32_t i;

	for (i = 0; i < f->range_count; i++) {
		const struct dwarf_range *r = &ci->f.ranges[f->range_first + i];

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
 * specifications), for the units libdw indexed: its mangled linkage name,
 * else its name; cached.  dwarf_reader names its units' functions itself,
 * by the same rules.
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
	if (di->dw && dwarf_offdie(di->dw, die_off, &die)) {
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
	const struct dwarf_func *funcs;
	struct cu_index *ci;
	struct unit *u;
	size_t depth = 0, n = 0, k, nfuncs;
	long top;

	if (!di || !max)
		return 0;
	u = unit_of(di, addr);
	if (!u)
		return 0;
	ci = unit_index(di, u);
	funcs = ci->f.funcs;
	nfuncs = ci->f.nfuncs;
	row = row_at(ci, addr);
	top = find_range(ci->f.top, ci->f.ntop, addr, &ci->top_hint);
	if (top >= 0) {
		uint32_t cur = ci->f.top[top].node;

		chain[depth++] = cur;
		while (depth < MAX_INLINE_DEPTH) {
			uint32_t j = cur + 1, found = UINT32_MAX;

			for (; j < funcs[cur].end && j < nfuncs; j = funcs[j].end) {
				if (func_contains(ci, &funcs[j], addr)) {
					found = j;
					break;
				}
				if (funcs[j].end <= j)
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
		const struct dwarf_func *f = &funcs[chain[k]];
		struct dwarf_location *l = &out[n++];

		l->name = ci->named ? f->name : die_name(di, f->die);
		if (k == depth - 1) {
			l->file = row ? file_name(ci, row->file) : NULL;
			l->line = row ? row->line : 0;
		} else {
			const struct dwarf_func *callee = &funcs[chain[k + 1]];

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
 * A worker: its own dwarf_reader (or, for a file left to libdw, its own
 * libdw handle), units taken one at a time.  libdw handles are made before
 * the threads start, on the one Elf of the file: libdw then shares the
 * sections it read (and decompressed), and each handle keeps its own unit
 * and abbreviation state.  A unit dwarf_reader cannot index is left to the
 * calling thread, which has the one libdw handle for those.
 */
struct worker {
	struct prepare_job *job;
	Dwarf *dw;
	struct dwarf_reader *reader;
	struct line_scratch *scratch;
};

static void *prepare_worker(void *arg)
{
	struct worker *w = arg;
	struct prepare_job *job = w->job;
	struct dwarf_info *di = job->di;
	size_t i;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->ntodo) {
		struct unit *u = &di->units[job->todo[i]];

		u->index = di->whole_libdw
				   ? build_index_libdw(w->dw, &di->sections, u->die, w->scratch)
				   : build_index(di, w->reader, w->scratch, u, false);
	}
	return NULL;
}

void dwarf_info__prepare(struct dwarf_info *di, const uint64_t *addrs, size_t n,
			 unsigned int threads)
{
	struct prepare_job job = {.di = di};
	struct worker workers[MAX_THREADS];
	struct line_scratch scratch[MAX_THREADS] = {{NULL, 0}};
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
	/* the calling thread is worker 0 */
	workers[0] = (struct worker){&job, di->dw, di->reader, &di->line_scratch};
	for (t = 1; t < threads; t++) {
		workers[t] = (struct worker){.job = &job, .scratch = &scratch[t]};
		if (!di->whole_libdw) {
			workers[t].reader = dwarf_reader__new(&di->raw, di->headers, di->nheaders);
			continue;
		}
		workers[t].dw = dwarf_begin_elf(di->elf, DWARF_C_READ, NULL);
		if (!workers[t].dw)
			break;
	}
	nworkers = t;
	for (t = 1; t < nworkers; t++)
		if (pthread_create(&tids[t], NULL, prepare_worker, &workers[t]) == 0)
			started[t] = true;
	prepare_worker(&workers[0]);
	for (t = 1; t < nworkers; t++) {
		if (started[t])
			pthread_join(tids[t], NULL);
		dwarf_end(workers[t].dw);
		dwarf_reader__free(workers[t].reader);
		line_scratch__release(&scratch[t]);
	}
	for (i = 0; i < job.ntodo; i++) {
		struct unit *u = &di->units[job.todo[i]];
		struct cu_index *ci = u->index;

		/* what dwarf_reader left to libdw is indexed here */
		u->index = NULL;
		set_index(di, u, ci ? ci : build_index(di, di->reader, &di->line_scratch, u, true));
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

size_t dwarf_info__units_by_libdw(const struct dwarf_info *di)
{
	size_t i, n = 0;

	for (i = 0; di && i < di->nunits; i++)
		n += di->units[i].index && (di->whole_libdw || di->units[i].libdw);
	return n;
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
