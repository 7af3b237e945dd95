// SPDX-License-Identifier: Apache-2.0
#include "common/line_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"

#define BLOCK_SIZE (1u << 20)

struct line_reader {
	int fd;
	int own_fd;
	int eof;
	char *buf;
	size_t alloc;
	size_t start; /* first unread byte */
	size_t end;   /* end of valid data */
	size_t lineno;
};

struct line_reader *line_reader__new_fd(int fd)
{
	struct line_reader *r = xcalloc(1, sizeof(*r));

	r->fd = fd;
	r->alloc = BLOCK_SIZE;
	r->buf = xmalloc(r->alloc + 1);
	return r;
}

struct line_reader *line_reader__open(const char *path)
{
	struct line_reader *r;
	int fd;

	if (!strcmp(path, "-"))
		return line_reader__new_fd(STDIN_FILENO);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	r = line_reader__new_fd(fd);
	r->own_fd = 1;
	return r;
}

void line_reader__free(struct line_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	free(r);
}

/* Move unread bytes to the front, grow if full, and read more. 0, or -errno. */
static int fill(struct line_reader *r)
{
	ssize_t n;

	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->alloc) {
		r->alloc *= 2;
		r->buf = xrealloc(r->buf, r->alloc + 1);
	}
	do
		n = read(r->fd, r->buf + r->end, r->alloc - r->end);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		r->eof = 1;
	r->end += n;
	return 0;
}

int line_reader__next(struct line_reader *r, char **line, size_t *len)
{
	size_t scanned = 0;
	char *nl;
	int err;

	for (;;) {
		char *from = r->buf + r->start + scanned;

		nl = memchr(from, '\n', r->end - r->start - scanned);
		if (nl)
			break;
		scanned = r->end - r->start;
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			/* last line without a newline */
			*line = r->buf + r->start;
			*len = r->end - r->start;
			(*line)[*len] = '\0';
			r->start = r->end;
			r->lineno++;
			return 1;
		}
		err = fill(r);
		if (err)
			return err;
	}
	*line = r->buf + r->start;
	*len = nl - *line;
	*nl = '\0';
	r->start += *len + 1;
	r->lineno++;
	return 1;
}

size_t line_reader__lineno(const struct line_reader *r)
{
	return r->lineno;
}

int fs_read_file(const char *path, char **data, size_t *len)
{
	size_t alloc = BLOCK_SIZE, used = 0;
	int fd, own = 0, err = 0;
	char *buf;
	ssize_t n;

	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		own = 1;
	}
	buf = xmalloc(alloc + 1);
	for (;;) {
		if (used == alloc) {
			alloc *= 2;
			buf = xrealloc(buf, alloc + 1);
		}
		n = read(fd, buf + used, alloc - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			free(buf);
			goto out;
		}
		if (n == 0)
			break;
		used += n;
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
out:
	if (own)
		close(fd);
	return err;
}
