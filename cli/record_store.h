/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_RECORD_STORE_H
#define FLAMESAMP_CLI_RECORD_STORE_H

/*
 * The recorder's profile database (-o profile.db): samples are aggregated
 * in the recorder's stack tables as for the other outputs (with pid and tid
 * always kept), and each sample's weight is also noted with its time
 * bucket.  About every second, record_store__commit() symbolizes the stacks
 * first seen since the last commit, inserts them, adds the weights noted
 * since, and commits: a recording killed half way leaves the database of
 * what it had seen up to its last commit.
 *
 *     rs = record_store__open(path, &meta, &out_opts);
 *     ... record_store__weigh() per sample ...
 *     record_store__commit(rs, tables, pt);    now and then
 *     record_store__finish(rs, tables, pt, &end);
 *     record_store__free(rs);
 *
 * Tables: [RECORD_STORE_MAIN] holds CPU samples, off-CPU time (--offcpu) or
 * allocations; [RECORD_STORE_OFFCPU] the off-CPU time of --hotcold (NULL
 * otherwise).  Functions print their problems; those returning int return
 * 0 or an exit code.
 */

#include <stdbool.h>
#include <stdint.h>

#include "cli/record_output.h"
#include "sampler/process_table.h"
#include "sampler/stack_table.h"
#include "store/profile_store.h"

enum { RECORD_STORE_MAIN, RECORD_STORE_OFFCPU, RECORD_STORE_TABLES };

/* samples.event values */
enum record_store_event { RECORD_EVENT_CPU, RECORD_EVENT_OFFCPU, RECORD_EVENT_MALLOC };

struct record_store;

/*
 * Create the database (not yet at @path: see profile_store.h) with @meta;
 * frames are named as @o says (demangling, inline frames, lines).  NULL
 * after printing why.
 */
struct record_store *record_store__open(const char *path, const struct store_meta *meta,
					const struct record_output_options *o);
/* NULL is fine.  Unfinished: what was committed stays (see profile_store__free()). */
void record_store__free(struct record_store *rs);

/* @weight more for entry @entry of table @table, at CLOCK_MONOTONIC @time_ns. */
void record_store__weigh(struct record_store *rs, unsigned table, size_t entry, uint64_t time_ns,
			 enum record_store_event event, uint64_t weight);

int record_store__commit(struct record_store *rs, struct stack_table *const *tables,
			 const struct process_table *pt);

/*
 * The last commit and the end of the recording.  @final_counts: the tables'
 * counts are the weights (--malloc=live, where frees take bytes back), all
 * in bucket 0 as @event, instead of the weights noted.
 */
int record_store__finish(struct record_store *rs, struct stack_table *const *tables,
			 const struct process_table *pt, const struct store_end *end,
			 bool final_counts, enum record_store_event event);

#endif
