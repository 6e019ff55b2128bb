// SPDX-License-Identifier: GPL-2.0
/* test_options.c - the command line: durations, sizes, defaults, every bad value. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "options.h"
#include "../bpf/leaktrace.h"
#include "test.h"

/* Parse a NULL-terminated argument list; stderr text goes to err_buf. */
static int parse(struct options *o, char *err_buf, size_t len, ...)
{
	char *argv[32] = { "leaktrace" };
	int argc = 1, ret;
	FILE *out = fopen("/dev/null", "w"), *err = fmemopen(err_buf, len, "w");
	va_list ap;

	va_start(ap, len);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	ret = options__parse(o, argc, argv, out, err);
	fclose(out);
	fclose(err);
	return ret;
}

static void test_durations(void)
{
	__u64 ns;

	ASSERT_EQ(options__parse_duration("500ms", &ns), 0, "500ms");
	ASSERT_EQ(ns, 500000000ULL, "500ms");
	ASSERT_EQ(options__parse_duration("5s", &ns), 0, "5s");
	ASSERT_EQ(ns, 5000000000ULL, "5s");
	ASSERT_EQ(options__parse_duration("2m", &ns), 0, "2m");
	ASSERT_EQ(ns, 120000000000ULL, "2m");
	ASSERT_EQ(options__parse_duration("1.5", &ns), 0, "bare seconds");
	ASSERT_EQ(ns, 1500000000ULL, "1.5");
	ASSERT_EQ(options__parse_duration("5x", &ns), -EINVAL, "bad unit");
	ASSERT_EQ(options__parse_duration("-1s", &ns), -EINVAL, "negative");
	ASSERT_EQ(options__parse_duration("", &ns), -EINVAL, "empty");
	ASSERT_EQ(options__parse_duration("s", &ns), -EINVAL, "no number");
}

static void test_sizes(void)
{
	__u64 b;

	ASSERT_EQ(options__parse_size("4K", &b), 0, "4K");
	ASSERT_EQ(b, 4096, "4K");
	ASSERT_EQ(options__parse_size("16MiB", &b), 0, "16MiB");
	ASSERT_EQ(b, 16 << 20, "16MiB");
	ASSERT_EQ(options__parse_size("123", &b), 0, "bare");
	ASSERT_EQ(b, 123, "bare");
	ASSERT_EQ(options__parse_size("4Q", &b), -EINVAL, "bad unit");
	ASSERT_EQ(options__parse_size("-4K", &b), -EINVAL, "negative");
	ASSERT_EQ(options__parse_size("99999999999999999999G", &b), -EINVAL, "overflow");
}

static void test_defaults(void)
{
	char err[256] = "";
	struct options o;

	ASSERT_EQ(parse(&o, err, sizeof(err), NULL), 0, "no arguments");
	ASSERT_EQ(o.min_age_ns, 5000000000ULL, "min-age default 5s");
	ASSERT_EQ(o.top, 10, "top default");
	ASSERT_EQ(o.interval_ns, 10000000000ULL, "interval default");
	ASSERT_EQ(o.kinds, (1u << LT_KIND__MAX) - 1, "all kinds");
	ASSERT_EQ(o.format, FMT_TEXT, "text");
	ASSERT_EQ(parse(&o, err, sizeof(err), "-c", "true", NULL), 0, "-c");
	ASSERT_EQ(o.min_age_ns, 0, "-c: min-age 0");
	ASSERT_EQ(parse(&o, err, sizeof(err), "-c", "true", "-a", "2s", NULL), 0, "-c -a");
	ASSERT_EQ(o.min_age_ns, 2000000000ULL, "-c with -a keeps -a");
}

static void test_values(void)
{
	char err[256] = "";
	struct options o;

	ASSERT_EQ(parse(&o, err, sizeof(err), "-p", "12,34", "-k", "mem,fd", "-T", "3", "-f",
			"json", "-d", "1m", "--obj", "/x.so", "2", "5", NULL),
		  0, "all options");
	ASSERT_EQ(o.npids, 2, "two pids");
	ASSERT_EQ(o.pids[1], 34, "second pid");
	ASSERT_EQ(o.kinds, (1u << LT_KIND_MEM) | (1u << LT_KIND_FD), "kinds");
	ASSERT_EQ(o.top, 3, "top");
	ASSERT_EQ(o.format, FMT_JSON, "json");
	ASSERT_EQ(o.duration_ns, 60000000000ULL, "duration");
	ASSERT_EQ(o.nobjs, 1, "obj");
	ASSERT_EQ(o.interval_ns, 2000000000ULL, "interval");
	ASSERT_EQ(o.count, 5, "count");
}

