// SPDX-License-Identifier: GPL-2.0
/*
 * test_agg.c - unit tests of the aggregator (user/agg.c): one test per rule of
 * DESIGN.md's event semantics, with exact numbers, plus randomized churn
 * against naive reference models and the memory budget per live allocation.
 *
 * Feeds synthetic records only; must not depend on BPF, /proc or the clock.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "agg.h"
#include "test.h"

#define PG  4096ull
#define SEC 1000000000ull

/* A record as the ring buffer hands it over: header, frames, trailer. */
union evbuf {
	struct lt_event e;
	unsigned char
	    raw[sizeof(struct lt_event) + LT_MAX_FRAMES * sizeof(__u64) + 2 * LT_PATH_LEN];
};

struct ev {
	__u32 type, tgid;
	__u64 ts, addr, old_addr, size, aux;
	__u32 site; /* 0: no frames; else SITE_FRAMES frames derived from it */
	__u16 flags;
	const char *comm;
	const char *path;
};

#define SITE_FRAMES 3

static __u64 site_pc(__u32 site)
{
	return 0x401000 + site * 0x10ull;
}

static size_t ev_build(const struct ev *ev, union evbuf *b)
{
	size_t len;

	memset(b, 0, sizeof(*b));
	b->e.type = ev->type;
	b->e.tgid = ev->tgid;
	b->e.tid = ev->tgid;
	b->e.flags = ev->flags;
	b->e.ts_ns = ev->ts;
	b->e.addr = ev->addr;
	b->e.old_addr = ev->old_addr;
	b->e.size = ev->size;
	b->e.aux = ev->aux;
	if (ev->site) {
		b->e.nframes = SITE_FRAMES;
		b->e.frames[0] = site_pc(ev->site);
		b->e.frames[1] = 0x402000;
		b->e.frames[2] = 0x403000;
	}
	if (ev->comm)
		strncpy(b->e.comm, ev->comm, LT_COMM_LEN - 1);
	len = sizeof(b->e) + b->e.nframes * sizeof(__u64);
	if (ev->path) {
		size_t plen = strlen(ev->path) + 1;

		memcpy(b->raw + len, ev->path, plen);
		len += plen;
	}
	return len;
}

static unsigned ev_send(struct agg *a, struct ev ev)
{
	union evbuf b;
	size_t len = ev_build(&ev, &b);

	return agg__on_event(a, &b.e, len);
}

#define SEND(a, ...) ev_send(a, (struct ev){__VA_ARGS__})

static unsigned send_alloc(struct agg *a, __u32 tgid, __u64 addr, __u64 size, __u32 site, __u64 ts)
{
	return SEND(a, .type = LT_EV_ALLOC, .tgid = tgid, .addr = addr, .size = size, .site = site,
		    .ts = ts);
}

static unsigned send_free(struct agg *a, __u32 tgid, __u64 addr)
{
	return SEND(a, .type = LT_EV_FREE, .tgid = tgid, .addr = addr);
}

static unsigned send_realloc(struct agg *a, __u32 tgid, __u64 old, __u64 addr, __u64 size,
			     __u32 site)
{
	return SEND(a, .type = LT_EV_REALLOC, .tgid = tgid, .old_addr = old, .addr = addr,
		    .size = size, .site = site);
}

static unsigned send_map(struct agg *a, __u32 tgid, __u64 addr, __u64 len, __u32 site, __u64 ts)
{
	return SEND(a, .type = LT_EV_MAP, .tgid = tgid, .addr = addr, .size = len, .site = site,
		    .ts = ts);
}

static unsigned send_unmap(struct agg *a, __u32 tgid, __u64 addr, __u64 len)
{
	return SEND(a, .type = LT_EV_UNMAP, .tgid = tgid, .addr = addr, .size = len);
}

static unsigned send_mremap(struct agg *a, __u32 tgid, __u64 old, __u64 old_len, __u64 addr,
			    __u64 len, __u32 site)
{
	return SEND(a, .type = LT_EV_MREMAP, .tgid = tgid, .old_addr = old, .aux = old_len,
		    .addr = addr, .size = len, .site = site);
}

static unsigned send_fd_open(struct agg *a, __u32 tgid, int fd, enum lt_fd_kind kind,
			     const char *path, bool cloexec, __u32 site)
{
	return SEND(a, .type = LT_EV_FD_OPEN, .tgid = tgid, .addr = (__u64)fd, .aux = kind,
		    .path = path, .flags = cloexec ? LT_F_CLOEXEC : 0, .site = site);
}

static unsigned send_fd_close(struct agg *a, __u32 tgid, int fd)
{
	return SEND(a, .type = LT_EV_FD_CLOSE, .tgid = tgid, .addr = (__u64)fd);
}

static unsigned send_close_range(struct agg *a, __u32 tgid, __u64 first, __u64 last, __u64 flags)
{
	return SEND(a, .type = LT_EV_FD_CLOSE_RANGE, .tgid = tgid, .addr = first, .size = last,
		    .aux = flags);
}

static unsigned send_fd_cloexec(struct agg *a, __u32 tgid, int fd, bool on)
{
	return SEND(a, .type = LT_EV_FD_CLOEXEC, .tgid = tgid, .addr = (__u64)fd, .aux = on);
}

static unsigned send_timer_create(struct agg *a, __u32 tgid, __u64 id, __u32 site)
{
	return SEND(a, .type = LT_EV_TIMER_CREATE, .tgid = tgid, .addr = id, .site = site);
}

static unsigned send_timer_delete(struct agg *a, __u32 tgid, __u64 id)
{
	return SEND(a, .type = LT_EV_TIMER_DELETE, .tgid = tgid, .addr = id);
}

static unsigned send_fork(struct agg *a, __u32 parent, __u32 child, const char *comm)
{
	return SEND(a, .type = LT_EV_FORK, .tgid = parent, .aux = child, .comm = comm);
}

static unsigned send_exec(struct agg *a, __u32 tgid, const char *comm)
{
	return SEND(a, .type = LT_EV_EXEC, .tgid = tgid, .comm = comm);
}

static unsigned send_exit(struct agg *a, __u32 tgid)
{
	return SEND(a, .type = LT_EV_EXIT, .tgid = tgid);
}

static struct agg_stats stats_of(const struct agg *a)
{
	struct agg_stats st;

	agg__stats(a, &st);
	return st;
}

/* The process tgid as agg__procs() lists it; false when it is not listed. */
static bool proc_of(struct agg *a, __u32 tgid, struct agg_proc_info *out)
{
	struct agg_proc_info *v;
	bool found = false;
	size_t n, i;

	memset(out, 0, sizeof(*out));
	if (agg__procs(a, &v, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (v[i].tgid == tgid) {
			*out = v[i];
			found = true;
		}
	}
	free(v);
	return found;
}

static size_t nprocs_listed(struct agg *a)
{
	struct agg_proc_info *v;
	size_t n;

	if (agg__procs(a, &v, &n))
		return SIZE_MAX;
	free(v);
	return n;
}

struct stacks {
	struct agg_stack_info *v;
	size_t n;
};

static int stacks_get(struct agg *a, __u64 now, __u64 min_age, unsigned kinds, size_t top_n,
		      struct stacks *s)
{
	return agg__top_stacks(a, now, min_age, kinds, top_n, &s->v, &s->n);
}

#define ALL_KINDS ((1u << LT_KIND__MAX) - 1)

/* The stack of tgid and kind whose innermost frame is site's (site 0: no frames). */
static const struct agg_stack_info *stack_of(const struct stacks *s, __u32 tgid, enum lt_kind kind,
					     __u32 site)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct agg_stack_info *si = &s->v[i];

		if (si->tgid != tgid || si->kind != kind)
			continue;
		if (!site && !si->nframes)
			return si;
		if (site && si->nframes == SITE_FRAMES && si->frames[0] == site_pc(site))
			return si;
	}
	return NULL;
}

static bool has_path(const struct agg_stack_info *si, const char *path)
{
	int i;

	for (i = 0; i < si->npaths; i++)
		if (!strcmp(si->paths[i], path))
			return true;
	return false;
}

/* ---- memory ---- */

static void test_empty_aggregator_reports_nothing(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_stats st;
	struct stacks s;

	ASSERT_TRUE(a, "agg__new");
	st = stats_of(a);
	ASSERT_EQ(st.events, 0, "events");
	ASSERT_EQ(st.live, 0, "live");
	ASSERT_EQ(st.procs, 0, "procs");
	ASSERT_EQ(nprocs_listed(a), 0, "procs listed");
	ASSERT_EQ(stacks_get(a, 10 * SEC, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 0, "stacks listed");
	free(s.v);
	agg__free(a);
}

static void test_malloc_free_pairs_leave_nothing(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct agg_stats st;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 64, 1, 1);
	send_alloc(a, 100, 0x2000, 32, 1, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc 100 listed");
	ASSERT_EQ(pi.mem_bytes, 96, "mem_bytes while held");
	ASSERT_EQ(pi.mem_count, 2, "mem_count while held");
	st = stats_of(a);
	ASSERT_EQ(st.live, 2, "live while held");
	ASSERT_EQ(st.stacks, 1, "stacks while held");

	send_free(a, 100, 0x1000);
	send_free(a, 100, 0x2000);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc 100 still listed");
	ASSERT_EQ(pi.mem_bytes, 0, "mem_bytes after frees");
	ASSERT_EQ(pi.mem_count, 0, "mem_count after frees");
	st = stats_of(a);
	ASSERT_EQ(st.events, 4, "events");
	ASSERT_EQ(st.live, 0, "live after frees");
	ASSERT_EQ(st.stacks, 0, "stacks after frees");
	ASSERT_EQ(st.unknown_frees, 0, "unknown_frees");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 0, "no stack holds anything");
	free(s.v);
	agg__free(a);
}

/* A failed malloc or realloc sends no record: the block realloc failed on stays live. */
static void test_failed_realloc_leaves_block_live(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 64, 1, 1);
	/* realloc(0x1000, huge) failed here: nothing was sent */
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 64, "block still held");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MEM, 1), "still charged to its malloc stack");
	free(s.v);
	send_free(a, 100, 0x1000);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "its free is known");
	agg__free(a);
}

static void test_realloc_moves_block(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 100, 1, 1);
	send_realloc(a, 100, 0x1000, 0x5000, 200, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 200, "mem_bytes");
	ASSERT_EQ(pi.mem_count, 1, "mem_count");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "old block was known");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack");
	si = stack_of(&s, 100, LT_KIND_MEM, 2);
	ASSERT_TRUE(si, "charged to the realloc stack");
	ASSERT_EQ(si->bytes, 200, "stack bytes");
	ASSERT_EQ(si->count, 1, "stack count");
	free(s.v);

	send_free(a, 100, 0x1000);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "old address is gone");
	send_free(a, 100, 0x5000);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 0, "all freed");
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "new address was known");
	agg__free(a);
}

static void test_realloc_same_address_resizes(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 100, 1, 1);
	send_realloc(a, 100, 0x1000, 0x1000, 300, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 300, "mem_bytes");
	ASSERT_EQ(pi.mem_count, 1, "mem_count");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack");
	si = stack_of(&s, 100, LT_KIND_MEM, 2);
	ASSERT_TRUE(si, "charged to the realloc stack");
	ASSERT_EQ(si->bytes, 300, "stack bytes");
	free(s.v);
	agg__free(a);
}

/* BPF sends realloc(NULL, n) as an ALLOC; a REALLOC from NULL frees nothing either. */
static void test_realloc_null_is_alloc(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	send_alloc(a, 100, 0x1000, 50, 3, 1);
	send_realloc(a, 100, 0, 0x2000, 70, 3);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 120, "mem_bytes");
	ASSERT_EQ(pi.mem_count, 2, "mem_count");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "nothing unknown freed");
	agg__free(a);
}

/* BPF sends realloc(p, 0) returning NULL as a FREE. */
static void test_realloc_zero_is_free(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	send_alloc(a, 100, 0x1000, 50, 3, 1);
	send_free(a, 100, 0x1000);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 0, "mem_bytes");
	ASSERT_EQ(pi.mem_count, 0, "mem_count");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

static void test_realloc_of_unknown_block(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	send_realloc(a, 100, 0x9000, 0xa000, 64, 1);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "old block unknown");
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 64, "new block tracked");
	ASSERT_EQ(pi.mem_count, 1, "mem_count");
	agg__free(a);
}

static void test_unknown_free_counted(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	unsigned r;

	r = send_free(a, 100, 0x1234);
	ASSERT_EQ(r, AGG_R_NEW_PROC, "first event of the tgid creates it");
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "unknown_frees");
	send_free(a, 100, 0);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "free(NULL) is no unknown free");
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 0, "nothing held");
	ASSERT_EQ(stats_of(a).live, 0, "live");
	agg__free(a);
}

/* A second alloc at an outstanding address means its free was lost. */
static void test_alloc_at_outstanding_address_replaces(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 64, 1, 1);
	send_alloc(a, 100, 0x1000, 128, 2, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 128, "mem_bytes");
	ASSERT_EQ(pi.mem_count, 1, "mem_count");
	ASSERT_EQ(stats_of(a).live, 1, "live");
	ASSERT_EQ(stats_of(a).stacks, 1, "the first stack holds nothing");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack listed");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MEM, 2), "the second stack");
	ASSERT_EQ(stack_of(&s, 100, LT_KIND_MEM, 2)->bytes, 128, "its bytes");
	free(s.v);
	send_free(a, 100, 0x1000);
	ASSERT_EQ(stats_of(a).live, 0, "live after free");
	agg__free(a);
}

/* A held allocation (LT_F_HELD): sent at ts, made at aux. */
static unsigned send_held(struct agg *a, __u32 tgid, __u64 addr, __u64 size, __u32 site,
			  __u64 born, __u64 ts)
{
	return SEND(a, .type = LT_EV_ALLOC, .flags = LT_F_HELD, .tgid = tgid, .addr = addr,
		    .size = size, .site = site, .aux = born, .ts = ts);
}

