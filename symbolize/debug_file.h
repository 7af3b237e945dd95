/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_SYMBOLIZE_DEBUG_FILE_H
#define FLAMESAMP_SYMBOLIZE_DEBUG_FILE_H

/*
 * Symbols of a binary whose own .symtab was stripped, from its separate
 * debug file or its MiniDebugInfo.
 *
 * Tried in order, when the binary has no .symtab with functions (or, for
 * debug_file__load() with @dwarf_fd, no .debug_info):
 *   1. the build-id (NT_GNU_BUILD_ID note): DEBUG_ROOT/.build-id/xx/rest.debug,
 *      used when its own build-id is the same;
 *   2. .gnu_debuglink (a file name and the CRC-32 of that file): DIR/NAME,
 *      DIR/.debug/NAME and DEBUG_ROOT/DIR/NAME, where DIR is the binary's
 *      directory, used when the CRC matches;
 *   3. .gnu_debugdata: an xz-compressed ELF file whose .symtab adds what
 *      .dynsym lacks (mostly local functions), merged with .dynsym.
 * Every path is tried as it is, then under /proc/PID/root (a process in
 * another mount namespace), unless that root is this process's root.  A
 * debug file's symbols are placed with the binary's own PT_LOAD headers.
 *
 * Nothing is printed; what is tried and why it fails goes to fs_debug().
 */

#include <sys/types.h>

struct elf_symbols;

#define DEBUG_FILE_MAX_BUILD_ID 64

/* The build-id (NT_GNU_BUILD_ID) of the ELF file at @fd into @id: its length, or 0. */
size_t debug_file__build_id(int fd, unsigned char *id);

/*
 * The symbols of the binary open at @fd (@fd stays owned by the caller),
 * from the best source above, else from the binary alone, as
 * elf_symbols__open_fd() gives them.  @path is the binary's path as mapped
 * (" (deleted)" at its end is ignored), @pid a process that maps it (0 for
 * none), @debug_root the directory of installed debug files, normally
 * "/usr/lib/debug".  NULL and errno when the binary itself is unusable.
 */
struct elf_symbols *debug_file__load_symbols(int fd, const char *path, pid_t pid,
					     const char *debug_root);

/*
 * As debug_file__load_symbols(), and also a new descriptor in *@dwarf_fd
 * of the file that holds the binary's DWARF: the binary itself when it has
 * .debug_info, else its debug file (found as above) when that has it; -1
 * when neither.  The caller closes it.
 */
struct elf_symbols *debug_file__load(int fd, const char *path, pid_t pid, const char *debug_root,
				     int *dwarf_fd);

#endif
