// SPDX-License-Identifier: Apache-2.0
#include "symbolize/symbolizer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hash.h"
#include "common/log.h"
#include "common/mapped_file.h"
#include "common/strbuf.h"
#include "common/strtab.h"
#include "common/u64_map.h"
#include "common/xalloc.h"
#include "symbolize/debug_file.h"
#include "symbolize/demangle.h"
#include "symbolize/dwarf_info.h"
#include "symbolize/elf_symbols.h"
#include "symbolize/kallsyms.h"
#include "symbolize/perf_map.h"

/* Per-symbol display name cache: 0 not worked out yet, 1 the raw name, else strtab id + 2. */
#define NAME_UNKNOWN 0
#define NAME_RAW     1

struct file_entry {
	uint64_t dev, ino;
	/* of the file read (fstat when loaded), or as first asked for; 0 when unknown */
	uint64_t size;
	int64_t mtime_ns;
	char *path; /* as first asked for; the key when ino is 0 */
	uint64_t hash;
	struct elf_symbols *syms;  /* NULL until loaded, or when loading failed */
	uint32_t *names;	   /* display name cache, one per symbol, allocated on first use */
	size_t sym_hint;	   /* elf_symbols__find_near() from the last lookup */
	struct open_attempts open; /* final: loaded, or failed in a way another pid cannot fix */
	struct dwarf_info *dwarf;  /* its DWARF, or its debug file's; NULL for none */
	size_t dwarf_bytes;	   /* dwarf_info__memory() as last seen */
	/* the same binary (by build-id) under another identity: that entry serves both */
	struct file_entry *same_as;
	unsigned char build_id[DEBUG_FILE_MAX_BUILD_ID];
	size_t build_id_len;
};

/* The most frames one address can give: deeper inline chains keep their outermost. */
#define MAX_FRAMES	     64
#define DEFAULT_MEMORY_LIMIT (256u << 20)

struct symbolizer {
	char *kallsyms_path;
	char *debug_root;
	bool demangle;
	bool inline_frames, lines;
	size_t memory_limit;

	/* DWARF index memory, all files, and how many unit indexes were dropped */
	size_t dwarf_bytes, dropped;
	/* raw DWARF name (its address: names live as long as their file) -> demangled id + 1 */
	struct u64_map dwarf_demangled;

	/* files by identity: open addressing, at most half full */
	struct file_entry **slots;
	size_t mask, count;
	/* the entry last looked up by inode, once settled: lookups come in runs of one file */
	struct file_entry *last;
	struct file_entry vdso;

	struct strtab *demangled; /* every demangled name, once */

	struct kallsyms *kallsyms;
	uint32_t *kernel_names;
	bool kallsyms_tried;

	struct perf_maps *perf_maps; /* JIT code names, per pid */
};

void symbolizer_options__init(struct symbolizer_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->kallsyms_path = NULL;
	opts->demangle = true;
}

struct symbolizer *symbolizer__new(const struct symbolizer_options *opts)
{
	struct symbolizer_options defaults;
	struct symbolizer *sym;

	if (!opts) {
		symbolizer_options__init(&defaults);
		opts = &defaults;
	}
	sym = xcalloc(1, sizeof(*sym));
	sym->kallsyms_path = xstrdup(opts->kallsyms_path ? opts->kallsyms_path : "/proc/kallsyms");
	sym->debug_root = xstrdup(opts->debug_root ? opts->debug_root : "/usr/lib/debug");
	sym->demangle = opts->demangle;
	sym->inline_frames = opts->inline_frames;
	sym->lines = opts->lines;
	sym->memory_limit = opts->memory_limit ? opts->memory_limit : DEFAULT_MEMORY_LIMIT;
	sym->mask = 63;
	sym->slots = xcalloc(sym->mask + 1, sizeof(*sym->slots));
	sym->demangled = strtab__new();
	sym->perf_maps = perf_maps__new(opts->perf_map_dir);
	return sym;
}

static void file_entry__release(struct file_entry *e)
{
	elf_symbols__free(e->syms);
	dwarf_info__free(e->dwarf);
	free(e->names);
	free(e->path);
}

void symbolizer__free(struct symbolizer *sym)
{
	size_t i;

	if (!sym)
		return;
	perf_maps__free(sym->perf_maps);
	for (i = 0; i <= sym->mask; i++) {
		if (!sym->slots[i])
			continue;
		file_entry__release(sym->slots[i]);
		free(sym->slots[i]);
	}
	free(sym->slots);
	u64_map__release(&sym->dwarf_demangled);
	file_entry__release(&sym->vdso);
	free(sym->kernel_names);
	kallsyms__free(sym->kallsyms);
	strtab__free(sym->demangled);
	free(sym->debug_root);
	free(sym->kallsyms_path);
	free(sym);
}

