// SPDX-License-Identifier: GPL-2.0
/*
 * leaktrace.bpf.c - the probes: allocator uprobes, process lifecycle.
 *
 * Owns: turning allocator calls and lifecycle tracepoints into compact
 * struct lt_event records on the ring buffer, and counting every record it
 * could not write. Must not: aggregate (user space does), or block/slow a
 * traced thread beyond the unavoidable trap.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "leaktrace.h"

char LICENSE[] SEC("license") = "GPL";

#define SIGSTOP 19
#define PROT_EXEC 0x4

/* Set by user space between open and load. */
const volatile bool filter_pids = false;  /* only tgids in the pids map */
const volatile bool follow_forks = false; /* children of filtered tgids join the filter */
const volatile bool stop_on_exec_map = false; /* -c: hold filtered tgids at exec mmaps */
const volatile bool watch_exec_maps = true;   /* report exec mmaps (new allocator objects) */
const volatile __u32 max_frames = LT_MAX_FRAMES;
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the consumer past this much data in a ring */
const volatile bool probe_floor = false;     /* benchmark: programs do nothing */
const volatile bool hold_allocs = true;      /* hold a thread's last ALLOC back (struct inflight) */
const volatile bool trace_rss = false;        /* kmem/rss_stat: the rss map is in use */

/* The allocator functions; fn ids in struct inflight. */
enum lt_fn {
	FN_MALLOC = 1,
	FN_CALLOC,
	FN_REALLOC,
	FN_REALLOCARRAY,
	FN_POSIX_MEMALIGN,
	FN_ALIGNED_ALLOC,
	FN_MEMALIGN,
	FN_VALLOC,
	FN_PVALLOC,
};

/* Arguments of an allocator call in flight, kept from entry to return. */
struct inflight {
	__u64 sp;     /* stack pointer at entry: tells nested and stale calls apart */
	__u64 size;   /* bytes requested */
	__u64 old;    /* realloc: old block */
	__u64 memptr; /* posix_memalign: where the result is stored */
	__u32 fn;
	__u32 free_gen; /* free_gen of the held block's address when it was made */
	/*
	 * The thread's last allocation, held back: if the thread frees it
	 * before its next allocation, neither event is sent (most blocks die
	 * young, and a malloc/free pair then costs the traps and a stack walk,
	 * not two records). Sent when anything else could depend on it: the
	 * thread's next allocation, its switch off the CPU, exec, exit, a
	 * free of its address after another thread's (free_gen), and a tick
	 * on its CPU (on_tick) if it does none of these for long.
	 * held: 0 or 1, taken with an exchange (a program that finds it 1
	 * and swaps in 0 owns the record); only the thread writes rec.
	 */
	__u64 held;
	__u64 rec[(sizeof(struct lt_event) + LT_MAX_FRAMES * sizeof(__u64)) / sizeof(__u64)];
};

/*
 * One ring buffer per CPU (user space merges them by ts_ns): a shared ring
 * made every CPU take its lock and write its producer position per event.
 * The inner maps are made and sized by user space (--ringbuf-size).
 */
struct rb_inner {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* user space makes the array itself (tracer.c ring_start) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* user space: the number of possible CPUs */
	__type(key, __u32);
	__array(values, struct rb_inner);
} rings SEC(".maps");

/*
 * The allocator call a thread is in, kept in the thread's own storage: no hash
 * to compute, no bucket lock, nothing to delete at return (fn = 0 marks it
 * done), and the kernel frees it with the thread. A tid-keyed hash cost five
 * map operations per malloc/free pair, a fifth of leaktrace's cost over the
 * bare traps here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct inflight);
} inflight SEC(".maps");

/*
 * The calling thread's slot. It is created only for threads of processes we
 * trace, and a traced process stays traced until it exits: a thread that has
 * one needs no look-up in pids.
 */
static __always_inline struct inflight *thread_slot(__u64 flags)
{
	return bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, flags);
}

/* The calling thread's in-flight allocator call, or NULL if there is none. */
static __always_inline struct inflight *inflight_get(void)
{
	struct inflight *cur = thread_slot(0);

	return cur && cur->fn ? cur : NULL;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} pids SEC(".maps");

/* Executable files user space has looked at: their mappings need no event. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct lt_obj_key);
	__type(value, __u8);
} objs_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct rss_state {
	__s64 member[4]; /* MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES, in bytes */
	__s64 sent;      /* RSS last reported */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, struct rss_state);
} rss SEC(".maps");

/* One event being built per CPU: the record is variable-length (frames). */
struct scratch {
	__u8 buf[LT_SYS_EVENT_LEN];
	/* Never written: lets the verifier see a stack read split at a page end fit (sys_extra). */
	__u8 slack[LT_STACK_WORDS * sizeof(__u64)];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1;
}

/*
 * The tracer itself: never traced. Its own syscalls (and mallocs, in a build
 * without its own allocator: Makefile, MALLOC_LIB) while it handles events
 * would make events of their own, and under load a loop that fed on itself
 * (most of the ring was the tracer's).
 */
const volatile __u32 self_tgid = 0;

static __always_inline bool want_tgid(__u32 tgid)
{
	if (tgid == self_tgid)
		return false;
	if (!filter_pids)
		return true;
	return bpf_map_lookup_elem(&pids, &tgid) != NULL;
}

static __always_inline struct lt_event *event_new(__u32 type)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_event *e;

	if (!s)
		return NULL;
	e = (struct lt_event *)s->buf;
	e->type = type;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->nframes = 0;
	e->flags = 0;
	e->addr = 0;
	e->old_addr = 0;
	e->size = 0;
	e->aux = 0;
	return e;
}

#define USER_TOP 0x7ffffffff000ULL /* canonical user addresses lie below */
#define STACK_SPAN (8ULL << 20)    /* frames lie within this much above sp */

/*
 * The user stack into e->frames: frames[0] = ip, then the frame-pointer chain
 * from bp. Walked here rather than by bpf_get_stack() so that every frame is
 * checked: a frame pointer must lie on the stack above sp and grow, a return
 * address must be a user address. Code without frame pointers keeps data in
 * %rbp; unchecked, the walk turns it into frames that differ per call and
 * split one call site into thousands of stacks.
 * At a uretprobe the kernel has put the original return address back in ip,
 * so frames[0] is the allocator's caller even in code without frame pointers.
 */
/* Stack memory read for the walk: one read covers several frames. */
#define WALK_WORDS 128 /* 1 KiB */

struct walkbuf {
	__u64 w[WALK_WORDS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walkbuf);
} walkbuf SEC(".maps");

/*
 * buf holds the stack memory from base, len bytes: the walk buffer, or at a
 * syscall the sample the record carries (read already: frames inside it need
 * no second read, ~40 ns per syscall event).
 */
