// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp report: the functions of a profile (database or folded stacks)
 * with the most self and total weight, as a table, JSON or CSV.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/profile_input.h"
#include "collapse/func_table.h"
#include "common/number.h"
#include "common/xalloc.h"
#include "render/folded.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: flamesamp report [OPTIONS] [FILE...]\n"
		"\n"
		"The functions with the most weight in a profile database (record -o FILE.db)\n"
		"or in folded stacks: self (the stacks where the function is the leaf) and\n"
		"total (the stacks it appears in, once per stack even when recursive), with\n"
		"their share of the profile's total weight.  Reads standard input when no\n"
		"FILE is given; several files are merged.\n"
		"\n"
		"Output:\n"
		"  -n, --top N          the N first functions (default 20; 0: all)\n"
		"      --sort KEY       self (default) or total\n"
		"      --json           a JSON object: unit, total, functions[]\n"
		"      --csv            CSV (RFC 4180): name,self,self_percent,total,total_percent\n"
		"  -o, --output FILE    write to FILE (default: standard output)\n"
		"  -h, --help           show this help\n");
	profile_input__usage(out);
	fprintf(out, "\n"
		     "Every frame counts, the first frame of a recording (\"comm\", \"comm-PID\")\n"
		     "included.  Exit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

enum { OPT_JSON = 1024, OPT_CSV, OPT_SORT };

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV };

struct report_args {
	struct profile_input_args in;
	enum report_format format;
	enum func_sort order;
	long top;
	const char *output;
};

static const struct option report_options[] = {
	{"top", required_argument, NULL, 'n'},	  {"sort", required_argument, NULL, OPT_SORT},
	{"json", no_argument, NULL, OPT_JSON},	  {"csv", no_argument, NULL, OPT_CSV},
	{"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
};

#define NR_REPORT_OPTIONS (sizeof(report_options) / sizeof(report_options[0]))

static struct option long_options[NR_REPORT_OPTIONS + PROFILE_INPUT_LONG_OPTIONS_MAX + 1];

static void build_long_options(void)
{
	size_t n = 0, i;

	for (i = 0; i < NR_REPORT_OPTIONS; i++)
		long_options[n++] = report_options[i];
	for (i = 0; profile_input_long_options[i].name; i++)
		long_options[n++] = profile_input_long_options[i];
	long_options[n] = (struct option){0};
}

/* 0, -1 for --help, or an exit code after printing the problem. */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	bool json = false, csv = false;
	int c;

	memset(a, 0, sizeof(*a));
	profile_input_args__init(&a->in);
	a->top = 20;
	build_long_options();
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":n:o:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return -1;
		case '?':
			cli_error("unknown option '%s' (see 'flamesamp report --help')",
				  cli_bad_option(long_options, argv));
			return EXIT_USAGE;
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		case 'n':
			if (cli_parse_int("-n", optarg, 0, 1L << 30, &a->top))
				return EXIT_USAGE;
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_CSV:
			csv = true;
			break;
		case OPT_SORT:
			if (!strcmp(optarg, "self")) {
				a->order = FUNC_SORT_SELF;
			} else if (!strcmp(optarg, "total")) {
				a->order = FUNC_SORT_TOTAL;
			} else {
				cli_error("invalid value for --sort: '%s' (expected self or total)",
					  optarg);
				return EXIT_USAGE;
			}
			break;
		default:
			if (profile_input_args__handle(&a->in, c, optarg))
				return EXIT_USAGE;
		}
	}
	if (json && csv) {
		cli_error("--json and --csv cannot be combined");
		return EXIT_USAGE;
	}
	a->format = json ? REPORT_JSON : csv ? REPORT_CSV : REPORT_TABLE;
	return 0;
}

struct report {
	const struct report_args *args;
	const struct func_table *table;
	const struct func_row *t;
	size_t n; /* rows to print */
	size_t nr_functions;
	double sum;
	const char *unit;
};

static double percent(double v, double sum)
{
	return sum > 0 ? 100.0 * v / sum : 0;
}

static int write_table(FILE *out, const struct report *r)
{
	char buf[FS_COUNT_BUFSIZE];
	int self_w = 4, total_w = 5;
	size_t i;

	for (i = 0; i < r->n; i++) {
		int w = (int)fs_format_count_grouped(r->t[i].self, buf, sizeof(buf));

		self_w = w > self_w ? w : self_w;
		w = (int)fs_format_count_grouped(r->t[i].total, buf, sizeof(buf));
		total_w = w > total_w ? w : total_w;
	}
	fs_format_count_grouped(r->sum, buf, sizeof(buf));
	fprintf(out, "%s %s, %zu functions", buf, r->unit, r->nr_functions);
	if (r->n < r->nr_functions)
		fprintf(out, " (the first %zu by %s weight)", r->n,
			r->args->order == FUNC_SORT_TOTAL ? "total" : "self");
	fprintf(out, "\n\n%*s  %7s  %*s  %7s  %s\n", self_w, "SELF", "SELF%", total_w, "TOTAL",
		"TOTAL%", "FUNCTION");
	for (i = 0; i < r->n; i++) {
		char total[FS_COUNT_BUFSIZE];

		fs_format_count_grouped(r->t[i].self, buf, sizeof(buf));
		fs_format_count_grouped(r->t[i].total, total, sizeof(total));
		fprintf(out, "%*s  %6.2f%%  %*s  %6.2f%%  %s\n", self_w, buf,
			percent(r->t[i].self, r->sum), total_w, total,
			percent(r->t[i].total, r->sum), func_table__name(r->table, r->t[i].func));
	}
	return ferror(out) ? -EIO : 0;
}

