// SPDX-License-Identifier: GPL-2.0
/*
 * test_ring.c - the per-CPU ring merge (user/ring.c) on rings laid out in
 * memory as the kernel maps them: time order across rings, records held back
 * while another ring could still hold an older one, busy and discarded
 * records, wrap-around, the consumer position, and late records counted.
 */
#include <stdlib.h>
#include <linux/bpf.h>

#include "ring.h"
#include "test.h"

#define NR 3
#define SIZE 4096
#define MS 1000000ull

struct rec {
	__u64 tag;
	__u64 ts;
};

static unsigned long cons[NR], prod[NR];
static __u8 data[NR][2 * SIZE];
static __u64 clock_now;

static __u64 fake_clock(void)
{
	return clock_now;
}

/* Bytes at ring position pos, written to both mappings of the data pages. */
static void poke(int r, unsigned long pos, const void *src, size_t n)
{
	const __u8 *b = src;
	size_t j;

	for (j = 0; j < n; j++) {
		data[r][(pos + j) & (SIZE - 1)] = b[j];
		data[r][((pos + j) & (SIZE - 1)) + SIZE] = b[j];
	}
}

/* Reserve a record (busy), as bpf_ringbuf_reserve does; returns its position. */
static unsigned long reserve(int r)
{
	__u32 hdr[2] = { sizeof(struct rec) | BPF_RINGBUF_BUSY_BIT, 0 };
	unsigned long pos = prod[r];

	poke(r, pos, hdr, sizeof(hdr));
	prod[r] += (sizeof(struct rec) + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
	return pos;
}

static void commit(int r, unsigned long pos, __u64 tag, __u64 ts, bool discard)
{
	struct rec v = { tag, ts };
	__u32 hdr = sizeof(struct rec) | (discard ? BPF_RINGBUF_DISCARD_BIT : 0);

	poke(r, pos + BPF_RINGBUF_HDR_SZ, &v, sizeof(v));
	poke(r, pos, &hdr, sizeof(hdr));
}

static void put(int r, __u64 tag, __u64 ts)
{
	commit(r, reserve(r), tag, ts, false);
}

struct got {
	__u64 tags[64];
	int n;
	int stop_after; /* return 7 after this many; 0: never */
};

static int collect(void *ctx, void *d, size_t len)
{
	struct got *g = ctx;
	struct rec v;

	if (len != sizeof(v))
		return -1;
	memcpy(&v, d, sizeof(v));
	if (g->n < 64)
		g->tags[g->n++] = v.tag;
	return g->stop_after && g->n == g->stop_after ? 7 : 0;
}

static struct ring_set *fresh(void)
{
	unsigned long *c[NR], *p[NR];
	void *d[NR];
	struct ring_set *s = NULL;
	int i;

	memset(cons, 0, sizeof(cons));
	memset(prod, 0, sizeof(prod));
	memset(data, 0, sizeof(data));
	for (i = 0; i < NR; i++) {
		c[i] = &cons[i];
		p[i] = &prod[i];
		d[i] = data[i];
	}
	if (ring_set__new_mem(NR, SIZE, sizeof(__u64), c, p, d, fake_clock, &s))
		return NULL;
	return s;
}

static bool got_is(const struct got *g, const __u64 *want, int n)
{
	return g->n == n && !memcmp(g->tags, want, n * sizeof(*want));
}

static void test_time_order_across_rings(void)
{
	static const __u64 want[] = { 1, 2, 3, 4, 5, 6, 7 };
	struct ring_set *s = fresh();
	struct got g = {};

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 10 * MS);
	put(0, 4, 40 * MS);
	put(0, 5, 50 * MS);
	put(1, 2, 20 * MS);
	put(1, 3, 30 * MS);
	put(1, 6, 60 * MS);
	put(2, 7, 70 * MS);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 7, "handed out");
	ASSERT_TRUE(got_is(&g, want, 7), "in time order");
	ASSERT_EQ(ring_set__reordered(s), 0, "none out of order");
	ASSERT_TRUE(!ring_set__held(s), "nothing held");
	ASSERT_EQ(cons[0], 3 * 24, "ring 0 consumed");
	ASSERT_EQ(cons[1], 3 * 24, "ring 1 consumed");
	ASSERT_EQ(cons[2], 24, "ring 2 consumed");
	ring_set__free(s);
}