struct walk {
	struct lt_event *e;
	struct walkbuf *wb;
	const __u64 *buf;
	__u64 sp, bp, base, len;
	__u32 max, n;
};

/* Frame i from the frame pointer w->bp; non-zero: the walk ends. */
static __always_inline long walk_step(__u32 i, struct walk *w)
{
	__u64 bp = w->bp, next, ret;
	__u32 off;

	if (i >= w->max || i >= LT_MAX_FRAMES || bp < w->sp || bp >= w->sp + STACK_SPAN || (bp & 7))
		return 1;
	/*
	 * Each read of user memory costs more than the walk: read a KiB from
	 * this frame up and walk the frames that lie inside it. Near the top of
	 * the stack a KiB may cross into unmapped memory: then read this frame.
	 */
	if (bp < w->base || bp + 16 > w->base + w->len) {
		w->buf = w->wb->w;
		w->base = bp;
		w->len = sizeof(w->wb->w);
		if (bpf_probe_read_user(w->wb->w, sizeof(w->wb->w), (void *)bp)) {
			w->len = 16;
			if (bpf_probe_read_user(w->wb->w, 16, (void *)bp))
				return 1;
		}
	}
	off = (bp - w->base) / 8;
	if (off > WALK_WORDS - 2)
		return 1;
	/* Masks the verifier can see (the optimiser would drop a plain bound). */
	barrier_var(off);
	next = w->buf[off & (WALK_WORDS - 1)];
	off += 1;
	barrier_var(off);
	ret = w->buf[off & (WALK_WORDS - 1)];
	if (ret < 4096 || ret >= USER_TOP)
		return 1;
	barrier_var(i);
	w->e->frames[i & (LT_MAX_FRAMES - 1)] = ret;
	w->n = i + 1;
	if (next <= bp)
		return 1;
	w->bp = next;
	return 0;
}

/*
 * The first frames are walked inline; the rest, one per call through
 * bpf_loop() (verified once, whatever their number), which costs an
 * indirect call per frame with this kernel's mitigations.
 */
#define WALK_INLINE 8

static long walk_frame(__u32 idx, struct walk *w)
{
	return walk_step(idx + 1 + WALK_INLINE, w);
}

_Static_assert(WALK_WORDS == LT_STACK_WORDS, "a syscall's stack sample seeds the walk buffer");

/* seed: seed_words of stack memory from sp that were read already, or NULL. */
static __always_inline __u32 event_stack_regs(struct lt_event *e, __u64 ip, __u64 sp, __u64 bp,
					      const __u64 *seed, __u32 seed_words)
{
	__u32 zero = 0;
	struct walk w = {
		.e = e,
		.wb = bpf_map_lookup_elem(&walkbuf, &zero),
		.sp = sp,
		.bp = bp,
		.max = max_frames,
		.n = 1,
	};
	__u32 i;

	e->frames[0] = ip;
	if (!w.wb)
		goto out;
	w.buf = w.wb->w;
	if (seed && seed_words <= WALK_WORDS) {
		w.buf = seed;
		w.base = sp;
		w.len = seed_words * sizeof(__u64);
	}
#pragma unroll
	for (i = 1; i <= WALK_INLINE; i++)
		if (walk_step(i, &w))
			goto out;
	bpf_loop(LT_MAX_FRAMES - 1 - WALK_INLINE, walk_frame, &w, 0);
out:
	e->nframes = w.n;
	return w.n * sizeof(__u64);
}

static __always_inline __u32 event_stack(struct pt_regs *regs, struct lt_event *e)
{
	return event_stack_regs(e, PT_REGS_IP(regs), PT_REGS_SP(regs), PT_REGS_FP(regs), NULL, 0);
}

/*
 * Losses the consumer has not been told of: the first event sent after one
 * carries LT_F_AFTER_LOSS (from then on a pid may belong to another process
 * whose fork and exit went unseen). Counters, not a flag, so that a loss on
 * another CPU while an event is marked is not forgotten.
 */
__u64 lost_seq, lost_seq_told;

/*
 * Per CPU, by its number: bytes reserved since its ring's fill was last
 * looked at, and whether a wakeup was forced since the ring was last below
 * half the mark. Plain data, not a map: no look-up per record. A line each
 * up to WAKE_CPUS; past that CPUs share an entry, so one ring's check or
 * arming can stand for another's: harmless, since a wakeup drains every ring
 * and the consumer's poll timeout covers one that did not come.
 */
#define WAKE_CPUS 1024
#define WAKE_CHECK_PARTS 8 /* the fill is looked at every 1/8 of the mark */

struct wake_state {
	__u64 since;
	__u32 armed;
} __attribute__((aligned(64)));

static struct wake_state wake[WAKE_CPUS];

/* A record that found no room: counted, and the next one sent is marked (LT_F_AFTER_LOSS). */
static __always_inline void event_lost(void)
{
	__sync_fetch_and_add(&lost_seq, 1);
	stat_inc(LT_STAT_LOST_EVENTS);
}

/*
 * The calling CPU's ring, and in *flags the wakeup the record about to go in
 * it asks for. NULL (counted as lost, never silent) is not possible: there is
 * a ring per possible CPU.
 */
static __always_inline void *ring_pick(bool urgent, __u64 len, __u64 *flags)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);
	struct wake_state *w;
	__u64 avail;

	*flags = BPF_RB_NO_WAKEUP;
	if (!ring) {
		event_lost();
		return NULL;
	}
	/*
	 * Waking the consumer per event would cost a context switch per malloc;
	 * wake it when the event needs prompt handling, or once when data piles
	 * up past wakeup_bytes. Forcing a wakeup on every event above the mark
	 * (until the consumer has drained it) raised an interrupt per event:
	 * a third of the cost of a traced malloc here. So one forced wakeup per
	 * CPU per crossing, re-armed once the ring is below half the mark; the
	 * consumer's 100 ms poll timeout covers a wakeup that went astray. The
	 * fill is looked at once an eighth of the mark has been reserved since
	 * the last look (a wakeup at most that late; in bytes, not records, so
	 * that a small ring is still seen below half the mark and re-armed): a
	 * map look-up and a query per record were ~7 ns of the allocator's
	 * return and free on malloc-mixed (bpf_stats).
	 */
	if (urgent) {
		*flags = BPF_RB_FORCE_WAKEUP;
		return ring;
	}
	w = &wake[cpu & (WAKE_CPUS - 1)];
	w->since += len;
	if (w->since < wakeup_bytes / WAKE_CHECK_PARTS)
		return ring;
	w->since = 0;
	avail = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	if (avail >= wakeup_bytes && !w->armed) {
		*flags = BPF_RB_FORCE_WAKEUP;
		w->armed = 1;
	} else if (avail < wakeup_bytes / 2) {
		w->armed = 0;
	}
	return ring;
}

