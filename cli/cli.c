// SPDX-License-Identifier: Apache-2.0
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/output_file.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "symbolize/symbolizer.h"

const char *cli_program = "flamesamp";
int cli_verbose;

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", cli_program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void log_to_stderr(enum fs_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[FS_LOG_WARN] = "warning: ",
		[FS_LOG_INFO] = "",
		[FS_LOG_DEBUG] = "debug: ",
	};

	if ((int)level > cli_verbose)
		return;
	fprintf(stderr, "%s: %s", cli_program, prefix[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_install_log_handler(void)
{
	fs_log_set_handler(log_to_stderr);
}

int cli_parse_double(const char *option, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v)) {
		cli_error("invalid value for %s: '%s' (expected a number)", option, arg);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_parse_int(const char *option, const char *arg, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < min || v > max) {
		cli_error("invalid value for %s: '%s' (expected an integer from %ld to %ld)",
			  option, arg, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

const char *cli_bad_option(const struct option *longopts, char **argv)
{
	static char short_opt[3] = "-";
	const struct option *o;

	if (!optopt)
		return argv[optind - 1];
	/* a valid option's val: "--name=VALUE", and optind has moved past it */
	for (o = longopts; o->name; o++)
		if (!o->flag && o->val == optopt)
			return argv[optind - 1];
	short_opt[1] = (char)optopt;
	return short_opt;
}

int cli_write_output(const char *path, const char *what, cli_write_fn write, const void *ctx)
{
	const char *name = path && strcmp(path, "-") ? path : "standard output";
	struct output_file *of = output_file__open(path);
	int err;

	if (!of) {
		err = -errno;
		goto fail;
	}
	err = write(output_file__stream(of), ctx);
	if (err) {
		output_file__abort(of);
		goto fail;
	}
	err = output_file__commit(of);
	if (err)
		goto fail;
	return EXIT_OK;
fail:
	cli_error("cannot write %s%s'%s': %s", what ? what : "", what ? " " : "", name,
		  strerror(-err));
	return EXIT_FAILURE_RUNTIME;
}

void cli_report_symbolizer(const struct symbolizer *sym)
{
	struct symbolizer_stats st;

	symbolizer__stats(sym, &st);
	fs_info("symbols: %zu files, %zu KiB of symbol tables; DWARF: %zu files, %zu units "
		"indexed, %zu KiB, %zu unit indexes dropped by the memory bound",
		st.files, st.symbol_bytes >> 10, st.dwarf_files, st.dwarf_units,
		st.dwarf_bytes >> 10, st.dwarf_dropped);
}

int cli_parse_pid_list(const char *option, const char *arg, pid_t **list, size_t *nr)
{
	const char *p = arg;

	do {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || (*end && *end != ',') || errno || v <= 0 || v > 0x3fffffff) {
			cli_error("invalid value for %s: '%s' (expected process ids separated by "
				  "commas)",
				  option, arg);
			return -1;
		}
		*list = xreallocarray(*list, *nr + 1, sizeof(**list));
		(*list)[(*nr)++] = (pid_t)v;
		p = *end ? end + 1 : end;
	} while (*p);
	return 0;
}

void cli_command_line(struct strbuf *sb, const char *command, int argc, char **argv)
{
	int i;

	strbuf_addstr(sb, cli_program);
	if (command)
		strbuf_addf(sb, " %s", command);
	for (i = 1; i < argc; i++) {
		const char *p;
		bool plain = argv[i][0] != '\0';

		for (p = argv[i]; *p && plain; p++)
			plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789-_=.,/:+%@",
				       *p) != NULL;
		strbuf_addch(sb, ' ');
		if (plain) {
			strbuf_addstr(sb, argv[i]);
			continue;
		}
		strbuf_addch(sb, '\'');
		for (p = argv[i]; *p; p++) {
			if (*p == '\'')
				strbuf_addstr(sb, "'\\''");
			else
				strbuf_addch(sb, *p);
		}
		strbuf_addch(sb, '\'');
	}
}

uint64_t cli_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double cli_now_seconds(void)
{
	return (double)cli_clock_ns(CLOCK_MONOTONIC) / 1e9;
}

int cli_print_json(FILE *out, struct json_object *obj)
{
	fprintf(out, "%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return ferror(out) ? -EIO : 0;
}
