// SPDX-License-Identifier: Apache-2.0
#include "store/profile_reader.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "common/u64_map.h"
#include "common/xalloc.h"
#include "store/profile_store.h"

struct profile_reader {
	sqlite3 *db;
	char **meta; /* key, value, key, value... */
	size_t nr_meta;
};

static void set_err(char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

static int sqlite_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_CANTOPEN:
		return ENOENT;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return EINVAL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	default:
		return EIO;
	}
}

const char *profile_reader__meta(const struct profile_reader *r, const char *key)
{
	size_t i;

	/* a couple of dozen keys: a scan is enough */
	for (i = 0; i + 1 < r->nr_meta; i += 2)
		if (!strcmp(r->meta[i], key))
			return r->meta[i + 1];
	return NULL;
}

struct sqlite3 *profile_reader__sqlite(struct profile_reader *r)
{
	return r->db;
}

/* The meta table into r->meta. */
static int load_meta(struct profile_reader *r, char *err, size_t errsize)
{
	sqlite3_stmt *st = NULL;
	int rc, ret = 0;

	rc = sqlite3_prepare_v2(r->db, "SELECT key, value FROM meta", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		if ((rc & 0xff) == SQLITE_ERROR)
			set_err(err, errsize, "not a flamesamp profile (no meta table)");
		else
			set_err(err, errsize, "%s", sqlite3_errmsg(r->db));
		ret = (rc & 0xff) == SQLITE_ERROR ? -EPROTO : -sqlite_errno(rc);
		goto out;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		const char *v = (const char *)sqlite3_column_text(st, 1);

		if (!k || !v)
			continue;
		r->meta = xreallocarray(r->meta, r->nr_meta + 2, sizeof(*r->meta));
		r->meta[r->nr_meta++] = xstrdup(k);
		r->meta[r->nr_meta++] = xstrdup(v);
	}
	if (rc != SQLITE_DONE) {
		set_err(err, errsize, "%s", sqlite3_errmsg(r->db));
		ret = -sqlite_errno(rc);
	}
out:
	sqlite3_finalize(st);
	return ret;
}

struct profile_reader *profile_reader__open(const char *path, char *err, size_t errsize)
{
	struct profile_reader *r = xcalloc(1, sizeof(*r));
	const char *version;
	int rc, ret;

	ret = profile_store__is_database(path);
	if (ret <= 0) {
		if (ret == 0)
			set_err(err, errsize, "not a profile database (no SQLite header)");
		else
			set_err(err, errsize, "%s", strerror(-ret));
		ret = ret ? ret : -EINVAL;
		goto fail;
	}
	rc = sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, errsize, "%s", r->db ? sqlite3_errmsg(r->db) : sqlite3_errstr(rc));
		ret = -sqlite_errno(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(r->db, 1);
	ret = load_meta(r, err, errsize);
	if (ret)
		goto fail;
	version = profile_reader__meta(r, "schema_version");
	if (!version) {
		set_err(err, errsize, "not a flamesamp profile (no schema_version)");
		ret = -EPROTO;
		goto fail;
	}
	if (strtol(version, NULL, 10) != PROFILE_STORE_SCHEMA_VERSION) {
		set_err(err, errsize,
			"profile schema version %s is not supported (this flamesamp reads "
			"version %d)",
			version, PROFILE_STORE_SCHEMA_VERSION);
		ret = -EPROTO;
		goto fail;
	}
	return r;
fail:
	profile_reader__free(r);
	errno = -ret;
	return NULL;
}

void profile_reader__free(struct profile_reader *r)
{
	size_t i;

	if (!r)
		return;
	sqlite3_close(r->db);
	for (i = 0; i < r->nr_meta; i++)
		free(r->meta[i]);
	free(r->meta);
	free(r);
}

/* ---- reading stacks ---- */

#define NO_ID UINT32_MAX

struct frame_row {
	char *name, *file;
	uint32_t line;
	enum profile_frame_kind kind;
	uint32_t text, offcpu_text; /* interned in the output; NO_ID until used */
};

struct stack_row {
	uint32_t first;	  /* the "comm[-PID[/TID]]" frame, interned */
	uint32_t *frames; /* frame_row indexes, root first */
	size_t nr_frames;
};

