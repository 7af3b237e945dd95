// SPDX-License-Identifier: Apache-2.0
/*
 * Plugins: flamesamp-NAME.so files found on the plugin path, loaded with
 * dlopen, checked against include/flamesamp/plugin.h, and run as
 * `flamesamp NAME`.  What a plugin emits is aggregated here and written
 * like a recording: folded stacks or an SVG with every render option.
 */
#define _GNU_SOURCE
#include "cli/plugin_host.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/collapse_input.h"
#include "cli/render_options.h"
#include "collapse/collapse.h"
#include "collapse/stack_counts.h"
#include "common/log.h"
#include "common/number.h"
#include "common/output_file.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "flamesamp/plugin.h"
#include "render/folded.h"
#include "store/profile_store.h"

#ifndef FLAMESAMP_PLUGIN_DIR
#define FLAMESAMP_PLUGIN_DIR "/usr/local/lib/flamesamp/plugins"
#endif

#define PLUGIN_PREFIX	   "flamesamp-"
#define PLUGIN_SUFFIX	   ".so"
#define MAX_PLUGIN_OPTIONS 64
#define MAX_NAME_LEN	   64

/* ---- the search path ---- */

struct plugin_dirs {
	char **v;
	size_t n;
};

static void plugin_dirs__add(struct plugin_dirs *d, const char *dir, size_t len)
{
	size_t i;

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (!len)
		return;
	for (i = 0; i < d->n; i++)
		if (strlen(d->v[i]) == len && !memcmp(d->v[i], dir, len))
			return;
	d->v = xreallocarray(d->v, d->n + 1, sizeof(*d->v));
	d->v[d->n++] = xstrndup(dir, len);
}

static void plugin_dirs__init(struct plugin_dirs *d)
{
	const char *path = getenv("FLAMESAMP_PLUGIN_PATH");
	char exe[PATH_MAX];
	ssize_t n;

	memset(d, 0, sizeof(*d));
	while (path && *path) {
		size_t len = strcspn(path, ":");

		plugin_dirs__add(d, path, len);
		path += len;
		if (*path == ':')
			path++;
	}
	plugin_dirs__add(d, FLAMESAMP_PLUGIN_DIR, strlen(FLAMESAMP_PLUGIN_DIR));
	/* the build tree: build/flamesamp next to build/plugins/ */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - sizeof("/plugins"));
	if (n > 0 && (size_t)n < sizeof(exe) - sizeof("/plugins")) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			strcpy(slash, "/plugins");
			plugin_dirs__add(d, exe, strlen(exe));
		}
	}
}

