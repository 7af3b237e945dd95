/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_TESTS_TEST_SHELL_H
#define FLAMESAMP_TESTS_TEST_SHELL_H

/*
 * Shell steps for unit tests that build their fixtures at run time (compilers,
 * objcopy, strip): a printf-style command run quietly, and a scratch directory.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/strbuf.h"

/* Run a shell command; false when a tool is missing or fails (its output is kept out of the log).
 */
__attribute__((format(printf, 1, 2))) static inline bool run(const char *fmt, ...)
{
	struct strbuf cmd = STRBUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	strbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	strbuf_addstr(&cmd, " >/dev/null 2>&1");
	rc = system(cmd.buf);
	strbuf_release(&cmd);
	return rc == 0;
}

/* Remove the scratch directory @dir and everything in it; 0 or -1. */
static inline int remove_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
