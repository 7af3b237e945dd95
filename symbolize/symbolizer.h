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
 * (device and inode, else path) for the life of the symbolizer.  With an
 * inode in the key, a file whose inode differs is not used (it was replaced
 * since it was mapped): PATH is tried, then /proc/PID/root/PATH.  A file
 * that has no symbols or is not ELF is remembered as such; one that cannot
 * be opened (or is not the mapped inode) is tried again only for another
 * pid, at most 4 times in all (another process may see it in its root), so
 * a missing file costs a few failed opens, not one per lookup.  Symbols are
 * copied out at load: no file descriptor or mapping stays open.  A file
 * without .symtab takes its symbols from its separate debug file (build-id
 * or .gnu_debuglink, under debug_root) or its MiniDebugInfo (debug_file.h).
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
	const char *path; /* as mapped, e.g. "/usr/lib/x86_64-linux-gnu/libc.so.6" */
	uint64_t dev;	  /* makedev(major, minor); 0 when unknown */
	uint64_t ino;	  /* 0 when unknown */
	pid_t pid;	  /* a process that mapped it: /proc/PID/root/PATH is tried
			   * when PATH does not lead to the same inode (containers,
			   * chroots); 0 for none */
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
};

/* The defaults: /proc/kallsyms, demangling on, /usr/lib/debug. */
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
 * DSO_ANON frame), from the process's perf map file: /tmp/perf-PID.map, or
 * perf_map_dir; for a process in a container, the file in its own /tmp, by
 * its namespace pid.  The file is read on the first lookup for @pid and must
 * belong to root or to the process's user (perf_map.h says which user when
 * the process has exited).  NULL when there is no such file or no line
 * covers @addr.  Names are as the file has them: untrusted bytes.
 */
const char *symbolizer__jit(struct symbolizer *sym, pid_t pid, uint64_t addr);

#endif
