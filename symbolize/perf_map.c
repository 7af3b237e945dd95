// SPDX-License-Identifier: Apache-2.0
#include "symbolize/perf_map.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/line_reader.h"
#include "common/mapped_file.h"
#include "common/log.h"
#include "common/number.h"
#include "common/strbuf.h"
#include "common/u64_map.h"
#include "common/xalloc.h"

/* A disjoint range of the finished map. */
struct perf_range {
	uint64_t start, end;
	uint32_t name; /* offset in names */
};

struct perf_map {
	struct perf_range *ranges; /* sorted by start, not overlapping */
	size_t nr_ranges;
	char *names;
};

/* One parsed line, as the file has it. */
struct perf_line {
	uint64_t start, end;
	uint32_t seq; /* line order: the larger wins an overlap */
	uint32_t name;
};

struct perf_map_builder {
	struct perf_line *lines;
	size_t n, cap;
	struct strbuf names;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Hex number, "0x" allowed, at most 16 digits; the position after it, or NULL. */
static const char *parse_hex(const char *s, const char *end, uint64_t *out)
{
	size_t ndigits = 0;
	uint64_t v = 0;
	int d;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (s < end && (d = fs_hex_digit(*s)) >= 0) {
		if (++ndigits > 16)
			return NULL;
		v = v << 4 | (uint64_t)d;
		s++;
	}
	*out = v;
	return ndigits ? s : NULL;
}

/* "START SIZE NAME"; anything else is skipped. */
static void add_line(struct perf_map_builder *b, const char *s, size_t len)
{
	const char *end = s + len;
	uint64_t start, size;
	struct perf_line *l;
	size_t name_len;

	s = parse_hex(s, end, &start);
	if (!s || s == end || !is_blank(*s))
		return;
	while (s < end && is_blank(*s))
		s++;
	s = parse_hex(s, end, &size);
	if (!s || s == end || !is_blank(*s))
		return;
	s++;
	if (end > s && end[-1] == '\r')
		end--;
	name_len = (size_t)(end - s);
	if (!size || size > PERF_MAP_MAX_SIZE || start > UINT64_MAX - size || !name_len ||
	    name_len > PERF_MAP_MAX_NAME || memchr(s, '\0', name_len))
		return;
	if (b->names.len + name_len + 1 > UINT32_MAX || b->n >= UINT32_MAX)
		return;
	if (b->n == b->cap) {
		b->cap = fs_grow_capacity(b->cap, b->n + 1);
		b->lines = xreallocarray(b->lines, b->cap, sizeof(*b->lines));
	}
	l = &b->lines[b->n];
	l->start = start;
	l->end = start + size;
	l->seq = (uint32_t)b->n;
	l->name = (uint32_t)b->names.len;
	b->n++;
	strbuf_add(&b->names, s, name_len);
	strbuf_addch(&b->names, '\0');
}

static int cmp_line_start(const void *pa, const void *pb)
{
	const struct perf_line *a = pa, *b = pb;

	return (a->start > b->start) - (a->start < b->start);
}

static int cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

/* A max-heap of line indices by seq: the latest line active at a point is on top. */
static void heap_push(size_t *heap, size_t *n, const struct perf_line *lines, size_t idx)
{
	size_t i = (*n)++;

	while (i > 0 && lines[heap[(i - 1) / 2]].seq < lines[idx].seq) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = idx;
}

static void heap_pop(size_t *heap, size_t *n, const struct perf_line *lines)
{
	size_t i = 0, last = heap[--(*n)];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= *n)
			break;
		if (c + 1 < *n && lines[heap[c + 1]].seq > lines[heap[c]].seq)
			c++;
		if (lines[heap[c]].seq <= lines[last].seq)
			break;
		heap[i] = heap[c];
		i = c;
	}
	if (*n)
		heap[i] = last;
}

/*
 * Resolve overlaps with a sweep over every range boundary: between two
 * consecutive boundaries the latest line covering them, if any, names the
 * whole piece.  Lines that ended are dropped from the heap when they reach
 * its top, which is enough: only the top is ever used.
 */
static struct perf_map *finish(struct perf_map_builder *b)
{
	struct perf_map *map = xcalloc(1, sizeof(*map));
	struct perf_line *lines = b->lines;
	size_t n = b->n, nr_points = 0, i, j = 0, heap_n = 0;
	uint64_t *points;
	size_t *heap;

