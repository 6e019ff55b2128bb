/* SPDX-License-Identifier: GPL-2.0 */
/*
 * growth.h - per-process time series of outstanding totals, their growth
 * rate over a sliding window, and the flags raised when a rate crosses its
 * limit (and lowered when it stops).
 *
 * Pure: no I/O, no clocks, no globals; samples and time are passed in, events
 * come back through a callback. Cost: O(samples in window) per process and
 * kind per sample, and a robust slope only when the cheap one is over the
 * limit; nothing per live allocation.
 */
#ifndef LEAKTRACE_GROWTH_H
#define LEAKTRACE_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum growth_kind {
	GROWTH_MEM = 0, /* outstanding heap bytes */
	GROWTH_MAP,     /* mapped bytes */
	GROWTH_FD,      /* open fds */
	GROWTH_TIMER,   /* timers */
	GROWTH_RSS,     /* resident set size, bytes */
	GROWTH__MAX
};

#define GROWTH_SAMPLES 30 /* samples kept per window */

struct growth_cfg {
	double limit[GROWTH__MAX]; /* units per second; 0 = this kind is not watched */
	__u64 window_ns;           /* the slope is taken over this much time */
	size_t max_procs;          /* processes followed at most; past it new ones are not */
};

enum growth_event_type {
	GROWTH_ALERT = 1, /* the rate crossed the limit and held over the window */
	GROWTH_RECOVERED, /* a flagged process stopped growing */
};

struct growth_event {
	enum growth_event_type type;
	__u32 tgid;
	enum growth_kind kind;
	double rate;     /* units per second, the robust slope over the window */
	double limit;
	__u64 window_ns;
	__u64 total;     /* the latest sample */
	__u64 since_ns;  /* start of the window the rate was measured over */
	__u64 flagged_ns;/* GROWTH_RECOVERED: when it had been flagged */
};

typedef void (*growth_event_fn)(void *ctx, const struct growth_event *ev);

struct growth;

struct growth *growth__new(const struct growth_cfg *cfg);
void growth__free(struct growth *g);

/*
 * One sample of a process's totals at now_ns (monotonic), vals indexed by enum
 * growth_kind. Call it for every process every sample period (window /
 * GROWTH_SAMPLES or more often: samples closer than that are merged). Raises
 * ALERT / RECOVERED through fn.
 */
void growth__sample(struct growth *g, __u32 tgid, __u64 now_ns, const __u64 vals[GROWTH__MAX],
		    growth_event_fn fn, void *ctx);

/* The process is gone (exit, exec, pid reuse): drop its series and flags. */
void growth__forget(struct growth *g, __u32 tgid);

/* Is (tgid, kind) flagged now? */
bool growth__flagged(const struct growth *g, __u32 tgid, enum growth_kind kind);

/*
 * Samples held for tgid now (0 if it is not followed): at most GROWTH_SAMPLES + 3
 * whatever the sampling rate. For tests and debugging.
 */
size_t growth__samples(const struct growth *g, __u32 tgid);

/* Processes followed now, and those refused because max_procs was reached. */
void growth__counts(const struct growth *g, size_t *procs, __u64 *refused);

/* Slopes over (t seconds, v) points, exposed for tests: least squares and Theil-Sen. */
double growth__slope_lsq(const double *t, const double *v, size_t n);
double growth__slope_theil_sen(const double *t, const double *v, size_t n);

#endif /* LEAKTRACE_GROWTH_H */