/* Every bad value: -EINVAL and exactly one "leaktrace: " line plus the hint. */
static void test_bad_values(void)
{
	static const char *bad[][3] = {
		{ "--bogus", NULL },	     { "-x", NULL },	       { "-d", "5x" },
		{ "-T", "-1" },		     { "-T", "abc" },	       { "-T", "0" },
		{ "-f", "xml" },	     { "-p", "abc" },	       { "-p", "0" },
		{ "-p", "" },		     { "-k", "disk" },	       { "-a", "soon" },
		{ "--ringbuf-size", "1000" }, { "--max-frames", "33" }, { "--max-tracked", "0" },
		{ "abc", NULL },	     { "1", "x" },	       { "-d", NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[512] = "";
		struct options o;
		int nl = 0;
		char *p;

		ASSERT_EQ(parse(&o, err, sizeof(err), bad[i][0], bad[i][1], NULL), -EINVAL,
			  bad[i][0]);
		ASSERT_TRUE(!strncmp(err, "leaktrace: ", 11), "message starts with leaktrace:");
		for (p = err; *p; p++)
			nl += *p == '\n';
		ASSERT_EQ(nl, 2, "one line and the hint");
	}
}

static void test_rates_and_limits(void)
{
	char err[256] = "";
	struct options o;
	double r;

	ASSERT_EQ(options__parse_rate("1MiB/s", &r), 0, "1MiB/s");
	ASSERT_TRUE(r == 1048576, "1MiB/s value");
	ASSERT_EQ(options__parse_rate("64K/min", &r), 0, "64K/min");
	ASSERT_TRUE(r > 1092.26 && r < 1092.27, "64K/min value");
	ASSERT_EQ(options__parse_rate("10/min", &r), 0, "10/min");
	ASSERT_TRUE(r > 0.1666 && r < 0.1667, "10/min value");
	ASSERT_EQ(options__parse_rate("off", &r), 0, "off");
	ASSERT_TRUE(r == 0, "off is 0");
	ASSERT_EQ(options__parse_rate("5", &r), -EINVAL, "no unit");
	ASSERT_EQ(options__parse_rate("5/fortnight", &r), -EINVAL, "bad unit");
	ASSERT_EQ(parse(&o, err, sizeof(err), NULL), 0, "defaults");
	ASSERT_TRUE(o.limit[0] == 1 << 20 && o.limit[2] == 1, "default limits on");
	ASSERT_EQ(o.window_ns, 60000000000ULL, "default window");
	ASSERT_EQ(parse(&o, err, sizeof(err), "--limit", "mem=2MiB/s,fd=off", "--window", "10s",
			"--on-alert", "true", NULL),
		  0, "limits");
	ASSERT_TRUE(o.limit[0] == 2 << 20 && o.limit[2] == 0 && o.limit[3] == 1, "set, off, kept");
	ASSERT_EQ(o.window_ns, 10000000000ULL, "window");
	ASSERT_STREQ(o.on_alert, "true", "on-alert");
	ASSERT_EQ(parse(&o, err, sizeof(err), "--limit", "disk=1/s", NULL), -EINVAL, "bad kind");
	ASSERT_EQ(parse(&o, err, sizeof(err), "--limit", "mem", NULL), -EINVAL, "no rate");
	ASSERT_EQ(parse(&o, err, sizeof(err), "--window", "0.5s", NULL), -EINVAL, "window < 1s");
}

static void test_p_with_c(void)
{
	char err[256] = "";
	struct options o;

	ASSERT_EQ(parse(&o, err, sizeof(err), "-p", "1", "-c", "true", NULL), -EINVAL, "-p -c");
	ASSERT_TRUE(strstr(err, "cannot be used together") != NULL, "says why");
}

static void test_help(void)
{
	char err[64] = "";
	struct options o;

	ASSERT_EQ(parse(&o, err, sizeof(err), "--help", NULL), 1, "--help");
	ASSERT_EQ(parse(&o, err, sizeof(err), "-V", NULL), 1, "-V");
}

int main(void)
{
	RUN_TEST(test_durations);
	RUN_TEST(test_sizes);
	RUN_TEST(test_defaults);
	RUN_TEST(test_values);
	RUN_TEST(test_bad_values);
	RUN_TEST(test_rates_and_limits);
	RUN_TEST(test_p_with_c);
	RUN_TEST(test_help);
	TEST_EXIT();
}