	if (!n)
		goto out;
	points = xreallocarray(NULL, 2 * n, sizeof(*points));
	heap = xreallocarray(NULL, n, sizeof(*heap));
	qsort(lines, n, sizeof(*lines), cmp_line_start);
	for (i = 0; i < n; i++) {
		points[2 * i] = lines[i].start;
		points[2 * i + 1] = lines[i].end;
	}
	qsort(points, 2 * n, sizeof(*points), cmp_u64);
	for (i = 0; i < 2 * n; i++)
		if (!nr_points || points[nr_points - 1] != points[i])
			points[nr_points++] = points[i];
	map->ranges = xreallocarray(NULL, 2 * n, sizeof(*map->ranges));
	for (i = 0; i + 1 < nr_points; i++) {
		struct perf_range *last = map->nr_ranges ? &map->ranges[map->nr_ranges - 1] : NULL;
		const struct perf_line *top;

		while (j < n && lines[j].start == points[i])
			heap_push(heap, &heap_n, lines, j++);
		while (heap_n && lines[heap[0]].end <= points[i])
			heap_pop(heap, &heap_n, lines);
		if (!heap_n)
			continue;
		top = &lines[heap[0]];
		if (last && last->end == points[i] && last->name == top->name)
			last->end = points[i + 1];
		else
			map->ranges[map->nr_ranges++] =
				(struct perf_range){points[i], points[i + 1], top->name};
	}
	free(heap);
	free(points);
out:
	free(b->lines);
	map->names = strbuf_detach(&b->names, NULL);
	return map;
}

static void builder_init(struct perf_map_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->names = (struct strbuf)STRBUF_INIT;
}

struct perf_map *perf_map__parse(const char *data, size_t len)
{
	struct perf_map_builder b;
	const char *end = data + len, *nl;

	builder_init(&b);
	while (data < end) {
		nl = memchr(data, '\n', (size_t)(end - data));
		if (!nl)
			nl = end;
		add_line(&b, data, (size_t)(nl - data));
		data = nl + 1;
	}
	return finish(&b);
}

/* ---- jitdump ---- */

/*
 * The jitdump format, as perf's tools/perf/util/jitdump.h defines it: a
 * header, then records that each start with (id, total_size, timestamp).
 * Every field is in the writer's byte order, which the magic tells.
 */
#define JITDUMP_MAGIC	    0x4A695444u /* "JiTD" */
#define JITDUMP_HEADER_MIN  40		/* magic .. flags: the version 1 header */
#define JITDUMP_RECORD_MIN  16		/* id, total_size, timestamp */
#define JIT_CODE_LOAD	    0
#define JIT_CODE_MOVE	    1
#define JIT_CODE_LOAD_FIXED 40 /* pid, tid, vma, code_addr, code_size, code_index */
#define JIT_CODE_MOVE_FIXED                                                                        \
	48 /* pid, tid, vma, old_code_addr, new_code_addr, code_size, code_index */
#define JITDUMP_MAX_RECORDS (1u << 26)

struct jitdump_reader {
	const unsigned char *p, *end;
	bool swap;
};

