// SPDX-License-Identifier: Apache-2.0
/*
 * pprof profiles (Go's runtime/pprof, `go tool pprof -proto`, ...) to folded
 * stacks.
 *
 * The file is a protobuf Profile message, usually gzipped.  It is inflated
 * with a size cap (a few kilobytes of gzip can claim gigabytes), decoded by
 * the protobuf-c code generated from collapse/profile.proto, and then every
 * index in it is checked before use: a hostile file gets an error, never an
 * out-of-bounds read.
 *
 * Output frames, root first:
 *   - a Location's Lines are inlined frames, innermost first, so they are
 *     emitted last-to-first after the Locations of the callers;
 *   - a Line's name is Function.name, else Function.system_name;
 *   - a Location (or Line) without a function is named by where it is:
 *     "libfoo.so+0x1a2b" (file offset inside its mapping) when the mapping
 *     has a file name, else "0x7f12...", else "[unknown]".
 * The weight of a sample is its value for the chosen sample type, so a Go
 * CPU profile gives nanoseconds of CPU time ("cpu") or sample counts
 * ("samples").  Samples with a weight of zero or less, and samples without a
 * stack, add nothing (a flame graph cannot draw them).  drop_frames and
 * keep_frames are not applied.  A profile whose stacks would take more than
 * 4 GiB of text (counting every sample) is refused.
 */
#include "collapse/collapse.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>

#include "collapse/frame_name.h"
#include "collapse/profile.pb-c.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "common/xalloc.h"

#define DEFAULT_MAX_INFLATED ((size_t)1 << 30)

/* Refuse a profile whose folded stacks would take more text than this, in all. */
#define MAX_STACK_TEXT ((uint64_t)4 << 30)

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;

static bool is_gzip(const char *data, size_t len)
{
	return len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b;
}

/*
 * Inflate the gzip stream (or concatenated gzip members) in @in into *out,
 * refusing to produce more than @cap bytes.  0, or -EINVAL after a fs_warn()
 * for corrupt or truncated data and for data over the cap.
 */
static int gunzip(const unsigned char *in, size_t inlen, size_t cap, unsigned char **out,
		  size_t *outlen)
{
	z_stream zs;
	size_t alloc, used = 0, in_used = 0;
	unsigned char *buf;
	int zret, err = 0;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		fs_warn("pprof: cannot start zlib");
		return -ENOMEM;
	}
	/* compressed profiles are typically 3-10 times smaller than the message */
	alloc = inlen < cap / 8 ? inlen * 8 : cap;
	if (alloc < 65536)
		alloc = 65536;
	buf = xmalloc(alloc + 1);
	for (;;) {
		size_t in_chunk = inlen - in_used < UINT_MAX ? inlen - in_used : UINT_MAX;
		size_t out_room;

		if (used == alloc) {
			if (alloc > cap) {
				fs_warn("pprof: gunzipped data is larger than %zu bytes; refusing it",
					cap);
				err = -EINVAL;
				goto out;
			}
			/* grow to one byte past the cap, so "exactly cap" is allowed */
			alloc = alloc > cap / 2 ? cap + 1 : alloc * 2;
			buf = xrealloc(buf, alloc + 1);
		}
		out_room = alloc - used < UINT_MAX ? alloc - used : UINT_MAX;
		zs.next_in = (unsigned char *)in + in_used;
		zs.avail_in = in_chunk;
		zs.next_out = buf + used;
		zs.avail_out = out_room;
		zret = inflate(&zs, Z_NO_FLUSH);
		in_used += in_chunk - zs.avail_in;
		used += out_room - zs.avail_out;
		if (used > cap) {
			fs_warn("pprof: gunzipped data is larger than %zu bytes; refusing it", cap);
			err = -EINVAL;
			goto out;
		}
		if (zret == Z_STREAM_END) {
			/* a gzip member may follow (`cat a.gz b.gz`); other bytes are ignored */
			if (inlen - in_used >= 2 && in[in_used] == 0x1f &&
			    in[in_used + 1] == 0x8b) {
				inflateReset(&zs);
				continue;
			}
			break;
		}
		if (zret == Z_BUF_ERROR && in_used == inlen && zs.avail_out) {
			fs_warn("pprof: gzip data is truncated");
			err = -EINVAL;
			goto out;
		}
		if (zret != Z_OK && zret != Z_BUF_ERROR) {
			fs_warn("pprof: corrupt gzip data (%s)",
				zs.msg ? zs.msg : "inflate failed");
			err = -EINVAL;
			goto out;
		}
	}
	*out = buf;
	*outlen = used;
	buf = NULL;
