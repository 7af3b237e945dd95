// SPDX-License-Identifier: Apache-2.0
#include "symbolize/elf_symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/number.h"
#include "common/search.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define NO_SYMBOL UINT32_MAX

struct load_segment {
	uint64_t offset, filesz, vaddr;
};

struct symbol {
	uint64_t addr;
	uint32_t name;	   /* offset in names */
	uint32_t name_len; /* strlen() of the name: printing needs no strlen() */
};

struct elf_symbols {
	struct load_segment *segs;
	size_t nsegs;
	struct symbol *syms;
	size_t nsyms;
	/*
	 * Addresses from range_start[i] up to range_start[i + 1] belong to
	 * symbol range_sym[i] (NO_SYMBOL: none).  Two arrays: the binary search
	 * touches only the starts.
	 */
	uint64_t *range_start;
	uint32_t *range_sym;
	size_t nranges;
	char *names;
	size_t names_size;
	bool from_symtab;
};

struct section_info {
	uint64_t end; /* sh_addr + sh_size, saturated */
	bool alloc, exec;
};

/*
 * A symbol table entry that passed the filters, before symbols at one address
 * are merged.  Kept small (24 bytes): a large table's candidates are fresh
 * memory, a page fault per 4 KiB.  Ties of address and rank go to the one
 * collected first (the lower symbol table index).
 */
struct candidate {
	uint64_t addr;
	uint64_t end;	     /* addr + size, saturated; addr for size 0 */
	uint32_t name;	     /* offset in the string table section */
	uint32_t shndx : 28; /* its section */
	uint32_t rank : 4;   /* lower is preferred: binding, then sized, then typed */
};

#define MAX_SECTIONS (1u << 28)

/* The string table section of the symbol table being read. */
struct strings {
	const char *data;
	size_t size;
};

/*
 * The addresses after merging (es->syms[i].addr), what each covers, before
 * the covering rules are resolved: up to end[i]; sized[i] false for a
 * symbol of size 0, whose end is where the next one starts.
 */
struct groups {
	uint64_t *end;
	bool *sized;
};

/* Bits of a sort word taken per radix pass: 2048 counts stay in L1. */
#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RANK_BITS  4

/*
 * The usual case of sort_candidates(): words of (address - lowest, rank,
 * position) sorted by their top two fields (positions are in index order
 * already, and the sort is stable), 11 bits a pass: on libLLVM's .dynsym
 * (35k candidates) 3 passes.  The result is left in @work or @work + @n.
 * NULL when the words cannot hold the span of addresses and the positions.
 */
