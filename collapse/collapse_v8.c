// SPDX-License-Identifier: Apache-2.0
/*
 * V8 CPU profiles (Chrome DevTools, `node --cpu-prof`) to folded stacks.
 *
 * Accepted inputs, told apart by their JSON shape:
 *   - .cpuprofile: {nodes: [{id, callFrame, children | parent}], samples,
 *     timeDeltas} (Chrome, Node.js >= 12);
 *   - the older tree form {head: {id, functionName, url, lineNumber,
 *     children: [node...]}, samples, timestamps} (v8-profiler, Node.js 10);
 *   - Chrome trace files, an array of trace events or {traceEvents: [...]},
 *     holding "CpuProfile" events (a whole profile) or a "Profile" event
 *     followed by "ProfileChunk" events (nodes, samples and timeDeltas in
 *     pieces), matched by id, else by pid:tid.  Every profile in the file
 *     (one per thread or worker) is added to the same output.
 *
 * Weights are time in microseconds, not sample counts, because V8 samples at
 * an uneven rate (and not at all while its sampler thread waits for a CPU).
 * A sample weighs the time since the sample before it: V8 stamps a sample
 * when it takes it, so the stack it records is the one that ran up to that
 * moment, and after the thread was preempted the gap belongs to the stack
 * it resumes in.  This is how perf weighs samples by period.  Chrome
 * DevTools' flame chart and speedscope (src/import/chrome.ts) instead give
 * a sample the time until the next one; totals are the same (the first
 * sample, whose delta counts from profiler start, gets no time, as
 * speedscope gives the last none), and a stack's weight differs from
 * theirs by an interval at each change of stack.  Measured on a program
 * with a 6:3:1 split on a loaded machine, this way matched the program's
 * own clock twice as closely.  Timestamps that go backwards are held at the
 * latest time seen, as speedscope does.
 *
 * Frames: "NAME URL:LINE:COL", NAME being the function name or "(anonymous)",
 * LINE and COL counted from 1 (V8 counts from 0), as DevTools shows them.
 * The location is the function's definition, so two functions that share a
 * name stay apart while calls of one function from different places merge.
 * Parts V8 does not know are left out: native frames such as "(program)",
 * "(garbage collector)" and "(idle)" are the bare name, kept as frames of
 * their own at the root, and a script without a URL gives "NAME :LINE:COL".
 * The "(root)" node and V8's "native dummy.js" placeholder are dropped.
 *
 * Hostile input: the JSON nesting depth is capped (json-c frees objects
 * recursively), the node tree is walked with loops, parent links that form a
 * cycle, time overflows and stacks of more than 4 GiB in all are errors.
 */
#include "collapse/collapse.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "collapse/frame_name.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/strtab.h"
#include "common/xalloc.h"

/*
 * JSON nesting limit.  A tree-form profile nests two levels per call depth and
 * V8 stacks stop near 12k frames; json-c frees objects recursively, and 64k
 * levels still fit in an 8 MiB stack with ASan's larger frames.
 */
#define MAX_JSON_DEPTH 65536

#define NO_FRAME UINT32_MAX

/*
 * Refuse a profile whose folded stacks would exceed this much text: a few
 * megabytes of hostile nodes can describe terabytes of stacks.
 */
#define MAX_STACK_TEXT ((uint64_t)4 << 30)

struct int_vec {
	int64_t *v;
	size_t n, cap;
};

static void int_vec__push(struct int_vec *iv, int64_t x)
{
	if (iv->n == iv->cap) {
		iv->cap = fs_grow_capacity(iv->cap, iv->n + 1);
		iv->v = xreallocarray(iv->v, iv->cap, sizeof(*iv->v));
	}
	iv->v[iv->n++] = x;
}

/* One profile as read from the file, before its nodes are linked up. */
struct v8_profile {
	json_object **nodes; /* node objects, borrowed from the parsed document */
	size_t n_nodes, cap_nodes;
	struct int_vec samples; /* node ids */
	struct int_vec times;	/* timeDeltas, or absolute timestamps */
	bool absolute_times;
	bool tree_form; /* nodes hold their children as objects (head form) */
};

static void v8_profile__release(struct v8_profile *p)
{
	free(p->nodes);
	free(p->samples.v);
	free(p->times.v);
	memset(p, 0, sizeof(*p));
}