/*
 * Stamp a record once its room is reserved: user space merges the rings by
 * the stamp, and a ring it saw empty at time T then holds nothing stamped
 * before T (a record reserved earlier shows as one in progress, which the
 * merge waits for). user/ring.h. The first record after a loss is marked;
 * *seq: the losses it tells of (event_sent()).
 */
static __always_inline bool event_stamp(struct lt_event *e, __u64 *seq)
{
	bool mark = (*seq = lost_seq) != lost_seq_told;

	if (mark)
		e->flags |= LT_F_AFTER_LOSS;
	e->ts_ns = bpf_ktime_get_ns();
	return mark;
}

/*
 * A stamped record was committed. (Records are not counted here: the
 * aggregator counts what it reads, and a counter per record was a map
 * look-up per event that nothing reported.)
 */
static __always_inline void event_sent(bool marked, __u64 seq)
{
	if (marked)
		lost_seq_told = seq;
}

/* A record given up after its reservation (a failed write): never sent, counted as lost. */
static __always_inline void ring_drop(struct bpf_dynptr *dp)
{
	bpf_ringbuf_discard_dynptr(dp, 0);
	event_lost();
}

/* Room for len bytes in this CPU's ring, written through dp; false: none (counted as lost). */
static __always_inline bool ring_reserve(__u64 len, bool urgent, struct bpf_dynptr *dp,
					 __u64 *flags)
{
	void *ring = ring_pick(urgent, len, flags);

	if (!ring)
		return false;
	if (bpf_ringbuf_reserve_dynptr(ring, len, 0, dp)) {
		ring_drop(dp);
		return false;
	}
	return true;
}

/* Returns the record's ts_ns, or 0 if it was not sent (counted as lost). */
static __always_inline __u64 event_send(struct lt_event *e, __u32 frame_bytes, bool urgent)
{
	__u64 len = sizeof(*e) + frame_bytes, seq, flags;
	struct bpf_dynptr dp;
	bool marked;

	if (len > LT_SYS_EVENT_LEN)
		len = LT_SYS_EVENT_LEN;
	if (!ring_reserve(len, urgent, &dp, &flags))
		return 0;
	marked = event_stamp(e, &seq);
	/* A bound the verifier sees at the copy (the optimiser drops a repeated one). */
	barrier_var(len);
	if (len > LT_SYS_EVENT_LEN)
		len = LT_SYS_EVENT_LEN;
	if (bpf_dynptr_write(&dp, 0, e, len, 0)) {
		ring_drop(&dp); /* not expected: len fits the reservation */
		return 0;
	}
	bpf_ringbuf_submit_dynptr(&dp, flags);
	event_sent(marked, seq);
	return e->ts_ns;
}

/*
 * A record without frames, written in place: its size is fixed, so it is
 * reserved at its size and filled in the ring, without the scratch record and
 * the copy event_send() makes (bpf_stats: 98-106 -> 95-100 ns a free on
 * malloc-mixed; most of what is left is the time stamp, ~25, and the
 * reservation and commit, ~20).
 */
static __always_inline void event_send_bare(__u32 type, __u64 addr)
{
	__u64 id = bpf_get_current_pid_tgid(), seq, flags;
	void *ring = ring_pick(false, sizeof(struct lt_event), &flags);
	struct lt_event *e;
	bool marked;

	if (!ring)
		return;
	e = bpf_ringbuf_reserve(ring, sizeof(*e), 0);
	if (!e) {
		event_lost();
		return;
	}
	e->type = type;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->nframes = 0;
	e->flags = 0;
	e->addr = addr;
	e->old_addr = 0;
	e->size = 0;
	e->aux = 0;
	__builtin_memset(e->comm, 0, sizeof(e->comm));
	marked = event_stamp(e, &seq);
	bpf_ringbuf_submit(e, flags);
	event_sent(marked, seq);
}

/* ---- allocator entry: remember the arguments until the call returns ---- */

static __always_inline int enter(struct pt_regs *ctx, __u32 fn, __u64 size, __u64 old,
				 __u64 memptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 sp = PT_REGS_SP(ctx);
	struct inflight *cur;

	if (probe_floor)
		return 0;
	cur = thread_slot(0);
	if (!cur) {
		if (!want_tgid(id >> 32))
			return 0;
		cur = thread_slot(BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!cur) {
			stat_inc(LT_STAT_INFLIGHT_FULL); /* out of memory, or re-entered */
			return 0;
		}
	}
	/*
	 * An allocator called from inside another (realloc(NULL, n) calls malloc,
	 * memalign may too) runs deeper on the same stack: the outer call accounts
	 * for the block. An entry at the same or a shallower sp is stale (the outer
	 * call never returned through us, e.g. longjmp) and is replaced.
	 */
	if (cur->fn && cur->sp > sp) {
		stat_inc(LT_STAT_NESTED);
		return 0;
	}
	cur->sp = sp;
	cur->size = size;
	cur->old = old;
	cur->memptr = memptr;
	cur->fn = fn;
	return 0;
}

/* Overflowing products make the allocator fail; size them so the call counts nothing. */
static __always_inline __u64 mul_size(__u64 n, __u64 size)
{
	__u64 limit = ~0ULL;

	/* Written as a division the optimiser cannot turn into a 128-bit multiply. */
	barrier_var(limit);
	if (size && n > limit / size)
		return ~0ULL;
	return n * size;
}