/* Its age counts from when it was made, not from when it was sent. */
static void test_held_alloc_ages_from_aux(void)
{
	struct agg *a = agg__new(NULL);
	struct stacks s;

	send_held(a, 100, 0x1000, 64, 1, 2 * SEC, 7 * SEC);
	ASSERT_EQ(stats_of(a).live, 1, "live");
	ASSERT_EQ(stacks_get(a, 10 * SEC, 8 * SEC, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "older than 8 s at 10 s: made at 2 s");
	ASSERT_EQ(s.v[0].oldest_ts, 2 * SEC, "oldest_ts is aux");
	free(s.v);
	/* aux past ts is not a time it could have been made at: ts counts. */
	send_held(a, 100, 0x2000, 64, 2, 9 * SEC, 3 * SEC);
	ASSERT_EQ(stacks_get(a, 10 * SEC, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MEM, 2), "second stack");
	ASSERT_EQ(stack_of(&s, 100, LT_KIND_MEM, 2)->oldest_ts, 3 * SEC, "bad aux: ts");
	free(s.v);
	agg__free(a);
}

/*
 * Another thread freed the held block before it was sent: the free came
 * first, unknown; the allocation, made before it, is gone already, and the
 * free is no longer unknown.
 */
static void test_held_alloc_after_its_free(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	SEND(a, .type = LT_EV_FREE, .tgid = 100, .addr = 0x1000, .ts = 200);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "the free, first, is unknown");
	send_held(a, 100, 0x1000, 64, 1, 150, 300);
	ASSERT_EQ(stats_of(a).live, 0, "made before the free: gone");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "the free is explained");
	ASSERT_EQ(stats_of(a).late_dropped, 1, "late_dropped");
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 0, "mem_bytes");
	/*
	 * Another block born before that free (held by a third thread, freed
	 * by it unseen in between) is gone too; the free is explained once.
	 */
	send_held(a, 100, 0x1000, 32, 1, 160, 400);
	ASSERT_EQ(stats_of(a).live, 0, "second held block born before the free: gone");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "explained once");
	ASSERT_EQ(stats_of(a).late_dropped, 2, "late_dropped");
	/* One born after it lives. */
	send_held(a, 100, 0x1000, 32, 1, 250, 450);
	ASSERT_EQ(stats_of(a).live, 1, "held block born after the free lives");

	/* Made after the free (the address came back): a new block, kept. */
	SEND(a, .type = LT_EV_FREE, .tgid = 100, .addr = 0x2000, .ts = 500);
	send_held(a, 100, 0x2000, 16, 2, 600, 700);
	ASSERT_EQ(stats_of(a).live, 2, "made after the free: lives");
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "that free stays unknown");

	/* Another process's free of the same address explains nothing. */
	SEND(a, .type = LT_EV_FREE, .tgid = 101, .addr = 0x3000, .ts = 800);
	send_held(a, 100, 0x3000, 8, 3, 750, 900);
	ASSERT_EQ(stats_of(a).live, 3, "other tgid's free: lives");
	ASSERT_EQ(stats_of(a).late_dropped, 2, "late_dropped unchanged");

	/* tgid 0, address 0, time 0: no slot was ever filled, nothing matches. */
	send_held(a, 0, 0, 8, 4, 0, 0);
	ASSERT_EQ(stats_of(a).unknown_frees, 2, "an empty slot explains nothing");
	ASSERT_EQ(stats_of(a).live, 4, "the tgid 0 block lives");
	agg__free(a);
}

/* A newer block lives at the held block's address: the held one was freed unseen. */
static void test_held_alloc_older_than_live_block(void)
{
	struct agg *a = agg__new(NULL);
	struct stacks s;

	send_alloc(a, 100, 0x1000, 64, 1, 400);
	send_held(a, 100, 0x1000, 128, 2, 300, 500);
	ASSERT_EQ(stats_of(a).live, 1, "live");
	ASSERT_EQ(stats_of(a).late_dropped, 1, "late_dropped");
	ASSERT_EQ(stacks_get(a, 1000, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MEM, 1), "the newer block's stack");
	ASSERT_EQ(stack_of(&s, 100, LT_KIND_MEM, 1)->bytes, 64, "its bytes");
	free(s.v);
	/* An older live block is replaced, as for any allocation. */
	send_held(a, 100, 0x1000, 32, 3, 600, 700);
	ASSERT_EQ(stacks_get(a, 1000, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MEM, 3), "the held block's stack");
	free(s.v);
	agg__free(a);
}

static void test_huge_sizes_exact(void)
{
	struct agg *a = agg__new(NULL);
	__u64 b1 = (1ull << 40) - 1, b2 = 1ull << 40, b3 = (1ull << 45) + 5;
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, b1, 1, 1);
	send_alloc(a, 100, 0x2000, b2, 1, 1);
	send_alloc(a, 100, 0x3000, b3, 1, 1);
	send_alloc(a, 100, 0x4000, 16, 1, 1);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_TRUE(pi.mem_bytes == b1 + b2 + b3 + 16, "mem_bytes exact");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_TRUE(s.n == 1 && s.v[0].bytes == b1 + b2 + b3 + 16, "stack bytes exact");
	free(s.v);
	send_free(a, 100, 0x2000);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_TRUE(pi.mem_bytes == b1 + b3 + 16, "mem_bytes after freeing 1 TiB");
	send_realloc(a, 100, 0x3000, 0x3000, 32, 1);
	send_free(a, 100, 0x1000);
	send_free(a, 100, 0x3000);
	send_free(a, 100, 0x4000);
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_EQ(pi.mem_bytes, 0, "all freed");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

/* ---- processes ---- */

static void test_fork_child_starts_empty(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	unsigned r;

	send_alloc(a, 100, 0x1000, 64, 1, 1);
	send_alloc(a, 100, 0x2000, 32, 1, 1);
	r = send_fork(a, 100, 200, "child");
	ASSERT_EQ(r, AGG_R_NEW_PROC, "fork result");
	ASSERT_TRUE(proc_of(a, 200, &pi), "child listed");
	ASSERT_STREQ(pi.comm, "child", "child comm");
	ASSERT_EQ(pi.mem_bytes, 0, "child holds nothing");
	ASSERT_EQ(pi.mem_count, 0, "child count");

	/* the child frees a block it inherited: unknown, the parent's copy stays */
	send_free(a, 200, 0x1000);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "inherited free is unknown");
	send_alloc(a, 200, 0x3000, 8, 1, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "parent listed");
	ASSERT_EQ(pi.mem_bytes, 96, "parent intact");
	ASSERT_EQ(pi.mem_count, 2, "parent count intact");
	ASSERT_TRUE(proc_of(a, 200, &pi), "child listed");
	ASSERT_EQ(pi.mem_bytes, 8, "child's own block");
	ASSERT_EQ(stats_of(a).procs, 2, "procs");
	ASSERT_EQ(stats_of(a).live, 3, "live");
	agg__free(a);
}

static void test_exec_drops_mem_maps_timers_and_cloexec_fds(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	unsigned r;

	send_alloc(a, 100, 0x1000, 64, 1, 1);
	send_map(a, 100, 0x7f0000000000, 2 * PG, 2, 1);
	send_timer_create(a, 100, 1, 3);
	send_fd_open(a, 100, 3, LT_FD_FILE, "/etc/passwd", false, 10);
	send_fd_open(a, 100, 4, LT_FD_FILE, "/etc/group", true, 10);
	send_fd_open(a, 100, 5, LT_FD_SOCKET, NULL, false, 10);
	send_fd_cloexec(a, 100, 5, true);
	send_fd_open(a, 100, 6, LT_FD_PIPE, NULL, true, 10);
	send_fd_cloexec(a, 100, 6, false);
	ASSERT_EQ(stats_of(a).live, 7, "live before exec");

	r = send_exec(a, 100, "newimg");
	ASSERT_EQ(r, AGG_R_EXEC, "exec result");
	ASSERT_TRUE(proc_of(a, 100, &pi), "proc listed");
	ASSERT_STREQ(pi.comm, "newimg", "comm updated");
	ASSERT_EQ(pi.mem_bytes, 0, "mem gone");
	ASSERT_EQ(pi.mem_count, 0, "mem count");
	ASSERT_EQ(pi.map_bytes, 0, "maps gone");
	ASSERT_EQ(pi.map_count, 0, "map count");
	ASSERT_EQ(pi.timers, 0, "timers gone");
	ASSERT_EQ(pi.fds, 2, "fds 3 and 6 stay");
	ASSERT_EQ(stats_of(a).live, 2, "live after exec");
	ASSERT_EQ(stats_of(a).stacks, 1, "only the fd stack holds something");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "exec frees nothing unknown");

	send_fd_close(a, 100, 3);
	send_fd_close(a, 100, 6);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "kept fds are known");
	send_fd_close(a, 100, 4);
	send_fd_close(a, 100, 5);
	send_free(a, 100, 0x1000);
	ASSERT_EQ(stats_of(a).unknown_frees, 3, "closed and dropped ones are unknown");

	/* the new image's addresses mean something else: a new stack */
	r = send_alloc(a, 100, 0x1000, 64, 1, 2);
	ASSERT_EQ(r, AGG_R_NEW_STACK, "post-exec stack is new");
	agg__free(a);
}

static void test_exit_removes_process(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_stats st;
	struct stacks s;
	unsigned r;

	send_alloc(a, 100, 0x1000, 64, 1, 1);
	send_map(a, 100, 0x7f0000000000, PG, 2, 1);
	send_fd_open(a, 100, 3, LT_FD_FILE, "/tmp/x", false, 3);
	send_timer_create(a, 100, 7, 4);
	send_alloc(a, 101, 0x1000, 16, 1, 1);
	r = send_exit(a, 100);
	ASSERT_EQ(r, AGG_R_EXIT, "exit result");
	ASSERT_EQ(nprocs_listed(a), 1, "only 101 listed");
	st = stats_of(a);
	ASSERT_EQ(st.procs, 1, "procs");
	ASSERT_EQ(st.live, 1, "live");
	ASSERT_EQ(st.stacks, 1, "stacks");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_TRUE(s.n == 1 && s.v[0].tgid == 101, "only 101's stack");
	free(s.v);

	r = send_exit(a, 555);
	ASSERT_EQ(r, AGG_R_EXIT, "exit of a tgid never seen");
	ASSERT_EQ(stats_of(a).procs, 1, "it is not created");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "exit frees nothing unknown");
	agg__free(a);
}

static void test_exit_with_keep_exited_freezes_state(void)
{
	struct agg_limits lim = {.keep_exited = true};
	struct agg *a = agg__new(&lim);
	struct agg_proc_info pi;
	struct stacks s;
	unsigned r;

	SEND(a, .type = LT_EV_EXEC, .tgid = 100, .comm = "leaky");
	send_alloc(a, 100, 0x1000, 64, 1, 1);
	send_fd_open(a, 100, 3, LT_FD_FILE, "/tmp/x", false, 3);
	r = send_exit(a, 100);
	ASSERT_EQ(r, AGG_R_EXIT, "exit result");
	ASSERT_TRUE(proc_of(a, 100, &pi), "kept");
	ASSERT_TRUE(pi.exited, "marked exited");
	ASSERT_STREQ(pi.comm, "leaky", "comm kept");
	ASSERT_EQ(pi.mem_bytes, 64, "mem frozen");
	ASSERT_EQ(pi.fds, 1, "fds frozen");
	ASSERT_EQ(stats_of(a).live, 2, "live");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 10, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 2, "its stacks are still reported");
	free(s.v);

	agg__drop_proc(a, 100);
	ASSERT_EQ(nprocs_listed(a), 0, "dropped");
	ASSERT_EQ(stats_of(a).live, 0, "live after drop");
	ASSERT_EQ(stats_of(a).stacks, 0, "stacks after drop");

	send_alloc(a, 101, 0x1000, 64, 1, 1);
	agg__drop_proc(a, 101);
	ASSERT_EQ(stats_of(a).procs, 1, "a live process is not dropped");
	agg__free(a);
}

static void test_fork_onto_existing_tgid_resets_child(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	unsigned r;

	send_alloc(a, 200, 0x1000, 64, 1, 1); /* 200's exit was missed */
	agg__set_comm(a, 200, "old");
	send_alloc(a, 100, 0x1000, 8, 1, 1);
	r = send_fork(a, 100, 200, "new");
	ASSERT_EQ(r, AGG_R_NEW_PROC, "reused pid is a new process");
	ASSERT_TRUE(proc_of(a, 200, &pi), "200 listed");
	ASSERT_STREQ(pi.comm, "new", "new comm");
	ASSERT_EQ(pi.mem_bytes, 0, "nothing of the old process");
	ASSERT_EQ(stats_of(a).live, 1, "only the parent's block");
	send_free(a, 200, 0x1000);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "old block is gone");
	agg__free(a);
}

