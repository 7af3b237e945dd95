// SPDX-License-Identifier: Apache-2.0
#include "cli/tui.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/strbuf.h"
#include "common/term_text.h"

volatile sig_atomic_t tui_quit_signal;

static SCREEN *screen;
static bool is_open;
static bool utf8;

static void on_quit_signal(int sig)
{
	tui_quit_signal = sig;
}

bool tui_usable(void)
{
	return isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
}

int tui_open(void)
{
	struct sigaction sa;
	const char *term;
	int err;

	if (is_open)
		return 0;
	if (screen) {
		/* resumed after tui_close(): refresh() returns to the screen mode */
		is_open = true;
		clear();
		refresh();
		return 0;
	}
	/* ours first: ncurses leaves handlers it finds installed alone */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	setlocale(LC_CTYPE, "");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	term = getenv("TERM");
	if (!term || !*term) {
		cli_error("TERM is not set: cannot draw on this terminal");
		return EXIT_USAGE;
	}
	/*
	 * Look the terminal up first: newterm() returns NULL for an unknown one
	 * (where initscr() would exit) but keeps what it allocated until then.
	 */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK) {
		cli_error("unknown terminal type '%s' (TERM): cannot draw on it", term);
		return EXIT_USAGE;
	}
	del_curterm(cur_term);
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		cli_error("unknown terminal type '%s' (TERM): cannot draw on it", term);
		return EXIT_USAGE;
	}
	set_term(screen);
	is_open = true;
	/* cbreak, not raw: Ctrl-C stays a signal, handled as 'q' */
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	/* Esc alone comes through after 25 ms rather than the default second */
	set_escdelay(25);
	curs_set(0);
	return 0;
}

void tui_close(void)
{
	if (!is_open)
		return;
	is_open = false;
	endwin();
	fflush(stdout);
}

void tui_release(void)
{
	tui_close();
	if (!screen)
		return;
	delscreen(screen);
	screen = NULL;
}

int tui_text(int row, int col, int width, const char *text, int attr)
{
	struct strbuf sb = STRBUF_INIT;
	size_t cols;

	if (row < 0 || row >= LINES || col < 0 || col >= COLS || width <= 0)
		return 0;
	if (width > COLS - col)
		width = COLS - col;
	cols = term_text__fit(&sb, text, strlen(text), (size_t)width, utf8);
	if (sb.len) {
		attron(attr);
		mvaddnstr(row, col, sb.buf, (int)sb.len);
		attroff(attr);
	}
	strbuf_release(&sb);
	return (int)cols;
}

int tui_textf(int row, int col, int width, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tui_text(row, col, width, buf, attr);
}