static void v8_profile__add_node(struct v8_profile *p, json_object *node)
{
	if (p->n_nodes == p->cap_nodes) {
		p->cap_nodes = fs_grow_capacity(p->cap_nodes, p->n_nodes + 1);
		p->nodes = xreallocarray(p->nodes, p->cap_nodes, sizeof(*p->nodes));
	}
	p->nodes[p->n_nodes++] = node;
}

static json_object *get(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static json_object *get_array(json_object *obj, const char *key)
{
	json_object *v = get(obj, key);

	return json_object_is_type(v, json_type_array) ? v : NULL;
}

/* An integral JSON number into *out; false for anything else. */
static bool get_int(json_object *v, int64_t *out)
{
	double d;

	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		d = json_object_get_double(v);
		if (!isfinite(d) || d != floor(d) || d < -9.2e18 || d > 9.2e18)
			return false;
		*out = (int64_t)d;
		return true;
	}
	return false;
}

static const char *get_string(json_object *obj, const char *key, size_t *len)
{
	json_object *v = get(obj, key);

	if (!json_object_is_type(v, json_type_string)) {
		*len = 0;
		return "";
	}
	*len = json_object_get_string_len(v);
	return json_object_get_string(v);
}

/* Append every integer of the JSON array @arr to @iv. */
static int append_ints(struct int_vec *iv, json_object *arr, const char *what)
{
	size_t i, n = json_object_array_length(arr);
	int64_t x;

	for (i = 0; i < n; i++) {
		if (!get_int(json_object_array_get_idx(arr, i), &x)) {
			fs_warn("v8: %s[%zu] is not an integer", what, i);
			return -EINVAL;
		}
		int_vec__push(iv, x);
	}
	return 0;
}

/* Add the nodes, samples and timeDeltas of a .cpuprofile object to @p. */
static int add_cpuprofile(struct v8_profile *p, json_object *prof, json_object *time_deltas)
{
	json_object *nodes = get_array(prof, "nodes");
	json_object *samples = get_array(prof, "samples");
	size_t i, n;
	int err = 0;

	if (nodes) {
		n = json_object_array_length(nodes);
		for (i = 0; i < n; i++)
			v8_profile__add_node(p, json_object_array_get_idx(nodes, i));
	}
	if (samples)
		err = append_ints(&p->samples, samples, "samples");
	if (!err && time_deltas)
		err = append_ints(&p->times, time_deltas, "timeDeltas");
	return err;
}

/* Old tree form: flatten head's tree, depth first, without recursion. */
static int add_tree_profile(struct v8_profile *p, json_object *root)
{
	json_object **pending = NULL;
	size_t n_pending = 0, cap_pending = 0, i, n;
	json_object *samples = get_array(root, "samples");
	json_object *stamps = get_array(root, "timestamps");
	int err = 0;

	p->tree_form = true;
	p->absolute_times = true;
	pending = xreallocarray(NULL, cap_pending = 64, sizeof(*pending));
	pending[n_pending++] = get(root, "head");
	while (n_pending) {
		json_object *node = pending[--n_pending], *children;

		if (!json_object_is_type(node, json_type_object)) {
			fs_warn("v8: a node of the profile tree is not an object");
			err = -EINVAL;
			goto out;
		}
		v8_profile__add_node(p, node);
		children = get_array(node, "children");
		n = children ? json_object_array_length(children) : 0;
		if (n_pending + n > cap_pending) {
			cap_pending = fs_grow_capacity(cap_pending, n_pending + n);
			pending = xreallocarray(pending, cap_pending, sizeof(*pending));
		}
		for (i = n; i-- > 0;)
			pending[n_pending++] = json_object_array_get_idx(children, i);
	}
	if (samples)
		err = append_ints(&p->samples, samples, "samples");
	if (!err && stamps)
		err = append_ints(&p->times, stamps, "timestamps");
	/*
	 * One time stamp more than samples: the first is the profile's start
	 * (it equals the .cpuprofile startTime of the same run), and sample i was
	 * taken at timestamps[i + 1].  Read so, a Node 10 profile gives the same
	 * stacks as the Chrome form of the same run.
	 */
	if (!err && p->times.n == p->samples.n + 1) {
		memmove(p->times.v, p->times.v + 1, (p->times.n - 1) * sizeof(*p->times.v));
		p->times.n--;
	}
out:
	free(pending);
	return err;
}

/* A node, linked: index of its parent (or -1) and its frame name. */
struct v8_node {
	int64_t id;
	ssize_t parent;
	uint32_t frame; /* strtab id, NO_FRAME for nodes that are not shown */
};

