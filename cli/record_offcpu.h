/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FLAMESAMP_CLI_RECORD_OFFCPU_H
#define FLAMESAMP_CLI_RECORD_OFFCPU_H

/*
 * The recorder's off-CPU source (--offcpu, --hotcold): the BPF sched_switch
 * trace of bpf/offcpu_trace.h, fed into the sampler as external samples so
 * off-CPU stacks are unwound against the same process table, in time order,
 * as CPU samples are.  Each sample's period is the time blocked, in ns, and
 * its kind is RECORD_KIND_OFFCPU.
 *
 *     r = record_offcpu__open(&opts, &sampler_opts);   load; sets the sampler's hooks
 *     s = sampler__new(&sampler_opts);
 *     record_offcpu__attach(r, s);                      the command's pid, attach
 *     ... sampler__poll() / sampler__stop() call back into r ...
 *     record_offcpu__report(r);
 *     record_offcpu__free(r);
 */

#include <stdbool.h>

#include "bpf/offcpu_trace.h"
#include "sampler/sampler.h"

#define RECORD_KIND_OFFCPU 1

struct record_offcpu;

/*
 * Load the trace for @opts (its on_event and ctx are set here) and point
 * @so's external hooks at it; @so->ctx must be the context whose
 * on_external calls record_offcpu__drain().  NULL after printing why.
 */
struct record_offcpu *record_offcpu__open(const struct offcpu_options *opts,
					  struct sampler_options *so);
void record_offcpu__free(struct record_offcpu *r);

/* Trace the sampler's command, if any, and attach.  0, or -1 after printing why. */
int record_offcpu__attach(struct record_offcpu *r, struct sampler *s);

/* The sampler's on_external: hand over what the ring holds; at @final, everything. */
void record_offcpu__drain(struct record_offcpu *r, bool final);

void record_offcpu__stats(const struct record_offcpu *r, struct offcpu_stats *stats);

/* After recording: one line per kind of loss (drops, collisions, missing stacks). */
void record_offcpu__report(const struct record_offcpu *r);

#endif
