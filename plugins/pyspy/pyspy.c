// SPDX-License-Identifier: Apache-2.0
/*
 * flamesamp pyspy: sample a Python process with py-spy and hand its stacks
 * to flamesamp.  Runs `py-spy record --format raw` (folded stacks, frames
 * "function (file.py:LINE)") into a private temporary directory and imports
 * the file as folded stacks.  Built against include/flamesamp/plugin.h only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "flamesamp/plugin.h"

#define MAX_OUTPUT     (1UL << 30) /* py-spy's raw file, bytes */
#define STOP_GRACE_SEC 15	   /* after SIGINT, before SIGKILL */

struct pyspy_args {
	long pid;
	long duration; /* seconds; 0: until py-spy stops or Ctrl-C */
	long rate;     /* samples per second; 0: py-spy's default (100) */
	bool native, subprocesses, threads, idle, gil, nonblocking;
};

static const char *value_of(const char *arg, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, n) || arg[2 + n] != '=')
		return NULL;
	return arg + 3 + n;
}

static int parse_long(const struct flamesamp_host *host, const char *option, const char *v,
		      long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < 1 || n > max) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "invalid value for --%s: '%s' (expected a whole number from 1 to %ld)",
			  option, v, max);
		return -1;
	}
	*out = n;
	return 0;
}

static int parse_args(const struct flamesamp_host *host, int argc, char **argv,
		      struct pyspy_args *a)
{
	const char *v;
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--")) {
			if (i + 1 < argc) {
				host->log(host, FLAMESAMP_LOG_ERROR,
					  "unexpected argument '%s' (give the process with -p PID)",
					  argv[i + 1]);
				return FLAMESAMP_PLUGIN_USAGE;
			}
			break;
		}
		if ((v = value_of(arg, "pid"))) {
			if (parse_long(host, "pid", v, INT_MAX, &a->pid))
				return FLAMESAMP_PLUGIN_USAGE;
		} else if ((v = value_of(arg, "duration"))) {
			if (parse_long(host, "duration", v, 86400 * 365, &a->duration))
				return FLAMESAMP_PLUGIN_USAGE;
		} else if ((v = value_of(arg, "rate"))) {
			if (parse_long(host, "rate", v, 100000, &a->rate))
				return FLAMESAMP_PLUGIN_USAGE;
		} else if (!strcmp(arg, "--native")) {
			a->native = true;
		} else if (!strcmp(arg, "--subprocesses")) {
			a->subprocesses = true;
		} else if (!strcmp(arg, "--threads")) {
			a->threads = true;
		} else if (!strcmp(arg, "--idle")) {
			a->idle = true;
		} else if (!strcmp(arg, "--gil")) {
			a->gil = true;
		} else if (!strcmp(arg, "--nonblocking")) {
			a->nonblocking = true;
		} else {
			host->log(host, FLAMESAMP_LOG_ERROR, "unexpected argument '%s'", arg);
			return FLAMESAMP_PLUGIN_USAGE;
		}
	}
	if (!a->pid) {
		host->log(host, FLAMESAMP_LOG_ERROR, "no process given: -p PID");
		return FLAMESAMP_PLUGIN_USAGE;
	}
	if (a->native && a->nonblocking) {
		host->log(host, FLAMESAMP_LOG_ERROR,
			  "--native and --nonblocking cannot be combined (py-spy pauses the "
			  "process to read native stacks)");
		return FLAMESAMP_PLUGIN_USAGE;
	}
	return FLAMESAMP_PLUGIN_OK;
}

/* $PY_SPY, or py-spy on $PATH; malloc'd, or NULL after saying what is wrong. */
static char *find_py_spy(const struct flamesamp_host *host)
{
	const char *env = getenv("PY_SPY"), *path = getenv("PATH");
	char buf[PATH_MAX];

	if (env && *env) {
		if (access(env, X_OK)) {
			host->log(host, FLAMESAMP_LOG_ERROR,
				  "PY_SPY=%s: %s (it should name the py-spy executable)", env,
				  strerror(errno));
			return NULL;
		}
		return strdup(env);
	}
	while (path && *path) {
		size_t len = strcspn(path, ":");
		struct stat st;

		if (len && len < sizeof(buf) - sizeof("/py-spy")) {
			snprintf(buf, sizeof(buf), "%.*s/py-spy", (int)len, path);
			if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
				return strdup(buf);
		}
		path += len;
		if (*path == ':')
			path++;
	}
	host->log(host, FLAMESAMP_LOG_ERROR,
		  "py-spy not found in PATH; install it with `pip install py-spy` (or set "
		  "PY_SPY=/path/to/py-spy)");
	return NULL;
}