static void test_event_after_exit_is_pid_reuse(void)
{
	struct agg_limits lim = {.keep_exited = true};
	struct agg *a = agg__new(&lim);
	struct agg_proc_info pi;
	unsigned r;

	agg__set_comm(a, 200, "old");
	send_alloc(a, 200, 0x1000, 64, 1, 1);
	send_exit(a, 200);
	r = send_alloc(a, 200, 0x2000, 16, 1, 2);
	ASSERT_EQ(r, AGG_R_NEW_PROC | AGG_R_NEW_STACK, "new process, new stack");
	ASSERT_TRUE(proc_of(a, 200, &pi), "listed");
	ASSERT_TRUE(!pi.exited, "alive again");
	ASSERT_STREQ(pi.comm, "", "comm unknown until named");
	ASSERT_EQ(pi.mem_bytes, 16, "only the new block");
	ASSERT_EQ(stats_of(a).live, 1, "live");

	/* a fork onto an exited tgid is pid reuse too */
	send_exit(a, 200);
	r = send_fork(a, 1, 200, "again");
	ASSERT_EQ(r, AGG_R_NEW_PROC, "fork result: parent 1 and child are new");
	ASSERT_TRUE(proc_of(a, 200, &pi), "listed");
	ASSERT_TRUE(!pi.exited && !pi.mem_bytes, "reset");
	ASSERT_STREQ(pi.comm, "again", "child comm");

	/*
	 * An exit of an exited tgid: two threads of an exit_group both saw
	 * the group gone (or a new process at the pid exited without an
	 * event): the state kept stays.
	 */
	send_alloc(a, 200, 0x3000, 32, 1, 3);
	send_exit(a, 200);
	r = send_exit(a, 200);
	ASSERT_EQ(r, AGG_R_EXIT, "second exit");
	ASSERT_TRUE(proc_of(a, 200, &pi), "listed");
	ASSERT_TRUE(pi.exited, "still exited");
	ASSERT_EQ(pi.mem_bytes, 32, "its state kept");
	agg__free(a);
}

/*
 * A thread's held allocation sent by its own exit, after another thread sent
 * the exit of the whole process: it belongs to the process that is gone.
 */
static void test_held_alloc_after_exit(void)
{
	struct agg_limits lim = {.keep_exited = true};
	struct agg *a = agg__new(&lim);
	struct agg_proc_info pi;
	unsigned r;

	send_alloc(a, 300, 0x1000, 64, 1, 1);
	SEND(a, .type = LT_EV_EXIT, .tgid = 300, .ts = 10);
	r = send_held(a, 300, 0x2000, 16, 2, 5, 12);
	ASSERT_TRUE(!(r & AGG_R_NEW_PROC), "no new process");
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_TRUE(pi.exited, "still exited");
	ASSERT_EQ(pi.mem_bytes, 80, "the held block is the exited process's");
	/* Made after the exit: a new process at the pid. */
	r = send_held(a, 300, 0x3000, 8, 3, 11, 13);
	ASSERT_TRUE(r & AGG_R_NEW_PROC, "new process");
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_TRUE(!pi.exited && pi.mem_bytes == 8, "only its block");
	agg__free(a);

	/* Without -c the process is gone, and so is what comes after it. */
	a = agg__new(NULL);
	send_alloc(a, 300, 0x1000, 64, 1, 1);
	SEND(a, .type = LT_EV_EXIT, .tgid = 300, .ts = 10);
	r = send_held(a, 300, 0x2000, 16, 2, 5, 12);
	ASSERT_TRUE(!(r & AGG_R_NEW_PROC), "no process made for it");
	ASSERT_EQ(nprocs_listed(a), 0, "none listed");
	ASSERT_EQ(stats_of(a).live, 0, "live");
	ASSERT_EQ(stats_of(a).late_dropped, 1, "late_dropped");
	agg__free(a);

	/* -c, a process known only by its exit and then this record: kept, exited. */
	a = agg__new(&lim);
	SEND(a, .type = LT_EV_EXIT, .tgid = 400, .ts = 10);
	ASSERT_EQ(nprocs_listed(a), 0, "an exit alone makes no process");
	r = send_held(a, 400, 0x2000, 16, 2, 5, 12);
	ASSERT_TRUE(r & AGG_R_NEW_PROC, "made for it");
	ASSERT_TRUE(proc_of(a, 400, &pi), "listed");
	ASSERT_TRUE(pi.exited && pi.mem_bytes == 16, "exited, holding the block");
	agg__free(a);
}

/* What the process at a pid started at, for limits.start_of: set by the test. */
static __u64 fake_start, fake_start_mono;
static unsigned fake_start_calls;

static __u64 start_of_fake(void *ctx, __u32 tgid, __u64 *mono_ns)
{
	(void)ctx;
	(void)tgid;
	fake_start_calls++;
	*mono_ns = fake_start_mono;
	return fake_start;
}

/* Another process's event, the first one sent after the ring dropped some, at ts. */
static void send_loss_mark(struct agg *a, __u64 ts)
{
	static __u64 addr = 0x90000;

	SEND(a, .type = LT_EV_ALLOC, .tgid = 7, .addr = addr += 0x100, .size = 8, .site = 9,
	     .flags = LT_F_AFTER_LOSS, .ts = ts);
}

static void test_pid_replaced_after_lost_events(void)
{
	struct agg_limits lim = {.start_of = start_of_fake};
	struct agg *a = agg__new(&lim);
	struct agg_proc_info pi;
	unsigned r;

	/* 300 forked 5 s after boot: 500 ticks of /proc/PID/stat */
	SEND(a, .type = LT_EV_FORK, .tgid = 1, .aux = 300, .size = 5 * SEC + 3, .comm = "old");
	send_alloc(a, 300, 0x1000, 64, 1, 1);
	fake_start_calls = 0;
	send_alloc(a, 300, 0x2000, 32, 1, 2);
	ASSERT_EQ(fake_start_calls, 0, "nothing lost: no look-up");

	/* A loss, and 300 is still the process forked at 500. */
	fake_start = 500;
	send_loss_mark(a, 10 * SEC);
	r = send_alloc(a, 300, 0x3000, 16, 1, 10 * SEC);
	ASSERT_EQ(r & (AGG_R_NEW_PROC | AGG_R_REPLACED), 0, "the same process");
	ASSERT_EQ(fake_start_calls, 1, "checked once");
	send_alloc(a, 300, 0x4000, 8, 1, 10 * SEC);
	ASSERT_EQ(fake_start_calls, 1, "once per loss");
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_EQ(pi.mem_bytes, 120, "all four blocks");
	ASSERT_STREQ(pi.comm, "old", "comm kept");

	/* Losses less than a second apart: checked again only once the second is over. */
	fake_start = 900;
	send_loss_mark(a, 10 * SEC + SEC / 2);
	r = send_alloc(a, 300, 0x5000, 4, 1, 10 * SEC + SEC / 2);
	ASSERT_EQ(fake_start_calls, 1, "not within the second");
	ASSERT_EQ(r & AGG_R_REPLACED, 0, "not yet found");

	/* A second later: 300 is another process now (started at 900). */
	r = send_alloc(a, 300, 0x1000, 40, 1, 11 * SEC + SEC / 2);
	ASSERT_EQ(r & (AGG_R_NEW_PROC | AGG_R_REPLACED), AGG_R_NEW_PROC | AGG_R_REPLACED,
		  "replaced: a new process");
	ASSERT_EQ(fake_start_calls, 2, "checked");
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_EQ(pi.mem_bytes, 40, "only the new process's block");
	ASSERT_EQ(pi.mem_count, 1, "one block");
	ASSERT_STREQ(pi.comm, "", "comm unknown until named");
	ASSERT_EQ(stats_of(a).replaced, 1, "counted");
	ASSERT_EQ(stats_of(a).live, 3, "the new block and the marks of process 7");
	send_free(a, 300, 0x2000);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "the old process's blocks are gone");

	/* The new one is known by the start it was found with. */
	send_loss_mark(a, 13 * SEC);
	r = send_alloc(a, 300, 0x6000, 2, 1, 13 * SEC);
	ASSERT_EQ(r & AGG_R_REPLACED, 0, "900 is the process we know now");

	/* Gone or unreadable (0): nothing to compare, the state stays. */
	fake_start = 0;
	send_loss_mark(a, 15 * SEC);
	r = send_alloc(a, 300, 0x7000, 1, 1, 15 * SEC);
	ASSERT_EQ(r & AGG_R_REPLACED, 0, "unknown start: kept");
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_EQ(pi.mem_bytes, 43, "three blocks");

	/* A process first seen by an event is checked only once its start is known. */
	fake_start = 1234;
	send_alloc(a, 400, 0x1000, 10, 1, 16 * SEC);
	send_loss_mark(a, 17 * SEC);
	fake_start_calls = 0;
	r = send_alloc(a, 400, 0x2000, 10, 1, 17 * SEC);
	ASSERT_EQ(fake_start_calls, 0, "start unknown: not checked");
	agg__set_start(a, 400, 1000);
	send_loss_mark(a, 19 * SEC);
	r = send_alloc(a, 400, 0x3000, 10, 1, 19 * SEC);
	ASSERT_EQ(r & AGG_R_REPLACED, AGG_R_REPLACED, "1234 != 1000: replaced");
	agg__set_start(a, 401, 5);
	ASSERT_TRUE(!proc_of(a, 401, &pi), "set_start creates nothing");
	ASSERT_EQ(stats_of(a).replaced, 2, "counted");

	/*
	 * The consumer is behind: 500's events are still being read when its pid
	 * already belongs to a process started after them (at 30 s). Not replaced:
	 * those events are 500's, its exit is on its way; asked again each event.
	 */
	SEND(a, .type = LT_EV_FORK, .tgid = 1, .aux = 500, .size = 20 * SEC, .ts = 20 * SEC);
	send_alloc(a, 500, 0x1000, 5, 1, 20 * SEC);
	fake_start = 3000;
	fake_start_mono = 30 * SEC;
	fake_start_calls = 0;
	send_loss_mark(a, 25 * SEC);
	r = send_alloc(a, 500, 0x2000, 6, 1, 25 * SEC);
	ASSERT_EQ(r & AGG_R_REPLACED, 0, "the process now at 500 started after the event");
	r = send_alloc(a, 500, 0x3000, 7, 1, 30 * SEC + LT_TICK_NS / 2);
	ASSERT_EQ(r & AGG_R_REPLACED, 0, "within a tick: undecided");
	ASSERT_EQ(fake_start_calls, 2, "asked at each event while undecided");
	ASSERT_TRUE(proc_of(a, 500, &pi) && pi.mem_bytes == 18, "500's blocks kept");
	r = send_alloc(a, 500, 0x4000, 8, 1, 31 * SEC);
	ASSERT_EQ(r & AGG_R_REPLACED, AGG_R_REPLACED, "an event sent after the new one started");
	ASSERT_TRUE(proc_of(a, 500, &pi) && pi.mem_bytes == 8, "only the new process's block");
	send_alloc(a, 500, 0x5000, 9, 1, 32 * SEC);
	ASSERT_EQ(fake_start_calls, 3, "decided: not asked again");
	agg__free(a);
}

static void test_set_comm_names_and_creates(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	unsigned r;

	agg__set_comm(a, 300, "bash");
	ASSERT_TRUE(proc_of(a, 300, &pi), "created");
	ASSERT_STREQ(pi.comm, "bash", "comm");
	r = send_alloc(a, 300, 0x1000, 1, 1, 1);
	ASSERT_EQ(r, AGG_R_NEW_STACK, "not a new process any more");
	agg__set_comm(a, 300, "a-very-long-command-name");
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_STREQ(pi.comm, "a-very-long-com", "truncated to LT_COMM_LEN - 1");
	agg__free(a);
}

static void test_result_bits(void)
{
	struct agg *a = agg__new(NULL);

	ASSERT_EQ(send_alloc(a, 100, 0x1000, 1, 1, 1), AGG_R_NEW_PROC | AGG_R_NEW_STACK, "first");
	ASSERT_EQ(send_alloc(a, 100, 0x2000, 1, 1, 1), 0, "same stack");
	ASSERT_EQ(send_alloc(a, 100, 0x3000, 1, 2, 1), AGG_R_NEW_STACK, "new stack");
	ASSERT_EQ(send_free(a, 100, 0x3000), 0, "free");
	ASSERT_EQ(send_alloc(a, 100, 0x3000, 1, 2, 1), 0, "an idle stack is not new");
	ASSERT_EQ(send_alloc(a, 101, 0x3000, 1, 2, 1), AGG_R_NEW_PROC | AGG_R_NEW_STACK,
		  "same frames, other process");
	agg__free(a);
}

static void test_procs_ordered_by_mem_bytes_then_tgid(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info *v;
	size_t n;

	send_alloc(a, 300, 0x1000, 10, 1, 1);
	send_alloc(a, 100, 0x1000, 50, 1, 1);
	send_alloc(a, 200, 0x1000, 10, 1, 1);
	agg__set_comm(a, 50, "idle");
	ASSERT_EQ(agg__procs(a, &v, &n), 0, "agg__procs");
	ASSERT_EQ(n, 4, "procs");
	ASSERT_EQ(v[0].tgid, 100, "largest first");
	ASSERT_EQ(v[1].tgid, 200, "tie by tgid");
	ASSERT_EQ(v[2].tgid, 300, "tie by tgid");
	ASSERT_EQ(v[3].tgid, 50, "nothing held last");
	free(v);
	agg__free(a);
}

/* ---- stacks and queries ---- */

