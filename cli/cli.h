/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_CLI_H
#define FLAMESAMP_CLI_CLI_H

/*
 * Shared pieces of the command line front end.  cli/ is the only place that
 * prints to the terminal or decides exit codes.
 *
 * Exit codes (documented in README.md):
 *   0  success
 *   1  the work failed: a write error (full disk), input that could not be
 *      processed, a runtime failure
 *   2  usage: unknown command or option, bad option value, a missing or
 *      unreadable input file, an unknown input format
 */

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <sys/types.h>

enum {
	EXIT_OK = 0,
	EXIT_FAILURE_RUNTIME = 1,
	EXIT_USAGE = 2,
};

#ifndef FLAMESAMP_VERSION
#define FLAMESAMP_VERSION "0.1.0"
#endif

extern const char *cli_program; /* "flamesamp" */
extern int cli_verbose;		/* -v count: 0 shows warnings, 1 info, 2 debug */

/* "flamesamp: <message>\n" on stderr. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);

/* Route library fs_log() messages to stderr, filtered by cli_verbose. */
void cli_install_log_handler(void);

/*
 * Parse a number option value; on a bad value print one error line naming
 * @option and return -1.
 */
int cli_parse_double(const char *option, const char *arg, double *out);
int cli_parse_int(const char *option, const char *arg, long min, long max, long *out);
/*
 * "123,456" appended to *@list (grown with xreallocarray; the caller frees);
 * 0, or -1 after printing the problem.
 */
int cli_parse_pid_list(const char *option, const char *arg, pid_t **list, size_t *nr);

/*
 * After getopt_long() returned '?': the option as the user typed it, for the
 * error line.  GNU getopt sets optopt to 0 for an unknown long option, to the
 * option character for an unknown short one, and to the long option's val for
 * "--name=VALUE" given to an option that takes no value; only the last two
 * leave a character in optopt, and only the last can name a valid option.
 * Returns argv[optind - 1] or a static "-c".
 */
struct option;
const char *cli_bad_option(const struct option *longopts, char **argv);

/*
 * Write an output atomically through common/output_file.h: @write fills the
 * stream, then the file is renamed into place.  @path "-" or NULL is standard
 * output; @what names the output in errors ("palette map").  On failure one
 * line names the output and the reason, nothing is left behind, and
 * EXIT_FAILURE_RUNTIME is returned; EXIT_OK otherwise.
 */
typedef int (*cli_write_fn)(FILE *out, const void *ctx);
int cli_write_output(const char *path, const char *what, cli_write_fn write, const void *ctx);

/* Clock @clock in nanoseconds; CLOCK_MONOTONIC in seconds (the status lines' clock). */
uint64_t cli_clock_ns(clockid_t clock);
double cli_now_seconds(void);

struct json_object;
/* @obj as indented JSON and a newline (it is then freed); 0, or -EIO on a write error. */
int cli_print_json(FILE *out, struct json_object *obj);

struct strbuf;
/*
 * "flamesamp COMMAND ARGS...", each of @argv[1..@argc) quoted for a shell
 * where it needs to be (@command NULL: none): how a recording was asked for.
 */
void cli_command_line(struct strbuf *sb, const char *command, int argc, char **argv);

/* Subcommands: each returns the process exit code. */
struct symbolizer;
/* -v: what @sym read and holds (symbol tables, DWARF indexes), as one info line. */
void cli_report_symbolizer(const struct symbolizer *sym);

int cmd_render(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_collapse(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_symbolize(int argc, char **argv);
int cmd_top(int argc, char **argv);

#endif
