// SPDX-License-Identifier: Apache-2.0
#include "symbolize/debug_file.h"

#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"
#include "symbolize/elf_symbols.h"

/* A MiniDebugInfo is a few megabytes at most; more is a corrupt or hostile file. */
#define MAX_MINIDEBUG_SIZE (256u << 20)
#define MAX_BUILD_ID_SIZE  DEBUG_FILE_MAX_BUILD_ID

static const char deleted_suffix[] = " (deleted)";

/* What the binary says about its debug files. */
struct debug_refs {
	unsigned char build_id[MAX_BUILD_ID_SIZE];
	size_t build_id_len;
	char *link_name; /* .gnu_debuglink, NULL for none */
	uint32_t link_crc;
	void *minidebug; /* .gnu_debugdata, still compressed */
	size_t minidebug_size;
};

static void debug_refs__release(struct debug_refs *r)
{
	free(r->link_name);
	free(r->minidebug);
}

static Elf_Scn *find_section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *n;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* The build-id of @elf into @id (MAX_BUILD_ID_SIZE bytes): its length, or 0. */
static size_t read_build_id(Elf *elf, unsigned char *id)
{
	const void *p;
	ssize_t len = dwelf_elf_gnu_build_id(elf, &p);

	if (len <= 0 || len > MAX_BUILD_ID_SIZE)
		return 0;
	memcpy(id, p, (size_t)len);
	return (size_t)len;
}

/* .gnu_debuglink: a NUL-terminated name, padding to 4 bytes, the CRC in the file's byte order. */
static void read_debuglink(Elf *elf, struct debug_refs *r)
{
	Elf_Scn *scn = find_section(elf, ".gnu_debuglink");
	Elf_Data *data = scn ? elf_rawdata(scn, NULL) : NULL;
	const unsigned char *b, *c;
	size_t len, crc_off;
	GElf_Ehdr eh;

	if (!data || !data->d_buf || !gelf_getehdr(elf, &eh))
		return;
	b = data->d_buf;
	len = strnlen((const char *)b, data->d_size);
	crc_off = (len + 4) & ~(size_t)3;
	/* a bare name: a '/' would let the file point anywhere */
	if (!len || crc_off + 4 > data->d_size || memchr(b, '/', len) ||
	    !strcmp((const char *)b, ".") || !strcmp((const char *)b, ".."))
		return;
	c = b + crc_off;
	if (eh.e_ident[EI_DATA] == ELFDATA2MSB)
		r->link_crc =
			(uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
	else
		r->link_crc =
			(uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 | (uint32_t)c[1] << 8 | c[0];
	r->link_name = xstrndup((const char *)b, len);
}

static void read_minidebug(Elf *elf, struct debug_refs *r)
{
	Elf_Scn *scn = find_section(elf, ".gnu_debugdata");
	Elf_Data *data = scn ? elf_rawdata(scn, NULL) : NULL;

	if (!data || !data->d_buf || !data->d_size)
		return;
	r->minidebug = xmalloc(data->d_size);
	memcpy(r->minidebug, data->d_buf, data->d_size);
	r->minidebug_size = data->d_size;
}

size_t debug_file__build_id(int fd, unsigned char *id)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	size_t len = 0;

	if (elf && elf_kind(elf) == ELF_K_ELF)
		len = read_build_id(elf, id);
	elf_end(elf);
	return len;
}

static void read_refs(int fd, struct debug_refs *r)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);

	if (!elf)
		return;
	if (elf_kind(elf) == ELF_K_ELF) {
		r->build_id_len = read_build_id(elf, r->build_id);
		read_debuglink(elf, r);
		read_minidebug(elf, r);
	}
	elf_end(elf);
}

static int open_regular(const char *path, int *fd_out)
{
	struct stat st;
	int fd;

	/* O_NONBLOCK: a FIFO put where a debug file is expected must not hang */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*fd_out = fd;
	return 0;
}

static bool crc_matches(int fd, uint32_t want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		crc = crc32(crc, buf, (uInt)n);
		off += n;
	}
	return n == 0 && (uint32_t)crc == want;
}

static bool build_id_matches(int fd, const struct debug_refs *r)
{
	unsigned char id[MAX_BUILD_ID_SIZE];
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	bool same = false;

	if (elf) {
		same = read_build_id(elf, id) == r->build_id_len &&
		       !memcmp(id, r->build_id, r->build_id_len);
		elf_end(elf);
	}
	return same;
}

/* Whether the ELF file open at @fd has a section @name with contents. */
static bool has_section(int fd, const char *name)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	bool found = elf && elf_kind(elf) == ELF_K_ELF && find_section(elf, name);

	elf_end(elf);
	return found;
}

/*
 * The debug file at @path, open, when it belongs to the binary (by
 * build-id, else by @r's debug link CRC); else -1.
 */
