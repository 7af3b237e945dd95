// SPDX-License-Identifier: Apache-2.0
#include "symbolize/line_program.h"

#include <dwarf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

/* A bounded reader: every read checks the end, and a failed one sticks. */
struct reader {
	const uint8_t *p, *end;
	bool big_endian;
	bool bad;
};

static uint64_t read_uint(struct reader *r, unsigned int size)
{
	uint64_t v = 0;
	unsigned int i;

	if (r->bad || (size_t)(r->end - r->p) < size) {
		r->bad = true;
		return 0;
	}
	for (i = 0; i < size; i++)
		v |= (uint64_t)r->p[r->big_endian ? size - 1 - i : i] << (8 * i);
	r->p += size;
	return v;
}

static uint64_t read_uleb(struct reader *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (!r->bad) {
		uint8_t b;

		if (r->p >= r->end) {
			r->bad = true;
			break;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	return 0;
}

static int64_t read_sleb(struct reader *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b = 0;

	do {
		if (r->bad || r->p >= r->end) {
			r->bad = true;
			return 0;
		}
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
	} while (b & 0x80);
	if (shift < 64 && (b & 0x40))
		v |= ~(uint64_t)0 << shift;
	return (int64_t)v;
}

static const char *read_cstr(struct reader *r)
{
	const uint8_t *nul;
	const char *s;

	if (r->bad || !(nul = memchr(r->p, 0, (size_t)(r->end - r->p)))) {
		r->bad = true;
		return NULL;
	}
	s = (const char *)r->p;
	r->p = nul + 1;
	return s;
}

static void skip(struct reader *r, uint64_t n)
{
	if (r->bad || (uint64_t)(r->end - r->p) < n)
		r->bad = true;
	else
		r->p += n;
}

/* A NUL-terminated string at @off of a string section, or NULL. */
static const char *section_str(const uint8_t *sec, size_t size, uint64_t off)
{
	if (!sec || off >= size || !memchr(sec + off, 0, size - off))
		return NULL;
	return (const char *)sec + off;
}

struct entry_format {
	uint64_t content, form;
};

#define MAX_FORMATS 16

/*
 * One DWARF 5 directory or file entry: its path (DW_LNCT_path) and
 * directory index (DW_LNCT_directory_index); the rest is skipped.
 * 0, -ENOTSUP for a form this decoder does not read, -EINVAL.
 */
static int read_entry(struct reader *r, const struct line_sections *s, bool dwarf64,
		      const struct entry_format *fmt, size_t nfmt, const char **path, uint64_t *dir)
{
	size_t i;

	*path = NULL;
	*dir = 0;
	for (i = 0; i < nfmt; i++) {
		uint64_t v = 0;
		const char *str = NULL;

		switch (fmt[i].form) {
		case DW_FORM_string:
			str = read_cstr(r);
			break;
		case DW_FORM_line_strp:
			v = read_uint(r, dwarf64 ? 8 : 4);
			str = section_str(s->line_str, s->line_str_size, v);
			if (!r->bad && !str)
				return -EINVAL;
			break;
		case DW_FORM_strp:
			v = read_uint(r, dwarf64 ? 8 : 4);
			str = section_str(s->str, s->str_size, v);
			if (!r->bad && !str)
				return -EINVAL;
			break;
		case DW_FORM_udata:
			v = read_uleb(r);
			break;
		case DW_FORM_data1:
			v = read_uint(r, 1);
			break;
		case DW_FORM_data2:
			v = read_uint(r, 2);
			break;
		case DW_FORM_data4:
			v = read_uint(r, 4);
			break;
		case DW_FORM_data8:
			v = read_uint(r, 8);
			break;
		case DW_FORM_data16:
			skip(r, 16);
			break;
		case DW_FORM_block:
			skip(r, read_uleb(r));
			break;
		default:
			return -ENOTSUP;
		}
		if (fmt[i].content == DW_LNCT_path) {
			if (!str)
				return -ENOTSUP;
			*path = str;
		} else if (fmt[i].content == DW_LNCT_directory_index) {
			*dir = v;
		}
	}
	return r->bad ? -EINVAL : 0;
}

static int read_formats(struct reader *r, struct entry_format *fmt, size_t *nfmt)
{
	size_t n = read_uint(r, 1), i;

	if (n > MAX_FORMATS)
		return -ENOTSUP;
	for (i = 0; i < n; i++) {
		fmt[i].content = read_uleb(r);
		fmt[i].form = read_uleb(r);
	}
	*nfmt = n;
	return r->bad ? -EINVAL : 0;
}

/* Growable list of strings; NULL entries allowed. */
struct str_list {
	const char **v;
	size_t n, cap;
};

static void str_list__add(struct str_list *l, const char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 32;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = s;
}

/* "DIR/NAME", DIR made absolute with COMP_DIR when it is relative. */
static char *join_path(const char *comp_dir, const char *dir, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	if (name[0] == '/')
		return xstrdup(name);
	if (dir && dir[0] != '/' && comp_dir && comp_dir[0]) {
		strbuf_addstr(&sb, comp_dir);
		if (dir[0])
			strbuf_addch(&sb, '/');
	}
	if (dir && dir[0]) {
		strbuf_addstr(&sb, dir);
		strbuf_addch(&sb, '/');
	} else if (!dir && comp_dir && comp_dir[0]) {
		strbuf_addstr(&sb, comp_dir);
		strbuf_addch(&sb, '/');
	}
	strbuf_addstr(&sb, name);
	return strbuf_detach(&sb, NULL);
}

/* Directories and files of a DWARF 2-4 header; files named with their directory. */
static int read_v4_tables(struct reader *r, const char *comp_dir, struct line_table *t)
{
	struct str_list dirs = {0};
	struct v4_file {
		const char *name;
		uint64_t dir;
	} *files = NULL;
	size_t nfiles = 0, cap = 0, i;

	/* directory 0 is the compilation directory */
	str_list__add(&dirs, comp_dir ? comp_dir : "");
	for (;;) {
		const char *d = read_cstr(r);

		if (!d || !d[0])
			break;
		str_list__add(&dirs, d);
	}
	while (!r->bad) {
		const char *name = read_cstr(r);

		if (!name || !name[0])
			break;
		if (nfiles == cap) {
			cap = cap ? 2 * cap : 32;
			files = xreallocarray(files, cap, sizeof(*files));
		}
		files[nfiles].name = name;
		files[nfiles].dir = read_uleb(r);
		read_uleb(r); /* mtime */
		read_uleb(r); /* length */
		nfiles++;
	}
	if (!r->bad) {
		/* before DWARF 5, rows count files from 1: slot 0 stays unnamed */
		t->nfiles = nfiles + 1;
		t->files = xcalloc(t->nfiles, sizeof(*t->files));
		for (i = 0; i < nfiles; i++)
			t->files[i + 1] = join_path(
				comp_dir, files[i].dir < dirs.n ? dirs.v[files[i].dir] : NULL,
				files[i].name);
	}
	free(dirs.v);
	free(files);
	return r->bad ? -EINVAL : 0;
}

static int read_v5_tables(struct reader *r, const struct line_sections *s, bool dwarf64,
			  const char *comp_dir, struct line_table *t)
{
	struct entry_format fmt[MAX_FORMATS];
	struct str_list dirs = {0};
	uint64_t n, i;
	size_t nfmt;
	int err;

	if ((err = read_formats(r, fmt, &nfmt)))
		return err;
	n = read_uleb(r);
	if (n > (uint64_t)(r->end - r->p))
		return -EINVAL; /* each entry takes a byte at least */
	for (i = 0; i < n; i++) {
		const char *path;
		uint64_t dir;

		if ((err = read_entry(r, s, dwarf64, fmt, nfmt, &path, &dir)))
			goto out;
		str_list__add(&dirs, path);
	}
	if ((err = read_formats(r, fmt, &nfmt)))
		goto out;
	n = read_uleb(r);
	if (n > (uint64_t)(r->end - r->p)) {
		err = -EINVAL;
		goto out;
	}
	t->files = xcalloc(n ? n : 1, sizeof(*t->files));
	for (i = 0; i < n; i++) {
		const char *path;
		uint64_t dir;

		if ((err = read_entry(r, s, dwarf64, fmt, nfmt, &path, &dir)))
			goto out;
		/* directory 0 is the compilation directory, as the unit recorded it;
		 * an entry without a path (no DW_LNCT_path format) stays unnamed */
		if (path)
			t->files[i] = join_path(comp_dir, dir < dirs.n ? dirs.v[dir] : NULL, path);
		t->nfiles = i + 1;
	}
out:
	free(dirs.v);
	return err;
}

/*
 * The rows of the program as they are decoded.  With @compact, rows that a
 * lookup (the last row at or below an address) could never tell apart from
 * the ones kept are not kept, which is most of them (gcc's location views
 * put several rows at one address, and rows differ by column or is_stmt):
 *   - of the rows of a sequence at one address, only the last;
 *   - a row with the file and line of the row kept before it in its
 *     sequence.
 * That holds within a sequence whose addresses never go down; across
 * sequences, only when they do not overlap: the decoder checks both and
 * decodes again without compacting otherwise (see line_program__decode).
 */
struct row_vec {
	struct line_row *v;
	size_t n, cap;
	size_t seq_first;  /* first row of the current sequence */
	size_t seq_rows;   /* rows decoded in it, kept or not */
	uint64_t seq_last; /* the address of the last of them */
	bool compact;
	bool out_of_order; /* a sequence went down: compacting was not sound */
};

static void emit(struct row_vec *rows, uint64_t addr, uint32_t file, uint32_t line)
{
	if (rows->seq_rows++ && addr < rows->seq_last)
		rows->out_of_order = true;
	rows->seq_last = addr;
	if (rows->n > rows->seq_first && !rows->out_of_order) {
		struct line_row *last = &rows->v[rows->n - 1];

		if (rows->compact) {
			if (last->addr == addr) {
				rows->n--;
				last = rows->n > rows->seq_first ? last - 1 : NULL;
			}
			if (last && last->file == file && last->line == line)
				return;
		}
	}
	if (rows->n == rows->cap) {
		rows->cap = rows->cap ? 2 * rows->cap : 1024;
		rows->v = xreallocarray(rows->v, rows->cap, sizeof(*rows->v));
	}
	rows->v[rows->n++] = (struct line_row){addr, file, line};
}

/*
 * A sequence: rows[first, first + count), in address order within; @decoded
 * rows before compacting (what orders sequences that start together).
 */
struct sequence {
	uint64_t addr;
	size_t first, count, decoded;
};

static int cmp_sequence(const void *a, const void *b)
{
	const struct sequence *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* an empty sequence (its end at its start) first: the other one's rows win */
	if (x->decoded != y->decoded)
		return x->decoded < y->decoded ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sort the sequences by address; true when they were in that order already. */
static bool sort_sequences(struct sequence *seqs, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (cmp_sequence(&seqs[i - 1], &seqs[i]) > 0)
			break;
	if (i >= n)
		return true;
	qsort(seqs, n, sizeof(*seqs), cmp_sequence);
	return false;
}

/* Whether a sequence (sorted by address) starts before the one before it ends. */
static bool overlapping(const struct line_row *rows, const struct sequence *seqs, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (seqs[i].addr < rows[seqs[i - 1].first + seqs[i - 1].count - 1].addr)
			return true;
	return false;
}

/* Operand counts of standard opcodes 1 (copy) to 9 (fixed_advance_pc). */
static const uint8_t standard_lengths[] = {0, 1, 1, 1, 1, 0, 0, 0, 1};

struct header {
	unsigned int min_inst_len, line_range, opcode_base;
	int line_base;
	bool default_is_stmt;
	const uint8_t *opcode_lengths;
};

static int run_program(struct reader *r, const struct header *h, unsigned int addr_size,
		       size_t nfiles, struct row_vec *rows, struct sequence **seqs, size_t *nseqs)
{
	uint64_t addr = 0, file = 1, line = 1;
	size_t seq_cap = 0;

	while (r->p < r->end && !r->bad) {
		unsigned int op = *r->p++;

		if (op >= h->opcode_base) {
			unsigned int adj = op - h->opcode_base;

			addr += (uint64_t)(adj / h->line_range) * h->min_inst_len;
			line += (int64_t)h->line_base + adj % h->line_range;
			emit(rows, addr, file < nfiles ? (uint32_t)file : LINE_ROW_END - 1,
			     (uint32_t)line);
			continue;
		}
		switch (op) {
		case 0: {
			uint64_t len = read_uleb(r);
			const uint8_t *next;
			unsigned int sub;

			if (r->bad || !len || len > (uint64_t)(r->end - r->p))
				return -EINVAL;
			next = r->p + len;
			sub = *r->p++;
			if (sub == DW_LNE_end_sequence) {
				emit(rows, addr, LINE_ROW_END, 0);
				if (*nseqs == seq_cap) {
					seq_cap = seq_cap ? 2 * seq_cap : 16;
					*seqs = xreallocarray(*seqs, seq_cap, sizeof(**seqs));
				}
				(*seqs)[(*nseqs)++] = (struct sequence){
					rows->v[rows->seq_first].addr, rows->seq_first,
					rows->n - rows->seq_first, rows->seq_rows};
				rows->seq_first = rows->n;
				rows->seq_rows = 0;
				addr = 0;
				file = 1;
				line = 1;
			} else if (sub == DW_LNE_set_address) {
				if (len - 1 != addr_size && len - 1 != 4 && len - 1 != 8)
					return -EINVAL;
				addr = read_uint(r, (unsigned int)(len - 1));
			}
			/* define_file, set_discriminator, vendor ones: nothing a lookup needs */
			r->p = next;
			break;
		}
		case DW_LNS_copy:
			emit(rows, addr, file < nfiles ? (uint32_t)file : LINE_ROW_END - 1,
			     (uint32_t)line);
			break;
		case DW_LNS_advance_pc:
			addr += read_uleb(r) * h->min_inst_len;
			break;
		case DW_LNS_advance_line:
			line += (uint64_t)read_sleb(r);
			break;
		case DW_LNS_set_file:
			file = read_uleb(r);
			break;
		case DW_LNS_const_add_pc:
			addr += (uint64_t)((255 - h->opcode_base) / h->line_range) *
				h->min_inst_len;
			break;
		case DW_LNS_fixed_advance_pc:
			addr += read_uint(r, 2);
			break;
		default: {
			/* column, negate_stmt, basic_block, prologue_end, isa... and
			 * unknown ones: the header says how many LEB128 operands */
			unsigned int i;

			for (i = 0; i < h->opcode_lengths[op - 1]; i++)
				read_uleb(r);
			break;
		}
		}
	}
	/* rows after the last end_sequence belong to no sequence: drop them */
	rows->n = rows->seq_first;
	return r->bad ? -EINVAL : 0;
}

/* A scratch keeps at most this many rows (1 MiB) between tables. */
#define SCRATCH_KEEP_ROWS (1u << 16)

void line_scratch__release(struct line_scratch *scratch)
{
	free(scratch->rows);
	*scratch = (struct line_scratch){NULL, 0};
}

/*
 * The rows decoding used (@scratch's, perhaps grown and moved since) go
 * back to @scratch, or are freed.
 */
static void give_back_rows(struct row_vec *rows, struct line_scratch *scratch)
{
	if (scratch && rows->cap <= SCRATCH_KEEP_ROWS) {
		*scratch = (struct line_scratch){rows->v, rows->cap};
		return;
	}
	free(rows->v);
	if (scratch)
		*scratch = (struct line_scratch){NULL, 0};
}

/*
 * Decoded in a scratch reused from table to table, then copied at their
 * size: growing a fresh array for each table (doubling, a copy each time)
 * touched twice the memory kept, a page fault per 4 KiB of it.
 */
int line_program__decode(const struct line_sections *s, uint64_t offset, const char *comp_dir,
			 unsigned int addr_size, struct line_scratch *scratch,
			 struct line_table *out)
{
	struct reader r = {.big_endian = s->big_endian};
	/* every exit past the header tables gives the rows back (give_back_rows()) */
	struct row_vec rows = {.v = scratch ? scratch->rows : NULL,
			       .cap = scratch ? scratch->cap : 0};
	struct sequence *seqs = NULL;
	size_t nseqs = 0, i, n;
	struct header h = {0};
	uint64_t unit_len, header_len;
	const uint8_t *unit_end, *program;
	unsigned int version, max_ops = 1;
	bool dwarf64 = false, in_order;
	int err;

	memset(out, 0, sizeof(*out));
	if (!s->line || offset >= s->line_size)
		return -EINVAL;
	r.p = s->line + offset;
	r.end = s->line + s->line_size;
	unit_len = read_uint(&r, 4);
	if (unit_len == 0xffffffff) {
		dwarf64 = true;
		unit_len = read_uint(&r, 8);
	} else if (unit_len >= 0xfffffff0) {
		return -EINVAL;
	}
	if (r.bad || unit_len > (uint64_t)(r.end - r.p))
		return -EINVAL;
	unit_end = r.p + unit_len;
	r.end = unit_end;
	version = (unsigned int)read_uint(&r, 2);
	if (version < 2 || version > 5)
		return -ENOTSUP;
	if (version >= 5) {
		addr_size = (unsigned int)read_uint(&r, 1);
		read_uint(&r, 1); /* segment selector size */
	}
	header_len = read_uint(&r, dwarf64 ? 8 : 4);
	if (r.bad || header_len > (uint64_t)(r.end - r.p))
		return -EINVAL;
	program = r.p + header_len;
	h.min_inst_len = (unsigned int)read_uint(&r, 1);
	if (version >= 4)
		max_ops = (unsigned int)read_uint(&r, 1);
	h.default_is_stmt = read_uint(&r, 1);
	h.line_base = (int8_t)read_uint(&r, 1);
	h.line_range = (unsigned int)read_uint(&r, 1);
	h.opcode_base = (unsigned int)read_uint(&r, 1);
	if (r.bad || !h.line_range || !h.opcode_base)
		return -EINVAL;
	if (max_ops != 1)
		return -ENOTSUP; /* VLIW: op_index */
	h.opcode_lengths = r.p;
	skip(&r, h.opcode_base - 1);
	if (r.bad)
		return -EINVAL;
	/* the standard opcodes interpreted here have fixed operands: a header that says
	 * otherwise is left to libdw */
	for (i = 1; i < h.opcode_base && i <= sizeof(standard_lengths); i++)
		if (h.opcode_lengths[i - 1] != standard_lengths[i - 1])
			return -ENOTSUP;
	err = version >= 5 ? read_v5_tables(&r, s, dwarf64, comp_dir, out)
			   : read_v4_tables(&r, comp_dir, out);
	if (err)
		goto fail;
	if (r.bad || r.p > program) {
		err = -EINVAL;
		goto fail;
	}
	r.p = program;
	rows.compact = true;
	err = run_program(&r, &h, addr_size, out->nfiles, &rows, &seqs, &nseqs);
	if (err)
		goto fail;
	in_order = sort_sequences(seqs, nseqs);
	if (rows.out_of_order || overlapping(rows.v, seqs, nseqs)) {
		/* compacting was not sound: every row, as the program gives them */
		rows = (struct row_vec){.v = rows.v, .cap = rows.cap};
		nseqs = 0;
		r.p = program;
		err = run_program(&r, &h, addr_size, out->nfiles, &rows, &seqs, &nseqs);
		if (err)
			goto fail;
		in_order = sort_sequences(seqs, nseqs);
	}
	out->rows = xreallocarray(NULL, rows.n ? rows.n : 1, sizeof(*out->rows));
	if (in_order) {
		/* the usual case: the rows are in order already */
		memcpy(out->rows, rows.v, rows.n * sizeof(*rows.v));
		n = rows.n;
	} else {
		for (i = 0, n = 0; i < nseqs; i++) {
			memcpy(out->rows + n, rows.v + seqs[i].first,
			       seqs[i].count * sizeof(*rows.v));
			n += seqs[i].count;
		}
	}
	out->nrows = n;
	give_back_rows(&rows, scratch);
	free(seqs);
	return 0;
fail:
	give_back_rows(&rows, scratch);
	free(seqs);
	line_table__release(out);
	return err;
}

void line_table__release(struct line_table *t)
{
	size_t i;

	for (i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
