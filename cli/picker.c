// SPDX-License-Identifier: Apache-2.0
#include "cli/picker.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "cli/cli.h"
#include "cli/tui.h"
#include "common/xalloc.h"

#define REFRESH_SECONDS	     2.0
#define FIRST_SAMPLE_SECONDS 0.5

struct proc {
	pid_t pid;
	uid_t uid;
	unsigned long long ticks; /* utime + stime */
	double cpu;		  /* percent of one CPU since the last scan */
	char *command;		  /* the command line, or "[comm]" */
};

struct proc_list {
	struct proc *v;
	size_t n, cap;
	double when;
};

struct picker {
	struct proc_list now, before;
	size_t cursor, first;
	pid_t cursor_pid;
	char filter[64];
	size_t filter_len;
	bool editing;
	/* the rows shown: indexes into now.v that pass the filter */
	size_t *shown;
	size_t nr_shown;
	struct {
		uid_t uid;
		char name[32];
	} users[64];
	size_t nr_users;
};

static void proc_list__clear(struct proc_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].command);
	l->n = 0;
}

static void proc_list__release(struct proc_list *l)
{
	proc_list__clear(l);
	free(l->v);
	l->v = NULL;
	l->cap = 0;
}

/* Up to @size - 1 bytes of @path; the length read, -1 when it cannot be read. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1 && (n = read(fd, buf + total, size - 1 - total)) > 0)
		total += n;
	close(fd);
	buf[total] = '\0';
	return total;
}

/* One process from /proc: 0, or -1 when it is gone (or unreadable). */
static int read_proc(pid_t pid, struct proc *p)
{
	char path[64], line[1024], cmdline[4096], *open_paren, *close_paren, *f;
	unsigned long long utime, stime;
	struct stat st;
	ssize_t n, i;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_small(path, line, sizeof(line)) <= 0)
		return -1;
	/* "PID (comm) S ...": the comm may hold spaces and parentheses; it ends at the last ')' */
	open_paren = strchr(line, '(');
	close_paren = strrchr(line, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return -1;
	/* after ')': state is field 3, utime 14, stime 15 */
	f = close_paren + 1;
	for (field = 2; field < 13 && f; field++)
		f = strchr(f + 1, ' ');
	if (!f || sscanf(f, " %llu %llu", &utime, &stime) != 2)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st))
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	n = read_small(path, cmdline, sizeof(cmdline));
	while (n > 0 && cmdline[n - 1] == '\0')
		n--;
	if (n > 0) {
		for (i = 0; i < n; i++)
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		cmdline[n] = '\0';
		p->command = xstrdup(cmdline);
	} else {
		/* a kernel thread, or a zombie: its name */
		*close_paren = '\0';
		p->command = xmalloc(strlen(open_paren + 1) + 3);
		sprintf(p->command, "[%s]", open_paren + 1);
	}
	p->pid = pid;
	p->uid = st.st_uid;
	p->ticks = utime + stime;
	p->cpu = 0;
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int cmp_cpu(const void *a, const void *b)
{
	const struct proc *x = a, *y = b;

	if (x->cpu != y->cpu)
		return (x->cpu < y->cpu) - (x->cpu > y->cpu);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every process but this one into @l, with its CPU use since @before (sorted by pid). */
static int scan(struct proc_list *l, const struct proc_list *before)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct dirent *d;
	double dt;
	DIR *dir;
	size_t i;

	proc_list__clear(l);
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	l->when = cli_now_seconds();
	while ((d = readdir(dir))) {
		char *end;
		long pid = strtol(d->d_name, &end, 10);

		if (*end || pid <= 0 || pid == getpid())
			continue;
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 256;
			l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
		}
		if (!read_proc((pid_t)pid, &l->v[l->n]))
			l->n++;
	}
	closedir(dir);
	dt = l->when - before->when;
	for (i = 0; i < l->n && before->n && dt > 0 && hz > 0; i++) {
		const struct proc *b =
			bsearch(&l->v[i], before->v, before->n, sizeof(*before->v), cmp_pid);

		if (b && l->v[i].ticks >= b->ticks)
			l->v[i].cpu = 100.0 * (double)(l->v[i].ticks - b->ticks) / (double)hz / dt;
	}
	return 0;
}

