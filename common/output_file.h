/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_COMMON_OUTPUT_FILE_H
#define FLAMESAMP_COMMON_OUTPUT_FILE_H

/*
 * Output that never leaves a half-written file behind.
 *
 * A named output is written to a temporary file in the same directory and
 * renamed over the destination by output_file__commit(), so a failure (full
 * disk, bad input found half-way, a signal) leaves either the old file or
 * nothing.  A NULL or "-" path writes to standard output, and a path that
 * names a device, FIFO or socket (/dev/null) is written in place: neither
 * can be undone; write errors are still reported by commit.  A path that is
 * a symbolic link replaces the file it points to and keeps the link.
 */

#include <stdio.h>

struct output_file;

/* NULL with errno on failure (for instance ENOENT for a missing directory). */
struct output_file *output_file__open(const char *path);
/* The stream to write to; owned by the output_file. */
FILE *output_file__stream(struct output_file *of);
/* Flush, check for write errors, and move into place. Frees @of. 0 or -errno. */
int output_file__commit(struct output_file *of);
/* Discard what was written (the destination is untouched). Frees @of; NULL is fine. */
void output_file__abort(struct output_file *of);

#endif
