/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_COLLAPSE_INPUT_H
#define FLAMESAMP_CLI_COLLAPSE_INPUT_H

/*
 * One input through an importer (collapse()), with the library's warnings
 * held back while it is parsed, so that the caller can show them with the
 * input's name (flamesamp collapse) or as a plugin's warnings (the plugin
 * host), and turn the last one into the single line that says why an input
 * was refused.  Not thread-safe: the log handler is process-wide.
 */

#include "collapse/collapse.h"
#include "common/strbuf.h"

/*
 * collapse(@fmt, @data, @len, @opts, @out, @st).  On success: 0, and the
 * warnings raised, each ending in '\n', in @warnings (reset first),
 * skipped lines included ("skipped N lines that are not FMT input").  On
 * failure: its -errno, and in @why (reset first) one line saying why: the
 * last warning, or what the error means for format @fmt.
 */
int collapse_input(enum collapse_format fmt, const char *data, size_t len,
		   const struct collapse_options *opts, struct stack_counts *out,
		   struct collapse_stats *st, struct strbuf *warnings, struct strbuf *why);

#endif