/* A record newer than an empty ring's look less the margin waits. */
static void test_recent_record_held(void)
{
	struct ring_set *s = fresh();
	struct got g = {};

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 100 * MS);
	clock_now = 100 * MS + RING_MARGIN_NS - 1;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 0, "too recent");
	ASSERT_TRUE(ring_set__held(s), "held");
	ASSERT_EQ(cons[0], 0, "not consumed");

	/* Meanwhile an older record reached another ring: it goes first. */
	put(2, 2, 100 * MS - 1);
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "the older one only");
	ASSERT_EQ(g.tags[0], 2, "older first");
	clock_now += 1;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "due now");
	ASSERT_TRUE(got_is(&g, (const __u64[]){ 2, 1 }, 2), "both, in time order");
	ASSERT_TRUE(!ring_set__held(s), "nothing held");
	ring_set__free(s);
}

/* A reserved record's stamp is unknown: nothing newer than the other heads goes past it. */
static void test_busy_record_blocks(void)
{
	struct ring_set *s = fresh();
	struct got g = {};
	unsigned long pos;

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 10 * MS);
	pos = reserve(1);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 0, "blocked by the busy record");
	ASSERT_TRUE(ring_set__held(s), "held");
	commit(1, pos, 2, 5 * MS, false);
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 2, "after the commit");
	ASSERT_TRUE(got_is(&g, (const __u64[]){ 2, 1 }, 2), "the committed one was older");

	/* The last pass does not wait for it. */
	put(0, 3, 20 * MS);
	pos = reserve(1);
	ASSERT_EQ(ring_set__consume(s, collect, &g, true), 1, "all: past the busy one");
	ASSERT_EQ(g.tags[2], 3, "tag");
	ASSERT_TRUE(ring_set__held(s), "the busy one is still to come");
	commit(1, pos, 4, 30 * MS, false);
	ASSERT_EQ(ring_set__consume(s, collect, &g, true), 1, "then it");
	ASSERT_EQ(ring_set__reordered(s), 0, "in order");
	ring_set__free(s);
}

/* A record being written is younger than the last one handed out from its ring. */
static void test_busy_bounded_by_last(void)
{
	struct ring_set *s = fresh();
	struct got g = {};
	unsigned long pos;

	ASSERT_TRUE(s, "ring set");
	clock_now = 1000 * MS;
	put(1, 1, 10 * MS);
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "ring 1's record");
	pos = reserve(1);
	put(0, 2, 5 * MS); /* older than the last of ring 1: may go */
	put(0, 3, 20 * MS);
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "only what is older than 10 ms");
	ASSERT_TRUE(ring_set__held(s), "held");
	commit(1, pos, 4, 15 * MS, false);
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 2, "the rest after the write");
	ASSERT_TRUE(got_is(&g, (const __u64[]){ 1, 2, 4, 3 }, 4), "in time order");
	ASSERT_EQ(ring_set__reordered(s), 1, "the 5 ms record came after a 10 ms one");
	ring_set__free(s);
}

/* The last pass takes what was stamped before it began, and nothing newer. */
static void test_all_stops_at_its_start(void)
{
	struct ring_set *s = fresh();
	struct got g = {};

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 10 * MS);
	put(0, 2, 20 * MS);
	put(1, 3, 12 * MS);
	clock_now = 15 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, true), 2, "up to the pass's start");
	ASSERT_TRUE(got_is(&g, (const __u64[]){ 1, 3 }, 2), "in time order");
	clock_now = 25 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, true), 1, "the newer one next pass");
	ASSERT_EQ(ring_set__reordered(s), 0, "in order");
	ring_set__free(s);
}

/* A clock below the margin bounds by zero (no wrap to the far future). */
static void test_margin_at_clock_start(void)
{
	struct ring_set *s = fresh();
	struct got g = {};

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 1);
	clock_now = RING_MARGIN_NS / 2;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 0, "held");
	ASSERT_TRUE(ring_set__held(s), "held");
	ring_set__free(s);
}

static void test_discarded_skipped(void)
{
	struct ring_set *s = fresh();
	struct got g = {};

	ASSERT_TRUE(s, "ring set");
	commit(0, reserve(0), 9, 1 * MS, true);
	put(0, 1, 2 * MS);
	commit(0, reserve(0), 9, 3 * MS, true);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "one kept record");
	ASSERT_EQ(g.tags[0], 1, "the kept one");
	ASSERT_EQ(cons[0], 3 * 24, "discarded ones consumed too");
	ring_set__free(s);
}