static uint32_t jd_u32(const struct jitdump_reader *r, const unsigned char *at)
{
	uint32_t v;

	memcpy(&v, at, sizeof(v));
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint64_t jd_u64(const struct jitdump_reader *r, const unsigned char *at)
{
	uint64_t v;

	memcpy(&v, at, sizeof(v));
	return r->swap ? __builtin_bswap64(v) : v;
}

/* A range of code named by the name at @name in b->names; false when it is unusable. */
static bool add_range(struct perf_map_builder *b, uint64_t start, uint64_t size, uint32_t name)
{
	if (!size || size > PERF_MAP_MAX_SIZE || start > UINT64_MAX - size || b->n >= UINT32_MAX)
		return false;
	if (b->n == b->cap) {
		b->cap = fs_grow_capacity(b->cap, b->n + 1);
		b->lines = xreallocarray(b->lines, b->cap, sizeof(*b->lines));
	}
	b->lines[b->n] = (struct perf_line){start, start + size, (uint32_t)b->n, name};
	b->n++;
	return true;
}

/*
 * A code load names its code; a move names the new place with the name the
 * code was loaded under (by code_index).  Records come in time order, so,
 * as with perf map lines, the later wins where ranges overlap.
 */
static void add_jitdump_record(struct perf_map_builder *b, struct u64_map *name_of_index,
			       const struct jitdump_reader *r, uint32_t id,
			       const unsigned char *body, size_t len)
{
	uint64_t addr, size, index;
	const char *name;
	size_t name_len;
	uintptr_t v;

	if (id == JIT_CODE_LOAD && len > JIT_CODE_LOAD_FIXED) {
		addr = jd_u64(r, body + 16);
		size = jd_u64(r, body + 24);
		index = jd_u64(r, body + 32);
		name = (const char *)body + JIT_CODE_LOAD_FIXED;
		name_len = strnlen(name, len - JIT_CODE_LOAD_FIXED);
		/* no NUL in the record, or a name no perf map line could hold */
		if (name_len == len - JIT_CODE_LOAD_FIXED || !name_len ||
		    name_len > PERF_MAP_MAX_NAME || memchr(name, '\n', name_len) ||
		    b->names.len + name_len + 1 > UINT32_MAX)
			return;
		if (!add_range(b, addr, size, (uint32_t)b->names.len))
			return;
		u64_map__set(name_of_index, index, (void *)((uintptr_t)b->names.len + 1));
		strbuf_add(&b->names, name, name_len);
		strbuf_addch(&b->names, '\0');
	} else if (id == JIT_CODE_MOVE && len >= JIT_CODE_MOVE_FIXED) {
		addr = jd_u64(r, body + 24);
		size = jd_u64(r, body + 32);
		index = jd_u64(r, body + 40);
		v = (uintptr_t)u64_map__get(name_of_index, index);
		if (v)
			add_range(b, addr, size, (uint32_t)(v - 1));
	}
}

struct perf_map *perf_map__parse_jitdump(const void *data, size_t len)
{
	struct jitdump_reader r = {data, (const unsigned char *)data + len, false};
	struct u64_map name_of_index = {0};
	struct perf_map_builder b;
	uint32_t magic, header_size, nr = 0;

	builder_init(&b);
	if (len < JITDUMP_HEADER_MIN)
		goto out;
	memcpy(&magic, r.p, sizeof(magic));
	if (magic == __builtin_bswap32(JITDUMP_MAGIC))
		r.swap = true;
	else if (magic != JITDUMP_MAGIC)
		goto out;
	header_size = jd_u32(&r, r.p + 8);
	if (header_size < JITDUMP_HEADER_MIN || header_size > len)
		goto out;
	r.p += header_size;
	/* a record cut short is the one the JIT is still writing: stop there */
	while ((size_t)(r.end - r.p) >= JITDUMP_RECORD_MIN && nr++ < JITDUMP_MAX_RECORDS) {
		uint32_t id = jd_u32(&r, r.p), size = jd_u32(&r, r.p + 4);

		if (size < JITDUMP_RECORD_MIN || size > (size_t)(r.end - r.p))
			break;
		add_jitdump_record(&b, &name_of_index, &r, id, r.p + JITDUMP_RECORD_MIN,
				   size - JITDUMP_RECORD_MIN);
		r.p += size;
	}
out:
	u64_map__release(&name_of_index);
	return finish(&b);
}

/* Read the open map file @fd if it is a regular file owned by root or @owner. */
static struct perf_map *read_map(int fd, const char *path, uid_t owner)
{
	struct perf_map_builder b;
	struct line_reader *r;
	struct stat st;
	size_t len;
	char *line;
	int ret;

	if (fstat(fd, &st))
		return NULL;
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != owner)) {
		fs_debug("symbolize: %s ignored: %s owned by uid %u, expected 0 or %u", path,
			 S_ISREG(st.st_mode) ? "a file" : "not a regular file", (unsigned)st.st_uid,
			 (unsigned)owner);
		errno = EPERM;
		return NULL;
	}
	r = line_reader__new_fd(fd);
	if (!r)
		return NULL;
	builder_init(&b);
	while ((ret = line_reader__next(r, &line, &len)) > 0)
		add_line(&b, line, len);
	line_reader__free(r);
	/* a read error leaves what was read: the lines before it are still right */
	if (ret < 0)
		fs_debug("symbolize: reading %s: %s", path, strerror(-ret));
	return finish(&b);
}

static struct perf_map *open_map(const char *path, uid_t owner)
{
	struct perf_map *map;
	int fd, err;

	/* O_NONBLOCK: a FIFO planted in its place must not block the open */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		/* a symbolic link in the last component */
		if (errno == ELOOP)
			errno = EPERM;
		return NULL;
	}
	map = read_map(fd, path, owner);
	err = errno;
	close(fd);
	errno = err;
	return map;
}

