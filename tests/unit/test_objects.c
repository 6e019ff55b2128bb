// SPDX-License-Identifier: GPL-2.0
/*
 * test_objects.c - probe-site choice (objects__probe_shift) on hand-assembled
 * function bodies, and objects__read_funcs on this machine's C library: which
 * instructions a probe may move past, and when it must stay at the entry.
 */
#include <fcntl.h>
#include <unistd.h>

#include "objects.h"
#include "test.h"

/* x86-64 encodings used below */
#define TEST_RDI 0x48, 0x85, 0xff                         /* test %rdi,%rdi */
#define CMPB_RIP 0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00 /* cmpb $0,0x140201(%rip) */
#define ENDBR64 0xf3, 0x0f, 0x1e, 0xfa
#define PUSH_R12 0x41, 0x54
#define PUSH_RBX 0x53
#define MOV_RDI_RBX 0x48, 0x89, 0xfb /* mov %rdi,%rbx */
#define SUB_RSP 0x48, 0x83, 0xec, 0x18 /* sub $0x18,%rsp */
#define RET 0xc3
#define NOP4 0x0f, 0x1f, 0x40, 0x00

static unsigned shift_of(const __u8 *code, size_t len, bool whole, const char **why)
{
	return objects__probe_shift(code, len, whole, why);
}

/* glibc 2.36's free: test %rdi,%rdi; je ...: the probe goes on the je. */
static void test_free_moves_past_test(void)
{
	static const __u8 code[] = { TEST_RDI, 0x74, 0x05, PUSH_RBX, MOV_RDI_RBX, 0x5b, RET, RET };
	const char *why;

	ASSERT_EQ(shift_of(code, sizeof(code), true, &why), 3, "onto the je");
	ASSERT_TRUE(why != NULL, "says why");
}

/* glibc 2.36's posix_memalign, valloc, pvalloc: a compare with memory, then a push. */
static void test_memory_compare_moves(void)
{
	static const __u8 code[] = { CMPB_RIP, PUSH_R12, MOV_RDI_RBX, 0x41, 0x5c, RET };
	const char *why;

	ASSERT_EQ(shift_of(code, sizeof(code), true, &why), 7, "onto the push");
}

static void test_endbr64_moves(void)
{
	static const __u8 code[] = { ENDBR64, PUSH_RBX, 0x5b, RET };
	const char *why;

	ASSERT_EQ(shift_of(code, sizeof(code), true, &why), 4, "past endbr64");
}

/* malloc starts with push %r12: emulated where it is. */
static void test_emulated_entry_stays(void)
{
	static const __u8 code[] = { PUSH_R12, 0x41, 0x5c, RET };
	const char *why = "x";

	ASSERT_EQ(shift_of(code, sizeof(code), true, &why), 0, "already emulated");
	ASSERT_TRUE(why == NULL, "nothing to say");
}

/* Anything that writes a register or the stack pins the probe to the entry. */
static void test_writes_stay_at_entry(void)
{
	static const __u8 mov[] = { MOV_RDI_RBX, PUSH_RBX, 0x5b, RET };
	static const __u8 sub[] = { SUB_RSP, PUSH_RBX, 0x5b, RET };
	static const __u8 test_then_mov[] = { TEST_RDI, MOV_RDI_RBX, PUSH_RBX, 0x5b, RET };
	const char *why;

	ASSERT_EQ(shift_of(mov, sizeof(mov), true, &why), 0, "mov writes a register");
	ASSERT_EQ(shift_of(sub, sizeof(sub), true, &why), 0, "sub moves the stack");
	ASSERT_EQ(shift_of(test_then_mov, sizeof(test_then_mov), true, &why), 0,
		  "a write before any emulated instruction");
}

/* At most two skipped instructions. */
static void test_three_compares_stay(void)
{
	static const __u8 two[] = { TEST_RDI, TEST_RDI, PUSH_RBX, 0x5b, RET };
	static const __u8 three[] = { TEST_RDI, TEST_RDI, TEST_RDI, PUSH_RBX, 0x5b, RET };
	const char *why;

	ASSERT_EQ(shift_of(two, sizeof(two), true, &why), 6, "two skipped");
	ASSERT_EQ(shift_of(three, sizeof(three), true, &why), 0, "three: stays");
}