static uint64_t *sort_words(const struct candidate *c, size_t n, uint64_t *work,
			    unsigned int pos_bits)
{
	uint32_t(*count)[RADIX_SIZE];
	uint64_t lo = UINT64_MAX, hi = 0, *from = work, *to = work + n, *swap;
	unsigned int key_bits, passes, pass;
	size_t i;

	for (i = 0; i < n; i++) {
		lo = c[i].addr < lo ? c[i].addr : lo;
		hi = c[i].addr > hi ? c[i].addr : hi;
	}
	key_bits = RANK_BITS + fs_bit_width(hi - lo);
	if (key_bits + pos_bits > 64)
		return NULL;
	passes = (key_bits + RADIX_BITS - 1) / RADIX_BITS;
	count = xcalloc(passes, sizeof(*count));
	for (i = 0; i < n; i++) {
		uint64_t w = ((c[i].addr - lo) << RANK_BITS | c[i].rank) << pos_bits | i;

		from[i] = w;
		for (pass = 0; pass < passes; pass++)
			count[pass][(w >> (pos_bits + pass * RADIX_BITS)) & (RADIX_SIZE - 1)]++;
	}
	for (pass = 0; pass < passes; pass++) {
		unsigned int shift = pos_bits + pass * RADIX_BITS, d;
		uint32_t *cnt = count[pass], sum = 0;

		for (d = 0; d < RADIX_SIZE; d++) {
			uint32_t k = cnt[d];

			cnt[d] = sum;
			sum += (uint32_t)k;
		}
		for (i = 0; i < n; i++)
			to[cnt[(from[i] >> shift) & (RADIX_SIZE - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	free(count);
	return from;
}

/*
 * The order of the candidates by address, then rank, then position (the
 * symbol table index, as collected): order[i] is the position of the i-th.
 * A stable LSD radix sort of positions, never of the candidates
 * themselves: moving and gathering those was most of the sort's time, and
 * on a large table fresh memory costs a page fault per 4 KiB.  @work: room
 * for 2 * @n words; the order takes its first 4 * @n bytes, and the second
 * half of @work is free again on return.
 */
static uint32_t *sort_candidates(const struct candidate *c, size_t n, uint64_t *work)
{
	uint32_t *order = (uint32_t *)work, *src, *dst, *swap;
	unsigned int pos_bits = fs_bit_width(n ? n - 1 : 0);
	size_t count[9][256] = {{0}};
	uint64_t mask = (UINT64_C(1) << pos_bits) - 1, *words;
	size_t i, pass;

	words = sort_words(c, n, work, pos_bits);
	if (words) {
		/*
		 * In place from the first half: order[i] lies in words[i / 2],
		 * already read; from the second half nothing overlaps.
		 */
		for (i = 0; i < n; i++)
			order[i] = (uint32_t)(words[i] & mask);
		return order;
	}
	/* a span of addresses too wide for the words: a byte a pass, rank first */
	src = order;
	dst = (uint32_t *)(work + n);
	for (i = 0; i < n; i++) {
		src[i] = (uint32_t)i;
		count[0][c[i].rank]++;
		for (pass = 1; pass < 9; pass++)
			count[pass][(c[i].addr >> (8 * (pass - 1))) & 0xff]++;
	}
	for (pass = 0; pass < 9; pass++) {
		size_t *cnt = count[pass], sum = 0, b;

		for (b = 0; b < 256 && cnt[b] != n; b++)
			;
		if (b < 256)
			continue; /* one value everywhere: nothing moves */
		for (b = 0; b < 256; b++) {
			size_t k = cnt[b];

			cnt[b] = sum;
			sum += k;
		}
		for (i = 0; i < n; i++) {
			const struct candidate *x = &c[src[i]];
			unsigned int key = pass ? (x->addr >> (8 * (pass - 1))) & 0xff : x->rank;

			dst[cnt[key]++] = src[i];
		}
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != order)
		memcpy(order, src, n * sizeof(*order));
	return order;
}

static unsigned int bind_rank(unsigned int bind)
{
	switch (bind) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return 0;
	case STB_WEAK:
		return 1;
	case STB_LOCAL:
		return 2;
	default:
		return 3;
	}
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}

/* Binary max-heap of group indexes: the active sized symbol that starts last is on top. */
struct heap {
	uint32_t *v;
	size_t n;
};

static void heap_push(struct heap *h, uint32_t x)
{
	size_t i = h->n++;

	while (i) {
		size_t parent = (i - 1) / 2;

		if (h->v[parent] >= x)
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = x;
}

static void heap_pop(struct heap *h)
{
	uint32_t x = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->v[child + 1] > h->v[child])
			child++;
		if (h->v[child] <= x)
			break;
		h->v[i] = h->v[child];
		i = child;
	}
	if (h->n)
		h->v[i] = x;
}

static void add_range(struct elf_symbols *es, uint64_t start, uint32_t sym)
{
	if (es->nranges ? es->range_sym[es->nranges - 1] == sym : sym == NO_SYMBOL)
		return;
	es->range_start[es->nranges] = start;
	es->range_sym[es->nranges++] = sym;
}

/*
 * Turn the merged symbols into disjoint ranges with one sweep in address
 * order: the innermost active sized symbol wins, else a size-0 symbol whose
 * extent still holds.  Between two symbol starts, coverage changes only
 * where the current winner ends, so each group adds at most one range for
 * its start and one per symbol it outlives: 2 * ngroups ranges at most.
 */
static void build_ranges(struct elf_symbols *es, const struct groups *g, size_t ngroups)
{
	struct heap heap = {xreallocarray(NULL, ngroups, sizeof(*heap.v)), 0};
	size_t i;

	es->range_start = xreallocarray(NULL, 2 * ngroups, sizeof(*es->range_start));
	es->range_sym = xreallocarray(NULL, 2 * ngroups, sizeof(*es->range_sym));
	for (i = 0; i < ngroups; i++) {
		uint64_t pos = es->syms[i].addr;
		uint64_t limit = i + 1 < ngroups ? es->syms[i + 1].addr : UINT64_MAX;

		if (g->sized[i])
			heap_push(&heap, (uint32_t)i);
		for (;;) {
			uint32_t winner = NO_SYMBOL;
			uint64_t until = UINT64_MAX;

			while (heap.n && g->end[heap.v[0]] <= pos)
				heap_pop(&heap);
			if (heap.n) {
				winner = heap.v[0];
				until = g->end[winner];
			} else if (!g->sized[i] && pos < g->end[i]) {
				winner = (uint32_t)i;
				until = g->end[i];
			}
			add_range(es, pos, winner);
			if (until >= limit)
				break;
			pos = until;
		}
	}
	free(heap.v);
}

/*
 * Merge the candidates, in @order (sort_candidates()), by address, copy the
 * chosen names, then build the ranges.  @group_end: room for @n words.
 */
static int build(struct elf_symbols *es, const struct candidate *c, const uint32_t *order, size_t n,
		 const struct strings *strs, const struct section_info *secs, uint64_t *group_end)
{
	struct strbuf names = STRBUF_INIT;
	struct groups g = {group_end, NULL};
	size_t i, j, k = 0, names_len;
	int err = 0;

	if (!n)
		return 0;
	/*
	 * The names chosen fit in the string table: reserved at once, the
	 * buffer is never copied as it grows, and pages it does not use are
	 * never touched (a large malloc is mmapped; the realloc below trims it).
	 */
	strbuf_grow(&names, strs->size + 1);
	es->syms = xreallocarray(NULL, n, sizeof(*es->syms));
	g.sized = xmalloc(n);
	for (i = 0; i < n; i = j) {
		const struct candidate *first = &c[order[i]];
		uint64_t sec_end = 0, end = first->addr;
		const char *name = NULL;
		size_t len = 0;

		/*
		 * Candidates and names are read in address order, a cache miss
		 * each: fetched ahead, the name once its candidate is in cache.
		 */
		if (i + 32 < n)
			__builtin_prefetch(&c[order[i + 32]]);
		if (i + 16 < n)
			__builtin_prefetch(strs->data + c[order[i + 16]].name);
		/* the symbols at one address, best first; those without a name do not count */
		for (j = i; j < n && c[order[j]].addr == first->addr; j++) {
			const struct candidate *x = &c[order[j]];

			if (!strs->data[x->name])
				continue;
			if (!name) {
				name = strs->data + x->name;
				len = strnlen(name, strs->size - x->name);
			}
			if (x->end > end)
				end = x->end;
			if (secs[x->shndx].end > sec_end)
				sec_end = secs[x->shndx].end;
		}
		if (!name)
			continue;
		if (names.len + len + 1 > UINT32_MAX) {
			err = -EFBIG;
			goto out;
		}
		es->syms[k] = (struct symbol){first->addr, (uint32_t)names.len, (uint32_t)len};
		strbuf_add(&names, name, len);
		strbuf_addch(&names, '\0');
		g.sized[k] = end > first->addr;
		/* a size-0 group: up to its section's end here, the next symbol below */
		g.end[k] = g.sized[k] ? end : sec_end;
		k++;
	}
	for (i = 0; i < k; i++) {
		if (g.sized[i])
			continue;
		if (i + 1 < k && es->syms[i + 1].addr < g.end[i])
			g.end[i] = es->syms[i + 1].addr;
		if (g.end[i] < es->syms[i].addr)
			g.end[i] = es->syms[i].addr;
	}
	es->nsyms = k;
	es->syms = xreallocarray(es->syms, k ? k : 1, sizeof(*es->syms));
	es->names = strbuf_detach(&names, &names_len);
	es->names = xrealloc(es->names, names_len + 1);
	es->names_size = names_len + 1;
	build_ranges(es, &g, k);
	es->range_start = xreallocarray(es->range_start, es->nranges ? es->nranges : 1,
					sizeof(*es->range_start));
	es->range_sym =
		xreallocarray(es->range_sym, es->nranges ? es->nranges : 1, sizeof(*es->range_sym));
out:
	free(g.sized);
	strbuf_release(&names);
	return err;
}

/* The symbol table section index that an extended section index table belongs to. */
static Elf_Data *find_xindex(Elf *elf, size_t symtab_index)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB_SHNDX &&
		    sh.sh_link == symtab_index)
			return elf_getdata(scn, NULL);
	return NULL;
}

