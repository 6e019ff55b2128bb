// SPDX-License-Identifier: GPL-2.0
/*
 * test_sysrec.c - syscall records from the wire layout the BPF side sends
 * (bpf/leaktrace.h) to the in-memory one (user/sysrec.c).
 */
#include <stdint.h>
#include "test.h"
#include "sysrec.h"

static __u8 wire[LT_SYS_EVENT_LEN + 64] __attribute__((aligned(8)));
static __u8 out[LT_SYS_EVENT_LEN] __attribute__((aligned(8)));

/* A record as sys_send() writes it: nframes frames, path (NUL and padding), words of sample. */
static size_t make_wire(__u16 nframes, const char *path, __u32 words, __u32 words_claimed)
{
	struct lt_event *e = (struct lt_event *)wire;
	struct lt_sys_extra x = { .ip = 0x401000, .sp = 0x7ffd0000, .bp = 0x7ffd0040 };
	size_t off = sizeof(*e), plen = path ? (strlen(path) + 1 + 7) & ~(size_t)7 : 0;
	__u32 i;

	memset(wire, 0xa5, sizeof(wire));
	memset(e, 0, sizeof(*e));
	e->type = LT_EV_FD_OPEN;
	e->tgid = 42;
	e->nframes = nframes;
	e->flags = LT_F_SYS_EXTRA;
	e->addr = 3;
	for (i = 0; i < nframes; i++)
		((__u64 *)(wire + off))[i] = 0x401100 + i;
	off += nframes * sizeof(__u64);
	x.stack_words = words_claimed;
	x.path_len = (__u32)plen;
	x.alt_bp = 0x7ffd0080;
	memcpy(wire + off, &x, LT_SYS_WIRE_HDR);
	off += LT_SYS_WIRE_HDR;
	if (path) {
		memset(wire + off, 0, plen);
		memcpy(wire + off, path, strlen(path));
		off += plen;
	}
	for (i = 0; i < words; i++)
		((__u64 *)(wire + off))[i] = 0x1000 + i;
	return off + words * sizeof(__u64);
}

static struct lt_sys_extra *out_x(void)
{
	return (struct lt_sys_extra *)(out + LT_SYS_EXTRA_OFF);
}

static void test_whole_record_lands_in_place(void)
{
	size_t len = make_wire(3, "/etc/passwd", 20, 20), n;
	struct lt_event *e = (struct lt_event *)out;
	struct lt_sys_extra *x = out_x();
	const __u64 *stack;

	memset(out, 0x5a, sizeof(out));
	n = sysrec__expand(wire, len, out, &stack);
	ASSERT_EQ(len, sizeof(*e) + 3 * 8 + LT_SYS_WIRE_HDR + 16 + 20 * 8, "the wire record has no padding");
	ASSERT_EQ(n, LT_SYS_STACK_OFF, "laid-out length: the sample stays in the record");
	ASSERT_EQ(e->nframes, 3, "nframes");
	ASSERT_EQ(e->addr, 3, "fd");
	ASSERT_EQ(e->frames[2], 0x401102, "last frame");
	ASSERT_EQ(x->ip, 0x401000, "ip");
	ASSERT_EQ(x->sp, 0x7ffd0000, "sp");
	ASSERT_EQ(x->bp, 0x7ffd0040, "bp");
	ASSERT_EQ(x->alt_bp, 0x7ffd0080, "alt_bp");
	ASSERT_STREQ(x->path, "/etc/passwd", "path");
	ASSERT_EQ(x->path[100], 0, "the rest of the path area is zero, not stale");
	ASSERT_EQ(x->stack_words, 20, "stack_words");
	ASSERT_EQ((const __u8 *)stack - wire, len - 20 * 8, "the sample is the record's last words");
	ASSERT_EQ(stack[0], 0x1000, "first sample word");
	ASSERT_EQ(stack[19], 0x1000 + 19, "last sample word");
}

static void test_no_path_full_sample(void)
{
	size_t len = make_wire(0, NULL, LT_STACK_WORDS, LT_STACK_WORDS), n;
	struct lt_sys_extra *x = out_x();
	const __u64 *stack;

	memset(out, 0x5a, sizeof(out));
	n = sysrec__expand(wire, len, out, &stack);
	ASSERT_EQ(n, LT_SYS_STACK_OFF, "laid-out length");
	ASSERT_EQ(x->path[0], 0, "no path");
	ASSERT_EQ(x->path_len, 0, "path_len");
	ASSERT_EQ(x->stack_words, LT_STACK_WORDS, "stack_words");
	ASSERT_EQ(stack[LT_STACK_WORDS - 1], 0x1000 + LT_STACK_WORDS - 1, "last word");
}

