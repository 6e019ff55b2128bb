// SPDX-License-Identifier: GPL-2.0
/*
 * agg.c - the pure aggregator: every outstanding resource per (tgid, kind, key),
 * per-stack and per-process totals, and the process lifecycle (fork, exec,
 * exit, pid reuse).
 *
 * Owns: the process table; per process, one live table per kind (mem, fd,
 * timer) and a sorted array of mapping ranges; the interned stacks and fd
 * paths. Must not: open files, print, read a clock or keep globals. Time comes
 * from the events or from the caller, so tests and the replay benchmark can
 * drive it with synthetic events.
 *
 * The mem path runs for every malloc and free on the host, so:
 * - live tables are open addressing with linear probing and backward-shift
 *   deletion (no tombstones: lookups do not slow down under churn), 24-byte
 *   slots kept between 3/8 and 3/4 full, shrunk below 1/8 full; one slot per
 *   live block is 32..64 bytes; an allocation probes its table once; tables
 *   of 3 MiB or more lie on 2 MiB pages (transparent huge pages, where on);
 * - tables are per process: exec and exit drop a process's state in time
 *   proportional to what it holds, not to the whole host;
 * - stacks are interned once (frames hashed once per allocation); a stack that
 *   holds nothing stays interned for a while, so an alloc/free loop does not
 *   malloc a stack per event, and is recycled oldest-first as new stacks come;
 * - a free touches one process lookup (cached) and one slot: no malloc.
 * Mapping ranges and fd paths are rarer and use simpler structures.
 *
 * Stacks are keyed by the process *incarnation* (gen), not just its tgid: a
 * new image (exec) or a reused pid must not share stacks with the old one,
 * whose addresses meant something else.
 *
 * Limits: limits may be NULL (no limits); a zero max_tracked or max_stacks
 * means no limit. agg__top_stacks() with top_n == 0 returns every stack.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "agg.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

#define GOLDEN	0x9e3779b97f4a7c15ull
#define ID_NONE UINT32_MAX

/*
 * The steps of the mem path (an allocation or a free: nearly every event) are
 * inlined into agg__on_event() whatever the compiler's size limits say, and
 * its rare branches (a table to grow, a stack to create, an unknown free) are
 * kept out of line so that they do not crowd it: replay, 10k live, 520 -> 446
 * instructions per event (the generator's ~180 included); 1M live 67.5 -> 62.4 ns.
 */
#define HOT  static inline __attribute__((always_inline))
#define COLD static __attribute__((noinline))

/* After lost events, processes are checked for a replaced pid at most this often. */
#define AGG_LOSS_CHECK_NS 1000000000ull

/* Stacks that hold nothing kept before the oldest of them are recycled. */
#define STACK_IDLE_MIN 256

static inline __u32 hash_shift(__u64 key, __u32 shift)
{
	return (__u32)((key * GOLDEN) >> shift);
}

static inline __u64 hash_fmix(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* ---- live tables: one per (process, kind) for mem, fd and timer ---- */

/*
 * meta packs the stack index (low 24 bits) with a 40-bit value: the size for
 * mem (LIVE_VAL_MAX: the exact size is in proc->big), fd kind, cloexec and
 * path for fds, 0 for timers. A stack index of all ones never exists, so an
 * all-ones meta marks an empty slot.
 */
struct live {
	__u64 key;
	__u64 ts;
	__u64 meta;
};

#define LIVE_EMPTY	(~0ull)
#define LIVE_STACK_BITS 24
#define LIVE_STACK_MASK ((1u << LIVE_STACK_BITS) - 1)
#define LIVE_VAL_MAX	((1ull << (64 - LIVE_STACK_BITS)) - 1)

#define FD_KIND_MASK   0xfull
#define FD_CLOEXEC_BIT (1ull << 4)
#define FD_PATH_SHIFT  8

_Static_assert(LT_FD__MAX <= 16, "fd kind must fit FD_KIND_MASK");
_Static_assert(sizeof(struct live) == 24, "live slots are the per-allocation cost");

struct ltab {
	struct live *slots; /* ltab_alloc(): mapped from LTAB_HUGE_CAP slots on; ltab_free() */
	__u32 cap; /* 0 or a power of two >= LTAB_MIN_CAP */
	__u32 n;
	__u32 shift; /* 64 - log2(cap) */
};

#define LTAB_MIN_CAP 16u

static inline __u32 live_stack(const struct live *s)
{
	return (__u32)(s->meta & LIVE_STACK_MASK);
}

static inline __u64 live_val(const struct live *s)
{
	return s->meta >> LIVE_STACK_BITS;
}

static inline __u64 live_meta(__u64 val, __u32 stack)
{
	return val << LIVE_STACK_BITS | stack;
}

/* ---- interning: id -> object, and hash -> id ---- */

struct idvec_ent {
	void *p;	 /* NULL: free id */
	__u32 next_free; /* free list, valid when p is NULL */
};

struct idvec {
	struct idvec_ent *v;
	__u32 n, cap, free_head;
};

struct idslot {
	__u32 id1; /* id + 1; 0: empty */
	__u32 h;
};

struct idix {
	struct idslot *slots;
	__u32 cap, n;
};

struct stack {
	__u64 bytes;
	__u64 count;
	__u32 hash;
	__u32 id; /* agg_stack_info.stack_id: never reused while the aggregator lives (mod 2^32) */
	__u32 gen;
	__u32 tgid;
	__u32 idle_prev, idle_next; /* LRU of stacks holding nothing */
	__u8 kind;
	__u8 overflow;
	__u16 nframes;
	__u64 frames[];
};

struct path {
	__u32 refs;
	__u32 hash;
	bool idle; /* in agg->path_idle */
	char s[];
};

/*
 * Paths whose last fd closed stay interned for the next PATH_IDLE releases:
 * a loop that opens and closes one file would otherwise malloc() and free()
 * its path per iteration (when the tracer's allocations went through the
 * uprobes it set, before it linked its own allocator, three traps per
 * open/close pair; now the allocator's work alone).
 */
#define PATH_IDLE 64

/* ---- processes ---- */

struct mapr {
	__u64 start, end, ts;
	__u32 stack;
};

struct big_size {
	__u64 key, size;
};

struct proc {
	__u32 tgid;
	__u32 gen;
	bool exited;
	__u64 exit_ts; /* exited: when (event time) */
	char comm[LT_COMM_LEN];
	__u64 start;	   /* USER_HZ ticks since boot; 0: unknown */
	__u32 loss_gen;	   /* agg->loss_gen when this process was last known to be itself */
	__u64 bytes[LT_KIND__MAX];
	__u64 count[LT_KIND__MAX];
	__u64 rss; /* last LT_EV_RSS: resident bytes */
	struct ltab tab[LT_KIND__MAX]; /* mem, fd, timer; maps live in maps[] */
	struct mapr *maps;	       /* sorted by start, never overlapping */
	__u32 nmaps, maps_cap;
	struct big_size *big; /* mem blocks of LIVE_VAL_MAX bytes or more */
	__u32 nbig, big_cap;
	/*
	 * Unknown frees of this tgid remembered in agg->early (an upper bound:
	 * slots taken over later are not subtracted). 0: a held allocation
	 * need not look there, a likely cache miss per allocation otherwise.
	 */
	__u32 early_n;
};

/*
 * A block's allocation can arrive after its free: a thread holds its last
 * allocation back until its next allocation or its switch off the CPU
 * (LT_F_HELD), and another thread may free the block meanwhile. Unknown frees
 * are remembered here (direct-mapped: a newer one pushes an older one out) so
 * that the allocation, when it comes, is known to be gone already. A free of
 * an address at or after a block's birth means that block is gone (the
 * address was its until then), so a slot explains every held block born
 * before it, not just one.
 */
struct early_free {
	__u64 addr;
	__u64 ts;	/* when it was freed */
	__u32 tgid;
	bool used;
	bool explained; /* unknown_frees was taken back for it */
};

#define EARLY_SLOTS 16384u /* 384 KiB */

/*
 * Exits seen, by tgid (direct-mapped): a thread's held allocation can be
 * sent by its own exit after another thread of the process sent the exit of
 * the whole process. Made before that exit, it belongs to the process that is
 * gone, not to a new one at its pid.
 */
struct gone {
	__u64 ts;
	__u32 tgid;
	bool used;
};

#define GONE_SLOTS 256u

/*
 * The stack last resolved for a (process, kind, innermost frame, depth), by
 * a hash of those, direct-mapped: most allocations come from a stack seen
 * before, and one whose innermost frame and depth it shares is then compared
 * frame by frame with that stack, without hashing every frame and probing the
 * stack index. A wrapper's callers share the innermost frame and take turns
 * in the slot: those fall back to the index.
 */
#define SITE_SLOTS 65536u /* 256 KiB */

struct pslot {
	__u32 tgid;
	struct proc *p; /* NULL: empty */
};

struct agg {
	struct agg_limits lim;
	struct agg_stats st; /* counters; live is kept exact here too */
	size_t mem;	     /* bytes we allocated or mapped and still hold */

	struct pslot *pidx;
	__u32 pcap, pshift, nprocs;
	struct proc *last; /* events come in runs per process */
	__u32 next_gen;
	__u32 loss_gen;	   /* bumped after events were lost: each process is checked again */
	__u64 loss_gen_ts; /* event time of the last bump */
	bool loss_pending; /* a loss since then, not yet acted on */

	struct idvec stacks;
	struct idix stack_ix;
	__u32 next_stack_id;
	__u32 nactive; /* stacks holding something */
	__u32 nreal;   /* of them, not overflow stacks: what max_stacks limits */
	__u32 idle_head, idle_tail, nidle;

	struct idvec paths;
	struct idix path_ix;
	__u32 path_idle[PATH_IDLE]; /* id + 1 of recently released paths; 0: none */
	__u32 path_idle_next;

	struct early_free early[EARLY_SLOTS];
	struct gone gone[GONE_SLOTS];
	__u32 site[SITE_SLOTS]; /* stack index + 1 by site_slot(); 0: none */
};

static struct gone *gone_slot(struct agg *agg, __u32 tgid)
{
	return &agg->gone[hash_fmix(tgid) & (GONE_SLOTS - 1)];
}

/* ---- memory accounting: everything we hold goes through these (and ltab_alloc/free) ---- */

static void *mem_alloc(struct agg *agg, size_t size)
{
	void *p = malloc(size);

	if (p)
		agg->mem += size;
	return p;
}

static void *mem_calloc(struct agg *agg, size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p)
		agg->mem += n * size;
	return p;
}

