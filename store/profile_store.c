// SPDX-License-Identifier: Apache-2.0
#include "store/profile_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/log.h"
#include "common/strtab.h"
#include "common/xalloc.h"
#include "store/store_sql.h"

static const char *const kind_names[] = {
	[PROFILE_FRAME_USER] = "user",	     [PROFILE_FRAME_KERNEL] = "kernel",
	[PROFILE_FRAME_JIT] = "jit",	     [PROFILE_FRAME_INLINE] = "inline",
	[PROFILE_FRAME_UNKNOWN] = "unknown",
};

static const char *const kind_marks[] = {
	[PROFILE_FRAME_USER] = NULL,	[PROFILE_FRAME_KERNEL] = "_[k]",
	[PROFILE_FRAME_JIT] = "_[j]",	[PROFILE_FRAME_INLINE] = "_[i]",
	[PROFILE_FRAME_UNKNOWN] = NULL,
};

const char *profile_frame_kind__name(enum profile_frame_kind kind)
{
	return (unsigned)kind <= PROFILE_FRAME_UNKNOWN ? kind_names[kind] : "unknown";
}

enum profile_frame_kind profile_frame_kind__parse(const char *name)
{
	unsigned i;

	for (i = 0; name && i <= PROFILE_FRAME_UNKNOWN; i++)
		if (!strcmp(name, kind_names[i]))
			return (enum profile_frame_kind)i;
	return PROFILE_FRAME_UNKNOWN;
}

void profile_frame__append_name(struct strbuf *sb, const char *name, const char *suffix)
{
	const unsigned char *p;

	for (p = (const unsigned char *)name; *p; p++) {
		if (*p == ';')
			strbuf_addch(sb, ':');
		else if (*p < 0x20 || *p == 0x7f)
			strbuf_addch(sb, '?');
		else
			strbuf_addch(sb, (char)*p);
	}
	if (suffix)
		strbuf_addstr(sb, suffix);
}

void profile_frame__append_text(struct strbuf *sb, const struct profile_frame *f,
				const char *annotation)
{
	profile_frame__append_name(sb, f->name ? f->name : "[unknown]", NULL);
	if (f->file) {
		const char *base = strrchr(f->file, '/');

		strbuf_addch(sb, ' ');
		profile_frame__append_name(sb, base ? base + 1 : f->file, NULL);
		strbuf_addf(sb, ":%u", f->line);
	}
	if (annotation)
		strbuf_addstr(sb, annotation);
	else if ((unsigned)f->kind <= PROFILE_FRAME_UNKNOWN && kind_marks[f->kind])
		strbuf_addstr(sb, kind_marks[f->kind]);
}

int profile_store__is_database(const char *path)
{
	char head[16];
	ssize_t n;
	int fd, ret;

	if (!strcmp(path, "-"))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, head, sizeof(head));
	if (n < 0)
		ret = -errno;
	else
		ret = n == (ssize_t)sizeof(head) && !memcmp(head, "SQLite format 3", 16);
	close(fd);
	return ret;
}

/* ---- writing ---- */

enum {
	STMT_FRAME,
	STMT_STACK,
	STMT_STACK_FRAME,
	STMT_WEIGHT,
	STMT_PROCESS,
	STMT_THREAD,
	STMT_META,
	NR_STMTS,
};

static const char *const stmt_sql[NR_STMTS] = {
	[STMT_FRAME] = "INSERT INTO frames(id, name, module, file, line, address, kind) "
		       "VALUES (?, ?, ?, ?, ?, ?, ?)",
	[STMT_STACK] = "INSERT INTO stacks(id, pid, tid, comm, depth) VALUES (?, ?, ?, ?, ?)",
	[STMT_STACK_FRAME] = "INSERT INTO stack_frames(stack_id, depth, frame_id) VALUES (?, ?, ?)",
	[STMT_WEIGHT] = "INSERT INTO samples(stack_id, bucket, event, weight) VALUES (?, ?, ?, ?) "
			"ON CONFLICT(stack_id, bucket, event) DO UPDATE SET "
			"weight = weight + excluded.weight",
	[STMT_PROCESS] = "INSERT OR IGNORE INTO processes(pid, comm) VALUES (?, ?)",
	[STMT_THREAD] = "INSERT OR IGNORE INTO threads(tid, pid, comm) VALUES (?, ?, ?)",
	[STMT_META] = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
};