/* Candidates gathered from one or more symbol tables, before sorting. */
struct cand_set {
	struct candidate *c;
	size_t n;
};

/*
 * Append the candidates of symbol table @scn to @set.  Their name offsets are
 * @name_base plus the offset in the table's string section, their section
 * indexes @shndx_base plus the index in @elf: several tables can then share
 * one string buffer and one section array.  *@strs is the string section.
 */
static void collect_table(struct cand_set *set, Elf *elf, Elf_Scn *scn,
			  const struct section_info *secs, size_t nsecs, unsigned int machine,
			  uint32_t name_base, uint32_t shndx_base, struct strings *strs)
{
	Elf_Data *data, *strdata, *xndx;
	Elf_Scn *strscn;
	GElf_Shdr sh;
	size_t symsize, n, i;
	bool native64;

	*strs = (struct strings){NULL, 0};
	if (!gelf_getshdr(scn, &sh))
		return;
	data = elf_getdata(scn, NULL);
	strscn = elf_getscn(elf, sh.sh_link);
	strdata = strscn ? elf_getdata(strscn, NULL) : NULL;
	symsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!data || !data->d_buf || !strdata || !strdata->d_buf || !strdata->d_size || !symsize ||
	    strdata->d_size > UINT32_MAX)
		return;
	n = data->d_size / symsize;
	if (n > INT32_MAX)
		n = INT32_MAX;
	xndx = find_xindex(elf, elf_ndxscn(scn));
	set->c = xreallocarray(set->c, set->n + (n ? n : 1), sizeof(*set->c));
	*strs = (struct strings){strdata->d_buf, strdata->d_size};
	/* libelf gives ELF_T_SYM data in memory form: 64-bit entries are read in place */
	native64 = gelf_getclass(elf) == ELFCLASS64 && data->d_type == ELF_T_SYM &&
		   symsize == sizeof(Elf64_Sym) && !((uintptr_t)data->d_buf % _Alignof(Elf64_Sym));
	for (i = 0; i < n; i++) {
		unsigned int type, bind;
		struct candidate *c;
		const char *name;
		size_t shndx;
		GElf_Sym st;

		if (native64)
			st = ((const Elf64_Sym *)data->d_buf)[i];
		else if (!gelf_getsym(data, (int)i, &st))
			continue;
		type = GELF_ST_TYPE(st.st_info);
		bind = GELF_ST_BIND(st.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
			continue;
		if (st.st_shndx == SHN_UNDEF ||
		    (st.st_shndx >= SHN_LORESERVE && st.st_shndx != SHN_XINDEX))
			continue;
		shndx = st.st_shndx;
		if (shndx == SHN_XINDEX) {
			uint32_t x;

			if (!xndx || !xndx->d_buf || xndx->d_size / sizeof(x) <= i)
				continue;
			memcpy(&x, (const char *)xndx->d_buf + i * sizeof(x), sizeof(x));
			shndx = x;
		}
		if (shndx >= nsecs || shndx_base + shndx >= MAX_SECTIONS)
			continue;
		/* untyped symbols only where code is: hand-written assembly entry points */
		if (type == STT_NOTYPE ? !secs[shndx].exec : !secs[shndx].alloc)
			continue;
		/*
		 * No name starting past the end of the table.  Empty names are
		 * dropped by build(), which reads the names in address order: read
		 * here, in table order, each would be a cache miss.
		 */
		if (st.st_name >= strs->size)
			continue;
		/* assembler-local labels and ARM/AArch64/RISC-V mapping symbols ($x, $d, $t) */
		if (type == STT_NOTYPE) {
			name = strs->data + st.st_name;
			if (name[0] == '$' ||
			    (name[0] == '.' && st.st_name + 1 < strs->size && name[1] == 'L'))
				continue;
		}
		c = &set->c[set->n++];
		c->addr = st.st_value;
		if (machine == EM_ARM && type == STT_FUNC)
			c->addr &= ~1ULL; /* the Thumb bit */
		c->end = add_sat(c->addr, st.st_size);
		c->name = name_base + (uint32_t)st.st_name;
		c->shndx = (shndx_base + (uint32_t)shndx) & (MAX_SECTIONS - 1);
		c->rank = (unsigned int)(bind_rank(bind) * 4 + (st.st_size ? 0 : 2) +
					 (type == STT_NOTYPE ? 1 : 0));
	}
}

