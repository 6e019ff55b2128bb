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
};

struct report_proc {
	__u32 pid;
	const char *comm;
	bool exited;
	__u64 mem_bytes, mem_count;
	__u64 map_bytes, map_count;
	__u64 fds, timers;
};

struct report_summary {
	time_t time;      /* wall-clock time of the report */
	bool final;       /* the last report (exit, -c command exit, COUNT reached) */
	double min_age_s; /* --min-age in force */
	__u64 events;
	__u64 lost_events;   /* ring buffer full (BPF) */
	__u64 lost_stacks;   /* stack capture failed (BPF) */
	__u64 unknown_frees; /* frees of blocks not tracked (allocated before tracing, lost, ...) */
	__u64 untracked;     /* not tracked: --max-tracked reached */
	__u64 untracked_bytes;
	__u64 inflight_full; /* calls not traced: per-thread argument map full (BPF) */
	__u64 stack_overflow;/* events charged to the overflow stack: --max-stacks reached */
	__u64 live;          /* resources tracked now */
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
	bool no_pid;    /* folded: root frame is comm alone */
	bool color;     /* text: (reserved) */
};

int report_text__write(const struct report *r, const struct render_opts *o, FILE *f);
int report_json__write(const struct report *r, const struct render_opts *o, FILE *f);
int report_folded__write(const struct report *r, const struct render_opts *o, FILE *f);

/* Name of a kind ("mem", "map", "fd", "timer") and of an fd kind ("file", "socket", ...). */
const char *report__kind_name(enum lt_kind kind);
const char *report__fd_kind_name(enum lt_fd_kind kind);

#endif /* LEAKTRACE_REPORT_H */
