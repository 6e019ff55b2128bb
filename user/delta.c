// SPDX-License-Identifier: GPL-2.0
/*
 * delta.c - per-stack gains between two reports.
 *
 * Owns: the previous report's totals per stack_id, in a sorted array (one
 * binary search per stack: reports are rare, stacks a few thousand). Must
 * not: touch the aggregator or print.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "delta.h"

struct delta_entry {
	__u32 stack_id;
	__u64 bytes, count;
};

struct delta {
	struct delta_entry *prev; /* by stack_id */
	size_t nprev;
};

struct gain {
	struct agg_stack_info info;
	__u64 value; /* what ranks it: bytes gained (mem, map) or count gained */
	__u64 prev_bytes, prev_count;
};

struct delta *delta__new(void)
{
	return calloc(1, sizeof(struct delta));
}

void delta__free(struct delta *d)
{
	if (!d)
		return;
	free(d->prev);
	free(d);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct delta_entry *x = a, *y = b;

	return x->stack_id < y->stack_id ? -1 : x->stack_id > y->stack_id;
}

static int gain_cmp(const void *a, const void *b)
{
	const struct gain *x = a, *y = b;

	if (x->info.kind != y->info.kind)
		return x->info.kind < y->info.kind ? -1 : 1;
	if (x->value != y->value)
		return x->value > y->value ? -1 : 1;
	return x->info.stack_id < y->info.stack_id ? -1 : x->info.stack_id > y->info.stack_id;
}

static bool by_bytes(enum lt_kind kind)
{
	return kind == LT_KIND_MEM || kind == LT_KIND_MAP;
}

int delta__apply(struct delta *d, struct agg_stack_info *v, size_t *n, size_t top_n,
		 __u64 *prev_bytes, __u64 *prev_count)
{
	struct delta_entry *now, key, *old;
	size_t i, k = 0, out = 0, in_kind = 0, total = *n;
	struct gain *g;
	int kind = -1;

	now = malloc((total ? total : 1) * sizeof(*now));
	g = malloc((total ? total : 1) * sizeof(*g));
	if (!now || !g) {
		free(now);
		free(g);
		return -ENOMEM;
	}
	for (i = 0; i < total; i++) {
		now[i] = (struct delta_entry){ v[i].stack_id, v[i].bytes, v[i].count };
		key.stack_id = v[i].stack_id;
		old = d->nprev ? bsearch(&key, d->prev, d->nprev, sizeof(key), entry_cmp) : NULL;
		g[k].prev_bytes = old ? old->bytes : 0;
		g[k].prev_count = old ? old->count : 0;
		if (by_bytes(v[i].kind) ? v[i].bytes <= g[k].prev_bytes :
					  v[i].count <= g[k].prev_count)
			continue; /* shrank or stayed: gained nothing */
		g[k].info = v[i];
		g[k].info.bytes = v[i].bytes > g[k].prev_bytes ? v[i].bytes - g[k].prev_bytes : 0;
		g[k].info.count = v[i].count > g[k].prev_count ? v[i].count - g[k].prev_count : 0;
		g[k].value = by_bytes(v[i].kind) ? g[k].info.bytes : g[k].info.count;
		k++;
	}
	qsort(g, k, sizeof(*g), gain_cmp);
	for (i = 0; i < k; i++) {
		if ((int)g[i].info.kind != kind) {
			kind = g[i].info.kind;
			in_kind = 0;
		}
		if (top_n && in_kind++ >= top_n)
			continue;
		v[out] = g[i].info;
		prev_bytes[out] = g[i].prev_bytes;
		prev_count[out] = g[i].prev_count;
		out++;
	}
	*n = out;
	qsort(now, total, sizeof(*now), entry_cmp);
	free(g);
	free(d->prev);
	d->prev = now;
	d->nprev = total;
	return 0;
}
