// SPDX-License-Identifier: GPL-2.0
/*
 * test_render.c - the renderers (text, JSON Lines, folded), the JSON writer and the
 * escaping of untrusted strings.
 *
 * Output formats are contracts that other tests and users parse, so the clean model is
 * compared in full, byte for byte. Hostile strings (terminal escapes, newlines, ';',
 * quotes, backslashes, invalid UTF-8) are checked against each format's invariants; JSON
 * is parsed back by python3, whose re-serialisation must equal what we meant to write.
 */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "json_writer.h"
#include "report.h"
#include "test.h"

#define T_2026_11_26_0700Z 1795676400 /* 2026-11-26T07:00:00Z */

typedef int (*render_fn)(const struct report *, const struct render_opts *, FILE *);

/* Render into memory. Returns a malloc'd string (never NULL unless out of memory). */
static char *render(render_fn fn, const struct report *r, const struct render_opts *o, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	*err = fn(r, o, f);
	fclose(f);
	return buf;
}

/* What a JSON writer callback produced, as a malloc'd string. */
static char *jsonw_capture(void (*fill)(struct jsonw *), int *err)
{
	char *buf = NULL;
	size_t len = 0;
	struct jsonw *w;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	w = jsonw__new(f);
	if (!w) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fill(w);
	*err = jsonw__finish(w);
	jsonw__free(w);
	fclose(f);
	return buf;
}

static char *escape_capture(int (*fn)(FILE *, const char *), const char *s, int *cols)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	*cols = fn(f, s);
	fclose(f);
	return buf;
}

static bool have_python3(void)
{
	return system("python3 -c '' >/dev/null 2>&1") == 0;
}

/*
 * Parse every line of json with python3 (strictly: UTF-8, one value per line, no NaN) and
 * return its re-serialisation, one line per input line, ASCII only, keys in input order.
 * NULL when python3 rejected the input (its reason on stderr unless quiet).
 */
