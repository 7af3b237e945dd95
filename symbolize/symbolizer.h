/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_SYMBOLIZER_H
#define FLAMESAMP_SYMBOLIZE_SYMBOLIZER_H

/*
 * Address to function name.
 *
 * User frames arrive as (mapped file, file offset): the sampler resolves a
 * virtual address through the process's mappings at the time of the sample
 * (off = addr - map_start + pgoff), so symbolization needs neither the pid
 * nor the process to be alive, and one cache entry serves every process that
 * maps the file.  The file offset is turned into an ELF virtual address with
 * the PT_LOAD program header that contains it (this is the PIE / shared
 * object load bias), then looked up in .symtab, else .dynsym (see
 * elf_symbols.h for which symbol covers an address).
 *
 * Kernel frames are kernel virtual addresses, looked up in /proc/kallsyms,
 * read on first use (kallsyms.h).
 *
 * Files are opened lazily, on the first lookup, and cached by identity
 * (device, inode, and size and mtime where the key gives them; else path)
 * for the life of the symbolizer; a file whose build-id is that of a file
 * already read (another container's copy of a library) shares its tables.
 * With an inode in the key, a file whose inode differs is not used (it was replaced
 * since it was mapped): PATH is tried, then /proc/PID/root/PATH.  A file
 * that has no symbols or is not ELF is remembered as such; one that cannot
 * be opened (or is not the mapped inode) is tried again only for another
 * pid, at most 4 times in all (another process may see it in its root), so
 * a missing file costs a few failed opens, not one per lookup.  Symbols are
 * copied out at load: no mapping stays open, and a descriptor only for a
 * file whose DWARF is in use.  A file without .symtab takes its symbols
 * from its separate debug file (build-id or .gnu_debuglink, under
 * debug_root, or debuginfod when DEBUGINFOD_URLS is set) or its
 * MiniDebugInfo (debug_file.h).
 *
 * DWARF (inline frames, lines) is read only when asked for, from the file
 * or its debug file, indexed one compilation unit at a time as addresses
 * reach it (dwarf_info.h); the indexes are bounded by memory_limit.
 *
 * Special paths: "[vdso]" is symbolized from this process's own vDSO image
 * (every process on a kernel maps the same one, for its word size); other
 * "[...]" names ([heap], [stack], [vsyscall]), "//anon" and "" have no
 * symbols.  " (deleted)" at the end of a path is dropped and the inode must
 * match (a deleted file still reachable through another link is found);
 * without an inode in the key, such a path gives nothing.
 *
 * Names: with demangling on, C++ (Itanium) and Rust (legacy and v0) names
 * are demangled without parameter lists, then cut at the first '(' that
 * does not open "(anonymous namespace)", as stackcollapse-perf.pl does:
 * "ns::S::method", "mycrate::example" (demangle.h).  Other names are
 * returned as the file has them.  Names come from the profiled program and
 * may hold any byte but NUL (';', spaces, newlines, control characters):
 * the caller escapes what its output format cannot carry.
 *
 * Not thread-safe: one symbolizer per thread.  Returned strings stay valid
 * until symbolizer__free().  Nothing is printed; failures are reported with
 * fs_debug() (common/log.h).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Identity of a mapped file, as MMAP2 records and /proc/PID/maps give it. */
struct sym_file_key {
	const char *path;	     /* as mapped, e.g. "/usr/lib/x86_64-linux-gnu/libc.so.6" */
	uint64_t dev;		     /* makedev(major, minor); 0 when unknown */
	uint64_t ino;		     /* 0 when unknown */
	pid_t pid;		     /* a process that mapped it: /proc/PID/root/PATH is tried
				      * when PATH does not lead to the same inode (containers,
				      * chroots); 0 for none */
	uint64_t map_start, map_end; /* one mapping of the file in pid: last resort,
				      * /proc/PID/map_files/START-END reaches a file
				      * deleted or replaced since; 0 when unknown */
	/*
	 * The file's size and modification time (ns since the epoch) when the
	 * caller knows them, else 0: with them the identity is device, inode,
	 * size and mtime, so a file rewritten in place (same inode) is read
	 * again, not answered from what its earlier content gave.
	 */
	uint64_t size;
	int64_t mtime_ns;
};

struct symbolizer_options {
	/* kallsyms file to read; NULL means "/proc/kallsyms" (tests pass a fixture) */
	const char *kallsyms_path;
	/* C++ and Rust names are demangled, without parameter lists */
	bool demangle;
	/* installed debug files (.build-id/xx/rest.debug, DIR/NAME); NULL means "/usr/lib/debug" */
	const char *debug_root;
	/* where JIT compilers write perf-PID.map files; NULL means "/tmp" (perf_map.h) */
	const char *perf_map_dir;
	/*
	 * DWARF: inline frames (symbolizer__user_frames() returns the chain of
	 * functions inlined at an address) and source lines.  With both off,
	 * DWARF is never read: only symbol tables.
	 */
	bool inline_frames;
	bool lines;
	/*
	 * Bound on the DWARF indexes kept (bytes; 0 means the default, 256 MiB):
	 * past it, the least recently used compilation units' indexes, of any
	 * file, are dropped (down to 3/4 of it) and built again if needed.
	 * Symbol tables and function names are always kept.
	 */
	size_t memory_limit;
};