static void test_stack_and_process_totals(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 10, 1, 1);
	send_alloc(a, 100, 0x2000, 20, 1, 1);
	send_alloc(a, 100, 0x3000, 40, 2, 1);
	send_map(a, 100, 0x10000, 3 * PG, 3, 1);
	send_map(a, 100, 0x20000, PG, 3, 1);
	send_fd_open(a, 100, 3, LT_FD_FILE, "/a", false, 4);
	send_fd_open(a, 100, 4, LT_FD_FILE, "/a", false, 4);
	send_timer_create(a, 100, 1, 5);
	send_alloc(a, 200, 0x1000, 1000, 1, 1);

	ASSERT_TRUE(proc_of(a, 100, &pi), "100 listed");
	ASSERT_EQ(pi.mem_bytes, 70, "mem_bytes");
	ASSERT_EQ(pi.mem_count, 3, "mem_count");
	ASSERT_EQ(pi.map_bytes, 4 * PG, "map_bytes");
	ASSERT_EQ(pi.map_count, 2, "map_count");
	ASSERT_EQ(pi.fds, 2, "fds");
	ASSERT_EQ(pi.timers, 1, "timers");
	ASSERT_EQ(stats_of(a).live, 9, "live");
	ASSERT_EQ(stats_of(a).stacks, 6, "stacks");

	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 6, "stacks listed");
	si = stack_of(&s, 100, LT_KIND_MEM, 1);
	ASSERT_TRUE(si && si->bytes == 30 && si->count == 2, "100's mem stack 1");
	si = stack_of(&s, 100, LT_KIND_MEM, 2);
	ASSERT_TRUE(si && si->bytes == 40 && si->count == 1, "100's mem stack 2");
	si = stack_of(&s, 100, LT_KIND_MAP, 3);
	ASSERT_TRUE(si && si->bytes == 4 * PG && si->count == 2, "map stack");
	si = stack_of(&s, 100, LT_KIND_FD, 4);
	ASSERT_TRUE(si && si->bytes == 0 && si->count == 2, "fd stack");
	si = stack_of(&s, 100, LT_KIND_TIMER, 5);
	ASSERT_TRUE(si && si->count == 1, "timer stack");
	/* same frames in another process: another stack */
	si = stack_of(&s, 200, LT_KIND_MEM, 1);
	ASSERT_TRUE(si && si->bytes == 1000 && si->count == 1, "200's mem stack 1");
	ASSERT_TRUE(si->stack_id != stack_of(&s, 100, LT_KIND_MEM, 1)->stack_id, "distinct ids");
	ASSERT_EQ(si->nframes, SITE_FRAMES, "frames kept");
	ASSERT_TRUE(si->frames[1] == 0x402000 && si->frames[2] == 0x403000, "frame values");
	free(s.v);
	agg__free(a);
}

static void test_min_age_filters_and_oldest_ts(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_alloc(a, 100, 0x1000, 1, 1, 1 * SEC);
	send_alloc(a, 100, 0x2000, 2, 1, 2 * SEC);
	send_alloc(a, 100, 0x3000, 4, 1, 3 * SEC);

	ASSERT_EQ(stacks_get(a, 5 * SEC, 0, ALL_KINDS, 10, &s), 0, "min_age 0");
	ASSERT_TRUE(s.n == 1 && s.v[0].count == 3 && s.v[0].bytes == 7, "all count");
	ASSERT_EQ(s.v[0].oldest_ts, 1 * SEC, "oldest");
	free(s.v);

	ASSERT_EQ(stacks_get(a, 5 * SEC, 2500000000ull, ALL_KINDS, 10, &s), 0, "min_age 2.5s");
	ASSERT_TRUE(s.n == 1 && s.v[0].count == 2 && s.v[0].bytes == 3, "two old enough");
	free(s.v);

	/* ts == now - min_age is old enough */
	ASSERT_EQ(stacks_get(a, 5 * SEC, 3 * SEC, ALL_KINDS, 10, &s), 0, "min_age 3s");
	ASSERT_TRUE(s.n == 1 && s.v[0].count == 2 && s.v[0].bytes == 3, "boundary included");
	free(s.v);

	ASSERT_EQ(stacks_get(a, 5 * SEC, 4 * SEC + 1, ALL_KINDS, 10, &s), 0, "min_age > age");
	ASSERT_EQ(s.n, 0, "nothing old enough");
	free(s.v);
	ASSERT_EQ(stacks_get(a, 5 * SEC, 6 * SEC, ALL_KINDS, 10, &s), 0, "min_age > now");
	ASSERT_EQ(s.n, 0, "nothing old enough");
	free(s.v);

	send_free(a, 100, 0x1000);
	ASSERT_EQ(stacks_get(a, 5 * SEC, 0, ALL_KINDS, 10, &s), 0, "after freeing the oldest");
	ASSERT_TRUE(s.n == 1 && s.v[0].oldest_ts == 2 * SEC, "oldest moves");
	free(s.v);

	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.mem_bytes, 6, "process totals ignore age");
	agg__free(a);
}

static void test_top_n_orders_each_kind(void)
{
	struct agg *a = agg__new(NULL);
	struct stacks s;
	int i;

	/* mem by bytes: site 2 (500), then sites 1 and 3 tie at 300 (1 is older), then 4 */
	send_alloc(a, 100, 0x1000, 300, 1, 1);
	send_alloc(a, 100, 0x2000, 500, 2, 1);
	for (i = 0; i < 3; i++)
		send_alloc(a, 100, 0x3000 + i * 0x10, 100, 3, 1);
	send_alloc(a, 100, 0x4000, 100, 4, 1);
	/* map by bytes */
	send_map(a, 100, 0x100000, PG, 20, 1);
	send_map(a, 100, 0x200000, 3 * PG, 21, 1);
	/* fd by count: 5 (3), 7 (2), 6 (1) */
	send_fd_open(a, 100, 3, LT_FD_FILE, NULL, false, 5);
	send_fd_open(a, 100, 4, LT_FD_FILE, NULL, false, 5);
	send_fd_open(a, 100, 5, LT_FD_FILE, NULL, false, 5);
	send_fd_open(a, 100, 6, LT_FD_FILE, NULL, false, 6);
	send_fd_open(a, 100, 7, LT_FD_FILE, NULL, false, 7);
	send_fd_open(a, 100, 8, LT_FD_FILE, NULL, false, 7);
	/* timers by count */
	send_timer_create(a, 100, 1, 30);
	send_timer_create(a, 100, 2, 31);
	send_timer_create(a, 100, 3, 31);

	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 3, &s), 0, "top 3");
	ASSERT_EQ(s.n, 3 + 2 + 3 + 2, "at most 3 per kind");
	ASSERT_TRUE(s.v[0].kind == LT_KIND_MEM && s.v[0].frames[0] == site_pc(2), "mem 1st");
	ASSERT_TRUE(s.v[1].kind == LT_KIND_MEM && s.v[1].frames[0] == site_pc(1), "mem 2nd");
	ASSERT_TRUE(s.v[2].kind == LT_KIND_MEM && s.v[2].frames[0] == site_pc(3), "mem 3rd");
	ASSERT_TRUE(s.v[1].stack_id < s.v[2].stack_id, "tie by stack_id");
	ASSERT_TRUE(s.v[3].kind == LT_KIND_MAP && s.v[3].frames[0] == site_pc(21), "map 1st");
	ASSERT_TRUE(s.v[4].kind == LT_KIND_MAP && s.v[4].frames[0] == site_pc(20), "map 2nd");
	ASSERT_TRUE(s.v[5].kind == LT_KIND_FD && s.v[5].frames[0] == site_pc(5), "fd 1st");
	ASSERT_TRUE(s.v[6].kind == LT_KIND_FD && s.v[6].frames[0] == site_pc(7), "fd 2nd");
	ASSERT_TRUE(s.v[7].kind == LT_KIND_FD && s.v[7].frames[0] == site_pc(6), "fd 3rd");
	ASSERT_TRUE(s.v[8].kind == LT_KIND_TIMER && s.v[8].frames[0] == site_pc(31), "timer 1st");
	ASSERT_TRUE(s.v[9].kind == LT_KIND_TIMER && s.v[9].frames[0] == site_pc(30), "timer 2nd");
	free(s.v);

	ASSERT_EQ(stacks_get(a, 10, 0, 1u << LT_KIND_FD, 1, &s), 0, "fd only, top 1");
	ASSERT_TRUE(s.n == 1 && s.v[0].kind == LT_KIND_FD && s.v[0].count == 3, "fd top");
	free(s.v);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_n 0");
	ASSERT_EQ(s.n, 4 + 2 + 3 + 2, "every stack");
	free(s.v);
	agg__free(a);
}

static void test_max_tracked_counts_untracked(void)
{
	struct agg_limits lim = {.max_tracked = 3};
	struct agg *a = agg__new(&lim);
	struct agg_proc_info pi;
	struct agg_stats st;
	size_t mem;

	send_alloc(a, 100, 0x1000, 10, 1, 1);
	send_alloc(a, 100, 0x2000, 20, 1, 1);
	send_alloc(a, 100, 0x3000, 30, 1, 1);
	send_alloc(a, 100, 0x4000, 40, 1, 1);
	send_fd_open(a, 100, 3, LT_FD_FILE, "/x", false, 2);
	send_map(a, 100, 0x100000, PG, 3, 1);
	st = stats_of(a);
	ASSERT_EQ(st.live, 3, "live");
	ASSERT_EQ(st.untracked, 3, "untracked");
	ASSERT_EQ(st.untracked_bytes, 40 + PG, "untracked_bytes");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.mem_bytes, 60, "tracked bytes exact");
	ASSERT_EQ(pi.fds, 0, "fd not tracked");

	/* replacing an outstanding block needs no room */
	send_alloc(a, 100, 0x3000, 33, 1, 1);
	ASSERT_EQ(stats_of(a).untracked, 3, "replacement tracked");
	send_free(a, 100, 0x4000);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "free of an untracked block is unknown");
	send_free(a, 100, 0x1000);
	send_alloc(a, 100, 0x5000, 50, 1, 1);
	st = stats_of(a);
	ASSERT_EQ(st.untracked, 3, "room again");
	ASSERT_EQ(st.live, 3, "live");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.mem_bytes, 20 + 33 + 50, "mem_bytes");

	/* at the limit a kind with no table yet gets none: nothing could go in it */
	mem = agg__mem_bytes(a);
	send_timer_create(a, 100, 7, 1);
	ASSERT_EQ(stats_of(a).untracked, 4, "timer untracked at the limit");
	ASSERT_EQ(agg__mem_bytes(a), mem, "no table made for it");
	agg__free(a);
}

static void test_max_stacks_charges_overflow_stack(void)
{
	struct agg_limits lim = {.max_stacks = 2};
	struct agg *a = agg__new(&lim);
	const struct agg_stack_info *si;
	struct stacks s;
	unsigned r;

	send_alloc(a, 100, 0x1000, 1, 1, 1);
	send_alloc(a, 100, 0x2000, 2, 2, 1);
	r = send_alloc(a, 100, 0x3000, 4, 3, 1);
	ASSERT_EQ(r, AGG_R_NEW_STACK, "overflow stack created");
	r = send_alloc(a, 100, 0x4000, 8, 4, 1);
	ASSERT_EQ(r, 0, "overflow stack reused");
	send_alloc(a, 100, 0x5000, 16, 1, 1); /* an existing stack is no overflow */
	send_fd_open(a, 100, 3, LT_FD_FILE, NULL, false, 5);
	ASSERT_EQ(stats_of(a).stack_overflow, 3, "stack_overflow");
	ASSERT_EQ(stats_of(a).stacks, 4, "two real, two overflow stacks");

	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 4, "stacks listed");
	si = stack_of(&s, 100, LT_KIND_MEM, 0);
	ASSERT_TRUE(si && si->bytes == 12 && si->count == 2, "mem overflow stack");
	si = stack_of(&s, 100, LT_KIND_FD, 0);
	ASSERT_TRUE(si && si->count == 1, "fd overflow stack");
	si = stack_of(&s, 100, LT_KIND_MEM, 1);
	ASSERT_TRUE(si && si->bytes == 17, "site 1 own stack");
	free(s.v);

	/* a real stack gone makes room for a new one */
	send_free(a, 100, 0x1000);
	send_free(a, 100, 0x5000);
	r = send_alloc(a, 100, 0x6000, 32, 6, 1);
	ASSERT_EQ(r, AGG_R_NEW_STACK, "own stack again");
	ASSERT_EQ(stats_of(a).stack_overflow, 3, "no overflow");
	/* an idle stack does not count, but reviving one past the limit overflows */
	r = send_alloc(a, 100, 0x7000, 64, 1, 1);
	ASSERT_EQ(stats_of(a).stack_overflow, 4, "idle stack past the limit overflows");
	agg__free(a);
}

/* An allocation with the given frames (innermost first). */
static void send_alloc_frames(struct agg *a, __u32 tgid, __u64 addr, __u64 size,
			      const __u64 *frames, __u16 n)
{
	union evbuf b;
	size_t len = ev_build(&(struct ev){ .type = LT_EV_ALLOC, .tgid = tgid, .addr = addr,
					    .size = size, .ts = 1 },
			      &b);

	b.e.nframes = n;
	memcpy(b.e.frames, frames, n * sizeof(*frames));
	agg__on_event(a, &b.e, len + n * sizeof(*frames));
}

/* Bytes of the stack of tgid whose frames are exactly these; ~0: none. */
static __u64 bytes_of_frames(struct agg *a, __u32 tgid, const __u64 *frames, __u16 n)
{
	__u64 bytes = ~0ull;
	struct stacks s;
	size_t i;

	if (stacks_get(a, 10, 0, ALL_KINDS, 0, &s))
		return bytes;
	for (i = 0; i < s.n; i++)
		if (s.v[i].tgid == tgid && s.v[i].nframes == n &&
		    !memcmp(s.v[i].frames, frames, n * sizeof(*frames)))
			bytes = s.v[i].bytes;
	free(s.v);
	return bytes;
}

/*
 * The stack an allocation is charged to is the one with exactly its frames,
 * also when the stack last resolved for its innermost frame and depth (the
 * site slot, tried first) has other frames further out, or is another
 * process's with the same frames.
 */
static void test_site_cache_is_exact(void)
{
	const __u64 abc[] = { 0x401000, 0x402000, 0x403000 }, abd[] = { 0x401000, 0x402000, 0x404000 };
	struct agg *a = agg__new(NULL);

	send_alloc_frames(a, 100, 0x1000, 1, abc, 3);
	send_alloc_frames(a, 100, 0x2000, 2, abd, 3);
	send_alloc_frames(a, 100, 0x3000, 4, abd, 2);
	send_alloc_frames(a, 100, 0x4000, 8, abd, 2);
	send_alloc_frames(a, 200, 0x5000, 16, abd, 2); /* another process, same frames */
	send_alloc_frames(a, 100, 0x6000, 32, abd, 2);
	send_alloc_frames(a, 100, 0x7000, 64, abc, 3);
	ASSERT_EQ(bytes_of_frames(a, 100, abc, 3), 65, "a, b, c");
	ASSERT_EQ(bytes_of_frames(a, 100, abd, 3), 2, "a, b, d");
	ASSERT_EQ(bytes_of_frames(a, 100, abd, 2), 44, "a, b");
	ASSERT_EQ(bytes_of_frames(a, 200, abd, 2), 16, "a, b in the other process");
	ASSERT_EQ(stats_of(a).stacks, 4, "four stacks");
	agg__free(a);
}