/* Identity: device and inode when the inode is known, else the path. */
static uint64_t key_hash(const struct sym_file_key *key)
{
	if (key->ino)
		return fs_hash_mix(key->ino ^ fs_hash_mix(key->dev + 0x9e3779b97f4a7c15ULL));
	return fs_hash_bytes(key->path, strlen(key->path), 0);
}

/* Size and mtime, where both sides know them, tell versions of one inode apart. */
static bool same_version(const struct file_entry *e, const struct sym_file_key *key)
{
	if (!key->size && !key->mtime_ns)
		return true;
	if (!e->size && !e->mtime_ns)
		return true;
	return e->size == key->size && e->mtime_ns == key->mtime_ns;
}

static bool key_equal(const struct file_entry *e, const struct sym_file_key *key)
{
	if (key->ino)
		return e->ino == key->ino && e->dev == key->dev && same_version(e, key);
	return !e->ino && !strcmp(e->path, key->path);
}

static void grow_table(struct symbolizer *sym)
{
	size_t old_mask = sym->mask, i;
	struct file_entry **old = sym->slots;

	sym->mask = 2 * old_mask + 1;
	sym->slots = xcalloc(sym->mask + 1, sizeof(*sym->slots));
	for (i = 0; i <= old_mask; i++) {
		size_t j;

		if (!old[i])
			continue;
		for (j = old[i]->hash & sym->mask; sym->slots[j]; j = (j + 1) & sym->mask)
			;
		sym->slots[j] = old[i];
	}
	free(old);
}

static struct file_entry *find_or_add(struct symbolizer *sym, const struct sym_file_key *key)
{
	uint64_t hash = key_hash(key);
	struct file_entry *e;
	size_t i;

	for (i = hash & sym->mask; sym->slots[i]; i = (i + 1) & sym->mask)
		if (sym->slots[i]->hash == hash && key_equal(sym->slots[i], key))
			return sym->slots[i];
	e = xcalloc(1, sizeof(*e));
	e->dev = key->ino ? key->dev : 0;
	e->ino = key->ino;
	e->size = key->size;
	e->mtime_ns = key->mtime_ns;
	e->path = xstrdup(key->path);
	e->hash = hash;
	sym->slots[i] = e;
	if (++sym->count * 2 > sym->mask)
		grow_table(sym);
	return e;
}

/*
 * A loaded entry with the same build-id as @e: the same binary seen under
 * another identity (another container's copy, a hard link, a reinstalled
 * package with identical content) is read once.
 */
static struct file_entry *same_build(struct symbolizer *sym, const struct file_entry *e)
{
	size_t i;

	if (!e->build_id_len)
		return NULL;
	for (i = 0; i <= sym->mask; i++) {
		struct file_entry *o = sym->slots[i];

		if (o && o != e && !o->same_as && o->syms && o->build_id_len == e->build_id_len &&
		    !memcmp(o->build_id, e->build_id, e->build_id_len))
			return o;
	}
	return NULL;
}