static const char *user_name(struct picker *pk, uid_t uid)
{
	struct passwd *pw;
	size_t i;

	for (i = 0; i < pk->nr_users; i++)
		if (pk->users[i].uid == uid)
			return pk->users[i].name;
	if (pk->nr_users == sizeof(pk->users) / sizeof(pk->users[0]))
		pk->nr_users = 0; /* many users: start the cache again */
	i = pk->nr_users++;
	pk->users[i].uid = uid;
	pw = getpwuid(uid);
	if (pw)
		snprintf(pk->users[i].name, sizeof(pk->users[i].name), "%s", pw->pw_name);
	else
		snprintf(pk->users[i].name, sizeof(pk->users[i].name), "%u", (unsigned)uid);
	return pk->users[i].name;
}

/* A new scan: CPU use since the previous one, sorted, filtered, the cursor on its process. */
static void update(struct picker *pk)
{
	struct proc_list tmp;
	char pid_text[16];
	size_t i;

	/* the current list becomes the one to compare with (kept sorted by pid) */
	tmp = pk->before;
	pk->before = pk->now;
	pk->now = tmp;
	qsort(pk->before.v, pk->before.n, sizeof(*pk->before.v), cmp_pid);
	scan(&pk->now, &pk->before);
	qsort(pk->now.v, pk->now.n, sizeof(*pk->now.v), cmp_cpu);
	pk->shown = xreallocarray(pk->shown, pk->now.n ? pk->now.n : 1, sizeof(*pk->shown));
	pk->nr_shown = 0;
	for (i = 0; i < pk->now.n; i++) {
		snprintf(pid_text, sizeof(pid_text), "%d", pk->now.v[i].pid);
		if (pk->filter_len && !strstr(pk->now.v[i].command, pk->filter) &&
		    strcmp(pid_text, pk->filter))
			continue;
		pk->shown[pk->nr_shown++] = i;
	}
	for (i = 0; i < pk->nr_shown; i++) {
		if (pk->now.v[pk->shown[i]].pid == pk->cursor_pid) {
			pk->cursor = i;
			break;
		}
	}
	if (pk->cursor >= pk->nr_shown)
		pk->cursor = pk->nr_shown ? pk->nr_shown - 1 : 0;
	if (pk->nr_shown)
		pk->cursor_pid = pk->now.v[pk->shown[pk->cursor]].pid;
}

/* Filter again without a new scan. */
static void refilter(struct picker *pk)
{
	/* the list compared against is the current one: keep the last CPU figures */
	struct proc_list keep = pk->now;
	char pid_text[16];
	size_t i;

	pk->nr_shown = 0;
	for (i = 0; i < keep.n; i++) {
		snprintf(pid_text, sizeof(pid_text), "%d", keep.v[i].pid);
		if (pk->filter_len && !strstr(keep.v[i].command, pk->filter) &&
		    strcmp(pid_text, pk->filter))
			continue;
		pk->shown[pk->nr_shown++] = i;
	}
	pk->cursor = 0;
	pk->first = 0;
	if (pk->nr_shown)
		pk->cursor_pid = keep.v[pk->shown[0]].pid;
}

static void draw(struct picker *pk)
{
	size_t visible = LINES > 3 ? (size_t)(LINES - 3) : 0, i;

	erase();
	tui_textf(0, 0, COLS, A_BOLD, "flamesamp: pick a process to profile  (%zu of %zu)",
		  pk->nr_shown, pk->now.n);
	if (pk->editing)
		tui_textf(1, 0, COLS, A_BOLD, "filter: %s_   (Enter: keep, Esc: clear)",
			  pk->filter);
	else if (pk->filter_len)
		tui_textf(
			1, 0, COLS, A_DIM,
			"filter \"%s\"  j/k move  Enter profile (flamesamp top)  / filter  q quit",
			pk->filter);
	else
		tui_text(1, 0, COLS, "j/k move  Enter profile (flamesamp top)  / filter  q quit",
			 A_DIM);
	tui_text(2, 0, COLS, "  %CPU     PID USER       COMMAND", A_BOLD | A_UNDERLINE);
	if (visible) {
		if (pk->cursor < pk->first)
			pk->first = pk->cursor;
		else if (pk->cursor >= pk->first + visible)
			pk->first = pk->cursor - visible + 1;
	}
	for (i = 0; i < visible && pk->first + i < pk->nr_shown; i++) {
		size_t k = pk->first + i;
		const struct proc *p = &pk->now.v[pk->shown[k]];
		int y = 3 + (int)i, col;

		col = tui_textf(y, 0, COLS, 0, "%6.1f %7d %-10.10s ", p->cpu, p->pid,
				user_name(pk, p->uid));
		tui_text(y, col, COLS - col, p->command, 0);
		if (k == pk->cursor)
			mvchgat(y, 0, -1, A_REVERSE, 0, NULL);
	}
	refresh();
}