static int try_debug_file(const char *path, const struct debug_refs *r, bool by_build_id)
{
	int dfd = -1;

	if (open_regular(path, &dfd) < 0)
		return -1;
	if (by_build_id ? !build_id_matches(dfd, r) : !crc_matches(dfd, r->link_crc)) {
		fs_debug("symbolize: %s: not the debug file of its binary (%s differs)", path,
			 by_build_id ? "build-id" : "CRC");
		close(dfd);
		return -1;
	}
	fs_debug("symbolize: debug file %s", path);
	return dfd;
}

/* Whether /proc/PID/root is another directory than this process's root. */
static bool other_root(pid_t pid)
{
	struct stat self, other;
	char path[64];

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/root/", (int)pid);
	if (stat("/", &self) < 0 || stat(path, &other) < 0)
		return false;
	return self.st_dev != other.st_dev || self.st_ino != other.st_ino;
}

/* Where to look, in order: the build-id path, then the debug link's three places. */
static int search(const char *dir, const struct debug_refs *r, const char *prefix,
		  const char *debug_root)
{
	struct strbuf p = STRBUF_INIT;
	int dfd = -1;
	size_t i;

	if (r->build_id_len >= 2) {
		strbuf_addf(&p, "%s%s/.build-id/%02x/", prefix, debug_root, r->build_id[0]);
		for (i = 1; i < r->build_id_len; i++)
			strbuf_addf(&p, "%02x", r->build_id[i]);
		strbuf_addstr(&p, ".debug");
		dfd = try_debug_file(p.buf, r, true);
	}
	if (dfd < 0 && r->link_name && dir) {
		strbuf_setlen(&p, 0);
		strbuf_addf(&p, "%s%s/%s", prefix, dir, r->link_name);
		dfd = try_debug_file(p.buf, r, false);
		if (dfd < 0) {
			strbuf_setlen(&p, 0);
			strbuf_addf(&p, "%s%s/.debug/%s", prefix, dir, r->link_name);
			dfd = try_debug_file(p.buf, r, false);
		}
		if (dfd < 0) {
			strbuf_setlen(&p, 0);
			strbuf_addf(&p, "%s%s%s/%s", prefix, debug_root, dir, r->link_name);
			dfd = try_debug_file(p.buf, r, false);
		}
	}
	strbuf_release(&p);
	return dfd;
}

/*
 * libdebuginfod, loaded on first use: linked in, it and libcurl with its
 * TLS stack cost every run of flamesamp 3 ms of dynamic linking (35 more
 * libraries), for a feature used only when DEBUGINFOD_URLS is set.  libdw
 * loads it the same way.
 */
struct debuginfod_api {
	debuginfod_client *(*begin)(void);
	int (*find_debuginfo)(debuginfod_client *, const unsigned char *, int, char **);
	void (*end)(debuginfod_client *);
};

static const struct debuginfod_api *debuginfod_api(void)
{
	static struct debuginfod_api api;
	static bool tried;
	void *lib;

	if (tried)
		return api.begin ? &api : NULL;
	tried = true;
	lib = dlopen("libdebuginfod.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fs_debug("symbolize: DEBUGINFOD_URLS is set but libdebuginfod cannot be loaded: %s",
			 dlerror());
		return NULL;
	}
	*(void **)&api.begin = dlsym(lib, "debuginfod_begin");
	*(void **)&api.find_debuginfo = dlsym(lib, "debuginfod_find_debuginfo");
	*(void **)&api.end = dlsym(lib, "debuginfod_end");
	if (!api.begin || !api.find_debuginfo || !api.end) {
		api.begin = NULL;
		return NULL;
	}
	return &api;
}

/*
 * A debuginfod server, only when the user named some in DEBUGINFOD_URLS:
 * the client fetches by build-id into its cache ($DEBUGINFOD_CACHE_PATH,
 * else ~/.cache/debuginfod_client) and honours DEBUGINFOD_TIMEOUT.
 */
static int from_debuginfod(const struct debug_refs *r)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	const struct debuginfod_api *api;
	debuginfod_client *client;
	char *path = NULL;
	int dfd;

	if (!urls || !urls[0] || !r->build_id_len || !(api = debuginfod_api()))
		return -1;
	client = api->begin();
	if (!client)
		return -1;
	dfd = api->find_debuginfo(client, r->build_id, (int)r->build_id_len, &path);
	api->end(client);
	if (dfd < 0) {
		fs_debug("symbolize: debuginfod has no debug file for this build-id: %s",
			 strerror(-dfd));
		free(path);
		return -1;
	}
	/* the server is trusted no more than a file on disk */
	if (!build_id_matches(dfd, r)) {
		fs_debug("symbolize: %s: from debuginfod, but another build-id", path);
		close(dfd);
		dfd = -1;
	} else {
		fs_debug("symbolize: debug file %s (debuginfod)", path);
	}
	free(path);
	return dfd;
}

