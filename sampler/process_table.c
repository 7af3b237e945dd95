// SPDX-License-Identifier: Apache-2.0
#include "sampler/process_table.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "common/hash.h"
#include "common/strtab.h"
#include "common/u64_map.h"
#include "common/xalloc.h"

struct mapping {
	uint64_t start, end, pgoff;
	uint32_t dso;
};

struct process {
	pid_t pid;
	uint64_t generation;  /* bumped on every change of maps */
	struct mapping *maps; /* sorted by start, not overlapping */
	size_t nr_maps, cap_maps;
};

struct thread {
	pid_t tid, pid;
	uint32_t comm; /* strtab id */
};

struct dso_entry {
	struct dso dso;
	uint32_t path_id;
};

struct process_table {
	struct u64_map processes; /* pid -> struct process */
	struct u64_map threads;	  /* tid -> struct thread */
	struct strtab *strings;	  /* comms and paths */
	struct dso_entry *dsos;
	size_t nr_dsos, cap_dsos;
	struct u64_map dso_index; /* hash(path id, dev, ino) -> dso id + 1 */
	uint64_t next_generation;
	char unknown_comm[16];
};

struct process_table *process_table__new(void)
{
	struct process_table *pt = xcalloc(1, sizeof(*pt));

	pt->strings = strtab__new();
	pt->cap_dsos = 64;
	pt->dsos = xcalloc(pt->cap_dsos, sizeof(*pt->dsos));
	pt->nr_dsos = DSO_FIRST_FILE;
	pt->dsos[DSO_KERNEL].dso.path = pt->dsos[DSO_KERNEL].dso.name = "kernel.kallsyms";
	pt->dsos[DSO_UNKNOWN].dso.path = pt->dsos[DSO_UNKNOWN].dso.name = "unknown";
	pt->dsos[DSO_ANON].dso.path = pt->dsos[DSO_ANON].dso.name = "anon";
	return pt;
}

static void free_process(struct process *p)
{
	if (p) {
		free(p->maps);
		free(p);
	}
}

void process_table__free(struct process_table *pt)
{
	size_t i;

	if (!pt)
		return;
	for (i = 0; pt->processes.slots && i <= pt->processes.mask; i++)
		free_process(pt->processes.slots[i].value);
	for (i = 0; pt->threads.slots && i <= pt->threads.mask; i++)
		free(pt->threads.slots[i].value);
	u64_map__release(&pt->processes);
	u64_map__release(&pt->threads);
	u64_map__release(&pt->dso_index);
	strtab__free(pt->strings);
	free(pt->dsos);
	free(pt);
}

const struct dso *process_table__dso(const struct process_table *pt, uint32_t id)
{
	return id < pt->nr_dsos ? &pt->dsos[id].dso : NULL;
}

/* Not a file: anonymous memory, the heap, the stack, JIT code. */
static bool is_anonymous(const char *path, size_t len)
{
	if (!len)
		return true;
	if (len >= 6 && !memcmp(path, "//anon", 6))
		return true;
	if (path[0] == '[')
		return !(len == 6 && !memcmp(path, "[vdso]", 6));
	return (len >= 9 && !memcmp(path, "/memfd:", 7)) ||
	       (len >= 12 && !memcmp(path, "/dev/zero", 9));
}

