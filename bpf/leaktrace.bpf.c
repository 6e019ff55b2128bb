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
const volatile __u64 wakeup_bytes = 1 << 20; /* wake the consumer past this much data */
const volatile bool probe_floor = false;     /* benchmark: programs do nothing */

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
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by --ringbuf-size */
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by --max-threads */
	__type(key, __u32);         /* tid */
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LT_STAT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/* One event being built per CPU: the record is variable-length (frames). */
struct scratch {
	__u8 buf[sizeof(struct lt_event) + LT_MAX_FRAMES * sizeof(__u64)];
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

static __always_inline bool want_tgid(__u32 tgid)
{
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
	e->ts_ns = bpf_ktime_get_ns();
	e->addr = 0;
	e->old_addr = 0;
	e->size = 0;
	e->aux = 0;
	return e;
}

/*
 * Capture the user stack into e->frames. Called at a uretprobe: the kernel has
 * put the original return address back in regs->ip, so frames[0] is the
 * allocator's caller even in code without frame pointers.
 */
static __always_inline __u32 event_stack(void *ctx, struct lt_event *e)
{
	__u32 max = max_frames;
	long n;

	if (max > LT_MAX_FRAMES)
		max = LT_MAX_FRAMES;
	n = bpf_get_stack(ctx, e->frames, max * sizeof(__u64), BPF_F_USER_STACK);
	if (n <= 0) {
		e->flags |= LT_F_STACK_LOST;
		stat_inc(LT_STAT_LOST_STACKS);
		return 0;
	}
	e->nframes = n / sizeof(__u64);
	return n;
}

static __always_inline void event_send(struct lt_event *e, __u32 frame_bytes, bool urgent)
{
	__u64 len = sizeof(*e) + frame_bytes;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (len > sizeof(struct scratch))
		len = sizeof(struct scratch);
	/*
	 * Waking the consumer per event would cost a context switch per malloc;
	 * wake it only when data piles up or the event needs prompt handling.
	 */
	if (urgent || bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(&rb, e, len, flags))
		stat_inc(LT_STAT_LOST_EVENTS);
	else
		stat_inc(LT_STAT_EVENTS);
}

/* ---- allocator entry: remember the arguments until the call returns ---- */

static __always_inline int enter(struct pt_regs *ctx, __u32 fn, __u64 size, __u64 old,
				 __u64 memptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	__u64 sp = PT_REGS_SP(ctx);
	struct inflight *cur, v = {};

	if (probe_floor || !want_tgid(id >> 32))
		return 0;
	/*
	 * An allocator called from inside another (realloc(NULL, n) calls malloc,
	 * memalign may too) runs deeper on the same stack: the outer call accounts
	 * for the block. An entry at the same or a shallower sp is stale (the outer
	 * call never returned through us, e.g. longjmp) and is replaced.
	 */
	cur = bpf_map_lookup_elem(&inflight, &tid);
	if (cur && cur->sp > sp) {
		stat_inc(LT_STAT_NESTED);
		return 0;
	}
	v.sp = sp;
	v.size = size;
	v.old = old;
	v.memptr = memptr;
	v.fn = fn;
	if (bpf_map_update_elem(&inflight, &tid, &v, BPF_ANY))
		stat_inc(LT_STAT_INFLIGHT_FULL);
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

/* ---- allocator return: one program for all, the fn id says what happened ---- */

SEC("uretprobe")
int BPF_KRETPROBE(alloc_return, __u64 ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct inflight *cur, v;
	struct lt_event *e;
	__u32 frame_bytes;

	if (probe_floor)
		return 0;
	cur = bpf_map_lookup_elem(&inflight, &tid);
	if (!cur)
		return 0;
	/* Our entry's sp plus the popped return address: any other sp is a nested call. */
	if (cur->sp + 8 != PT_REGS_SP(ctx))
		return 0;
	v = *cur;
	bpf_map_delete_elem(&inflight, &tid);

	if (v.fn == FN_POSIX_MEMALIGN) {
		if (ret != 0)
			return 0; /* failed: *memptr untouched */
		if (bpf_probe_read_user(&ret, sizeof(ret), (void *)v.memptr))
			return 0;
	}
	if (v.fn == FN_REALLOC || v.fn == FN_REALLOCARRAY) {
		if (v.old && !ret) {
			/* realloc(p, 0) returning NULL freed p; any other failure left p live. */
			if (v.size)
				return 0;
			e = event_new(LT_EV_FREE);
			if (!e)
				return 0;
			e->addr = v.old;
			event_send(e, 0, false);
			return 0;
		}
	}
	if (!ret)
		return 0;

	e = event_new(v.old ? LT_EV_REALLOC : LT_EV_ALLOC);
	if (!e)
		return 0;
	e->addr = ret;
	e->old_addr = v.old;
	e->size = v.size;
	frame_bytes = event_stack(ctx, e);
	event_send(e, frame_bytes, false);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(free_enter, __u64 ptr)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id;
	struct inflight *cur;
	struct lt_event *e;

	if (probe_floor || !ptr || !want_tgid(id >> 32))
		return 0;
	/* free() called by realloc() & co. is accounted by the outer call. */
	cur = bpf_map_lookup_elem(&inflight, &tid);
	if (cur && cur->sp > PT_REGS_SP(ctx)) {
		stat_inc(LT_STAT_NESTED);
		return 0;
	}
	e = event_new(LT_EV_FREE);
	if (!e)
		return 0;
	e->addr = ptr;
	event_send(e, 0, false);
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
	BPF_CORE_READ_STR_INTO(&e->comm, child, comm);
	event_send(e, 0, false);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(on_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct lt_event *e;

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
	__u32 tid = BPF_CORE_READ(p, pid);
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct lt_event *e;

	bpf_map_delete_elem(&inflight, &tid);
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
	if (filter_pids && follow_forks)
		bpf_map_delete_elem(&pids, &tgid);
	return 0;
}

/*
 * An executable file mapping may bring a new allocator object (a container's
 * libc, a program started through another loader): tell user space, which
 * attaches to it. In -c mode the process is held (SIGSTOP, absorbed by the
 * tracer's ptrace) until that is done, so no allocation escapes.
 */
SEC("tracepoint/syscalls/sys_enter_mmap")
int on_mmap(struct trace_event_raw_sys_enter *ctx)
{
	__u64 prot = ctx->args[2];
	long fd = (long)ctx->args[4];
	__u64 id = bpf_get_current_pid_tgid();
	struct lt_event *e;

	if (!watch_exec_maps || !(prot & PROT_EXEC) || fd < 0)
		return 0;
	if (!want_tgid(id >> 32))
		return 0;
	e = event_new(LT_EV_EXEC_MAP);
	if (!e)
		return 0;
	e->aux = fd;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	event_send(e, 0, true);
	if (stop_on_exec_map)
		bpf_send_signal_thread(SIGSTOP);
	return 0;
}