/* Effective uid and innermost namespace pid of a live process: 0, or -errno. */
static int read_status(pid_t pid, uid_t *euid, pid_t *nspid)
{
	char path[64], *line;
	struct line_reader *r;
	bool have_uid = false;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	r = line_reader__open(path);
	if (!r)
		return -errno;
	*nspid = pid; /* kernels before 4.1 have no NSpid: no pid namespace to see */
	while (line_reader__next(r, &line, &len) > 0) {
		unsigned long real, eff;
		const char *last;

		if (!strncmp(line, "Uid:", 4) && sscanf(line + 4, "%lu %lu", &real, &eff) == 2) {
			*euid = (uid_t)eff;
			have_uid = true;
		} else if (!strncmp(line, "NSpid:", 6)) {
			last = strrchr(line, '\t');
			if (!last)
				last = strrchr(line, ' ');
			if (last && atoi(last + 1) > 0)
				*nspid = (pid_t)atoi(last + 1);
		}
	}
	line_reader__free(r);
	return have_uid ? 0 : -ENOENT;
}

struct perf_map *perf_map__load(const char *dir, pid_t pid)
{
	struct perf_map *map = NULL;
	struct strbuf path = STRBUF_INIT;
	pid_t nspid = pid;
	uid_t owner = 0;
	int err;

	if (!dir)
		dir = "/tmp";
	if (pid <= 0) {
		err = ENOENT;
		goto out;
	}
	if (!read_status(pid, &owner, &nspid)) {
		/* the process's own view of DIR: its mount namespace, its pid */
		if (dir[0] == '/') {
			strbuf_addf(&path, "/proc/%d/root%s/perf-%d.map", (int)pid, dir,
				    (int)nspid);
			map = open_map(path.buf, owner);
			if (map || errno == EPERM || nspid != pid) {
				err = map ? 0 : errno;
				goto out;
			}
		}
	} else {
		owner = geteuid();
	}
	strbuf_reset(&path);
	strbuf_addf(&path, "%s/perf-%d.map", dir, (int)pid);
	map = open_map(path.buf, owner);
	err = map ? 0 : errno;
out:
	if (!map)
		fs_debug("symbolize: no perf map for pid %d (%s): %s", (int)pid,
			 path.len ? path.buf : dir, strerror(err));
	strbuf_release(&path);
	errno = err;
	return map;
}

void perf_map__free(struct perf_map *map)
{
	if (!map)
		return;
	free(map->ranges);
	free(map->names);
	free(map);
}

size_t perf_map__count(const struct perf_map *map)
{
	return map ? map->nr_ranges : 0;
}

const char *perf_map__find(const struct perf_map *map, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!map)
		return NULL;
	hi = map->nr_ranges;
	/* the last range starting at or below addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (map->ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= map->ranges[lo - 1].end)
		return NULL;
	return map->names + map->ranges[lo - 1].name;
}

/* ---- loading a jitdump ---- */

bool perf_map__is_jitdump_path(const char *path)
{
	const char *base = strrchr(path, '/'), *p;

	base = base ? base + 1 : path;
	if (strncmp(base, "jit-", 4))
		return false;
	for (p = base + 4; *p >= '0' && *p <= '9'; p++)
		;
	return p > base + 4 && !strcmp(p, ".dump");
}

/* Read the jitdump open at @fd; its size in *@size.  NULL and errno on failure. */
static struct perf_map *read_jitdump(int fd, uint64_t *size)
{
	struct perf_map *map;
	struct stat st;
	void *data;

	if (fstat(fd, &st))
		return NULL;
	*size = (uint64_t)st.st_size;
	if (st.st_size == 0)
		return perf_map__parse_jitdump("", 0);
	/* the JIT appends while we read: what is there now is complete records and a tail */
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED)
		return NULL;
	map = perf_map__parse_jitdump(data, (size_t)st.st_size);
	munmap(data, (size_t)st.st_size);
	return map;
}

/*
 * The jitdump @path of @pid when it is not the @known_size bytes already
 * read: NULL with errno 0 when it is, or with the reason it cannot be read.
 */
static struct perf_map *load_jitdump(const char *path, uint64_t ino, pid_t pid, uint64_t known_size,
				     uint64_t *size)
{
	struct perf_map *map = NULL;
	struct stat st;
	int fd, err = 0;

	fd = mapped_file__open(path, ino, pid);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (!fstat(fd, &st) && (uint64_t)st.st_size == known_size)
		goto out;
	map = read_jitdump(fd, size);
	if (!map)
		err = errno;
out:
	close(fd);
	errno = err;
	return map;
}