/* Records that run over the end of the data pages read whole (the second mapping). */
static void test_wrap_around(void)
{
	struct ring_set *s = fresh();
	struct got g = {};
	int i;

	ASSERT_TRUE(s, "ring set");
	clock_now = 1000 * MS;
	for (i = 0; i < 500; i++) {
		put(0, i, (__u64)i * 10);
		put(1, 1000 + i, (__u64)i * 10 + 5);
		g.n = 0;
		ASSERT_EQ(ring_set__consume(s, collect, &g, false), 2, "two per round");
		ASSERT_EQ(g.tags[0], (__u64)i, "ring 0 first");
		ASSERT_EQ(g.tags[1], 1000 + (__u64)i, "then ring 1");
	}
	ASSERT_EQ(cons[0], prod[0], "all consumed");
	ring_set__free(s);
}

/* A record that came in after a newer one was handed out is counted. */
static void test_late_record_counted(void)
{
	struct ring_set *s = fresh();
	struct got g = {};

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 50 * MS);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "first");
	put(1, 2, 40 * MS); /* stamped before the one handed out: late */
	put(1, 3, 60 * MS);
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 2, "late one still handed out");
	ASSERT_TRUE(got_is(&g, (const __u64[]){ 1, 2, 3 }, 3), "as they came");
	ASSERT_EQ(ring_set__reordered(s), 1, "one out of order");
	ring_set__free(s);
}

/*
 * The callback's non-zero return ends the pass; what it was handed is
 * consumed, and every ring's position is written, not just the last one's.
 */
static void test_callback_stops(void)
{
	struct ring_set *s = fresh();
	struct got g = { .stop_after = 3 };

	ASSERT_TRUE(s, "ring set");
	put(0, 1, 1 * MS);
	put(1, 2, 2 * MS);
	put(0, 3, 3 * MS);
	put(1, 4, 4 * MS);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 7, "the callback's value");
	ASSERT_EQ(cons[0], 2 * 24, "ring 0: two consumed");
	ASSERT_EQ(cons[1], 1 * 24, "ring 1: one consumed");
	g.stop_after = 0;
	ASSERT_EQ(ring_set__consume(s, collect, &g, false), 1, "the rest");
	ASSERT_TRUE(got_is(&g, (const __u64[]){ 1, 2, 3, 4 }, 4), "each once");
	ring_set__free(s);
}

/* Peeking: what was peeked at and how many records had been handed out then. */
struct peeks {
	struct got g;
	int times[128]; /* by tag: times peeked at */
	int handed_at[128];
	int bad;
};

static void peek_note(void *ctx, const void *d, size_t len)
{
	struct peeks *pk = ctx;
	struct rec v;

	if (len != sizeof(v)) {
		pk->bad++;
		return;
	}
	memcpy(&v, d, sizeof(v));
	if (v.tag >= 128) {
		pk->bad++;
		return;
	}
	pk->times[v.tag]++;
	pk->handed_at[v.tag] = pk->g.n;
}

static int peek_collect(void *ctx, void *d, size_t len)
{
	struct peeks *pk = ctx;

	return collect(&pk->g, d, len);
}

/*
 * Each committed record is peeked at once, before it is handed out and at most
 * RING_PEEK_BYTES past the one being handed out; never a discarded record,
 * nothing past one still being written, and the order handed out is unchanged.
 */
