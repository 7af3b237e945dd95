/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_LOG_H
#define FLAMESAMP_COMMON_LOG_H

/*
 * Library logging.
 *
 * Library code never writes to the terminal: it reports warnings and debug
 * details through fs_log(), which forwards to a handler installed by cli/
 * (the same split as libbpf_set_print()).  With no handler installed,
 * messages are dropped, so the libraries stay silent inside tests and other
 * programs that embed them.
 *
 * Errors that make a call fail are returned as -errno; fs_log() is for the
 * context a user needs to understand them ("line 12: no count").
 */

#include <stdarg.h>

enum fs_log_level {
	FS_LOG_WARN,
	FS_LOG_INFO,
	FS_LOG_DEBUG,
};

typedef void (*fs_log_fn)(enum fs_log_level level, const char *fmt, va_list ap);

/* Install @fn (NULL drops every message); returns the previous handler. */
fs_log_fn fs_log_set_handler(fs_log_fn fn);

__attribute__((format(printf, 2, 3))) void fs_log(enum fs_log_level level, const char *fmt, ...);

#define fs_warn(...)  fs_log(FS_LOG_WARN, __VA_ARGS__)
#define fs_info(...)  fs_log(FS_LOG_INFO, __VA_ARGS__)
#define fs_debug(...) fs_log(FS_LOG_DEBUG, __VA_ARGS__)

#endif
