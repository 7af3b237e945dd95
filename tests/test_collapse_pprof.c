// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for collapse_pprof(): profiles are built here with the
 * protobuf-c code generated from collapse/profile.proto, packed, optionally
 * gzipped, and collapsed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "collapse/collapse.h"
#include "common/log.h"
#include "collapse/profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;

enum {
	S_EMPTY,
	S_SAMPLES,
	S_COUNT,
	S_CPU,
	S_NANOS,
	S_MAIN,
	S_WORK,
	S_HELPER,
	S_SYSNAME,
	S_LIBC,
	S_FILE,
	NSTRINGS
};

static char *strings[NSTRINGS] = {
	[S_EMPTY] = "",
	[S_SAMPLES] = "samples",
	[S_COUNT] = "count",
	[S_CPU] = "cpu",
	[S_NANOS] = "nanoseconds",
	[S_MAIN] = "main",
	[S_WORK] = "work",
	[S_HELPER] = "inlined_helper",
	[S_SYSNAME] = "sys_only",
	[S_LIBC] = "/usr/lib/libc.so.6",
	[S_FILE] = "main.go",
};

#define NFUNCS	 4
#define NLOCS	 6
#define NSAMPLES 7

/* A small profile: inlined frames, frames named by mapping and by address. */
struct fixture {
	Profile p;
	bool sparse; /* ids far apart and the arrays in reverse id order */
	ValueType types[2], *type_ptrs[2];
	Function funcs[NFUNCS], *func_ptrs[NFUNCS];
	Mapping map, *map_ptr;
	Line lines[4], *line_ptrs[4];
	Location locs[NLOCS], *loc_ptrs[NLOCS];
	Sample samples[NSAMPLES], *sample_ptrs[NSAMPLES];
	uint64_t sample_locs[NSAMPLES][3];
	int64_t sample_values[NSAMPLES][2];
};

/* Id and array slot of function or location number @n (from 1). */
static uint64_t func_id(const struct fixture *f, int n)
{
	return f->sparse ? 77 + 3 * (uint64_t)n : (uint64_t)n;
}

static uint64_t loc_id(const struct fixture *f, int n)
{
	return f->sparse ? 1000 + 5 * (uint64_t)n : (uint64_t)n;
}

static size_t slot(const struct fixture *f, int n, int count)
{
	return f->sparse ? (size_t)(count - n) : (size_t)(n - 1);
}