struct id_index {
	int64_t id;
	size_t index;
};

static int cmp_id_index(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static ssize_t find_node(const struct id_index *ids, size_t n, int64_t id)
{
	struct id_index key = {.id = id}, *e;

	e = bsearch(&key, ids, n, sizeof(*ids), cmp_id_index);
	return e ? (ssize_t)e->index : -1;
}

/* Intern the frame name of @node ("NAME URL:LINE:COL", see the top comment). */
static uint32_t node_frame(json_object *node, struct strtab *frames, struct strbuf *sb)
{
	json_object *cf = get(node, "callFrame");
	const char *name, *url;
	size_t name_len, url_len;
	int64_t line = -1, col = -1;

	if (!cf)
		cf = node; /* tree form: the call frame fields are on the node */
	name = get_string(cf, "functionName", &name_len);
	url = get_string(cf, "url", &url_len);
	if (name_len == 6 && !memcmp(name, "(root)", 6))
		return NO_FRAME;
	/* V8 pads some profiles with a placeholder script; it is not user code */
	if (url_len == 15 && !memcmp(url, "native dummy.js", 15))
		return NO_FRAME;
	if (!get_int(get(cf, "lineNumber"), &line))
		line = -1;
	if (!get_int(get(cf, "columnNumber"), &col))
		col = -1;

	strbuf_reset(sb);
	if (name_len)
		frame_name__add(sb, name, name_len);
	else
		strbuf_addstr(sb, "(anonymous)");
	if (url_len || line >= 0) {
		strbuf_addch(sb, ' ');
		frame_name__add(sb, url, url_len);
		if (line >= 0 && line < INT64_MAX)
			strbuf_addf(sb, ":%" PRId64, line + 1);
		if (line >= 0 && col >= 0 && col < INT64_MAX)
			strbuf_addf(sb, ":%" PRId64, col + 1);
	}
	return strtab__intern(frames, sb->buf, sb->len);
}

/*
 * Weight of each sample: the time since the previous sample, on a clock made
 * of the running sum of the deltas (or the timestamps as given) that never
 * goes backwards.  The first sample gets no time (see the top comment).
 */
static int sample_weights(const struct v8_profile *p, double *weights)
{
	size_t i, n = p->samples.n;
	int64_t t = 0, latest = 0, prev;

	if (p->times.n < n) {
		fs_warn("v8: %zu samples but only %zu %s", n, p->times.n,
			p->absolute_times ? "timestamps" : "timeDeltas");
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (p->absolute_times || i == 0)
			t = p->times.v[i];
		else if (__builtin_add_overflow(t, p->times.v[i], &t)) {
			fs_warn("v8: timeDeltas overflow at sample %zu", i);
			return -EINVAL;
		}
		prev = latest;
		if (i == 0 || t > latest)
			latest = t;
		weights[i] = i ? (double)latest - (double)prev : 0;
	}
	return 0;
}

/*
 * Fill in @nodes and the sorted @ids.  A parent id that is not in the profile
 * is counted in *lost_parents and the node becomes a root: Chrome writes such
 * nodes when it drops a ProfileChunk, and speedscope shows them that way.
 */
static int link_nodes(const struct v8_profile *p, struct v8_node *nodes, struct id_index *ids,
		      struct strtab *frames, size_t *lost_parents)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, j, n = p->n_nodes;
	int64_t *parent_ids = xcalloc(n ? n : 1, sizeof(*parent_ids));
	bool *has_parent = xcalloc(n ? n : 1, sizeof(*has_parent));
	int err = 0;

	for (i = 0; i < n; i++) {
		json_object *node = p->nodes[i];

		if (!json_object_is_type(node, json_type_object) ||
		    !get_int(get(node, "id"), &nodes[i].id)) {
			fs_warn("v8: node %zu has no integer id", i);
			err = -EINVAL;
			goto out;
		}
		nodes[i].parent = -1;
		nodes[i].frame = node_frame(node, frames, &sb);
		ids[i].id = nodes[i].id;
		ids[i].index = i;
		has_parent[i] = get_int(get(node, "parent"), &parent_ids[i]);
	}
	qsort(ids, n, sizeof(*ids), cmp_id_index);

	for (i = 0; i < n; i++) {
		json_object *children;
		size_t n_children;

		if (has_parent[i]) {
			nodes[i].parent = find_node(ids, n, parent_ids[i]);
			if (nodes[i].parent < 0)
				(*lost_parents)++;
		}
		children = get_array(p->nodes[i], "children");
		n_children = children ? json_object_array_length(children) : 0;
		for (j = 0; j < n_children; j++) {
			json_object *c = json_object_array_get_idx(children, j);
			int64_t child_id;
			ssize_t child;

			if (p->tree_form) {
				if (!get_int(get(c, "id"), &child_id)) {
					fs_warn("v8: a child of node %" PRId64 " has no integer id",
						nodes[i].id);
					err = -EINVAL;
					goto out;
				}
			} else if (!get_int(c, &child_id)) {
				fs_warn("v8: node %" PRId64 " has a child that is not a node id",
					nodes[i].id);
				err = -EINVAL;
				goto out;
			}
			child = find_node(ids, n, child_id);
			if (child < 0) {
				fs_warn("v8: node %" PRId64 " has an unknown child %" PRId64,
					nodes[i].id, child_id);
				err = -EINVAL;
				goto out;
			}
			nodes[child].parent = i;
		}
	}
out:
	free(has_parent);
	free(parent_ids);
	strbuf_release(&sb);
	return err;
}