struct perf_map *perf_map__load_jitdump(const char *path, uint64_t ino, pid_t pid)
{
	struct perf_map *map;
	uint64_t size;

	map = load_jitdump(path, ino, pid, UINT64_MAX, &size);
	if (!map)
		fs_debug("symbolize: cannot read jitdump %s: %s", path, strerror(errno));
	return map;
}

/* ---- per-process cache ---- */

/* What names one process's JIT code. */
struct pid_maps {
	struct perf_map *text; /* perf-PID.map, empty when there is none */
	struct perf_map **jitdumps;
	char **jitdump_paths;
	uint64_t *jitdump_sizes; /* the size each was read at */
	size_t nr_jitdumps;
};

struct perf_maps {
	char *dir;
	struct u64_map by_pid; /* pid -> struct pid_maps */
};

struct perf_maps *perf_maps__new(const char *dir)
{
	struct perf_maps *maps = xcalloc(1, sizeof(*maps));

	maps->dir = xstrdup(dir ? dir : "/tmp");
	return maps;
}

static void pid_maps__free(struct pid_maps *pm)
{
	size_t i;

	perf_map__free(pm->text);
	for (i = 0; i < pm->nr_jitdumps; i++) {
		perf_map__free(pm->jitdumps[i]);
		free(pm->jitdump_paths[i]);
	}
	free(pm->jitdumps);
	free(pm->jitdump_paths);
	free(pm->jitdump_sizes);
	free(pm);
}

void perf_maps__free(struct perf_maps *maps)
{
	size_t i;

	if (!maps)
		return;
	for (i = 0; maps->by_pid.slots && i <= maps->by_pid.mask; i++)
		if (maps->by_pid.slots[i].value)
			pid_maps__free(maps->by_pid.slots[i].value);
	u64_map__release(&maps->by_pid);
	free(maps->dir);
	free(maps);
}

static struct pid_maps *pid_maps(struct perf_maps *maps, pid_t pid)
{
	struct pid_maps *pm = u64_map__get(&maps->by_pid, (uint32_t)pid);

	if (!pm) {
		pm = xcalloc(1, sizeof(*pm));
		pm->text = perf_map__load(maps->dir, pid);
		if (!pm->text)
			pm->text = perf_map__parse("", 0);
		u64_map__set(&maps->by_pid, (uint32_t)pid, pm);
	}
	return pm;
}

int perf_maps__add_jitdump(struct perf_maps *maps, pid_t pid, const char *path, uint64_t ino)
{
	struct perf_map *map;
	struct pid_maps *pm;
	uint64_t size = 0;
	size_t i;

	if (!maps || !perf_map__is_jitdump_path(path))
		return -EINVAL;
	pm = pid_maps(maps, pid);
	for (i = 0; i < pm->nr_jitdumps && strcmp(pm->jitdump_paths[i], path); i++)
		;
	/* read again when it grew: the JIT appends what it compiles */
	map = load_jitdump(path, ino, pid, i < pm->nr_jitdumps ? pm->jitdump_sizes[i] : UINT64_MAX,
			   &size);
	if (!map)
		return -errno;
	if (i == pm->nr_jitdumps) {
		pm->jitdumps = xreallocarray(pm->jitdumps, i + 1, sizeof(*pm->jitdumps));
		pm->jitdump_paths =
			xreallocarray(pm->jitdump_paths, i + 1, sizeof(*pm->jitdump_paths));
		pm->jitdump_sizes =
			xreallocarray(pm->jitdump_sizes, i + 1, sizeof(*pm->jitdump_sizes));
		pm->jitdump_paths[i] = xstrdup(path);
		pm->nr_jitdumps++;
	} else {
		perf_map__free(pm->jitdumps[i]);
	}
	pm->jitdumps[i] = map;
	pm->jitdump_sizes[i] = size;
	fs_debug("symbolize: %zu JIT code ranges from %s for pid %d", perf_map__count(map), path,
		 (int)pid);
	return 0;
}

const char *perf_maps__find(struct perf_maps *maps, pid_t pid, uint64_t addr)
{
	struct pid_maps *pm;
	const char *name;
	size_t i;

	if (!maps)
		return NULL;
	pm = pid_maps(maps, pid);
	/* the newest file first: code is only ever added or moved later */
	for (i = pm->nr_jitdumps; i-- > 0;) {
		name = perf_map__find(pm->jitdumps[i], addr);
		if (name)
			return name;
	}
	return perf_map__find(pm->text, addr);
}
