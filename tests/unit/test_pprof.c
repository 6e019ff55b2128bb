// SPDX-License-Identifier: GPL-2.0
/*
 * test_pprof.c - the pprof renderer (report_pprof.c): a small model is rendered, gunzipped
 * with zlib, unpacked with protobuf-c, and every field of the profile is compared with what
 * it must be: sample types and values, labels, the string table in order, locations,
 * mappings with build-ids, functions and lines. The deduplication rules (location per
 * (pid, address), mapping per (pid, module), function per (name, file)) are part of that.
 * Also: an empty report is a valid profile, hostile strings come out as valid UTF-8, a
 * write error is returned, not swallowed, and `go tool pprof` (golang-go, a dependency) reads
 * the profile and shows each function's flat value exactly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "escape.h"
#include "profile.pb-c.h"
#include "report.h"
#include "test.h"

#define T_2026_11_26_0700Z 1795676400 /* 2026-11-26T07:00:00Z */
#define LEAKY_ID "0123456789abcdef0123456789abcdef01234567"
#define LIBC_ID "fedcba98"

/* Render r; returns the gzip bytes (malloc'd) and their length, *err the renderer's return. */
static unsigned char *render(const struct report *r, const struct render_opts *o, size_t *len,
			     int *err)
{
	char *buf = NULL;
	FILE *f;

	*len = 0;
	f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	*err = report_pprof__write(r, o, f);
	fclose(f);
	return (unsigned char *)buf;
}