/*
 * Length in bytes of every node's folded stack, in time linear in the number
 * of nodes (each is computed once, from its parent's): a chain of N nodes all
 * sampled makes N^2 / 2 frames of output, so the size is checked before any
 * of it is built.  -EINVAL if parent links form a cycle.
 */
static int stack_lengths(const struct v8_node *nodes, size_t n, const struct strtab *frames,
			 uint64_t *len, bool *known, struct int_vec *path)
{
	size_t i, k, flen;
	ssize_t at;
	uint64_t base;

	for (i = 0; i < n; i++) {
		path->n = 0;
		for (at = (ssize_t)i; at >= 0 && !known[at]; at = nodes[at].parent) {
			if (path->n == n) {
				fs_warn("v8: the parent links of node %" PRId64 " form a cycle",
					nodes[i].id);
				return -EINVAL;
			}
			int_vec__push(path, at);
		}
		base = at >= 0 ? len[at] : 0;
		for (k = path->n; k-- > 0;) {
			const struct v8_node *node = &nodes[path->v[k]];

			if (node->frame != NO_FRAME) {
				strtab__str(frames, node->frame, &flen);
				base += (base ? 1 : 0) + flen;
			}
			len[path->v[k]] = base;
			known[path->v[k]] = true;
		}
	}
	return 0;
}

/* Build the root-first stack of node @i (the links are known to end at a root). */
static void node_stack(const struct v8_node *nodes, size_t i, const struct strtab *frames,
		       struct int_vec *path, struct strbuf *stack)
{
	ssize_t at;
	size_t k;

	path->n = 0;
	for (at = (ssize_t)i; at >= 0; at = nodes[at].parent)
		if (nodes[at].frame != NO_FRAME)
			int_vec__push(path, nodes[at].frame);
	strbuf_reset(stack);
	for (k = path->n; k-- > 0;) {
		size_t len;
		const char *s = strtab__str(frames, (uint32_t)path->v[k], &len);

		if (stack->len)
			strbuf_addch(stack, ';');
		strbuf_add(stack, s, len);
	}
}

static int collapse_profile(const struct v8_profile *p, struct stack_counts *out,
			    struct collapse_stats *stats)
{
	size_t n = p->n_nodes, i;
	struct v8_node *nodes = xcalloc(n ? n : 1, sizeof(*nodes));
	struct id_index *ids = xcalloc(n ? n : 1, sizeof(*ids));
	double *weights = xcalloc(p->samples.n ? p->samples.n : 1, sizeof(*weights));
	double *node_weight = xcalloc(n ? n : 1, sizeof(*node_weight));
	uint64_t *text_len = xcalloc(n ? n : 1, sizeof(*text_len));
	bool *known = xcalloc(n ? n : 1, sizeof(*known));
	struct strtab *frames = strtab__new();
	struct int_vec path = {0};
	struct strbuf stack = STRBUF_INIT;
	size_t lost_parents = 0, lost_samples = 0;
	uint64_t text = 0;
	int err;