static uint32_t intern_dso(struct process_table *pt, const char *path, size_t len, uint64_t dev,
			   uint64_t ino, pid_t pid)
{
	uint32_t path_id, id;
	uint64_t key;
	uintptr_t found;
	size_t i;
	const char *slash;

	if (is_anonymous(path, len))
		return DSO_ANON;
	path_id = strtab__intern(pt->strings, path, len);
	key = fs_hash_mix(((uint64_t)path_id << 32) ^ fs_hash_mix(dev) ^
			  (ino * 0x9e3779b97f4a7c15ULL));
	found = (uintptr_t)u64_map__get(&pt->dso_index, key);
	if (found) {
		const struct dso_entry *e = &pt->dsos[found - 1];

		if (e->path_id == path_id && e->dso.dev == dev && e->dso.ino == ino)
			return (uint32_t)(found - 1);
		/* a 64-bit hash collision: look at every dso */
		for (i = DSO_FIRST_FILE; i < pt->nr_dsos; i++) {
			e = &pt->dsos[i];
			if (e->path_id == path_id && e->dso.dev == dev && e->dso.ino == ino)
				return (uint32_t)i;
		}
	}
	if (pt->nr_dsos == pt->cap_dsos) {
		pt->cap_dsos *= 2;
		pt->dsos = xreallocarray(pt->dsos, pt->cap_dsos, sizeof(*pt->dsos));
	}
	id = (uint32_t)pt->nr_dsos++;
	pt->dsos[id].path_id = path_id;
	pt->dsos[id].dso.dev = dev;
	pt->dsos[id].dso.ino = ino;
	pt->dsos[id].dso.pid = pid;
	pt->dsos[id].dso.path = strtab__str(pt->strings, path_id, NULL);
	slash = strrchr(pt->dsos[id].dso.path, '/');
	pt->dsos[id].dso.name = slash ? slash + 1 : pt->dsos[id].dso.path;
	if (!found)
		u64_map__set(&pt->dso_index, key, (void *)(uintptr_t)(id + 1));
	return id;
}

static struct process *get_process(struct process_table *pt, pid_t pid)
{
	struct process *p = u64_map__get(&pt->processes, (uint32_t)pid);

	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->pid = pid;
		p->generation = ++pt->next_generation; /* a reused pid is a new process */
		u64_map__set(&pt->processes, (uint32_t)pid, p);
	}
	return p;
}

static struct thread *get_thread(struct process_table *pt, pid_t pid, pid_t tid)
{
	struct thread *t = u64_map__get(&pt->threads, (uint32_t)tid);

	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->tid = tid;
		t->comm = UINT32_MAX;
		u64_map__set(&pt->threads, (uint32_t)tid, t);
	}
	t->pid = pid;
	return t;
}

/*
 * A dso's map_start/map_end is a mapping of its own pid only: /proc/PID/map_files
 * is per process.  Record @m of @p for its dso when the dso is @p's and has none.
 */
static void note_mapping(struct process_table *pt, const struct process *p, const struct mapping *m)
{
	struct dso *d;

	if (m->dso < DSO_FIRST_FILE)
		return;
	d = &pt->dsos[m->dso].dso;
	if (d->pid == p->pid && d->map_start >= d->map_end) {
		d->map_start = m->start;
		d->map_end = m->end;
	}
}

/* @p no longer has @m: forget it if it is its dso's mapping; whether it was. */
static bool drop_mapping(struct process_table *pt, const struct process *p, const struct mapping *m)
{
	struct dso *d;

	if (m->dso < DSO_FIRST_FILE)
		return false;
	d = &pt->dsos[m->dso].dso;
	if (d->pid != p->pid || d->map_start != m->start || d->map_end != m->end)
		return false;
	d->map_start = d->map_end = 0;
	return true;
}

/* Forget every mapping of @p (exec, exit, a new snapshot). */
static void drop_all_mappings(struct process_table *pt, struct process *p)
{
	size_t i;

	for (i = 0; i < p->nr_maps; i++)
		drop_mapping(pt, p, &p->maps[i]);
	p->nr_maps = 0;
}