static int load_table(struct elf_symbols *es, Elf *elf, Elf_Scn *scn,
		      const struct section_info *secs, size_t nsecs, unsigned int machine)
{
	struct cand_set set = {NULL, 0};
	struct strings strs;
	int err;

	uint64_t *work;

	collect_table(&set, elf, scn, secs, nsecs, machine, 0, 0, &strs);
	work = xreallocarray(NULL, set.n ? 2 * set.n : 1, sizeof(*work));
	err = build(es, set.c, sort_candidates(set.c, set.n, work), set.n, &strs, secs,
		    work + set.n);
	free(work);
	free(set.c);
	return err;
}

/* The PT_LOAD segments of @elf, which must be an executable or a shared object. */
static int load_segments(struct elf_symbols *es, Elf *elf, GElf_Ehdr *ehdr)
{
	size_t phnum, i;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, ehdr) ||
	    (ehdr->e_type != ET_EXEC && ehdr->e_type != ET_DYN) || elf_getphdrnum(elf, &phnum) < 0)
		return -ENOEXEC;
	es->segs = xreallocarray(NULL, phnum ? phnum : 1, sizeof(*es->segs));
	for (i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_filesz)
			es->segs[es->nsegs++] =
				(struct load_segment){ph.p_offset, ph.p_filesz, ph.p_vaddr};
	}
	return 0;
}

