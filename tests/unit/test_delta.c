// SPDX-License-Identifier: GPL-2.0
/* test_delta.c - gains per stack between reports, exact. */
#include <stdlib.h>
#include "delta.h"
#include "test.h"

static struct agg_stack_info st(__u32 id, enum lt_kind kind, __u64 bytes, __u64 count)
{
	struct agg_stack_info s = { .stack_id = id, .tgid = 1, .kind = kind, .bytes = bytes,
				    .count = count };
	return s;
}

static void test_first_report_is_everything(void)
{
	struct delta *d = delta__new();
	struct agg_stack_info v[3] = { st(1, LT_KIND_MEM, 100, 1), st(2, LT_KIND_MEM, 300, 3),
				       st(3, LT_KIND_FD, 0, 2) };
	__u64 pb[3], pc[3];
	size_t n = 3;

	ASSERT_EQ(delta__apply(d, v, &n, 0, pb, pc), 0, "apply");
	ASSERT_EQ(n, 3, "all gained");
	ASSERT_EQ(v[0].stack_id, 2, "largest mem gain first");
	ASSERT_EQ(v[0].bytes, 300, "gain = all of it");
	ASSERT_EQ(pb[0], 0, "nothing before");
	ASSERT_EQ(v[2].kind, LT_KIND_FD, "kinds grouped");
	delta__free(d);
}

static void test_second_report_shows_only_gains(void)
{
	struct delta *d = delta__new();
	struct agg_stack_info v[3] = { st(1, LT_KIND_MEM, 100, 1), st(2, LT_KIND_MEM, 300, 3),
				       st(3, LT_KIND_FD, 0, 2) };
	struct agg_stack_info w[4] = { st(1, LT_KIND_MEM, 100, 1), st(2, LT_KIND_MEM, 350, 4),
				       st(3, LT_KIND_FD, 0, 1), st(4, LT_KIND_MEM, 10, 1) };
	__u64 pb[4], pc[4];
	size_t n = 3;

	ASSERT_EQ(delta__apply(d, v, &n, 0, pb, pc), 0, "first");
	n = 4;
	ASSERT_EQ(delta__apply(d, w, &n, 0, pb, pc), 0, "second");
	ASSERT_EQ(n, 2, "stack 1 stayed, fd stack 3 shrank: only 2 and 4 gained");
	ASSERT_EQ(w[0].stack_id, 2, "stack 2 first");
	ASSERT_EQ(w[0].bytes, 50, "gained 50 bytes");
	ASSERT_EQ(w[0].count, 1, "gained 1 block");
	ASSERT_EQ(pb[0], 300, "before");
	ASSERT_EQ(pc[0], 3, "before count");
	ASSERT_EQ(w[1].stack_id, 4, "new stack");
	ASSERT_EQ(w[1].bytes, 10, "all of the new one");
	n = 0;
	ASSERT_EQ(delta__apply(d, w, &n, 0, pb, pc), 0, "empty third");
	ASSERT_EQ(n, 0, "nothing");
	delta__free(d);
}

static void test_top_n_per_kind(void)
{
	struct delta *d = delta__new();
	struct agg_stack_info v[4] = { st(1, LT_KIND_MEM, 1, 1), st(2, LT_KIND_MEM, 2, 1),
				       st(3, LT_KIND_MEM, 3, 1), st(4, LT_KIND_TIMER, 0, 5) };
	__u64 pb[4], pc[4];
	size_t n = 4;

	ASSERT_EQ(delta__apply(d, v, &n, 2, pb, pc), 0, "apply");
	ASSERT_EQ(n, 3, "two mem, one timer");
	ASSERT_EQ(v[0].stack_id, 3, "3 first");
	ASSERT_EQ(v[1].stack_id, 2, "then 2");
	ASSERT_EQ(v[2].stack_id, 4, "timer");
	delta__free(d);
}

int main(void)
{
	RUN_TEST(test_first_report_is_everything);
	RUN_TEST(test_second_report_shows_only_gains);
	RUN_TEST(test_top_n_per_kind);
	TEST_EXIT();
}
