/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_RECORD_OUTPUT_H
#define FLAMESAMP_CLI_RECORD_OUTPUT_H

/*
 * The end of a recording: symbolize each distinct stack once, name frames
 * the way perf script + stackcollapse-perf do, and write folded stacks or
 * the SVG.
 */

#include <stdbool.h>

#include "cli/render_options.h"
#include "common/output_file.h"
#include "sampler/process_table.h"
#include "sampler/stack_table.h"

enum record_format {
	RECORD_FORMAT_AUTO,
	RECORD_FORMAT_SVG,
	RECORD_FORMAT_FOLDED,
};

struct record_output_options {
	enum record_format format;
	bool with_pid, with_tid; /* "comm-PID" / "comm-PID/TID" */
	bool no_demangle;	 /* keep C++ and Rust names as the binary spells them */
	bool no_inline;		 /* no DWARF inline frames */
	bool lines;		 /* "name file.c:LINE" frames */
	/*
	 * --max-stack: the innermost frames kept, as shown (an address can
	 * stand for a chain of inlined calls); 0: all
	 */
	size_t max_frames;
	size_t symbol_memory; /* bound on DWARF indexes, bytes; 0: the default */
	const char *output;   /* path, or "-" */
	/* 0 or 1: counts as added; else multiplied by it and rounded (ns -> us: 1e-3) */
	double count_scale;
	struct render_args *render;
};

/*
 * Write @stacks, and @offcpu_stacks (may be NULL) with every frame
 * annotated _[o] for hot/cold graphs, to @of (consumed: committed or
 * aborted).  Under sudo the file is given to SUDO_UID/SUDO_GID.  Prints
 * problems; returns an exit code.
 */
int record_output__write(const struct record_output_options *o, struct stack_table *stacks,
			 struct stack_table *offcpu_stacks, const struct process_table *pt,
			 struct output_file *of);

/*
 * Live naming (flamesamp top): stacks named as they appear, with one
 * symbolizer kept open and each (file, offset) symbolized once, the same
 * names record_output__write() gives.  @o (kept, not copied: it must outlive
 * the namer) gives demangling, inline frames, lines and --pid / --tid; its
 * output fields are not used.  @pt is the sampler's table, borrowed.
 */
struct record_namer;
struct record_namer *record_namer__new(const struct record_output_options *o,
				       const struct process_table *pt);
/* NULL does nothing. */
void record_namer__free(struct record_namer *n);

/* Symbolize entries [@from, @to) of @stacks: before they are folded. */
void record_namer__add(struct record_namer *n, struct stack_table *stacks, size_t from, size_t to);

struct strbuf;
/* @e as record_output__write() folds it, "comm;outermost;...;leaf", into @sb (reset first). */
void record_namer__fold(struct record_namer *n, const struct stack_entry *e, struct strbuf *sb);

/* Open @path with the desktop's opener (xdg-open), as the invoking user under sudo. */
void record_output__open_viewer(const char *path);

#endif