/* The sections of @elf (the caller frees *@secs) and its first .symtab and .dynsym. */
static void read_sections(Elf *elf, struct section_info **secs, size_t *shnum, Elf_Scn **symtab,
			  Elf_Scn **dynsym)
{
	Elf_Scn *scn = NULL;

	*symtab = *dynsym = NULL;
	if (elf_getshdrnum(elf, shnum) < 0)
		*shnum = 0;
	*secs = xcalloc(*shnum ? *shnum : 1, sizeof(**secs));
	while ((scn = elf_nextscn(elf, scn))) {
		size_t idx = elf_ndxscn(scn);
		GElf_Shdr sh;

		if (idx >= *shnum || !gelf_getshdr(scn, &sh))
			continue;
		(*secs)[idx].end = add_sat(sh.sh_addr, sh.sh_size);
		(*secs)[idx].alloc = sh.sh_flags & SHF_ALLOC;
		(*secs)[idx].exec = (sh.sh_flags & SHF_ALLOC) && (sh.sh_flags & SHF_EXECINSTR);
		if (sh.sh_type == SHT_SYMTAB && !*symtab)
			*symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM && !*dynsym)
			*dynsym = scn;
	}
}

static int load_elf(struct elf_symbols *es, Elf *elf)
{
	struct section_info *secs = NULL;
	Elf_Scn *symtab, *dynsym;
	GElf_Ehdr ehdr;
	size_t shnum;
	int err;

	err = load_segments(es, elf, &ehdr);
	if (err < 0)
		return err;
	read_sections(elf, &secs, &shnum, &symtab, &dynsym);
	if (symtab) {
		err = load_table(es, elf, symtab, secs, shnum, ehdr.e_machine);
		if (err < 0)
			goto out;
		es->from_symtab = es->nsyms > 0;
	}
	if (!es->nsyms && dynsym)
		err = load_table(es, elf, dynsym, secs, shnum, ehdr.e_machine);
out:
	free(secs);
	return err;
}

/*
 * Segments from @bin; symbols from the .symtab of @dbg, and with @merge_dynsym
 * from the .dynsym of @bin as well.  Two tables share one string buffer (the
 * first, a NUL, the second) and one section array (@bin's sections after
 * @dbg's), so the usual sort and build apply to them together.
 */