static char *python_json_roundtrip(const char *json, bool quiet)
{
	static const char script[] =
		"import json,sys\n"
		"def bad(c): raise ValueError(c)\n"
		"data = open(sys.argv[1], 'rb').read().decode('utf-8')\n"
		"assert data == '' or data.endswith('\\n'), 'last line unterminated'\n"
		"for l in data.split('\\n')[:-1]:\n"
		"    o = json.loads(l, parse_constant=bad)\n"
		"    assert isinstance(o, dict) and 'type' in o, 'not a typed object'\n"
		"    print(json.dumps(o, separators=(',', ':')))\n";
	char path[] = "/tmp/test_render.XXXXXX", cmd[256], *out = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *p, *mem;
	int fd, status;

	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	n = strlen(json);
	if (write(fd, json, n) != (ssize_t)n) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);

	snprintf(cmd, sizeof(cmd), "python3 -c \"$LT_PY\" %s%s", path, quiet ? " 2>/dev/null" : "");
	setenv("LT_PY", script, 1);
	p = popen(cmd, "r");
	mem = open_memstream(&out, &len);
	while (p && mem && (n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fwrite(chunk, 1, n, mem);
	status = p ? pclose(p) : -1;
	if (mem)
		fclose(mem);
	unlink(path);
	if (status != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Invariants of text output: only '\n' and '\t' as controls, valid and safe UTF-8. */
static bool text_is_safe(const char *s)
{
	__u32 cp;
	int n;

	while (*s) {
		n = escape__utf8_next(s, &cp);
		if (!n)
			return false;
		if (escape__unsafe_cp(cp) && cp != '\n' && cp != '\t')
			return false;
		s += n;
	}
	return true;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * The folded grammar: every line "^(.*) ([0-9]+)$", frames split by ';' all non-empty,
 * no control byte anywhere, valid UTF-8.
 */
static bool folded_is_valid(const char *out)
{
	const char *line = out, *nl, *sp, *p;
	regex_t re;
	char buf[4096];
	bool ok = true;
	size_t len;

	if (regcomp(&re, "^(.*) ([0-9]+)$", REG_EXTENDED | REG_NOSUB))
		return false;
	for (; ok && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			return regfree(&re), false;
		len = nl - line;
		if (len >= sizeof(buf))
			return regfree(&re), false;
		memcpy(buf, line, len);
		buf[len] = '\0';
		ok = !regexec(&re, buf, 0, NULL, 0) && text_is_safe(buf) && !strchr(buf, '\t');
		sp = strrchr(buf, ' ');
		/* Frames: between ';'s before the value; none empty. */
		for (p = buf; ok && p < sp; p++) {
			if (*p == ';' && (p == buf || p[-1] == ';' || p + 1 == sp))
				ok = false;
		}
		if (ok && buf[0] == ';')
			ok = false;
	}
	regfree(&re);
	return ok;
}

/* The clean model: every kind, every way a frame can be (un)known. */
static const struct report_frame mem_frames[] = {
	{ 0x55d0c1a2b162, "leak_a", 0x12, "/usr/local/bin/leaky", 0x1162, "leaky.c", 12, NULL },
	{ 0x55d0c1a2b1f0, "main", 0x40, "/usr/local/bin/leaky", 0x11f0, "leaky.c", 30, NULL },
	{ 0x7f3a1c02724a, NULL, 0, "/lib/x86_64-linux-gnu/libc.so.6", 0x2724a, NULL, 0, NULL },
	{ 0x1234, NULL, 0, NULL, 0, NULL, 0, NULL },
};
static const struct report_frame mem2_frames[] = {
	{ 0x55d0c1a2b180, "leak_b", 0x8, "/usr/local/bin/leaky", 0x1180, "leaky.c", 0, NULL },
};
static const struct report_frame map_frames[] = {
	{ 0x7f0000001000, "mmap_leak", 0x8, "/usr/local/bin/leaky", 0x1000, NULL, 0, NULL },
};
static const struct report_frame fd_frames[] = {
	{ 0x55d0c1a2b300, "open_leak", 0x10, "/usr/local/bin/leaky", 0x1300, "leaky.c", 40, NULL },
};
static const struct report_frame timer_frames[] = {
	{ 0x401000, "arm", 0, NULL, 0, NULL, 0, NULL },
};

static void model_clean(struct report *r, struct report_stack *st, struct report_proc *pr)
{
	memset(r, 0, sizeof(*r));
	memset(st, 0, 5 * sizeof(*st));
	memset(pr, 0, 2 * sizeof(*pr));

	st[0] = (struct report_stack){ .kind = LT_KIND_MEM, .pid = 1234, .comm = "leaky",
				       .bytes = 6400, .count = 100, .oldest_s = 12.5,
				       .nframes = 4, .frames = mem_frames };
	st[1] = (struct report_stack){ .kind = LT_KIND_MEM, .pid = 1234, .comm = "leaky",
				       .bytes = 100, .count = 1, .oldest_s = 5.5,
				       .nframes = 1, .frames = mem2_frames };
	st[2] = (struct report_stack){ .kind = LT_KIND_MAP, .pid = 1234, .comm = "leaky",
				       .bytes = 1048576, .count = 2, .oldest_s = 7.5,
				       .nframes = 1, .frames = map_frames };
	st[3] = (struct report_stack){ .kind = LT_KIND_FD, .pid = 1234, .comm = "leaky",
				       .count = 4, .oldest_s = 6,
				       .paths = { "/tmp/a", "/tmp/b" }, .npaths = 2,
				       .nframes = 1, .frames = fd_frames };
	st[3].fd_kinds[LT_FD_FILE] = 3;
	st[3].fd_kinds[LT_FD_SOCKET] = 1;
	st[4] = (struct report_stack){ .kind = LT_KIND_TIMER, .pid = 77, .comm = "timerd",
				       .count = 1, .oldest_s = 100,
				       .nframes = 1, .frames = timer_frames };
	pr[0] = (struct report_proc){ .pid = 1234, .comm = "leaky", .mem_bytes = 6500,
				      .mem_count = 101, .map_bytes = 1048576, .map_count = 2,
				      .fds = 4 };
	pr[1] = (struct report_proc){ .pid = 77, .comm = "timerd", .exited = true, .timers = 1 };

	r->summary = (struct report_summary){ .time = T_2026_11_26_0700Z, .final = true,
					      .min_age_s = 5, .events = 123456, .short_lived = 4321,
					      .unknown_frees = 12, .live = 108 };
	r->stacks = st;
	r->nstacks = 5;
	r->procs = pr;
	r->nprocs = 2;
}

static const char clean_text[] =
	"leaktrace report 2026-11-26T07:00:00Z (final)\n"
	"== mem: 2 stacks, 6500 bytes in 101 allocations older than 5s\n"
	"6400 bytes in 100 allocations from stack (pid 1234 leaky, oldest 12.5s)\n"
	"\t#0 0x55d0c1a2b162 leak_a+0x12 (/usr/local/bin/leaky) leaky.c:12\n"
	"\t#1 0x55d0c1a2b1f0 main+0x40 (/usr/local/bin/leaky) leaky.c:30\n"
	"\t#2 0x7f3a1c02724a [libc.so.6+0x2724a]\n"
	"\t#3 0x1234 [unknown]\n"
	"100 bytes in 1 allocations from stack (pid 1234 leaky, oldest 5.5s)\n"
	"\t#0 0x55d0c1a2b180 leak_b+0x8 (/usr/local/bin/leaky) leaky.c\n"
	"== map: 1 stacks, 1048576 bytes in 2 mappings older than 5s\n"
	"1048576 bytes in 2 mappings from stack (pid 1234 leaky, oldest 7.5s)\n"
	"\t#0 0x7f0000001000 mmap_leak+0x8 (/usr/local/bin/leaky)\n"
	"== fd: 1 stacks, 4 fds older than 5s\n"
	"4 fds (3 file, 1 socket) from stack (pid 1234 leaky, oldest 6.0s)\n"
	"\tpath: /tmp/a\n"
	"\tpath: /tmp/b\n"
	"\t#0 0x55d0c1a2b300 open_leak+0x10 (/usr/local/bin/leaky) leaky.c:40\n"
	"== timer: 1 stacks, 1 timers older than 5s\n"
	"1 timers from stack (pid 77 timerd, oldest 100.0s)\n"
	"\t#0 0x401000 arm+0x0\n"
	"== processes\n"
	"    PID COMM             MEM_BYTES  MEM_COUNT  MAP_BYTES   FDS TIMERS\n"
	"   1234 leaky                 6500        101    1048576     4      0\n"
	"     77 timerd                   0          0          0     0      1   (exited)\n"
	"== summary: events 123456, short-lived 4321, lost events 0, lost stacks 0, unknown frees 12, "
	"untracked 0 (0 bytes), inflight full 0, stack overflow 0, reordered 0, live 108\n";

static const char clean_json[] =
	"{\"type\":\"stack\",\"kind\":\"mem\",\"pid\":1234,\"comm\":\"leaky\",\"bytes\":6400,"
	"\"count\":100,\"oldest_s\":12.5,\"frames\":["
	"{\"addr\":\"0x55d0c1a2b162\",\"sym\":\"leak_a\",\"off\":18,"
	"\"module\":\"/usr/local/bin/leaky\",\"file\":\"leaky.c\",\"line\":12},"
	"{\"addr\":\"0x55d0c1a2b1f0\",\"sym\":\"main\",\"off\":64,"
	"\"module\":\"/usr/local/bin/leaky\",\"file\":\"leaky.c\",\"line\":30},"
	"{\"addr\":\"0x7f3a1c02724a\",\"sym\":null,\"module\":\"/lib/x86_64-linux-gnu/libc.so.6\"},"
	"{\"addr\":\"0x1234\",\"sym\":null,\"module\":null}]}\n"
	"{\"type\":\"stack\",\"kind\":\"mem\",\"pid\":1234,\"comm\":\"leaky\",\"bytes\":100,"
	"\"count\":1,\"oldest_s\":5.5,\"frames\":["
	"{\"addr\":\"0x55d0c1a2b180\",\"sym\":\"leak_b\",\"off\":8,"
	"\"module\":\"/usr/local/bin/leaky\",\"file\":\"leaky.c\"}]}\n"
	"{\"type\":\"stack\",\"kind\":\"map\",\"pid\":1234,\"comm\":\"leaky\",\"bytes\":1048576,"
	"\"count\":2,\"oldest_s\":7.5,\"frames\":["
	"{\"addr\":\"0x7f0000001000\",\"sym\":\"mmap_leak\",\"off\":8,"
	"\"module\":\"/usr/local/bin/leaky\"}]}\n"
	"{\"type\":\"stack\",\"kind\":\"fd\",\"pid\":1234,\"comm\":\"leaky\",\"count\":4,"
	"\"oldest_s\":6,\"fd_kinds\":{\"file\":3,\"socket\":1},\"paths\":[\"/tmp/a\",\"/tmp/b\"],"
	"\"frames\":[{\"addr\":\"0x55d0c1a2b300\",\"sym\":\"open_leak\",\"off\":16,"
	"\"module\":\"/usr/local/bin/leaky\",\"file\":\"leaky.c\",\"line\":40}]}\n"
	"{\"type\":\"stack\",\"kind\":\"timer\",\"pid\":77,\"comm\":\"timerd\",\"count\":1,"
	"\"oldest_s\":100,\"frames\":[{\"addr\":\"0x401000\",\"sym\":\"arm\",\"off\":0,"
	"\"module\":null}]}\n"
	"{\"type\":\"process\",\"pid\":1234,\"comm\":\"leaky\",\"exited\":false,"
	"\"mem_bytes\":6500,\"mem_count\":101,\"map_bytes\":1048576,\"map_count\":2,"
	"\"fds\":4,\"timers\":0,\"rss\":0,\"flagged\":[]}\n"
	"{\"type\":\"process\",\"pid\":77,\"comm\":\"timerd\",\"exited\":true,"
	"\"mem_bytes\":0,\"mem_count\":0,\"map_bytes\":0,\"map_count\":0,\"fds\":0,\"timers\":1,\"rss\":0,\"flagged\":[]}\n"
	"{\"type\":\"summary\",\"time\":\"2026-11-26T07:00:00Z\",\"final\":true,\"delta\":false,\"min_age_s\":5,"
	"\"events\":123456,\"short_lived\":4321,\"lost_events\":0,\"lost_stacks\":0,\"unknown_frees\":12,"
	"\"untracked\":0,\"untracked_bytes\":0,\"inflight_full\":0,\"stack_overflow\":0,\"reordered\":0,"
	"\"live\":108}\n";

static const char clean_folded[] =
	"leaky-1234;[unknown];[libc.so.6];main;leak_a 6400\n"
	"leaky-1234;leak_b 100\n"
	"leaky-1234;mmap_leak 1048576\n"
	"leaky-1234;open_leak 4\n"
	"timerd-77;arm 1\n";

static void test_text_clean_model_exact(void)
{
	struct report_stack st[5];
	struct report_proc pr[2];
	struct report r;
	char *out;
	int err;

	model_clean(&r, st, pr);
	out = render(report_text__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_text__write");
	ASSERT_STREQ(out, clean_text, "text output");
	free(out);
}

static void test_text_not_final_and_warning(void)
{
	struct report_stack st[5];
	struct report_proc pr[2];
	struct report r;
	char *out;
	int err;

	model_clean(&r, st, pr);
	r.nstacks = 0;
	r.nprocs = 0;
	r.summary.final = false;
	r.summary.min_age_s = 0.5;
	r.summary.lost_events = 5;
	r.summary.untracked = 3;
	r.summary.untracked_bytes = 4096;
	r.summary.inflight_full = 1;
	r.summary.stack_overflow = 9; /* attribution only: totals stay exact, no warning */
	r.summary.reordered = 2;
	out = render(report_text__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_text__write");
	ASSERT_STREQ(out,
		     "leaktrace report 2026-11-26T07:00:00Z\n"
		     "== summary: events 123456, short-lived 4321, lost events 5, lost stacks 0, "
		     "unknown frees 12, "
		     "untracked 3 (4096 bytes), inflight full 1, stack overflow 9, reordered 2, "
		     "live 108\n"
		     "WARNING: totals are inexact: lost events 5, untracked 3 (4096 bytes), "
		     "inflight full 1, reordered 2\n",
		     "text with losses");
	free(out);

	r.summary.lost_events = r.summary.untracked = r.summary.inflight_full = 0;
	r.summary.reordered = 0;
	r.summary.lost_stacks = 2;
	out = render(report_text__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_TRUE(strstr(out, "\nWARNING: totals are inexact: lost stacks 2\n"), "lost stacks");
	free(out);
}

static void test_json_clean_model_exact(void)
{
	struct report_stack st[5];
	struct report_proc pr[2];
	struct report r;
	char *out, *py;
	int err;

	model_clean(&r, st, pr);
	out = render(report_json__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_json__write");
	ASSERT_STREQ(out, clean_json, "json output");
	ASSERT_TRUE(have_python3(), "python3 is installed (make deps): JSON must be parsed");
	/* ASCII, no escapes, python's float repr agrees: the round trip is the identity. */
	py = python_json_roundtrip(out, false);
	ASSERT_TRUE(py, "python3 parses every line");
	ASSERT_STREQ(py, clean_json, "python3 round trip");
	free(py);
	free(out);
}

static void test_folded_clean_model_exact(void)
{
	struct render_opts o = { .no_pid = true };
	struct report_stack st[5];
	struct report_proc pr[2];
	struct report r;
	char *out;
	int err;

	model_clean(&r, st, pr);
	out = render(report_folded__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_folded__write");
	ASSERT_STREQ(out, clean_folded, "folded output");
	ASSERT_TRUE(folded_is_valid(out), "folded grammar");
	free(out);

	out = render(report_folded__write, &r, &o, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_folded__write no_pid");
	ASSERT_STREQ(out,
		     "leaky;[unknown];[libc.so.6];main;leak_a 6400\n"
		     "leaky;leak_b 100\n"
		     "leaky;mmap_leak 1048576\n"
		     "leaky;open_leak 4\n"
		     "timerd;arm 1\n",
		     "folded no_pid");
	free(out);
}

static void test_empty_report_all_formats(void)
{
	struct report r = { .summary = { .time = T_2026_11_26_0700Z, .min_age_s = 5 } };
	char *out, *py;
	int err;

	out = render(report_text__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render text");
	ASSERT_EQ(err, 0, "report_text__write");
	ASSERT_STREQ(out,
		     "leaktrace report 2026-11-26T07:00:00Z\n"
		     "== summary: events 0, short-lived 0, lost events 0, lost stacks 0, unknown frees 0, "
		     "untracked 0 (0 bytes), inflight full 0, stack overflow 0, reordered 0, live 0\n",
		     "empty text");
	free(out);

	out = render(report_json__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render json");
	ASSERT_EQ(err, 0, "report_json__write");
	ASSERT_STREQ(out,
		     "{\"type\":\"summary\",\"time\":\"2026-11-26T07:00:00Z\",\"final\":false,\"delta\":false,"
		     "\"min_age_s\":5,\"events\":0,\"short_lived\":0,\"lost_events\":0,\"lost_stacks\":0,"
		     "\"unknown_frees\":0,\"untracked\":0,\"untracked_bytes\":0,"
		     "\"inflight_full\":0,\"stack_overflow\":0,\"reordered\":0,\"live\":0}\n",
		     "empty json");
	if (have_python3()) {
		py = python_json_roundtrip(out, false);
		ASSERT_TRUE(py, "python3 parses the empty report");
		free(py);
	}
	free(out);

	out = render(report_folded__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render folded");
	ASSERT_EQ(err, 0, "report_folded__write");
	ASSERT_STREQ(out, "", "empty folded");
	free(out);
}

/* Everything a traced process controls, at its worst. */
static const struct report_frame hostile_frames[] = {
	{ 0x1000, "operator new(unsigned long)", 4, "/usr/lib/libstdc++.so.6", 0x10, NULL, 0,
	  NULL },
	{ 0x2000, "ns::f<a;b>\x1b[2J", 8, "/opt/\x1b]0;title\x07/app", 0x20, "src/\r\nx.c", 7,
	  NULL },
	{ 0x3000, "", 0, "/opt/\x1b]0;title\x07/libx;y.so", 0x30, NULL, 0, NULL },
	{ 0x4000, "\xc2\x9b" "2J\xe2\x80\xae" "evil", 0, "", 0, NULL, 0, NULL },
	{ 0x5000, NULL, 0, "/lib/", 0x50, NULL, 0, NULL },
};

static const char hostile_comm[] = "\x1b[31mred\x1b[0m";
static const char hostile_path1[] = "/tmp/new\nline;semi\"quote\\back";
static const char hostile_path2[] =
	"bad\xff\xfe utf8 \xe2\x82 trunc \xc3\xa9 ok \xf0\x9f\x98\x80 over \xc0\xaf end\xe2";

static void model_hostile(struct report *r, struct report_stack *st, struct report_proc *pr)
{
	memset(r, 0, sizeof(*r));
	st[0] = (struct report_stack){ .kind = LT_KIND_FD, .pid = 42, .comm = hostile_comm,
				       .count = 2, .oldest_s = NAN,
				       .paths = { hostile_path1, hostile_path2 }, .npaths = 2,
				       .nframes = 5, .frames = hostile_frames };
	st[0].fd_kinds[LT_FD_FILE] = 2;
	st[1] = (struct report_stack){ .kind = LT_KIND_MEM, .pid = 42, .comm = "",
				       .bytes = 10, .count = 1, .oldest_s = INFINITY };
	*pr = (struct report_proc){ .pid = 42, .comm = hostile_comm, .fds = 2 };
	r->summary = (struct report_summary){ .time = T_2026_11_26_0700Z, .min_age_s = NAN };
	r->stacks = st;
	r->nstacks = 2;
	r->procs = pr;
	r->nprocs = 1;
}

static void test_text_hostile_strings(void)
{
	struct report_stack st[2];
	struct report_proc pr;
	struct report r;
	char *out;
	int err;

	model_hostile(&r, st, &pr);
	out = render(report_text__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_text__write");
	ASSERT_TRUE(text_is_safe(out), "no raw control, C1, bidi or invalid UTF-8");
	/* header, 2 sections, 2 stacks, 2 paths, 5 frames, "[no stack]", table (3), summary */
	ASSERT_EQ(count_lines(out), 17, "no injected line");
	ASSERT_TRUE(strstr(out, "(pid 42 \\x1b[31mred\\x1b[0m, oldest ?)\n"), "comm escaped");
	ASSERT_TRUE(strstr(out, "\tpath: /tmp/new\\x0aline;semi\"quote\\\\back\n"), "path1");
	ASSERT_TRUE(strstr(out, "\tpath: bad\\xff\\xfe utf8 \\xe2\\x82 trunc \xc3\xa9 ok "
				"\xf0\x9f\x98\x80 over \\xc0\\xaf end\\xe2\n"),
		    "path2: valid UTF-8 kept, each invalid byte escaped");
	ASSERT_TRUE(strstr(out, "\t#0 0x1000 operator new(unsigned long)+0x4 "
				"(/usr/lib/libstdc++.so.6)\n"),
		    "symbol with spaces");
	ASSERT_TRUE(strstr(out, "\t#1 0x2000 ns::f<a;b>\\x1b[2J+0x8 "
				"(/opt/\\x1b]0;title\\x07/app) src/\\x0d\\x0ax.c:7\n"),
		    "frame 1");
	ASSERT_TRUE(strstr(out, "\t#2 0x3000 [libx;y.so+0x30]\n"), "empty sym: module");
	ASSERT_TRUE(strstr(out, "\t#3 0x4000 \\xc2\\x9b2J\\xe2\\x80\\xaeevil+0x0\n"),
		    "C1 and bidi escaped");
	ASSERT_TRUE(strstr(out, "\t#4 0x5000 [/lib/+0x50]\n"), "module without a basename");
	ASSERT_TRUE(strstr(out, "(pid 42 [unknown], oldest ?)\n\t[no stack]\n"), "empty comm");
	ASSERT_TRUE(strstr(out, "\n     42 \\x1b[31mred\\x1b[0m         0 "), "table row");
	free(out);
}

static void test_json_hostile_strings(void)
{
	struct report_stack st[2];
	struct report_proc pr;
	struct report r;
	char *out, *py;
	int err;

	model_hostile(&r, st, &pr);
	out = render(report_json__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_json__write");
	ASSERT_EQ(count_lines(out), 4, "one object per line");
	ASSERT_TRUE(text_is_safe(out), "no raw control bytes in JSON either");
	ASSERT_TRUE(strstr(out, "\"oldest_s\":null,"), "NaN is null");
	ASSERT_TRUE(strstr(out, "\"bytes\":10,\"count\":1,\"oldest_s\":null,\"frames\":[]}"),
		    "Infinity is null, no frames is []");
	ASSERT_TRUE(strstr(out, "\"min_age_s\":null,"), "summary NaN is null");
	ASSERT_TRUE(strstr(out, "\"comm\":null,"), "empty comm is null");
	ASSERT_TRUE(have_python3(), "python3 is installed (make deps): JSON must be parsed");
	py = python_json_roundtrip(out, false);
	ASSERT_TRUE(py, "python3 parses every line");
	/* What python read back: the valid parts exact, each invalid byte as U+FFFD. */
	ASSERT_TRUE(strstr(py, "\"comm\":\"\\u001b[31mred\\u001b[0m\""), "comm round-trips");
	ASSERT_TRUE(strstr(py, "\"paths\":[\"/tmp/new\\nline;semi\\\"quote\\\\back\","
			       "\"bad\\ufffd\\ufffd utf8 \\ufffd\\ufffd trunc \\u00e9 ok "
			       "\\ud83d\\ude00 over \\ufffd\\ufffd end\\ufffd\"]"),
		    "paths round-trip");
	ASSERT_TRUE(strstr(py, "\"sym\":\"operator new(unsigned long)\",\"off\":4,"), "spaces");
	ASSERT_TRUE(strstr(py, "\"sym\":\"ns::f<a;b>\\u001b[2J\",\"off\":8,"
			       "\"module\":\"/opt/\\u001b]0;title\\u0007/app\","
			       "\"file\":\"src/\\r\\nx.c\",\"line\":7}"),
		    "frame 1 round-trips");
	ASSERT_TRUE(strstr(py, "{\"addr\":\"0x3000\",\"sym\":null,"
			       "\"module\":\"/opt/\\u001b]0;title\\u0007/libx;y.so\"}"),
		    "empty sym is null, no off");
	ASSERT_TRUE(strstr(py, "{\"addr\":\"0x4000\",\"sym\":\"\\u009b2J\\u202eevil\",\"off\":0,"
			       "\"module\":null}"),
		    "C1 and bidi round-trip, empty module is null");
	free(py);
	free(out);
}

static void test_folded_hostile_strings(void)
{
	struct report_stack st[2];
	struct report_proc pr;
	struct report r;
	char *out;
	int err;

	model_hostile(&r, st, &pr);
	out = render(report_folded__write, &r, NULL, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "report_folded__write");
	ASSERT_TRUE(folded_is_valid(out), "folded grammar");
	ASSERT_STREQ(out,
		     "?[31mred?[0m-42;[/lib/];?2J?evil;[libx_y.so];ns::f<a_b>?[2J;"
		     "operator new(unsigned long) 2\n"
		     "[unknown]-42 10\n",
		     "folded output");
	free(out);
}

static void test_escape_text_cases(void)
{
	char *out;
	int cols;

	out = escape_capture(escape__text, "plain \xc3\xa9t\xc3\xa9", &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out, "plain \xc3\xa9t\xc3\xa9", "valid UTF-8 as is");
	ASSERT_EQ(cols, 9, "columns count code points");
	free(out);

	out = escape_capture(escape__text, "a\\b\x7f\t\n", &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out, "a\\\\b\\x7f\\x09\\x0a", "backslash, DEL, tab, newline");
	ASSERT_EQ(cols, 16, "columns");
	free(out);

	/* Surrogate, beyond U+10FFFF, lone continuation, truncated 4-byte form, overlong '/'. */
	out = escape_capture(escape__text,
			     "\xed\xa0\x80|\xf4\x90\x80\x80|\x80|\xf0\x9f\x98|\xe0\x80\xaf", &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out,
		     "\\xed\\xa0\\x80|\\xf4\\x90\\x80\\x80|\\x80|\\xf0\\x9f\\x98|\\xe0\\x80\\xaf",
		     "invalid");
	free(out);

	out = escape_capture(escape__text, "\xf4\x8f\xbf\xbf", &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out, "\xf4\x8f\xbf\xbf", "U+10FFFF is valid");
	free(out);
}

static void test_escape_folded_cases(void)
{
	char *out;
	int cols;

	out = escape_capture(escape__folded, NULL, &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out, "[unknown]", "NULL");
	free(out);
	out = escape_capture(escape__folded, "", &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out, "[unknown]", "empty");
	free(out);
	out = escape_capture(escape__folded, "a;b c\n\xff\xc3\xa9\\", &cols);
	ASSERT_TRUE(out, "capture");
	ASSERT_STREQ(out, "a_b c??\xc3\xa9\\", "separator, newline, invalid byte");
	ASSERT_EQ(cols, 9, "columns");
	free(out);
}

static void fill_nested(struct jsonw *w)
{
	jsonw__start_object(w);
	jsonw__key(w, "a");
	jsonw__start_array(w);
	jsonw__u64(w, 1);
	jsonw__s64(w, -2);
	jsonw__start_object(w);
	jsonw__null_field(w, "b");
	jsonw__end_object(w);
	jsonw__start_array(w);
	jsonw__end_array(w);
	jsonw__end_array(w);
	jsonw__bool_field(w, "c", true);
	jsonw__bool_field(w, "d", false);
	jsonw__string_field(w, "e", NULL);
	jsonw__end_object(w);
	/* A second top-level value starts a new line. */
	jsonw__start_object(w);
	jsonw__end_object(w);
}

static void fill_numbers(struct jsonw *w)
{
	jsonw__start_array(w);
	jsonw__u64(w, 18446744073709551615ULL);
	jsonw__s64(w, -9223372036854775807LL - 1);
	jsonw__double(w, 0.1);
	jsonw__double(w, 12.5);
	jsonw__double(w, 5.0);
	jsonw__double(w, -0.0);
	jsonw__double(w, 1e300);
	jsonw__double(w, 1.0 / 3.0);
	jsonw__double(w, NAN);
	jsonw__double(w, INFINITY);
	jsonw__double(w, -INFINITY);
	jsonw__end_array(w);
}

static void fill_strings(struct jsonw *w)
{
	jsonw__start_array(w);
	jsonw__string(w, "q\"b\\s/\x01\x1f\x7f\n");
	jsonw__string(w, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	jsonw__string(w, "\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82|\xff");
	jsonw__string(w, "\xc2\x85\xe2\x80\xa8\xe2\x80\xae");
	jsonw__string(w, "");
	jsonw__end_array(w);
}

static void test_jsonw_nesting(void)
{
	char *out;
	int err;

	out = jsonw_capture(fill_nested, &err);
	ASSERT_TRUE(out, "capture");
	ASSERT_EQ(err, 0, "jsonw__finish");
	ASSERT_STREQ(out, "{\"a\":[1,-2,{\"b\":null},[]],\"c\":true,\"d\":false,\"e\":null}\n{}\n",
		     "nested output");
	free(out);
}

static void test_jsonw_numbers(void)
{
	char *out;
	int err;

	out = jsonw_capture(fill_numbers, &err);
	ASSERT_TRUE(out, "capture");
	ASSERT_EQ(err, 0, "jsonw__finish");
	ASSERT_STREQ(out,
		     "[18446744073709551615,-9223372036854775808,0.1,12.5,5,-0,1e+300,"
		     "0.33333333333333331,null,null,null]\n",
		     "numbers; non-finite as null; shortest round-trip doubles");
	free(out);
}

static void test_jsonw_strings(void)
{
	char *out, *py;
	int err;

	out = jsonw_capture(fill_strings, &err);
	ASSERT_TRUE(out, "capture");
	ASSERT_EQ(err, 0, "jsonw__finish");
	ASSERT_STREQ(out,
		     "[\"q\\\"b\\\\s/\\u0001\\u001f\\u007f\\u000a\","
		     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
		     "\"\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|"
		     "\\ufffd\\ufffd|\\ufffd\","
		     "\"\\u0085\\u2028\\u202e\",\"\"]\n",
		     "escapes, valid UTF-8 kept, U+FFFD per invalid byte");
	if (have_python3()) {
		/* Not an object per line: wrap it so the checker accepts it. */
		char *wrapped = NULL;

		ASSERT_TRUE(asprintf(&wrapped, "{\"type\":\"t\",\"v\":%.*s}\n",
				     (int)strlen(out) - 1, out) > 0,
			    "asprintf");
		py = python_json_roundtrip(wrapped, false);
		free(wrapped);
		ASSERT_TRUE(py, "python3 parses it");
		ASSERT_TRUE(strstr(py, "[\"q\\\"b\\\\s/\\u0001\\u001f\\u007f\\n\","
				       "\"\\u00e9\\u20ac\\ud83d\\ude00\","),
			    "python reads what was meant");
		free(py);
	}
	free(out);
}

static void misuse_value_without_key(struct jsonw *w)
{
	jsonw__start_object(w);
	jsonw__u64(w, 1);
	jsonw__end_object(w);
}

static void misuse_key_in_array(struct jsonw *w)
{
	jsonw__start_array(w);
	jsonw__key(w, "k");
	jsonw__end_array(w);
}

static void misuse_mismatched_end(struct jsonw *w)
{
	jsonw__start_object(w);
	jsonw__end_array(w);
}

static void misuse_unclosed(struct jsonw *w)
{
	jsonw__start_object(w);
	jsonw__key(w, "k");
}

static void misuse_too_deep(struct jsonw *w)
{
	int i;

	for (i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw__start_array(w);
	for (i = 0; i <= JSONW_MAX_DEPTH; i++)
		jsonw__end_array(w);
}

static void test_jsonw_misuse_is_einval(void)
{
	void (*cases[])(struct jsonw *) = { misuse_value_without_key, misuse_key_in_array,
					    misuse_mismatched_end, misuse_unclosed,
					    misuse_too_deep };
	size_t i;
	char *out;
	int err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = jsonw_capture(cases[i], &err);
		ASSERT_TRUE(out, "capture");
		free(out);
		ASSERT_EQ(err, -EINVAL, "misuse reported");
	}
}

static void test_write_error_is_eio(void)
{
	struct report_stack st[5];
	struct report_proc pr[2];
	render_fn fns[] = { report_text__write, report_json__write, report_folded__write };
	struct report r;
	size_t i;
	FILE *f;
	int err;

	model_clean(&r, st, pr);
	for (i = 0; i < 3; i++) {
		f = fopen("/dev/full", "w");
		ASSERT_TRUE(f, "open /dev/full");
		err = fns[i](&r, NULL, f);
		fclose(f);
		ASSERT_EQ(err, -EIO, "write to a full device");
	}
	ASSERT_EQ(report_text__write(NULL, NULL, stdout), -EINVAL, "NULL report");
	ASSERT_EQ(report_json__write(&r, NULL, NULL), -EINVAL, "NULL file");
}

/* The JSON checks above prove nothing if the checker accepts anything. */
static void test_python_checker_rejects_bad_json(void)
{
	static const char *const bad[] = {
		"{\"type\":\"t\",}\n",		   /* trailing comma */
		"{\"type\":\"t\",\"v\":NaN}\n",	   /* not JSON */
		"{\"type\":\"t\",\"v\":\"a\nb\"}\n", /* raw newline in a string */
		"{\"type\":\"t\",\"v\":\"\xff\"}\n",   /* invalid UTF-8 */
		"{\"type\":\"t\"}",		   /* unterminated line */
		"[1]\n",			   /* not a typed object */
	};
	char *py;
	size_t i;

	ASSERT_TRUE(have_python3(), "python3 is installed (make deps): JSON must be parsed");
	py = python_json_roundtrip("{\"type\":\"t\"}\n", false);
	ASSERT_TRUE(py, "accepts a good line");
	free(py);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		py = python_json_roundtrip(bad[i], true);
		free(py);
		ASSERT_TRUE(!py, bad[i]);
	}
}

static void test_kind_names(void)
{
	ASSERT_STREQ(report__kind_name(LT_KIND_MEM), "mem", "mem");
	ASSERT_STREQ(report__kind_name(LT_KIND_MAP), "map", "map");
	ASSERT_STREQ(report__kind_name(LT_KIND_FD), "fd", "fd");
	ASSERT_STREQ(report__kind_name(LT_KIND_TIMER), "timer", "timer");
	ASSERT_STREQ(report__kind_name(LT_KIND__MAX), "unknown", "out of range");
	ASSERT_STREQ(report__fd_kind_name(LT_FD_UNKNOWN), "unknown", "fd unknown");
	ASSERT_STREQ(report__fd_kind_name(LT_FD_SOCKET), "socket", "socket");
	ASSERT_STREQ(report__fd_kind_name(LT_FD_PIDFD), "pidfd", "pidfd");
	ASSERT_STREQ(report__fd_kind_name((enum lt_fd_kind)-1), "unknown", "negative");
	ASSERT_STREQ(report__fd_kind_name(LT_FD__MAX), "unknown", "fd out of range");
}

typedef int (*alert_fn)(const struct report_alert *, FILE *);

static char *render_alert(alert_fn fn, const struct report_alert *a, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*err = fn(a, f);
	fclose(f);
	return buf;
}

static void test_alert_and_recovered(void)
{
	static const struct report_frame fr = { .addr = 0x401000, .sym = "grow", .off = 4,
						.module = "/bin/g", .file = "g.c", .line = 9 };
	struct report_stack st = { .kind = LT_KIND_MEM, .pid = 42, .comm = "g\x1b[31m",
				   .bytes = 20971520, .count = 20, .oldest_s = 9.5,
				   .nframes = 1, .frames = &fr };
	struct report_alert a = { .pid = 42, .comm = "g\x1b[31m", .cgroup = "/system.slice/g.service",
				  .kind = "mem", .bytes = true, .rate = 2097152, .limit = 1048576,
				  .window_s = 10, .total = 31457280, .time = 1795676400,
				  .stacks = &st, .nstacks = 1 };
	char *out, *py;
	int err;

	out = render_alert(report_text__alert, &a, &err);
	ASSERT_TRUE(out, "render");
	ASSERT_EQ(err, 0, "text alert");
	ASSERT_STREQ(out,
		     "ALERT 2026-11-26T07:00:00Z pid 42 g\\x1b[31m mem growing 2.0 MiB/s > limit "
		     "1.0 MiB/s over 10s, now 30.0 MiB, cgroup /system.slice/g.service\n"
		     "  grew: 20971520 bytes in 20 allocations from stack (pid 42 g\\x1b[31m, "
		     "oldest 9.5s)\n"
		     "\t#0 0x401000 grow+0x4 (/bin/g) g.c:9\n",
		     "text alert exact, escape neutralised");
	free(out);
	out = render_alert(report_json__alert, &a, &err);
	ASSERT_EQ(err, 0, "json alert");
	ASSERT_TRUE(strstr(out, "{\"type\":\"alert\",\"time\":\"2026-11-26T07:00:00Z\",\"pid\":42,"),
		    "alert head");
	ASSERT_TRUE(strstr(out, "\"kind\":\"mem\",\"rate\":2097152,\"limit\":1048576,"
				"\"window_s\":10,\"total\":31457280,\"stacks\":[{\"type\":\"stack\""),
		    "alert fields");
	ASSERT_TRUE(have_python3(), "python3 is installed (make deps): JSON must be parsed");
	py = python_json_roundtrip(out, true);
	ASSERT_TRUE(py, "python3 parses the alert");
	free(py);
	free(out);

	a.recovered = true;
	a.flagged_s = 20;
	a.nstacks = 0;
	a.container = "0123456789ab";
	out = render_alert(report_text__alert, &a, &err);
	ASSERT_STREQ(out,
		     "RECOVERED 2026-11-26T07:00:00Z pid 42 g\\x1b[31m mem stopped growing: rate "
		     "2.0 MiB/s <= 512.0 KiB/s over 10s, now 30.0 MiB, flagged for 20s, container "
		     "0123456789ab\n",
		     "text recovered exact");
	free(out);
	out = render_alert(report_json__alert, &a, &err);
	ASSERT_TRUE(strstr(out, "{\"type\":\"recovered\",") && strstr(out, "\"flagged_s\":20}"),
		    "json recovered");
	free(out);
}

int main(void)
{
	RUN_TEST(test_alert_and_recovered);
	RUN_TEST(test_text_clean_model_exact);
	RUN_TEST(test_text_not_final_and_warning);
	RUN_TEST(test_json_clean_model_exact);
	RUN_TEST(test_folded_clean_model_exact);
	RUN_TEST(test_empty_report_all_formats);
	RUN_TEST(test_text_hostile_strings);
	RUN_TEST(test_json_hostile_strings);
	RUN_TEST(test_folded_hostile_strings);
	RUN_TEST(test_escape_text_cases);
	RUN_TEST(test_escape_folded_cases);
	RUN_TEST(test_jsonw_nesting);
	RUN_TEST(test_jsonw_numbers);
	RUN_TEST(test_jsonw_strings);
	RUN_TEST(test_jsonw_misuse_is_einval);
	RUN_TEST(test_write_error_is_eio);
	RUN_TEST(test_python_checker_rejects_bad_json);
	RUN_TEST(test_kind_names);
	TEST_EXIT();
}