/* An alloc/free loop does not churn stacks; distinct dead stacks are recycled. */
static void test_idle_stacks_are_recycled(void)
{
	struct agg *a = agg__new(NULL);
	__u32 id1, id2;
	struct stacks s;
	size_t mem0, mem_peak = 0;
	__u32 i;

	send_alloc(a, 100, 0x1000, 8, 1, 1);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	id1 = s.v[0].stack_id;
	free(s.v);
	send_free(a, 100, 0x1000);
	ASSERT_EQ(stats_of(a).stacks, 0, "no stack holds anything");
	ASSERT_EQ(send_alloc(a, 100, 0x1000, 8, 1, 1), 0, "revived, not new");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	id2 = s.v[0].stack_id;
	free(s.v);
	ASSERT_EQ(id1, id2, "stack_id stable");
	send_free(a, 100, 0x1000);

	mem0 = agg__mem_bytes(a);
	for (i = 0; i < 100000; i++) {
		size_t m;

		send_alloc(a, 100, 0x1000, 8, 1000 + i, 1);
		send_free(a, 100, 0x1000);
		m = agg__mem_bytes(a);
		mem_peak = m > mem_peak ? m : mem_peak;
	}
	ASSERT_EQ(stats_of(a).stacks, 0, "stacks");
	ASSERT_TRUE(mem_peak < mem0 + 128 * 1024, "bounded by recycling");
	agg__free(a);
}

/* ---- mappings ---- */

#define MA 0x7f0000000000ull

static void test_munmap_head(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	send_map(a, 100, MA, 4 * PG, 1, 1);
	send_unmap(a, 100, MA, PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 3 * PG, "map_bytes");
	ASSERT_EQ(pi.map_count, 1, "map_count");
	send_unmap(a, 100, MA, PG);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "head already gone: legal, not unknown");
	send_unmap(a, 100, MA + PG, 3 * PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 0, "rest unmapped");
	ASSERT_EQ(pi.map_count, 0, "no range");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "rest known");
	agg__free(a);
}

static void test_munmap_tail(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	send_map(a, 100, MA, 4 * PG, 1, 1);
	send_unmap(a, 100, MA + 3 * PG, PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 3 * PG, "map_bytes");
	ASSERT_EQ(pi.map_count, 1, "map_count");
	/* a munmap larger than what is left still ends it */
	send_unmap(a, 100, MA, 8 * PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 0, "map_bytes");
	ASSERT_EQ(pi.map_count, 0, "map_count");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

static void test_munmap_middle_splits(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_map(a, 100, MA, 4 * PG, 1, 7);
	send_unmap(a, 100, MA + PG, PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 3 * PG, "map_bytes");
	ASSERT_EQ(pi.map_count, 2, "a split makes two");
	ASSERT_EQ(stats_of(a).live, 2, "live");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_TRUE(s.n == 1 && s.v[0].bytes == 3 * PG && s.v[0].count == 2, "stack totals");
	ASSERT_EQ(s.v[0].oldest_ts, 7, "both halves keep the age");
	free(s.v);

	send_unmap(a, 100, MA, PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 2 * PG, "head half gone");
	ASSERT_EQ(pi.map_count, 1, "map_count");
	send_unmap(a, 100, MA + 2 * PG, 2 * PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 0, "tail half gone");
	ASSERT_EQ(stats_of(a).live, 0, "live");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

static void test_munmap_spanning_several(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;

	send_map(a, 100, MA, 2 * PG, 1, 1);
	send_map(a, 100, MA + 2 * PG, 2 * PG, 2, 1);
	send_map(a, 100, MA + 5 * PG, 2 * PG, 3, 1); /* hole at MA + 4 pages */
	send_map(a, 100, MA + 8 * PG, PG, 4, 1);
	send_unmap(a, 100, MA + PG, 5 * PG);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 3 * PG, "first page, last two pages");
	ASSERT_EQ(pi.map_count, 3, "head of 1st, tail of 3rd, 4th");
	send_unmap(a, 100, MA + 4 * PG, PG);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "hole only: not unknown");
	send_unmap(a, 100, 0, ~0ull);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 0, "everything");
	ASSERT_EQ(pi.map_count, 0, "map_count");
	ASSERT_EQ(stats_of(a).live, 0, "live");
	agg__free(a);
}

/* mmap(MAP_FIXED) over a mapping replaces what it covers. */
static void test_mmap_fixed_over_mapping_replaces(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_map(a, 100, MA, 4 * PG, 1, 1);
	send_map(a, 100, MA + PG, PG, 2, 1);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 4 * PG, "map_bytes");
	ASSERT_EQ(pi.map_count, 3, "split around the new one");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MAP, 1)->bytes == 3 * PG, "old stack");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_MAP, 2)->bytes == PG, "new stack");
	free(s.v);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

static void test_mremap_moves_and_keeps_stack(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct agg_proc_info pi;
	struct stacks s;
	__u64 mb = MA + 0x100000;

	send_map(a, 100, MA, 2 * PG, 1, 5);
	send_mremap(a, 100, MA, 2 * PG, mb, 4 * PG, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 4 * PG, "new length");
	ASSERT_EQ(pi.map_count, 1, "map_count");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack");
	si = stack_of(&s, 100, LT_KIND_MAP, 1);
	ASSERT_TRUE(si && si->bytes == 4 * PG, "original stack kept");
	ASSERT_EQ(si->oldest_ts, 5, "original age kept");
	free(s.v);
	send_unmap(a, 100, MA, 2 * PG);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unmapping the old place: not unknown");
	ASSERT_TRUE(proc_of(a, 100, &pi) && pi.map_bytes == 4 * PG, "moved mapping kept");

	/* shrink in place */
	send_mremap(a, 100, mb, 4 * PG, mb, PG, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, PG, "shrunk");
	/* grow in place */
	send_mremap(a, 100, mb, PG, mb, 3 * PG, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 3 * PG, "grown");
	ASSERT_EQ(pi.map_count, 1, "map_count");

	/* a mapping never seen (made before tracing, or a private file mapping) stays untracked */
	send_mremap(a, 100, MA + 0x900000, PG, MA + 0xa00000, 2 * PG, 9);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "not an unknown free");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.map_bytes, 3 * PG, "new place not tracked");
	ASSERT_EQ(pi.map_count, 1, "map_count");
	send_unmap(a, 100, MA + 0xa00000, 2 * PG);
	send_unmap(a, 100, mb, 3 * PG);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "nothing unknown");
	ASSERT_EQ(stats_of(a).live, 0, "live");
	agg__free(a);
}

/* ---- file descriptors ---- */

/* The layout the BPF side sends: path in struct lt_sys_extra; a dup is what its source is. */
static void send_sys_fd_len(struct agg *a, __u32 tgid, int fd, enum lt_fd_kind kind,
			    const char *path, __u16 flags, int oldfd, __u32 site, size_t len);

static void send_sys_fd(struct agg *a, __u32 tgid, int fd, enum lt_fd_kind kind, const char *path,
			__u16 flags, int oldfd, __u32 site)
{
	send_sys_fd_len(a, tgid, fd, kind, path, flags, oldfd, site, LT_SYS_EVENT_LEN);
}

/* The record cut to len bytes: the BPF side sends only the stack words it read. */
static void send_sys_fd_len(struct agg *a, __u32 tgid, int fd, enum lt_fd_kind kind,
			    const char *path, __u16 flags, int oldfd, __u32 site, size_t len)
{
	static unsigned char buf[LT_SYS_EVENT_LEN];
	struct lt_event *e = (struct lt_event *)buf;
	struct lt_sys_extra *x = (struct lt_sys_extra *)(buf + LT_SYS_EXTRA_OFF);

	memset(buf, 0, sizeof(buf));
	e->type = LT_EV_FD_OPEN;
	e->tgid = e->tid = tgid;
	e->flags = flags | LT_F_SYS_EXTRA;
	e->ts_ns = 5;
	e->addr = (__u64)fd;
	e->old_addr = (__u64)oldfd;
	e->aux = kind;
	e->nframes = SITE_FRAMES;
	e->frames[0] = site_pc(site);
	e->frames[1] = 0x402000;
	e->frames[2] = 0x403000;
	if (path)
		snprintf(x->path, sizeof(x->path), "%s", path);
	x->stack_words = len > LT_SYS_STACK_OFF ? (__u32)((len - LT_SYS_STACK_OFF) / 8) : 0;
	agg__on_event(a, e, len);
}

/* Records with a short stack sample, or none, still carry their path; a record cut inside it does not. */
static void test_fd_sys_extra_short_sample(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct stacks s;

	send_sys_fd_len(a, 100, 3, LT_FD_FILE, "/etc/busy", 0, 0, 30,
			LT_SYS_STACK_OFF + LT_STACK_WORDS_BUSY * sizeof(__u64));
	send_sys_fd_len(a, 100, 4, LT_FD_FILE, "/etc/none", 0, 0, 31, LT_SYS_STACK_OFF);
	send_sys_fd_len(a, 100, 5, LT_FD_FILE, "/etc/cut", 0, 0, 32, LT_SYS_STACK_OFF - 1);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	si = stack_of(&s, 100, LT_KIND_FD, 30);
	ASSERT_TRUE(si && si->count == 1 && si->npaths == 1 && has_path(si, "/etc/busy"),
		    "a quarter of the sample: path read");
	si = stack_of(&s, 100, LT_KIND_FD, 31);
	ASSERT_TRUE(si && si->count == 1 && si->npaths == 1 && has_path(si, "/etc/none"),
		    "no sample: path read");
	si = stack_of(&s, 100, LT_KIND_FD, 32);
	ASSERT_TRUE(si && si->count == 1 && si->npaths == 0, "cut before the sample: fd, no path");
	free(s.v);
	ASSERT_EQ(stats_of(a).bad_events, 0, "none malformed");
	agg__free(a);
}

static void test_fd_sys_extra_path_and_dup(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct stacks s;

	send_sys_fd(a, 100, 3, LT_FD_FILE, "/etc/hostname", 0, 0, 20);
	send_sys_fd(a, 100, 4, LT_FD_SOCKET, "inet/dgram", 0, 0, 21);
	/* dup of the file, dup of the socket, dup of an fd we never saw */
	send_sys_fd(a, 100, 5, LT_FD_UNKNOWN, NULL, LT_F_DUP, 3, 22);
	send_sys_fd(a, 100, 6, LT_FD_UNKNOWN, NULL, LT_F_DUP, 4, 22);
	send_sys_fd(a, 100, 7, LT_FD_UNKNOWN, NULL, LT_F_DUP, 1, 22);
	/* dup2 over the open fd 3 with a duplicate of itself's twin: replaces, no leak of refs */
	send_sys_fd(a, 100, 3, LT_FD_UNKNOWN, NULL, LT_F_DUP, 5, 23);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	si = stack_of(&s, 100, LT_KIND_FD, 20);
	ASSERT_TRUE(!si, "fd 3 was replaced by the dup2: its first stack holds nothing");
	si = stack_of(&s, 100, LT_KIND_FD, 21);
	ASSERT_TRUE(si && si->count == 1 && si->fd_kinds[LT_FD_SOCKET] == 1, "socket");
	ASSERT_TRUE(has_path(si, "inet/dgram"), "socket description from the extra");
	si = stack_of(&s, 100, LT_KIND_FD, 22);
	ASSERT_TRUE(si, "dup stack");
	ASSERT_EQ(si->count, 3, "three dups");
	ASSERT_EQ(si->fd_kinds[LT_FD_FILE], 1, "dup of a file is a file");
	ASSERT_EQ(si->fd_kinds[LT_FD_SOCKET], 1, "dup of a socket is a socket");
	ASSERT_EQ(si->fd_kinds[LT_FD_UNKNOWN], 1, "dup of an unseen fd is unknown");
	ASSERT_TRUE(has_path(si, "/etc/hostname"), "the dup carries the source's path");
	si = stack_of(&s, 100, LT_KIND_FD, 23);
	ASSERT_TRUE(si && si->count == 1 && si->fd_kinds[LT_FD_FILE] == 1, "dup2 target");
	ASSERT_TRUE(has_path(si, "/etc/hostname"), "dup2 target path");
	free(s.v);
	send_fd_close(a, 100, 3);
	send_fd_close(a, 100, 4);
	send_fd_close(a, 100, 5);
	send_fd_close(a, 100, 6);
	send_fd_close(a, 100, 7);
	ASSERT_EQ(stats_of(a).live, 0, "all closed");
	agg__free(a);
}

/*
 * A path whose last fd closed stays interned for a while (an open/close loop
 * must not allocate per iteration), but released paths are bounded, and a path
 * taken again, released again or freed and interned anew reads back right.
 */
/* n fds opened and closed at site 11, each with its own path: fmt with the index. */
static void open_close_paths(struct agg *a, const char *fmt, int n)
{
	char p[32];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), fmt, i);
		send_fd_open(a, 100, 4, LT_FD_FILE, p, false, 11);
		send_fd_close(a, 100, 4);
	}
}