/* Counts in the record are never trusted past its length. */
static void test_cut_records_keep_what_is_whole(void)
{
	struct lt_sys_extra *x = out_x();
	const __u64 *stack;
	size_t len, n;

	len = make_wire(2, "/tmp/x", 10, 10);
	n = sysrec__expand(wire, len - 3 * 8 - 4, out, &stack);
	ASSERT_EQ(x->stack_words, 6, "the sample words that are there");
	ASSERT_EQ(n, LT_SYS_STACK_OFF, "length");
	ASSERT_EQ(stack[5], 0x1005, "last whole word");
	ASSERT_STREQ(x->path, "/tmp/x", "path kept");

	len = make_wire(2, "/tmp/x", 4, 100);
	n = sysrec__expand(wire, len, out, &stack);
	ASSERT_EQ(x->stack_words, 4, "stack_words claimed past the end");

	len = make_wire(0, NULL, LT_STACK_WORDS + 8, LT_STACK_WORDS + 8);
	n = sysrec__expand(wire, len, out, &stack);
	ASSERT_EQ(x->stack_words, LT_STACK_WORDS, "no more than a sample's words");

	len = make_wire(2, "/tmp/a-longer-path", 0, 0);
	n = sysrec__expand(wire, len - 8, out, &stack);
	ASSERT_EQ(n, LT_SYS_STACK_OFF, "a cut path: no path, no sample");
	ASSERT_EQ(x->path[0], 0, "no path");
	ASSERT_EQ(x->stack_words, 0, "no sample");
	ASSERT_TRUE(!stack, "no sample pointer");

	len = make_wire(2, NULL, 0, 0);
	n = sysrec__expand(wire, sizeof(struct lt_event) + 2 * 8 + 8, out, &stack);
	ASSERT_EQ(n, LT_SYS_STACK_OFF, "registers cut: the event alone");
	ASSERT_EQ(x->ip, 0, "no registers");
	ASSERT_EQ(x->stack_words, 0, "no sample");
	ASSERT_EQ(((struct lt_event *)out)->frames[1], 0x401101, "frames kept");

	ASSERT_EQ(sysrec__expand(wire, sizeof(struct lt_event) + 8, out, &stack), 0, "frames cut");
	ASSERT_EQ(sysrec__expand(wire, sizeof(struct lt_event) - 1, out, &stack), 0, "event cut");
	ASSERT_TRUE(!stack, "no sample pointer");
}

static void test_bad_counts(void)
{
	struct lt_event *e = (struct lt_event *)wire;
	struct lt_sys_extra *x = out_x(), *wx;
	const __u64 *stack;
	size_t len;

	len = make_wire(1, "/p", 4, 4);
	e->nframes = LT_MAX_FRAMES + 1;
	ASSERT_EQ(sysrec__expand(wire, len, out, &stack), 0, "nframes past LT_MAX_FRAMES");

	len = make_wire(1, "/p", 4, 4);
	wx = (struct lt_sys_extra *)(wire + sizeof(*e) + 8);
	wx->path_len = 12; /* not a multiple of 8 */
	ASSERT_EQ(sysrec__expand(wire, len, out, &stack), LT_SYS_STACK_OFF, "odd path_len");
	ASSERT_EQ(x->path[0], 0, "no path");
	wx->path_len = LT_PATH_LEN + 8;
	ASSERT_EQ(sysrec__expand(wire, sizeof(wire), out, &stack), LT_SYS_STACK_OFF, "path_len too long");
	ASSERT_EQ(x->stack_words, 0, "no sample");

	/* A path without its NUL still ends in one. */
	len = make_wire(0, NULL, 0, 0);
	wx = (struct lt_sys_extra *)(wire + sizeof(*e));
	wx->path_len = LT_PATH_LEN;
	memset(wire + sizeof(*e) + LT_SYS_WIRE_HDR, 'a', LT_PATH_LEN);
	ASSERT_EQ(sysrec__expand(wire, len + LT_PATH_LEN, out, &stack), LT_SYS_STACK_OFF, "whole path");
	ASSERT_EQ(strlen(x->path), LT_PATH_LEN - 1, "terminated");
}

int main(void)
{
	RUN_TEST(test_whole_record_lands_in_place);
	RUN_TEST(test_no_path_full_sample);
	RUN_TEST(test_cut_records_keep_what_is_whole);
	RUN_TEST(test_bad_counts);
	TEST_EXIT();
}