/* A whole weight as a JSON integer, anything else as a double. */
static json_object *json_weight(double v)
{
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_object_new_int64((int64_t)v);
	return json_object_new_double(v);
}

/* Two decimals, printed as such (not 59.719999999999999). */
static json_object *json_percent(double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.2f", v);
	return json_object_new_double_s(round(v * 100) / 100, buf);
}

static int write_json(FILE *out, const struct report *r)
{
	json_object *root = json_object_new_object(), *list = json_object_new_array();
	size_t i;

	json_object_object_add(root, "unit", json_object_new_string(r->unit));
	json_object_object_add(root, "total", json_weight(r->sum));
	json_object_object_add(root, "functions_count",
			       json_object_new_int64((int64_t)r->nr_functions));
	json_object_object_add(
		root, "sort",
		json_object_new_string(r->args->order == FUNC_SORT_TOTAL ? "total" : "self"));
	for (i = 0; i < r->n; i++) {
		json_object *f = json_object_new_object();
		const char *name = func_table__name(r->table, r->t[i].func);

		json_object_object_add(f, "name", json_object_new_string(name));
		json_object_object_add(f, "self", json_weight(r->t[i].self));
		json_object_object_add(f, "self_percent",
				       json_percent(percent(r->t[i].self, r->sum)));
		json_object_object_add(f, "total", json_weight(r->t[i].total));
		json_object_object_add(f, "total_percent",
				       json_percent(percent(r->t[i].total, r->sum)));
		json_object_array_add(list, f);
	}
	json_object_object_add(root, "functions", list);
	return cli_print_json(out, root);
}

/* RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. */
static void csv_field(FILE *out, const char *s)
{
	const char *p;

	if (!s[strcspn(s, ",\"\r\n")]) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static int write_csv(FILE *out, const struct report *r)
{
	char self[FS_COUNT_BUFSIZE], total[FS_COUNT_BUFSIZE];
	size_t i;

	fputs("name,self,self_percent,total,total_percent\r\n", out);
	for (i = 0; i < r->n; i++) {
		csv_field(out, func_table__name(r->table, r->t[i].func));
		fs_format_count(r->t[i].self, self, sizeof(self));
		fs_format_count(r->t[i].total, total, sizeof(total));
		fprintf(out, ",%s,%.2f,%s,%.2f\r\n", self, percent(r->t[i].self, r->sum), total,
			percent(r->t[i].total, r->sum));
	}
	return ferror(out) ? -EIO : 0;
}

static int write_report(FILE *out, const void *ctx)
{
	const struct report *r = ctx;

	switch (r->args->format) {
	case REPORT_JSON:
		return write_json(out, r);
	case REPORT_CSV:
		return write_csv(out, r);
	default:
		return write_table(out, r);
	}
}

/*
 * The function table of @p: every stack with its frames (a differential
 * stack with its width); *@sum is the weight of the stacks with frames.
 */
static struct func_table *function_table(const struct folded_profile *p, double *sum)
{
	size_t names = folded_profile__name_count(p), n = folded_profile__stack_count(p), i, j;
	struct func_table *t = func_table__new();
	uint32_t *func_of = xreallocarray(NULL, names ? names : 1, sizeof(*func_of));
	uint32_t *funcs = NULL;
	size_t cap = 0;

	for (i = 0; i < names; i++) {
		size_t len;
		const char *name = folded_profile__name(p, (uint32_t)i, &len);

		func_of[i] = func_table__intern(t, name, len);
	}
	*sum = 0;
	for (i = 0; i < n; i++) {
		struct folded_stack fs;

		folded_profile__stack(p, i, &fs);
		if (!fs.nframes)
			continue;
		if (fs.nframes > cap) {
			cap = fs.nframes;
			funcs = xreallocarray(funcs, cap, sizeof(*funcs));
		}
		for (j = 0; j < fs.nframes; j++)
			funcs[j] = func_of[fs.frames[j]];
		func_table__add(t, funcs, fs.nframes, fs.weight);
		*sum += fs.weight;
	}
	free(funcs);
	free(func_of);
	return t;
}

int cmd_report(int argc, char **argv)
{
	struct report_args a;
	struct profile_input_meta meta;
	struct folded_profile *profile = NULL;
	struct func_table *table = NULL;
	struct report r = {0};
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	profile = folded_profile__new(0);
	ret = profile_input__read(&a.in, argc - optind, argv + optind, profile, 0, &meta);
	if (ret)
		goto out;
	table = function_table(profile, &r.sum);
	r.nr_functions = func_table__rows(table, a.order, &r.t);
	r.args = &a;
	r.table = table;
	r.n = a.top && (size_t)a.top < r.nr_functions ? (size_t)a.top : r.nr_functions;
	r.unit = meta.from_db && meta.count_name[0] ? meta.count_name : "samples";
	ret = cli_write_output(a.output, "report", write_report, &r);
out:
	func_table__free(table);
	folded_profile__free(profile);
	profile_input_args__release(&a.in);
	return ret;
}