/* The fd stack of site (process 100) names exactly one path, path. */
static bool site_has_only_path(struct agg *a, __u32 site, const char *path)
{
	const struct agg_stack_info *si;
	struct stacks s;
	bool ok;

	if (stacks_get(a, 10, 0, ALL_KINDS, 0, &s))
		return false;
	si = stack_of(&s, 100, LT_KIND_FD, site);
	ok = si && si->npaths == 1 && has_path(si, path);
	free(s.v);
	return ok;
}

static void test_fd_released_paths_bounded(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	size_t before, after;
	struct stacks s;
	int round;

	send_fd_open(a, 100, 3, LT_FD_FILE, "/keep", false, 10);
	open_close_paths(a, "/w%09d", 100); /* tables grown for ~100 paths; 11-byte names */
	send_fd_open(a, 100, 5, LT_FD_FILE, "/w000000000", false, 12); /* the stack used below */
	send_fd_close(a, 100, 5);
	before = agg__mem_bytes(a);
	open_close_paths(a, "/churn-%04d", 5000);
	after = agg__mem_bytes(a);
	/* Kept, 5,000 paths of 11 bytes would be ~100 KiB more; released ones are bounded. */
	ASSERT_EQ(after, before, "memory unchanged by 5,000 distinct paths opened and closed");

	/* The last released path, taken and released again several times, then pushed out. */
	for (round = 0; round < 3; round++) {
		send_fd_open(a, 100, 5, LT_FD_FILE, "/churn-4999", false, 12);
		ASSERT_EQ(agg__mem_bytes(a), after, "a released path taken again: not copied anew");
		ASSERT_TRUE(site_has_only_path(a, 12, "/churn-4999"),
			    "a released path taken again reads back");
		send_fd_close(a, 100, 5);
	}
	open_close_paths(a, "/push-%04d", 200);
	/* Taken again while idle, pushed out while held, then released: kept, freed later. */
	send_fd_open(a, 100, 7, LT_FD_FILE, "/push-0199", false, 12);
	open_close_paths(a, "/more-%04d", 100);
	ASSERT_TRUE(site_has_only_path(a, 12, "/push-0199"),
		    "held while pushed out of the idle ring: still there");
	send_fd_close(a, 100, 7);
	open_close_paths(a, "/lasts-%04d", 100); /* 11 bytes, as /churn-NNNN */
	ASSERT_EQ(agg__mem_bytes(a), after, "and freed once pushed out after its release");
	send_fd_open(a, 100, 5, LT_FD_FILE, "/churn-4999", false, 12);
	send_fd_open(a, 100, 6, LT_FD_FILE, "/push-0199", false, 12);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	si = stack_of(&s, 100, LT_KIND_FD, 12);
	ASSERT_TRUE(si && si->npaths == 2 && has_path(si, "/churn-4999") &&
		    has_path(si, "/push-0199"), "freed and interned anew, and still idle: both right");
	si = stack_of(&s, 100, LT_KIND_FD, 10);
	ASSERT_TRUE(si && si->npaths == 1 && has_path(si, "/keep"), "a held path is never freed");
	free(s.v);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

static void test_fd_kinds_and_paths(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	char longpath[300];
	struct stacks s;
	int i;

	send_fd_open(a, 100, 3, LT_FD_FILE, "/a", false, 10);
	send_fd_open(a, 100, 4, LT_FD_FILE, "/b", false, 10);
	send_fd_open(a, 100, 5, LT_FD_FILE, "/a", false, 10);
	send_fd_open(a, 100, 6, LT_FD_SOCKET, "", false, 10);
	send_fd_open(a, 100, 7, LT_FD_PIPE, NULL, false, 10);
	SEND(a, .type = LT_EV_FD_OPEN, .tgid = 100, .addr = 8, .aux = LT_FD_EVENTFD | 0x1200,
	     .site = 10);
	SEND(a, .type = LT_EV_FD_OPEN, .tgid = 100, .addr = 9, .aux = 0xee, .site = 10);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	si = stack_of(&s, 100, LT_KIND_FD, 10);
	ASSERT_TRUE(si, "fd stack");
	ASSERT_EQ(si->count, 7, "count");
	ASSERT_EQ(si->bytes, 0, "fds have no bytes");
	ASSERT_EQ(si->fd_kinds[LT_FD_FILE], 3, "files");
	ASSERT_EQ(si->fd_kinds[LT_FD_SOCKET], 1, "sockets");
	ASSERT_EQ(si->fd_kinds[LT_FD_PIPE], 1, "pipes");
	ASSERT_EQ(si->fd_kinds[LT_FD_EVENTFD], 1, "detail bits ignored");
	ASSERT_EQ(si->fd_kinds[LT_FD_UNKNOWN], 1, "out-of-range kind is unknown");
	ASSERT_EQ(si->npaths, 2, "distinct paths");
	ASSERT_TRUE(has_path(si, "/a") && has_path(si, "/b"), "paths");
	free(s.v);

	/* more distinct paths than AGG_MAX_PATHS; an overlong one is cut */
	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	for (i = 0; i < 8; i++) {
		char p[16];

		snprintf(p, sizeof(p), "/p%d", i);
		send_fd_open(a, 200, 10 + i, LT_FD_FILE, p, false, 11);
	}
	send_fd_open(a, 200, 30, LT_FD_FILE, longpath, false, 12);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	si = stack_of(&s, 200, LT_KIND_FD, 11);
	ASSERT_TRUE(si && si->count == 8, "count");
	ASSERT_EQ(si->npaths, AGG_MAX_PATHS, "sample of paths");
	si = stack_of(&s, 200, LT_KIND_FD, 12);
	ASSERT_TRUE(si && si->npaths == 1, "long path kept");
	ASSERT_EQ(strlen(si->paths[0]), LT_PATH_LEN - 1, "cut to LT_PATH_LEN - 1");
	free(s.v);

	for (i = 3; i <= 9; i++)
		send_fd_close(a, 100, i);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	agg__free(a);
}

/* pipe() and socketpair() report both fds in one event: two fds, one stack. */
static void test_fd_pair_is_two_fds(void)
{
	struct agg *a = agg__new(NULL);
	const struct agg_stack_info *si;
	struct agg_proc_info pi;
	struct stacks s;

	SEND(a, .type = LT_EV_FD_OPEN, .tgid = 100, .addr = 5, .old_addr = 6, .aux = LT_FD_PIPE,
	     .flags = LT_F_PAIR | LT_F_CLOEXEC, .site = 10);
	SEND(a, .type = LT_EV_FD_OPEN, .tgid = 100, .addr = 7, .old_addr = 8,
	     .aux = LT_FD_SOCKET | 1 << 8, .flags = LT_F_PAIR, .site = 11);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 4, "two pairs");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	si = stack_of(&s, 100, LT_KIND_FD, 10);
	ASSERT_TRUE(si && si->count == 2 && si->fd_kinds[LT_FD_PIPE] == 2, "both pipe ends");
	si = stack_of(&s, 100, LT_KIND_FD, 11);
	ASSERT_TRUE(si && si->count == 2 && si->fd_kinds[LT_FD_SOCKET] == 2, "both sockets");
	free(s.v);
	/* close-on-exec applies to both ends: an exec closes 5 and 6 only */
	SEND(a, .type = LT_EV_EXEC, .tgid = 100, .comm = "x");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 2, "the socket pair stays");
	send_fd_close(a, 100, 7);
	send_fd_close(a, 100, 8);
	send_fd_close(a, 100, 5);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "5 was closed at exec");
	ASSERT_EQ(stats_of(a).live, 0, "nothing left");
	agg__free(a);
}

/* A path trailer without its NUL, up to the end of the record. */
static void test_fd_path_without_nul(void)
{
	struct agg *a = agg__new(NULL);
	struct stacks s;
	union evbuf b;
	size_t len;
	struct ev ev = {
	    .type = LT_EV_FD_OPEN, .tgid = 100, .addr = 3, .aux = LT_FD_FILE, .site = 1};

	len = ev_build(&ev, &b);
	memcpy(b.raw + len, "/nonul", 6);
	agg__on_event(a, &b.e, len + 6);
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_TRUE(s.n == 1 && s.v[0].npaths == 1, "one path");
	ASSERT_STREQ(s.v[0].paths[0], "/nonul", "path");
	free(s.v);
	agg__free(a);
}

static void test_fd_open_on_outstanding_fd_replaces(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_fd_open(a, 100, 3, LT_FD_FILE, "/x", false, 1);
	send_fd_open(a, 100, 3, LT_FD_SOCKET, "/y", false, 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 1, "fds");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "unknown_frees");
	ASSERT_EQ(stacks_get(a, 10, 0, ALL_KINDS, 0, &s), 0, "top_stacks");
	ASSERT_EQ(s.n, 1, "one stack");
	ASSERT_TRUE(stack_of(&s, 100, LT_KIND_FD, 2), "the new open's stack");
	ASSERT_EQ(s.v[0].fd_kinds[LT_FD_SOCKET], 1, "new kind");
	ASSERT_TRUE(s.v[0].npaths == 1 && !strcmp(s.v[0].paths[0], "/y"), "new path");
	free(s.v);
	agg__free(a);
}

static void test_close_range_closes_tracked_fds(void)
{
	static const int fds[] = {0, 1, 2, 3, 5, 7, 10};
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		send_fd_open(a, 100, fds[i], LT_FD_FILE, "/f", false, 1);
	send_close_range(a, 100, 3, 7, 0);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 4, "0, 1, 2, 10 stay");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "a range counts nothing unknown");
	send_close_range(a, 100, 2, ~0u, 0);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 2, "0 and 1 stay");
	send_fd_close(a, 100, 0);
	send_fd_close(a, 100, 1);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "kept ones known");

	/* a wide range over a big table: one pass that deletes as it goes */
	for (fd = 0; fd < 1000; fd++)
		send_fd_open(a, 200, fd, LT_FD_FILE, NULL, false, 1);
	send_close_range(a, 200, 500, ~0ull, 0);
	ASSERT_TRUE(proc_of(a, 200, &pi), "listed");
	ASSERT_EQ(pi.fds, 500, "below 500 stay");
	for (fd = 0; fd < 1000; fd++)
		send_fd_close(a, 200, fd);
	ASSERT_EQ(stats_of(a).unknown_frees, 500, "exactly the range was closed");
	ASSERT_EQ(stats_of(a).live, 0, "live");
	agg__free(a);
}

static void test_close_range_cloexec_marks_only(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	int fd;

	for (fd = 3; fd <= 6; fd++)
		send_fd_open(a, 100, fd, LT_FD_FILE, NULL, false, 1);
	send_close_range(a, 100, 4, 5, 1u << 2);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 4, "nothing closed");
	send_exec(a, 100, "x");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 2, "marked ones closed at exec");
	send_fd_close(a, 100, 3);
	send_fd_close(a, 100, 6);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "3 and 6 kept");

	/* the same through the one-pass path */
	for (fd = 0; fd < 100; fd++)
		send_fd_open(a, 200, fd, LT_FD_FILE, NULL, false, 1);
	send_close_range(a, 200, 50, ~0ull, 1u << 2);
	send_exec(a, 200, "y");
	ASSERT_TRUE(proc_of(a, 200, &pi), "listed");
	ASSERT_EQ(pi.fds, 50, "marked ones closed at exec");
	agg__free(a);
}

static void test_rss_is_the_latest_sample(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	unsigned r;

	r = SEND(a, .type = LT_EV_RSS, .tgid = 300, .size = 4 << 20);
	ASSERT_TRUE(r & AGG_R_NEW_PROC, "an RSS sample makes the process known");
	SEND(a, .type = LT_EV_RSS, .tgid = 300, .size = 6 << 20);
	ASSERT_TRUE(proc_of(a, 300, &pi), "listed");
	ASSERT_EQ(pi.rss, 6 << 20, "latest");
	ASSERT_EQ(pi.mem_bytes, 0, "no heap");
	ASSERT_EQ(stats_of(a).live, 0, "RSS is not a tracked resource");
	agg__free(a);
}

static void test_top_stacks_since_is_growth_of_one_process(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_stack_info *v;
	size_t n;

	send_alloc(a, 100, 0x1000, 100, 1, 10); /* before the window */
	send_alloc(a, 100, 0x2000, 200, 1, 50);
	send_alloc(a, 100, 0x3000, 300, 2, 60);
	send_alloc(a, 100, 0x4000, 400, 2, 70);
	send_free(a, 100, 0x4000);		/* gained and gave back: not growth */
	send_alloc(a, 200, 0x2000, 999, 1, 55); /* another process */
	ASSERT_EQ(agg__top_stacks_since(a, 100, 40, ALL_KINDS, 10, &v, &n), 0, "since");
	ASSERT_EQ(n, 2, "two stacks grew");
	ASSERT_EQ(v[0].tgid, 100, "only that process");
	ASSERT_EQ(v[0].bytes, 300, "site 2 first: 300");
	ASSERT_EQ(v[1].bytes, 200, "site 1: only what came after since");
	ASSERT_EQ(v[1].count, 1, "count");
	free(v);
	ASSERT_EQ(agg__top_stacks_since(a, 0, 40, ALL_KINDS, 10, &v, &n), -EINVAL, "tgid 0");
	agg__free(a);
}

static void test_reconcile_drops_fds_closed_unseen(void)
{
	struct agg *a = agg__new(NULL);
	static const int open_now[] = { 3, 5, 9 };
	struct agg_proc_info pi;
	int fd;

	for (fd = 3; fd <= 7; fd++)
		send_fd_open(a, 100, fd, LT_FD_FILE, "/f", false, 40);
	send_fd_open(a, 200, 4, LT_FD_PIPE, NULL, false, 41);
	ASSERT_EQ(agg__reconcile_fds(a, 100, open_now, 3), 3, "4, 6, 7 were closed unseen");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 2, "3 and 5 remain");
	ASSERT_EQ(stats_of(a).reconciled, 3, "counted");
	ASSERT_TRUE(proc_of(a, 200, &pi) && pi.fds == 1, "another process is untouched");
	ASSERT_EQ(agg__reconcile_fds(a, 100, open_now, 3), 0, "idempotent");
	ASSERT_EQ(agg__reconcile_fds(a, 100, NULL, 0), 2, "none open");
	ASSERT_EQ(agg__reconcile_fds(a, 999, open_now, 3), 0, "unknown process");
	send_fd_close(a, 200, 4);
	ASSERT_EQ(stats_of(a).live, 0, "live");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "no unknown closes");
	agg__free(a);
}

