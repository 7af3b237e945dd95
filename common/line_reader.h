/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_LINE_READER_H
#define FLAMESAMP_COMMON_LINE_READER_H

/*
 * Fast line-by-line reading of a file or a pipe.
 *
 * Input is read in large blocks and lines are handed out in place, so reading
 * costs one memchr() per line and no copy for lines that fit in a block.
 * Lines have their '\n' removed (a '\r' before it is kept: callers decide
 * whether CRLF matters) and are NUL-terminated.  A line is valid until the
 * next call on the same reader.  The last line need not end in '\n'.
 * Embedded NUL bytes are passed through: use the returned length.
 */

#include <stddef.h>

struct line_reader;

/* Read from @fd, which stays owned by the caller. NULL with errno on failure. */
struct line_reader *line_reader__new_fd(int fd);
/* Open @path for reading ("-" is standard input). NULL with errno on failure. */
struct line_reader *line_reader__open(const char *path);
void line_reader__free(struct line_reader *r);

/* 1 and a line in @line/@len; 0 at end of input; -errno on a read error. */
int line_reader__next(struct line_reader *r, char **line, size_t *len);
/* Number of the line last returned, counting from 1. */
size_t line_reader__lineno(const struct line_reader *r);

/*
 * Read all of @path ("-" for standard input) into memory: *data (freed by the
 * caller, NUL-terminated) and *len.  Returns 0 or -errno.
 */
int fs_read_file(const char *path, char **data, size_t *len);

#endif