static void plugin_dirs__release(struct plugin_dirs *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* A command name that can only name a file in the plugin directories. */
static bool valid_plugin_name(const char *name, size_t len)
{
	size_t i;

	if (!len || len > MAX_NAME_LEN || name[0] == '-')
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

/* ---- loading and checking ---- */

enum {
	OPT_OUTPUT_FORMAT = 1024,
	OPT_PLUGIN = 4096, /* + index in the plugin's table */
};

static const struct option host_options[] = {
	{"output", required_argument, NULL, 'o'},
	{"output-format", required_argument, NULL, OPT_OUTPUT_FORMAT},
	{"quiet", no_argument, NULL, 'q'},
	{"verbose", no_argument, NULL, 'v'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};
#define HOST_SHORT_OPTIONS "oqvh"

static bool is_host_option(const char *name)
{
	const struct option *o;

	for (o = host_options; o->name; o++)
		if (!strcmp(o->name, name))
			return true;
	for (o = render_long_options; o->name; o++)
		if (!strcmp(o->name, name))
			return true;
	return false;
}

/* The plugin's option table is one the host can parse for it; else the reason in @why. */
static int check_options(const struct flamesamp_plugin *d, struct strbuf *why)
{
	const struct flamesamp_plugin_option *o, *q;
	size_t n = 0;
	const char *c;

	for (o = d->options; o && o->name; o++, n++) {
		if (n == MAX_PLUGIN_OPTIONS) {
			strbuf_addf(why, "more than %d options", MAX_PLUGIN_OPTIONS);
			return -1;
		}
		for (c = o->name; *c; c++)
			if (!isalnum((unsigned char)*c) && *c != '-')
				break;
		if (!o->name[0] || o->name[0] == '-' || *c || c - o->name > MAX_NAME_LEN) {
			strbuf_addf(why, "option name '%.*s' is not letters, digits and '-'",
				    MAX_NAME_LEN, o->name);
			return -1;
		}
		if (is_host_option(o->name)) {
			strbuf_addf(why, "its option --%s is one of flamesamp's own", o->name);
			return -1;
		}
		if (o->short_name && (o->short_name > 127 || !isalnum(o->short_name) ||
				      strchr(HOST_SHORT_OPTIONS, o->short_name))) {
			strbuf_addf(why,
				    "option --%s: short name %d is not a free letter (o, q, v "
				    "and h are flamesamp's)",
				    o->name, o->short_name);
			return -1;
		}
		if (o->has_arg != FLAMESAMP_OPTION_NO_ARG &&
		    o->has_arg != FLAMESAMP_OPTION_REQUIRED_ARG) {
			strbuf_addf(why, "option --%s: has_arg is %d, not 0 or 1", o->name,
				    o->has_arg);
			return -1;
		}
		for (q = d->options; q != o; q++)
			if (!strcmp(q->name, o->name) ||
			    (o->short_name && q->short_name == o->short_name)) {
				strbuf_addf(why, "option --%s is declared twice", o->name);
				return -1;
			}
	}
	return 0;
}

/*
 * Running as root, a plugin is code run as root: only a regular file owned by
 * root or by the user who ran sudo (SUDO_UID), that no one else may write, is
 * loaded.  0, or -1 with the reason in @why.
 */
static int plugin_file_trusted(const char *path, struct strbuf *why)
{
	const char *sudo_uid = getenv("SUDO_UID");
	struct stat st;

	if (geteuid() != 0)
		return 0;
	if (stat(path, &st)) {
		strbuf_addstr(why, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_addstr(why, "not a regular file");
		return -1;
	}
	if (st.st_uid != 0 && !(sudo_uid && strtoul(sudo_uid, NULL, 10) == st.st_uid)) {
		strbuf_addf(why, "owned by uid %u: running as root, plugins must belong to root",
			    (unsigned)st.st_uid);
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		strbuf_addstr(why, "writable by group or others: running as root, refused");
		return -1;
	}
	return 0;
}

/*
 * dlopen @path and check its descriptor, which must name plugin @name
 * (@len bytes).  0 and *@out, or -1 with the reason in @why.  The library
 * is never closed: a plugin's dependencies (libcurl, OpenSSL) may register
 * exit handlers that must stay mapped until exit.
 */
static int plugin_load(const char *path, const char *name, size_t len,
		       const struct flamesamp_plugin **out, struct strbuf *why)
{
	const size_t need = offsetof(struct flamesamp_plugin, run) + sizeof(void (*)(void));
	const struct flamesamp_plugin *d;
	flamesamp_plugin_entry_fn entry;
	void *handle, *sym;

	*out = NULL;
	if (plugin_file_trusted(path, why))
		return -1;
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *e = dlerror();

		strbuf_addstr(why, e ? e : "cannot be loaded");
		return -1;
	}
	sym = dlsym(handle, FLAMESAMP_PLUGIN_ENTRY);
	if (!sym) {
		strbuf_addstr(why, "no " FLAMESAMP_PLUGIN_ENTRY "() in it: not a flamesamp plugin");
		return -1;
	}
	memcpy(&entry, &sym, sizeof(entry)); /* ISO C has no object-to-function cast */
	d = entry();
	if (!d) {
		strbuf_addstr(why, FLAMESAMP_PLUGIN_ENTRY "() returned NULL");
		return -1;
	}
	if (d->abi_version != FLAMESAMP_PLUGIN_ABI_VERSION) {
		strbuf_addf(why,
			    "built for plugin ABI version %u, this flamesamp supports version %d "
			    "(rebuild it against this flamesamp's flamesamp/plugin.h)",
			    (unsigned)d->abi_version, FLAMESAMP_PLUGIN_ABI_VERSION);
		return -1;
	}
	if (d->struct_size < need) {
		strbuf_addf(why, "its descriptor is %u bytes, ABI version %d needs %zu",
			    (unsigned)d->struct_size, FLAMESAMP_PLUGIN_ABI_VERSION, need);
		return -1;
	}
	if (!d->name || strlen(d->name) != len || memcmp(d->name, name, len)) {
		strbuf_addf(why, "the file holds plugin '%.*s', not '%.*s'", MAX_NAME_LEN,
			    d->name ? d->name : "(no name)", (int)len, name);
		return -1;
	}
	if (!d->run) {
		strbuf_addstr(why, "it has no run function");
		return -1;
	}
	if (check_options(d, why))
		return -1;
	*out = d;
	return 0;
}

/* ---- what the plugin sees ---- */

struct host_ctx {
	struct flamesamp_host host; /* first: the plugin's pointer is the context's */
	const char *name;
	struct stack_counts *counts;
	struct strbuf line;
	struct strbuf count_name, subtitle;
};

static struct host_ctx *ctx_of(const struct flamesamp_host *h)
{
	return (struct host_ctx *)(uintptr_t)h;
}

/*
 * ';' separates frames and '\n' ends a line: neither may appear in a name
 * (the profile store's rule: ';' -> ':', control characters -> '?').
 */
static void add_frame_name(struct strbuf *sb, const char *name)
{
	profile_frame__append_name(sb, name && *name ? name : "[unknown]", NULL);
}

static void host_emit_stack(const struct flamesamp_host *h, const char *const *frames,
			    size_t nframes, double weight)
{
	struct host_ctx *c = ctx_of(h);
	size_t i;

	if (!frames || !nframes || !(weight > 0) || !isfinite(weight))
		return;
	strbuf_reset(&c->line);
	for (i = 0; i < nframes; i++) {
		if (i)
			strbuf_addch(&c->line, ';');
		add_frame_name(&c->line, frames[i]);
	}
	stack_counts__add(c->counts, c->line.buf, c->line.len, weight);
}

static void host_vlog(const struct host_ctx *c, int level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {"", "warning: ", "", "debug: "};

	if (level < FLAMESAMP_LOG_ERROR)
		level = FLAMESAMP_LOG_ERROR;
	if (level > FLAMESAMP_LOG_DEBUG)
		level = FLAMESAMP_LOG_DEBUG;
	/* errors and warnings always; info with -v, debug with -vv */
	if (level > FLAMESAMP_LOG_WARN && level - FLAMESAMP_LOG_WARN > cli_verbose)
		return;
	fflush(stdout);
	fprintf(stderr, "%s: %s: %s", cli_program, c->name, prefix[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void host_log(const struct flamesamp_host *h, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	host_vlog(ctx_of(h), level, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t size, const char *fmt,
							  ...)
{
	va_list ap;

	if (!err || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static int host_import(const struct flamesamp_host *h, const void *data, size_t len,
		       const char *format, char *err, size_t err_size)
{
	struct host_ctx *c = ctx_of(h);
	struct collapse_options opts;
	struct collapse_stats st = {0};
	struct stack_counts *part = NULL;
	struct strbuf warnings = STRBUF_INIT, why = STRBUF_INIT;
	enum collapse_format fmt;
	const char *p, *nl;
	char *copy = NULL;
	int ret;

	set_err(err, err_size, "%s", "");
	if (!format || collapse_format__parse(format, &fmt)) {
		set_err(err, err_size, "unknown profile format '%s'", format ? format : "(null)");
		return -EINVAL;
	}
	if (!data && len)
		return -EFAULT;
	/* the importers may read data[len], which must be '\0' */
	copy = xmalloc(len + 1);
	if (len)
		memcpy(copy, data, len);
	copy[len] = '\0';
	if (fmt == COLLAPSE_AUTO) {
		fmt = len ? collapse_format__detect(copy, len) : COLLAPSE_AUTO;
		if (fmt == COLLAPSE_AUTO) {
			set_err(err, err_size, "%s",
				len ? "not a profile in a known format" : "the profile is empty");
			ret = -EINVAL;
			goto out;
		}
	}
	/* into a table of its own: a profile refused half-way adds nothing */
	part = stack_counts__new();
	collapse_options__init(&opts);
	ret = collapse_input(fmt, copy, len, &opts, part, &st, &warnings, &why);
	if (ret) {
		set_err(err, err_size, "%s", why.buf);
		goto out;
	}
	for (p = warnings.buf; p && p < warnings.buf + warnings.len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(warnings.buf + warnings.len - p));
		host_log(h, FLAMESAMP_LOG_WARN, "%.*s", (int)(nl - p), p);
	}
	stack_counts__merge(c->counts, part);
out:
	strbuf_release(&warnings);
	strbuf_release(&why);
	stack_counts__free(part);
	free(copy);
	return ret;
}

static const char *host_detect(const struct flamesamp_host *h, const void *data, size_t len)
{
	enum collapse_format fmt;
	char *copy;

	(void)h;
	if (!data || !len)
		return NULL;
	copy = xmalloc(len + 1);
	memcpy(copy, data, len);
	copy[len] = '\0';
	fmt = collapse_format__detect(copy, len);
	free(copy);
	return fmt == COLLAPSE_AUTO ? NULL : collapse_format__name(fmt);
}

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static int host_should_stop(const struct flamesamp_host *h)
{
	(void)h;
	return stop_signal != 0;
}

static void host_set_count_name(const struct flamesamp_host *h, const char *name)
{
	struct host_ctx *c = ctx_of(h);

	strbuf_reset(&c->count_name);
	if (name)
		strbuf_addstr(&c->count_name, name);
}

static void host_set_subtitle(const struct flamesamp_host *h, const char *subtitle)
{
	struct host_ctx *c = ctx_of(h);

	strbuf_reset(&c->subtitle);
	if (subtitle)
		strbuf_addstr(&c->subtitle, subtitle);
}

/* ---- the command line ---- */

enum output_format {
	OUTPUT_AUTO,
	OUTPUT_SVG,
	OUTPUT_FOLDED,
};

struct run_args {
	struct render_args render;
	const char *output;
	enum output_format format;
	bool quiet;
	/* the plugin's argv: NAME, its options, then "--" and the operands */
	char **argv;
	int argc;
};

static void run_args__push(struct run_args *a, char *arg)
{
	a->argv = xreallocarray(a->argv, (size_t)a->argc + 2, sizeof(*a->argv));
	a->argv[a->argc++] = arg;
	a->argv[a->argc] = NULL;
}

static void run_args__release(struct run_args *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	free(a->argv);
}

static void usage(FILE *out, const struct flamesamp_plugin *d)
{
	const struct flamesamp_plugin_option *o;
	size_t len;

	fprintf(out, "usage: flamesamp %s [OPTIONS]%s%s\n\n%s\n\n%s options:\n", d->name,
		d->usage ? " " : "", d->usage ? d->usage : "", d->summary ? d->summary : "",
		d->name);
	for (o = d->options; o && o->name; o++) {
		char left[160];

		snprintf(left, sizeof(left), "  %c%c%c --%s%s%s", o->short_name ? '-' : ' ',
			 o->short_name ? o->short_name : ' ', o->short_name ? ',' : ' ', o->name,
			 o->has_arg ? " " : "",
			 o->has_arg ? (o->arg_name ? o->arg_name : "VALUE") : "");
		len = strlen(left);
		if (len < 23)
			fprintf(out, "%-23s%s\n", left, o->help ? o->help : "");
		else
			fprintf(out, "%s\n%23s%s\n", left, "", o->help ? o->help : "");
	}
	if (d->help) {
		len = strlen(d->help);
		fprintf(out, "\n%s%s", d->help, len && d->help[len - 1] == '\n' ? "" : "\n");
	}
	fprintf(out,
		"\n"
		"Output (flamesamp's options):\n"
		"  -o, --output FILE    where to write (default flamegraph.svg); the extension\n"
		"                       picks the format: .svg, or .folded / .txt for folded stacks\n"
		"      --output-format FMT\n"
		"                       svg or folded, whatever the extension\n"
		"  -q, --quiet          no summary line\n"
		"  -v, --verbose        more detail (twice: debug)\n"
		"  -h, --help           show this help\n"
		"\n"
		"Flame graph options (as in `flamesamp render`):\n");
	render_options__usage(out);
	fprintf(out,
		"\n"
		"Exit status: 0 success, 1 the profile could not be taken or written, 2 usage\n"
		"error.\n");
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* 0, -1 after --help, or an exit code after printing the problem. */
static int parse_args(const struct flamesamp_plugin *d, int argc, char **argv, struct run_args *a)
{
	struct option longopts[RENDER_LONG_OPTIONS_MAX + MAX_PLUGIN_OPTIONS + 8];
	char shortopts[8 + 2 * MAX_PLUGIN_OPTIONS] = ":o:qvh";
	const struct flamesamp_plugin_option *o;
	size_t n = 0, s = strlen(shortopts), i;
	int c;

	for (i = 0; host_options[i].name; i++)
		longopts[n++] = host_options[i];
	for (i = 0; render_long_options[i].name; i++)
		longopts[n++] = render_long_options[i];
	for (i = 0, o = d->options; o && o->name; o++, i++) {
		longopts[n++] =
			(struct option){o->name, o->has_arg ? required_argument : no_argument, NULL,
					OPT_PLUGIN + (int)i};
		if (o->short_name) {
			shortopts[s++] = (char)o->short_name;
			if (o->has_arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){0};
	shortopts[s] = '\0';

	render_args__init(&a->render);
	run_args__push(a, xstrdup(d->name));
	opterr = 0;
	optind = 0; /* full reinitialisation of GNU getopt */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		struct strbuf arg = STRBUF_INIT;

		switch (c) {
		case 'h':
			usage(stdout, d);
			return -1;
		case '?': {
			/* not the value: a mistyped --tokn=SECRET must not show the secret */
			const char *bad = cli_bad_option(longopts, argv);

			cli_error("unknown option '%.*s' (see 'flamesamp %s --help')",
				  (int)strcspn(bad, "="), bad, d->name);
			return EXIT_USAGE;
		}
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			return EXIT_USAGE;
		case 'o':
			a->output = optarg;
			continue;
		case OPT_OUTPUT_FORMAT:
			if (!strcmp(optarg, "svg")) {
				a->format = OUTPUT_SVG;
			} else if (!strcmp(optarg, "folded")) {
				a->format = OUTPUT_FOLDED;
			} else {
				cli_error(
					"unknown format '%s' for --output-format (expected svg or "
					"folded)",
					optarg);
				return EXIT_USAGE;
			}
			continue;
		case 'q':
			a->quiet = true;
			continue;
		case 'v':
			cli_verbose++;
			continue;
		}
		if (c < OPT_PLUGIN && c < 128) /* a plugin's short option */
			for (i = 0, o = d->options; o && o->name; o++, i++)
				if (o->short_name == c)
					c = OPT_PLUGIN + (int)i;
		if (c >= OPT_PLUGIN) {
			o = &d->options[c - OPT_PLUGIN];
			strbuf_addf(&arg, "--%s", o->name);
			if (o->has_arg) {
				strbuf_addch(&arg, '=');
				strbuf_addstr(&arg, optarg);
			}
			run_args__push(a, strbuf_detach(&arg, NULL));
			continue;
		}
		if (render_args__handle(&a->render, c, optarg))
			return EXIT_USAGE;
	}
	if (optind < argc) {
		run_args__push(a, xstrdup("--"));
		for (; optind < argc; optind++)
			run_args__push(a, xstrdup(argv[optind]));
	}
	if (!a->output)
		a->output = "flamegraph.svg";
	if (a->format == OUTPUT_AUTO)
		a->format = has_suffix(a->output, ".folded") || has_suffix(a->output, ".txt")
				    ? OUTPUT_FOLDED
				    : OUTPUT_SVG;
	return render_args__finish(&a->render);
}

/* ---- writing ---- */

/* stack_counts -> profile: names hold no ';' (see add_frame_name) */
static int add_to_profile(const char *stack, size_t len, double count, void *ctx)
{
	folded_profile__add_stack(ctx, stack, len, count);
	return 0;
}

/* Write what the plugin emitted to @of (consumed); returns an exit code. */
static int write_output(struct host_ctx *c, struct run_args *a, struct output_file *of,
			const char *out_name)
{
	struct folded_profile *profile;
	int ret, err;

	if (a->format == OUTPUT_FOLDED) {
		if (!stack_counts__size(c->counts))
			fs_warn("%s: the profile holds no stacks", c->name);
		err = stack_counts__write(c->counts, output_file__stream(of));
		if (err)
			output_file__abort(of);
		else
			err = output_file__commit(of);
		if (err) {
			cli_error("cannot write '%s': %s", out_name, strerror(-err));
			return EXIT_FAILURE_RUNTIME;
		}
		return EXIT_OK;
	}
	if (!a->render.count_name_given && c->count_name.len)
		a->render.fg.count_name = c->count_name.buf;
	if (!a->render.fg.subtitle && c->subtitle.len)
		a->render.fg.subtitle = c->subtitle.buf;
	profile = folded_profile__new(0);
	stack_counts__for_each_sorted(c->counts, add_to_profile, profile);
	ret = render_args__write_svg(&a->render, profile, of, out_name);
	folded_profile__free(profile);
	return ret;
}

/* ---- running ---- */

/*
 * The first flamesamp-NAME.so on the path, loaded and checked.  0 and *@d;
 * PLUGIN_HOST_NOT_FOUND when there is none; an exit code after printing why
 * the one found is refused.
 */
static int find_plugin(const char *name, const struct flamesamp_plugin **d)
{
	struct plugin_dirs dirs;
	struct strbuf path = STRBUF_INIT, why = STRBUF_INIT;
	size_t i;
	int ret = PLUGIN_HOST_NOT_FOUND;

	*d = NULL;
	if (!valid_plugin_name(name, strlen(name)))
		return PLUGIN_HOST_NOT_FOUND;
	plugin_dirs__init(&dirs);
	for (i = 0; i < dirs.n; i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/" PLUGIN_PREFIX "%s" PLUGIN_SUFFIX, dirs.v[i], name);
		if (access(path.buf, F_OK))
			continue;
		if (plugin_load(path.buf, name, strlen(name), d, &why)) {
			cli_error("plugin %s (%s) refused: %s", name, path.buf, why.buf);
			ret = EXIT_FAILURE_RUNTIME;
		} else {
			fs_debug("plugin %s: %s", name, path.buf);
			ret = 0;
		}
		break;
	}
	strbuf_release(&path);
	strbuf_release(&why);
	plugin_dirs__release(&dirs);
	return ret;
}

int plugin_host__run(int argc, char **argv)
{
	static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction old[3], sa;
	const struct flamesamp_plugin *d;
	struct run_args a;
	struct host_ctx c;
	struct output_file *of = NULL;
	const char *out_name;
	bool handlers = false;
	size_t i;
	int ret;

	memset(&a, 0, sizeof(a));
	memset(&c, 0, sizeof(c));
	ret = find_plugin(argv[0], &d);
	if (ret)
		return ret;
	ret = parse_args(d, argc, argv, &a);
	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	out_name = strcmp(a.output, "-") ? a.output : "standard output";
	/* a path that cannot be written fails now, not after a long profile */
	of = output_file__open(a.output);
	if (!of) {
		cli_error("cannot write '%s': %s", out_name, strerror(errno));
		ret = EXIT_FAILURE_RUNTIME;
		goto out;
	}

	c.host = (struct flamesamp_host){
		.abi_version = FLAMESAMP_PLUGIN_ABI_VERSION,
		.struct_size = sizeof(struct flamesamp_host),
		.verbose = cli_verbose,
		.emit_stack = host_emit_stack,
		.import_profile = host_import,
		.detect_format = host_detect,
		.log = host_log,
		.should_stop = host_should_stop,
		.set_count_name = host_set_count_name,
		.set_subtitle = host_set_subtitle,
	};
	c.name = d->name;
	c.counts = stack_counts__new();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a plugin blocked in a system call sees EINTR */
	for (i = 0; i < 3; i++)
		sigaction(signals[i], &sa, &old[i]);
	handlers = true;
	stop_signal = 0;
	ret = d->run(&c.host, a.argc, a.argv);
	for (i = 0; i < 3; i++)
		sigaction(signals[i], &old[i], NULL);
	handlers = false;
	if (ret < 0 || ret > 255)
		ret = EXIT_FAILURE_RUNTIME;
	if (ret)
		goto out;
	if (stop_signal)
		fs_info("%s: stopped by signal %d; writing what was collected", c.name,
			(int)stop_signal);

	ret = write_output(&c, &a, of, out_name);
	of = NULL;
	if (!a.quiet) {
		char total[FS_COUNT_BUFSIZE];
		const char *unit = a.render.count_name_given ? a.render.fg.count_name
				   : c.count_name.len	     ? c.count_name.buf
							     : "samples";

		fs_format_count_grouped(stack_counts__total(c.counts), total, sizeof(total));
		fprintf(stderr, "%s: %s: %zu stack%s, %s %s", cli_program, c.name,
			stack_counts__size(c.counts), stack_counts__size(c.counts) == 1 ? "" : "s",
			total, unit);
		if (ret == EXIT_OK)
			fprintf(stderr, "; wrote %s", out_name);
		fputc('\n', stderr);
	}
out:
	if (handlers)
		for (i = 0; i < 3; i++)
			sigaction(signals[i], &old[i], NULL);
	output_file__abort(of);
	stack_counts__free(c.counts);
	strbuf_release(&c.line);
	strbuf_release(&c.count_name);
	strbuf_release(&c.subtitle);
	run_args__release(&a);
	return ret;
}

/* ---- flamesamp plugins ---- */

static int name_of_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name), p = strlen(PLUGIN_PREFIX), s = strlen(PLUGIN_SUFFIX);

	return n > p + s && !strncmp(e->d_name, PLUGIN_PREFIX, p) &&
	       !strcmp(e->d_name + n - s, PLUGIN_SUFFIX);
}

int cmd_plugins(int argc, char **argv)
{
	struct plugin_dirs dirs;
	struct strbuf path = STRBUF_INIT, why = STRBUF_INIT, seen = STRBUF_INIT;
	size_t i, found = 0;
	int k;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: flamesamp plugins\n\n"
		       "List the plugins found, in search order: each directory of\n"
		       "FLAMESAMP_PLUGIN_PATH (colon-separated), then %s, then\n"
		       "\"plugins\" next to the flamesamp binary.  A plugin is a file\n"
		       "flamesamp-NAME.so, run as `flamesamp NAME`; the first one of a NAME\n"
		       "is used.  Plugins that cannot be used are listed with the reason.\n",
		       FLAMESAMP_PLUGIN_DIR);
		return EXIT_OK;
	}
	if (argc > 1) {
		cli_error("plugins: unexpected argument '%s' (see 'flamesamp plugins --help')",
			  argv[1]);
		return EXIT_USAGE;
	}
	plugin_dirs__init(&dirs);
	printf("search path:");
	for (i = 0; i < dirs.n; i++)
		printf("%s%s", i ? ":" : " ", dirs.v[i]);
	printf("\n");
	strbuf_addch(&seen, '\n'); /* "\nNAME\nNAME\n..." */
	for (i = 0; i < dirs.n; i++) {
		struct dirent **list = NULL;
		int n = scandir(dirs.v[i], &list, name_of_file, alphasort);

		if (n < 0 && errno != ENOENT && errno != ENOTDIR)
			fs_warn("cannot list plugin directory '%s': %s", dirs.v[i],
				strerror(errno));
		for (k = 0; k < n; k++) {
			const char *file = list[k]->d_name;
			const char *name = file + strlen(PLUGIN_PREFIX);
			size_t len = strlen(name) - strlen(PLUGIN_SUFFIX);
			const struct flamesamp_plugin *d;
			char key[MAX_NAME_LEN + 3];

			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s", dirs.v[i], file);
			strbuf_reset(&why);
			found++;
			if (!valid_plugin_name(name, len)) {
				printf("%-10.*s refused: the name is not letters, digits, '-' and "
				       "'_'\n%-10s %s\n",
				       (int)len, name, "", path.buf);
				continue;
			}
			snprintf(key, sizeof(key), "\n%.*s\n", (int)len, name);
			if (strstr(seen.buf, key)) {
				printf("%-10.*s shadowed by the one above\n%-10s %s\n", (int)len,
				       name, "", path.buf);
				continue;
			}
			strbuf_addstr(&seen, key + 1);
			if (plugin_load(path.buf, name, len, &d, &why))
				printf("%-10.*s refused: %s\n", (int)len, name, why.buf);
			else
				printf("%-10s %s\n", d->name, d->summary ? d->summary : "");
			printf("%-10s %s\n", "", path.buf);
		}
		for (k = 0; k < n; k++)
			free(list[k]);
		free(list);
	}
	if (!found)
		printf("no plugins found\n");
	strbuf_release(&path);
	strbuf_release(&why);
	strbuf_release(&seen);
	plugin_dirs__release(&dirs);
	return EXIT_OK;
}