static void test_fd_cloexec_event_sets_and_clears(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct agg_stats st;

	send_fd_open(a, 100, 3, LT_FD_FILE, NULL, false, 1);
	send_fd_open(a, 100, 4, LT_FD_FILE, NULL, true, 1);
	send_fd_cloexec(a, 100, 3, true);
	send_fd_cloexec(a, 100, 4, false);
	send_fd_cloexec(a, 100, 9, true);
	st = stats_of(a);
	ASSERT_EQ(st.unknown_frees, 0, "an unknown fd's flag is not a free");
	send_exec(a, 100, "x");
	send_fd_close(a, 100, 4);
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "cleared: 4 survives exec");
	send_fd_close(a, 100, 3);
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "set: 3 closed at exec");
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.fds, 0, "fds");
	agg__free(a);
}

/* ---- timers ---- */

static void test_timers_create_delete(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_proc_info pi;
	struct stacks s;

	send_timer_create(a, 100, 0, 1);
	send_timer_create(a, 100, 1, 1);
	send_timer_create(a, 100, 2, 1);
	send_timer_delete(a, 100, 1);
	send_timer_delete(a, 100, 9);
	ASSERT_TRUE(proc_of(a, 100, &pi), "listed");
	ASSERT_EQ(pi.timers, 2, "timers");
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "unknown timer");
	ASSERT_EQ(stacks_get(a, 10, 0, 1u << LT_KIND_TIMER, 0, &s), 0, "top_stacks");
	ASSERT_TRUE(s.n == 1 && s.v[0].count == 2 && s.v[0].kind == LT_KIND_TIMER, "stack");
	free(s.v);
	/* same id in another process is another timer */
	send_timer_create(a, 101, 0, 1);
	send_timer_delete(a, 100, 0);
	send_timer_delete(a, 100, 2);
	ASSERT_TRUE(proc_of(a, 101, &pi), "listed");
	ASSERT_EQ(pi.timers, 1, "101's timer");
	ASSERT_EQ(stats_of(a).unknown_frees, 1, "unknown_frees");
	ASSERT_EQ(stats_of(a).live, 1, "live");
	agg__free(a);
}

/* ---- malformed records ---- */

static void test_bad_events_counted(void)
{
	struct agg *a = agg__new(NULL);
	struct agg_stats st;
	union evbuf b;
	size_t len;
	struct ev ev = {.type = LT_EV_ALLOC, .tgid = 100, .addr = 0x1000, .size = 8, .site = 1};

	len = ev_build(&ev, &b);
	ASSERT_EQ(agg__on_event(a, &b.e, sizeof(b.e) - 1), 0, "shorter than the header");
	ASSERT_EQ(agg__on_event(a, &b.e, len - 1), 0, "shorter than its frames");
	b.e.type = 0;
	ASSERT_EQ(agg__on_event(a, &b.e, len), 0, "type 0");
	b.e.type = LT_EV__MAX;
	ASSERT_EQ(agg__on_event(a, &b.e, len), 0, "type past the last");
	b.e.type = LT_EV_ALLOC;
	b.e.nframes = LT_MAX_FRAMES + 1;
	ASSERT_EQ(agg__on_event(a, &b.e, sizeof(b.raw)), 0, "too many frames");
	ASSERT_EQ(agg__on_event(a, NULL, 0), 0, "no record");
	st = stats_of(a);
	ASSERT_EQ(st.bad_events, 6, "bad_events");
	ASSERT_EQ(st.events, 6, "every record is counted");
	ASSERT_EQ(st.procs, 0, "nothing created");
	ASSERT_EQ(st.live, 0, "nothing tracked");

	/* longer than needed is fine */
	b.e.nframes = SITE_FRAMES;
	ASSERT_EQ(agg__on_event(a, &b.e, len + 24), AGG_R_NEW_PROC | AGG_R_NEW_STACK, "trailer");
	ASSERT_EQ(stats_of(a).live, 1, "tracked");
	ASSERT_EQ(stats_of(a).bad_events, 6, "not bad");
	agg__free(a);
}

/* ---- randomized churn against reference models ---- */

