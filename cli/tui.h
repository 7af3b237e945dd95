/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_TUI_H
#define FLAMESAMP_CLI_TUI_H

/*
 * The full-screen terminal of `flamesamp top` and the process picker
 * (ncurses).  One screen per process: the picker hands it over to top.
 *
 *     if (!tui_usable()) ... "needs a terminal"
 *     if (tui_open()) ...   (TERM unknown: one line printed)
 *     ... tui_text(), getch() ...
 *     tui_close();          always, on every way out: the terminal is restored
 *
 * SIGINT, SIGTERM and SIGHUP set tui_quit_signal (handlers installed by
 * tui_open(), before ncurses would install its own); the caller's loop
 * treats it as 'q'.
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

extern volatile sig_atomic_t tui_quit_signal;

/* Standard input and output are terminals. */
bool tui_usable(void);

/* Start (or resume) the full-screen mode.  0, or EXIT_USAGE after printing why. */
int tui_open(void);
/* Leave it, restoring the terminal; nothing when not open.  Safe to call twice. */
void tui_close(void);
/* Free what ncurses keeps (once, at exit: the screen is gone then). */
void tui_release(void);

/*
 * Draw @text (any bytes: made safe by common/term_text.h) at @row, @col in
 * at most @width columns, with attributes @attr; returns the columns used.
 * Nothing is drawn outside the screen.
 */
int tui_text(int row, int col, int width, const char *text, int attr);
/* The same for a printf format. */
__attribute__((format(printf, 5, 6))) int tui_textf(int row, int col, int width, int attr,
						    const char *fmt, ...);

/* Keys not named by ncurses. */
#define TUI_KEY_ESC	  27
#define TUI_KEY_ENTER	  '\n'
#define TUI_KEY_BACKSPACE 127

#endif