SEC("uprobe")
int BPF_KPROBE(malloc_enter, __u64 size)
{
	return enter(ctx, FN_MALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(calloc_enter, __u64 n, __u64 size)
{
	return enter(ctx, FN_CALLOC, mul_size(n, size), 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(realloc_enter, __u64 old, __u64 size)
{
	return enter(ctx, FN_REALLOC, size, old, 0);
}

SEC("uprobe")
int BPF_KPROBE(reallocarray_enter, __u64 old, __u64 n, __u64 size)
{
	return enter(ctx, FN_REALLOCARRAY, mul_size(n, size), old, 0);
}

SEC("uprobe")
int BPF_KPROBE(posix_memalign_enter, __u64 memptr, __u64 align, __u64 size)
{
	return enter(ctx, FN_POSIX_MEMALIGN, size, 0, memptr);
}

SEC("uprobe")
int BPF_KPROBE(aligned_alloc_enter, __u64 align, __u64 size)
{
	return enter(ctx, FN_ALIGNED_ALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(memalign_enter, __u64 align, __u64 size)
{
	return enter(ctx, FN_MEMALIGN, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(valloc_enter, __u64 size)
{
	return enter(ctx, FN_VALLOC, size, 0, 0);
}

SEC("uprobe")
int BPF_KPROBE(pvalloc_enter, __u64 size)
{
	/* pvalloc rounds up to pages, but the caller asked for size: report that. */
	return enter(ctx, FN_PVALLOC, size, 0, 0);
}

/* ---- the held allocation (struct inflight.held) ---- */

/*
 * Frees sent, counted per hash of the address: a held block whose count moved
 * may have been freed by another thread, and the block at its address that
 * this thread now frees another one (handed back to it). Such a free does not
 * cancel the held block: both are sent, the held one first.
 *
 * Every free writes a count, so where the counts lie decides what moves
 * between CPUs. Hashed over the whole array (4,096 counts), a free on one CPU
 * mostly wrote a line the other CPU had written last: two threads freeing
 * their own blocks (malloc-mixed), 137 ns a free, 98 with no count at all.
 * The counts of 256 KiB of address space share a group of 256 (32 lines: an
 * array map keeps its elements 8 bytes apart; 512 KiB in all),
 * groups placed by a hash of the region, a count within its group by a hash
 * of the address: threads that free what their own arena gave them write
 * lines of their own (103-117 ns). A count shared by two addresses only ever
 * stops a match (both records sent): never a wrong one.
 */
#define FREE_GEN_BITS 16
#define FREE_GEN_GROUP_BITS 8
#define FREE_GEN_REGION_SHIFT 18

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << FREE_GEN_BITS);
	__type(key, __u32);
	__type(value, __u32);
} free_gen SEC(".maps");

/* NULL when nothing is held (--every-event): no count is read (an atomic add per free). */
static __always_inline __u32 *free_gen_of(__u64 addr)
{
	__u64 region;
	__u32 k;

	if (!hold_allocs)
		return NULL;
	region = (addr >> FREE_GEN_REGION_SHIFT) * 0x9e3779b97f4a7c15ULL;
	k = (__u32)(region >> (64 - (FREE_GEN_BITS - FREE_GEN_GROUP_BITS))) << FREE_GEN_GROUP_BITS |
	    (__u32)((addr * 0x9e3779b97f4a7c15ULL) >> (64 - FREE_GEN_GROUP_BITS));
	return bpf_map_lookup_elem(&free_gen, &k);
}

static __always_inline struct lt_event *held_rec(struct inflight *cur)
{
	return (struct lt_event *)cur->rec;
}

/*
 * Send the thread's held allocation, if any. ts_ns is when it is sent (the
 * rings are merged in that order), aux when it was made. Returns the stamp,
 * 0 if nothing was sent.
 */
static __always_inline __u64 held_flush(struct inflight *cur)
{
	struct lt_event *e = held_rec(cur);
	__u32 n;

	if (!cur->held || !__sync_lock_test_and_set(&cur->held, 0))
		return 0;
	n = e->nframes;
	if (n > LT_MAX_FRAMES)
		n = LT_MAX_FRAMES;
	return event_send(e, n * sizeof(__u64), false);
}

/*
 * Block ptr (its free_gen slot g) is given back. If it is the held block and
 * no free of its address was sent since, take the held record back unsent
 * (true). If the address is the held block's but a free of it was sent since,
 * this is another block, made at that address after another thread freed the
 * held one: the held record goes out first. Otherwise the caller sends the
 * free, and counts it in g.
 */
static __always_inline bool held_take(struct inflight *cur, __u64 ptr, __u32 *g)
{
	if (!cur || !cur->held || held_rec(cur)->addr != ptr)
		return false;
	if (g && *g == cur->free_gen && __sync_lock_test_and_set(&cur->held, 0))
		return true;
	held_flush(cur);
	return false;
}

/* A free of the held block cancels it: neither record is sent. */
static __always_inline void free_send(struct inflight *cur, __u64 ptr)
{
	__u32 *g = free_gen_of(ptr);

	if (held_take(cur, ptr, g)) {
		stat_inc(LT_STAT_SHORT_LIVED);
		return;
	}
	if (g)
		__sync_fetch_and_add(g, 1);
	event_send_bare(LT_EV_FREE, ptr);
}

/*
 * A new allocation of the thread becomes its held one; the one held before
 * goes out first. Its stack is walked now, into the held record.
 */
static __always_inline void held_set(struct pt_regs *ctx, struct inflight *cur, __u64 addr,
				     __u64 size)
{
	struct lt_event *e = held_rec(cur);
	__u64 id = bpf_get_current_pid_tgid(), ts;
	__u32 *g;

	ts = held_flush(cur);
	g = free_gen_of(addr);
	cur->free_gen = g ? *g : 0;
	e->type = LT_EV_ALLOC;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->flags = LT_F_HELD;
	e->addr = addr;
	e->old_addr = 0;
	e->size = size;
	e->aux = ts ? ts : bpf_ktime_get_ns();
	event_stack(ctx, e);
	barrier();
	cur->held = 1;
}

/* ---- allocator return: one program for all, the fn id says what happened ---- */

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	struct inflight *cur;
	__u64 size, old, memptr;
	__u32 fn, *g;
	struct lt_event *e;
	__u32 frame_bytes;

	if (probe_floor)
		return 0;
	cur = inflight_get();
	if (!cur)
		return 0;
	/* Our entry's sp plus the popped return address: any other sp is a nested call. */
	if (cur->sp + 8 != PT_REGS_SP(ctx))
		return 0;
	fn = cur->fn;
	size = cur->size;
	old = cur->old;
	memptr = cur->memptr;
	cur->fn = 0;

	if (fn == FN_POSIX_MEMALIGN) {
		if (ret != 0)
			return 0; /* failed: *memptr untouched */
		if (bpf_probe_read_user(&ret, sizeof(ret), (void *)memptr))
			return 0;
	}
	if (fn == FN_REALLOC || fn == FN_REALLOCARRAY) {
		if (old && !ret) {
			/* realloc(p, 0) returning NULL freed p; any other failure left p live. */
			if (!size)
				free_send(cur, old);
			return 0;
		}
		/* realloc of the held block: a new block, made by this call, held in turn. */
		if (old) {
			g = free_gen_of(old);
			if (held_take(cur, old, g))
				old = 0;
			else if (g)
				__sync_fetch_and_add(g, 1);
		}
	}
	if (!ret)
		return 0;
	if (hold_allocs && !old) {
		held_set(ctx, cur, ret, size);
		return 0;
	}

	held_flush(cur);
	e = event_new(old ? LT_EV_REALLOC : LT_EV_ALLOC);
	if (!e)
		return 0;
	e->addr = ret;
	e->old_addr = old;
	e->size = size;
	frame_bytes = event_stack(ctx, e);
	event_send(e, frame_bytes, false);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct inflight *cur;

	if (probe_floor || !ptr)
		return 0;
	cur = thread_slot(0);
	if (!cur && !want_tgid(id >> 32))
		return 0;
	/* free() called by realloc() & co. is accounted by the outer call. */
	if (cur && cur->fn && cur->sp > PT_REGS_SP(ctx)) {
		stat_inc(LT_STAT_NESTED);
		return 0;
	}
	free_send(cur, ptr);
	return 0;
}

/* Task t's held allocation goes out, if it has one (t: the current task or one switched out). */
static __always_inline void held_flush_task(struct task_struct *t)
{
	struct inflight *cur = bpf_task_storage_get(&inflight, t, 0, 0);

	if (cur)
		held_flush(cur);
}

/* A thread leaving the CPU sends what it holds: it may sleep for hours. */
SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (!probe_floor)
		held_flush_task(prev);
	return 0;
}

/* The interrupted context was user code (not a syscall, nor a BPF program of ours). */
static __always_inline bool tick_in_user(struct bpf_perf_event_data *ctx)
{
	/* The context is read a whole u64 at a time (cs is the low bits of one here). */
#if defined(__TARGET_ARCH_x86)
	return (((__u64 *)&ctx->regs)[__builtin_offsetof(struct pt_regs, cs) / 8] & 3) == 3;
#elif defined(__TARGET_ARCH_arm64)
	return (((__u64 *)&ctx->regs)[__builtin_offsetof(struct user_pt_regs, pstate) / 8] & 0xf) ==
	       0; /* EL0 */
#else
	return true;
#endif
}

/*
 * A thread that runs on without allocating and without leaving its CPU (a busy
 * loop on a CPU of its own) would keep its held allocation out of every
 * report: a CPU-clock tick per CPU (user space: HOLD_TICK_NS) sends the held
 * allocation of the thread it interrupts. Only when it interrupts user code:
 * in one of our programs, between a record's reserve and its stamp, the
 * tick's record would sit in the ring after a later-stamped one (and such a
 * thread is in user code at the next tick). held is taken with an exchange,
 * so the tick and the thread's own programs never both send it.
 */
SEC("perf_event")
int on_tick(struct bpf_perf_event_data *ctx)
{
	if (!probe_floor && tick_in_user(ctx))
		held_flush_task(bpf_get_current_task_btf());
	return 0;
}

/* ---- process lifecycle ---- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;
	struct lt_event *e;

	if (ctgid != BPF_CORE_READ(child, pid))
		return 0; /* a new thread, not a new process */
	if (!want_tgid(ptgid))
		return 0;
	if (filter_pids && follow_forks)
		bpf_map_update_elem(&pids, &ctgid, &one, BPF_ANY);
	e = event_new(LT_EV_FORK);
	if (!e)
		return 0;
	e->tgid = ptgid;
	e->aux = ctgid;
	e->size = BPF_CORE_READ(child, start_boottime);
	BPF_CORE_READ_STR_INTO(&e->comm, child, comm);
	event_send(e, 0, false);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct inflight *cur = thread_slot(0);
	struct lt_event *e;

	/* The old image's allocation goes before the exec that ends it. */
	if (cur)
		held_flush(cur);
	if (!want_tgid(BPF_CORE_READ(p, tgid)))
		return 0;
	e = event_new(LT_EV_EXEC);
	if (!e)
		return 0;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	event_send(e, 0, true);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct inflight *cur = thread_slot(0);
	struct lt_event *e;

	/* Each thread's held allocation goes before the process's exit. */
	if (cur)
		held_flush(cur);
	/* Per thread; the process is gone with its last thread (signal->live hits 0). */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	if (!want_tgid(tgid))
		return 0;
	e = event_new(LT_EV_EXIT);
	if (!e)
		return 0;
	e->tgid = tgid;
	e->aux = BPF_CORE_READ(p, exit_code);
	BPF_CORE_READ_STR_INTO(&e->comm, p, comm);
	event_send(e, 0, true);
	if (trace_rss)
		bpf_map_delete_elem(&rss, &tgid);
	/*
	 * -p PID means that process: a later one given its pid is not traced
	 * (the suite's churn once gave a traced storm's pid to another process,
	 * whose calls then counted against the storm's).
	 */
	if (filter_pids)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}

/* ---- file descriptors, timers, mappings: syscall tracepoints ---- */

const volatile bool trace_fds = true;
const volatile bool trace_timers = true;
const volatile bool trace_maps = true;

struct sysargs {
	__u64 args[6];
	__u32 sc;
	__u32 pad;
};

/* The arguments of the traced syscall a thread is in (sc = 0: none), per thread as inflight. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sysargs);
} sysargs SEC(".maps");

#define O_CLOEXEC_ 02000000
#define F_DUPFD_ 0
#define F_SETFD_ 2
#define F_DUPFD_CLOEXEC_ 1030
#define FD_CLOEXEC_ 1
#define MAP_SHARED_ 0x01
#define MAP_ANONYMOUS_ 0x20
#define SOCK_CLOEXEC_ 02000000
#define SOCK_TYPE_MASK_ 0xf

static __always_inline bool sc_wanted(__u32 sc)
{
	if (sc == SC_MMAP)
		return trace_maps || watch_exec_maps;
	if (sc > SC_MMAP)
		return trace_maps;
	if (sc == SC_TIMER_CREATE || sc == SC_TIMER_DELETE)
		return trace_timers;
	return trace_fds;
}

/*
 * nargs is the syscall's argument count: a program that reads past its
 * tracepoint's record is refused at attach (EACCES), so read only those.
 */
static __always_inline int sys_enter(struct trace_event_raw_sys_enter *ctx, __u32 sc, int nargs)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sysargs *a;

	if (probe_floor || !sc_wanted(sc) || !want_tgid(id >> 32))
		return 0;
	a = bpf_task_storage_get(&sysargs, bpf_get_current_task_btf(), 0,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!a) {
		stat_inc(LT_STAT_SYSARGS_FULL); /* out of memory, or re-entered */
		return 0;
	}
	/* Constant offsets: the verifier rejects a ctx pointer moved by a loop. */
	if (nargs > 0)
		a->args[0] = ctx->args[0];
	if (nargs > 1)
		a->args[1] = ctx->args[1];
	if (nargs > 2)
		a->args[2] = ctx->args[2];
	if (nargs > 3)
		a->args[3] = ctx->args[3];
	if (nargs > 4)
		a->args[4] = ctx->args[4];
	if (nargs > 5)
		a->args[5] = ctx->args[5];
	a->sc = sc;
	return 0;
}

/*
 * This CPU's ring holds at least the wakeup mark: the consumer is behind (a
 * burst of fd events). Records then carry a quarter of the stack sample, most
 * of their size: ~1.2 KiB become ~0.4 (with the padding sys_send() no longer
 * sends, 1.6 became 0.9, and a whole-host run with fdleaky every 0.1 s lost
 * 4.7% of its events instead of 14.6%). The wrappers of the
 * common calls need 16-20 words, so their caller is still found; frames that
 * user space would walk past the sample's end are missing, and counted
 * (lost_stacks). tests/integration/test_burst.sh.
 */
static __always_inline bool sys_ring_busy(void)
{
	__u32 cpu = bpf_get_smp_processor_id();
	void *ring = bpf_map_lookup_elem(&rings, &cpu);

	return ring && bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= wakeup_bytes;
}

/* A short sample: the ring is filling, or the stack could not be read otherwise. */
static __always_inline void sys_short_sample(struct lt_sys_extra *x)
{
	x->stack_words = LT_STACK_WORDS_BUSY;
	if (bpf_probe_read_user(x->stack, LT_STACK_WORDS_BUSY * sizeof(__u64), (void *)x->sp)) {
		x->stack_words = 8;
		if (bpf_probe_read_user(x->stack, 8 * sizeof(__u64), (void *)x->sp))
			x->stack_words = 0;
	}
}

/* Registers and the top of the user stack, for the unwind step user space does. */
static __always_inline void sys_extra(struct lt_event *e)
{
	struct lt_sys_extra *x = (void *)e + LT_SYS_EXTRA_OFF;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	__u64 first;

	e->flags |= LT_F_SYS_EXTRA;
	x->ip = BPF_CORE_READ(regs, ip);
	x->sp = BPF_CORE_READ(regs, sp);
	x->bp = BPF_CORE_READ(regs, bp);
	x->path[0] = 0;
	x->path_len = 0;
	x->alt_bp = 0;
	x->stack_words = LT_STACK_WORDS;
	if (sys_ring_busy()) {
		sys_short_sample(x);
		return;
	}
	if (!bpf_probe_read_user(x->stack, sizeof(x->stack), (void *)x->sp))
		return;
	/*
	 * The KiB runs past the top of the stack, or a page of it cannot be
	 * read now: what lies before the end of sp's page (at the top of the
	 * stack, all there is), then the rest of the KiB.
	 */
	first = 4096 - (x->sp & 4095);
	if (first < sizeof(x->stack) && !(first & 7)) {
		barrier_var(first);
		first &= sizeof(x->stack) - 1;
		if (!bpf_probe_read_user(x->stack, first, (void *)x->sp)) {
			x->stack_words = first / 8;
			if (!bpf_probe_read_user((void *)x->stack + first, sizeof(x->stack) - first,
						 (void *)x->sp + first))
				x->stack_words = LT_STACK_WORDS;
			return;
		}
	}
	sys_short_sample(x);
}

/*
 * The two words at user address at: from the sample when it holds them (the
 * same memory, read at the same time), else read (a helper call each, most
 * of what the guess below cost: ~150 ns per open() in glibc, ~10 links).
 */
static __always_inline bool sys_pair(const struct lt_sys_extra *x, __u64 at, __u64 pair[2])
{
	__u64 i = (at - x->sp) / 8;

	if (at >= x->sp && !((at - x->sp) & 7) && i + 1 < x->stack_words) {
		barrier_var(i);
		pair[0] = x->stack[i & (LT_STACK_WORDS - 1)];
		i += 1;
		barrier_var(i);
		pair[1] = x->stack[i & (LT_STACK_WORDS - 1)];
		return true;
	}
	return !bpf_probe_read_user(pair, 2 * sizeof(__u64), (void *)at);
}

/*
 * A libc wrapper that reuses %rbp (open64 keeps the path there) leaves no
 * chain to walk at the syscall; it pushed the caller's %rbp on entry. Guess
 * that word: the first sampled word that points into the stack above itself.
 * User space checks the guess against the wrapper's CFI and keeps the frames
 * only if the CFI says the caller's %rbp was exactly that.
 */
static __always_inline void sys_walk_alt(struct lt_event *e, struct lt_sys_extra *x)
{
	__u64 v, v2, pair[2], cand = 0;
	__u32 i;

	x->alt_bp = 0;
	for (i = 0; i < 32; i++) {
		if (i >= x->stack_words)
			break;
		v = x->stack[i];
		if (v <= x->sp + 8 * i || v >= x->sp + STACK_SPAN || (v & 7))
			continue;
		if (!sys_pair(x, v, pair))
			continue;
		if (pair[1] < 4096 || pair[1] >= USER_TOP || pair[0] <= v ||
		    pair[0] >= x->sp + STACK_SPAN)
			continue;
		/* Two links of a chain, not one: a stray pointer into the stack rarely makes two. */
		v2 = pair[0];
		if (!sys_pair(x, v2, pair))
			continue;
		if (pair[1] >= 4096 && pair[1] < USER_TOP && (pair[0] > v2 || !pair[0])) {
			cand = v;
			break;
		}
	}
	if (cand && event_stack_regs(e, x->ip, x->sp, cand, x->stack, x->stack_words) >
			    sizeof(__u64))
		x->alt_bp = cand;
	else
		e->nframes = 1;
}

static __always_inline struct lt_event *sys_event(void *ctx, __u32 type)
{
	struct lt_event *e = event_new(type);
	struct lt_sys_extra *x;

	if (!e)
		return NULL;
	sys_extra(e);
	x = (void *)e + LT_SYS_EXTRA_OFF;
	if (event_stack_regs(e, x->ip, x->sp, x->bp, x->stack, x->stack_words) <= sizeof(__u64))
		sys_walk_alt(e, x);
	return e;
}

/*
 * Sent as leaktrace.h says: the frames, the path and the sample that were
 * filled in, not the padding around them.
 */
static __always_inline void sys_send(struct lt_event *e)
{
	struct lt_sys_extra *x = (void *)e + LT_SYS_EXTRA_OFF;
	__u64 frames = e->nframes * sizeof(__u64), path = (x->path_len + 7) & ~7u;
	__u64 stack = x->stack_words * sizeof(__u64), off, len;
	struct bpf_dynptr dp;
	__u64 seq, flags;
	bool marked;

	if (frames > LT_MAX_FRAMES * sizeof(__u64))
		frames = LT_MAX_FRAMES * sizeof(__u64);
	if (path > LT_PATH_LEN)
		path = LT_PATH_LEN;
	if (stack > LT_STACK_WORDS * sizeof(__u64))
		stack = LT_STACK_WORDS * sizeof(__u64);
	x->path_len = path;
	len = sizeof(*e) + frames + LT_SYS_WIRE_HDR + path + stack;
	if (!ring_reserve(len, false, &dp, &flags))
		return;
	marked = event_stamp(e, &seq);
	off = sizeof(*e) + frames;
	/* Bounds the verifier sees at each copy (the optimiser drops repeated ones). */
	barrier_var(off);
	barrier_var(path);
	barrier_var(stack);
	if (off > sizeof(*e) + LT_MAX_FRAMES * sizeof(__u64) || path > LT_PATH_LEN ||
	    stack > LT_STACK_WORDS * sizeof(__u64) || bpf_dynptr_write(&dp, 0, e, off, 0) ||
	    bpf_dynptr_write(&dp, off, x, LT_SYS_WIRE_HDR, 0) ||
	    bpf_dynptr_write(&dp, off + LT_SYS_WIRE_HDR, x->path, path, 0) ||
	    bpf_dynptr_write(&dp, off + LT_SYS_WIRE_HDR + path, x->stack, stack, 0)) {
		ring_drop(&dp); /* not expected: the pieces fill the reservation */
		return;
	}
	bpf_ringbuf_submit_dynptr(&dp, flags);
	event_sent(marked, seq);
}

static __always_inline bool in_allocator(void)
{
	return inflight_get() != NULL;
}

/*
 * An executable file mapping may bring a new allocator object (a container's
 * libc, a program started through another loader): tell user space, which
 * attaches to it. Checked at the exit, so the mapping is there to be read; the
 * file is named by (dev, inode) because ld.so closes the fd right after. In -c
 * mode the process is held (SIGSTOP, absorbed by the tracer's ptrace) until
 * that is done, so no allocation escapes.
 */
static __always_inline void exec_map(long fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct lt_obj_key key = {};
	struct file **fds, *f;
	struct lt_event *e;

	fds = BPF_CORE_READ(task, files, fdt, fd);
	if (fd >= BPF_CORE_READ(task, files, fdt, max_fds) ||
	    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return;
	key.ino = BPF_CORE_READ(f, f_inode, i_ino);
	key.dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
	if (bpf_map_lookup_elem(&objs_seen, &key))
		return; /* looked at already: attached, or not an allocator */
	e = event_new(LT_EV_EXEC_MAP);
	if (!e)
		return;
	e->aux = fd;
	e->size = key.dev;
	e->old_addr = key.ino;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	event_send(e, 0, true);
	if (stop_on_exec_map)
		bpf_send_signal_thread(SIGSTOP);
}

/*
 * What a syscall exit reports, worked out per syscall, then sent from one
 * place: the verifier walks the event code (the stack sample, its loops) once
 * rather than once per syscall, which took it half a second at start-up.
 */
struct sys_out {
	__u32 type;   /* enum lt_ev_type; 0: nothing to report */
	__u16 flags;  /* LT_F_* */
	bool stack;   /* a syscall event: registers, stack sample, frames */
	__u64 addr, old_addr, size, aux;
	__u64 upath;  /* user pointer to the path (FD_OPEN of a file), or 0 */
	__u64 upair;  /* user pointer to two fds (pipe, socketpair), or 0 */
};

static __always_inline void fd_out(struct sys_out *o, long fd, __u32 kind, __u32 detail,
				   bool cloexec, __u64 upath)
{
	o->type = LT_EV_FD_OPEN;
	o->stack = true;
	o->addr = fd;
	o->aux = kind | (__u64)detail << 8;
	o->flags = cloexec ? LT_F_CLOEXEC : 0;
	o->upath = upath;
}

static __always_inline void dup_out(struct sys_out *o, long fd, long oldfd, bool cloexec)
{
	o->type = LT_EV_FD_OPEN;
	o->stack = true;
	o->addr = fd;
	o->old_addr = oldfd;
	o->flags = LT_F_DUP | (cloexec ? LT_F_CLOEXEC : 0);
}

static __always_inline void simple_out(struct sys_out *o, __u32 type, __u64 addr, __u64 size,
				       __u64 aux)
{
	o->type = type;
	o->addr = addr;
	o->size = size;
	o->aux = aux;
}

static __always_inline int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	long ret = ctx->ret;
	struct sys_out o = {};
	struct sysargs *ap, a;
	struct lt_sys_extra *x;
	struct lt_event *e;
	int fds[2], timer;
	long plen;
	__u64 fl;

	ap = bpf_task_storage_get(&sysargs, bpf_get_current_task_btf(), 0, 0);
	if (!ap || !ap->sc)
		return 0;
	a = *ap;
	ap->sc = 0;
	if (ret < 0 && a.sc != SC_CLOSE)
		return 0;

	switch (a.sc) {
	case SC_OPEN:
		fd_out(&o, ret, LT_FD_FILE, 0, a.args[1] & O_CLOEXEC_, a.args[0]);
		break;
	case SC_OPENAT:
		fd_out(&o, ret, LT_FD_FILE, 0, a.args[2] & O_CLOEXEC_, a.args[1]);
		break;
	case SC_OPENAT2:
		fl = 0;
		bpf_probe_read_user(&fl, sizeof(fl), (void *)a.args[2]); /* open_how.flags */
		fd_out(&o, ret, LT_FD_FILE, 0, fl & O_CLOEXEC_, a.args[1]);
		break;
	case SC_CREAT:
		fd_out(&o, ret, LT_FD_FILE, 0, false, a.args[0]);
		break;
	case SC_SOCKET:
		fd_out(&o, ret, LT_FD_SOCKET,
		       (a.args[0] & 0xffff) | (a.args[1] & SOCK_TYPE_MASK_) << 16,
		       a.args[1] & SOCK_CLOEXEC_, 0);
		break;
	case SC_SOCKETPAIR:
		fd_out(&o, 0, LT_FD_SOCKET,
		       (a.args[0] & 0xffff) | (a.args[1] & SOCK_TYPE_MASK_) << 16,
		       a.args[1] & SOCK_CLOEXEC_, 0);
		o.upair = a.args[3];
		break;
	case SC_ACCEPT:
		fd_out(&o, ret, LT_FD_SOCKET, 0, false, 0);
		break;
	case SC_ACCEPT4:
		fd_out(&o, ret, LT_FD_SOCKET, 0, a.args[3] & SOCK_CLOEXEC_, 0);
		break;
	case SC_DUP:
		dup_out(&o, ret, a.args[0], false);
		break;
	case SC_DUP2:
		if ((long)a.args[0] != (long)a.args[1]) /* dup2(fd, fd) does nothing */
			dup_out(&o, ret, a.args[0], false);
		break;
	case SC_DUP3:
		dup_out(&o, ret, a.args[0], a.args[2] & O_CLOEXEC_);
		break;
	case SC_FCNTL:
		if (a.args[1] == F_DUPFD_ || a.args[1] == F_DUPFD_CLOEXEC_)
			dup_out(&o, ret, a.args[0], a.args[1] == F_DUPFD_CLOEXEC_);
		else if (a.args[1] == F_SETFD_)
			simple_out(&o, LT_EV_FD_CLOEXEC, a.args[0], 0, a.args[2] & FD_CLOEXEC_);
		break;
	case SC_PIPE:
		fd_out(&o, 0, LT_FD_PIPE, 0, false, 0);
		o.upair = a.args[0];
		break;
	case SC_PIPE2:
		fd_out(&o, 0, LT_FD_PIPE, 0, a.args[1] & O_CLOEXEC_, 0);
		o.upair = a.args[0];
		break;
	case SC_EVENTFD:
		fd_out(&o, ret, LT_FD_EVENTFD, 0, false, 0);
		break;
	case SC_EVENTFD2:
		fd_out(&o, ret, LT_FD_EVENTFD, 0, a.args[1] & O_CLOEXEC_, 0);
		break;
	case SC_EPOLL_CREATE:
		fd_out(&o, ret, LT_FD_EPOLL, 0, false, 0);
		break;
	case SC_EPOLL_CREATE1:
		fd_out(&o, ret, LT_FD_EPOLL, 0, a.args[0] & O_CLOEXEC_, 0);
		break;
	case SC_SIGNALFD:
	case SC_SIGNALFD4:
		/* The fd argument is an int: -1 arrives zero-extended. Else it re-masked one. */
		if ((int)a.args[0] == -1)
			fd_out(&o, ret, LT_FD_SIGNALFD, 0,
			       a.sc == SC_SIGNALFD4 && (a.args[3] & O_CLOEXEC_), 0);
		break;
	case SC_TIMERFD_CREATE:
		fd_out(&o, ret, LT_FD_TIMERFD, 0, a.args[1] & O_CLOEXEC_, 0);
		break;
	case SC_INOTIFY_INIT:
		fd_out(&o, ret, LT_FD_INOTIFY, 0, false, 0);
		break;
	case SC_INOTIFY_INIT1:
		fd_out(&o, ret, LT_FD_INOTIFY, 0, a.args[0] & O_CLOEXEC_, 0);
		break;
	case SC_MEMFD_CREATE:
		fd_out(&o, ret, LT_FD_MEMFD, 0, a.args[1] & 1 /* MFD_CLOEXEC */, a.args[0]);
		break;
	case SC_PIDFD_OPEN:
		fd_out(&o, ret, LT_FD_PIDFD, 0, true /* always close-on-exec */, 0);
		break;
	case SC_CLOSE:
		if (ret != -9 /* EBADF: it was not open */)
			simple_out(&o, LT_EV_FD_CLOSE, a.args[0], 0, 0);
		break;
	case SC_CLOSE_RANGE:
		simple_out(&o, LT_EV_FD_CLOSE_RANGE, a.args[0], a.args[1], a.args[2]);
		break;
	case SC_TIMER_CREATE:
		timer = 0;
		if (bpf_probe_read_user(&timer, sizeof(timer), (void *)a.args[2]))
			break;
		simple_out(&o, LT_EV_TIMER_CREATE, timer, 0, 0);
		o.stack = true;
		break;
	case SC_TIMER_DELETE:
		simple_out(&o, LT_EV_TIMER_DELETE, (int)a.args[0], 0, 0);
		break;
	case SC_MMAP:
		if (watch_exec_maps && (a.args[2] & PROT_EXEC) && (int)a.args[4] >= 0)
			exec_map((int)a.args[4]);
		fl = a.args[3];
		/*
		 * Allocator-internal mappings are the heap's, counted as mem already.
		 * Private file mappings are how programs and libraries are loaded: not counted.
		 */
		if (!trace_maps || in_allocator() || !(fl & (MAP_ANONYMOUS_ | MAP_SHARED_)))
			break;
		simple_out(&o, LT_EV_MAP, ret, a.args[1], fl);
		o.stack = true;
		break;
	case SC_MUNMAP:
		if (!in_allocator())
			simple_out(&o, LT_EV_UNMAP, a.args[0], a.args[1], 0);
		break;
	case SC_MREMAP:
		if (in_allocator())
			break;
		simple_out(&o, LT_EV_MREMAP, ret, a.args[2], a.args[1]);
		o.old_addr = a.args[0];
		break;
	}
	if (!o.type)
		return 0;
	if (o.upair) {
		/* Both fds the kernel wrote, in one event (user space tracks each). */
		if (bpf_probe_read_user(fds, sizeof(fds), (void *)o.upair))
			return 0;
		o.addr = fds[0];
		o.old_addr = fds[1];
		o.flags |= LT_F_PAIR;
	}
	if (o.stack) {
		e = sys_event(ctx, o.type);
	} else {
		e = event_new(o.type);
	}
	if (!e)
		return 0;
	e->flags |= o.flags;
	e->addr = o.addr;
	e->old_addr = o.old_addr;
	e->size = o.size;
	e->aux = o.aux;
	if (!o.stack) {
		event_send(e, 0, false);
		return 0;
	}
	if (o.upath) {
		x = (void *)e + LT_SYS_EXTRA_OFF;
		plen = bpf_probe_read_user_str(x->path, sizeof(x->path), (const char *)o.upath);
		if (plen > 0)
			x->path_len = plen;
		else
			x->path[0] = 0;
	}
	sys_send(e);
	return 0;
}

/*
 * One exit program for every traced syscall, and one enter program per
 * argument count (a program that reads past a tracepoint's record cannot be
 * attached to it). User space attaches each to many tracepoints with the
 * syscall's enum lt_sc as the BPF cookie: the programs are verified once,
 * not once per syscall, which took seconds.
 */
#define ENTER_N(N)                                                             \
	SEC("tracepoint")                                                      \
	int sys_enter_##N(struct trace_event_raw_sys_enter *ctx)               \
	{                                                                      \
		return sys_enter(ctx, (__u32)bpf_get_attach_cookie(ctx), N);   \
	}

ENTER_N(0)
ENTER_N(1)
ENTER_N(2)
ENTER_N(3)
ENTER_N(4)
ENTER_N(5)
ENTER_N(6)

SEC("tracepoint")
int sys_exit_any(struct trace_event_raw_sys_exit *ctx)
{
	return sys_exit(ctx);
}

/* ---- resident set size: kmem/rss_stat, for growth of heaps that are not libc's ---- */

const volatile __s64 rss_step = 1 << 20; /* report a process's RSS when it moved this much */

SEC("tracepoint/kmem/rss_stat")
int on_rss_stat(struct trace_event_raw_rss_stat *ctx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct rss_state *st, zero = {};
	int member = ctx->member;
	struct lt_event *e;
	__s64 now, moved;
	__u32 idx;

	/* Only the current task's mm can be tied to a process here. */
	if (!trace_rss || !ctx->curr || member < 0 || member > 3 || !want_tgid(tgid))
		return 0;
	st = bpf_map_lookup_elem(&rss, &tgid);
	if (!st) {
		bpf_map_update_elem(&rss, &tgid, &zero, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&rss, &tgid);
		if (!st)
			return 0;
	}
	idx = member;
	barrier_var(idx); /* keep the mask: the verifier needs it, the optimiser drops it */
	st->member[idx & 3] = ctx->size;
	now = st->member[0] + st->member[1] + st->member[3];
	moved = now - st->sent;
	if (moved < rss_step && moved > -rss_step)
		return 0;
	st->sent = now;
	e = event_new(LT_EV_RSS);
	if (!e)
		return 0;
	e->size = now;
	event_send(e, 0, false);
	return 0;
}