static __u64 rng_next(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

#define CH_PROCS  4
#define CH_SLOTS  512
#define CH_FDS	  64
#define CH_TIMERS 16
#define CH_PAGES  256
#define CH_SITES  12

/* What each process holds, the naive way: arrays indexed by address. */
struct model_proc {
	struct {
		bool live;
		__u64 size;
		__u32 site;
	} mem[CH_SLOTS];
	struct {
		bool live, cloexec;
		__u32 site, image;
	} fd[CH_FDS];
	struct {
		bool live;
		__u32 site;
	} timer[CH_TIMERS];
	__u32 page[CH_PAGES + 8]; /* site + 1 of the mapping holding it; 0: none */
	__u32 image; /* execs so far: fds kept across exec keep their old image's stack */
};

struct model {
	struct model_proc p[CH_PROCS];
	__u64 unknown;
};

static __u32 ch_tgid(int i)
{
	return 1000 + (__u32)i * 7;
}

static __u64 ch_addr(int slot)
{
	return 0x555500000000ull + (__u64)slot * 16;
}

static __u64 ch_page(int page)
{
	return 0x7f0000000000ull + (__u64)page * PG;
}

static void model_mem_alloc(struct model_proc *m, int slot, __u64 size, __u32 site)
{
	m->mem[slot].live = true;
	m->mem[slot].size = size;
	m->mem[slot].site = site;
}

static void model_mem_free(struct model *mo, struct model_proc *m, int slot)
{
	if (m->mem[slot].live)
		m->mem[slot].live = false;
	else
		mo->unknown++;
}

static bool model_pages_cut(struct model_proc *m, int first, int n)
{
	bool hit = false;
	int i;

	for (i = first; i < first + n; i++) {
		hit |= m->page[i] != 0;
		m->page[i] = 0;
	}
	return hit;
}

static void model_pages_set(struct model_proc *m, int first, int n, __u32 site)
{
	int i;

	for (i = first; i < first + n; i++)
		m->page[i] = site + 1;
}

static void churn_step(struct agg *a, struct model *mo, __u64 *rng, __u64 ts, int alloc_pct)
{
	int pi = (int)(rng_next(rng) % CH_PROCS), op = (int)(rng_next(rng) % 100);
	struct model_proc *m = &mo->p[pi];
	__u32 tgid = ch_tgid(pi), site = 1 + (__u32)(rng_next(rng) % CH_SITES);
	int slot = (int)(rng_next(rng) % CH_SLOTS), slot2 = (int)(rng_next(rng) % CH_SLOTS);
	int fd = (int)(rng_next(rng) % CH_FDS), tid = (int)(rng_next(rng) % CH_TIMERS);
	int pg = (int)(rng_next(rng) % CH_PAGES), npg = 1 + (int)(rng_next(rng) % 8);
	__u64 size = 1 + rng_next(rng) % 4096;

	if (op < 60) { /* memory: the hot path */
		int k = (int)(rng_next(rng) % 100);

		if (k < alloc_pct) {
			SEND(a, .type = LT_EV_ALLOC, .tgid = tgid, .addr = ch_addr(slot),
			     .size = size, .site = site, .ts = ts);
			model_mem_alloc(m, slot, size, site);
		} else if (k < alloc_pct + (100 - alloc_pct) * 3 / 4) {
			send_free(a, tgid, ch_addr(slot));
			model_mem_free(mo, m, slot);
		} else {
			SEND(a, .type = LT_EV_REALLOC, .tgid = tgid, .old_addr = ch_addr(slot),
			     .addr = ch_addr(slot2), .size = size, .site = site, .ts = ts);
			model_mem_free(mo, m, slot);
			model_mem_alloc(m, slot2, size, site);
		}
	} else if (op < 72) { /* fds */
		int k = (int)(rng_next(rng) % 10);

		if (k < 5) {
			bool cloexec = rng_next(rng) & 1;

			send_fd_open(a, tgid, fd, LT_FD_FILE, "/f", cloexec, site);
			m->fd[fd].live = true;
			m->fd[fd].cloexec = cloexec;
			m->fd[fd].site = site;
			m->fd[fd].image = m->image;
		} else if (k < 9) {
			send_fd_close(a, tgid, fd);
			if (m->fd[fd].live)
				m->fd[fd].live = false;
			else
				mo->unknown++;
		} else {
			int last = fd + (int)(rng_next(rng) % 8), i;

			send_close_range(a, tgid, (__u64)fd, (__u64)last, 0);
			for (i = fd; i <= last && i < CH_FDS; i++)
				m->fd[i].live = false;
		}
	} else if (op < 80) { /* timers */
		if (rng_next(rng) & 1) {
			send_timer_create(a, tgid, (__u64)tid, site);
			m->timer[tid].live = true;
			m->timer[tid].site = site;
		} else {
			send_timer_delete(a, tgid, (__u64)tid);
			if (m->timer[tid].live)
				m->timer[tid].live = false;
			else
				mo->unknown++;
		}
	} else if (op < 98) { /* mappings */
		int k = (int)(rng_next(rng) % 10);

		if (k < 4) {
			send_map(a, tgid, ch_page(pg), (__u64)npg * PG, site, ts);
			model_pages_cut(m, pg, npg);
			model_pages_set(m, pg, npg, site);
		} else if (k < 8) {
			send_unmap(a, tgid, ch_page(pg), (__u64)npg * PG);
			model_pages_cut(m, pg, npg); /* unmapping the untracked is not unknown */
		} else {
			int pg2 = (int)(rng_next(rng) % CH_PAGES),
			    npg2 = 1 + (int)(rng_next(rng) % 8);
			__u32 kept = m->page[pg];

			SEND(a, .type = LT_EV_MREMAP, .tgid = tgid, .old_addr = ch_page(pg),
			     .aux = (__u64)npg * PG, .addr = ch_page(pg2), .size = (__u64)npg2 * PG,
			     .site = site, .ts = ts);
			/* moving a mapping we never saw: it stays untracked */
			model_pages_cut(m, pg, npg);
			model_pages_cut(m, pg2, npg2);
			if (kept)
				model_pages_set(m, pg2, npg2, kept - 1);
		}
	} else if (op < 99) { /* exec */
		int i;

		send_exec(a, tgid, "exec");
		m->image++;
		memset(m->mem, 0, sizeof(m->mem));
		memset(m->timer, 0, sizeof(m->timer));
		memset(m->page, 0, sizeof(m->page));
		for (i = 0; i < CH_FDS; i++)
			if (m->fd[i].cloexec)
				m->fd[i].live = false;
	} else { /* exit */
		send_exit(a, tgid);
		memset(m, 0, sizeof(*m));
	}
}

struct model_sums {
	__u64 mem_bytes, mem_count, map_bytes, fds, timers;
	__u64 fd_images; /* distinct images the live fds were opened in */
};

static struct model_sums model_sum(const struct model_proc *m, __u32 site)
{
	struct model_sums s = {0};
	int i;

	for (i = 0; i < CH_SLOTS; i++) {
		if (m->mem[i].live && (!site || m->mem[i].site == site)) {
			s.mem_bytes += m->mem[i].size;
			s.mem_count++;
		}
	}
	for (i = 0; i < CH_FDS; i++) {
		int j;

		if (!m->fd[i].live || (site && m->fd[i].site != site))
			continue;
		s.fds++;
		for (j = 0; j < i; j++)
			if (m->fd[j].live && m->fd[j].site == m->fd[i].site &&
			    m->fd[j].image == m->fd[i].image)
				break;
		s.fd_images += j == i;
	}
	for (i = 0; i < CH_TIMERS; i++)
		s.timers += m->timer[i].live && (!site || m->timer[i].site == site);
	for (i = 0; i < CH_PAGES + 8; i++)
		s.map_bytes += m->page[i] && (!site || m->page[i] == site + 1) ? PG : 0;
	return s;
}

/* Per process totals and counters against the model; prints the first mismatch. */
static bool churn_matches(struct agg *a, const struct model *mo, long step)
{
	__u64 live = 0;
	int i;

	for (i = 0; i < CH_PROCS; i++) {
		struct model_sums ms = model_sum(&mo->p[i], 0);
		struct agg_proc_info pi;

		proc_of(a, ch_tgid(i), &pi);
		if (pi.mem_bytes != ms.mem_bytes || pi.mem_count != ms.mem_count ||
		    pi.map_bytes != ms.map_bytes || pi.fds != ms.fds || pi.timers != ms.timers) {
			printf("  step %ld proc %u: mem %llu/%llu count %llu/%llu map %llu/%llu "
			       "fds %llu/%llu timers %llu/%llu (agg/model)\n",
			       step, ch_tgid(i), (unsigned long long)pi.mem_bytes,
			       (unsigned long long)ms.mem_bytes, (unsigned long long)pi.mem_count,
			       (unsigned long long)ms.mem_count, (unsigned long long)pi.map_bytes,
			       (unsigned long long)ms.map_bytes, (unsigned long long)pi.fds,
			       (unsigned long long)ms.fds, (unsigned long long)pi.timers,
			       (unsigned long long)ms.timers);
			return false;
		}
		live += pi.mem_count + pi.map_count + pi.fds + pi.timers;
	}
	if (stats_of(a).live != live || stats_of(a).unknown_frees != mo->unknown) {
		printf("  step %ld: live %llu/%llu unknown %llu/%llu\n", step,
		       (unsigned long long)stats_of(a).live, (unsigned long long)live,
		       (unsigned long long)stats_of(a).unknown_frees,
		       (unsigned long long)mo->unknown);
		return false;
	}
	return true;
}

/* Sums over the listed stacks of (tgid, kind, site); returns how many there are. */
static __u64 stacks_sum(const struct stacks *s, __u32 tgid, enum lt_kind kind, __u32 site,
			__u64 *bytes, __u64 *count)
{
	__u64 n = 0;
	size_t i;

	*bytes = *count = 0;
	for (i = 0; i < s->n; i++) {
		const struct agg_stack_info *si = &s->v[i];

		if (si->tgid != tgid || si->kind != kind || si->nframes != SITE_FRAMES ||
		    si->frames[0] != site_pc(site))
			continue;
		*bytes += si->bytes;
		*count += si->count;
		n++;
	}
	return n;
}

/*
 * Every stack against the model: one per (process, kind, site) holding
 * something, except fds kept across exec, which keep one stack per image.
 */
static bool churn_stacks_match(struct agg *a, const struct model *mo)
{
	__u64 expect = 0, listed = 0, b, c, n;
	struct stacks s;
	bool ok = true;
	int i;
	__u32 site;

	if (stacks_get(a, 1ull << 62, 0, ALL_KINDS, 0, &s))
		return false;
	for (i = 0; i < CH_PROCS && ok; i++) {
		for (site = 1; site <= CH_SITES && ok; site++) {
			struct model_sums ms = model_sum(&mo->p[i], site);
			__u32 tgid = ch_tgid(i);

			n = stacks_sum(&s, tgid, LT_KIND_MEM, site, &b, &c);
			ok &= n == !!ms.mem_count && b == ms.mem_bytes && c == ms.mem_count;
			expect += !!ms.mem_count;
			listed += n;
			n = stacks_sum(&s, tgid, LT_KIND_MAP, site, &b, &c);
			ok &= n == !!ms.map_bytes && b == ms.map_bytes;
			expect += !!ms.map_bytes;
			listed += n;
			n = stacks_sum(&s, tgid, LT_KIND_FD, site, &b, &c);
			ok &= n == ms.fd_images && c == ms.fds;
			expect += ms.fd_images;
			listed += n;
			n = stacks_sum(&s, tgid, LT_KIND_TIMER, site, &b, &c);
			ok &= n == !!ms.timers && c == ms.timers;
			expect += !!ms.timers;
			listed += n;
			if (!ok)
				printf("  proc %u site %u differs: model mem %llu/%llu map %llu "
				       "fds %llu (%llu images) timers %llu\n",
				       tgid, site, (unsigned long long)ms.mem_bytes,
				       (unsigned long long)ms.mem_count,
				       (unsigned long long)ms.map_bytes, (unsigned long long)ms.fds,
				       (unsigned long long)ms.fd_images,
				       (unsigned long long)ms.timers);
		}
	}
	if (ok && (s.n != expect || listed != expect)) {
		printf("  %zu stacks listed, model has %llu\n", s.n, (unsigned long long)expect);
		ok = false;
	}
	free(s.v);
	return ok;
}

static void test_churn_matches_reference_model(void)
{
	struct model *mo = calloc(1, sizeof(*mo));
	struct agg *a = agg__new(NULL);
	__u64 rng = 0x9e3779b97f4a7c15ull;
	long step;

	ASSERT_TRUE(mo && a, "setup");
	/* phases that fill and drain the tables, so they grow and shrink */
	for (step = 0; step < 400000; step++) {
		int alloc_pct = (step / 20000) % 2 ? 25 : 75;

		churn_step(a, mo, &rng, (__u64)step, alloc_pct);
		if (step % 5000 == 4999) {
			ASSERT_TRUE(churn_matches(a, mo, step), "totals match the model");
			ASSERT_TRUE(churn_stacks_match(a, mo), "stacks match the model");
		}
	}
	ASSERT_TRUE(churn_matches(a, mo, step), "totals match the model at the end");
	ASSERT_TRUE(churn_stacks_match(a, mo), "stacks match the model at the end");
	ASSERT_EQ(stats_of(a).events, 400000, "events");
	ASSERT_EQ(stats_of(a).bad_events, 0, "bad_events");
	free(mo);
	agg__free(a);
}

/* Random 48-bit addresses in one big table: growth, shrink and deletion runs. */
static void test_mem_churn_random_addresses(void)
{
	enum { POOL = 60000 };
	struct agg *a = agg__new(NULL);
	__u64 *addr = calloc(POOL, sizeof(*addr)), *size = calloc(POOL, sizeof(*size));
	__u64 rng = 12345, bytes = 0, count = 0, unknown = 0;
	struct agg_proc_info pi;
	long step;
	int i;

	ASSERT_TRUE(a && addr && size, "setup");
	for (i = 0; i < POOL; i++)
		addr[i] = (rng_next(&rng) & 0xfffffffffff0ull) | 0x10;
	for (step = 0; step < 600000; step++) {
		int k = (int)(rng_next(&rng) % POOL);
		bool filling = (step / 100000) % 2 == 0;

		if ((rng_next(&rng) % 100) < (filling ? 70u : 30u)) {
			__u64 sz = 1 + rng_next(&rng) % 1000;

			send_alloc(a, 42, addr[k], sz, 1 + (__u32)(k % 50), (__u64)step);
			if (size[k]) {
				bytes -= size[k];
				count--;
			}
			size[k] = sz;
			bytes += sz;
			count++;
		} else {
			send_free(a, 42, addr[k]);
			if (size[k]) {
				bytes -= size[k];
				count--;
				size[k] = 0;
			} else {
				unknown++;
			}
		}
		if (step % 50000 == 0) {
			ASSERT_TRUE(proc_of(a, 42, &pi), "listed");
			ASSERT_TRUE(pi.mem_bytes == bytes && pi.mem_count == count, "totals");
		}
	}
	ASSERT_TRUE(proc_of(a, 42, &pi), "listed");
	ASSERT_TRUE(pi.mem_bytes == bytes && pi.mem_count == count, "totals at the end");
	ASSERT_TRUE(stats_of(a).unknown_frees == unknown, "unknown_frees");
	for (i = 0; i < POOL; i++) {
		send_free(a, 42, addr[i]);
		unknown += !size[i];
	}
	ASSERT_TRUE(stats_of(a).unknown_frees == unknown, "every live block found once");
	ASSERT_EQ(stats_of(a).live, 0, "empty");
	ASSERT_EQ(stats_of(a).stacks, 0, "no stack holds anything");
	free(addr);
	free(size);
	agg__free(a);
}

/* ---- memory budget ---- */

static void test_mem_bytes_per_allocation_at_1m(void)
{
	enum { N = 1000000, SITES = 10000 };
	struct agg *a = agg__new(NULL);
	union evbuf b;
	size_t len, mem, per;
	int i;

	len = ev_build(&(struct ev){.type = LT_EV_ALLOC, .tgid = 100, .size = 64, .site = 1}, &b);
	for (i = 0; i < N; i++) {
		b.e.addr = 0x555500000000ull + (__u64)i * 80;
		b.e.frames[0] = site_pc((__u32)(i % SITES));
		agg__on_event(a, &b.e, len);
	}
	ASSERT_EQ(stats_of(a).live, N, "live");
	ASSERT_EQ(stats_of(a).stacks, SITES, "stacks");
	mem = agg__mem_bytes(a);
	per = mem / N;
	printf("  %zu bytes for %d live allocations: %zu per allocation\n", mem, N, per);
	ASSERT_TRUE(per <= 64, "at most 64 bytes per live allocation");

	b.e.type = LT_EV_FREE;
	for (i = 0; i < N; i++) {
		b.e.addr = 0x555500000000ull + (__u64)i * 80;
		agg__on_event(a, &b.e, len);
	}
	ASSERT_EQ(stats_of(a).live, 0, "all freed");
	ASSERT_EQ(stats_of(a).unknown_frees, 0, "all found");
	ASSERT_TRUE(agg__mem_bytes(a) < 4 * 1024 * 1024, "tables shrink after a mass free");
	agg__free(a);
}

/*
 * agg__prefetch() is a hint: whatever it is given (short, unknown process,
 * every type), the state is what agg__on_event() alone makes. It is worth
 * calling once the live tables are past AGG_PREFETCH_MIN_LIVE.
 */
static void test_prefetch_changes_nothing(void)
{
	struct agg *a = agg__new(NULL), *b = agg__new(NULL);
	struct agg_stats sa, sb;
	union evbuf buf;
	__u32 i, type;
	size_t len;

	ASSERT_TRUE(a && b, "agg__new");
	ASSERT_TRUE(!agg__prefetch_useful(a), "not with nothing live");
	agg__prefetch(a, NULL, 0);
	for (i = 0; i < 2 * AGG_PREFETCH_MIN_LIVE; i++) {
		type = i % 7 == 3 ? LT_EV_FREE : i % 11 == 5 ? LT_EV_REALLOC : LT_EV_ALLOC;
		len = ev_build(&(struct ev){ .type = type, .tgid = 100 + i % 3, .ts = SEC + i,
					     .addr = 0x10000 + (__u64)i * 32,
					     .old_addr = type == LT_EV_REALLOC ? 0x10000 + i * 8 : 0,
					     .size = 24, .site = 1 + i % 5 },
			       &buf);
		agg__prefetch(a, &buf.e, len);
		agg__prefetch(a, &buf.e, sizeof(buf.e) - 1);
		buf.e.tgid += 1000; /* a process not seen */
		agg__prefetch(a, &buf.e, len);
		buf.e.tgid -= 1000;
		ASSERT_EQ(agg__on_event(a, &buf.e, len), agg__on_event(b, &buf.e, len),
			  "same result bits");
	}
	agg__stats(a, &sa);
	agg__stats(b, &sb);
	ASSERT_EQ(memcmp(&sa, &sb, sizeof(sa)), 0, "same statistics");
	ASSERT_EQ(agg__mem_bytes(a), agg__mem_bytes(b), "same memory");
	ASSERT_TRUE(sa.live >= AGG_PREFETCH_MIN_LIVE, "past the mark");
	ASSERT_TRUE(agg__prefetch_useful(a), "worth it past the mark");
	agg__free(a);
	agg__free(b);
}

int main(void)
{
	RUN_TEST(test_empty_aggregator_reports_nothing);
	RUN_TEST(test_malloc_free_pairs_leave_nothing);
	RUN_TEST(test_failed_realloc_leaves_block_live);
	RUN_TEST(test_realloc_moves_block);
	RUN_TEST(test_realloc_same_address_resizes);
	RUN_TEST(test_realloc_null_is_alloc);
	RUN_TEST(test_realloc_zero_is_free);
	RUN_TEST(test_realloc_of_unknown_block);
	RUN_TEST(test_unknown_free_counted);
	RUN_TEST(test_alloc_at_outstanding_address_replaces);
	RUN_TEST(test_held_alloc_ages_from_aux);
	RUN_TEST(test_held_alloc_after_its_free);
	RUN_TEST(test_held_alloc_older_than_live_block);
	RUN_TEST(test_held_alloc_after_exit);
	RUN_TEST(test_huge_sizes_exact);
	RUN_TEST(test_fork_child_starts_empty);
	RUN_TEST(test_exec_drops_mem_maps_timers_and_cloexec_fds);
	RUN_TEST(test_exit_removes_process);
	RUN_TEST(test_exit_with_keep_exited_freezes_state);
	RUN_TEST(test_fork_onto_existing_tgid_resets_child);
	RUN_TEST(test_event_after_exit_is_pid_reuse);
	RUN_TEST(test_pid_replaced_after_lost_events);
	RUN_TEST(test_fd_pair_is_two_fds);
	RUN_TEST(test_set_comm_names_and_creates);
	RUN_TEST(test_result_bits);
	RUN_TEST(test_procs_ordered_by_mem_bytes_then_tgid);
	RUN_TEST(test_stack_and_process_totals);
	RUN_TEST(test_min_age_filters_and_oldest_ts);
	RUN_TEST(test_top_n_orders_each_kind);
	RUN_TEST(test_max_tracked_counts_untracked);
	RUN_TEST(test_max_stacks_charges_overflow_stack);
	RUN_TEST(test_site_cache_is_exact);
	RUN_TEST(test_idle_stacks_are_recycled);
	RUN_TEST(test_munmap_head);
	RUN_TEST(test_munmap_tail);
	RUN_TEST(test_munmap_middle_splits);
	RUN_TEST(test_munmap_spanning_several);
	RUN_TEST(test_mmap_fixed_over_mapping_replaces);
	RUN_TEST(test_mremap_moves_and_keeps_stack);
	RUN_TEST(test_fd_kinds_and_paths);
	RUN_TEST(test_fd_released_paths_bounded);
	RUN_TEST(test_fd_sys_extra_path_and_dup);
	RUN_TEST(test_fd_sys_extra_short_sample);
	RUN_TEST(test_reconcile_drops_fds_closed_unseen);
	RUN_TEST(test_rss_is_the_latest_sample);
	RUN_TEST(test_top_stacks_since_is_growth_of_one_process);
	RUN_TEST(test_fd_path_without_nul);
	RUN_TEST(test_fd_open_on_outstanding_fd_replaces);
	RUN_TEST(test_close_range_closes_tracked_fds);
	RUN_TEST(test_close_range_cloexec_marks_only);
	RUN_TEST(test_fd_cloexec_event_sets_and_clears);
	RUN_TEST(test_timers_create_delete);
	RUN_TEST(test_bad_events_counted);
	RUN_TEST(test_churn_matches_reference_model);
	RUN_TEST(test_mem_churn_random_addresses);
	RUN_TEST(test_mem_bytes_per_allocation_at_1m);
	RUN_TEST(test_prefetch_changes_nothing);
	TEST_EXIT();
}