/* Insert [start, end) into @p's sorted mappings, cutting whatever it overlaps. */
static void add_mapping(struct process_table *pt, struct process *p, uint64_t start, uint64_t end,
			uint64_t pgoff, uint32_t dso)
{
	struct mapping *kept;
	size_t i, n = 0;
	bool dropped = false;

	if (end <= start)
		return;
	/* worst case: one old mapping split in two, plus the new one */
	kept = xreallocarray(NULL, p->nr_maps + 2, sizeof(*kept));
	for (i = 0; i < p->nr_maps; i++) {
		struct mapping m = p->maps[i];

		if (m.end <= start || m.start >= end) {
			kept[n++] = m;
			continue;
		}
		/* the range is no longer one mapping: the kernel split it, or it is gone */
		dropped |= drop_mapping(pt, p, &m);
		if (m.start < start) {
			struct mapping left = m;

			left.end = start;
			kept[n++] = left;
		}
		if (m.end > end) {
			struct mapping right = m;

			right.pgoff += end - m.start;
			right.start = end;
			kept[n++] = right;
		}
	}
	/* insert the new mapping in order */
	for (i = n; i > 0 && kept[i - 1].start > start; i--)
		kept[i] = kept[i - 1];
	kept[i] = (struct mapping){.start = start, .end = end, .pgoff = pgoff, .dso = dso};
	n++;
	free(p->maps);
	p->maps = kept;
	p->nr_maps = p->cap_maps = n;
	if (!dropped) {
		note_mapping(pt, p, &kept[i]);
		return;
	}
	/* a dso whose mapping was cut takes its first remaining one (what is left of it) */
	for (i = 0; i < n; i++)
		note_mapping(pt, p, &kept[i]);
}

void process_table__mmap(struct process_table *pt, pid_t pid, uint64_t start, uint64_t len,
			 uint64_t pgoff, uint64_t dev, uint64_t ino, const char *path)
{
	uint32_t dso = intern_dso(pt, path, strlen(path), dev, ino, pid);

	if (start + len < start)
		return;
	struct process *p = get_process(pt, pid);

	add_mapping(pt, p, start, start + len, pgoff, dso);
	p->generation = ++pt->next_generation;
}

void process_table__comm(struct process_table *pt, pid_t pid, pid_t tid, const char *comm,
			 size_t len, bool exec)
{
	struct thread *t = get_thread(pt, pid, tid);

	t->comm = strtab__intern(pt->strings, comm, strnlen(comm, len));
	if (exec) {
		/* a new program image: the MMAP2 records of the new one follow */
		struct process *p = get_process(pt, pid);

		drop_all_mappings(pt, p);
		p->generation = ++pt->next_generation;
	}
}

void process_table__fork(struct process_table *pt, pid_t pid, pid_t ppid, pid_t tid, pid_t ptid)
{
	struct thread *parent = u64_map__get(&pt->threads, (uint32_t)ptid);
	struct thread *t;

	if (pid != ppid) {
		/* a new process starts with a copy of its parent's address space */
		struct process *pp = u64_map__get(&pt->processes, (uint32_t)ppid);
		struct process *p;
		size_t i;

		if (!pp && process_table__load(pt, ppid) == 0)
			pp = u64_map__get(&pt->processes, (uint32_t)ppid);
		p = get_process(pt, pid);
		p->generation = ++pt->next_generation;
		drop_all_mappings(pt, p);
		free(p->maps);
		p->maps = NULL;
		p->cap_maps = 0;
		if (pp && pp->nr_maps) {
			p->maps = xreallocarray(NULL, pp->nr_maps, sizeof(*p->maps));
			memcpy(p->maps, pp->maps, pp->nr_maps * sizeof(*p->maps));
			p->nr_maps = p->cap_maps = pp->nr_maps;
		}
		/* a dso of this pid (a reused one) finds its mappings in the copy */
		for (i = 0; i < p->nr_maps; i++)
			note_mapping(pt, p, &p->maps[i]);
	}
	t = get_thread(pt, pid, tid);
	if (parent)
		t->comm = parent->comm;
}

void process_table__exit(struct process_table *pt, pid_t pid, pid_t tid)
{
	free(u64_map__remove(&pt->threads, (uint32_t)tid));
	/* records are in time order: nothing of this process will be sampled again */
	if (pid == tid) {
		struct process *p = u64_map__remove(&pt->processes, (uint32_t)pid);

		/* its map_files are gone, and a process reusing the pid maps other ranges */
		if (p)
			drop_all_mappings(pt, p);
		free_process(p);
	}
}

