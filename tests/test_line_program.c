// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for symbolize/line_program: line number programs written here,
 * byte by byte, from random rows (sequences that nest, overlap, start
 * together, go down, are empty), decoded, and looked up at every address
 * that matters: the row in effect (the last one at or below the address)
 * must be the one the program's rows give, taken in address order, however
 * many rows the decoder dropped as unable to change an answer.
 */
#include <dwarf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "symbolize/line_program.h"

#define NFILES 3

/* One row as the program gives it; file LINE_ROW_END ends a sequence. */
struct raw_row {
	uint64_t addr;
	uint32_t file, line;
};

struct raw_seq {
	struct raw_row *rows;
	size_t n;
};

struct program {
	uint8_t *buf;
	size_t len, cap;
};

static void put(struct program *p, const void *data, size_t len)
{
	if (p->len + len > p->cap) {
		p->cap = (p->len + len) * 2 + 256;
		p->buf = realloc(p->buf, p->cap);
		assert_non_null(p->buf);
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
}

static void put_u8(struct program *p, uint8_t v)
{
	put(p, &v, 1);
}

static void put_uleb(struct program *p, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		put_u8(p, b | (v ? 0x80 : 0));
	} while (v);
}

static void put_sleb(struct program *p, int64_t v)
{
	for (;;) {
		uint8_t b = v & 0x7f;

		/* an arithmetic shift, spelt without shifting a negative value */
		v = v < 0 ? ~(~v >> 7) : v >> 7;
		if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
			put_u8(p, b);
			return;
		}
		put_u8(p, b | 0x80);
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * A DWARF 4 line program (32-bit, little-endian) for @seqs: each row by
 * set_address or advance_pc, set_file, advance_line, then copy (or a
 * special opcode when one fits), each sequence ended by end_sequence.
 */
static struct program encode(const struct raw_seq *seqs, size_t nseqs)
{
	struct program p = {0};
	size_t unit_len_at, header_len_at, header_start, i, j;
	uint32_t v;
	static const uint8_t opcode_lengths[] = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};
	const int line_base = -3, line_range = 12, opcode_base = 13;

	unit_len_at = p.len;
	put(&p, "\0\0\0\0", 4);
	put(&p, "\4\0", 2); /* version 4 */
	header_len_at = p.len;
	put(&p, "\0\0\0\0", 4);
	header_start = p.len;
	put_u8(&p, 1); /* min_inst_length */
	put_u8(&p, 1); /* max_ops_per_inst */
	put_u8(&p, 1); /* default_is_stmt */
	put_u8(&p, (uint8_t)(int8_t)line_base);
	put_u8(&p, line_range);
	put_u8(&p, opcode_base);
	put(&p, opcode_lengths, sizeof(opcode_lengths));
	put(&p, "dir\0\0", 5); /* one directory, then the end of the list */
	for (i = 1; i <= NFILES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%zu.c", i);
		put(&p, name, strlen(name) + 1);
		put_uleb(&p, 1); /* directory */
		put_uleb(&p, 0);
		put_uleb(&p, 0);
	}
	put_u8(&p, 0);
	v = (uint32_t)(p.len - header_start);
	memcpy(p.buf + header_len_at, &v, 4);
	for (i = 0; i < nseqs; i++) {
		uint64_t addr = 0;
		uint32_t file = 1, line = 1;
		bool first = true;

		for (j = 0; j < seqs[i].n; j++) {
			const struct raw_row *r = &seqs[i].rows[j];
			int64_t dline;

			if (first || r->addr < addr || r->addr - addr > 1000) {
				put_u8(&p, 0);
				put_uleb(&p, 9);
				put_u8(&p, DW_LNE_set_address);
				put(&p, &r->addr, 8);
			} else if (r->file != LINE_ROW_END && r->addr - addr < 20 &&
				   r->file == file && (int64_t)r->line - line >= line_base &&
				   (int64_t)r->line - line < line_base + line_range) {
				/* a special opcode: address and line advance, and a row */
				unsigned int op =
					(unsigned int)((int64_t)r->line - line - line_base) +
					line_range * (unsigned int)(r->addr - addr) + opcode_base;

				if (op <= 255) {
					put_u8(&p, (uint8_t)op);
					addr = r->addr;
					line = r->line;
					continue;
				}
				put_u8(&p, DW_LNS_advance_pc);
				put_uleb(&p, r->addr - addr);
			} else if (r->addr != addr) {
				put_u8(&p, DW_LNS_advance_pc);
				put_uleb(&p, r->addr - addr);
			}
			first = false;
			addr = r->addr;
			if (r->file == LINE_ROW_END) {
				put_u8(&p, 0);
				put_uleb(&p, 1);
				put_u8(&p, DW_LNE_end_sequence);
				file = line = 1;
				first = true;
				continue;
			}
			if (r->file != file) {
				put_u8(&p, DW_LNS_set_file);
				put_uleb(&p, r->file);
				file = r->file;
			}
			dline = (int64_t)r->line - line;
			if (dline) {
				put_u8(&p, DW_LNS_advance_line);
				put_sleb(&p, dline);
				line = r->line;
			}
			put_u8(&p, DW_LNS_copy);
		}
	}
	v = (uint32_t)(p.len - unit_len_at - 4);
	memcpy(p.buf + unit_len_at, &v, 4);
	return p;
}