static void *mem_realloc(struct agg *agg, void *old, size_t old_size, size_t size)
{
	void *p = realloc(old, size);

	if (p)
		agg->mem = agg->mem - old_size + size;
	return p;
}

static void mem_free(struct agg *agg, void *p, size_t size)
{
	if (!p)
		return;
	agg->mem -= size;
	free(p);
}

/* ---- live table ---- */

/*
 * Tables of LTAB_HUGE_CAP slots or more (3 MiB) are mapped on their own,
 * aligned to 2 MiB, with MADV_HUGEPAGE on the whole 2 MiB pages they span:
 * in tables of a million blocks nearly every lookup missed the TLB as well as
 * the cache (replay, 1M live in 16 processes: -2.5 ns per event of ~75).
 * Where THP is off the advice does nothing; ltab_resize() writes every slot
 * at once anyway, so a huge page faults in nothing 4 KiB pages would not.
 */
#define LTAB_HUGE_CAP (1u << 17)
#define HUGE_PAGE     ((size_t)2 << 20)

static struct live *ltab_alloc(struct agg *agg, __u32 cap)
{
	size_t size = (size_t)cap * sizeof(struct live), head;
	char *map, *p;

	if (cap < LTAB_HUGE_CAP)
		return mem_alloc(agg, size);
	map = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	head = (size_t)(p - map);
	if (head)
		munmap(map, head);
	munmap(p + size, HUGE_PAGE - head); /* head < HUGE_PAGE: never empty */
	madvise(p, size & ~(HUGE_PAGE - 1), MADV_HUGEPAGE); /* failing it changes nothing */
	agg->mem += size;
	return (struct live *)p;
}

static void ltab_free(struct agg *agg, struct live *slots, __u32 cap)
{
	size_t size = (size_t)cap * sizeof(*slots);

	if (cap < LTAB_HUGE_CAP) {
		mem_free(agg, slots, size);
	} else if (slots) {
		munmap(slots, size);
		agg->mem -= size;
	}
}

/* The slot holding key, or the empty slot that ends its probe run; cap > 0. */
HOT struct live *ltab_probe(const struct ltab *t, __u64 key)
{
	struct live *s = &t->slots[hash_shift(key, t->shift)], *end = t->slots + t->cap;

	for (;;) {
		if (s->meta == LIVE_EMPTY || s->key == key)
			return s;
		if (++s == end)
			s = t->slots;
	}
}

static int ltab_resize(struct agg *agg, struct ltab *t, __u32 cap)
{
	struct ltab nt = { .cap = cap, .shift = 64 - (__u32)__builtin_ctz(cap) };
	__u32 i;

	nt.slots = ltab_alloc(agg, cap);
	if (!nt.slots)
		return -ENOMEM;
	memset(nt.slots, 0xff, (size_t)cap * sizeof(*nt.slots));
	/* Keys are distinct: each one's probe ends on an empty slot. */
	for (i = 0; i < t->cap; i++)
		if (t->slots[i].meta != LIVE_EMPTY)
			*ltab_probe(&nt, t->slots[i].key) = t->slots[i];
	ltab_free(agg, t->slots, t->cap);
	nt.n = t->n;
	*t = nt;
	return 0;
}

static void ltab_destroy(struct agg *agg, struct ltab *t)
{
	ltab_free(agg, t->slots, t->cap);
	memset(t, 0, sizeof(*t));
}

HOT struct live *ltab_find(const struct ltab *t, __u64 key)
{
	struct live *s;

	if (!t->n)
		return NULL;
	s = ltab_probe(t, key);
	return s->meta == LIVE_EMPTY ? NULL : s;
}

/* ltab_reserve() when the table is 3/4 full or has no slots yet. */
COLD int ltab_grow(struct agg *agg, struct ltab *t)
{
	if (!t->cap)
		return ltab_resize(agg, t, LTAB_MIN_CAP);
	if (t->cap <= UINT32_MAX / 2 && !ltab_resize(agg, t, t->cap * 2))
		return 0;
	return t->n + 1 < t->cap ? 0 : -ENOMEM;
}

/* Make room for one more entry. Past 3/4 full probing gets long, but if
 * growing fails we still insert while one empty slot remains to end probes.
 */
HOT int ltab_reserve(struct agg *agg, struct ltab *t)
{
	if (__builtin_expect((__u64)(t->n + 1) * 4 <= (__u64)t->cap * 3, 1))
		return 0;
	return ltab_grow(agg, t);
}

/*
 * Backward-shift deletion: pull later entries of the probe run into the hole
 * when the hole lies between their home and where they sit. The hole may then
 * hold an entry that was after it, which scans must look at again.
 */
HOT void ltab_del_at(struct ltab *t, __u32 i)
{
	__u32 mask = t->cap - 1, j = i;

	for (;;) {
		__u32 home;

		j = (j + 1) & mask;
		if (t->slots[j].meta == LIVE_EMPTY)
			break;
		home = hash_shift(t->slots[j].key, t->shift);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].meta = LIVE_EMPTY;
	t->n--;
}

static void ltab_maybe_shrink(struct agg *agg, struct ltab *t)
{
	/* Halve below 1/8 full: amortized O(1), and no grow/shrink flapping. */
	if (t->cap > LTAB_MIN_CAP && (__u64)t->n * 8 < t->cap)
		ltab_resize(agg, t, t->cap / 2); /* failing to shrink is harmless */
}

/* An empty slot: a scan that starts right after it sees no probe run wrap. */
static __u32 ltab_empty_slot(const struct ltab *t)
{
	__u32 i;

	for (i = 0; i < t->cap; i++)
		if (t->slots[i].meta == LIVE_EMPTY)
			break;
	return i;
}

/* ---- id vectors and hash -> id indexes (stacks, paths) ---- */