static void fixture_init(struct fixture *f, bool sparse)
{
	/* location numbers, leaf first, and values (samples, cpu) */
	static const struct {
		int locs[3];
		size_t nlocs;
		int64_t values[2];
	} samples[NSAMPLES] = {
		{{2, 1}, 2, {1, 10}}, {{3, 2, 1}, 3, {2, 20}}, {{4, 1}, 2, {3, 30}},
		{{5}, 1, {4, 40}},    {{6, 1}, 2, {0, 50}},    {{1}, 1, {5, -5}},
		{{2, 1}, 2, {1, 10}},
	};
	/* functions 1..4: name, system name */
	static const int func_names[NFUNCS][2] = {
		{S_MAIN, S_EMPTY}, {S_WORK, S_EMPTY}, {S_HELPER, S_EMPTY}, {S_EMPTY, S_SYSNAME}};
	/* lines: main; helper inlined into work; a function known by system name only */
	static const int line_funcs[4] = {1, 3, 2, 4};
	size_t i, j;

	memset(f, 0, sizeof(*f));
	f->sparse = sparse;
	perftools__profiles__profile__init(&f->p);
	for (i = 0; i < 2; i++) {
		perftools__profiles__value_type__init(&f->types[i]);
		f->types[i].type = i ? S_CPU : S_SAMPLES;
		f->types[i].unit = i ? S_NANOS : S_COUNT;
		f->type_ptrs[i] = &f->types[i];
	}
	for (i = 0; i < NFUNCS; i++) {
		Function *fn = &f->funcs[slot(f, i + 1, NFUNCS)];

		perftools__profiles__function__init(fn);
		fn->id = func_id(f, i + 1);
		fn->name = func_names[i][0];
		fn->system_name = func_names[i][1];
		fn->filename = S_FILE;
		f->func_ptrs[slot(f, i + 1, NFUNCS)] = fn;
	}
	perftools__profiles__mapping__init(&f->map);
	f->map.id = 9;
	f->map.memory_start = 0x1000;
	f->map.memory_limit = 0x5000;
	f->map.file_offset = 0x200;
	f->map.filename = S_LIBC;
	f->map_ptr = &f->map;
	for (i = 0; i < 4; i++) {
		perftools__profiles__line__init(&f->lines[i]);
		f->lines[i].function_id = func_id(f, line_funcs[i]);
		f->line_ptrs[i] = &f->lines[i];
	}
	for (i = 0; i < NLOCS; i++) {
		Location *l = &f->locs[slot(f, i + 1, NLOCS)];

		perftools__profiles__location__init(l);
		l->id = loc_id(f, i + 1);
		f->loc_ptrs[slot(f, i + 1, NLOCS)] = l;
	}
#define LOC(n) (&f->locs[slot(f, (n), NLOCS)])
	LOC(1)->n_line = 1; /* main */
	LOC(1)->line = &f->line_ptrs[0];
	LOC(2)->n_line = 2; /* helper inlined into work */
	LOC(2)->line = &f->line_ptrs[1];
	LOC(3)->mapping_id = 9; /* no function: named by file offset in libc */
	LOC(3)->address = 0x1234;
	LOC(4)->address = 0xdead; /* no function, no mapping */
	LOC(5)->n_line = 1;	  /* system name only */
	LOC(5)->line = &f->line_ptrs[3];
	/* LOC(6): nothing known at all */
#undef LOC
	for (i = 0; i < NSAMPLES; i++) {
		Sample *s = &f->samples[i];

		perftools__profiles__sample__init(s);
		for (j = 0; j < samples[i].nlocs; j++)
			f->sample_locs[i][j] = loc_id(f, samples[i].locs[j]);
		f->sample_values[i][0] = samples[i].values[0];
		f->sample_values[i][1] = samples[i].values[1];
		s->n_location_id = samples[i].nlocs;
		s->location_id = f->sample_locs[i];
		s->n_value = 2;
		s->value = f->sample_values[i];
		f->sample_ptrs[i] = s;
	}
	f->p.n_sample_type = 2;
	f->p.sample_type = f->type_ptrs;
	f->p.n_sample = NSAMPLES;
	f->p.sample = f->sample_ptrs;
	f->p.n_mapping = 1;
	f->p.mapping = &f->map_ptr;
	f->p.n_location = NLOCS;
	f->p.location = f->loc_ptrs;
	f->p.n_function = NFUNCS;
	f->p.function = f->func_ptrs;
	f->p.n_string_table = NSTRINGS;
	f->p.string_table = strings;
}

static unsigned char *pack(const Profile *p, size_t *len)
{
	unsigned char *buf;

	*len = perftools__profiles__profile__get_packed_size(p);
	buf = malloc(*len + 1);
	perftools__profiles__profile__pack(p, buf);
	buf[*len] = 0;
	return buf;
}

static unsigned char *gzip(const unsigned char *data, size_t len, size_t *out_len)
{
	z_stream zs;
	size_t cap = compressBound(len) + 64;
	unsigned char *out = malloc(cap + 1);

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = cap - zs.avail_out;
	out[*out_len] = 0;
	deflateEnd(&zs);
	return out;
}

/* The last library warning, to check why an input was refused. */
static char last_warning[512];

static void keep_warning(enum fs_log_level level, const char *fmt, va_list ap)
{
	vsnprintf(last_warning, sizeof(last_warning), fmt, ap);
}

struct result {
	int err;
	char *folded;
};

static struct result run_opts(const void *data, size_t len, const struct collapse_options *opts)
{
	struct stack_counts *sc = stack_counts__new();
	struct collapse_stats stats = {0};
	struct result r;
	char *copy = malloc(len + 1);
	size_t size;
	FILE *f;

	memcpy(copy, data, len);
	copy[len] = '\0';
	r.err = collapse_pprof(copy, len, opts, sc, &stats);
	f = open_memstream(&r.folded, &size);
	assert_int_equal(stack_counts__write(sc, f), 0);
	fclose(f);
	stack_counts__free(sc);
	free(copy);
	return r;
}

static struct result run(const void *data, size_t len, const char *sample_type)
{
	struct collapse_options opts;

	memset(&opts, 0, sizeof(opts));
	opts.sample_type = sample_type;
	return run_opts(data, len, &opts);
}

static void check_profile(const Profile *p, const char *sample_type, const char *expected)
{
	size_t len;
	unsigned char *buf = pack(p, &len);
	struct result r = run(buf, len, sample_type);

	assert_int_equal(r.err, 0);
	assert_string_equal(r.folded, expected);
	free(r.folded);
	free(buf);
}