static int load_elf_debug(struct elf_symbols *es, Elf *bin, Elf *dbg, bool merge_dynsym)
{
	struct section_info *dsecs = NULL, *bsecs = NULL, *secs = NULL;
	Elf_Scn *dsymtab, *ddynsym, *bsymtab, *bdynsym = NULL;
	size_t dshnum, bshnum = 0;
	struct cand_set set = {NULL, 0};
	struct strings dstrs, bstrs = {NULL, 0}, strs;
	uint64_t *work = NULL;
	GElf_Ehdr ehdr, dehdr;
	char *joined = NULL;
	int err;

	err = load_segments(es, bin, &ehdr);
	if (err < 0)
		return err;
	/* a debug file has the type of its binary; --only-keep-debug keeps the ELF header */
	if (elf_kind(dbg) != ELF_K_ELF || !gelf_getehdr(dbg, &dehdr) ||
	    dehdr.e_machine != ehdr.e_machine || dehdr.e_ident[EI_CLASS] != ehdr.e_ident[EI_CLASS])
		return -ENOEXEC;
	read_sections(dbg, &dsecs, &dshnum, &dsymtab, &ddynsym);
	if (!dsymtab)
		goto out;
	collect_table(&set, dbg, dsymtab, dsecs, dshnum, ehdr.e_machine, 0, 0, &dstrs);
	if (!set.n)
		goto out;
	strs = dstrs;
	secs = dsecs;
	if (merge_dynsym) {
		read_sections(bin, &bsecs, &bshnum, &bsymtab, &bdynsym);
		if (bdynsym && dshnum <= UINT32_MAX - bshnum && dstrs.size < UINT32_MAX) {
			size_t before = set.n;

			collect_table(&set, bin, bdynsym, bsecs, bshnum, ehdr.e_machine,
				      (uint32_t)dstrs.size + 1, (uint32_t)dshnum, &bstrs);
			if (set.n > before && dstrs.size + 1 + bstrs.size <= UINT32_MAX) {
				joined = xmalloc(dstrs.size + 1 + bstrs.size);
				memcpy(joined, dstrs.data, dstrs.size);
				joined[dstrs.size] = '\0';
				memcpy(joined + dstrs.size + 1, bstrs.data, bstrs.size);
				strs = (struct strings){joined, dstrs.size + 1 + bstrs.size};
				secs = xreallocarray(NULL, dshnum + bshnum, sizeof(*secs));
				memcpy(secs, dsecs, dshnum * sizeof(*secs));
				memcpy(secs + dshnum, bsecs, bshnum * sizeof(*secs));
			} else {
				set.n = before;
			}
		}
	}
	work = xreallocarray(NULL, 2 * set.n, sizeof(*work));
	err = build(es, set.c, sort_candidates(set.c, set.n, work), set.n, &strs, secs,
		    work + set.n);
	es->from_symtab = es->nsyms > 0;
out:
	if (secs != dsecs)
		free(secs);
	free(joined);
	free(bsecs);
	free(dsecs);
	free(work);
	free(set.c);
	return err;
}

/*
 * Takes ownership of @elf and @dbg (NULL for a failed elf_begin()).  With
 * @dbg, symbols come from its .symtab, placed with @elf's segments.
 */
static struct elf_symbols *from_elf(Elf *elf, Elf *dbg, bool merge_dynsym)
{
	struct elf_symbols *es = NULL;
	int err = -ENOEXEC;

	if (!elf)
		goto out;
	es = xcalloc(1, sizeof(*es));
	err = dbg ? load_elf_debug(es, elf, dbg, merge_dynsym) : load_elf(es, elf);
	if (err < 0) {
		elf_symbols__free(es);
		es = NULL;
	}
out:
	if (dbg)
		elf_end(dbg);
	if (elf)
		elf_end(elf);
	if (err < 0)
		errno = -err;
	return es;
}

struct elf_symbols *elf_symbols__open_fd(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return NULL;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	/*
	 * Mapped, not read: the symbol and string tables are read once, in
	 * place, and only the names kept are copied.  Reading them (ELF_C_READ)
	 * copied every page into fresh memory first, a third of the load time of
	 * a large .dynsym.  The mapping lives only while the tables load (as in
	 * perf and llvm-symbolizer, a file truncated in that window would fault).
	 */
	return from_elf(elf_begin(fd, ELF_C_READ_MMAP, NULL), NULL, false);
}