static int idvec_add(struct agg *agg, struct idvec *vec, void *p, __u32 limit)
{
	__u32 id;

	if (vec->free_head != ID_NONE) {
		id = vec->free_head;
		vec->free_head = vec->v[id].next_free;
		vec->v[id].p = p;
		return (int)id;
	}
	if (vec->n >= limit)
		return -ENOSPC;
	if (vec->n == vec->cap) {
		__u32 cap = vec->cap ? vec->cap * 2 : 64;
		struct idvec_ent *v;

		v = mem_realloc(agg, vec->v, vec->cap * sizeof(*v), cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	id = vec->n++;
	vec->v[id].p = p;
	return (int)id;
}

static void idvec_remove(struct idvec *vec, __u32 id)
{
	vec->v[id].p = NULL;
	vec->v[id].next_free = vec->free_head;
	vec->free_head = id;
}

static int idix_resize(struct agg *agg, struct idix *ix, __u32 cap)
{
	__u32 mask = cap - 1, i, j;
	struct idslot *slots;

	slots = mem_calloc(agg, cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < ix->cap; i++) {
		if (!ix->slots[i].id1)
			continue;
		for (j = ix->slots[i].h & mask; slots[j].id1;)
			j = (j + 1) & mask;
		slots[j] = ix->slots[i];
	}
	mem_free(agg, ix->slots, ix->cap * sizeof(*slots));
	ix->slots = slots;
	ix->cap = cap;
	return 0;
}

static int idix_insert(struct agg *agg, struct idix *ix, __u32 id, __u32 h)
{
	__u32 mask, i;

	if ((ix->n + 1) * 2 > ix->cap) {
		int err = idix_resize(agg, ix, ix->cap ? ix->cap * 2 : 64);

		if (err && ix->n + 1 >= ix->cap)
			return err;
	}
	mask = ix->cap - 1;
	for (i = h & mask; ix->slots[i].id1;)
		i = (i + 1) & mask;
	ix->slots[i].id1 = id + 1;
	ix->slots[i].h = h;
	ix->n++;
	return 0;
}

static void idix_del(struct idix *ix, __u32 id, __u32 h)
{
	__u32 mask = ix->cap - 1, i, j;

	for (i = h & mask; ix->slots[i].id1 != id + 1;)
		i = (i + 1) & mask;
	for (j = i;;) {
		__u32 home;

		j = (j + 1) & mask;
		if (!ix->slots[j].id1)
			break;
		home = ix->slots[j].h & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			ix->slots[i] = ix->slots[j];
			i = j;
		}
	}
	ix->slots[i].id1 = 0;
	ix->n--;
}

/* ---- stacks ---- */

static inline struct stack *stack_at(const struct agg *agg, __u32 id)
{
	return agg->stacks.v[id].p;
}

static size_t stack_size(const struct stack *s)
{
	return sizeof(*s) + s->nframes * sizeof(s->frames[0]);
}

static __u32 stack_hash(__u32 gen, __u32 kind, bool overflow, const __u64 *frames, __u16 n)
{
	__u64 h = ((__u64)gen << 32 | kind << 17 | (__u32)overflow << 16 | n) * GOLDEN, x;
	__u16 i;

	/*
	 * Each frame mixed with its position on its own, the results summed:
	 * the multiplies run side by side rather than in a chain through h
	 * (consumer CPU per event 43 -> 38 ns on the malloc loop).
	 */
	for (i = 0; i < n; i++) {
		x = (frames[i] ^ (i + 1) * GOLDEN) * 0xff51afd7ed558ccdull;
		h += x ^ (x >> 29);
	}
	return (__u32)hash_fmix(h);
}

static __u32 stack_find(const struct agg *agg, __u32 h, __u32 gen, __u32 kind, bool overflow,
			const __u64 *frames, __u16 n)
{
	const struct idix *ix = &agg->stack_ix;
	__u32 mask = ix->cap - 1, i;

	if (!ix->n)
		return ID_NONE;
	for (i = h & mask; ix->slots[i].id1; i = (i + 1) & mask) {
		const struct stack *s;

		if (ix->slots[i].h != h)
			continue;
		s = stack_at(agg, ix->slots[i].id1 - 1);
		if (s->gen == gen && s->kind == kind && s->overflow == overflow &&
		    s->nframes == n && (!n || !memcmp(s->frames, frames, n * sizeof(*frames))))
			return ix->slots[i].id1 - 1;
	}
	return ID_NONE;
}

COLD void idle_push(struct agg *agg, __u32 id, struct stack *s)
{
	s->idle_prev = agg->idle_tail;
	s->idle_next = ID_NONE;
	if (agg->idle_tail != ID_NONE)
		stack_at(agg, agg->idle_tail)->idle_next = id;
	else
		agg->idle_head = id;
	agg->idle_tail = id;
	agg->nidle++;
}

COLD void idle_unlink(struct agg *agg, struct stack *s)
{
	if (s->idle_prev != ID_NONE)
		stack_at(agg, s->idle_prev)->idle_next = s->idle_next;
	else
		agg->idle_head = s->idle_next;
	if (s->idle_next != ID_NONE)
		stack_at(agg, s->idle_next)->idle_prev = s->idle_prev;
	else
		agg->idle_tail = s->idle_prev;
	agg->nidle--;
}

HOT void stack_charge(struct agg *agg, __u32 id, __u64 bytes)
{
	struct stack *s = stack_at(agg, id);

	if (!s->count) {
		idle_unlink(agg, s);
		agg->nactive++;
		agg->nreal += !s->overflow;
	}
	s->count++;
	s->bytes += bytes;
}

HOT void stack_uncharge(struct agg *agg, __u32 id, __u64 bytes)
{
	struct stack *s = stack_at(agg, id);

	s->bytes -= bytes;
	if (--s->count)
		return;
	agg->nactive--;
	agg->nreal -= !s->overflow;
	idle_push(agg, id, s);
}

static void stack_reclaim_oldest(struct agg *agg)
{
	__u32 id = agg->idle_head;
	struct stack *s = stack_at(agg, id);

	idle_unlink(agg, s);
	idix_del(&agg->stack_ix, id, s->hash);
	idvec_remove(&agg->stacks, id);
	mem_free(agg, s, stack_size(s));
}

/* A new stack holds nothing yet, so it starts on the idle list. */
static int stack_create(struct agg *agg, const struct proc *p, __u32 kind, bool overflow,
			const __u64 *frames, __u16 n, __u32 h, unsigned *res)
{
	struct stack *s;
	int id, err;
	int i;

	/* Two per creation: the idle list shrinks back even while stacks churn. */
	for (i = 0; i < 2 && agg->nidle > STACK_IDLE_MIN && agg->nidle > agg->nactive; i++)
		stack_reclaim_oldest(agg);

	s = mem_alloc(agg, sizeof(*s) + n * sizeof(*frames));
	if (!s)
		return -ENOMEM;
	s->bytes = 0;
	s->count = 0;
	s->hash = h;
	s->gen = p->gen;
	s->tgid = p->tgid;
	s->kind = (__u8)kind;
	s->overflow = overflow;
	s->nframes = n;
	if (n)
		memcpy(s->frames, frames, n * sizeof(*frames));

	/* Index LIVE_STACK_MASK marks empty live slots: stop below it. */
	id = idvec_add(agg, &agg->stacks, s, LIVE_STACK_MASK);
	if (id < 0) {
		err = id;
		goto err_free;
	}
	err = idix_insert(agg, &agg->stack_ix, (__u32)id, h);
	if (err)
		goto err_remove;
	s->id = ++agg->next_stack_id;
	idle_push(agg, (__u32)id, s);
	*res |= AGG_R_NEW_STACK;
	return id;

err_remove:
	idvec_remove(&agg->stacks, (__u32)id);
err_free:
	mem_free(agg, s, stack_size(s));
	return err;
}

HOT __u32 site_slot(__u32 gen, __u32 kind, const struct lt_event *e)
{
	__u64 f0 = e->nframes ? e->frames[0] : 0;

	return (__u32)hash_fmix(f0 ^ ((__u64)gen << 32 | kind << 16 | e->nframes) * GOLDEN) &
	       (SITE_SLOTS - 1);
}

/* The stack a site slot names (the index it holds, checked), or NULL. */
HOT const struct stack *site_stack(const struct agg *agg, __u32 slot, __u32 *id)
{
	*id = agg->site[slot] - 1;
	if (!agg->site[slot] || *id >= agg->stacks.n)
		return NULL;
	return stack_at(agg, *id);
}

/* The stack in e's site slot, if it has e's frames exactly. */
HOT __u32 stack_cached(const struct agg *agg, const struct proc *p, __u32 kind,
		       const struct lt_event *e, __u32 slot)
{
	__u32 id;
	const struct stack *s = site_stack(agg, slot, &id);

	if (!s || s->nframes != e->nframes || s->gen != p->gen || s->kind != kind || s->overflow ||
	    (e->nframes && memcmp(s->frames, e->frames, e->nframes * sizeof(*e->frames))))
		return ID_NONE;
	return id;
}

/*
 * stack_resolve() when the site slot named no stack with e's frames (id is
 * ID_NONE) or one that holds nothing. Past max_stacks, a stack not holding
 * anything already is replaced by one zero-frame overflow stack per (process,
 * kind); idle stacks do not count against the limit.
 */
COLD int stack_resolve_slow(struct agg *agg, const struct proc *p, __u32 kind,
			    const struct lt_event *e, __u32 slot, __u32 id, unsigned *res)
{
	__u32 h = 0;
	int ret;

	/* Not the hot one: then h is set wherever it is used below. */
	if (id == ID_NONE) {
		h = stack_hash(p->gen, kind, false, e->frames, e->nframes);
		id = stack_find(agg, h, p->gen, kind, false, e->frames, e->nframes);
	}
	if (id != ID_NONE && stack_at(agg, id)->count)
		goto found;
	if (!agg->lim.max_stacks || agg->nreal < agg->lim.max_stacks) {
		if (id != ID_NONE)
			goto found;
		ret = stack_create(agg, p, kind, false, e->frames, e->nframes, h, res);
		if (ret >= 0)
			agg->site[slot] = (__u32)ret + 1;
		return ret;
	}
	h = stack_hash(p->gen, kind, true, NULL, 0);
	id = stack_find(agg, h, p->gen, kind, true, NULL, 0);
	if (id == ID_NONE) {
		ret = stack_create(agg, p, kind, true, NULL, 0, h, res);
		if (ret < 0)
			return ret;
		id = (__u32)ret;
	}
	agg->st.stack_overflow++;
	return (int)id;
found:
	agg->site[slot] = id + 1;
	return (int)id;
}

/* The stack a new resource is charged to: its index, or a negative errno. */
HOT int stack_resolve(struct agg *agg, const struct proc *p, __u32 kind, const struct lt_event *e,
		      unsigned *res)
{
	__u32 slot = site_slot(p->gen, kind, e), id = stack_cached(agg, p, kind, e, slot);

	/* Nearly always: the site's stack, holding something already (the slot names it). */
	if (__builtin_expect(id != ID_NONE && stack_at(agg, id)->count, 1))
		return (int)id;
	return stack_resolve_slow(agg, p, kind, e, slot, id, res);
}

/* ---- fd paths: interned, freed with their last fd ---- */

static __u32 path_hash(const char *s, size_t len)
{
	__u64 h = len * GOLDEN;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return (__u32)hash_fmix(h);
}

static const char *path_str(const struct agg *agg, __u32 id1)
{
	return ((const struct path *)agg->paths.v[id1 - 1].p)->s;
}

/* Returns id + 1 of the interned path, or 0 (no path, or no memory for it). */
static __u32 path_get(struct agg *agg, const char *str, size_t len)
{
	const struct idix *ix = &agg->path_ix;
	__u32 h = path_hash(str, len), mask = ix->cap - 1, i;
	struct path *pa;
	int id;

	if (!len)
		return 0;
	for (i = h & mask; ix->n && ix->slots[i].id1; i = (i + 1) & mask) {
		if (ix->slots[i].h != h)
			continue;
		pa = agg->paths.v[ix->slots[i].id1 - 1].p;
		if (!strncmp(pa->s, str, len) && !pa->s[len]) {
			pa->refs++;
			return ix->slots[i].id1;
		}
	}
	pa = mem_alloc(agg, sizeof(*pa) + len + 1);
	if (!pa)
		return 0;
	pa->refs = 1;
	pa->hash = h;
	pa->idle = false;
	memcpy(pa->s, str, len);
	pa->s[len] = '\0';
	id = idvec_add(agg, &agg->paths, pa, INT32_MAX);
	if (id < 0)
		goto err_free;
	if (idix_insert(agg, &agg->path_ix, (__u32)id, h))
		goto err_remove;
	return (__u32)id + 1;

err_remove:
	idvec_remove(&agg->paths, (__u32)id);
err_free:
	mem_free(agg, pa, sizeof(*pa) + len + 1);
	return 0;
}

static void path_free(struct agg *agg, __u32 id1)
{
	struct path *pa = agg->paths.v[id1 - 1].p;

	idix_del(&agg->path_ix, id1 - 1, pa->hash);
	idvec_remove(&agg->paths, id1 - 1);
	mem_free(agg, pa, sizeof(*pa) + strlen(pa->s) + 1);
}

/* Its last fd closed: kept for a while (PATH_IDLE), freed if nothing took it again. */
static void path_put(struct agg *agg, __u32 id1)
{
	__u32 *slot, old;
	struct path *pa;

	if (!id1)
		return;
	pa = agg->paths.v[id1 - 1].p;
	if (--pa->refs || pa->idle)
		return;
	slot = &agg->path_idle[agg->path_idle_next++ % PATH_IDLE];
	old = *slot;
	*slot = id1;
	pa->idle = true;
	if (old) {
		pa = agg->paths.v[old - 1].p;
		pa->idle = false;
		if (!pa->refs)
			path_free(agg, old);
	}
}

static inline __u32 fd_path_id1(const struct live *s)
{
	return (__u32)(live_val(s) >> FD_PATH_SHIFT);
}

/* ---- blocks too big for a live slot's size field ---- */

COLD int big_add(struct agg *agg, struct proc *p, __u64 key, __u64 size)
{
	if (p->nbig == p->big_cap) {
		__u32 cap = p->big_cap ? p->big_cap * 2 : 4;
		struct big_size *big;

		big = mem_realloc(agg, p->big, p->big_cap * sizeof(*big), cap * sizeof(*big));
		if (!big)
			return -ENOMEM;
		p->big = big;
		p->big_cap = cap;
	}
	p->big[p->nbig].key = key;
	p->big[p->nbig].size = size;
	p->nbig++;
	return 0;
}

static __u64 big_find(const struct proc *p, __u64 key, __u32 *at)
{
	__u32 i;

	for (i = 0; i < p->nbig; i++) {
		if (p->big[i].key == key) {
			*at = i;
			return p->big[i].size;
		}
	}
	*at = ID_NONE;
	return LIVE_VAL_MAX;
}

COLD __u64 big_take(struct proc *p, __u64 key)
{
	__u32 at;
	__u64 size = big_find(p, key, &at);

	if (at != ID_NONE)
		p->big[at] = p->big[--p->nbig];
	return size;
}

static __u64 live_bytes(const struct proc *p, __u32 kind, const struct live *s)
{
	__u32 at;

	if (kind != LT_KIND_MEM)
		return 0;
	if (live_val(s) != LIVE_VAL_MAX)
		return live_val(s);
	return big_find(p, s->key, &at);
}

/* ---- accounting of one resource into its stack, process and the totals ---- */

HOT void res_charge(struct agg *agg, struct proc *p, __u32 kind, __u32 stack, __u64 bytes)
{
	p->bytes[kind] += bytes;
	p->count[kind]++;
	agg->st.live++;
	stack_charge(agg, stack, bytes);
}

HOT void res_uncharge(struct agg *agg, struct proc *p, __u32 kind, __u32 stack, __u64 bytes)
{
	p->bytes[kind] -= bytes;
	p->count[kind]--;
	agg->st.live--;
	stack_uncharge(agg, stack, bytes);
}

/* A resource shrank (partial munmap): bytes change, the count does not. */
static void res_shrink(struct agg *agg, struct proc *p, __u32 kind, __u32 stack, __u64 bytes)
{
	p->bytes[kind] -= bytes;
	stack_at(agg, stack)->bytes -= bytes;
}

static void untracked(struct agg *agg, __u64 bytes)
{
	agg->st.untracked++;
	agg->st.untracked_bytes += bytes;
}

static bool tracked_full(const struct agg *agg)
{
	return agg->lim.max_tracked && agg->st.live >= agg->lim.max_tracked;
}

/* Forget one live slot's resource; the caller deletes the slot. */
HOT void live_release(struct agg *agg, struct proc *p, __u32 kind, struct live *s)
{
	__u64 bytes = 0;

	if (kind == LT_KIND_MEM) {
		bytes = live_val(s);
		if (bytes == LIVE_VAL_MAX)
			bytes = big_take(p, s->key);
	} else if (kind == LT_KIND_FD) {
		path_put(agg, fd_path_id1(s));
	}
	res_uncharge(agg, p, kind, live_stack(s), bytes);
}

/* When the resource of e came to be: a held allocation says so itself. */
static __u64 event_born(const struct lt_event *e)
{
	if (e->type == LT_EV_ALLOC && (e->flags & LT_F_HELD) && e->aux <= e->ts_ns)
		return e->aux;
	return e->ts_ns;
}

/*
 * Track resource key of p, replacing an outstanding one with the same key
 * (its release was not seen). Returns the slot, or NULL when not tracked
 * (counted as untracked).
 */
HOT struct live *tab_track_in(struct agg *agg, struct proc *p, __u32 kind,
			     const struct lt_event *e, __u64 key, __u64 bytes, __u64 val,
			     unsigned *res)
{
	struct ltab *t = &p->tab[kind];
	__u64 born = event_born(e);
	/*
	 * Room first, so that one probe finds the key or the empty slot where
	 * it goes (replay, 1M live: one probe of the table fewer per
	 * allocation). A key found live is replaced: the room was not needed
	 * (a table at the 3/4 mark then grows one insert early). At the
	 * tracking limit no room is made: a process gets no table it would
	 * keep empty.
	 */
	bool room = !tracked_full(agg) && !ltab_reserve(agg, t);
	struct live *s = t->cap ? ltab_probe(t, key) : NULL;
	bool big = false;
	int stack;

	if (s && s->meta != LIVE_EMPTY) {
		/*
		 * Made before the resource live at its key: it was released
		 * unseen (a held allocation that another thread freed before
		 * it was sent, the address then reused).
		 */
		if (s->ts > born) {
			agg->st.late_dropped++;
			return NULL;
		}
		live_release(agg, p, kind, s);
		ltab_del_at(t, (__u32)(s - t->slots));
		room = !tracked_full(agg); /* one slot fewer: no growth needed */
		s = ltab_probe(t, key);
	}
	if (!room)
		goto untracked;
	if (kind == LT_KIND_MEM && bytes >= LIVE_VAL_MAX) {
		if (big_add(agg, p, key, bytes))
			goto untracked;
		val = LIVE_VAL_MAX;
		big = true;
	}
	stack = stack_resolve(agg, p, kind, e, res);
	if (stack < 0) {
		if (big)
			big_take(p, key);
		goto untracked;
	}
	s->key = key;
	s->ts = born;
	s->meta = live_meta(val, (__u32)stack);
	t->n++;
	res_charge(agg, p, kind, (__u32)stack, bytes);
	return s;

untracked:
	untracked(agg, bytes);
	return NULL;
}

HOT bool tab_untrack_in(struct agg *agg, struct proc *p, __u32 kind, __u64 key)
{
	struct ltab *t = &p->tab[kind];
	struct live *s = ltab_find(t, key);

	if (!s)
		return false;
	live_release(agg, p, kind, s);
	ltab_del_at(t, (__u32)(s - t->slots));
	ltab_maybe_shrink(agg, t);
	return true;
}

/* tab_track_in() and tab_untrack_in() for everything but the mem path. */
static __attribute__((noinline)) struct live *tab_track(struct agg *agg, struct proc *p, __u32 kind,
							 const struct lt_event *e, __u64 key,
							 __u64 bytes, __u64 val, unsigned *res)
{
	return tab_track_in(agg, p, kind, e, key, bytes, val, res);
}

static __attribute__((noinline)) bool tab_untrack(struct agg *agg, struct proc *p, __u32 kind,
						  __u64 key)
{
	return tab_untrack_in(agg, p, kind, key);
}

static void tab_release_all(struct agg *agg, struct proc *p, __u32 kind)
{
	struct ltab *t = &p->tab[kind];
	__u32 i;

	for (i = 0; i < t->cap; i++)
		if (t->slots[i].meta != LIVE_EMPTY)
			live_release(agg, p, kind, &t->slots[i]);
	ltab_destroy(agg, t);
}

/* ---- mappings: sorted ranges per process ---- */

/* First range ending after a. */
static __u32 maps_lower(const struct proc *p, __u64 a)
{
	__u32 lo = 0, hi = p->nmaps;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (p->maps[mid].end > a)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int maps_reserve(struct agg *agg, struct proc *p)
{
	__u32 cap = p->maps_cap ? p->maps_cap * 2 : 8;
	struct mapr *maps;

	if (p->nmaps < p->maps_cap)
		return 0;
	maps = mem_realloc(agg, p->maps, p->maps_cap * sizeof(*maps), cap * sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	p->maps = maps;
	p->maps_cap = cap;
	return 0;
}

/* Insert a range that overlaps nothing; maps_reserve() made room. */
static void maps_insert(struct agg *agg, struct proc *p, const struct mapr *r)
{
	__u32 i = maps_lower(p, r->start);

	memmove(&p->maps[i + 1], &p->maps[i], (p->nmaps - i) * sizeof(*r));
	p->maps[i] = *r;
	p->nmaps++;
	res_charge(agg, p, LT_KIND_MAP, r->stack, r->end - r->start);
}

static void maps_maybe_shrink(struct agg *agg, struct proc *p)
{
	struct mapr *maps;

	if (p->maps_cap <= 8 || p->nmaps * 4 >= p->maps_cap)
		return;
	maps =
	    mem_realloc(agg, p->maps, p->maps_cap * sizeof(*maps), p->maps_cap / 2 * sizeof(*maps));
	if (!maps)
		return;
	p->maps = maps;
	p->maps_cap /= 2;
}

/*
 * Unmap [a, b) from p's ranges: drop the ones inside, trim the ones that
 * overlap an end, split the one that contains it. Returns whether anything
 * overlapped. A split adds a range: past max_tracked (or without memory) its
 * upper part becomes untracked, and its later munmap an unknown one.
 */
static bool maps_cut(struct agg *agg, struct proc *p, __u64 a, __u64 b)
{
	__u32 i = maps_lower(p, a), j, k;
	struct mapr *r;

	if (a >= b || i == p->nmaps || p->maps[i].start >= b)
		return false;
	r = &p->maps[i];
	if (r->start < a && r->end > b) {
		struct mapr tail = {.start = b, .end = r->end, .ts = r->ts, .stack = r->stack};

		res_shrink(agg, p, LT_KIND_MAP, r->stack, r->end - a);
		r->end = a;
		if (tracked_full(agg) || maps_reserve(agg, p))
			untracked(agg, tail.end - tail.start);
		else
			maps_insert(agg, p, &tail);
		return true;
	}
	for (j = k = i; k < p->nmaps && p->maps[k].start < b; k++) {
		struct mapr m = p->maps[k];

		if (m.start < a) {
			res_shrink(agg, p, LT_KIND_MAP, m.stack, m.end - a);
			m.end = a;
		} else if (m.end > b) {
			res_shrink(agg, p, LT_KIND_MAP, m.stack, b - m.start);
			m.start = b;
		} else {
			res_uncharge(agg, p, LT_KIND_MAP, m.stack, m.end - m.start);
			continue;
		}
		p->maps[j++] = m;
	}
	memmove(&p->maps[j], &p->maps[k], (p->nmaps - k) * sizeof(*r));
	p->nmaps -= k - j;
	maps_maybe_shrink(agg, p);
	return true;
}

static void maps_release_all(struct agg *agg, struct proc *p)
{
	__u32 i;

	for (i = 0; i < p->nmaps; i++)
		res_uncharge(agg, p, LT_KIND_MAP, p->maps[i].stack,
			     p->maps[i].end - p->maps[i].start);
	mem_free(agg, p->maps, p->maps_cap * sizeof(*p->maps));
	p->maps = NULL;
	p->nmaps = p->maps_cap = 0;
}

static __u64 range_end(__u64 addr, __u64 len)
{
	return addr + len < addr ? UINT64_MAX : addr + len;
}

/* Track [start, end) with stack and ts; the range overlaps nothing. */
static void maps_track(struct agg *agg, struct proc *p, struct mapr *r)
{
	if (tracked_full(agg) || maps_reserve(agg, p))
		untracked(agg, r->end - r->start);
	else
		maps_insert(agg, p, r);
}

/* ---- processes ---- */

static int pidx_resize(struct agg *agg, __u32 cap)
{
	__u32 shift = 64 - (__u32)__builtin_ctz(cap), mask = cap - 1, i, j;
	struct pslot *slots;

	slots = mem_calloc(agg, cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (i = 0; i < agg->pcap; i++) {
		if (!agg->pidx[i].p)
			continue;
		for (j = hash_shift(agg->pidx[i].tgid, shift); slots[j].p;)
			j = (j + 1) & mask;
		slots[j] = agg->pidx[i];
	}
	mem_free(agg, agg->pidx, agg->pcap * sizeof(*slots));
	agg->pidx = slots;
	agg->pcap = cap;
	agg->pshift = shift;
	return 0;
}

/* The process at tgid by the index alone (agg->last not looked at). */
static struct proc *proc_index(const struct agg *agg, __u32 tgid)
{
	__u32 mask = agg->pcap - 1, i;

	if (!agg->nprocs)
		return NULL;
	for (i = hash_shift(tgid, agg->pshift); agg->pidx[i].p; i = (i + 1) & mask)
		if (agg->pidx[i].tgid == tgid)
			return agg->pidx[i].p;
	return NULL;
}

static struct proc *proc_lookup(const struct agg *agg, __u32 tgid)
{
	if (agg->last && agg->last->tgid == tgid)
		return agg->last;
	return proc_index(agg, tgid);
}

static struct proc *proc_find(struct agg *agg, __u32 tgid)
{
	struct proc *p = proc_lookup(agg, tgid);

	if (p)
		agg->last = p;
	return p;
}

static struct proc *proc_create(struct agg *agg, __u32 tgid)
{
	__u32 mask, i;
	struct proc *p;

	if ((agg->nprocs + 1) * 2 > agg->pcap && pidx_resize(agg, agg->pcap ? agg->pcap * 2 : 64) &&
	    agg->nprocs + 1 >= agg->pcap)
		return NULL;
	p = mem_calloc(agg, 1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->gen = agg->next_gen++;
	p->loss_gen = agg->loss_gen;
	mask = agg->pcap - 1;
	for (i = hash_shift(tgid, agg->pshift); agg->pidx[i].p;)
		i = (i + 1) & mask;
	agg->pidx[i].tgid = tgid;
	agg->pidx[i].p = p;
	agg->nprocs++;
	agg->last = p;
	return p;
}

/* Everything p holds is gone: stacks and totals are uncharged. */
static void proc_release_all(struct agg *agg, struct proc *p)
{
	tab_release_all(agg, p, LT_KIND_MEM);
	tab_release_all(agg, p, LT_KIND_FD);
	tab_release_all(agg, p, LT_KIND_TIMER);
	maps_release_all(agg, p);
	mem_free(agg, p->big, p->big_cap * sizeof(*p->big));
	p->big = NULL;
	p->nbig = p->big_cap = 0;
}

/* A new process at p's tgid: nothing of the old one is kept. */
static void proc_reset(struct agg *agg, struct proc *p)
{
	proc_release_all(agg, p);
	p->gen = agg->next_gen++;
	p->exited = false;
	p->start = 0;
	p->loss_gen = agg->loss_gen;
	memset(p->comm, 0, sizeof(p->comm));
}

static void proc_destroy(struct agg *agg, struct proc *p)
{
	__u32 mask = agg->pcap - 1, i, j;

	proc_release_all(agg, p);
	for (i = hash_shift(p->tgid, agg->pshift); agg->pidx[i].p != p;)
		i = (i + 1) & mask;
	for (j = i;;) {
		__u32 home;

		j = (j + 1) & mask;
		if (!agg->pidx[j].p)
			break;
		home = hash_shift(agg->pidx[j].tgid, agg->pshift);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			agg->pidx[i] = agg->pidx[j];
			i = j;
		}
	}
	agg->pidx[i].p = NULL;
	agg->nprocs--;
	if (agg->last == p)
		agg->last = NULL;
	mem_free(agg, p, sizeof(*p));
}

/*
 * After lost events, check once per process that its pid still names it: its
 * exit and the fork of a new process at the same pid may both have been lost,
 * and the new one's events must not land on the old one's state.
 */
static void proc_verify(struct agg *agg, struct proc *p, __u64 ts, unsigned *res)
{
	__u64 start, mono = 0;

	if (p->loss_gen == agg->loss_gen)
		return;
	if (!agg->lim.start_of || !p->start || p->exited) {
		p->loss_gen = agg->loss_gen;
		return;
	}
	start = agg->lim.start_of(agg->lim.start_ctx, p->tgid, &mono);
	/*
	 * Started within a tick of the event or after it: not the sender (yet
	 * undecided: asked again at the process's next event).
	 */
	if (start && start != p->start && mono + LT_TICK_NS > ts)
		return;
	p->loss_gen = agg->loss_gen;
	if (!start || start == p->start)
		return;
	proc_reset(agg, p);
	p->start = start;
	agg->st.replaced++;
	*res |= AGG_R_NEW_PROC | AGG_R_REPLACED;
}

/* proc_get()'s uncommon cases, out of line so that the inlined fast path stays small. */
COLD struct proc *proc_get_slow(struct agg *agg, struct proc *p, __u32 tgid, __u64 ts,
				unsigned *res)
{
	if (!p) {
		p = proc_create(agg, tgid);
		if (p)
			*res |= AGG_R_NEW_PROC;
	} else if (p->exited) {
		proc_reset(agg, p);
		*res |= AGG_R_NEW_PROC;
	} else {
		proc_verify(agg, p, ts, res);
	}
	return p;
}

/*
 * The process an event (sent at ts) belongs to: created on its first event,
 * reset when an event arrives for a tgid that exited (the pid was reused) or,
 * after lost events, that proc_verify() finds replaced. (Replay, 10k live:
 * ~20 instructions per event fewer than with all of it in one function.)
 */
HOT struct proc *proc_get(struct agg *agg, __u32 tgid, __u64 ts, unsigned *res)
{
	struct proc *p = agg->last;

	if ((!p || p->tgid != tgid) && (p = proc_index(agg, tgid)))
		agg->last = p;
	/* Nearly always: known, alive, and checked since the last loss. */
	if (__builtin_expect(p && !p->exited && p->loss_gen == agg->loss_gen, 1))
		return p;
	return proc_get_slow(agg, p, tgid, ts, res);
}

static void comm_set(struct proc *p, const char *comm)
{
	size_t len = strnlen(comm, LT_COMM_LEN - 1);

	memcpy(p->comm, comm, len);
	memset(p->comm + len, 0, LT_COMM_LEN - len);
}

/* ---- events ---- */

static struct early_free *early_slot(struct agg *agg, __u32 tgid, __u64 addr)
{
	return &agg->early[hash_fmix(addr ^ (__u64)tgid << 32) & (EARLY_SLOTS - 1)];
}

/* A free of a block not live: counted, and remembered for an allocation sent late. */
COLD void mem_free_unknown(struct agg *agg, struct proc *p, __u64 addr, __u64 ts)
{
	struct early_free *f;

	agg->st.unknown_frees++;
	if (p->early_n != UINT32_MAX)
		p->early_n++;
	f = early_slot(agg, p->tgid, addr);
	f->addr = addr;
	f->ts = ts;
	f->tgid = p->tgid;
	f->used = true;
	f->explained = false;
}

HOT void ev_mem_free(struct agg *agg, struct proc *p, __u64 addr, __u64 ts)
{
	/* free(NULL) is a no-op, not a free of something unknown. */
	if (addr && !tab_untrack_in(agg, p, LT_KIND_MEM, addr))
		mem_free_unknown(agg, p, addr, ts);
}

/*
 * A held allocation (made at born, sent later) that another thread freed
 * before it arrived: that free, counted unknown, is explained now. (One that
 * is older than a block live at its address is dropped by tab_track.)
 */
static bool held_gone(struct agg *agg, struct proc *p, __u64 addr, __u64 born)
{
	struct early_free *f;

	if (!p->early_n)
		return false;
	f = early_slot(agg, p->tgid, addr);
	if (!f->used || f->tgid != p->tgid || f->addr != addr || f->ts < born)
		return false;
	if (!f->explained && agg->st.unknown_frees) {
		f->explained = true;
		agg->st.unknown_frees--;
	}
	agg->st.late_dropped++;
	return true;
}

static void ev_map(struct agg *agg, struct proc *p, const struct lt_event *e, unsigned *res)
{
	struct mapr r = {.start = e->addr, .end = range_end(e->addr, e->size), .ts = e->ts_ns};
	int stack;

	if (!e->size)
		return;
	/* MAP_FIXED over a mapping replaces it: the old one is not leaked. */
	maps_cut(agg, p, r.start, r.end);
	if (tracked_full(agg) || maps_reserve(agg, p)) {
		untracked(agg, r.end - r.start);
		return;
	}
	stack = stack_resolve(agg, p, LT_KIND_MAP, e, res);
	if (stack < 0) {
		untracked(agg, r.end - r.start);
		return;
	}
	r.stack = (__u32)stack;
	maps_insert(agg, p, &r);
}

/*
 * Unmapping what we never tracked is normal (private file mappings are not
 * tracked, munmap of an unmapped range is legal): not an unknown free.
 */
static void ev_unmap(struct agg *agg, struct proc *p, const struct lt_event *e)
{
	if (e->size)
		maps_cut(agg, p, e->addr, range_end(e->addr, e->size));
}

/*
 * mremap keeps the stack and age of the mapping at old_addr. A successful
 * mremap means all of the old range was mapped and is not any more (it moved
 * or became part of the new range), whether we knew all of it or not. A move
 * of a mapping we never saw stays untracked, like the mapping was.
 */
static void ev_mremap(struct agg *agg, struct proc *p, const struct lt_event *e)
{
	__u32 i = maps_lower(p, e->old_addr);
	struct mapr r = {.start = e->addr, .end = range_end(e->addr, e->size)};
	bool known = i < p->nmaps && p->maps[i].start <= e->old_addr;

	if (known) {
		r.stack = p->maps[i].stack;
		r.ts = p->maps[i].ts;
	}
	/* The stack may drop to idle here; nothing recycles it before
	 * maps_track() charges it again.
	 */
	maps_cut(agg, p, e->old_addr, range_end(e->old_addr, e->aux));
	if (!known) {
		/* It was not ours to track (made before tracing, or a private file mapping). */
		maps_cut(agg, p, r.start, r.end);
		return;
	}
	maps_cut(agg, p, r.start, r.end);
	if (e->size)
		maps_track(agg, p, &r);
}

/* The path of an FD_OPEN: in the syscall extra when there is one, else after the frames. */
static const char *fd_event_path(const struct lt_event *e, size_t len, size_t *plen)
{
	size_t off = sizeof(*e) + e->nframes * sizeof(e->frames[0]), max;

	if (e->flags & LT_F_SYS_EXTRA) {
		off = LT_SYS_EXTRA_OFF + offsetof(struct lt_sys_extra, path);
		if (len < LT_SYS_STACK_OFF) /* the path is whole in any record that has one */
			off = len;
	}
	*plen = 0;
	if (len <= off)
		return NULL;
	max = len - off < LT_PATH_LEN ? len - off : LT_PATH_LEN;
	*plen = strnlen((const char *)e + off, max);
	if (*plen > LT_PATH_LEN - 1)
		*plen = LT_PATH_LEN - 1;
	return (const char *)e + off;
}

static void ev_fd_open(struct agg *agg, struct proc *p, const struct lt_event *e, size_t len,
		       __u64 fd, unsigned *res)
{
	__u64 kind = e->aux & 0xff, val;
	__u32 path1 = 0;
	const char *path;
	struct live *s;
	size_t plen;

	if (kind >= LT_FD__MAX)
		kind = LT_FD_UNKNOWN;
	path = fd_event_path(e, len, &plen);
	/* A duplicate is what its source is, when we know the source. */
	if (e->flags & LT_F_DUP) {
		s = ltab_find(&p->tab[LT_KIND_FD], e->old_addr);
		if (s) {
			kind = live_val(s) & FD_KIND_MASK;
			if (fd_path_id1(s)) {
				path = path_str(agg, fd_path_id1(s));
				plen = strlen(path);
			}
		}
	}
	if (path)
		path1 = path_get(agg, path, plen);
	val = kind | (e->flags & LT_F_CLOEXEC ? FD_CLOEXEC_BIT : 0);
	s = tab_track(agg, p, LT_KIND_FD, e, fd, 0, val, res);
	if (!s) {
		path_put(agg, path1);
		return;
	}
	val |= (__u64)path1 << FD_PATH_SHIFT;
	s->meta = live_meta(val, live_stack(s));
}

static void fd_set_cloexec(struct live *s, bool on)
{
	__u64 val = live_val(s);

	val = on ? val | FD_CLOEXEC_BIT : val & ~FD_CLOEXEC_BIT;
	s->meta = live_meta(val, live_stack(s));
}

enum fd_sweep {
	FD_SWEEP_CLOSE,	     /* close_range() */
	FD_SWEEP_MARK,	     /* close_range(CLOSE_RANGE_CLOEXEC) */
	FD_SWEEP_CLOSE_EXEC, /* exec: close the fds marked cloexec */
};

/* Apply how to every tracked fd in [first, last]: by lookups when the range
 * is narrower than the table, else by one pass over the table.
 */
static void fd_sweep(struct agg *agg, struct proc *p, __u64 first, __u64 last, enum fd_sweep how)
{
	struct ltab *t = &p->tab[LT_KIND_FD];
	__u32 mask = t->cap - 1, i, k;
	struct live *s;
	__u64 fd;

	if (!t->n || last < first)
		return;
	if (how != FD_SWEEP_CLOSE_EXEC && last - first < t->cap) {
		for (fd = first;; fd++) {
			s = ltab_find(t, fd);
			if (s && how == FD_SWEEP_MARK) {
				fd_set_cloexec(s, true);
			} else if (s) {
				live_release(agg, p, LT_KIND_FD, s);
				ltab_del_at(t, (__u32)(s - t->slots));
			}
			if (fd == last)
				break;
		}
		ltab_maybe_shrink(agg, t);
		return;
	}
	/* Starting after an empty slot, no probe run wraps behind the scan, so
	 * the entry a deletion shifts into slot i is one not yet seen.
	 */
	i = ltab_empty_slot(t);
	for (k = 0, i = (i + 1) & mask; k < t->cap;) {
		s = &t->slots[i];
		if (s->meta != LIVE_EMPTY && s->key >= first && s->key <= last) {
			if (how == FD_SWEEP_MARK) {
				fd_set_cloexec(s, true);
			} else if (how == FD_SWEEP_CLOSE || (live_val(s) & FD_CLOEXEC_BIT)) {
				live_release(agg, p, LT_KIND_FD, s);
				ltab_del_at(t, i);
				continue;
			}
		}
		k++;
		i = (i + 1) & mask;
	}
	ltab_maybe_shrink(agg, t);
}

static void ev_fd_cloexec(struct proc *p, const struct lt_event *e)
{
	struct live *s = ltab_find(&p->tab[LT_KIND_FD], e->addr);

	if (s)
		fd_set_cloexec(s, e->aux != 0);
}

static unsigned ev_fork(struct agg *agg, const struct lt_event *e)
{
	unsigned res = 0;
	struct proc *child;

	proc_get(agg, e->tgid, e->ts_ns, &res); /* a parent seen first here exists from now on */
	child = proc_find(agg, (__u32)e->aux);
	if (child)
		proc_reset(agg, child); /* pid reuse: we missed the old one's exit */
	else
		child = proc_create(agg, (__u32)e->aux);
	if (!child)
		return res;
	comm_set(child, e->comm);
	child->start = e->size / LT_TICK_NS;
	return res | AGG_R_NEW_PROC;
}

static void ev_exec(struct agg *agg, struct proc *p, const struct lt_event *e)
{
	tab_release_all(agg, p, LT_KIND_MEM);
	tab_release_all(agg, p, LT_KIND_TIMER);
	maps_release_all(agg, p);
	fd_sweep(agg, p, 0, UINT64_MAX, FD_SWEEP_CLOSE_EXEC);
	/* Surviving fds keep their old-image stacks; new ones get new stacks. */
	p->gen = agg->next_gen++;
	comm_set(p, e->comm);
}

static unsigned ev_exit(struct agg *agg, const struct lt_event *e)
{
	unsigned res = AGG_R_EXIT;
	struct proc *p = proc_find(agg, e->tgid);
	struct gone *g = gone_slot(agg, e->tgid);

	g->tgid = e->tgid;
	g->ts = e->ts_ns;
	g->used = true;
	/* A process we never saw holds nothing: do not create it just to drop it. */
	if (!p)
		return res;
	/*
	 * Exited already: two threads of an exit_group can both see the group
	 * gone; and a new process at this pid that sent no event has nothing to
	 * drop. Either way the state kept (-c) stays.
	 */
	if (p->exited)
		return res;
	if (agg->lim.keep_exited) {
		p->exited = true;
		p->exit_ts = e->ts_ns;
	} else {
		proc_destroy(agg, p);
	}
	return res;
}

/*
 * A held allocation made before its process's exit, sent after it (by its
 * thread's own exit): kept with the exited process's state (-c), else
 * dropped with the process. Returns true if it was handled here.
 */
static bool held_after_exit(struct agg *agg, const struct lt_event *e, unsigned *res)
{
	const struct gone *g = gone_slot(agg, e->tgid);
	struct proc *p = proc_find(agg, e->tgid);
	__u64 born = event_born(e);

	if (p && p->exited && born <= p->exit_ts) {
		if (!held_gone(agg, p, e->addr, born))
			tab_track(agg, p, LT_KIND_MEM, e, e->addr, e->size, e->size, res);
		return true;
	}
	if (g->used && g->tgid == e->tgid && born <= g->ts) {
		/* -c: a process known only by this record keeps it, as exited. */
		if (agg->lim.keep_exited && !p && (p = proc_create(agg, e->tgid))) {
			*res |= AGG_R_NEW_PROC;
			p->exited = true;
			p->exit_ts = g->ts;
			tab_track(agg, p, LT_KIND_MEM, e, e->addr, e->size, e->size, res);
			return true;
		}
		agg->st.late_dropped++;
		return true;
	}
	return false;
}

static bool event_valid(const struct lt_event *e, size_t len)
{
	return e && len >= sizeof(*e) && e->nframes <= LT_MAX_FRAMES &&
	       len >= sizeof(*e) + e->nframes * sizeof(e->frames[0]) && e->type > 0 &&
	       e->type < LT_EV__MAX;
}

/*
 * A loss was seen (flagged on e, or still pending): bump loss_gen, at most once a
 * second of event time, so that each process's pid is checked again.
 */
static void loss_note(struct agg *agg, const struct lt_event *e)
{
	if (e->flags & LT_F_AFTER_LOSS)
		agg->loss_pending = true;
	if (agg->loss_pending &&
	    (!agg->loss_gen || (__s64)(e->ts_ns - agg->loss_gen_ts) >= (__s64)AGG_LOSS_CHECK_NS)) {
		agg->loss_gen++;
		agg->loss_gen_ts = e->ts_ns;
		agg->loss_pending = false;
	}
}

unsigned agg__on_event(struct agg *agg, const struct lt_event *e, size_t len)
{
	unsigned res = 0;
	struct proc *p;

	agg->st.events++;
	if (!event_valid(e, len)) {
		agg->st.bad_events++;
		return 0;
	}
	/*
	 * At most once a second of event time: under a sustained overload nearly
	 * every event follows a loss, and a /proc read per process per event would
	 * slow the consumer into losing more. A replacement in between is found at
	 * the next check; what landed on the old state meanwhile goes with it.
	 */
	if (__builtin_expect((e->flags & LT_F_AFTER_LOSS) || agg->loss_pending, 0))
		loss_note(agg, e);
	if (e->type == LT_EV_FORK)
		return ev_fork(agg, e);
	if (e->type == LT_EV_EXIT)
		return ev_exit(agg, e);

	if (e->type == LT_EV_ALLOC && (e->flags & LT_F_HELD) && held_after_exit(agg, e, &res))
		return res;
	p = proc_get(agg, e->tgid, e->ts_ns, &res);
	if (!p) {
		if (e->type == LT_EV_ALLOC || e->type == LT_EV_REALLOC || e->type == LT_EV_MAP)
			untracked(agg, e->size);
		else if (e->type == LT_EV_FD_OPEN || e->type == LT_EV_TIMER_CREATE)
			untracked(agg, 0);
		return res;
	}

	switch (e->type) {
	case LT_EV_ALLOC:
		if ((e->flags & LT_F_HELD) && held_gone(agg, p, e->addr, event_born(e)))
			break;
		tab_track_in(agg, p, LT_KIND_MEM, e, e->addr, e->size, e->size, &res);
		break;
	case LT_EV_FREE:
		ev_mem_free(agg, p, e->addr, e->ts_ns);
		break;
	case LT_EV_REALLOC:
		ev_mem_free(agg, p, e->old_addr, e->ts_ns);
		tab_track(agg, p, LT_KIND_MEM, e, e->addr, e->size, e->size, &res);
		break;
	case LT_EV_EXEC:
		ev_exec(agg, p, e);
		res |= AGG_R_EXEC;
		break;
	case LT_EV_MAP:
		ev_map(agg, p, e, &res);
		break;
	case LT_EV_UNMAP:
		ev_unmap(agg, p, e);
		break;
	case LT_EV_MREMAP:
		ev_mremap(agg, p, e);
		break;
	case LT_EV_FD_OPEN:
		ev_fd_open(agg, p, e, len, e->addr, &res);
		if (e->flags & LT_F_PAIR) /* pipe, socketpair: the second fd, same stack */
			ev_fd_open(agg, p, e, len, e->old_addr, &res);
		break;
	case LT_EV_FD_CLOSE:
		if (!tab_untrack(agg, p, LT_KIND_FD, e->addr))
			agg->st.unknown_frees++;
		break;
	case LT_EV_FD_CLOSE_RANGE:
		fd_sweep(agg, p, e->addr, e->size,
			 e->aux & CLOSE_RANGE_CLOEXEC ? FD_SWEEP_MARK : FD_SWEEP_CLOSE);
		break;
	case LT_EV_FD_CLOEXEC:
		ev_fd_cloexec(p, e);
		break;
	case LT_EV_TIMER_CREATE:
		tab_track(agg, p, LT_KIND_TIMER, e, e->addr, 0, 0, &res);
		break;
	case LT_EV_RSS:
		p->rss = e->size;
		break;
	case LT_EV_TIMER_DELETE:
		if (!tab_untrack(agg, p, LT_KIND_TIMER, e->addr))
			agg->st.unknown_frees++;
		break;
	default: /* LT_EV_EXEC_MAP: for the symbolizer; it only makes the process known */
		break;
	}
	return res;
}

/*
 * The live-table slots an allocator record will look at: in a table of a
 * million blocks they are cache misses, and loading them while the records
 * before it are handled hides most of that (replay benchmark, before the site
 * table: 140 -> 113 ns per event with the home slot's line). Several lines: a
 * probe for an absent key and a free's backward shift run on to an empty
 * slot, past the end of the home slot's line more often than not (slots are
 * 24 bytes; a cluster at half load is a few slots long). Replay, 1M live,
 * ns/event with 1, 2, 3, 4, 6 lines loaded: 100, 80, 76, 75, 77. Only reads;
 * a record that turns out not to need them costs wasted loads.
 */
#define LIVE_PREFETCH_LINES 4

void agg__prefetch(const struct agg *agg, const struct lt_event *e, size_t len)
{
	const struct ltab *t;
	const struct proc *p;
	__u64 key;

	if (!e || len < sizeof(*e))
		return;
	if (e->type == LT_EV_ALLOC || e->type == LT_EV_FREE)
		key = e->addr;
	else if (e->type == LT_EV_REALLOC)
		key = e->old_addr ? e->old_addr : e->addr;
	else
		return;
	p = proc_lookup(agg, e->tgid);
	if (!p)
		return;
	t = &p->tab[LT_KIND_MEM];
	if (t->cap) {
		/* Integers: the last lines may lie past the table (a prefetch never faults). */
		uintptr_t slot = (uintptr_t)&t->slots[hash_shift(key, t->shift)];
		int i;

		for (i = 0; i < LIVE_PREFETCH_LINES; i++)
			__builtin_prefetch((const void *)(slot + i * 64));
	}
	/* An allocation's stack, if its site slot names one: its header and first frames. */
	if (e->type != LT_EV_FREE && e->nframes <= LT_MAX_FRAMES &&
	    len >= sizeof(*e) + e->nframes * sizeof(e->frames[0])) {
		__u32 id;
		const char *s = (const char *)site_stack(agg, site_slot(p->gen, LT_KIND_MEM, e), &id);

		if (s) {
			__builtin_prefetch(s);
			__builtin_prefetch(s + 64);
			__builtin_prefetch(s + 128);
		}
	}
}

bool agg__prefetch_useful(const struct agg *agg)
{
	return agg->st.live >= AGG_PREFETCH_MIN_LIVE;
}

/* ---- life of the aggregator ---- */

struct agg *agg__new(const struct agg_limits *limits)
{
	struct agg *agg = calloc(1, sizeof(*agg));

	if (!agg)
		return NULL;
	if (limits)
		agg->lim = *limits;
	agg->mem = sizeof(*agg);
	agg->next_gen = 1;
	agg->idle_head = agg->idle_tail = ID_NONE;
	agg->stacks.free_head = ID_NONE;
	agg->paths.free_head = ID_NONE;
	return agg;
}

void agg__free(struct agg *agg)
{
	__u32 i, k;

	if (!agg)
		return;
	/* Tables and strings are freed directly: no need to uncharge anything. */
	for (i = 0; i < agg->pcap; i++) {
		struct proc *p = agg->pidx[i].p;

		if (!p)
			continue;
		for (k = 0; k < LT_KIND__MAX; k++) /* the map kind has none: cap 0 */
			ltab_free(agg, p->tab[k].slots, p->tab[k].cap);
		free(p->maps);
		free(p->big);
		free(p);
	}
	for (i = 0; i < agg->stacks.n; i++)
		free(agg->stacks.v[i].p);
	for (i = 0; i < agg->paths.n; i++)
		free(agg->paths.v[i].p);
	free(agg->pidx);
	free(agg->stacks.v);
	free(agg->stack_ix.slots);
	free(agg->paths.v);
	free(agg->path_ix.slots);
	free(agg);
}

void agg__set_comm(struct agg *agg, __u32 tgid, const char *comm)
{
	struct proc *p = proc_find(agg, tgid);

	if (!comm)
		return;
	if (!p)
		p = proc_create(agg, tgid);
	if (p)
		comm_set(p, comm);
}

void agg__set_start(struct agg *agg, __u32 tgid, __u64 start)
{
	struct proc *p = proc_find(agg, tgid);

	if (p && start)
		p->start = start;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

size_t agg__reconcile_fds(struct agg *agg, __u32 tgid, const int *open_fds, size_t n)
{
	struct proc *p = proc_find(agg, tgid);
	struct ltab *t;
	__u64 *gone;
	size_t ngone = 0, i;
	int fd;

	if (!p || p->exited || !p->tab[LT_KIND_FD].n)
		return 0;
	t = &p->tab[LT_KIND_FD];
	/* Collect first: deleting reorders the table under a walk. */
	gone = malloc(t->n * sizeof(*gone));
	if (!gone)
		return 0;
	for (i = 0; i < t->cap; i++) {
		if (t->slots[i].meta == LIVE_EMPTY)
			continue;
		fd = (int)t->slots[i].key;
		if (!n || !bsearch(&fd, open_fds, n, sizeof(*open_fds), cmp_int))
			gone[ngone++] = t->slots[i].key;
	}
	for (i = 0; i < ngone; i++)
		tab_untrack(agg, p, LT_KIND_FD, gone[i]);
	agg->st.reconciled += ngone;
	free(gone);
	return ngone;
}

void agg__drop_proc(struct agg *agg, __u32 tgid)
{
	struct proc *p = proc_find(agg, tgid);

	if (p && p->exited)
		proc_destroy(agg, p);
}

void agg__stats(const struct agg *agg, struct agg_stats *st)
{
	*st = agg->st;
	st->stacks = agg->nactive;
	st->procs = agg->nprocs;
}

size_t agg__mem_bytes(const struct agg *agg)
{
	return agg->mem;
}

/* ---- queries ---- */

/* Per stack, what is older than min_age; built by one pass at report time. */
struct stack_acc {
	__u64 bytes, count, oldest;
	__u32 fd_kinds[LT_FD__MAX];
	__u32 paths[AGG_MAX_PATHS]; /* path ids + 1 */
	__u32 npaths;
};

struct acc_scan {
	struct stack_acc *acc;
	__u64 now, min_age;
	__u64 since; /* only resources created at or after this (0: all) */
};

static bool acc_old_enough(const struct acc_scan *sc, __u64 ts)
{
	if (ts < sc->since)
		return false;
	return !sc->min_age || (sc->now >= sc->min_age && ts <= sc->now - sc->min_age);
}

static void acc_add(struct stack_acc *a, __u64 bytes, __u64 ts)
{
	if (!a->count || ts < a->oldest)
		a->oldest = ts;
	a->count++;
	a->bytes += bytes;
}

static void acc_fd(struct stack_acc *a, const struct live *s)
{
	__u32 id1 = fd_path_id1(s), i;

	a->fd_kinds[live_val(s) & FD_KIND_MASK]++;
	if (!id1 || a->npaths == AGG_MAX_PATHS)
		return;
	for (i = 0; i < a->npaths; i++)
		if (a->paths[i] == id1)
			return;
	a->paths[a->npaths++] = id1;
}

static void acc_scan_proc(const struct acc_scan *sc, const struct proc *p, unsigned kinds_mask)
{
	__u32 kind, i;

	for (kind = 0; kind < LT_KIND__MAX; kind++) {
		const struct ltab *t = &p->tab[kind];

		if (!(kinds_mask & (1u << kind)) || kind == LT_KIND_MAP)
			continue;
		for (i = 0; i < t->cap; i++) {
			const struct live *s = &t->slots[i];
			struct stack_acc *a;

			if (s->meta == LIVE_EMPTY || !acc_old_enough(sc, s->ts))
				continue;
			a = &sc->acc[live_stack(s)];
			acc_add(a, live_bytes(p, kind, s), s->ts);
			if (kind == LT_KIND_FD)
				acc_fd(a, s);
		}
	}
	if (!(kinds_mask & (1u << LT_KIND_MAP)))
		return;
	for (i = 0; i < p->nmaps; i++) {
		const struct mapr *r = &p->maps[i];

		if (acc_old_enough(sc, r->ts))
			acc_add(&sc->acc[r->stack], r->end - r->start, r->ts);
	}
}

struct rank {
	__u64 value;
	__u32 stack_id;
	__u32 idx;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static void stack_info_fill(const struct agg *agg, const struct stack *s, const struct stack_acc *a,
			    struct agg_stack_info *info)
{
	__u32 i;

	memset(info, 0, sizeof(*info));
	info->stack_id = s->id;
	info->tgid = s->tgid;
	info->kind = s->kind;
	info->bytes = a->bytes;
	info->count = a->count;
	info->oldest_ts = a->oldest;
	memcpy(info->fd_kinds, a->fd_kinds, sizeof(info->fd_kinds));
	for (i = 0; i < a->npaths; i++)
		info->paths[i] = path_str(agg, a->paths[i]);
	info->npaths = (int)a->npaths;
	info->nframes = s->nframes;
	info->frames = s->frames;
}

/* Top stacks over every process (tgid 0) or one, of what sc lets through. */
static int top_stacks(struct agg *agg, struct acc_scan sc, __u32 tgid, unsigned kinds_mask,
		      size_t top_n, struct agg_stack_info **out, size_t *n)
{
	struct agg_stack_info *infos = NULL;
	struct rank *ranks = NULL;
	size_t ninfos = 0, nranks, take, r;
	__u32 kind, i;
	int err = 0;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	if (!agg->stacks.n)
		return 0;
	sc.acc = calloc(agg->stacks.n, sizeof(*sc.acc));
	ranks = calloc(agg->stacks.n, sizeof(*ranks));
	infos = calloc(agg->stacks.n, sizeof(*infos));
	if (!sc.acc || !ranks || !infos) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < agg->pcap; i++)
		if (agg->pidx[i].p && (!tgid || agg->pidx[i].p->tgid == tgid))
			acc_scan_proc(&sc, agg->pidx[i].p, kinds_mask);

	for (kind = 0; kind < LT_KIND__MAX; kind++) {
		bool by_bytes = kind == LT_KIND_MEM || kind == LT_KIND_MAP;

		if (!(kinds_mask & (1u << kind)))
			continue;
		for (nranks = 0, i = 0; i < agg->stacks.n; i++) {
			const struct stack *s = stack_at(agg, i);

			if (!s || s->kind != kind || !sc.acc[i].count)
				continue;
			ranks[nranks].value = by_bytes ? sc.acc[i].bytes : sc.acc[i].count;
			ranks[nranks].stack_id = s->id;
			ranks[nranks].idx = i;
			nranks++;
		}
		qsort(ranks, nranks, sizeof(*ranks), rank_cmp);
		take = top_n && top_n < nranks ? top_n : nranks;
		for (r = 0; r < take; r++)
			stack_info_fill(agg, stack_at(agg, ranks[r].idx), &sc.acc[ranks[r].idx],
					&infos[ninfos++]);
	}
	if (ninfos) {
		*out = infos;
		*n = ninfos;
		infos = NULL;
	}
out:
	free(infos);
	free(ranks);
	free(sc.acc);
	return err;
}

int agg__top_stacks(struct agg *agg, __u64 now_ns, __u64 min_age_ns, unsigned kinds_mask,
		    size_t top_n, struct agg_stack_info **out, size_t *n)
{
	struct acc_scan sc = {.now = now_ns, .min_age = min_age_ns};

	return top_stacks(agg, sc, 0, kinds_mask, top_n, out, n);
}

int agg__top_stacks_since(struct agg *agg, __u32 tgid, __u64 since_ns, unsigned kinds_mask,
			  size_t top_n, struct agg_stack_info **out, size_t *n)
{
	struct acc_scan sc = {.since = since_ns ? since_ns : 1};

	if (!tgid)
		return -EINVAL;
	return top_stacks(agg, sc, tgid, kinds_mask, top_n, out, n);
}

static int proc_info_cmp(const void *a, const void *b)
{
	const struct agg_proc_info *x = a, *y = b;

	if (x->mem_bytes != y->mem_bytes)
		return x->mem_bytes > y->mem_bytes ? -1 : 1;
	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

int agg__procs(struct agg *agg, struct agg_proc_info **out, size_t *n)
{
	struct agg_proc_info *infos;
	size_t k = 0;
	__u32 i;

	if (!out || !n)
		return -EINVAL;
	*out = NULL;
	*n = 0;
	if (!agg->nprocs)
		return 0;
	infos = calloc(agg->nprocs, sizeof(*infos));
	if (!infos)
		return -ENOMEM;
	for (i = 0; i < agg->pcap; i++) {
		const struct proc *p = agg->pidx[i].p;
		struct agg_proc_info *info = &infos[k];

		if (!p)
			continue;
		info->tgid = p->tgid;
		memcpy(info->comm, p->comm, sizeof(info->comm));
		info->exited = p->exited;
		info->mem_bytes = p->bytes[LT_KIND_MEM];
		info->mem_count = p->count[LT_KIND_MEM];
		info->map_bytes = p->bytes[LT_KIND_MAP];
		info->map_count = p->count[LT_KIND_MAP];
		info->fds = p->count[LT_KIND_FD];
		info->timers = p->count[LT_KIND_TIMER];
		info->rss = p->rss;
		k++;
	}
	qsort(infos, k, sizeof(*infos), proc_info_cmp);
	*out = infos;
	*n = k;
	return 0;
}
