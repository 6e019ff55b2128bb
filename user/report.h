/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the report model, and the renderers that turn it into text, JSON
 * Lines and folded stacks.
 *
 * The model is built once per report (user/report.c, from the aggregator and
 * the symbolizer). Renderers only read the model and write to the FILE * they
 * are given; they never reach into the aggregator's tables, and they escape
 * every string that came from a traced process (comm, paths, symbols).
 */
#ifndef LEAKTRACE_REPORT_H
#define LEAKTRACE_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>
#include "../bpf/leaktrace.h"

#define REPORT_MAX_PATHS 5

struct report_frame {
	__u64 addr;
	const char *sym;    /* function, demangled; NULL when unknown */
	__u64 off;          /* addr - start of sym (valid when sym) */
	const char *module; /* path of the object; NULL when unknown */
	__u64 module_off;   /* address relative to the module's load base (valid when module) */
	const char *file;   /* source file; NULL when unknown */
	int line;           /* source line; 0 when unknown */
	const char *build_id; /* module's GNU build-id, lowercase hex; NULL when unknown */
};

struct report_stack {
	enum lt_kind kind;
	__u32 pid;
	const char *comm;
	__u64 bytes;     /* mem, map */
	__u64 count;     /* allocations, mappings, fds, timers */
	double oldest_s; /* age of the oldest of them, seconds */
	__u32 fd_kinds[LT_FD__MAX];
	const char *paths[REPORT_MAX_PATHS]; /* fd: sample paths */
	int npaths;
	int nframes;
	const struct report_frame *frames; /* innermost first; frames[0] is the allocator's caller */
	__u64 prev_bytes, prev_count; /* delta reports: the totals at the previous report */
};

struct report_proc {
	__u32 pid;
	const char *comm;
	bool exited;
	__u64 mem_bytes, mem_count;
	__u64 map_bytes, map_count;
	__u64 fds, timers;
	__u64 rss;        /* resident bytes, 0 when unknown */
	unsigned flagged; /* growth kinds flagged now: 1u << (mem, map, fd, timer, rss) */
};

struct report_summary {
	time_t time;      /* wall-clock time of the report */
	bool final;       /* the last report (exit, -c command exit, COUNT reached) */
	bool delta;       /* stacks hold gains since the previous report (--delta) */
	double min_age_s; /* --min-age in force */
	__u64 events;
	__u64 short_lived;   /* allocations freed by their thread before its next one: not sent */
	__u64 lost_events;   /* ring buffer full (BPF) */
	__u64 lost_stacks;   /* kept, frames may be missing: unwound past a short stack sample */
	__u64 unknown_frees; /* frees of blocks not tracked (allocated before tracing, lost, ...) */
	__u64 untracked;     /* not tracked: --max-tracked reached */
	__u64 untracked_bytes;
	__u64 inflight_full; /* calls not traced: per-thread argument map full (BPF) */
	__u64 stack_overflow;/* events charged to the overflow stack: --max-stacks reached */
	__u64 reordered;     /* records merged from the per-CPU rings out of time order */
	__u64 live;          /* resources tracked now */
};

/* A process whose growth rate crossed its limit (or stopped growing). */
struct report_alert {
	bool recovered;
	__u32 pid;
	const char *comm;
	const char *cgroup;    /* cgroup v2 path; NULL when unknown */
	const char *container; /* container id found in the cgroup path; NULL when none */
	const char *kind;      /* "mem", "map", "fd", "timer", "rss" */
	bool bytes;            /* rate, limit and total are bytes (else counts) */
	double rate;           /* per second, over the window */
	double limit;          /* per second */
	double window_s;
	__u64 total;           /* the process's current total of that kind */
	double flagged_s;      /* recovered: how long it stayed flagged */
	time_t time;
	const struct report_stack *stacks; /* alert: what grew in the window, largest first */
	size_t nstacks;
};

struct report {
	struct report_summary summary;
	const struct report_stack *stacks; /* grouped by kind (mem, map, fd, timer), largest first */
	size_t nstacks;
	const struct report_proc *procs; /* largest first */
	size_t nprocs;
};

/* Options that change how the renderers print, not what the model holds. */
struct render_opts {
	bool no_pid;      /* folded: root frame is comm alone */
	bool value_count; /* folded: mem/map values are counts, not bytes */
	bool two_column;  /* folded: "stack BEFORE AFTER" (delta reports, for difffolded) */
	bool delta;       /* the stacks hold gains since the previous report */
};

int report_text__write(const struct report *r, const struct render_opts *o, FILE *f);
int report_json__write(const struct report *r, const struct render_opts *o, FILE *f);
int report_folded__write(const struct report *r, const struct render_opts *o, FILE *f);
/* gzip-compressed pprof profile.proto (binary: the caller refuses a terminal). */
int report_pprof__write(const struct report *r, const struct render_opts *o, FILE *f);

/* Name of a kind ("mem", "map", "fd", "timer") and of an fd kind ("file", "socket", ...). */
const char *report__kind_name(enum lt_kind kind);
/* Name of a growth kind: "mem", "map", "fd", "timer", "rss". */
const char *report__growth_kind_name(int kind);

/* An alert or a recovery: text is one "ALERT ..." / "RECOVERED ..." line and, for an
 * alert, the stacks that grew; JSON is one "alert" / "recovered" object. */
int report_text__alert(const struct report_alert *a, FILE *f);
int report_json__alert(const struct report_alert *a, FILE *f);
const char *report__fd_kind_name(enum lt_fd_kind kind);

#endif /* LEAKTRACE_REPORT_H */