struct profile_store {
	sqlite3 *db;
	sqlite3_stmt *stmts[NR_STMTS];
	char *path, *tmp_path;
	bool published; /* renamed to path, WAL mode */
	bool in_transaction;
	uint64_t start_monotonic_ns, bucket_ns;
	struct strtab *frames; /* key -> id - 1 */
	struct strtab *stacks; /* key -> id - 1 */
	struct strbuf key;
};

/* A SQLite result code as -errno, logging SQLite's message. */
static int sql_error(sqlite3 *db, int rc, const char *what)
{
	int err;

	switch (rc & 0xff) {
	case SQLITE_FULL:
		err = ENOSPC;
		break;
	case SQLITE_NOMEM:
		err = ENOMEM;
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		err = EACCES;
		break;
	case SQLITE_CANTOPEN:
		err = ENOENT;
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		err = EINVAL;
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		err = EBUSY;
		break;
	default:
		err = EIO;
	}
	fs_info("profile database: %s: %s", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	return -err;
}

static int exec(sqlite3 *db, const char *sql)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sql_error(db, rc, sql);
}

static int step(struct profile_store *s, int which)
{
	sqlite3_stmt *st = s->stmts[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : sql_error(s->db, rc, stmt_sql[which]);
}

static int prepare(struct profile_store *s)
{
	int i, rc;

	for (i = 0; i < NR_STMTS; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					&s->stmts[i], NULL);
		if (rc != SQLITE_OK)
			return sql_error(s->db, rc, stmt_sql[i]);
	}
	return 0;
}

static void close_db(struct profile_store *s)
{
	int i;

	for (i = 0; i < NR_STMTS; i++) {
		sqlite3_finalize(s->stmts[i]);
		s->stmts[i] = NULL;
	}
	sqlite3_close(s->db);
	s->db = NULL;
}

static int open_db(struct profile_store *s, const char *path)
{
	int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc != SQLITE_OK)
		return sql_error(s->db, rc, path);
	sqlite3_extended_result_codes(s->db, 1);
	return 0;
}

static int set_meta(struct profile_store *s, const char *key, const char *value)
{
	if (!value)
		return 0;
	sqlite3_bind_text(s->stmts[STMT_META], 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->stmts[STMT_META], 2, value, -1, SQLITE_TRANSIENT);
	return step(s, STMT_META);
}

static int set_meta_u64(struct profile_store *s, const char *key, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	return set_meta(s, key, buf);
}

static int write_meta(struct profile_store *s, const struct store_meta *m)
{
	struct utsname u;
	char host[256] = "", buf[64];
	int err = 0;

	if (uname(&u) == 0)
		err = err ?: set_meta(s, "kernel", u.release);
	if (gethostname(host, sizeof(host) - 1) == 0)
		err = err ?: set_meta(s, "hostname", host);
	err = err ?: set_meta_u64(s, "schema_version", PROFILE_STORE_SCHEMA_VERSION);
	err = err ?: set_meta(s, "flamesamp_version", m->version);
	err = err ?: set_meta(s, "command_line", m->command_line);
	err = err ?: set_meta(s, "mode", m->mode);
	err = err ?: set_meta(s, "event", m->event);
	err = err ?: set_meta_u64(s, "frequency", m->frequency);
	err = err ?: set_meta_u64(s, "period", m->period);
	err = err ?: set_meta(s, "unit", m->unit ? m->unit : "samples");
	err = err ?: set_meta(s, "count_name", m->count_name ? m->count_name : "samples");
	snprintf(buf, sizeof(buf), "%.17g", m->count_scale > 0 ? m->count_scale : 1.0);
	err = err ?: set_meta(s, "count_scale", buf);
	err = err ?: set_meta(s, "with_pid", m->with_pid || m->with_tid ? "1" : "0");
	err = err ?: set_meta(s, "with_tid", m->with_tid ? "1" : "0");
	err = err ?: set_meta_u64(s, "start_ns", m->start_ns);
	err = err ?: set_meta_u64(s, "start_monotonic_ns", m->start_monotonic_ns);
	err = err ?: set_meta_u64(s, "bucket_ns", s->bucket_ns);
	return err;
}

struct profile_store *profile_store__create(const char *path, const struct store_meta *meta)
{
	struct profile_store *s = xcalloc(1, sizeof(*s));
	size_t n = strlen(path) + 16;
	mode_t mask;
	int fd, err;