/* The sequences in the order the decoder sorts them, as it always did: start, rows, position. */
static int cmp_seq(const void *a, const void *b)
{
	const struct raw_seq *x = *(const struct raw_seq *const *)a;
	const struct raw_seq *y = *(const struct raw_seq *const *)b;

	if (x->rows[0].addr != y->rows[0].addr)
		return x->rows[0].addr < y->rows[0].addr ? -1 : 1;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Every row, sequences sorted and concatenated, then (when that is not
 * in address order) sorted by address, stably: what lookups searched
 * before rows were ever dropped.
 */
static struct raw_row *reference_rows(const struct raw_seq *seqs, size_t nseqs, size_t *n)
{
	const struct raw_seq **order = calloc(nseqs, sizeof(*order));
	struct raw_row *rows;
	size_t i, j, k = 0, total = 0;

	assert_non_null(order);
	for (i = 0; i < nseqs; i++) {
		order[i] = &seqs[i];
		total += seqs[i].n;
	}
	qsort(order, nseqs, sizeof(*order), cmp_seq);
	rows = calloc(total + 1, sizeof(*rows));
	assert_non_null(rows);
	for (i = 0; i < nseqs; i++)
		for (j = 0; j < order[i]->n; j++)
			rows[k++] = order[i]->rows[j];
	/* insertion sort: stable, and these are small */
	for (i = 1; i < k; i++) {
		struct raw_row r = rows[i];

		for (j = i; j > 0 && rows[j - 1].addr > r.addr; j--)
			rows[j] = rows[j - 1];
		rows[j] = r;
	}
	free(order);
	*n = k;
	return rows;
}

/* The file and line in effect at @addr: the last row at or below it (0, 0 for none). */
static void lookup(const void *rows, size_t stride, size_t n, uint64_t addr, uint32_t *file,
		   uint32_t *line)
{
	const struct raw_row *found = NULL;
	size_t i;

	/* both row types start with addr, file, line */
	for (i = 0; i < n; i++) {
		const struct raw_row *r = (const struct raw_row *)((const char *)rows + i * stride);

		if (r->addr <= addr)
			found = r;
		else
			break;
	}
	*file = found && found->file != LINE_ROW_END ? found->file : 0;
	*line = found && found->file != LINE_ROW_END ? found->line : 0;
}

/* Whether the decoded rows are in address order (dwarf_info sorts them when not). */
static bool in_order(const struct line_row *rows, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (rows[i].addr < rows[i - 1].addr)
			return false;
	return true;
}

/* Random sequences in [0, 400): overlapping, nested, together, backwards, empty, repeated rows. */
static size_t random_seqs(struct raw_seq *seqs, size_t max, uint64_t *seed, bool overlap)
{
	size_t nseqs = 1 + xorshift(seed) % max, i, j;
	uint64_t next_start = 0;

	for (i = 0; i < nseqs; i++) {
		size_t nrows = xorshift(seed) % 12;
		uint64_t addr = overlap ? xorshift(seed) % 300 : next_start + xorshift(seed) % 20;

		seqs[i].rows = calloc(nrows + 1, sizeof(*seqs[i].rows));
		assert_non_null(seqs[i].rows);
		seqs[i].n = 0;
		for (j = 0; j < nrows; j++) {
			struct raw_row *r = &seqs[i].rows[seqs[i].n++];
			unsigned int kind = xorshift(seed) % 10;

			/* same address or line as before often: what compaction drops */
			if (j && kind < 3)
				addr += 0;
			else if (overlap && kind == 3)
				addr -= addr ? xorshift(seed) % (addr + 1) : 0; /* backwards */
			else
				addr += 1 + xorshift(seed) % 8;
			r->addr = addr;
			if (j && kind >= 5 && kind < 8) {
				r->file = r[-1].file;
				r->line = r[-1].line;
			} else {
				r->file = 1 + (uint32_t)(xorshift(seed) % NFILES);
				r->line = 1 + (uint32_t)(xorshift(seed) % 30);
			}
		}
		addr += xorshift(seed) % 6;
		seqs[i].rows[seqs[i].n++] = (struct raw_row){addr, LINE_ROW_END, 0};
		next_start = addr;
	}
	return nseqs;
}

static void check_programs(bool overlap)
{
	struct raw_seq seqs[8];
	uint64_t seed = overlap ? 0x9e3779b97f4a7c15ULL : 0x2545f4914f6cdd1dULL;
	struct line_scratch scratch = {NULL, 0};
	struct line_sections s = {0};
	unsigned int round;

	/* every other table decoded in one scratch, reused from table to table */
	for (round = 0; round < 3000; round++) {
		size_t nseqs = random_seqs(seqs, 8, &seed, overlap), nref, i;
		struct program p = encode(seqs, nseqs);
		struct raw_row *ref = reference_rows(seqs, nseqs, &nref);
		struct line_table t;
		struct line_row *rows;
		uint64_t addr;

		s.line = p.buf;
		s.line_size = p.len;
		assert_int_equal(
			line_program__decode(&s, 0, "/comp", 8, round % 2 ? &scratch : NULL, &t),
			0);
		assert_int_equal(t.nfiles, NFILES + 1);
		assert_string_equal(t.files[1], "/comp/dir/f1.c");
		assert_true(t.nrows <= nref);
		rows = t.rows;
		if (!in_order(rows, t.nrows)) {
			/* then every row is there, sequences in their order: dwarf_info sorts them
			 */
			assert_int_equal(t.nrows, nref);
			for (i = 1; i < t.nrows; i++) {
				struct line_row r = rows[i];
				size_t j;

				for (j = i; j > 0 && rows[j - 1].addr > r.addr; j--)
					rows[j] = rows[j - 1];
				rows[j] = r;
			}
		}
		for (addr = 0; addr < 420; addr++) {
			uint32_t want_file, want_line, got_file, got_line;

			lookup(ref, sizeof(*ref), nref, addr, &want_file, &want_line);
			lookup(rows, sizeof(*rows), t.nrows, addr, &got_file, &got_line);
			assert_int_equal(got_file, want_file);
			assert_int_equal(got_line, want_line);
		}
		line_table__release(&t);
		free(ref);
		free(p.buf);
		for (i = 0; i < nseqs; i++)
			free(seqs[i].rows);
	}
	line_scratch__release(&scratch);
}

/* Sequences one after the other, as compilers write them: rows are dropped, answers stay. */
static void test_sequences_in_order(void **state)
{
	check_programs(false);
}

/* Sequences that overlap or go down: every row is kept, as before. */
static void test_sequences_overlapping(void **state)
{
	check_programs(true);
}

/* The common program loses most of its rows: several at one address, and repeated lines. */
static void test_rows_dropped(void **state)
{
	struct raw_row rows[] = {
		{0x1000, 1, 5}, {0x1000, 1, 6}, {0x1000, 2, 7}, {0x1004, 2, 7},
		{0x1008, 2, 7}, {0x100c, 1, 5}, {0x1010, 1, 5}, {0x1014, LINE_ROW_END, 0},
	};
	struct raw_seq seq = {rows, sizeof(rows) / sizeof(*rows)};
	struct program p = encode(&seq, 1);
	struct line_sections s = {.line = p.buf, .line_size = p.len};
	struct line_table t;

	assert_int_equal(line_program__decode(&s, 0, NULL, 8, NULL, &t), 0);
	/* 0x1000 f2:7, 0x100c f1:5, the end */
	assert_int_equal(t.nrows, 3);
	assert_int_equal(t.rows[0].addr, 0x1000);
	assert_int_equal(t.rows[0].line, 7);
	assert_int_equal(t.rows[1].addr, 0x100c);
	assert_int_equal(t.rows[1].line, 5);
	assert_int_equal(t.rows[2].file, LINE_ROW_END);
	line_table__release(&t);
	free(p.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_dropped),
		cmocka_unit_test(test_sequences_in_order),
		cmocka_unit_test(test_sequences_overlapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
