/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_TERM_TEXT_H
#define FLAMESAMP_COMMON_TERM_TEXT_H

/*
 * Text that comes from the profiled system (function names, command lines,
 * thread names) made safe to show on a terminal and fitted to a width.
 *
 * Any process can name itself or its functions with escape sequences, so no
 * control character may reach the terminal: C0 controls and DEL become '?';
 * with @utf8, valid UTF-8 sequences of printable characters are kept (C1
 * controls, U+0080 to U+009F, become '?'), and every byte that is not part
 * of one is shown as "\xNN"; without @utf8 every byte above 0x7f is "\xNN".
 * Widths of non-ASCII characters come from wcwidth(3), so from the locale
 * set with setlocale(LC_CTYPE); characters it calls unprintable become '?'.
 *
 * Text longer than the width is cut and ends in "..".  Pure; thread-safe.
 */

#include <stdbool.h>
#include <stddef.h>

#include "common/strbuf.h"

/*
 * Append the @len bytes at @text to @sb, made safe as above and fitted
 * into @width columns.  Returns the columns used (at most @width).
 */
size_t term_text__fit(struct strbuf *sb, const char *text, size_t len, size_t width, bool utf8);

#endif