	err = link_nodes(p, nodes, ids, frames, &lost_parents);
	if (!err)
		err = sample_weights(p, weights);
	if (!err)
		err = stack_lengths(nodes, n, frames, text_len, known, &path);
	if (err)
		goto out;
	for (i = 0; i < p->samples.n; i++) {
		ssize_t node = find_node(ids, n, p->samples.v[i]);

		/* a sample of a node lost with a dropped chunk: speedscope skips it too */
		if (node < 0)
			lost_samples++;
		else
			node_weight[node] += weights[i];
	}
	if (lost_parents)
		fs_warn("v8: %zu nodes name a parent that is not in the profile; their stacks "
			"start at them",
			lost_parents);
	if (lost_samples)
		fs_warn("v8: ignored %zu samples of nodes that are not in the profile",
			lost_samples);
	for (i = 0; i < n; i++)
		if (node_weight[i] != 0)
			text += text_len[i] + 1;
	if (text > MAX_STACK_TEXT) {
		fs_warn("v8: the stacks would take %" PRIu64 " bytes of text, more than %" PRIu64
			"; refusing the profile",
			text, MAX_STACK_TEXT);
		err = -EINVAL;
		goto out;
	}
	stats->samples += p->samples.n;
	for (i = 0; i < n; i++) {
		if (node_weight[i] == 0 || !text_len[i])
			continue;
		node_stack(nodes, i, frames, &path, &stack);
		stack_counts__add(out, stack.buf, stack.len, node_weight[i]);
	}
out:
	strbuf_release(&stack);
	free(path.v);
	strtab__free(frames);
	free(known);
	free(text_len);
	free(node_weight);
	free(weights);
	free(ids);
	free(nodes);
	return err;
}

/* Trace events: profiles assembled from CpuProfile / Profile / ProfileChunk events. */
struct trace_profile {
	char *key; /* the event id, else "pid:tid" */
	struct v8_profile prof;
};

struct trace_event {
	json_object *ev;
	double ts;
	size_t order;
};

static int cmp_trace_event(const void *a, const void *b)
{
	const struct trace_event *x = a, *y = b;

	if (x->ts != y->ts)
		return (x->ts > y->ts) - (x->ts < y->ts);
	return (x->order > y->order) - (x->order < y->order);
}

static void event_key(json_object *ev, struct strbuf *key)
{
	size_t len;
	const char *id = get_string(ev, "id", &len);
	int64_t pid = 0, tid = 0;

	strbuf_reset(key);
	if (len) {
		strbuf_add(key, id, len);
		return;
	}
	get_int(get(ev, "pid"), &pid);
	get_int(get(ev, "tid"), &tid);
	strbuf_addf(key, "%" PRId64 ":%" PRId64, pid, tid);
}

static struct trace_profile *find_trace_profile(struct trace_profile *tp, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(tp[i].key, key))
			return &tp[i];
	return NULL;
}

static int collapse_trace_events(json_object *events, struct stack_counts *out,
				 struct collapse_stats *stats)
{
	size_t n = json_object_array_length(events), n_sel = 0, n_tp = 0, cap_tp = 0, i;
	struct trace_event *sel = xcalloc(n ? n : 1, sizeof(*sel));
	struct trace_profile *tp = NULL, *t;
	struct strbuf key = STRBUF_INIT;
	size_t orphan_chunks = 0;
	int err = 0;

	for (i = 0; i < n; i++) {
		json_object *ev = json_object_array_get_idx(events, i), *ts;
		size_t len;
		const char *name = get_string(ev, "name", &len);

		if (strcmp(name, "CpuProfile") && strcmp(name, "Profile") &&
		    strcmp(name, "ProfileChunk"))
			continue;
		ts = get(ev, "ts");
		sel[n_sel].ev = ev;
		sel[n_sel].ts = json_object_is_type(ts, json_type_int) ||
						json_object_is_type(ts, json_type_double)
					? json_object_get_double(ts)
					: 0;
		sel[n_sel].order = i;
		n_sel++;
	}
	/* chunks come in any order in the file; their timestamps order them */
	qsort(sel, n_sel, sizeof(*sel), cmp_trace_event);

