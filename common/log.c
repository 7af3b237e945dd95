// SPDX-License-Identifier: Apache-2.0
#include "common/log.h"

static fs_log_fn log_handler;

fs_log_fn fs_log_set_handler(fs_log_fn fn)
{
	fs_log_fn old = log_handler;

	log_handler = fn;
	return old;
}

void fs_log(enum fs_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_handler)
		return;
	va_start(ap, fmt);
	log_handler(level, fmt, ap);
	va_end(ap);
}
