/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_build.h - build one report model from the aggregator and the
 * symbolizer. The model is what every renderer reads.
 */
#ifndef LEAKTRACE_REPORT_BUILD_H
#define LEAKTRACE_REPORT_BUILD_H

#include "agg.h"
#include "delta.h"
#include "growth.h"
#include "report.h"
#include "symbolize.h"

struct report_params {
	__u64 now_ns;     /* CLOCK_MONOTONIC, the clock of lt_event.ts_ns */
	__u64 min_age_ns;
	unsigned kinds;   /* 1u << LT_KIND_* */
	size_t top;
	bool final;
	time_t wall;      /* wall-clock time printed in the report */
	__u64 bpf[LT_STAT__MAX]; /* the BPF side's counters */
	const struct growth *growth; /* flags shown per process; NULL: none */
	struct delta *delta;         /* --delta: stacks hold gains since the last report */
};

/* Returns 0 and a model to release with report__free(), or a negative errno. */
int report__build(struct agg *agg, struct symbolizer *sym, const struct report_params *p,
		  struct report **out);
void report__free(struct report *r);

/*
 * A model holding only the stacks process tgid gained since since_ns and still
 * holds (what an alert shows). Release with report__free().
 */
int report__build_grown(struct agg *agg, struct symbolizer *sym, __u32 tgid, __u64 since_ns,
			unsigned kinds, size_t top, __u64 now_ns, struct report **out);

#endif /* LEAKTRACE_REPORT_BUILD_H */
