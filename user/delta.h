/* SPDX-License-Identifier: GPL-2.0 */
/*
 * delta.h - what each stack gained since the previous report (--delta).
 *
 * Pure: remembers each stack's outstanding bytes and count at the last call,
 * keyed by the aggregator's stack_id (stable while the stack exists). Memory
 * is one entry per stack seen in the last report.
 */
#ifndef LEAKTRACE_DELTA_H
#define LEAKTRACE_DELTA_H

#include <stddef.h>
#include "agg.h"

struct delta;

struct delta *delta__new(void);
void delta__free(struct delta *d);

/*
 * v[0..*n) holds every stack's outstanding totals now. Turns each into its
 * gain since the previous call (bytes for mem/map, count for fd/timer decide
 * what "gained" means), keeps only stacks that gained, ordered per kind by
 * gain (largest first, ties by stack_id), at most top_n per kind (0: all).
 * prev_bytes/prev_count receive the previous totals of the kept stacks, in
 * the same order. Remembers the current totals for the next call.
 * Returns 0 or -ENOMEM (then v is unchanged and nothing is remembered).
 */
int delta__apply(struct delta *d, struct agg_stack_info *v, size_t *n, size_t top_n,
		 __u64 *prev_bytes, __u64 *prev_count);

#endif /* LEAKTRACE_DELTA_H */