static void load_file(struct symbolizer *sym, struct file_entry *e, const struct sym_file_key *key)
{
	bool want_dwarf = sym->inline_frames || sym->lines;
	int fd, dwarf_fd = -1;
	struct stat st;

	open_attempts__add(&e->open, key->pid);
	fd = mapped_file__open_mapping(key->path, key->ino, key->pid, key->map_start, key->map_end);
	if (fd < 0) {
		/* another process that maps the same file may see it (another root): keep trying */
		fs_debug("symbolize: cannot open %s (pid %d): %s", key->path, (int)key->pid,
			 strerror(-fd));
		return;
	}
	e->open.final = true;
	if (!e->size && !e->mtime_ns && fstat(fd, &st) == 0) {
		/* the version read: a later key that knows another one gets an entry of its own */
		e->size = (uint64_t)st.st_size;
		e->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	e->build_id_len = debug_file__build_id(fd, e->build_id);
	e->same_as = same_build(sym, e);
	if (e->same_as) {
		fs_debug("symbolize: %s: same build-id as %s, read once", key->path,
			 e->same_as->path);
		close(fd);
		return;
	}
	e->syms = debug_file__load(fd, key->path, key->pid, sym->debug_root,
				   want_dwarf ? &dwarf_fd : NULL);
	if (!e->syms)
		fs_debug("symbolize: %s: not a usable ELF file: %s", key->path, strerror(errno));
	else if (!elf_symbols__count(e->syms))
		fs_debug("symbolize: %s: no function symbols", key->path);
	if (dwarf_fd >= 0) {
		e->dwarf = dwarf_info__open(dwarf_fd);
		if (!e->dwarf)
			fs_debug("symbolize: %s: no usable DWARF: %s", key->path, strerror(errno));
	} else if (want_dwarf && e->syms) {
		fs_debug("symbolize: %s: no DWARF (no .debug_info, no debug file)", key->path);
	}
	close(fd);
}

/* The vDSO: this process's own image names the "[vdso]" frames of the profiled ones. */
static void load_vdso(struct file_entry *e)
{
	size_t size;
	const void *image = vdso_image(&size);

	e->open.final = true;
	if (!image) {
		fs_debug("symbolize: this process has no vDSO");
		return;
	}
	e->syms = elf_symbols__from_memory(image, size);
	if (!e->syms)
		fs_debug("symbolize: cannot read the vDSO: %s", strerror(errno));
}

static const char *elf_name(const void *table, size_t idx)
{
	return elf_symbols__name(table, idx);
}

static const char *kernel_name(const void *table, size_t idx)
{
	return kallsyms__name(table, idx);
}

/*
 * The name to show for symbol @idx of @table, demangled once and cached in
 * @cache.  The cache is read first: a demangled name is found without
 * touching the raw one (lookups are mostly cache misses on large tables).
 */
static const char *display_name(struct symbolizer *sym, const void *table,
				const char *(*raw_name)(const void *table, size_t idx),
				uint32_t **cache, size_t count, size_t idx)
{
	const char *raw;
	uint32_t c;

	if (!sym->demangle)
		return raw_name(table, idx);
	if (!*cache)
		*cache = xcalloc(count, sizeof(**cache));
	c = (*cache)[idx];
	if (c == NAME_UNKNOWN) {
		char *d;

		raw = raw_name(table, idx);
		d = raw[0] == '_' ? demangle_symbol(raw) : NULL;
		c = NAME_RAW;
		if (d) {
			c = strtab__intern(sym->demangled, d, strlen(d)) + 2;
			free(d);
		}
		(*cache)[idx] = c;
	}
	if (c == NAME_RAW)
		return raw_name(table, idx);
	return strtab__str(sym->demangled, c - 2, NULL);
}

static struct file_entry *lookup_file(struct symbolizer *sym, const struct sym_file_key *file)
{
	const char *path = file->path;
	struct file_entry *e;

	e = sym->last;
	if (e && file->ino && e->ino == file->ino && e->dev == file->dev && same_version(e, file))
		return e->same_as ? e->same_as : e;
	if (!path || !path[0])
		return NULL;
	if (path[0] == '[') {
		/* [heap], [stack], [vsyscall], [uprobes]: no file behind them */
		if (strcmp(path, "[vdso]"))
			return NULL;
		if (!sym->vdso.open.final)
			load_vdso(&sym->vdso);
		return &sym->vdso;
	}
	if (!strcmp(path, "//anon"))
		return NULL;
	e = find_or_add(sym, file);
	if (open_attempts__may_try(&e->open, file->pid))
		load_file(sym, e, file);
	/* no other pid can change a settled entry: its inode's next lookup returns it at once */
	if (e->open.final && e->ino)
		sym->last = e;
	return e->same_as ? e->same_as : e;
}

const char *symbolizer__user(struct symbolizer *sym, const struct sym_file_key *file,
			     uint64_t file_offset)
{
	struct file_entry *e;
	uint64_t vaddr;
	long idx;

	if (!sym || !file)
		return NULL;
	e = lookup_file(sym, file);
	if (!e || !e->syms || elf_symbols__offset_to_vaddr(e->syms, file_offset, &vaddr) < 0)
		return NULL;
	idx = elf_symbols__find(e->syms, vaddr);
	if (idx < 0)
		return NULL;
	return display_name(sym, e->syms, elf_name, &e->names, elf_symbols__count(e->syms),
			    (size_t)idx);
}

static bool load_kernel(struct symbolizer *sym)
{
	if (!sym->kallsyms_tried) {
		sym->kallsyms_tried = true;
		sym->kallsyms = kallsyms__load(sym->kallsyms_path);
		if (!sym->kallsyms)
			fs_debug("symbolize: cannot read %s: %s", sym->kallsyms_path,
				 strerror(errno));
		else if (kallsyms__hidden(sym->kallsyms))
			fs_debug("symbolize: %s shows no addresses (kernel.kptr_restrict)",
				 sym->kallsyms_path);
	}
	return sym->kallsyms && kallsyms__count(sym->kallsyms);
}

const char *symbolizer__kernel(struct symbolizer *sym, uint64_t addr)
{
	long idx;

	if (!sym || !load_kernel(sym))
		return NULL;
	idx = kallsyms__find(sym->kallsyms, addr);
	if (idx < 0)
		return NULL;
	return display_name(sym, sym->kallsyms, kernel_name, &sym->kernel_names,
			    kallsyms__count(sym->kallsyms), (size_t)idx);
}

bool symbolizer__has_kernel_symbols(struct symbolizer *sym)
{
	return sym && load_kernel(sym);
}

const char *symbolizer__jit(struct symbolizer *sym, pid_t pid, uint64_t addr)
{
	return sym ? perf_maps__find(sym->perf_maps, pid, addr) : NULL;
}

bool symbolizer__add_jit_mapping(struct symbolizer *sym, pid_t pid, const char *path, uint64_t ino)
{
	int ret;

	if (!sym || !perf_map__is_jitdump_path(path))
		return false;
	ret = perf_maps__add_jitdump(sym->perf_maps, pid, path, ino);
	if (ret)
		fs_debug("symbolize: jitdump %s of pid %d not read: %s", path, (int)pid,
			 strerror(-ret));
	return true;
}

/* The display name of a raw DWARF name: demangled once per distinct name. */
static const char *dwarf_display_name(struct symbolizer *sym, const char *raw)
{
	uintptr_t v;
	char *d;
	uint32_t id;

	if (!raw || !sym->demangle || raw[0] != '_')
		return raw;
	v = (uintptr_t)u64_map__get(&sym->dwarf_demangled, (uintptr_t)raw);
	if (v)
		return v == UINTPTR_MAX ? raw
					: strtab__str(sym->demangled, (uint32_t)(v - 1), NULL);
	d = demangle_symbol(raw);
	if (!d) {
		u64_map__set(&sym->dwarf_demangled, (uintptr_t)raw, (void *)UINTPTR_MAX);
		return raw;
	}
	id = strtab__intern(sym->demangled, d, strlen(d));
	free(d);
	u64_map__set(&sym->dwarf_demangled, (uintptr_t)raw, (void *)((uintptr_t)id + 1));
	return strtab__str(sym->demangled, id, NULL);
}

static void account_dwarf(struct symbolizer *sym, struct file_entry *e)
{
	size_t now = dwarf_info__memory(e->dwarf);

	sym->dwarf_bytes += now - e->dwarf_bytes;
	e->dwarf_bytes = now;
}

static int cmp_use(const void *a, const void *b)
{
	const struct dwarf_unit_use *x = a, *y = b;

	return x->last_use < y->last_use ? -1 : x->last_use > y->last_use;
}

/*
 * Keep the DWARF indexes within the memory limit: past it, drop the least
 * recently used compilation units, of any file, down to three quarters of
 * the limit, so that going over again takes a quarter of it in new units
 * (dropping just enough would rebuild and drop a unit per lookup).  Names
 * and file names outlive the units: what lookups returned stays valid.
 */
static void enforce_memory_limit(struct symbolizer *sym)
{
	struct dwarf_unit_use *uses;
	size_t n = 0, i, target = sym->memory_limit / 4 * 3, freed = 0;
	uint64_t since;

	if (sym->dwarf_bytes <= sym->memory_limit)
		return;
	for (i = 0; i <= sym->mask; i++)
		if (sym->slots[i] && sym->slots[i]->dwarf)
			n += dwarf_info__units_indexed(sym->slots[i]->dwarf);
	if (!n)
		return;
	uses = xreallocarray(NULL, n, sizeof(*uses));
	n = 0;
	for (i = 0; i <= sym->mask; i++)
		if (sym->slots[i] && sym->slots[i]->dwarf)
			n += dwarf_info__unit_uses(sym->slots[i]->dwarf, uses + n);
	qsort(uses, n, sizeof(*uses), cmp_use);
	/* the oldest units whose sizes bring the total under the target */
	for (i = 0; i < n && sym->dwarf_bytes - freed > target; i++)
		freed += uses[i].bytes;
	since = i < n ? uses[i].last_use : UINT64_MAX;
	free(uses);
	sym->dropped += i;
	fs_debug("symbolize: dropping %zu of %zu DWARF unit indexes (%zu KiB, limit %zu MiB)", i, n,
		 freed >> 10, sym->memory_limit >> 20);
	for (i = 0; i <= sym->mask; i++) {
		struct file_entry *e = sym->slots[i];

		if (!e || !e->dwarf)
			continue;
		dwarf_info__drop_unused_since(e->dwarf, since);
		account_dwarf(sym, e);
	}
}

static size_t frames_at(struct symbolizer *sym, struct file_entry *e, uint64_t vaddr,
			struct sym_frame *frames, size_t max)
{
	struct dwarf_location locs[MAX_FRAMES];
	const char *symbol = NULL;
	size_t n = 0, i;
	long idx;

	if (!max)
		return 0;
	idx = elf_symbols__find_near(e->syms, vaddr, &e->sym_hint);
	if (idx >= 0)
		symbol = display_name(sym, e->syms, elf_name, &e->names,
				      elf_symbols__count(e->syms), (size_t)idx);
	if (e->dwarf) {
		enforce_memory_limit(sym);
		/* without inline frames, the outermost: the function the code belongs to */
		n = dwarf_info__lookup(e->dwarf, vaddr, true, locs,
				       sym->inline_frames ? (max < MAX_FRAMES ? max : MAX_FRAMES)
							  : MAX_FRAMES);
		account_dwarf(sym, e);
	}
	if (!n) {
		if (!symbol)
			return 0;
		frames[0] = (struct sym_frame){.name = symbol};
		if (!sym->demangle) {
			/* the raw name: its length is known (an addr2line of a .dynsym prints it)
			 */
			size_t len;

			elf_symbols__name_len(e->syms, (size_t)idx, &len);
			if (len < UINT16_MAX)
				frames[0].name_len = (uint16_t)len;
		}
		return 1;
	}
	if (!sym->inline_frames) {
		locs[0] = locs[n - 1];
		n = 1;
	}
	for (i = 0; i < n; i++) {
		frames[i] = (struct sym_frame){
			.name = dwarf_display_name(sym, locs[i].name),
			.inlined = i + 1 < n,
		};
		if (sym->lines && locs[i].file) {
			frames[i].file = locs[i].file;
			frames[i].line = locs[i].line;
		}
	}
	/* a function DWARF does not describe (assembly, a stub): the symbol table names it */
	if (!frames[n - 1].name)
		frames[n - 1].name = symbol;
	return n;
}

size_t symbolizer__file_frames(struct symbolizer *sym, const struct sym_file_key *file,
			       uint64_t vaddr, struct sym_frame *frames, size_t max)
{
	struct file_entry *e;

	if (!sym || !file)
		return 0;
	e = lookup_file(sym, file);
	if (!e || !e->syms)
		return 0;
	return frames_at(sym, e, vaddr, frames, max);
}

size_t symbolizer__user_frames(struct symbolizer *sym, const struct sym_file_key *file,
			       uint64_t file_offset, struct sym_frame *frames, size_t max)
{
	struct file_entry *e;
	uint64_t vaddr;

	if (!sym || !file)
		return 0;
	e = lookup_file(sym, file);
	if (!e || !e->syms || elf_symbols__offset_to_vaddr(e->syms, file_offset, &vaddr) < 0)
		return 0;
	return frames_at(sym, e, vaddr, frames, max);
}

void symbolizer__prepare(struct symbolizer *sym, const struct sym_file_key *file,
			 const uint64_t *vaddrs, size_t n)
{
	struct file_entry *e;
	long cpus;

	if (!sym || !file || !(sym->inline_frames || sym->lines))
		return;
	e = lookup_file(sym, file);
	if (!e || !e->dwarf)
		return;
	enforce_memory_limit(sym);
	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	dwarf_info__prepare(e->dwarf, vaddrs, n, cpus > 1 ? (unsigned int)cpus : 1);
	account_dwarf(sym, e);
}

void symbolizer__stats(const struct symbolizer *sym, struct symbolizer_stats *st)
{
	size_t i;

	memset(st, 0, sizeof(*st));
	if (!sym)
		return;
	for (i = 0; i <= sym->mask; i++) {
		const struct file_entry *e = sym->slots[i];

		if (!e || !e->syms)
			continue;
		st->files++;
		st->symbol_bytes += elf_symbols__memory(e->syms);
		if (e->dwarf) {
			st->dwarf_files++;
			st->dwarf_units += dwarf_info__units_indexed(e->dwarf);
		}
	}
	st->dwarf_bytes = sym->dwarf_bytes;
	st->dwarf_dropped = sym->dropped;
}