/* Both files must be regular: a FIFO or a directory would block or fail in libelf. */
static bool regular_file(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return false;
	}
	return true;
}

struct elf_symbols *elf_symbols__open_fd_debug(int fd, int debug_fd)
{
	if (!regular_file(fd) || !regular_file(debug_fd))
		return NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	return from_elf(elf_begin(fd, ELF_C_READ, NULL), elf_begin(debug_fd, ELF_C_READ, NULL),
			false);
}

struct elf_symbols *elf_symbols__open_fd_minidebug(int fd, const void *image, size_t size)
{
	struct elf_symbols *es;
	char *copy;
	int saved;

	if (!regular_file(fd))
		return NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	/* libelf may convert a foreign-endian image in place: give it a writable copy */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, image, size);
	es = from_elf(elf_begin(fd, ELF_C_READ, NULL), elf_memory(copy, size), true);
	saved = errno;
	free(copy);
	errno = saved;
	return es;
}

struct elf_symbols *elf_symbols__open(const char *path)
{
	struct elf_symbols *es;
	int fd, saved;

	/* O_NONBLOCK: opening a FIFO named like a library must not hang */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	es = elf_symbols__open_fd(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return es;
}

struct elf_symbols *elf_symbols__from_memory(const void *image, size_t size)
{
	struct elf_symbols *es;
	char *copy;
	int saved;

	if (elf_version(EV_CURRENT) == EV_NONE) {
		errno = ENOSYS;
		return NULL;
	}
	/* libelf may convert a foreign-endian image in place: give it a writable copy */
	copy = xmalloc(size ? size : 1);
	memcpy(copy, image, size);
	es = from_elf(elf_memory(copy, size), NULL, false);
	saved = errno;
	free(copy);
	errno = saved;
	return es;
}

void elf_symbols__free(struct elf_symbols *es)
{
	if (!es)
		return;
	free(es->range_sym);
	free(es->range_start);
	free(es->names);
	free(es->syms);
	free(es->segs);
	free(es);
}

int elf_symbols__offset_to_vaddr(const struct elf_symbols *es, uint64_t offset, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < es->nsegs; i++) {
		const struct load_segment *s = &es->segs[i];

		if (offset >= s->offset && offset - s->offset < s->filesz) {
			*vaddr = offset - s->offset + s->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

long elf_symbols__find(const struct elf_symbols *es, uint64_t vaddr)
{
	const uint64_t *base = es->range_start;
	size_t n = es->nranges;
	uint32_t sym;

	if (!n || base[0] > vaddr)
		return -1;
	/* the last start <= vaddr; branch-free (a conditional move), as lookups are random */
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] <= vaddr ? base + half : base;
		n -= half;
	}
	sym = es->range_sym[base - es->range_start];
	return sym == NO_SYMBOL ? -1 : (long)sym;
}

long elf_symbols__find_near(const struct elf_symbols *es, uint64_t vaddr, size_t *hint)
{
	size_t n = fs_count_at_or_below(es->range_start, sizeof(*es->range_start), es->nranges,
					vaddr, hint);
	uint32_t sym;

	if (!n)
		return -1;
	sym = es->range_sym[n - 1];
	return sym == NO_SYMBOL ? -1 : (long)sym;
}

size_t elf_symbols__count(const struct elf_symbols *es)
{
	return es->nsyms;
}

const char *elf_symbols__name(const struct elf_symbols *es, size_t idx)
{
	return es->names + es->syms[idx].name;
}

const char *elf_symbols__name_len(const struct elf_symbols *es, size_t idx, size_t *len)
{
	*len = es->syms[idx].name_len;
	return es->names + es->syms[idx].name;
}

uint64_t elf_symbols__addr(const struct elf_symbols *es, size_t idx)
{
	return es->syms[idx].addr;
}

bool elf_symbols__from_symtab(const struct elf_symbols *es)
{
	return es->from_symtab;
}

size_t elf_symbols__memory(const struct elf_symbols *es)
{
	if (!es)
		return 0;
	return sizeof(*es) + es->nsegs * sizeof(*es->segs) + es->nsyms * sizeof(*es->syms) +
	       es->nranges * (sizeof(*es->range_start) + sizeof(*es->range_sym)) + es->names_size;
}