	s->path = xstrdup(path);
	s->tmp_path = xmalloc(n);
	snprintf(s->tmp_path, n, "%s.tmp-XXXXXX", path);
	s->bucket_ns = meta->bucket_ns ? meta->bucket_ns : PROFILE_STORE_BUCKET_NS;
	s->start_monotonic_ns = meta->start_monotonic_ns;
	s->frames = strtab__new();
	s->stacks = strtab__new();
	fd = mkstemp(s->tmp_path);
	if (fd < 0) {
		err = -errno;
		free(s->tmp_path);
		s->tmp_path = NULL;
		goto fail;
	}
	/* mkstemp() makes the file 0600; give it the mode a plain fopen() would */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask))
		fs_debug("profile database: chmod %s: %s", s->tmp_path, strerror(errno));
	close(fd);
	err = open_db(s, s->tmp_path);
	/* the temporary file: a plain rollback journal, nothing to sync */
	err = err ?: exec(s->db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=OFF;");
	err = err ?: exec(s->db, "BEGIN");
	err = err ?: exec(s->db, PROFILE_STORE_SCHEMA_SQL);
	err = err ?: prepare(s);
	err = err ?: write_meta(s, meta);
	if (err)
		goto fail;
	s->in_transaction = true;
	return s;
fail:
	profile_store__free(s);
	errno = -err;
	return NULL;
}

void profile_store__free(struct profile_store *s)
{
	if (!s)
		return;
	if (s->db && s->in_transaction)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	close_db(s);
	if (!s->published && s->tmp_path) {
		char journal[4096];

		unlink(s->tmp_path);
		snprintf(journal, sizeof(journal), "%s-journal", s->tmp_path);
		unlink(journal);
	}
	strtab__free(s->frames);
	strtab__free(s->stacks);
	strbuf_release(&s->key);
	free(s->path);
	free(s->tmp_path);
	free(s);
}

uint64_t profile_store__bucket(const struct profile_store *s, uint64_t monotonic_ns)
{
	if (monotonic_ns <= s->start_monotonic_ns)
		return 0;
	return (monotonic_ns - s->start_monotonic_ns) / s->bucket_ns;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int64_t profile_store__frame(struct profile_store *s, const struct profile_frame *f)
{
	sqlite3_stmt *st = s->stmts[STMT_FRAME];
	size_t before = strtab__count(s->frames);
	uint32_t id;
	int err;

	strbuf_reset(&s->key);
	strbuf_addf(&s->key, "%d:%u:%llu:", (int)f->kind, f->line, (unsigned long long)f->address);
	strbuf_add(&s->key, f->name ? f->name : "", strlen(f->name ? f->name : "") + 1);
	strbuf_add(&s->key, f->module ? f->module : "", strlen(f->module ? f->module : "") + 1);
	strbuf_addstr(&s->key, f->file ? f->file : "");
	id = strtab__intern(s->frames, s->key.buf, s->key.len);
	if (strtab__count(s->frames) == before)
		return (int64_t)id + 1;
	sqlite3_bind_int64(st, 1, (int64_t)id + 1);
	bind_text_or_null(st, 2, f->name ? f->name : "[unknown]");
	bind_text_or_null(st, 3, f->module);
	bind_text_or_null(st, 4, f->file);
	if (f->line)
		sqlite3_bind_int64(st, 5, f->line);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, (int64_t)f->address);
	sqlite3_bind_text(st, 7, profile_frame_kind__name(f->kind), -1, SQLITE_STATIC);
	err = step(s, STMT_FRAME);
	return err ? err : (int64_t)id + 1;
}