	for (i = 0; i < n_sel && !err; i++) {
		json_object *ev = sel[i].ev, *data = get(get(ev, "args"), "data");
		size_t len;
		const char *name = get_string(ev, "name", &len);

		if (!data)
			continue; /* Chrome writes some events without data */
		event_key(ev, &key);
		t = find_trace_profile(tp, n_tp, key.buf);
		if (!strcmp(name, "ProfileChunk")) {
			if (!t) {
				orphan_chunks++;
				continue;
			}
			err = add_cpuprofile(&t->prof, get(data, "cpuProfile"),
					     get_array(data, "timeDeltas"));
			continue;
		}
		/* CpuProfile (a whole profile) or Profile (chunks follow): a fresh start */
		if (!t) {
			if (n_tp == cap_tp) {
				cap_tp = fs_grow_capacity(cap_tp, n_tp + 1);
				tp = xreallocarray(tp, cap_tp, sizeof(*tp));
			}
			t = &tp[n_tp++];
			t->key = xstrdup(key.buf);
		} else {
			v8_profile__release(&t->prof);
		}
		memset(&t->prof, 0, sizeof(t->prof));
		if (!strcmp(name, "CpuProfile")) {
			json_object *cpu = get(data, "cpuProfile");

			err = add_cpuprofile(&t->prof, cpu, get_array(cpu, "timeDeltas"));
		} else {
			err = add_cpuprofile(&t->prof, data, get_array(data, "timeDeltas"));
		}
	}
	if (orphan_chunks)
		fs_warn("v8: ignored %zu ProfileChunk events of no known Profile", orphan_chunks);
	if (!err && !n_tp) {
		fs_warn("v8: no CPU profile in the trace events");
		err = -EINVAL;
	}
	for (i = 0; i < n_tp && !err; i++)
		err = collapse_profile(&tp[i].prof, out, stats);

	for (i = 0; i < n_tp; i++) {
		v8_profile__release(&tp[i].prof);
		free(tp[i].key);
	}
	free(tp);
	free(sel);
	strbuf_release(&key);
	return err;
}

/* Parse all of @data as one JSON document (json-c takes at most INT_MAX bytes a call). */
static json_object *parse_json(const char *data, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(MAX_JSON_DEPTH);
	json_object *root = NULL;
	enum json_tokener_error jerr = json_tokener_continue;
	size_t off = 0, end, chunk = 0;

	if (!tok)
		return NULL;
	while (off < len) {
		chunk = len - off < INT_MAX ? len - off : INT_MAX;
		root = json_tokener_parse_ex(tok, data + off, (int)chunk);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_continue)
			break;
		off += chunk;
	}
	if (jerr == json_tokener_continue) {
		fs_warn("v8: the JSON is truncated");
		goto fail;
	}
	if (jerr != json_tokener_success) {
		fs_warn("v8: invalid JSON near byte %zu: %s", off + json_tokener_get_parse_end(tok),
			json_tokener_error_desc(jerr));
		goto fail;
	}
	for (end = off + json_tokener_get_parse_end(tok); end < len; end++) {
		if (!strchr(" \t\r\n", data[end]) || !data[end]) {
			fs_warn("v8: unexpected data after the JSON document at byte %zu", end);
			goto fail;
		}
	}
	json_tokener_free(tok);
	return root;
fail:
	json_object_put(root);
	json_tokener_free(tok);
	return NULL;
}

int collapse_v8(const char *data, size_t len, const struct collapse_options *opts,
		struct stack_counts *out, struct collapse_stats *stats)
{
	json_object *root = parse_json(data, len), *events, *top, *inner;
	struct v8_profile prof = {0};
	int err = 0;

	if (!root)
		return -EINVAL;
	/*
	 * The DevTools protocol's answer to Profiler.stop is {"profile": {...}},
	 * in a message {"id": N, "result": {...}}: services that profile
	 * themselves through node:inspector may send either as they got it.
	 */
	top = root;
	if ((inner = get(top, "result")) && json_object_is_type(inner, json_type_object))
		top = inner;
	if ((inner = get(top, "profile")) && json_object_is_type(inner, json_type_object) &&
	    !get(top, "nodes") && !get(top, "head"))
		top = inner;
	events = json_object_is_type(root, json_type_array) ? root : get_array(root, "traceEvents");
	if (events) {
		err = collapse_trace_events(events, out, stats);
	} else if (get_array(top, "nodes")) {
		err = add_cpuprofile(&prof, top, get_array(top, "timeDeltas"));
		if (!err)
			err = collapse_profile(&prof, out, stats);
	} else if (get(top, "head")) {
		err = add_tree_profile(&prof, top);
		if (!err)
			err = collapse_profile(&prof, out, stats);
	} else {
		fs_warn("v8: not a V8 CPU profile (no nodes, head or traceEvents)");
		err = -EINVAL;
	}
	v8_profile__release(&prof);
	json_object_put(root);
	return err;
}