/* Read /proc/PID/task/TID/comm (or /proc/PID/comm) into @t. */
static void load_comm(struct process_table *pt, pid_t pid, pid_t tid)
{
	char path[64], buf[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	while (n && buf[n - 1] == '\n')
		n--;
	process_table__comm(pt, pid, tid, buf, n, false);
}

/* "start-end perms offset maj:min inode   path" */
static int load_maps(struct process_table *pt, pid_t pid)
{
	char path[64], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;
	struct process *p;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = get_process(pt, pid);
	drop_all_mappings(pt, p);
	p->generation = ++pt->next_generation;
	while ((len = getline(&line, &cap, f)) > 0) {
		uint64_t start, end, pgoff, ino;
		unsigned maj, min;
		char perms[5];
		int name_at = 0;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n",
			   &start, &end, perms, &pgoff, &maj, &min, &ino, &name_at) < 7 ||
		    !name_at)
			continue;
		if (perms[2] != 'x')
			continue;
		add_mapping(pt, p, start, end, pgoff,
			    intern_dso(pt, line + name_at, strlen(line + name_at),
				       makedev(maj, min), ino, pid));
	}
	free(line);
	fclose(f);
	return 0;
}

int process_table__load(struct process_table *pt, pid_t pid)
{
	char path[64];
	DIR *dir;
	struct dirent *de;
	int err;

	err = load_maps(pt, pid);
	if (err)
		return err == -ENOENT ? -ESRCH : err;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0; /* exited meanwhile: the maps are still useful */
	while ((de = readdir(dir))) {
		char *end;
		long tid = strtol(de->d_name, &end, 10);

		if (*end || tid <= 0)
			continue;
		get_thread(pt, pid, (pid_t)tid);
		load_comm(pt, pid, (pid_t)tid);
	}
	closedir(dir);
	return 0;
}

int process_table__load_all(struct process_table *pt)
{
	DIR *dir = opendir("/proc");
	struct dirent *de;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (!*end && pid > 0)
			process_table__load(pt, (pid_t)pid);
	}
	closedir(dir);
	return 0;
}

const char *process_table__thread_comm(struct process_table *pt, pid_t pid, pid_t tid)
{
	struct thread *t = u64_map__get(&pt->threads, (uint32_t)tid);

	if (!t || t->comm == UINT32_MAX) {
		/* idle ("swapper") has tid 0 and no /proc entry */
		if (tid == 0)
			process_table__comm(pt, 0, 0, "swapper", 7, false);
		else if (!u64_map__get(&pt->processes, (uint32_t)pid))
			process_table__load(pt, pid);
		else
			load_comm(pt, pid, tid);
		t = u64_map__get(&pt->threads, (uint32_t)tid);
	}
	if (!t || t->comm == UINT32_MAX) {
		snprintf(pt->unknown_comm, sizeof(pt->unknown_comm), ":%d", tid);
		return pt->unknown_comm;
	}
	return strtab__str(pt->strings, t->comm, NULL);
}

/* The process of @pid, loaded from /proc at first sight (empty when /proc has nothing). */
static struct process *find_process(struct process_table *pt, pid_t pid)
{
	struct process *p = u64_map__get(&pt->processes, (uint32_t)pid);

	if (!p) {
		if (process_table__load(pt, pid))
			get_process(pt, pid);
		p = u64_map__get(&pt->processes, (uint32_t)pid);
	}
	return p;
}

static const struct mapping *find_mapping(const struct process *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nr_maps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct mapping *m = &p->maps[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

uint32_t process_table__resolve(struct process_table *pt, pid_t pid, uint64_t addr,
				uint64_t *offset)
{
	const struct mapping *m = find_mapping(find_process(pt, pid), addr);

	if (!m)
		return DSO_UNKNOWN;
	*offset = m->dso == DSO_ANON ? addr : addr - m->start + m->pgoff;
	return m->dso;
}

int process_table__mapping(struct process_table *pt, pid_t pid, uint64_t addr,
			   struct mapping_info *out)
{
	const struct mapping *m = find_mapping(find_process(pt, pid), addr);

	if (!m || m->dso < DSO_FIRST_FILE)
		return -ENOENT;
	*out = (struct mapping_info){
		.start = m->start, .end = m->end, .pgoff = m->pgoff, .dso = m->dso};
	return 0;
}

uint64_t process_table__maps_generation(struct process_table *pt, pid_t pid)
{
	return find_process(pt, pid)->generation;
}