static void move_cursor(struct picker *pk, long delta)
{
	long c = (long)pk->cursor + delta;

	if (!pk->nr_shown)
		return;
	if (c < 0)
		c = 0;
	if (c >= (long)pk->nr_shown)
		c = (long)pk->nr_shown - 1;
	pk->cursor = (size_t)c;
	pk->cursor_pid = pk->now.v[pk->shown[pk->cursor]].pid;
}

/* A key while typing the filter. */
static void edit_filter(struct picker *pk, int ch)
{
	if (ch == TUI_KEY_ESC) {
		pk->filter_len = 0;
		pk->filter[0] = '\0';
		pk->editing = false;
	} else if (ch == TUI_KEY_ENTER || ch == '\r' || ch == KEY_ENTER) {
		pk->editing = false;
		return;
	} else if (ch == KEY_BACKSPACE || ch == TUI_KEY_BACKSPACE || ch == 8) {
		if (pk->filter_len)
			pk->filter[--pk->filter_len] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && pk->filter_len < sizeof(pk->filter) - 1) {
		pk->filter[pk->filter_len++] = (char)ch;
		pk->filter[pk->filter_len] = '\0';
	} else {
		return;
	}
	refilter(pk);
}

int picker_run(pid_t *pid)
{
	struct picker pk;
	double last;
	int ret, ch;
	long page;

	*pid = 0;
	memset(&pk, 0, sizeof(pk));
	ret = tui_open();
	if (ret)
		return ret;
	tui_text(0, 0, COLS, "flamesamp: measuring CPU use...", A_BOLD);
	refresh();
	scan(&pk.now, &pk.before);
	napms((int)(FIRST_SAMPLE_SECONDS * 1000));
	update(&pk);
	last = cli_now_seconds();
	timeout(200);
	draw(&pk);
	while (!tui_quit_signal) {
		ch = getch();
		if (cli_now_seconds() - last >= REFRESH_SECONDS) {
			update(&pk);
			last = cli_now_seconds();
		}
		if (ch == ERR) {
			draw(&pk);
			continue;
		}
		page = LINES > 4 ? LINES - 4 : 1;
		if (pk.editing) {
			edit_filter(&pk, ch);
		} else if (ch == 'q' || ch == 'Q' || ch == TUI_KEY_ESC) {
			break;
		} else if (ch == TUI_KEY_ENTER || ch == '\r' || ch == KEY_ENTER) {
			if (pk.nr_shown) {
				*pid = pk.now.v[pk.shown[pk.cursor]].pid;
				break;
			}
		} else if (ch == '/') {
			pk.editing = true;
		} else if (ch == 'j' || ch == KEY_DOWN) {
			move_cursor(&pk, 1);
		} else if (ch == 'k' || ch == KEY_UP) {
			move_cursor(&pk, -1);
		} else if (ch == KEY_NPAGE) {
			move_cursor(&pk, page);
		} else if (ch == KEY_PPAGE) {
			move_cursor(&pk, -page);
		} else if (ch == KEY_HOME || ch == 'g') {
			move_cursor(&pk, -1000000000L);
		} else if (ch == KEY_END || ch == 'G') {
			move_cursor(&pk, 1000000000L);
		} else if (ch == KEY_RESIZE) {
			clear();
		}
		draw(&pk);
	}
	tui_close();
	proc_list__release(&pk.now);
	proc_list__release(&pk.before);
	free(pk.shown);
	return EXIT_OK;
}
