// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp query: one SQL statement on a profile database, opened
 * read-only, its rows printed as an aligned table or as JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "store/profile_reader.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp query [OPTIONS] FILE.db SQL\n"
		"\n"
		"Run one SQL statement (SQLite's dialect) on a profile database written by\n"
		"`flamesamp record -o FILE.db` and print its rows: a table with a header,\n"
		"NULL shown as NULL, or JSON.  The database is opened read-only: a statement\n"
		"that writes fails.  README.md (\"Profile database\") describes the tables.\n"
		"\n"
		"  --json               a JSON array with one object per row (integers, reals,\n"
		"                       strings and null as such; blobs as hex strings)\n"
		"  -o, --output FILE    write to FILE (default: standard output)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Example:\n"
		"  flamesamp query profile.db \"SELECT f.name, SUM(s.weight) AS w FROM samples s\n"
		"    JOIN stack_frames sf ON sf.stack_id = s.stack_id\n"
		"    JOIN frames f ON f.id = sf.frame_id GROUP BY f.name ORDER BY w DESC LIMIT 5\"\n"
		"\n"
		"Exit status: 0 success, 1 runtime failure (a corrupt database), 2 usage error\n"
		"(bad options, not a profile database, an SQL error, a statement that writes).\n");
}

enum { OPT_JSON = 1024 };