/* One function at an address: a frame of a flame graph. */
struct sym_frame {
	const char *name;  /* display name (demangled when asked); NULL when unknown */
	const char *file;  /* source file as DWARF names it, or NULL (lines off, or no line) */
	unsigned int line; /* 0 when unknown */
	bool inlined;	   /* inlined into the next frame (frames[i + 1]) */
	/* strlen(name) when the symbolizer knew it (and it is below 65535), else 0 */
	uint16_t name_len;
};

/* Figures for -v: what the symbolizer holds. */
struct symbolizer_stats {
	size_t files;	      /* ELF files opened */
	size_t dwarf_files;   /* of which with DWARF indexed */
	size_t dwarf_units;   /* compilation units indexed (and not dropped) */
	size_t symbol_bytes;  /* memory of the symbol tables */
	size_t dwarf_bytes;   /* memory of the DWARF indexes */
	size_t dwarf_dropped; /* unit indexes dropped to stay within memory_limit */
};

/* The defaults: /proc/kallsyms, demangling on, /usr/lib/debug, no DWARF. */
void symbolizer_options__init(struct symbolizer_options *opts);

struct symbolizer;

/*
 * NULL options means defaults (demangle on, /proc/kallsyms).  Reads nothing
 * yet, and does not fail (memory comes from xalloc.h).
 */
struct symbolizer *symbolizer__new(const struct symbolizer_options *opts);
void symbolizer__free(struct symbolizer *sym);

/*
 * The function of @file containing @file_offset, or NULL when there is none
 * (no symbol covers it, the offset is in no PT_LOAD segment, or the file
 * cannot be read).  Callers pass the return address minus one for every
 * frame but the sampled pc.  @file (its path included) is only read during
 * the call.  NULL @sym or @file give NULL.
 */
const char *symbolizer__user(struct symbolizer *sym, const struct sym_file_key *file,
			     uint64_t file_offset);

/*
 * Every function at @file_offset, innermost first: with inline_frames on,
 * frames[0] is the innermost function inlined there and frames[n - 1] the
 * function the code belongs to (the same name symbolizer__user() gives,
 * when the symbol table has one); with it off, only that last frame.  With
 * lines on, frames[0] has the source line of the address and each outer
 * frame the line of the call that was inlined.  Fills at most @max frames
 * (the outermost ones are kept when there are more) and returns how many:
 * 0 when nothing is known.  Strings stay valid until symbolizer__free().
 */
size_t symbolizer__user_frames(struct symbolizer *sym, const struct sym_file_key *file,
			       uint64_t file_offset, struct sym_frame *frames, size_t max);

/*
 * As symbolizer__user_frames(), for an ELF virtual address of @file (as
 * addr2line takes them: the address in the file's own link-time layout,
 * not in a process).
 */
size_t symbolizer__file_frames(struct symbolizer *sym, const struct sym_file_key *file,
			       uint64_t vaddr, struct sym_frame *frames, size_t max);

/*
 * Index, now and on several threads, the DWARF of @file covering the @n
 * ELF virtual addresses @vaddrs, before looking them up one by one: many
 * addresses spread over a large binary are then symbolized in a fraction
 * of the time.  Optional; does nothing when DWARF is off.
 */
void symbolizer__prepare(struct symbolizer *sym, const struct sym_file_key *file,
			 const uint64_t *vaddrs, size_t n);

/* What is held now, for -v. */
void symbolizer__stats(const struct symbolizer *sym, struct symbolizer_stats *stats);

/*
 * The kernel function containing @addr, or NULL (below the first symbol,
 * kallsyms unreadable, or the addresses hidden by kernel.kptr_restrict).
 * Module symbols included, named without their module.  kallsyms has no
 * sizes: a symbol covers everything up to the next one.
 */
const char *symbolizer__kernel(struct symbolizer *sym, uint64_t addr);

/* Whether kernel addresses can be symbolized at all (kallsyms readable and not all zero). */
bool symbolizer__has_kernel_symbols(struct symbolizer *sym);

/*
 * The JIT-compiled function of process @pid at virtual address @addr (a
 * DSO_ANON frame), from its jitdump files (symbolizer__add_jit_mapping()),
 * then from the process's perf map file: /tmp/perf-PID.map, or
 * perf_map_dir; for a process in a container, the file in its own /tmp, by
 * its namespace pid.  The file is read on the first lookup for @pid and must
 * belong to root or to the process's user (perf_map.h says which user when
 * the process has exited).  NULL when there is no such file or no line
 * covers @addr.  Names are as the file has them: untrusted bytes.
 */
const char *symbolizer__jit(struct symbolizer *sym, pid_t pid, uint64_t addr);

/*
 * Tell the symbolizer of a file process @pid maps (@path as its mappings
 * name it, inode @ino or 0): when it is a jitdump file ("jit-PID.dump",
 * perf_map.h), which JITs map so that profilers find it, it is read and
 * names @pid's JIT code from then on, ahead of the perf map.  Returns
 * whether @path was a jitdump name (read or not: failures go to fs_debug()).
 */
bool symbolizer__add_jit_mapping(struct symbolizer *sym, pid_t pid, const char *path, uint64_t ino);

#endif