struct read_state {
	struct profile_reader *r;
	struct folded_profile *out;
	struct frame_row *frames;
	size_t nr_frames;
	struct u64_map frame_index; /* frames.id -> index + 1 */
	struct stack_row *stacks;
	size_t nr_stacks, cap_stacks;
	struct u64_map stack_index; /* stacks.id -> index + 1 */
	struct strbuf sb;
	bool with_pid, with_tid, hotcold;
	char *err;
	size_t errsize;
};

static int query_error(struct read_state *s, int rc)
{
	set_err(s->err, s->errsize, "%s", sqlite3_errmsg(s->r->db));
	return -sqlite_errno(rc);
}

static char *column_dup(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v ? xstrdup(v) : NULL;
}

static int load_frames(struct read_state *s)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	int rc;

	rc = sqlite3_prepare_v2(s->r->db, "SELECT id, name, file, line, kind FROM frames", -1, &st,
				NULL);
	if (rc != SQLITE_OK)
		return query_error(s, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct frame_row *f;

		if (s->nr_frames == cap) {
			cap = cap ? 2 * cap : 1024;
			s->frames = xreallocarray(s->frames, cap, sizeof(*s->frames));
		}
		f = &s->frames[s->nr_frames++];
		f->name = column_dup(st, 1);
		f->file = column_dup(st, 2);
		f->line = (uint32_t)sqlite3_column_int64(st, 3);
		f->kind = profile_frame_kind__parse((const char *)sqlite3_column_text(st, 4));
		f->text = f->offcpu_text = NO_ID;
		u64_map__set(&s->frame_index, (uint64_t)sqlite3_column_int64(st, 0),
			     (void *)(uintptr_t)s->nr_frames);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : query_error(s, rc);
}

static uint32_t frame_text(struct read_state *s, uint32_t index, bool offcpu)
{
	struct frame_row *f = &s->frames[index];
	uint32_t *id = offcpu ? &f->offcpu_text : &f->text;

	if (*id == NO_ID) {
		struct profile_frame pf = {
			.name = f->name, .file = f->file, .line = f->line, .kind = f->kind};

		strbuf_reset(&s->sb);
		profile_frame__append_text(&s->sb, &pf, offcpu ? "_[o]" : NULL);
		*id = folded_profile__intern(s->out, s->sb.buf, s->sb.len);
	}
	return *id;
}

/* " AND column IN (?, ?, ...)" */
static void add_in(struct strbuf *sql, const char *column, size_t n)
{
	size_t i;

	if (!n)
		return;
	strbuf_addf(sql, " AND %s IN (", column);
	for (i = 0; i < n; i++)
		strbuf_addstr(sql, i ? ", ?" : "?");
	strbuf_addch(sql, ')');
}

static int load_stacks(struct read_state *s, const struct profile_slice *slice)
{
	struct strbuf sql = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc, k = 1, ret = 0;

	strbuf_addstr(&sql, "SELECT id, pid, tid, comm FROM stacks WHERE 1");
	add_in(&sql, "pid", slice->nr_pids);
	add_in(&sql, "tid", slice->nr_tids);
	add_in(&sql, "comm", slice->nr_comms);
	rc = sqlite3_prepare_v2(s->r->db, sql.buf, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		ret = query_error(s, rc);
		goto out;
	}
	for (i = 0; i < slice->nr_pids; i++)
		sqlite3_bind_int64(st, k++, slice->pids[i]);
	for (i = 0; i < slice->nr_tids; i++)
		sqlite3_bind_int64(st, k++, slice->tids[i]);
	for (i = 0; i < slice->nr_comms; i++)
		sqlite3_bind_text(st, k++, slice->comms[i], -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *comm = (const char *)sqlite3_column_text(st, 3);
		long long pid = sqlite3_column_int64(st, 1), tid = sqlite3_column_int64(st, 2);

		if (s->nr_stacks == s->cap_stacks) {
			s->cap_stacks = s->cap_stacks ? 2 * s->cap_stacks : 1024;
			s->stacks = xreallocarray(s->stacks, s->cap_stacks, sizeof(*s->stacks));
		}
		strbuf_reset(&s->sb);
		profile_frame__append_name(&s->sb, comm ? comm : "[unknown]", NULL);
		if (s->with_tid)
			strbuf_addf(&s->sb, "-%lld/%lld", pid, tid);
		else if (s->with_pid)
			strbuf_addf(&s->sb, "-%lld", pid);
		s->stacks[s->nr_stacks] = (struct stack_row){
			folded_profile__intern(s->out, s->sb.buf, s->sb.len), NULL, 0};
		s->nr_stacks++;
		u64_map__set(&s->stack_index, (uint64_t)sqlite3_column_int64(st, 0),
			     (void *)(uintptr_t)s->nr_stacks);
	}
	ret = rc == SQLITE_DONE ? 0 : query_error(s, rc);
out:
	sqlite3_finalize(st);
	strbuf_release(&sql);
	return ret;
}