static const struct option long_options[] = {
	{"json", no_argument, NULL, OPT_JSON},
	{"output", required_argument, NULL, 'o'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* One value of the result. */
struct cell {
	int type;   /* SQLITE_INTEGER, _FLOAT, _TEXT, _BLOB, _NULL */
	char *text; /* as printed in the table (and JSON for text and blobs) */
	long long i;
	double d;
};

struct result {
	bool json;
	int nr_cols;
	char **names;
	struct cell *cells; /* row-major */
	size_t nr_rows, cap_rows;
};

static void result_release(struct result *r)
{
	size_t i;

	for (i = 0; i < r->nr_rows * (size_t)r->nr_cols; i++)
		free(r->cells[i].text);
	for (i = 0; i < (size_t)r->nr_cols; i++)
		free(r->names[i]);
	free(r->cells);
	free(r->names);
}

static void read_cell(sqlite3_stmt *st, int col, struct cell *c)
{
	struct strbuf sb = STRBUF_INIT;
	const unsigned char *p;
	int i, n;

	c->type = sqlite3_column_type(st, col);
	switch (c->type) {
	case SQLITE_INTEGER:
		c->i = sqlite3_column_int64(st, col);
		strbuf_addf(&sb, "%lld", c->i);
		break;
	case SQLITE_FLOAT:
		c->d = sqlite3_column_double(st, col);
		strbuf_addf(&sb, "%.15g", c->d);
		break;
	case SQLITE_NULL:
		strbuf_addstr(&sb, "NULL");
		break;
	case SQLITE_BLOB:
		p = sqlite3_column_blob(st, col);
		n = sqlite3_column_bytes(st, col);
		for (i = 0; i < n; i++)
			strbuf_addf(&sb, "%02x", p[i]);
		break;
	default:
		p = sqlite3_column_text(st, col);
		n = sqlite3_column_bytes(st, col);
		strbuf_add(&sb, p ? (const char *)p : "", p ? (size_t)n : 0);
	}
	c->text = strbuf_detach(&sb, NULL);
}

/* Display width of UTF-8 text: code points, not bytes. */
static int text_width(const char *s)
{
	int w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* A cell in the table: control characters as '?', so a value cannot break the lines. */
static void put_cell(FILE *out, const char *s, int width, bool right)
{
	int pad = width - text_width(s);

	if (right)
		fprintf(out, "%*s", pad > 0 ? pad : 0, "");
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
	if (!right)
		fprintf(out, "%*s", pad > 0 ? pad : 0, "");
}

static int write_table(FILE *out, const struct result *r)
{
	int *widths = xcalloc((size_t)r->nr_cols + 1, sizeof(*widths));
	bool *numeric = xcalloc((size_t)r->nr_cols + 1, sizeof(*numeric));
	size_t row;
	int col, w;

	for (col = 0; col < r->nr_cols; col++) {
		widths[col] = text_width(r->names[col]);
		numeric[col] = r->nr_rows > 0;
	}
	for (row = 0; row < r->nr_rows; row++) {
		for (col = 0; col < r->nr_cols; col++) {
			const struct cell *c = &r->cells[row * (size_t)r->nr_cols + (size_t)col];

			w = text_width(c->text);
			widths[col] = w > widths[col] ? w : widths[col];
			if (c->type != SQLITE_INTEGER && c->type != SQLITE_FLOAT &&
			    c->type != SQLITE_NULL)
				numeric[col] = false;
		}
	}
	for (col = 0; col < r->nr_cols; col++) {
		fputs(col ? "  " : "", out);
		put_cell(out, r->names[col], col + 1 < r->nr_cols || numeric[col] ? widths[col] : 0,
			 numeric[col]);
	}
	fputc('\n', out);
	for (row = 0; row < r->nr_rows; row++) {
		for (col = 0; col < r->nr_cols; col++) {
			fputs(col ? "  " : "", out);
			/* the last column is not padded: no trailing blanks */
			put_cell(out, r->cells[row * (size_t)r->nr_cols + (size_t)col].text,
				 col + 1 < r->nr_cols || numeric[col] ? widths[col] : 0,
				 numeric[col]);
		}
		fputc('\n', out);
	}
	free(widths);
	free(numeric);
	return ferror(out) ? -EIO : 0;
}

static int write_json(FILE *out, const struct result *r)
{
	json_object *rows = json_object_new_array();
	size_t row;
	int col;

	for (row = 0; row < r->nr_rows; row++) {
		json_object *o = json_object_new_object();

		for (col = 0; col < r->nr_cols; col++) {
			const struct cell *c = &r->cells[row * (size_t)r->nr_cols + (size_t)col];
			json_object *v = NULL;

			if (c->type == SQLITE_INTEGER)
				v = json_object_new_int64(c->i);
			else if (c->type == SQLITE_FLOAT)
				v = json_object_new_double(c->d);
			else if (c->type != SQLITE_NULL)
				v = json_object_new_string(c->text);
			json_object_object_add(o, r->names[col], v);
		}
		json_object_array_add(rows, o);
	}
	return cli_print_json(out, rows);
}

static int write_result(FILE *out, const void *ctx)
{
	const struct result *r = ctx;

	return r->json ? write_json(out, r) : write_table(out, r);
}

/* Nothing but blanks, semicolons and comments after the statement? */
static bool only_one_statement(sqlite3 *db, const char *tail)
{
	sqlite3_stmt *next = NULL;
	bool one;

	if (!tail[strspn(tail, " \t\r\n;")])
		return true;
	/* comments compile to no statement */
	one = sqlite3_prepare_v2(db, tail, -1, &next, NULL) == SQLITE_OK && !next;
	sqlite3_finalize(next);
	return one;
}

static int run(sqlite3 *db, const char *sql, struct result *r)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc, col, ret = EXIT_OK;

	rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
	if (rc != SQLITE_OK) {
		cli_error("query: %s", sqlite3_errmsg(db));
		ret = EXIT_USAGE;
		goto out;
	}
	if (!st) {
		cli_error("query: no SQL statement");
		ret = EXIT_USAGE;
		goto out;
	}
	if (!only_one_statement(db, tail)) {
		cli_error("query: give one SQL statement (several were given)");
		ret = EXIT_USAGE;
		goto out;
	}
	r->nr_cols = sqlite3_column_count(st);
	r->names = xcalloc((size_t)r->nr_cols + 1, sizeof(*r->names));
	for (col = 0; col < r->nr_cols; col++) {
		const char *name = sqlite3_column_name(st, col);

		r->names[col] = xstrdup(name ? name : "");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->nr_rows == r->cap_rows) {
			r->cap_rows = r->cap_rows ? 2 * r->cap_rows : 64;
			r->cells = xreallocarray(r->cells, r->cap_rows * ((size_t)r->nr_cols + 1),
						 sizeof(*r->cells));
		}
		for (col = 0; col < r->nr_cols; col++)
			read_cell(st, col,
				  &r->cells[r->nr_rows * (size_t)r->nr_cols + (size_t)col]);
		r->nr_rows++;
	}
	if (rc != SQLITE_DONE) {
		cli_error("query: %s", sqlite3_errmsg(db));
		ret = (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_ERROR
			      ? EXIT_USAGE
			      : EXIT_FAILURE_RUNTIME;
	}
out:
	sqlite3_finalize(st);
	return ret;
}

int cmd_query(int argc, char **argv)
{
	struct result r = {0};
	struct profile_reader *reader = NULL;
	const char *output = NULL;
	char err[512] = "";
	int c, ret;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_JSON:
			r.json = true;
			break;
		case 'o':
			output = optarg;
			break;
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		default:
			cli_error("unknown option '%s' (see 'flamesamp query --help')",
				  cli_bad_option(long_options, argv));
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		cli_error("query needs a profile database and one SQL statement (see 'flamesamp "
			  "query --help')");
		return EXIT_USAGE;
	}
	reader = profile_reader__open(argv[optind], err, sizeof(err));
	if (!reader) {
		/* not a profile, or not readable: usage; a corrupt one: runtime */
		ret = errno == EPROTO || errno == ENOENT || errno == EACCES ||
				      !strncmp(err, "not a profile database", 22)
			      ? EXIT_USAGE
			      : EXIT_FAILURE_RUNTIME;
		cli_error("cannot read '%s': %s", argv[optind], err);
		goto out;
	}
	ret = run(profile_reader__sqlite(reader), argv[optind + 1], &r);
	if (ret == EXIT_OK)
		ret = cli_write_output(output, "query result", write_result, &r);
out:
	result_release(&r);
	profile_reader__free(reader);
	return ret;
}
