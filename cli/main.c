// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp: sampling profiler and flame graph toolkit.
 * Dispatches `flamesamp COMMAND ...` to the cmd_*() functions.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/picker.h"
#include "cli/plugin_host.h"
#include "cli/tui.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"record", cmd_record,
	 "sample CPU stacks of a process, a command or the whole system (the default)"},
	{"render", cmd_render,
	 "draw folded stacks or a profile database as an interactive SVG flame graph"},
	{"report", cmd_report, "the functions with the most self and total weight"},
	{"query", cmd_query, "SQL on a profile database (record -o FILE.db)"},
	{"collapse", cmd_collapse,
	 "convert perf script, V8, pprof or bpftrace output to folded stacks"},
	{"diff", cmd_diff, "compare two folded profiles (difffolded format)"},
	{"symbolize", cmd_symbolize,
	 "addresses of a binary or a process to functions and source lines (addr2line)"},
	{"top", cmd_top, "the hottest functions, live in the terminal (ncurses)"},
	{"plugins", cmd_plugins, "list the plugins installed (http, pyspy, ...), run as commands"},
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"usage: flamesamp [record] [OPTIONS] -p PID | -t TID | -a | -- COMMAND [ARGS]\n"
		"       flamesamp COMMAND [OPTIONS] [ARGS]\n"
		"       flamesamp              (on a terminal: pick a process to watch with top)\n"
		"\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "  NAME       run plugin NAME (see `flamesamp plugins`)\n"
		     "\n`flamesamp COMMAND --help` describes each command's options.\n");
}

/* `flamesamp` alone on a terminal: pick a process, then watch it with top. */
static int pick_and_top(void)
{
	char pid_text[16], top[] = "top", p[] = "-p";
	char *top_argv[] = {top, p, pid_text, NULL};
	pid_t pid;
	int ret;

	ret = picker_run(&pid);
	if (ret || !pid)
		return ret;
	snprintf(pid_text, sizeof(pid_text), "%d", pid);
	return cmd_top(3, top_argv);
}

static int run(int argc, char **argv)
{
	size_t i;
	int ret;

	if (argc < 2) {
		if (tui_usable())
			return pick_and_top();
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("flamesamp %s\n", FLAMESAMP_VERSION);
		return EXIT_OK;
	}
	/* options first: `flamesamp -p PID` records, as the command most used */
	if (argv[1][0] == '-')
		return cmd_record(argc, argv);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	ret = plugin_host__run(argc - 1, argv + 1);
	if (ret != PLUGIN_HOST_NOT_FOUND)
		return ret;
	cli_error("unknown command '%s' (see 'flamesamp --help')", argv[1]);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	int ret;

	cli_install_log_handler();
	ret = run(argc, argv);
	/* the terminal is restored on every way out; ncurses' memory is freed */
	tui_release();
	return ret;
}
