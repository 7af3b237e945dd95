/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_PERF_MAP_H
#define FLAMESAMP_SYMBOLIZE_PERF_MAP_H

/*
 * Names of JIT-compiled code from perf map files, /tmp/perf-PID.map, as
 * Node.js (--perf-basic-prof), the JVM's perf-map-agent, LuaJIT, .NET and
 * others write them: one "START SIZE NAME" line per code object, START and
 * SIZE in hex ("0x" allowed), NAME the rest of the line (spaces included).
 *
 * The file is appended to while the program runs and code is moved or
 * replaced, so ranges overlap: where they do, the later line wins.  Lines
 * that do not parse, empty ranges, ranges above PERF_MAP_MAX_SIZE or past
 * the end of the address space, and names above PERF_MAP_MAX_NAME bytes are
 * skipped.  The content comes from the profiled program: names may hold any
 * byte but NUL and '\n'.
 *
 * Which file, and whose (perf_map__load):
 *   - the process is alive: DIR/perf-NSPID.map under /proc/PID/root, NSPID
 *     being its pid in its own pid namespace (the last "NSpid:" field of
 *     /proc/PID/status), so a process in a container is found; the file must
 *     belong to root or to the process's effective uid ("Uid:" of status).
 *   - the process is gone (Node's file stays after it exits): DIR/perf-PID.map,
 *     owned by root or by the user running this code, as perf accepts it:
 *     there is no process left to compare with.  A process that ran in a
 *     container and has exited is not found.
 * The file must be a regular file and is not followed through a symbolic
 * link (a link planted in /tmp would otherwise lead to any file its target's
 * owner can read).
 *
 * jitdump files (perf's tools/perf/util/jitdump.h format, as Node's
 * --perf-prof, the JVM's and others' jitdump agents write them) give the same
 * ranges from JIT_CODE_LOAD and JIT_CODE_MOVE records.  Where they are is not
 * fixed (V8 writes jit-PID.dump in its working directory): the JIT maps the
 * file executable so that profilers see it among its mappings, and that is
 * how callers find it and hand it over (perf_maps__add_jitdump()).  Debug
 * info, unwinding info and the code bytes themselves are not used.
 *
 * A perf_map is immutable once built; perf_maps (a per-pid cache) is not
 * thread-safe.  Nothing is printed; failures go to fs_debug().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Larger code objects do not exist; such a line is garbage that would cover everything. */
#define PERF_MAP_MAX_SIZE (1ULL << 30)
#define PERF_MAP_MAX_NAME 4096

/* ---- one map file ---- */

struct perf_map;

/* Parse perf map text held in memory; @data need not be NUL-terminated.  Does not fail. */
struct perf_map *perf_map__parse(const char *data, size_t len);
/*
 * The map of process @pid under @dir (NULL for "/tmp"), chosen and checked as
 * described above.  NULL and errno: ENOENT (no file), EPERM (wrong owner, or
 * not a regular file), or what open/read gave.
 */
struct perf_map *perf_map__load(const char *dir, pid_t pid);
void perf_map__free(struct perf_map *map);

/*
 * Parse jitdump data held in memory.  Either byte order; a bad header gives
 * an empty map, a record cut short (the JIT still writing) ends the data,
 * unusable records are skipped.  Does not fail.
 */
struct perf_map *perf_map__parse_jitdump(const void *data, size_t len);
/* Whether @path names a jitdump file: its basename is "jit-DIGITS.dump". */
bool perf_map__is_jitdump_path(const char *path);
/*
 * Read the jitdump file a process mapped as @path (mapped_file__open():
 * through /proc/@pid/root when the path is not there, a regular file whose
 * inode is @ino when that is not 0).  NULL and errno when it cannot be read.
 */
struct perf_map *perf_map__load_jitdump(const char *path, uint64_t ino, pid_t pid);

/* Number of disjoint ranges kept (after overlaps are resolved). */
size_t perf_map__count(const struct perf_map *map);
/* The name of the code holding @addr, or NULL; valid until perf_map__free(). */
const char *perf_map__find(const struct perf_map *map, uint64_t addr);

/* ---- per-process cache ---- */

struct perf_maps;

/* Maps of @dir (NULL for "/tmp"), each loaded on its pid's first lookup. */
struct perf_maps *perf_maps__new(const char *dir);
void perf_maps__free(struct perf_maps *maps);

/*
 * Read the jitdump file @pid mapped as @path (inode @ino, 0 if unknown) and
 * name @pid's JIT code from it too, ahead of the perf map.  Adding a path
 * again reads it again if its size changed (the JIT appends to it), else
 * does nothing.  0, or -errno: -EINVAL (not a jitdump name), or why it
 * could not be read.
 */
int perf_maps__add_jitdump(struct perf_maps *maps, pid_t pid, const char *path, uint64_t ino);

/*
 * The name of the code at @addr in process @pid, or NULL: from its jitdump
 * files, newest added first, then its perf map.  A perf map that cannot be
 * loaded is not tried again for that pid.
 */
const char *perf_maps__find(struct perf_maps *maps, pid_t pid, uint64_t addr);

#endif