static void check_profile_error(const Profile *p, const char *sample_type)
{
	size_t len;
	unsigned char *buf = pack(p, &len);
	struct result r = run(buf, len, sample_type);

	assert_int_equal(r.err, -EINVAL);
	free(r.folded);
	free(buf);
}

/* The second sample type ("cpu"). */
static const char expected_cpu[] = "main;0xdead 30\n"
				   "main;[unknown] 50\n"
				   "main;work;inlined_helper 20\n"
				   "main;work;inlined_helper;libc.so.6+0x434 20\n"
				   "sys_only 40\n";
static const char expected_samples[] = "main 5\n"
				       "main;0xdead 3\n"
				       "main;work;inlined_helper 2\n"
				       "main;work;inlined_helper;libc.so.6+0x434 2\n"
				       "sys_only 4\n";

static void test_frames_and_sample_types(void **state)
{
	struct fixture f;

	fixture_init(&f, false);
	/* with no --sample-type the first type counts */
	check_profile(&f.p, NULL, expected_samples);
	check_profile(&f.p, "cpu", expected_cpu);
	check_profile(&f.p, "samples", expected_samples);
	/* the profile's default_sample_type does not change that */
	f.p.default_sample_type = S_CPU;
	check_profile(&f.p, NULL, expected_samples);
	check_profile(&f.p, "cpu", expected_cpu);
}

static void test_sparse_ids(void **state)
{
	struct fixture f;

	fixture_init(&f, true);
	check_profile(&f.p, "cpu", expected_cpu);
}

static void test_gzip(void **state)
{
	struct fixture f;
	size_t len, gz_len, half_len, gz2_len;
	unsigned char *buf, *gz, *half, *both;
	struct result r;

	fixture_init(&f, false);
	buf = pack(&f.p, &len);
	gz = gzip(buf, len, &gz_len);
	r = run(gz, gz_len, "cpu");
	assert_int_equal(r.err, 0);
	assert_string_equal(r.folded, expected_cpu);
	free(r.folded);

	/* two gzip members, as `cat a.gz b.gz` makes */
	half = gzip(buf + len / 2, len - len / 2, &half_len);
	free(gz);
	gz = gzip(buf, len / 2, &gz_len);
	both = malloc(gz_len + half_len + 1);
	memcpy(both, gz, gz_len);
	memcpy(both + gz_len, half, half_len);
	gz2_len = gz_len + half_len;
	r = run(both, gz2_len, "cpu");
	assert_int_equal(r.err, 0);
	assert_string_equal(r.folded, expected_cpu);
	free(r.folded);

	/* truncated gzip */
	r = run(both, gz_len - 5, NULL);
	assert_int_equal(r.err, -EINVAL);
	free(r.folded);
	/* corrupt gzip: the CRC check fails, or the deflate data is broken */
	both[gz_len / 2] ^= 0x55;
	r = run(both, gz_len, NULL);
	assert_int_equal(r.err, -EINVAL);
	free(r.folded);

	free(both);
	free(half);
	free(gz);
	free(buf);
}

static void test_inflate_cap(void **state)
{
	struct collapse_options opts;
	struct fixture f;
	size_t len, gz_len, bomb_len;
	unsigned char *buf = NULL, *gz, *zeros, *bomb;
	struct result r;

	memset(&opts, 0, sizeof(opts));
	fixture_init(&f, false);
	buf = pack(&f.p, &len);
	gz = gzip(buf, len, &gz_len);
	opts.max_inflated_size = len; /* exactly the size: accepted */
	r = run_opts(gz, gz_len, &opts);
	assert_int_equal(r.err, 0);
	free(r.folded);
	opts.max_inflated_size = len - 1;
	r = run_opts(gz, gz_len, &opts);
	assert_int_equal(r.err, -EINVAL);
	free(r.folded);

	/* a "bomb": 64 MiB of zeros in about 64 KiB of gzip, against a 4 MiB cap */
	zeros = calloc(64 << 20, 1);
	bomb = gzip(zeros, 64 << 20, &bomb_len);
	assert_true(bomb_len < 100000);
	opts.max_inflated_size = 4 << 20;
	r = run_opts(bomb, bomb_len, &opts);
	assert_int_equal(r.err, -EINVAL);
	free(r.folded);

	free(bomb);
	free(zeros);
	free(gz);
	free(buf);
}

