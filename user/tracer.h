/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tracer.h - the BPF side as seen from user space: load, configure, attach
 * lifecycle tracepoints and allocator objects, read counters, detach.
 *
 * Owns: the skeleton, every link, the per-CPU ring buffers. Must not: aggregate or
 * print reports. Every failure returns a negative errno and writes one
 * human-readable cause into the caller's buffer.
 */
#ifndef LEAKTRACE_TRACER_H
#define LEAKTRACE_TRACER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <bpf/libbpf.h>
#include "../bpf/leaktrace.h"

struct tracer;

struct tracer_cfg {
	bool filter_pids;      /* only tgids added with tracer__add_pid (and, follow_forks, kids) */
	bool follow_forks;
	bool stop_on_exec_map; /* -c: SIGSTOP filtered tgids at exec mmaps (ptrace absorbs it) */
	bool probe_floor;      /* empty programs */
	bool every_event;      /* no held allocations: every malloc and free is sent */
	bool verbose;
	unsigned kinds;        /* 1u << LT_KIND_*: which syscall tracepoints to attach */
	bool trace_rss;        /* attach kmem/rss_stat */
	size_t ringbuf_size;   /* all the per-CPU rings together */
	unsigned max_frames;
	int (*on_sample)(void *ctx, void *data, size_t len);
	void (*on_peek)(void *ctx, const void *data, size_t len); /* optional: user/ring.h */
	void *ctx;
};

/* Period of the per-CPU tick that sends a busy thread's held allocation (bpf on_tick). */
#define HOLD_TICK_NS (100 * 1000000ull)

int tracer__new(const struct tracer_cfg *cfg, struct tracer **out, char *err, size_t errlen);
void tracer__free(struct tracer *t);

int tracer__add_pid(struct tracer *t, pid_t tgid);

/*
 * Attach the allocator probes to the object at path, the file (dev, ino) that
 * pid maps (pid 0 and ino 0: a path of ours, any file). An object already
 * attached (same dev, inode) returns -EEXIST. -ENOENT: not an allocator
 * object (no malloc/free).
 */
int tracer__attach_object(struct tracer *t, pid_t pid, const char *path, dev_t dev, ino_t ino,
			  char *err, size_t errlen);
/* Tell the BPF side that executable mappings of (dev, ino) need no more events. */
void tracer__mark_seen(struct tracer *t, dev_t dev, ino_t ino);

/* Is (dev, ino) attached already? */
bool tracer__has_object(const struct tracer *t, dev_t dev, ino_t ino);
int tracer__nr_objects(const struct tracer *t);
int tracer__nr_links(const struct tracer *t);

/*
 * Hand what the rings hold to on_sample, in time order (user/ring.h); all:
 * recent records too. Returns the records handed out or on_sample's non-zero.
 */
int tracer__consume(struct tracer *t, bool all);

/* Whether the records ahead are shown to on_peek in the next passes (if it is set). */
void tracer__set_peek(struct tracer *t, bool on);
/* The last consume left records only because they were too recent to order. */
bool tracer__held(struct tracer *t);
/* Readable when a ring has been woken. */
int tracer__epoll_fd(struct tracer *t);

/* Sum the per-CPU counters (enum lt_stat). */
int tracer__stats(struct tracer *t, __u64 out[LT_STAT__MAX]);

#endif /* LEAKTRACE_TRACER_H */
