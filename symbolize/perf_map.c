// SPDX-License-Identifier: Apache-2.0
#include "symbolize/perf_map.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/line_reader.h"
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

struct perf_maps {
	char *dir;
	struct u64_map by_pid; /* pid -> struct perf_map (empty when it could not be loaded) */
};

struct perf_maps *perf_maps__new(const char *dir)
{
	struct perf_maps *maps = xcalloc(1, sizeof(*maps));

	maps->dir = xstrdup(dir ? dir : "/tmp");
	return maps;
}

void perf_maps__free(struct perf_maps *maps)
{
	size_t i;

	if (!maps)
		return;
	for (i = 0; maps->by_pid.slots && i <= maps->by_pid.mask; i++)
		perf_map__free(maps->by_pid.slots[i].value);
	u64_map__release(&maps->by_pid);
	free(maps->dir);
	free(maps);
}

const char *perf_maps__find(struct perf_maps *maps, pid_t pid, uint64_t addr)
{
	struct perf_map *map;

	if (!maps)
		return NULL;
	map = u64_map__get(&maps->by_pid, (uint32_t)pid);
	if (!map) {
		map = perf_map__load(maps->dir, pid);
		if (!map)
			map = perf_map__parse("", 0);
		u64_map__set(&maps->by_pid, (uint32_t)pid, map);
	}
	return perf_map__find(map, addr);
}
