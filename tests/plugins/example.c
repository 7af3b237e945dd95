// SPDX-License-Identifier: Apache-2.0
/*
 * A third-party plugin for the plugin tests, built by tests/integration/plugins.sh
 * with nothing but the public header:
 *     cc -shared -fPIC -I include -o flamesamp-example.so tests/plugins/example.c
 * Each option exercises one host service:
 *   -e, --emit A,B,C   emit_stack() of frames A;B;C with the current --weight
 *   --weight W         the weight of the next --emit (default 1)
 *   --folded TEXT      import_profile(TEXT, "folded")
 *   --import-v8 TEXT   import_profile(TEXT, "v8"): refused input is an error
 *   --detect TEXT      log what detect_format() says, as a warning
 *   --weird            frames holding ';', a newline and a tab
 *   --wait             emit nothing until should_stop(), then one stack
 *   --fail             log an error and return 1
 *   --args             log each argument as a warning: what the host passed
 *   --unit NAME        set_count_name(NAME)
 * Compiled with -DEXAMPLE_NAME='"x"', -DEXAMPLE_ABI=N or -DEXAMPLE_CLASH it
 * becomes the plugins the host must refuse.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flamesamp/plugin.h"

#ifndef EXAMPLE_NAME
#define EXAMPLE_NAME "example"
#endif
#ifndef EXAMPLE_ABI
#define EXAMPLE_ABI FLAMESAMP_PLUGIN_ABI_VERSION
#endif

static const char *value_of(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, n) || arg[2 + n] != '=')
		return NULL;
	return arg + 3 + n;
}

static void emit_list(const struct flamesamp_host *host, const char *list, double weight)
{
	const char *frames[64];
	char *copy = strdup(list), *p = copy, *tok;
	size_t n = 0;

	if (!copy)
		return;
	while (n < 64 && (tok = strsep(&p, ",")))
		frames[n++] = tok;
	host->emit_stack(host, frames, n, weight);
	free(copy);
}

static int run(const struct flamesamp_host *host, int argc, char **argv)
{
	double weight = 1;
	char err[256];
	const char *v;
	int i;

	if (host->abi_version != FLAMESAMP_PLUGIN_ABI_VERSION ||
	    !FLAMESAMP_HOST_HAS(host, set_subtitle)) {
		host->log(host, FLAMESAMP_LOG_ERROR, "host too old");
		return FLAMESAMP_PLUGIN_FAILURE;
	}
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--args")) {
			int k;

			for (k = 0; k < argc; k++)
				host->log(host, FLAMESAMP_LOG_WARN, "argv[%d]=%s", k, argv[k]);
		} else if ((v = value_of(arg, "emit"))) {
			emit_list(host, v, weight);
		} else if ((v = value_of(arg, "weight"))) {
			weight = strtod(v, NULL);
		} else if ((v = value_of(arg, "folded"))) {
			if (host->import_profile(host, v, strlen(v), "folded", err, sizeof(err))) {
				host->log(host, FLAMESAMP_LOG_ERROR, "folded: %s", err);
				return FLAMESAMP_PLUGIN_FAILURE;
			}
		} else if ((v = value_of(arg, "import-v8"))) {
			if (host->import_profile(host, v, strlen(v), "v8", err, sizeof(err))) {
				host->log(host, FLAMESAMP_LOG_ERROR, "not a profile: %s", err);
				return FLAMESAMP_PLUGIN_FAILURE;
			}
		} else if ((v = value_of(arg, "detect"))) {
			const char *fmt = host->detect_format(host, v, strlen(v));

			host->log(host, FLAMESAMP_LOG_WARN, "detected %s", fmt ? fmt : "nothing");
		} else if (!strcmp(arg, "--weird")) {
			const char *frames[] = {"semi;colon", "new\nline", "tab\there", ""};

			host->emit_stack(host, frames, 4, weight);
		} else if (!strcmp(arg, "--wait")) {
			struct timespec ts = {0, 20 * 1000 * 1000};
			const char *frames[] = {"waited", "until", "stopped"};

			while (!host->should_stop(host))
				nanosleep(&ts, NULL);
			host->emit_stack(host, frames, 3, 1);
		} else if (!strcmp(arg, "--fail")) {
			host->log(host, FLAMESAMP_LOG_ERROR, "failing as asked");
			return FLAMESAMP_PLUGIN_FAILURE;
		} else if ((v = value_of(arg, "unit"))) {
			host->set_count_name(host, v);
		} else if (!strcmp(arg, "--")) {
			for (i++; i < argc; i++)
				host->log(host, FLAMESAMP_LOG_WARN, "operand %s", argv[i]);
		} else {
			host->log(host, FLAMESAMP_LOG_ERROR, "unexpected argument '%s'", arg);
			return FLAMESAMP_PLUGIN_USAGE;
		}
	}
	host->log(host, FLAMESAMP_LOG_INFO, "info line");
	host->log(host, FLAMESAMP_LOG_DEBUG, "debug line");
	return FLAMESAMP_PLUGIN_OK;
}

static const struct flamesamp_plugin_option options[] = {
	{"emit", 'e', FLAMESAMP_OPTION_REQUIRED_ARG, "A,B,C", "emit the stack A;B;C"},
	{"weight", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "W", "weight of the next --emit"},
	{"folded", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "TEXT", "import folded stacks"},
	{"import-v8", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "TEXT", "import a V8 profile"},
	{"detect", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "TEXT", "say which format TEXT is"},
	{"weird", 0, FLAMESAMP_OPTION_NO_ARG, NULL, "frames with ';' and control characters"},
	{"wait", 'w', FLAMESAMP_OPTION_NO_ARG, NULL, "wait for Ctrl-C"},
	{"fail", 0, FLAMESAMP_OPTION_NO_ARG, NULL, "fail"},
	{"args", 0, FLAMESAMP_OPTION_NO_ARG, NULL, "show the arguments"},
	{"unit", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "NAME", "what the weights are"},
#ifdef EXAMPLE_CLASH
	{"title", 0, FLAMESAMP_OPTION_REQUIRED_ARG, "T", "clashes with the render option"},
#endif
	{NULL, 0, 0, NULL, NULL},
};

static const struct flamesamp_plugin plugin = {
	.abi_version = EXAMPLE_ABI,
	.struct_size = sizeof(struct flamesamp_plugin),
	.name = EXAMPLE_NAME,
	.summary = "an example plugin built against the public header alone",
	.usage = "[--emit A,B,C]...",
	.options = options,
	.help = "Only for the tests.\n",
	.run = run,
};

FLAMESAMP_PLUGIN_DEFINE(plugin)