/* A jump from inside the body onto the site would run the probe without a call. */
static void test_jump_onto_site_stays(void)
{
	/* 0: test; 3: push rbx; 4: nop4; 8: jne -7 (to 3); 10: pop; 11: ret */
	static const __u8 loop_to_site[] = { TEST_RDI, PUSH_RBX, NOP4, 0x75, 0xf9, 0x5b, RET };
	/* the same, jumping to 0 (the entry itself): harmless */
	static const __u8 loop_to_entry[] = { TEST_RDI, PUSH_RBX, NOP4, 0x75, 0xf6, 0x5b, RET };
	/* a jump into the skipped instructions, 1 byte in */
	static const __u8 into_skipped[] = { CMPB_RIP, PUSH_R12, 0xeb, 0xf6, RET };
	const char *why;

	ASSERT_EQ(shift_of(loop_to_site, sizeof(loop_to_site), true, &why), 0, "a jump lands on it");
	ASSERT_EQ(shift_of(loop_to_entry, sizeof(loop_to_entry), true, &why), 3, "to the entry: fine");
	ASSERT_EQ(shift_of(into_skipped, sizeof(into_skipped), true, &why), 0,
		  "a jump into what was skipped");
}

/* Without the whole body its jumps cannot be checked: the entry. */
static void test_partial_body_stays(void)
{
	static const __u8 code[] = { TEST_RDI, 0x74, 0x05, PUSH_RBX, MOV_RDI_RBX, 0x5b, RET, RET };
	const char *why;

	ASSERT_EQ(shift_of(code, sizeof(code), false, &why), 0, "not the whole body");
	ASSERT_TRUE(why == NULL, "no reason when not moved");
}

/* Bytes that do not decode end the scan: the entry. */
static void test_undecodable_body_stays(void)
{
	__u8 code[64] = { TEST_RDI, 0x74, 0x05 };
	const char *why;

	memset(code + 3, 0x06, sizeof(code) - 3); /* push %es: invalid in 64-bit mode */
	ASSERT_EQ(shift_of(code, sizeof(code), true, &why), 0, "undecodable");
	ASSERT_EQ(shift_of(code, 2, true, &why), 0, "truncated");
}

/* This machine's libc: every allocator found, each site at or past its entry. */
static void test_system_libc_sites(void)
{
	static const char *const paths[] = { "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/libc.so.6",
					     "/usr/lib/libc.so.6" };
	struct obj_funcs f;
	unsigned i;
	int fd = -1, ret;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]) && fd < 0; i++)
		fd = open(paths[i], O_RDONLY | O_CLOEXEC);
	ASSERT_TRUE(fd >= 0, "a system libc");
	ret = objects__read_funcs(fd, &f);
	close(fd);
	ASSERT_EQ(ret, 0, "malloc and free found");
	for (i = 0; i < OBJ_FN__MAX; i++) {
		if (!f.offset[i])
			continue;
		ASSERT_TRUE(f.probe_off[i] >= f.offset[i] && f.probe_off[i] < f.offset[i] + 16,
			    obj_fn_names[i]);
		ASSERT_TRUE((f.probe_off[i] != f.offset[i]) == (f.why[i] != NULL), obj_fn_names[i]);
	}
}

int main(void)
{
	RUN_TEST(test_free_moves_past_test);
	RUN_TEST(test_memory_compare_moves);
	RUN_TEST(test_endbr64_moves);
	RUN_TEST(test_emulated_entry_stays);
	RUN_TEST(test_writes_stay_at_entry);
	RUN_TEST(test_three_compares_stay);
	RUN_TEST(test_jump_onto_site_stays);
	RUN_TEST(test_partial_body_stays);
	RUN_TEST(test_undecodable_body_stays);
	RUN_TEST(test_system_libc_sites);
	TEST_EXIT();
}
