// SPDX-License-Identifier: Apache-2.0
#include "cli/collapse_input.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "common/log.h"

static struct strbuf *held; /* where warnings go while an input is parsed */
static fs_log_fn outer_log;

static void hold_warning(enum fs_log_level level, const char *fmt, va_list ap)
{
	va_list cp;

	if (level != FS_LOG_WARN) {
		if (outer_log) {
			va_copy(cp, ap);
			outer_log(level, fmt, cp);
			va_end(cp);
		}
		return;
	}
	strbuf_vaddf(held, fmt, ap);
	strbuf_addch(held, '\n');
}

int collapse_input(enum collapse_format fmt, const char *data, size_t len,
		   const struct collapse_options *opts, struct stack_counts *out,
		   struct collapse_stats *st, struct strbuf *warnings, struct strbuf *why)
{
	const char *last;
	size_t n;
	int ret;

	strbuf_reset(warnings);
	strbuf_reset(why);
	held = warnings;
	outer_log = fs_log_set_handler(hold_warning);
	ret = collapse(fmt, data, len, opts, out, st);
	fs_log_set_handler(outer_log);
	held = NULL;
	if (!ret) {
		if (st->skipped_lines)
			strbuf_addf(warnings, "skipped %llu %s not %s input\n",
				    (unsigned long long)st->skipped_lines,
				    st->skipped_lines == 1 ? "line that is" : "lines that are",
				    collapse_format__name(fmt));
		return 0;
	}
	n = warnings->len;
	if (ret == -EINVAL && n) {
		n--; /* the final '\n' */
		last = warnings->buf + n;
		while (last > warnings->buf && last[-1] != '\n')
			last--;
		strbuf_add(why, last, (size_t)(warnings->buf + n - last));
	} else if (ret == -EINVAL) {
		strbuf_addf(why, "not valid %s input", collapse_format__name(fmt));
	} else if (ret == -ENOSYS) {
		strbuf_addf(why, "reading %s input is not available in this build",
			    collapse_format__name(fmt));
	} else {
		strbuf_addstr(why, strerror(-ret));
	}
	return ret;
}
