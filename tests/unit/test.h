/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test.h - a tiny harness for unit tests. Each TEST() prints one line,
 * "PASS: name" or "FAIL: name: what", that tests/run.sh counts.
 * Asserts name the condition and return from the test on failure.
 */
#ifndef LEAKTRACE_TEST_H
#define LEAKTRACE_TEST_H

#include <stdio.h>
#include <string.h>
#include <stdbool.h>

static int test__failed_now;
static int test__nfailed;

#define ASSERT_TRUE(cond, what)                                                            \
	do {                                                                               \
		if (!(cond)) {                                                             \
			printf("  %s:%d: %s: (%s) is false\n", __FILE__, __LINE__, what, #cond); \
			test__failed_now = 1;                                              \
			return;                                                            \
		}                                                                          \
	} while (0)

#define ASSERT_EQ(a, b, what)                                                              \
	do {                                                                               \
		long long _a = (long long)(a), _b = (long long)(b);                        \
		if (_a != _b) {                                                            \
			printf("  %s:%d: %s: %s == %lld, expected %lld\n", __FILE__, __LINE__,  \
			       what, #a, _a, _b);                                         \
			test__failed_now = 1;                                              \
			return;                                                            \
		}                                                                          \
	} while (0)

#define ASSERT_STREQ(a, b, what)                                                           \
	do {                                                                               \
		const char *_a = (a), *_b = (b);                                           \
		if (!_a || !_b || strcmp(_a, _b)) {                                        \
			printf("  %s:%d: %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, what,     \
			       _a ? _a : "(null)", _b ? _b : "(null)");                   \
			test__failed_now = 1;                                              \
			return;                                                            \
		}                                                                          \
	} while (0)

#define RUN_TEST(fn)                                                                       \
	do {                                                                               \
		test__failed_now = 0;                                                      \
		fn();                                                                      \
		printf("%s: %s\n", test__failed_now ? "FAIL" : "PASS", #fn);               \
		test__nfailed += test__failed_now;                                         \
		fflush(stdout);                                                            \
	} while (0)

#define TEST_EXIT() return test__nfailed ? 1 : 0

#endif /* LEAKTRACE_TEST_H */