static int load_stack_frames(struct read_state *s)
{
	sqlite3_stmt *st = NULL;
	struct stack_row *cur = NULL;
	size_t cap = 0;
	int64_t cur_id = 0;
	int rc;

	rc = sqlite3_prepare_v2(
		s->r->db, "SELECT stack_id, frame_id FROM stack_frames ORDER BY stack_id, depth",
		-1, &st, NULL);
	if (rc != SQLITE_OK)
		return query_error(s, rc);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		void *f = u64_map__get(&s->frame_index, (uint64_t)sqlite3_column_int64(st, 1));

		if (!cur || id != cur_id) {
			void *v = u64_map__get(&s->stack_index, (uint64_t)id);

			cur = v ? &s->stacks[(uintptr_t)v - 1] : NULL;
			cur_id = id;
			cap = 0;
			if (cur && cur->frames) {
				/* rows of one stack are consecutive: seen again means out of order
				 */
				sqlite3_finalize(st);
				set_err(s->err, s->errsize, "stack %lld: frames out of order",
					(long long)id);
				return -EINVAL;
			}
		}
		if (!cur)
			continue;
		if (!f) {
			sqlite3_finalize(st);
			set_err(s->err, s->errsize,
				"stack %lld names frame %lld, which is not in frames",
				(long long)id, (long long)sqlite3_column_int64(st, 1));
			return -EINVAL;
		}
		if (cur->nr_frames == cap) {
			cap = cap ? 2 * cap : 32;
			cur->frames = xreallocarray(cur->frames, cap, sizeof(*cur->frames));
		}
		cur->frames[cur->nr_frames++] = (uint32_t)((uintptr_t)f - 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : query_error(s, rc);
}

static uint64_t meta_u64(const struct profile_reader *r, const char *key, uint64_t def)
{
	const char *v = profile_reader__meta(r, key);

	return v ? strtoull(v, NULL, 10) : def;
}

/* The recording's length in ns: end - start, or up to the last bucket with samples. */
static uint64_t duration_ns(struct read_state *s, uint64_t bucket_ns)
{
	uint64_t start = meta_u64(s->r, "start_ns", 0), end = meta_u64(s->r, "end_ns", 0);
	sqlite3_stmt *st = NULL;
	uint64_t d = 0;

	if (end > start)
		return end - start;
	if (sqlite3_prepare_v2(s->r->db, "SELECT MAX(bucket) FROM samples", -1, &st, NULL) ==
		    SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		d = ((uint64_t)sqlite3_column_int64(st, 0) + 1) * bucket_ns;
	sqlite3_finalize(st);
	return d;
}

/* The first bucket starting at or after @t seconds (negative: from the end). */
static int64_t bucket_at(struct read_state *s, double t, uint64_t bucket_ns)
{
	double ns = t * 1e9;

	if (t < 0)
		ns += (double)duration_ns(s, bucket_ns);
	if (ns <= 0)
		return 0;
	if (ns >= 9e18)
		return INT64_MAX;
	return (int64_t)ceil(ns / (double)bucket_ns - 1e-9);
}

/* Weights scaled to the graph's unit and rounded per stack, as the recorder writes them. */
static int add_scaled(const struct folded_profile *raw, struct folded_profile *out, double scale)
{
	size_t i, n = folded_profile__stack_count(raw), cap = 0;
	uint32_t *map = xcalloc(folded_profile__name_count(raw) + 1, sizeof(*map));
	uint32_t *ids = NULL;
	size_t j, names = folded_profile__name_count(raw);

	for (j = 0; j < names; j++) {
		size_t len;
		const char *name = folded_profile__name(raw, (uint32_t)j, &len);

		map[j] = folded_profile__intern(out, name, len);
	}
	for (i = 0; i < n; i++) {
		struct folded_stack fs;
		double v;

		folded_profile__stack(raw, i, &fs);
		v = floor(fs.weight * scale + 0.5);
		if (v <= 0)
			continue;
		if (fs.nframes > cap) {
			cap = fs.nframes;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		for (j = 0; j < fs.nframes; j++)
			ids[j] = map[fs.frames[j]];
		folded_profile__add_ids(out, ids, fs.nframes, v);
	}
	free(ids);
	free(map);
	return 0;
}

static int add_weights(struct read_state *s, const struct profile_slice *slice)
{
	uint64_t bucket_ns = meta_u64(s->r, "bucket_ns", PROFILE_STORE_BUCKET_NS);
	int64_t lo = 0, hi = INT64_MAX;
	sqlite3_stmt *st = NULL;
	uint32_t *ids = NULL;
	size_t cap = 0;
	int rc, ret = 0;

	if (!bucket_ns)
		bucket_ns = PROFILE_STORE_BUCKET_NS;
	if (slice->has_from)
		lo = bucket_at(s, slice->from, bucket_ns);
	if (slice->has_to)
		hi = bucket_at(s, slice->to, bucket_ns);
	rc = sqlite3_prepare_v2(s->r->db,
				"SELECT stack_id, event, SUM(weight) FROM samples "
				"WHERE bucket >= ? AND bucket < ? GROUP BY stack_id, event",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return query_error(s, rc);
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		void *v = u64_map__get(&s->stack_index, (uint64_t)sqlite3_column_int64(st, 0));
		const char *event = (const char *)sqlite3_column_text(st, 1);
		double weight = sqlite3_column_double(st, 2);
		bool offcpu = s->hotcold && event && !strcmp(event, "offcpu");
		struct stack_row *row;
		size_t i;

		if (!v || !(weight > 0) || !isfinite(weight))
			continue;
		row = &s->stacks[(uintptr_t)v - 1];
		if (row->nr_frames + 1 > cap) {
			cap = row->nr_frames + 1;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		ids[0] = row->first;
		for (i = 0; i < row->nr_frames; i++)
			ids[i + 1] = frame_text(s, row->frames[i], offcpu);
		folded_profile__add_ids(s->out, ids, row->nr_frames + 1, weight);
	}
	if (rc != SQLITE_DONE)
		ret = query_error(s, rc);
	sqlite3_finalize(st);
	free(ids);
	return ret;
}

int profile_reader__read(struct profile_reader *r, const struct profile_slice *slice,
			 struct folded_profile *out, char *err, size_t errsize)
{
	const char *scale_text = profile_reader__meta(r, "count_scale");
	const char *mode = profile_reader__meta(r, "mode");
	const char *v;
	double scale = scale_text ? strtod(scale_text, NULL) : 1;
	bool scaled = scale > 0 && scale != 1 && isfinite(scale);
	struct read_state s = {
		.r = r,
		.out = scaled ? folded_profile__new(0) : out,
		.err = err,
		.errsize = errsize,
	};
	size_t i;
	int ret;

	v = profile_reader__meta(r, "with_pid");
	s.with_pid = v && !strcmp(v, "1");
	v = profile_reader__meta(r, "with_tid");
	s.with_tid = v && !strcmp(v, "1");
	s.hotcold = mode && !strcmp(mode, "hotcold");
	ret = load_frames(&s);
	ret = ret ?: load_stacks(&s, slice);
	ret = ret ?: load_stack_frames(&s);
	ret = ret ?: add_weights(&s, slice);
	if (!ret && scaled)
		ret = add_scaled(s.out, out, scale);
	if (scaled)
		folded_profile__free(s.out);
	for (i = 0; i < s.nr_frames; i++) {
		free(s.frames[i].name);
		free(s.frames[i].file);
	}
	for (i = 0; i < s.nr_stacks; i++)
		free(s.stacks[i].frames);
	free(s.frames);
	free(s.stacks);
	u64_map__release(&s.frame_index);
	u64_map__release(&s.stack_index);
	strbuf_release(&s.sb);
	return ret;
}