static void test_bad_indices(void **state)
{
	struct fixture f;
	int64_t one_value = 1;
	uint64_t missing_loc = 42;

	fixture_init(&f, false);
	f.funcs[1].name = NSTRINGS; /* one past the string table */
	check_profile_error(&f.p, NULL);
	f.funcs[1].name = -1;
	check_profile_error(&f.p, NULL);

	fixture_init(&f, false);
	f.lines[0].function_id = 99; /* no such function */
	check_profile_error(&f.p, NULL);

	fixture_init(&f, false);
	f.samples[2].location_id = &missing_loc;
	f.samples[2].n_location_id = 1;
	check_profile_error(&f.p, NULL);

	fixture_init(&f, false);
	f.samples[0].value = &one_value; /* one value for two sample types */
	f.samples[0].n_value = 1;
	check_profile_error(&f.p, NULL);

	fixture_init(&f, false);
	f.map.filename = 1000;
	check_profile_error(&f.p, NULL);

	fixture_init(&f, false);
	f.types[1].type = 12345;
	check_profile_error(&f.p, NULL);
}

static void test_amplification_is_refused(void **state)
{
	/*
	 * A 1 MiB function name, and 5000 samples of 1000 frames of it: about 6 MB
	 * of protobuf whose stacks would take 5 TB of text.  Refused up front.
	 */
	enum { NAME = 1 << 20, NSAMP = 5000, DEPTH = 1000 };
	char *strtab[2] = {"", NULL}, *name = malloc(NAME + 1);
	uint64_t *ids = malloc(DEPTH * sizeof(*ids));
	Sample *samples = calloc(NSAMP, sizeof(*samples));
	Sample **sample_ptrs = calloc(NSAMP, sizeof(*sample_ptrs));
	int64_t values[2] = {1, 1};
	struct fixture f;
	size_t i;

	memset(name, 'x', NAME);
	name[NAME] = '\0';
	fixture_init(&f, false);
	strtab[1] = name;
	f.p.string_table = strtab;
	f.p.n_string_table = 2;
	f.types[0].type = f.types[1].type = 0;
	f.types[0].unit = f.types[1].unit = 0;
	f.map.filename = 0;
	for (i = 0; i < NFUNCS; i++)
		f.funcs[i].name = 1, f.funcs[i].system_name = 0, f.funcs[i].filename = 0;
	for (i = 0; i < DEPTH; i++)
		ids[i] = 1;
	for (i = 0; i < NSAMP; i++) {
		perftools__profiles__sample__init(&samples[i]);
		samples[i].n_location_id = DEPTH;
		samples[i].location_id = ids;
		samples[i].n_value = 2;
		samples[i].value = values;
		sample_ptrs[i] = &samples[i];
	}
	f.p.n_sample = NSAMP;
	f.p.sample = sample_ptrs;
	fs_log_set_handler(keep_warning);
	check_profile_error(&f.p, NULL);
	fs_log_set_handler(NULL);
	assert_non_null(strstr(last_warning, "bytes of text"));
	free(sample_ptrs);
	free(samples);
	free(ids);
	free(name);
}

static void test_sample_type_errors(void **state)
{
	struct fixture f;

	fixture_init(&f, false);
	check_profile_error(&f.p, "alloc_space");
	f.p.n_sample_type = 0;
	f.p.n_sample = 0;
	check_profile_error(&f.p, NULL);
}

static void test_truncated_and_garbage(void **state)
{
	struct fixture f;
	size_t len, cut, failures = 0;
	unsigned char *buf;
	struct result r;
	unsigned char garbage[512];
	unsigned x = 99;

	fixture_init(&f, false);
	buf = pack(&f.p, &len);
	/* every prefix: decodes to a smaller profile, or fails cleanly */
	for (cut = 0; cut < len; cut++) {
		r = run(buf, cut, NULL);
		assert_true(r.err == 0 || r.err == -EINVAL);
		failures += r.err != 0;
		free(r.folded);
	}
	assert_true(failures > len / 2);
	for (cut = 0; cut < 200; cut++) {
		size_t i;

		for (i = 0; i < sizeof(garbage); i++) {
			x = x * 1103515245 + 12345;
			garbage[i] = x >> 16;
		}
		r = run(garbage, sizeof(garbage), NULL);
		assert_true(r.err == 0 || r.err == -EINVAL);
		free(r.folded);
	}
	r = run("", 0, NULL);
	assert_int_equal(r.err, -EINVAL);
	free(r.folded);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_and_sample_types),
		cmocka_unit_test(test_sparse_ids),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_inflate_cap),
		cmocka_unit_test(test_bad_indices),
		cmocka_unit_test(test_amplification_is_refused),
		cmocka_unit_test(test_sample_type_errors),
		cmocka_unit_test(test_truncated_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