int64_t profile_store__stack(struct profile_store *s, pid_t pid, pid_t tid, const char *comm,
			     const int64_t *frame_ids, size_t nr_frames)
{
	size_t before = strtab__count(s->stacks), i;
	int64_t stack_id;
	uint32_t id;
	int err;

	strbuf_reset(&s->key);
	strbuf_add(&s->key, &pid, sizeof(pid));
	strbuf_add(&s->key, &tid, sizeof(tid));
	strbuf_add(&s->key, comm, strlen(comm) + 1);
	strbuf_add(&s->key, frame_ids, nr_frames * sizeof(*frame_ids));
	id = strtab__intern(s->stacks, s->key.buf, s->key.len);
	stack_id = (int64_t)id + 1;
	if (strtab__count(s->stacks) == before)
		return stack_id;
	sqlite3_bind_int64(s->stmts[STMT_PROCESS], 1, pid);
	/* the process's name: its main thread's, else the first thread's seen */
	sqlite3_bind_text(s->stmts[STMT_PROCESS], 2, comm, -1, SQLITE_TRANSIENT);
	if (pid == tid || !pid) {
		err = step(s, STMT_PROCESS);
		if (err)
			return err;
	} else {
		sqlite3_reset(s->stmts[STMT_PROCESS]);
		sqlite3_clear_bindings(s->stmts[STMT_PROCESS]);
	}
	sqlite3_bind_int64(s->stmts[STMT_THREAD], 1, tid);
	sqlite3_bind_int64(s->stmts[STMT_THREAD], 2, pid);
	sqlite3_bind_text(s->stmts[STMT_THREAD], 3, comm, -1, SQLITE_TRANSIENT);
	err = step(s, STMT_THREAD);
	if (err)
		return err;
	sqlite3_bind_int64(s->stmts[STMT_STACK], 1, stack_id);
	sqlite3_bind_int64(s->stmts[STMT_STACK], 2, pid);
	sqlite3_bind_int64(s->stmts[STMT_STACK], 3, tid);
	sqlite3_bind_text(s->stmts[STMT_STACK], 4, comm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s->stmts[STMT_STACK], 5, (int64_t)nr_frames);
	err = step(s, STMT_STACK);
	for (i = 0; !err && i < nr_frames; i++) {
		sqlite3_bind_int64(s->stmts[STMT_STACK_FRAME], 1, stack_id);
		sqlite3_bind_int64(s->stmts[STMT_STACK_FRAME], 2, (int64_t)i);
		sqlite3_bind_int64(s->stmts[STMT_STACK_FRAME], 3, frame_ids[i]);
		err = step(s, STMT_STACK_FRAME);
	}
	return err ? err : stack_id;
}

int profile_store__add_weight(struct profile_store *s, int64_t stack_id, uint64_t bucket,
			      const char *event, uint64_t weight)
{
	sqlite3_stmt *st = s->stmts[STMT_WEIGHT];

	if (!weight)
		return 0;
	sqlite3_bind_int64(st, 1, stack_id);
	sqlite3_bind_int64(st, 2, (int64_t)bucket);
	sqlite3_bind_text(st, 3, event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)weight);
	return step(s, STMT_WEIGHT);
}

/*
 * The first commit: the temporary file is complete (rollback mode, nothing
 * pending), so it is closed, renamed over @path, and opened again there in
 * WAL mode.  WAL and shared-memory files are named after the database's
 * path when it is opened: renaming an open WAL database would leave its
 * committed pages in a WAL file that readers of the new name never see.
 */
static int publish(struct profile_store *s)
{
	int err;

	close_db(s);
	if (rename(s->tmp_path, s->path))
		return -errno;
	s->published = true;
	err = open_db(s, s->path);
	err = err ?: exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
	err = err ?: prepare(s);
	return err;
}

int profile_store__commit(struct profile_store *s)
{
	int err;

	if (!s->in_transaction)
		return -EINVAL;
	s->in_transaction = false;
	err = exec(s->db, "COMMIT");
	if (!err && !s->published)
		err = publish(s);
	err = err ?: exec(s->db, "BEGIN");
	if (!err)
		s->in_transaction = true;
	return err;
}

int profile_store__finish(struct profile_store *s, const struct store_end *end)
{
	int err;

	err = set_meta_u64(s, "end_ns", end->end_ns);
	err = err ?: set_meta_u64(s, "samples", end->samples);
	err = err ?: set_meta_u64(s, "lost", end->lost);
	err = err ?: set_meta_u64(s, "throttled", end->throttled);
	err = err ?: set_meta(s, "title", end->title);
	err = err ?: set_meta(s, "subtitle", end->subtitle);
	err = err ?: profile_store__commit(s);
	if (err)
		return err;
	s->in_transaction = false;
	err = exec(s->db, "COMMIT");
	/* one self-contained file: checkpoint the WAL and remove it */
	err = err ?: exec(s->db, "PRAGMA journal_mode=DELETE");
	close_db(s);
	return err;
}