static void test_peek_ahead(void)
{
	struct ring_set *s = fresh();
	struct peeks pk = {};
	unsigned long busy;
	int i, late = 0;

	ASSERT_TRUE(s, "ring set");
	ring_set__set_peek(s, peek_note);
	for (i = 0; i < 50; i++)
		put(0, i, (__u64)(i + 1) * MS);
	commit(0, reserve(0), 127, 51 * MS, true);
	busy = reserve(0);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, peek_collect, &pk, false), 50, "up to the busy one");
	commit(0, busy, 50, 52 * MS, false);
	for (i = 51; i < 60; i++)
		put(0, i, (__u64)(i + 2) * MS);
	ASSERT_EQ(ring_set__consume(s, peek_collect, &pk, false), 10, "the rest");
	ASSERT_EQ(pk.g.n, 60, "all handed out");
	for (i = 0; i < 60; i++) {
		ASSERT_EQ(pk.g.tags[i], (__u64)i, "in order");
		late += pk.times[i] && pk.handed_at[i] >= i;
		late += pk.times[i] && (i - pk.handed_at[i]) * 24 > RING_PEEK_BYTES;
	}
	ASSERT_EQ(pk.times[0], 0, "the first is handed out at once");
	for (i = 1; i < 60; i++)
		ASSERT_EQ(pk.times[i], i == 50 ? 0 : 1, "each peeked once (50: first after a pass)");
	ASSERT_EQ(late, 0, "peeked before it was handed out, at most RING_PEEK_BYTES ahead");
	ASSERT_EQ(pk.times[127], 0, "discarded: not peeked");
	ASSERT_EQ(pk.bad, 0, "whole records");
	ring_set__free(s);
}

/* The consumer position while records are handed out: how far it trails. */
static unsigned long max_lag;

static int lag_note(void *ctx, void *d, size_t len)
{
	/* cons[0] is written before this record was handed out, pos is past it after. */
	unsigned long handed = (unsigned long)((__u8 *)d - data[0]) - BPF_RINGBUF_HDR_SZ;

	(void)ctx;
	(void)len;
	if (handed - cons[0] > max_lag)
		max_lag = handed - cons[0];
	return 0;
}

/*
 * A long run from one ring moves the consumer position on as it goes (the
 * producers see room) at most pub_every (1/32 of this 4 KiB ring) behind,
 * and to the end when the pass ends.
 */
static void test_consumer_position_trails_bounded(void)
{
	struct ring_set *s = fresh();
	int i;

	ASSERT_TRUE(s, "ring set");
	for (i = 0; i < 150; i++)
		put(0, i, (__u64)(i + 1) * MS);
	clock_now = 1000 * MS;
	max_lag = 0;
	ASSERT_EQ(ring_set__consume(s, lag_note, NULL, false), 150, "all");
	ASSERT_TRUE(max_lag >= SIZE / 32 - 24, "not written per record");
	ASSERT_TRUE(max_lag < SIZE / 32 + 24, "written every 1/32 of the ring");
	ASSERT_EQ(cons[0], prod[0], "all of it at the end of the pass");
	ring_set__free(s);
}

/* Records written while the pass runs (past the producer position it read). */
static int late_collect(void *ctx, void *d, size_t len)
{
	struct peeks *pk = ctx;
	int i;

	if (pk->g.n == 0)
		for (i = 0; i < 3; i++)
			put(0, 100 + i, (__u64)(10 + i) * MS);
	return collect(&pk->g, d, len);
}

/* A record the pass has not seen produced yet is not peeked at until it is. */
static void test_peek_not_past_producer(void)
{
	struct ring_set *s = fresh();
	struct peeks pk = {};
	int i;

	ASSERT_TRUE(s, "ring set");
	ring_set__set_peek(s, peek_note);
	for (i = 0; i < 3; i++)
		put(0, i, (__u64)(i + 1) * MS);
	clock_now = 1000 * MS;
	ASSERT_EQ(ring_set__consume(s, late_collect, &pk, false), 6, "all six, in one pass");
	ASSERT_EQ(pk.bad, 0, "whole records");
	for (i = 100; i < 103; i++)
		ASSERT_TRUE(pk.times[i] <= 1 && (!pk.times[i] || pk.handed_at[i] >= 3),
			    "a late record peeked only once the pass saw it produced");
	ring_set__free(s);
}


int main(void)
{
	RUN_TEST(test_time_order_across_rings);
	RUN_TEST(test_recent_record_held);
	RUN_TEST(test_busy_record_blocks);
	RUN_TEST(test_busy_bounded_by_last);
	RUN_TEST(test_all_stops_at_its_start);
	RUN_TEST(test_margin_at_clock_start);
	RUN_TEST(test_discarded_skipped);
	RUN_TEST(test_wrap_around);
	RUN_TEST(test_late_record_counted);
	RUN_TEST(test_callback_stops);
	RUN_TEST(test_peek_ahead);
	RUN_TEST(test_consumer_position_trails_bounded);
	RUN_TEST(test_peek_not_past_producer);
	TEST_EXIT();
}