out:
	free(buf);
	inflateEnd(&zs);
	return err;
}

/* Map from the arbitrary 64-bit ids of a message kind to array indices. */
struct id_entry {
	uint64_t id;
	size_t index;
};

struct id_map {
	struct id_entry *entries; /* sorted by id; NULL when dense */
	size_t n;
	bool dense; /* ids are 1..n in array order, the usual case */
};

static int cmp_id_entry(const void *a, const void *b)
{
	const struct id_entry *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

static void id_map__init(struct id_map *m, size_t n, uint64_t (*id_of)(const void *, size_t),
			 const void *array)
{
	size_t i;

	m->n = n;
	m->entries = NULL;
	m->dense = true;
	for (i = 0; i < n && m->dense; i++)
		m->dense = id_of(array, i) == i + 1;
	if (m->dense)
		return;
	m->entries = xmalloc((n ? n : 1) * sizeof(*m->entries));
	for (i = 0; i < n; i++) {
		m->entries[i].id = id_of(array, i);
		m->entries[i].index = i;
	}
	qsort(m->entries, n, sizeof(*m->entries), cmp_id_entry);
}

/* Array index of @id, or -1 (id 0 means "none" and is never found). */
static ssize_t id_map__find(const struct id_map *m, uint64_t id)
{
	struct id_entry key = {.id = id}, *e;

	if (!id)
		return -1;
	if (m->dense)
		return id <= m->n ? (ssize_t)(id - 1) : -1;
	e = bsearch(&key, m->entries, m->n, sizeof(*m->entries), cmp_id_entry);
	return e ? (ssize_t)e->index : -1;
}

static void id_map__release(struct id_map *m)
{
	free(m->entries);
	m->entries = NULL;
}

static uint64_t location_id(const void *array, size_t i)
{
	return ((Location *const *)array)[i]->id;
}

static uint64_t function_id(const void *array, size_t i)
{
	return ((Function *const *)array)[i]->id;
}

static uint64_t mapping_id(const void *array, size_t i)
{
	return ((Mapping *const *)array)[i]->id;
}

struct pprof_reader {
	const Profile *p;
	struct id_map locations, functions, mappings;
	char **location_frames; /* per location: its frames, root first, ';'-joined */
	size_t *location_frames_len;
};

/* The string at @index, or NULL (after a warning naming @what) when out of range. */
static const char *string_at(const Profile *p, int64_t index, const char *what, uint64_t id)
{
	if (index < 0 || (uint64_t)index >= p->n_string_table || !p->string_table[index]) {
		fs_warn("pprof: %s %" PRIu64 " refers to string %" PRId64
			", but the string table has %zu entries",
			what, id, index, p->n_string_table);
		return NULL;
	}
	return p->string_table[index];
}

/* Name a location by address when there is no function name for it. */
static int append_address_frame(struct pprof_reader *r, struct strbuf *sb, const Location *loc)
{
	ssize_t m = id_map__find(&r->mappings, loc->mapping_id);
	char frame[64];

	if (m >= 0) {
		const Mapping *map = r->p->mapping[m];
		const char *file = string_at(r->p, map->filename, "mapping", map->id);
		const char *base;

		if (!file)
			return -EINVAL;
		base = strrchr(file, '/');
		base = base ? base + 1 : file;
		if (*base && loc->address >= map->memory_start &&
		    (loc->address < map->memory_limit || !map->memory_limit)) {
			struct strbuf name = STRBUF_INIT;

			/* the file offset is what a symbolizer needs; ASLR does not move it */
			strbuf_addf(&name, "%s+0x%" PRIx64, base,
				    loc->address - map->memory_start + map->file_offset);
			frame_name__append(sb, name.buf, name.len);
			strbuf_release(&name);
			return 0;
		}
	}
	if (loc->address)
		snprintf(frame, sizeof(frame), "0x%" PRIx64, loc->address);
	else
		snprintf(frame, sizeof(frame), "[unknown]");
	frame_name__append(sb, frame, strlen(frame));
	return 0;
}

/* Build the frames of location @i: inlined lines last-to-first, i.e. caller first. */
static int build_location_frames(struct pprof_reader *r, size_t i, struct strbuf *sb)
{
	const Location *loc = r->p->location[i];
	size_t j;
	int err = 0;

	strbuf_reset(sb);
	if (!loc->n_line)
		return append_address_frame(r, sb, loc);
	for (j = loc->n_line; j-- > 0;) {
		const Perftools__Profiles__Line *line = loc->line[j];
		ssize_t f = id_map__find(&r->functions, line->function_id);
		const char *name = NULL;

		if (line->function_id && f < 0) {
			fs_warn("pprof: location %" PRIu64 " refers to missing function %" PRIu64,
				loc->id, line->function_id);
			return -EINVAL;
		}
		if (f >= 0) {
			const Function *fn = r->p->function[f];

			name = string_at(r->p, fn->name, "function", fn->id);
			if (name && !*name)
				name = string_at(r->p, fn->system_name, "function", fn->id);
			if (!name)
				return -EINVAL;
		}
		if (name && *name)
			frame_name__append(sb, name, strlen(name));
		else
			err = append_address_frame(r, sb, loc);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Index of the sample value to count: the type named @want, or the first
 * type when none is named.  The first is the documented default (as in
 * FlameGraph-style importers); `go tool pprof` would use the last, so the
 * choice is spelled out in `flamesamp collapse --help`.
 */
static int pick_sample_type(const Profile *p, const char *want, size_t *index)
{
	struct strbuf have = STRBUF_INIT;
	size_t i;
	int err = 0;

	if (!p->n_sample_type) {
		fs_warn("pprof: the profile declares no sample types");
		return -EINVAL;
	}
	for (i = 0; i < p->n_sample_type; i++)
		if (!string_at(p, p->sample_type[i]->type, "sample type", i))
			return -EINVAL;
	if (!want) {
		*index = 0;
		return 0;
	}
	for (i = 0; i < p->n_sample_type; i++) {
		const char *type = p->string_table[p->sample_type[i]->type];

		if (!strcmp(type, want)) {
			*index = i;
			goto out;
		}
		strbuf_addf(&have, "%s%s", i ? ", " : "", type);
	}
	fs_warn("pprof: no sample type '%s' in the profile (it has: %s)", want, have.buf);
	err = -EINVAL;
out:
	strbuf_release(&have);
	return err;
}

/*
 * Check every sample (its values, its locations) and the size of the text its
 * stack will take, before any of it is built: a few megabytes of samples that
 * name a location with a long name again and again describe terabytes.
 */
static int check_samples(struct pprof_reader *r)
{
	const Profile *p = r->p;
	uint64_t text = 0;
	size_t i, j;

	for (i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		if (s->n_value != p->n_sample_type) {
			fs_warn("pprof: sample %zu has %zu values for %zu sample types", i + 1,
				s->n_value, p->n_sample_type);
			return -EINVAL;
		}
		for (j = 0; j < s->n_location_id; j++) {
			ssize_t loc = id_map__find(&r->locations, s->location_id[j]);

			if (loc < 0) {
				fs_warn("pprof: sample %zu refers to missing location %" PRIu64,
					i + 1, s->location_id[j]);
				return -EINVAL;
			}
			text += r->location_frames_len[loc] + 1;
		}
	}
	if (text > MAX_STACK_TEXT) {
		fs_warn("pprof: the stacks would take %" PRIu64 " bytes of text, more than %" PRIu64
			"; refusing the profile",
			text, MAX_STACK_TEXT);
		return -EINVAL;
	}
	return 0;
}

static void add_samples(struct pprof_reader *r, size_t value_index, struct stack_counts *out,
			struct collapse_stats *stats)
{
	const Profile *p = r->p;
	struct strbuf stack = STRBUF_INIT;
	size_t i, j;

	for (i = 0; i < p->n_sample; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];
		int64_t value = s->value[value_index];

		stats->samples++;
		if (value <= 0 || !s->n_location_id)
			continue;
		strbuf_reset(&stack);
		/* location ids are leaf first; folded stacks are root first */
		for (j = s->n_location_id; j-- > 0;) {
			ssize_t loc = id_map__find(&r->locations, s->location_id[j]);

			if (stack.len)
				strbuf_addch(&stack, ';');
			strbuf_add(&stack, r->location_frames[loc], r->location_frames_len[loc]);
		}
		stack_counts__add(out, stack.buf, stack.len, (double)value);
	}
	strbuf_release(&stack);
}

static int collapse_profile(const Profile *p, const struct collapse_options *opts,
			    struct stack_counts *out, struct collapse_stats *stats)
{
	struct pprof_reader r = {.p = p};
	struct strbuf sb = STRBUF_INIT;
	size_t value_index, i, built = 0;
	int err;

	err = pick_sample_type(p, opts ? opts->sample_type : NULL, &value_index);
	if (err)
		return err;
	id_map__init(&r.locations, p->n_location, location_id, p->location);
	id_map__init(&r.functions, p->n_function, function_id, p->function);
	id_map__init(&r.mappings, p->n_mapping, mapping_id, p->mapping);
	r.location_frames = xcalloc(p->n_location ? p->n_location : 1, sizeof(char *));
	r.location_frames_len = xcalloc(p->n_location ? p->n_location : 1, sizeof(size_t));
	for (i = 0; i < p->n_location; i++, built++) {
		err = build_location_frames(&r, i, &sb);
		if (err)
			goto out;
		r.location_frames[i] = strbuf_detach(&sb, &r.location_frames_len[i]);
	}
	err = check_samples(&r);
	if (!err)
		add_samples(&r, value_index, out, stats);
out:
	for (i = 0; i < built; i++)
		free(r.location_frames[i]);
	free(r.location_frames);
	free(r.location_frames_len);
	id_map__release(&r.mappings);
	id_map__release(&r.functions);
	id_map__release(&r.locations);
	strbuf_release(&sb);
	return err;
}

int collapse_pprof(const char *data, size_t len, const struct collapse_options *opts,
		   struct stack_counts *out, struct collapse_stats *stats)
{
	size_t cap =
		opts && opts->max_inflated_size ? opts->max_inflated_size : DEFAULT_MAX_INFLATED;
	unsigned char *inflated = NULL;
	const unsigned char *msg = (const unsigned char *)data;
	size_t msg_len = len;
	Profile *p = NULL;
	int err = 0;

	if (!len) {
		fs_warn("pprof: empty input");
		return -EINVAL;
	}
	if (is_gzip(data, len)) {
		err = gunzip(msg, len, cap, &inflated, &msg_len);
		if (err)
			goto out;
		msg = inflated;
	}
	p = perftools__profiles__profile__unpack(NULL, msg_len, msg);
	if (!p) {
		fs_warn("pprof: not a pprof profile, or truncated (protobuf decoding failed)");
		err = -EINVAL;
		goto out;
	}
	err = collapse_profile(p, opts, out, stats);
out:
	if (p)
		perftools__profiles__profile__free_unpacked(p, NULL);
	free(inflated);
	return err;
}
