/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_PLUGIN_H
#define FLAMESAMP_PLUGIN_H

/*
 * flamesamp plugins: profilers outside the core whose stacks flow into
 * flamesamp's aggregation, renderer and outputs.
 *
 * This header is the whole interface.  It needs only <stddef.h> and
 * <stdint.h>; a plugin is built against it alone and must not link
 * libflamesamp.a:
 *
 *     cc -shared -fPIC -I/usr/local/include -o flamesamp-NAME.so NAME.c
 *
 * Loading
 *   `flamesamp NAME [OPTIONS]` looks for a file named flamesamp-NAME.so in
 *   the directories of FLAMESAMP_PLUGIN_PATH (colon-separated), then in the
 *   install directory ($(LIBDIR)/flamesamp/plugins), then in "plugins" next to
 *   the flamesamp binary; the first file found is used.  It is opened with
 *   dlopen(RTLD_NOW | RTLD_LOCAL) and never closed.  flamesamp calls its
 *   exported function flamesamp_plugin_entry() (see FLAMESAMP_PLUGIN_DEFINE)
 *   and refuses the plugin, with one line saying why, when the descriptor's
 *   abi_version is not FLAMESAMP_PLUGIN_ABI_VERSION, when struct_size is too
 *   small, when its name is not NAME, or when its options clash with
 *   flamesamp's own.
 *
 * Options
 *   flamesamp parses the whole command line: its own options (-o, --output,
 *   --output-format, -q, -v, -h and every flame graph option of
 *   `flamesamp render`) and the options the plugin declares in its table.
 *   An option in neither is a usage error reported by flamesamp.  The
 *   plugin's run() then gets argv[0] = NAME followed by the plugin's own
 *   options in the order given, each as one word "--LONG" (no value) or
 *   "--LONG=VALUE" (short forms and abbreviations expanded, values kept
 *   byte for byte), then, if there were operands, "--" and the operands.
 *   A plugin can therefore walk argv with a plain loop, or with
 *   getopt_long() after setting optind = 0.
 *
 * Threads and signals
 *   run() is called on the main thread; the host functions may be called
 *   from that thread only.  flamesamp catches SIGINT, SIGTERM and SIGHUP
 *   while run() runs (without SA_RESTART, so blocking calls return EINTR):
 *   should_stop() then returns non-zero, and the plugin should finish soon,
 *   keeping what it collected; the stacks emitted so far are written out.
 *
 * Versioning
 *   FLAMESAMP_PLUGIN_ABI_VERSION changes when a structure below changes in a
 *   way an existing plugin would misread.  Fields are only ever appended to
 *   struct flamesamp_host within one ABI version: a plugin that uses a field
 *   added later checks host->struct_size first (FLAMESAMP_HOST_HAS()).
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FLAMESAMP_PLUGIN_ABI_VERSION 1

#if defined(__GNUC__)
#define FLAMESAMP_PLUGIN_EXPORT		  __attribute__((visibility("default")))
#define FLAMESAMP_PLUGIN_PRINTF(fmt, arg) __attribute__((format(printf, fmt, arg)))
#else
#define FLAMESAMP_PLUGIN_EXPORT
#define FLAMESAMP_PLUGIN_PRINTF(fmt, arg)
#endif

/* ---- what flamesamp offers a plugin ---- */

enum flamesamp_log_level {
	FLAMESAMP_LOG_ERROR = 0, /* always shown: "flamesamp: NAME: MESSAGE" */
	FLAMESAMP_LOG_WARN = 1,	 /* always shown: "flamesamp: NAME: warning: MESSAGE" */
	FLAMESAMP_LOG_INFO = 2,	 /* shown with -v */
	FLAMESAMP_LOG_DEBUG = 3, /* shown with -vv */
};

/* Exit codes run() returns, as every flamesamp command uses them. */
enum flamesamp_plugin_status {
	FLAMESAMP_PLUGIN_OK = 0,      /* success: flamesamp writes the output */
	FLAMESAMP_PLUGIN_FAILURE = 1, /* the work failed (error already logged) */
	FLAMESAMP_PLUGIN_USAGE = 2,   /* bad option value or missing option (logged) */
};

/*
 * Services of the host, valid for the duration of run().  Every function
 * takes the host pointer it was reached through.  Strings are NUL-terminated
 * and copied by the host before the call returns.
 */
struct flamesamp_host {
	uint32_t abi_version; /* FLAMESAMP_PLUGIN_ABI_VERSION of the host */
	uint32_t struct_size; /* sizeof(struct flamesamp_host) in the host */
	int verbose;	      /* number of -v given: 0, 1 (info), 2 or more (debug) */

	/*
	 * One stack of @nframes frames, root (outermost) first, with @weight
	 * (> 0 and finite; anything else is ignored).  Identical stacks add up.
	 * Frame names may hold any bytes but ';' and newlines, which the host
	 * replaces (';' by ':', control characters by '?') so the folded format
	 * stays intact.  An empty frame list is ignored.
	 */
	void (*emit_stack)(const struct flamesamp_host *host, const char *const *frames,
			   size_t nframes, double weight);