/* The argument vector of `py-spy record`, in @argv (room for 24). */
static void build_argv(const struct pyspy_args *a, const char *exe, const char *output,
		       char bufs[3][32], char **argv)
{
	int n = 0;

	argv[n++] = (char *)exe;
	argv[n++] = "record";
	snprintf(bufs[0], 32, "%ld", a->pid);
	argv[n++] = "--pid";
	argv[n++] = bufs[0];
	argv[n++] = "--format";
	argv[n++] = "raw";
	argv[n++] = "--output";
	argv[n++] = (char *)output;
	if (a->duration) {
		snprintf(bufs[1], 32, "%ld", a->duration);
		argv[n++] = "--duration";
		argv[n++] = bufs[1];
	}
	if (a->rate) {
		snprintf(bufs[2], 32, "%ld", a->rate);
		argv[n++] = "--rate";
		argv[n++] = bufs[2];
	}
	if (a->native)
		argv[n++] = "--native";
	if (a->subprocesses)
		argv[n++] = "--subprocesses";
	if (a->threads)
		argv[n++] = "--threads";
	if (a->idle)
		argv[n++] = "--idle";
	if (a->gil)
		argv[n++] = "--gil";
	if (a->nonblocking)
		argv[n++] = "--nonblocking";
	argv[n] = NULL;
}

/* The whole of @path (at most @max bytes) in *data; 0 or -errno (-EFBIG when larger). */
static int read_file(const char *path, size_t max, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *p;
	size_t cap = 0, n = 0, got;
	int err = 0;

	*data = NULL;
	*len = 0;
	if (!f)
		return -errno;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				err = -EFBIG;
				break;
			}
			cap = cap ? 2 * cap : 64 * 1024;
			p = realloc(buf, cap + 1);
			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* The last non-empty line of @data, sanitised, into @out. */
static void last_line(const char *data, size_t len, char *out, size_t size)
{
	size_t end = len, start, i, o = 0;

	while (end && (data[end - 1] == '\n' || data[end - 1] == '\r' || data[end - 1] == ' '))
		end--;
	start = end;
	while (start && data[start - 1] != '\n')
		start--;
	for (i = start; i < end && o + 1 < size; i++)
		out[o++] = (unsigned char)data[i] >= 0x20 && data[i] != 0x7f ? data[i] : '?';
	out[o] = '\0';
}

/* Show py-spy's own output with -v, one info line each. */
static void show_output(const struct flamesamp_host *host, const char *data, size_t len)
{
	const char *p = data, *end = data + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n)
			host->log(host, FLAMESAMP_LOG_INFO, "py-spy: %.*s", (int)n, p);
		p += n + 1;
	}
}

/*
 * Wait for @child.  On Ctrl-C (or SIGTERM) py-spy is sent SIGINT, on which
 * it writes what it has and exits; SIGKILL if it has not after a while.
 */
static int wait_child(const struct flamesamp_host *host, pid_t child, int *status)
{
	bool interrupted = false;
	time_t deadline = 0;

	for (;;) {
		pid_t r = waitpid(child, status, interrupted ? WNOHANG : 0);

		if (r == child)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (!interrupted && host->should_stop(host)) {
			host->log(host, FLAMESAMP_LOG_INFO, "stopping py-spy");
			kill(child, SIGINT);
			interrupted = true;
			deadline = time(NULL) + STOP_GRACE_SEC;
		}
		if (interrupted) {
			if (time(NULL) > deadline) {
				host->log(host, FLAMESAMP_LOG_WARN,
					  "py-spy did not stop within %d s of SIGINT; killing it",
					  STOP_GRACE_SEC);
				kill(child, SIGKILL);
				interrupted = false; /* now wait for it, blocking */
				deadline = 0;
			} else if (r == 0) {
				usleep(50 * 1000);
			}
		}
	}
}

