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
 * A perf_map is immutable once built; perf_maps (a per-pid cache) is not
 * thread-safe.  Nothing is printed; failures go to fs_debug().
 */

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
 * The name of the code at @addr in process @pid, or NULL.  A file that
 * cannot be loaded is not tried again for that pid.
 */
const char *perf_maps__find(struct perf_maps *maps, pid_t pid, uint64_t addr);

#endif
