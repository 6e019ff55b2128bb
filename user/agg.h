/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agg.h - the pure aggregator: the live table of outstanding resources per
 * (tgid, kind, key), per-stack and per-process totals, process lifecycle.
 *
 * Pure: no file descriptors, no printing, no globals; time comes from the
 * events (lt_event.ts_ns) or is passed in. Tests and the replay benchmark feed
 * it synthetic events. Memory is bounded by struct agg_limits.
 */
#ifndef LEAKTRACE_AGG_H
#define LEAKTRACE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "../bpf/leaktrace.h"

#define AGG_MAX_PATHS 5 /* sample paths kept per fd stack */

struct agg;

struct agg_limits {
	size_t max_tracked; /* outstanding resources kept (all kinds); past it: untracked, counted */
	size_t max_stacks;  /* distinct stacks kept; past it: the event counts on an overflow stack */
	bool keep_exited;   /* -c mode: an exited process keeps its state, marked exited */
	/*
	 * When events were lost, a process may have exited and another taken its
	 * pid with both the exit and the fork unseen. If start_of is set, the first
	 * event of each known process after a loss (the event flagged
	 * LT_F_AFTER_LOSS and those after it) asks it for the start of the process
	 * now at that pid: USER_HZ ticks since boot, as in /proc/PID/stat (0:
	 * unknown or gone), and *mono_ns, the same moment on the events' clock
	 * (CLOCK_MONOTONIC). A start that differs from the one we know, of a
	 * process that started before the event was sent, means the process was
	 * replaced: its state is dropped, as its exit would have done. (One that
	 * started after the event did not send it: the consumer is behind, and the
	 * old process's exit is still on its way.)
	 */
	__u64 (*start_of)(void *ctx, __u32 tgid, __u64 *mono_ns);
	void *start_ctx;
};

/* agg__on_event() result bits */
#define AGG_R_NEW_PROC (1u << 0)  /* first event of this tgid (or of a new process at a reused pid) */
#define AGG_R_NEW_STACK (1u << 1) /* the event created a stack not seen before */
#define AGG_R_EXEC (1u << 2)      /* the process replaced its image */
#define AGG_R_EXIT (1u << 3)      /* the process is gone */
#define AGG_R_REPLACED (1u << 4)  /* with NEW_PROC: the pid's previous process ended unseen */

struct agg_stats {
	__u64 events;           /* events consumed */
	__u64 unknown_frees;    /* frees/unmaps/closes/deletes of something not tracked */
	__u64 untracked;        /* resources not tracked because max_tracked was reached */
	__u64 untracked_bytes;  /* their bytes (mem, map) */
	__u64 stack_overflow;   /* events charged to the overflow stack (max_stacks reached) */
	__u64 live;             /* outstanding resources tracked now (all kinds) */
	__u64 stacks;           /* distinct stacks now */
	__u64 procs;            /* processes in the table now */
	__u64 bad_events;       /* malformed records (short, unknown type) */
	__u64 reconciled;       /* fds dropped because /proc/PID/fd no longer had them */
	__u64 replaced;         /* processes found replaced at their pid after lost events */
	__u64 late_dropped;     /* records made before their resource was released unseen
				 * (held allocations, LT_F_HELD, that came after their free) */
};

struct agg_stack_info {
	__u32 stack_id; /* stable while the stack exists */
	__u32 tgid;
	enum lt_kind kind;
	__u64 bytes;     /* outstanding bytes older than min_age (mem, map) */
	__u64 count;     /* outstanding resources older than min_age */
	__u64 oldest_ts; /* ts_ns of the oldest of them */
	__u32 fd_kinds[LT_FD__MAX];        /* fd: count per enum lt_fd_kind */
	const char *paths[AGG_MAX_PATHS];  /* fd: distinct sample paths, owned by agg */
	int npaths;
	__u16 nframes;
	const __u64 *frames; /* owned by agg, innermost first */
};

struct agg_proc_info {
	__u32 tgid;
	char comm[LT_COMM_LEN];
	bool exited;
	__u64 mem_bytes, mem_count; /* all outstanding, whatever their age */
	__u64 map_bytes, map_count;
	__u64 fds, timers;
	__u64 rss; /* resident bytes, from the last LT_EV_RSS (0: none seen) */
};

/* limits may be NULL; a zero max_tracked or max_stacks means no limit. */
struct agg *agg__new(const struct agg_limits *limits);
void agg__free(struct agg *agg);

/*
 * Consume one ring-buffer record of len bytes. Returns AGG_R_* bits. A
 * syscall record (LT_F_SYS_EXTRA) must be laid out by sysrec__expand() first.
 */
unsigned agg__on_event(struct agg *agg, const struct lt_event *e, size_t len);

/*
 * A hint: record e will be handed to agg__on_event() soon (after a few
 * others). Starts loading what it will look up; changes nothing.
 */
void agg__prefetch(const struct agg *agg, const struct lt_event *e, size_t len);

/*
 * Whether agg__prefetch() is worth its cost now: only when the live tables
 * outgrow a core's cache (AGG_PREFETCH_MIN_LIVE); below that the slot is
 * usually cached and the hint is ~5 ns per event for nothing.
 */
bool agg__prefetch_useful(const struct agg *agg);
#define AGG_PREFETCH_MIN_LIVE 32768

/* Name a process (from /proc/PID/comm when first seen); creates it if absent. */
void agg__set_comm(struct agg *agg, __u32 tgid, const char *comm);

/* The start of a known process (USER_HZ ticks since boot), for limits.start_of. */
void agg__set_start(struct agg *agg, __u32 tgid, __u64 start);

/*
 * Stacks holding resources of the kinds in kinds_mask (1u << LT_KIND_*) that are
 * older than min_age_ns at now_ns. At most top_n per kind, ordered by bytes
 * (mem, map) or count (fd, timer), largest first; ties by stack_id. *out is a
 * malloc()ed array the caller free()s; pointers inside stay valid until the
 * next agg__on_event().
 * top_n 0 means every stack. Results are grouped by kind (mem, map, fd,
 * timer); agg__drop_proc() also ends the pointers' validity.
 */
int agg__top_stacks(struct agg *agg, __u64 now_ns, __u64 min_age_ns, unsigned kinds_mask,
		    size_t top_n, struct agg_stack_info **out, size_t *n);

/*
 * What process tgid gained since since_ns and still holds, per stack: its
 * outstanding resources of kinds_mask created at or after since_ns. The stacks
 * that grew in a growth window. Scans that process only. Same ordering and
 * ownership as agg__top_stacks().
 */
int agg__top_stacks_since(struct agg *agg, __u32 tgid, __u64 since_ns, unsigned kinds_mask,
			  size_t top_n, struct agg_stack_info **out, size_t *n);

/* Every process in the table, ordered by mem_bytes, then tgid. Caller free()s *out. */
int agg__procs(struct agg *agg, struct agg_proc_info **out, size_t *n);

/*
 * The process's fds really open now (from /proc/PID/fd), sorted ascending:
 * tracked fds not among them were closed by a path we do not see (a close in
 * a vfork child, an fd passed away) and are dropped. Returns how many.
 */
size_t agg__reconcile_fds(struct agg *agg, __u32 tgid, const int *open_fds, size_t n);

/* Forget an exited process kept by keep_exited. */
void agg__drop_proc(struct agg *agg, __u32 tgid);

void agg__stats(const struct agg *agg, struct agg_stats *st);

/* Bytes the aggregator holds in its own tables (the memory budget: tests, -v). */
size_t agg__mem_bytes(const struct agg *agg);

#endif /* LEAKTRACE_AGG_H */