static int run(const struct flamesamp_host *host, int argc, char **argv)
{
	struct pyspy_args a;
	char tmpl[] = "/tmp/flamesamp-pyspy-XXXXXX", *dir = NULL, *exe = NULL;
	char raw_path[sizeof(tmpl) + 16], log_path[sizeof(tmpl) + 16], bufs[3][32], line[512];
	char err[512], subtitle[128], *child_argv[24];
	char *raw = NULL, *log = NULL;
	size_t raw_len = 0, log_len = 0;
	int ret, status = 0, fd, e;
	pid_t child;

	ret = parse_args(host, argc, argv, &a);
	if (ret)
		return ret;
	ret = FLAMESAMP_PLUGIN_FAILURE;
	if (kill((pid_t)a.pid, 0) && errno == ESRCH) {
		host->log(host, FLAMESAMP_LOG_ERROR, "no process with PID %ld", a.pid);
		goto out;
	}
	exe = find_py_spy(host);
	if (!exe)
		goto out;
	/* a directory of our own: nobody else can put a file or link where py-spy writes */
	dir = mkdtemp(tmpl);
	if (!dir) {
		host->log(host, FLAMESAMP_LOG_ERROR, "cannot make a temporary directory: %s",
			  strerror(errno));
		goto out;
	}
	snprintf(raw_path, sizeof(raw_path), "%s/raw.txt", dir);
	snprintf(log_path, sizeof(log_path), "%s/py-spy.log", dir);
	build_argv(&a, exe, raw_path, bufs, child_argv);
	host->log(host, FLAMESAMP_LOG_INFO, "running %s record --pid %ld%s%s ...", exe, a.pid,
		  a.duration ? " --duration " : "", a.duration ? bufs[1] : "");
	if (!a.duration)
		host->log(host, FLAMESAMP_LOG_WARN, "sampling until Ctrl-C (or give --duration)");

	fd = open(log_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		host->log(host, FLAMESAMP_LOG_ERROR, "cannot create %s: %s", log_path,
			  strerror(errno));
		goto out;
	}
	child = fork();
	if (child < 0) {
		host->log(host, FLAMESAMP_LOG_ERROR, "cannot start py-spy: %s", strerror(errno));
		close(fd);
		goto out;
	}
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execv(exe, child_argv);
		dprintf(STDERR_FILENO, "cannot run %s: %s\n", exe, strerror(errno));
		_exit(127);
	}
	close(fd);
	e = wait_child(host, child, &status);
	if (read_file(log_path, 1 << 20, &log, &log_len))
		log_len = 0;
	show_output(host, log, log_len);
	if (e) {
		host->log(host, FLAMESAMP_LOG_ERROR, "waiting for py-spy: %s", strerror(-e));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		last_line(log ? log : "", log_len, line, sizeof(line));
		if (WIFSIGNALED(status))
			host->log(host, FLAMESAMP_LOG_ERROR, "py-spy was killed by signal %d%s%s",
				  WTERMSIG(status), line[0] ? ": " : "", line);
		else
			host->log(host, FLAMESAMP_LOG_ERROR, "py-spy failed (exit status %d)%s%s",
				  WEXITSTATUS(status), line[0] ? ": " : "", line);
		goto out;
	}
	e = read_file(raw_path, MAX_OUTPUT, &raw, &raw_len);
	if (e == -ENOENT) {
		last_line(log ? log : "", log_len, line, sizeof(line));
		host->log(host, FLAMESAMP_LOG_ERROR, "py-spy wrote no output%s%s",
			  line[0] ? ": " : "", line);
		goto out;
	}
	if (e) {
		host->log(host, FLAMESAMP_LOG_ERROR, "cannot read py-spy's output: %s",
			  strerror(-e));
		goto out;
	}
	if (raw_len) {
		e = host->import_profile(host, raw, raw_len, "folded", err, sizeof(err));
		if (e) {
			host->log(host, FLAMESAMP_LOG_ERROR,
				  "py-spy's output is not folded stacks: %s",
				  err[0] ? err : strerror(-e));
			goto out;
		}
	}
	host->set_count_name(host, "samples");
	snprintf(subtitle, sizeof(subtitle), "py-spy record --pid %ld at %ld Hz", a.pid,
		 a.rate ? a.rate : 100L);
	host->set_subtitle(host, subtitle);
	ret = FLAMESAMP_PLUGIN_OK;
out:
	if (dir) {
		unlink(raw_path);
		unlink(log_path);
		rmdir(dir);
	}
	free(raw);
	free(log);
	free(exe);
	return ret;
}

static const struct flamesamp_plugin_option options[] = {
	{"pid", 'p', FLAMESAMP_OPTION_REQUIRED_ARG, "PID", "the Python process (required)"},
	{"duration", 'd', FLAMESAMP_OPTION_REQUIRED_ARG, "SECS",
	 "sample for SECS whole seconds (default: until Ctrl-C)"},
	{"rate", 'r', FLAMESAMP_OPTION_REQUIRED_ARG, "HZ", "samples per second (default 100)"},
	{"native", 'n', FLAMESAMP_OPTION_NO_ARG, NULL,
	 "native frames of C, C++ and Cython extensions too"},
	{"subprocesses", 's', FLAMESAMP_OPTION_NO_ARG, NULL,
	 "the process's Python subprocesses too"},
	{"threads", 't', FLAMESAMP_OPTION_NO_ARG, NULL, "begin each stack with its thread"},
	{"idle", 'i', FLAMESAMP_OPTION_NO_ARG, NULL, "idle threads' stacks too"},
	{"gil", 'g', FLAMESAMP_OPTION_NO_ARG, NULL, "only threads holding the GIL"},
	{"nonblocking", 0, FLAMESAMP_OPTION_NO_ARG, NULL,
	 "do not pause the process to sample it (less exact)"},
	{NULL, 0, 0, NULL, NULL},
};

static const struct flamesamp_plugin plugin = {
	.abi_version = FLAMESAMP_PLUGIN_ABI_VERSION,
	.struct_size = sizeof(struct flamesamp_plugin),
	.name = "pyspy",
	.summary = "sample a Python process with py-spy",
	.usage = "-p PID [-d SECS] [-r HZ] [--native] [--subprocesses]",
	.options = options,
	.help = "Runs `py-spy record --format raw` (from PATH, or the executable PY_SPY\n"
		"names) and reads its folded stacks: frames are \"function (file.py:LINE)\",\n"
		"counts are samples.  py-spy needs the right to ptrace the process (root, or\n"
		"CAP_SYS_PTRACE).  Without --duration it samples until Ctrl-C, then the\n"
		"stacks taken so far are written.  Install py-spy with `pip install py-spy`.\n",
	.run = run,
};

FLAMESAMP_PLUGIN_DEFINE(plugin)