/* gunzip in[0..len) into a malloc'd buffer; NULL unless it is one complete gzip stream. */
static unsigned char *gunzip(const unsigned char *in, size_t len, size_t *outlen)
{
	size_t cap = 4096, n = 0;
	unsigned char *out = malloc(cap), *bigger;
	z_stream z = {};
	int ret;

	if (!out || inflateInit2(&z, 15 + 16) != Z_OK) {
		free(out);
		return NULL;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	do {
		if (n == cap) {
			bigger = realloc(out, cap * 2);
			if (!bigger)
				break;
			out = bigger;
			cap *= 2;
		}
		z.next_out = out + n;
		z.avail_out = (uInt)(cap - n);
		ret = inflate(&z, Z_NO_FLUSH);
		n = cap - z.avail_out;
	} while (ret == Z_OK);
	inflateEnd(&z);
	/* Nothing may follow the stream: a second member would be a second profile. */
	if (ret != Z_STREAM_END || z.avail_in) {
		free(out);
		return NULL;
	}
	*outlen = n;
	return out;
}

/* Render, gunzip and unpack r; NULL on any failure (printed). */
static Perftools__Profiles__Profile *render_profile_opts(const struct report *r,
							 const struct render_opts *o)
{
	Perftools__Profiles__Profile *p = NULL;
	unsigned char *gz, *raw = NULL;
	size_t gzlen, rawlen;
	int err = 0;

	gz = render(r, o, &gzlen, &err);
	if (!gz || err) {
		printf("  render: err %d\n", err);
		goto out;
	}
	if (gzlen < 2 || gz[0] != 0x1f || gz[1] != 0x8b) {
		printf("  no gzip magic\n");
		goto out;
	}
	raw = gunzip(gz, gzlen, &rawlen);
	if (!raw) {
		printf("  not one complete gzip stream\n");
		goto out;
	}
	p = perftools__profiles__profile__unpack(NULL, rawlen, raw);
	if (!p)
		printf("  protobuf-c cannot unpack the profile\n");
out:
	free(gz);
	free(raw);
	return p;
}

static Perftools__Profiles__Profile *render_profile(const struct report *r)
{
	return render_profile_opts(r, NULL);
}

static const char *str(const Perftools__Profiles__Profile *p, __s64 i)
{
	return i >= 0 && (size_t)i < p->n_string_table ? p->string_table[i] : "(out of range)";
}

/* Whole string is valid UTF-8 without unsafe code points. */
static bool clean_utf8(const char *s)
{
	__u32 cp;
	int n;

	while (*s) {
		n = escape__utf8_next(s, &cp);
		if (n <= 0 || escape__unsafe_cp(cp))
			return false;
		s += n;
	}
	return true;
}

/* ---- the model ---- */

static const struct report_frame frames_a[] = {
	{ .addr = 0x55000000112a, .sym = "leak_a", .off = 0x1a, .module = "/bin/leaky",
	  .module_off = 0x112a, .file = "leaky.c", .line = 12, .build_id = LEAKY_ID },
	{ .addr = 0x550000001200, .sym = "main", .off = 0x30, .module = "/bin/leaky",
	  .module_off = 0x1200, .file = "leaky.c", .line = 40, .build_id = LEAKY_ID },
	/* symbol unknown, module known */
	{ .addr = 0x7f0000002000, .module = "/lib/libc.so.6", .module_off = 0x2000,
	  .build_id = LIBC_ID },
	/* nothing known */
	{ .addr = 0x10 },
};

static const struct report_frame frames_b[] = {
	{ .addr = 0x550000001300, .sym = "leak_b", .off = 4, .module = "/bin/leaky",
	  .module_off = 0x1300, .file = "leaky.c", .line = 20, .build_id = LEAKY_ID },
	{ .addr = 0x550000001200, .sym = "main", .off = 0x30, .module = "/bin/leaky",
	  .module_off = 0x1200, .file = "leaky.c", .line = 40, .build_id = LEAKY_ID },
};

/* The same code in another process: new location and mapping, same function. */
static const struct report_frame frames_map[] = {
	{ .addr = 0x56000000112a, .sym = "leak_a", .off = 0x1a, .module = "/bin/leaky",
	  .module_off = 0x112a, .file = "leaky.c", .line = 12, .build_id = LEAKY_ID },
};

/* "main" in another file is another function. */
static const struct report_frame frames_fd[] = {
	{ .addr = 0x550000001400, .sym = "open_files", .off = 8, .module = "/bin/leaky",
	  .module_off = 0x1400, .file = "fd.c", .line = 7, .build_id = LEAKY_ID },
	{ .addr = 0x550000001500, .sym = "main", .off = 9, .module = "/bin/leaky",
	  .module_off = 0x1500, .file = "fd.c", .line = 3, .build_id = LEAKY_ID },
};

static const struct report_stack model_stacks[] = {
	{ .kind = LT_KIND_MEM, .pid = 100, .comm = "leaky", .bytes = 1000, .count = 10,
	  .nframes = 4, .frames = frames_a },
	{ .kind = LT_KIND_MEM, .pid = 100, .comm = "leaky", .bytes = 640, .count = 2,
	  .nframes = 2, .frames = frames_b },
	{ .kind = LT_KIND_MAP, .pid = 200, .comm = "other", .bytes = 8192, .count = 2,
	  .nframes = 1, .frames = frames_map },
	{ .kind = LT_KIND_FD, .pid = 100, .comm = "leaky", .count = 3, .nframes = 2,
	  .frames = frames_fd, .fd_kinds = { [LT_FD_FILE] = 3 } },
	/* no comm, no frames */
	{ .kind = LT_KIND_TIMER, .pid = 100, .count = 1 },
};

static const struct report model = {
	.summary = { .time = T_2026_11_26_0700Z, .final = true, .min_age_s = 5, .events = 77, .short_lived = 11,
		     .lost_events = 1, .lost_stacks = 2, .unknown_frees = 3, .untracked = 4,
		     .untracked_bytes = 5, .inflight_full = 6, .stack_overflow = 7, .reordered = 9, .live = 8 },
	.stacks = model_stacks,
	.nstacks = sizeof(model_stacks) / sizeof(model_stacks[0]),
};

/* The string table of the model, in the order the renderer first meets each string. */
static const char *const model_strings[] = {
	"", "inuse_objects", "count", "inuse_space", "bytes", "inuse_maps", "inuse_map_space",
	"fds", "timers",
	/* stack 0 */
	"/bin/leaky", LEAKY_ID, "leak_a", "leaky.c", "main", "/lib/libc.so.6", LIBC_ID,
	"pid", "comm", "leaky", "kind", "mem",
	/* stack 1, 2, 3, 4 */
	"leak_b", "other", "map", "open_files", "fd.c", "fd", "timer",
	"leaktrace: final report, min_age 5s",
	"events=77 short_lived=11 lost_events=1 lost_stacks=2 unknown_frees=3",
	"untracked=4 untracked_bytes=5 inflight_full=6 stack_overflow=7 reordered=9 live=8",
};

/* ---- checks ---- */

static void test_sample_types_and_header(void)
{
	static const char *const types[][2] = {
		{ "inuse_objects", "count" }, { "inuse_space", "bytes" },
		{ "inuse_maps", "count" },    { "inuse_map_space", "bytes" },
		{ "fds", "count" },	      { "timers", "count" },
	};
	Perftools__Profiles__Profile *p = render_profile(&model);
	size_t i;

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_sample_type, 6, "sample types");
	for (i = 0; i < 6; i++) {
		ASSERT_STREQ(str(p, p->sample_type[i]->type), types[i][0], "sample type");
		ASSERT_STREQ(str(p, p->sample_type[i]->unit), types[i][1], "sample unit");
	}
	ASSERT_STREQ(str(p, p->default_sample_type), "inuse_space", "default sample type");
	ASSERT_EQ(p->time_nanos, T_2026_11_26_0700Z * 1000000000LL, "time_nanos");
	ASSERT_EQ(p->duration_nanos, 0, "duration_nanos");
	ASSERT_TRUE(!p->period_type, "no period type: nothing is sampled");
	ASSERT_EQ(p->period, 0, "period");
	ASSERT_EQ(p->drop_frames, 0, "drop_frames");
	ASSERT_EQ(p->keep_frames, 0, "keep_frames");
	ASSERT_EQ(p->n_comment, 3, "comments");
	ASSERT_STREQ(str(p, p->comment[0]), "leaktrace: final report, min_age 5s", "comment 0");
	ASSERT_STREQ(str(p, p->comment[1]),
		     "events=77 short_lived=11 lost_events=1 lost_stacks=2 unknown_frees=3", "comment 1");
	ASSERT_STREQ(str(p, p->comment[2]),
		     "untracked=4 untracked_bytes=5 inflight_full=6 stack_overflow=7 reordered=9 live=8",
		     "comment 2");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_value_count_changes_default_type_only(void)
{
	struct render_opts o = { .value_count = true };
	Perftools__Profiles__Profile *p = render_profile_opts(&model, &o);

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_STREQ(str(p, p->default_sample_type), "inuse_objects", "default sample type");
	ASSERT_EQ(p->n_sample_type, 6, "sample types");
	ASSERT_EQ(p->sample[0]->value[0], 10, "objects");
	ASSERT_EQ(p->sample[0]->value[1], 1000, "bytes still there");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_string_table_exact(void)
{
	Perftools__Profiles__Profile *p = render_profile(&model);
	size_t i, n = sizeof(model_strings) / sizeof(model_strings[0]);

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_string_table, n, "strings (each once)");
	for (i = 0; i < n; i++)
		ASSERT_STREQ(p->string_table[i], model_strings[i], "string in order");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_samples_values_and_labels(void)
{
	/* location ids, values (6), pid, comm (NULL: no label), kind */
	static const struct {
		uint64_t locs[4];
		size_t nlocs;
		int64_t v[6];
		int64_t pid;
		const char *comm, *kind;
	} want[] = {
		{ { 1, 2, 3, 4 }, 4, { 10, 1000, 0, 0, 0, 0 }, 100, "leaky", "mem" },
		{ { 5, 2 }, 2, { 2, 640, 0, 0, 0, 0 }, 100, "leaky", "mem" },
		{ { 6 }, 1, { 0, 0, 2, 8192, 0, 0 }, 200, "other", "map" },
		{ { 7, 8 }, 2, { 0, 0, 0, 0, 3, 0 }, 100, "leaky", "fd" },
		{ { 0 }, 0, { 0, 0, 0, 0, 0, 1 }, 100, NULL, "timer" },
	};
	Perftools__Profiles__Profile *p = render_profile(&model);
	size_t i, j, l;

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_sample, 5, "one sample per stack");
	for (i = 0; i < 5; i++) {
		const Perftools__Profiles__Sample *s = p->sample[i];

		ASSERT_EQ(s->n_location_id, want[i].nlocs, "frames");
		for (j = 0; j < want[i].nlocs; j++)
			ASSERT_EQ(s->location_id[j], want[i].locs[j], "location id, leaf first");
		ASSERT_EQ(s->n_value, 6, "a value per sample type");
		for (j = 0; j < 6; j++)
			ASSERT_EQ(s->value[j], want[i].v[j], "value");
		ASSERT_EQ(s->n_label, want[i].comm ? 3 : 2, "labels");
		l = 0;
		ASSERT_STREQ(str(p, s->label[l]->key), "pid", "pid label");
		ASSERT_EQ(s->label[l]->num, want[i].pid, "pid is a number");
		ASSERT_EQ(s->label[l]->str, 0, "pid has no string");
		ASSERT_EQ(s->label[l]->num_unit, 0, "pid has no unit");
		l++;
		if (want[i].comm) {
			ASSERT_STREQ(str(p, s->label[l]->key), "comm", "comm label");
			ASSERT_STREQ(str(p, s->label[l]->str), want[i].comm, "comm");
			ASSERT_EQ(s->label[l]->num, 0, "comm has no number");
			l++;
		}
		ASSERT_STREQ(str(p, s->label[l]->key), "kind", "kind label");
		ASSERT_STREQ(str(p, s->label[l]->str), want[i].kind, "kind");
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_locations_dedup_per_pid_address(void)
{
	/* id = index + 1: mapping, address, function (0: no line), line */
	static const struct {
		uint64_t map, addr, fn;
		int64_t line;
	} want[] = {
		{ 1, 0x55000000112a, 1, 12 }, { 1, 0x550000001200, 2, 40 },
		{ 2, 0x7f0000002000, 0, 0 },  { 0, 0x10, 0, 0 },
		{ 1, 0x550000001300, 3, 20 }, { 3, 0x56000000112a, 1, 12 },
		{ 1, 0x550000001400, 4, 7 },  { 1, 0x550000001500, 5, 3 },
	};
	Perftools__Profiles__Profile *p = render_profile(&model);
	size_t i;

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_location, 8, "locations (main@0x550000001200 of pid 100 once)");
	for (i = 0; i < 8; i++) {
		const Perftools__Profiles__Location *l = p->location[i];

		ASSERT_EQ(l->id, i + 1, "location id");
		ASSERT_EQ(l->mapping_id, want[i].map, "location mapping");
		ASSERT_EQ(l->address, want[i].addr, "location address");
		ASSERT_TRUE(!l->is_folded, "not folded");
		if (!want[i].fn) {
			ASSERT_EQ(l->n_line, 0, "unknown symbol: no line");
			continue;
		}
		ASSERT_EQ(l->n_line, 1, "one line");
		ASSERT_EQ(l->line[0]->function_id, want[i].fn, "line function");
		ASSERT_EQ(l->line[0]->line, want[i].line, "line number");
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_mappings_per_pid_module(void)
{
	static const struct {
		uint64_t start, limit;
		const char *file, *build_id;
		bool fns, files, lines;
	} want[] = {
		{ 0x550000000000, 0x550000001501, "/bin/leaky", LEAKY_ID, true, true, true },
		{ 0x7f0000000000, 0x7f0000002001, "/lib/libc.so.6", LIBC_ID, false, false, false },
		{ 0x560000000000, 0x56000000112b, "/bin/leaky", LEAKY_ID, true, true, true },
	};
	Perftools__Profiles__Profile *p = render_profile(&model);
	size_t i;

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_mapping, 3, "mappings");
	for (i = 0; i < 3; i++) {
		const Perftools__Profiles__Mapping *m = p->mapping[i];

		ASSERT_EQ(m->id, i + 1, "mapping id");
		ASSERT_EQ(m->memory_start, want[i].start, "memory_start is the load base");
		ASSERT_EQ(m->memory_limit, want[i].limit, "memory_limit");
		ASSERT_EQ(m->file_offset, 0, "file_offset");
		ASSERT_STREQ(str(p, m->filename), want[i].file, "filename");
		ASSERT_STREQ(str(p, m->build_id), want[i].build_id, "build id");
		ASSERT_EQ(m->has_functions, want[i].fns, "has_functions");
		ASSERT_EQ(m->has_filenames, want[i].files, "has_filenames");
		ASSERT_EQ(m->has_line_numbers, want[i].lines, "has_line_numbers");
		ASSERT_EQ(m->has_inline_frames, false, "has_inline_frames");
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_functions_per_name_file(void)
{
	static const char *const want[][2] = {
		{ "leak_a", "leaky.c" }, { "main", "leaky.c" }, { "leak_b", "leaky.c" },
		{ "open_files", "fd.c" }, { "main", "fd.c" },
	};
	Perftools__Profiles__Profile *p = render_profile(&model);
	size_t i;

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_function, 5, "functions (leak_a of two processes once)");
	for (i = 0; i < 5; i++) {
		const Perftools__Profiles__Function *fn = p->function[i];

		ASSERT_EQ(fn->id, i + 1, "function id");
		ASSERT_STREQ(str(p, fn->name), want[i][0], "name");
		ASSERT_STREQ(str(p, fn->system_name), want[i][0], "system name");
		ASSERT_STREQ(str(p, fn->filename), want[i][1], "file");
		ASSERT_EQ(fn->start_line, 0, "start line unknown");
	}
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_empty_report_is_valid_profile(void)
{
	struct report r = { .summary = { .time = T_2026_11_26_0700Z } };
	Perftools__Profiles__Profile *p = render_profile(&r);

	ASSERT_TRUE(p, "profile decodes");
	ASSERT_EQ(p->n_sample_type, 6, "sample types even without samples");
	ASSERT_STREQ(str(p, p->default_sample_type), "inuse_space", "default sample type");
	ASSERT_EQ(p->n_sample, 0, "samples");
	ASSERT_EQ(p->n_location, 0, "locations");
	ASSERT_EQ(p->n_mapping, 0, "mappings");
	ASSERT_EQ(p->n_function, 0, "functions");
	ASSERT_TRUE(p->n_string_table > 0, "string table");
	ASSERT_STREQ(p->string_table[0], "", "string 0 is empty");
	ASSERT_STREQ(str(p, p->comment[0]), "leaktrace: interval report, min_age 0s",
		     "comment says not final");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_hostile_strings_become_utf8(void)
{
	static const struct report_frame fr[] = {
		{ .addr = 0x1000, .sym = "f\xc3(\xff\xfe", .module = "/tmp/\xe2\x80\xae.so",
		  .module_off = 0x1000, .file = "a\nb.c", .line = 1 },
		{ .addr = 0x2000, .sym = "caf\xc3\xa9_\xe2\x82\xac",
		  .module = "/tmp/\xe2\x80\xae.so",
		  .module_off = 0x2000 },
	};
	static const struct report_stack st[] = {
		{ .kind = LT_KIND_MEM, .pid = 1, .comm = "a\xff\x1b[31mb", .bytes = 1, .count = 1,
		  .nframes = 2, .frames = fr },
	};
	struct report r = { .stacks = st, .nstacks = 1 };
	Perftools__Profiles__Profile *p = render_profile(&r);
	const Perftools__Profiles__Function *fn;
	size_t i;

	ASSERT_TRUE(p, "profile with hostile strings decodes");
	for (i = 0; i < p->n_string_table; i++)
		ASSERT_TRUE(clean_utf8(p->string_table[i]), "every string is clean UTF-8");
	ASSERT_STREQ(str(p, p->sample[0]->label[1]->str), "a\xef\xbf\xbd\xef\xbf\xbd[31mb",
		     "invalid byte and ESC replaced in comm");
	fn = p->function[0];
	ASSERT_STREQ(str(p, fn->name), "f\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd",
		     "each invalid byte of a symbol replaced");
	ASSERT_STREQ(str(p, fn->filename), "a\xef\xbf\xbd" "b.c", "newline replaced in file");
	ASSERT_STREQ(str(p, p->mapping[0]->filename), "/tmp/\xef\xbf\xbd.so",
		     "bidi override replaced in module");
	ASSERT_STREQ(str(p, p->function[1]->name), "caf\xc3\xa9_\xe2\x82\xac",
		     "valid UTF-8 kept as is");
	perftools__profiles__profile__free_unpacked(p, NULL);
}

static void test_write_error_is_returned(void)
{
	FILE *f = fopen("/dev/null", "r");
	int err;

	ASSERT_TRUE(f, "open /dev/null read-only");
	err = report_pprof__write(&model, NULL, f);
	fclose(f);
	ASSERT_TRUE(err < 0, "writing to a read-only stream fails");
	ASSERT_EQ(report_pprof__write(NULL, NULL, stdout), -EINVAL, "no model");
}

/* ---- go tool pprof ---- */

struct flat_want {
	const char *name;
	unsigned long long flat;
};

/* Flat value of the row named name in pprof's -top output, ~0 when absent. */
static unsigned long long top_flat(FILE *f, const char *name, unsigned long long *total)
{
	char line[512], flat[64], row[256];
	unsigned long long ret = ~0ULL;
	bool in_rows = false;
	char *of;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (!in_rows) {
			/* "Showing nodes accounting for X, 100% of N total" */
			of = strstr(line, "% of ");
			if (of && strstr(line, " total"))
				*total = strtoull(of + 5, NULL, 10);
			in_rows = strstr(line, "flat%") != NULL;
			continue;
		}
		/* "flat flat% sum% cum cum% name"; -unit=B: "1000B" */
		if (sscanf(line, "%63s %*s %*s %*s %*s %255[^\n]", flat, row) == 2 &&
		    !strcmp(row, name))
			ret = strtoull(flat, NULL, 10);
	}
	return ret;
}

/*
 * `go tool pprof -top` of path for one sample index shows each want[].name with its flat value
 * and the total. -unit=B: pprof's default scales bytes to kB and rounds them; fractions 0:
 * drop no node. Prints what differs.
 */
static bool go_pprof_top_is(const char *dir, const char *path, const char *index,
			    const struct flat_want *want, int nwant, unsigned long long total)
{
	char cmd[1024], out[256];
	unsigned long long got, got_total = ~0ULL;
	bool ok = true;
	FILE *f;
	int i;

	snprintf(out, sizeof(out), "%s/top-%s.txt", dir, index);
	snprintf(cmd, sizeof(cmd),
		 "HOME=%s GOCACHE=%s/gocache go tool pprof -symbolize=none -top -unit=B "
		 "-nodecount=1000 -nodefraction=0 -edgefraction=0 -sample_index=%s %s >%s 2>&1",
		 dir, dir, index, path, out);
	if (system(cmd) != 0) {
		printf("  go tool pprof -sample_index=%s failed:\n", index);
		snprintf(cmd, sizeof(cmd), "sed 's/^/    /' %s", out);
		if (system(cmd))
			printf("    (cannot show its output)\n");
		return false;
	}
	f = fopen(out, "r");
	if (!f)
		return false;
	top_flat(f, "", &got_total);
	for (i = 0; i < nwant; i++) {
		got = top_flat(f, want[i].name, &got_total);
		if (got != want[i].flat) {
			printf("  %s: flat %s = %lld, expected %llu\n", index, want[i].name,
			       (long long)got, want[i].flat);
			ok = false;
		}
	}
	if (got_total != total) {
		printf("  %s: total %lld, expected %llu\n", index, (long long)got_total, total);
		ok = false;
	}
	fclose(f);
	return ok;
}

static void test_go_pprof_reads_it(void)
{
	static const struct flat_want space[] = { { "leak_a", 1000 }, { "leak_b", 640 },
						  { "main", 0 } };
	static const struct flat_want objects[] = { { "leak_a", 10 }, { "leak_b", 2 } };
	/* pid 200's mapping is in its own sample type, never added to malloc's bytes. */
	static const struct flat_want maps[] = { { "leak_a", 8192 } };
	static const struct flat_want fds[] = { { "open_files", 3 }, { "main", 0 } };
	char dir[] = "/tmp/test_pprof.XXXXXX", path[64], cmd[64];
	unsigned char *gz;
	size_t len;
	bool ok;
	int err = 0;
	FILE *f;

	ASSERT_TRUE(system("go version >/dev/null 2>&1") == 0,
		    "go is installed (make deps: golang-go): pprof must read the profile");
	ASSERT_TRUE(mkdtemp(dir), "temporary directory");
	snprintf(path, sizeof(path), "%s/p.pb.gz", dir);
	gz = render(&model, NULL, &len, &err);
	f = fopen(path, "w");
	ok = gz && !err && f && fwrite(gz, 1, len, f) == len;
	if (f)
		ok &= !fclose(f);
	free(gz);

	ok = ok && go_pprof_top_is(dir, path, "inuse_space", space, 3, 1640) &&
	     go_pprof_top_is(dir, path, "inuse_objects", objects, 2, 12) &&
	     go_pprof_top_is(dir, path, "inuse_map_space", maps, 1, 8192) &&
	     go_pprof_top_is(dir, path, "fds", fds, 2, 3) &&
	     go_pprof_top_is(dir, path, "timers", NULL, 0, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	err = system(cmd);
	ASSERT_TRUE(ok, "go tool pprof shows each function's flat value exactly");
	ASSERT_EQ(err, 0, "temporary directory removed");
}

int main(void)
{
	RUN_TEST(test_sample_types_and_header);
	RUN_TEST(test_value_count_changes_default_type_only);
	RUN_TEST(test_string_table_exact);
	RUN_TEST(test_samples_values_and_labels);
	RUN_TEST(test_locations_dedup_per_pid_address);
	RUN_TEST(test_mappings_per_pid_module);
	RUN_TEST(test_functions_per_name_file);
	RUN_TEST(test_empty_report_is_valid_profile);
	RUN_TEST(test_hostile_strings_become_utf8);
	RUN_TEST(test_write_error_is_returned);
	RUN_TEST(test_go_pprof_reads_it);
	TEST_EXIT();
}
