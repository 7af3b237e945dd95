// SPDX-License-Identifier: Apache-2.0
#include "common/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "common/xalloc.h"

#define STREAM_BUFFER (1u << 18)

struct output_file {
	FILE *stream;
	char *path;	/* destination, NULL for stdout or a special file */
	char *tmp_path; /* temporary file beside it */
	bool direct;	/* a device, FIFO or socket written in place: closed at commit */
};

struct output_file *output_file__open(const char *path)
{
	struct output_file *of = xcalloc(1, sizeof(*of));
	struct strbuf tmp = STRBUF_INIT;
	char real[PATH_MAX];
	const char *slash;
	struct stat st;
	int fd = -1, saved;

	if (!path || !strcmp(path, "-")) {
		of->stream = stdout;
		return of;
	}
	/*
	 * Not a regular file (/dev/null, a FIFO, /dev/stdout): write to it in
	 * place.  A rename would put a regular file where the device was.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || !(of->stream = fdopen(fd, "w"))) {
			saved = errno;
			if (fd >= 0)
				close(fd);
			free(of);
			errno = saved;
			return NULL;
		}
		of->direct = true;
		return of;
	}
	/* through a symbolic link: replace the file it names, and keep the link */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, real))
		path = real;
	slash = strrchr(path, '/');
	if (slash)
		strbuf_add(&tmp, path, slash + 1 - path);
	strbuf_addf(&tmp, ".%s.XXXXXX", slash ? slash + 1 : path);
	fd = mkstemp(tmp.buf);
	if (fd < 0)
		goto fail;
	of->stream = fdopen(fd, "w");
	if (!of->stream) {
		saved = errno;
		close(fd);
		unlink(tmp.buf);
		errno = saved;
		goto fail;
	}
	setvbuf(of->stream, NULL, _IOFBF, STREAM_BUFFER);
	of->path = xstrdup(path);
	of->tmp_path = strbuf_detach(&tmp, NULL);
	return of;
fail:
	saved = errno;
	strbuf_release(&tmp);
	free(of);
	errno = saved;
	return NULL;
}

FILE *output_file__stream(struct output_file *of)
{
	return of->stream;
}

static void release(struct output_file *of)
{
	free(of->path);
	free(of->tmp_path);
	free(of);
}

int output_file__commit(struct output_file *of)
{
	mode_t mask;
	int err = 0;

	/*
	 * stdio keeps no error code: a write that failed earlier (ENOSPC while
	 * filling the buffer) left it in errno, so report errno when set.
	 */
	if (fflush(of->stream) || ferror(of->stream))
		err = errno ? -errno : -EIO;
	if (of->direct) {
		if (fclose(of->stream) && !err)
			err = errno ? -errno : -EIO;
		release(of);
		return err;
	}
	if (!of->path) {
		release(of);
		return err;
	}
	/* mkstemp() makes the file 0600; give it the mode a plain fopen() would */
	mask = umask(0);
	umask(mask);
	if (!err && fchmod(fileno(of->stream), 0666 & ~mask))
		err = -errno;
	if (fclose(of->stream) && !err)
		err = errno ? -errno : -EIO;
	if (!err && rename(of->tmp_path, of->path))
		err = -errno;
	if (err)
		unlink(of->tmp_path);
	release(of);
	return err;
}

void output_file__abort(struct output_file *of)
{
	if (!of)
		return;
	if (of->direct) {
		fclose(of->stream); /* what was written to a device cannot be taken back */
	} else if (of->path) {
		fclose(of->stream);
		unlink(of->tmp_path);
	} else {
		fflush(of->stream);
	}
	release(of);
}