	/*
	 * A whole profile in another tool's format, parsed by flamesamp's own
	 * importers (those of `flamesamp collapse`) and added to the stacks:
	 * @format is "v8" (.cpuprofile JSON; weights in microseconds), "pprof"
	 * (protobuf, gzipped or not; the first sample type), "folded", "perf",
	 * "bpftrace" or "auto" (told from the content).  @data need not be
	 * NUL-terminated.  Returns 0, -EINVAL for data that is not a profile in
	 * that format (or whose format cannot be told), with a one-line reason
	 * copied into @err (@err_size bytes, may be 0), or another -errno.
	 */
	int (*import_profile)(const struct flamesamp_host *host, const void *data, size_t len,
			      const char *format, char *err, size_t err_size);

	/*
	 * The format "auto" would pick for @data: "v8", "pprof", "perf",
	 * "bpftrace", "folded", or NULL when it cannot tell.  The returned
	 * string is static.
	 */
	const char *(*detect_format)(const struct flamesamp_host *host, const void *data,
				     size_t len);

	/* A message for the user, filtered by level (see flamesamp_log_level). */
	void (*log)(const struct flamesamp_host *host, int level, const char *fmt, ...)
		FLAMESAMP_PLUGIN_PRINTF(3, 4);

	/* Non-zero once the user asked to stop (Ctrl-C, SIGTERM, SIGHUP). */
	int (*should_stop)(const struct flamesamp_host *host);

	/*
	 * What the weights are ("samples", "microseconds"...): the default of
	 * --countname, which the user's --countname overrides.  Likewise the
	 * default subtitle (--subtitle).  The last call wins.
	 */
	void (*set_count_name)(const struct flamesamp_host *host, const char *name);
	void (*set_subtitle)(const struct flamesamp_host *host, const char *subtitle);
};

/* True when @host has the member @field (an older host may lack later fields). */
#define FLAMESAMP_HOST_HAS(host, field)                                                            \
	((host)->struct_size >= offsetof(struct flamesamp_host, field) + sizeof((host)->field))

/* ---- what a plugin describes ---- */

enum flamesamp_option_arg {
	FLAMESAMP_OPTION_NO_ARG = 0,	   /* a flag: "--LONG" */
	FLAMESAMP_OPTION_REQUIRED_ARG = 1, /* a value: "--LONG=VALUE" */
};

/* One option of the plugin; a table ends with an entry whose name is NULL. */
struct flamesamp_plugin_option {
	const char *name;     /* long name without "--": letters, digits and '-' */
	int short_name;	      /* a letter for "-X", or 0; not o, q, v or h */
	int has_arg;	      /* enum flamesamp_option_arg */
	const char *arg_name; /* for the help text ("URL"); NULL for flags */
	const char *help;     /* one line for the help text */
};

struct flamesamp_plugin {
	uint32_t abi_version; /* FLAMESAMP_PLUGIN_ABI_VERSION */
	uint32_t struct_size; /* sizeof(struct flamesamp_plugin) */
	const char *name;     /* the NAME of `flamesamp NAME`, as in flamesamp-NAME.so */
	const char *summary;  /* one line for `flamesamp plugins` */
	const char *usage;    /* the arguments for the help text: "--url URL [...]" */
	const char *help;     /* paragraphs after the options in --help; may be NULL */
	const struct flamesamp_plugin_option *options; /* may be NULL: no options */
	/*
	 * Do the work: emit stacks through @host, then return an exit code
	 * (enum flamesamp_plugin_status).  Errors are reported through
	 * host->log(FLAMESAMP_LOG_ERROR, ...) as one line before returning
	 * non-zero; flamesamp writes no output then.  @argv is described
	 * at the top of this file and is owned by the host.
	 */
	int (*run)(const struct flamesamp_host *host, int argc, char **argv);
};

/*
 * The symbol flamesamp looks up in each plugin.  It returns a pointer to a
 * descriptor that stays valid while the plugin is loaded (a static one).
 */
#define FLAMESAMP_PLUGIN_ENTRY "flamesamp_plugin_entry"
typedef const struct flamesamp_plugin *(*flamesamp_plugin_entry_fn)(void);

/*
 * Define the entry point for descriptor @desc (a static struct
 * flamesamp_plugin):
 *     static const struct flamesamp_plugin desc = {...};
 *     FLAMESAMP_PLUGIN_DEFINE(desc)
 */
#define FLAMESAMP_PLUGIN_DEFINE(desc)                                                              \
	FLAMESAMP_PLUGIN_EXPORT const struct flamesamp_plugin *flamesamp_plugin_entry(void);       \
	FLAMESAMP_PLUGIN_EXPORT const struct flamesamp_plugin *flamesamp_plugin_entry(void)        \
	{                                                                                          \
		return &(desc);                                                                    \
	}

#ifdef __cplusplus
}
#endif

#endif