/* Decompress an xz stream, refusing output past MAX_MINIDEBUG_SIZE. */
static int xz_decompress(const void *in, size_t in_size, void **out, size_t *out_size)
{
	lzma_stream s = LZMA_STREAM_INIT;
	size_t cap = in_size * 4 < 65536 ? 65536 : in_size * 4;
	unsigned char *buf = NULL;
	lzma_ret ret;
	int err = 0;

	if (cap > MAX_MINIDEBUG_SIZE)
		cap = MAX_MINIDEBUG_SIZE;
	if (lzma_stream_decoder(&s, 64u << 20, 0) != LZMA_OK)
		return -ENOMEM;
	buf = xmalloc(cap);
	s.next_in = in;
	s.avail_in = in_size;
	s.next_out = buf;
	s.avail_out = cap;
	for (;;) {
		ret = lzma_code(&s, LZMA_FINISH);
		if (ret == LZMA_STREAM_END)
			break;
		if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
			err = -EINVAL;
			goto out;
		}
		if (s.avail_out) {
			/* no progress possible: the input is truncated */
			err = -EINVAL;
			goto out;
		}
		if (cap >= MAX_MINIDEBUG_SIZE) {
			err = -EFBIG;
			goto out;
		}
		cap = cap * 2 > MAX_MINIDEBUG_SIZE ? MAX_MINIDEBUG_SIZE : cap * 2;
		buf = xrealloc(buf, cap);
		s.next_out = buf + s.total_out;
		s.avail_out = cap - s.total_out;
	}
	*out = buf;
	*out_size = s.total_out;
	buf = NULL;
out:
	free(buf);
	lzma_end(&s);
	return err;
}

static struct elf_symbols *from_minidebug(int fd, const char *path, const struct debug_refs *r)
{
	struct elf_symbols *es = NULL;
	size_t size = 0;
	void *image;
	int err;

	err = xz_decompress(r->minidebug, r->minidebug_size, &image, &size);
	if (err < 0) {
		fs_debug("symbolize: %s: cannot decompress .gnu_debugdata: %s", path,
			 strerror(-err));
		return NULL;
	}
	es = elf_symbols__open_fd_minidebug(fd, image, size);
	if (es && !elf_symbols__from_symtab(es)) {
		elf_symbols__free(es);
		es = NULL;
	}
	fs_debug("symbolize: %s: %s .gnu_debugdata", path, es ? "symbols from" : "no symbols in");
	free(image);
	return es;
}

/* The directory of the binary mapped as @path, for the debug link; NULL unless absolute. */
static char *binary_dir(const char *path)
{
	size_t len = strlen(path);
	char *dir;

	if (len > sizeof(deleted_suffix) - 1 &&
	    !strcmp(path + len - (sizeof(deleted_suffix) - 1), deleted_suffix))
		len -= sizeof(deleted_suffix) - 1;
	if (path[0] != '/')
		return NULL;
	dir = xstrndup(path, len);
	*strrchr(dir, '/') = '\0'; /* "" for a file in "/" */
	return dir;
}

static int find_debug_file(const char *path, pid_t pid, const char *debug_root,
			   const struct debug_refs *r)
{
	char *dir = binary_dir(path);
	int dfd = search(dir, r, "", debug_root);

	if (dfd < 0 && other_root(pid)) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "/proc/%d/root", (int)pid);
		dfd = search(dir, r, prefix, debug_root);
	}
	if (dfd < 0)
		dfd = from_debuginfod(r);
	free(dir);
	return dfd;
}

struct elf_symbols *debug_file__load(int fd, const char *path, pid_t pid, const char *debug_root,
				     int *dwarf_fd)
{
	struct debug_refs refs = {0};
	struct elf_symbols *es, *better = NULL;
	bool need_symbols, need_dwarf;
	int dfd = -1;

	if (dwarf_fd)
		*dwarf_fd = -1;
	es = elf_symbols__open_fd(fd);
	if (!es)
		return NULL;
	need_symbols = !elf_symbols__from_symtab(es);
	need_dwarf = dwarf_fd && !has_section(fd, ".debug_info");
	if (dwarf_fd && !need_dwarf)
		*dwarf_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!need_symbols && !need_dwarf)
		return es;
	read_refs(fd, &refs);
	if (refs.build_id_len || refs.link_name)
		dfd = find_debug_file(path, pid, debug_root, &refs);
	if (dfd >= 0 && need_symbols) {
		better = elf_symbols__open_fd_debug(fd, dfd);
		if (better && !elf_symbols__from_symtab(better)) {
			fs_debug("symbolize: %s: its debug file has no function symbols", path);
			elf_symbols__free(better);
			better = NULL;
		}
	}
	if (!better && need_symbols && refs.minidebug)
		better = from_minidebug(fd, path, &refs);
	if (better) {
		elf_symbols__free(es);
		es = better;
	}
	if (dfd >= 0 && need_dwarf && has_section(dfd, ".debug_info")) {
		*dwarf_fd = dfd;
		dfd = -1;
	}
	if (dfd >= 0)
		close(dfd);
	debug_refs__release(&refs);
	return es;
}

struct elf_symbols *debug_file__load_symbols(int fd, const char *path, pid_t pid,
					     const char *debug_root)
{
	return debug_file__load(fd, path, pid, debug_root, NULL);
}
