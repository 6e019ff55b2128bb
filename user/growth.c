// SPDX-License-Identifier: GPL-2.0
/*
 * growth.c - per-process time series of outstanding totals, a robust growth
 * rate over a sliding window, and the ALERT / RECOVERED flags with hysteresis.
 *
 * Owns: the process table (open addressing on tgid, linear probing,
 * backward-shift deletion) and, per process, one ring of samples shared by
 * all kinds. Must not: print, read a clock, allocate per sample, or keep
 * globals. Time and values come from the caller, so tests drive it with
 * synthetic series.
 *
 * Samples. Time is cut into slots of window / GROWTH_SAMPLES on an absolute
 * grid; a sample that falls in the same slot as the previous one replaces it
 * (latest time and value), so a process costs the same memory and CPU however
 * often the caller samples it. A grid, rather than "at least a slot after the
 * previous sample", keeps a caller that samples once a slot with a little
 * timer jitter from losing every other sample. The ring keeps the newest
 * sample at or before now - window (the anchor: it proves the series spans
 * the whole window) and everything after it: at most GROWTH_SAMPLES + 2 slots
 * plus the anchor, hence GROWTH_RING.
 *
 * Flag criteria, all over the samples from the anchor to now, every one
 * needed; the cheap ones first so a flat process costs one O(n) pass per kind:
 *  1. least-squares slope > limit: the cheap gate.
 *  2. kept growth: (last - first) - deepest fall >= limit * window / 2, the
 *     deepest fall being the largest drop from a running peak. Net growth
 *     alone rejects a sawtooth whose period divides the window (it ends where
 *     it began) but not one whose period is between a half and a whole window:
 *     that ends up to a tooth higher, and its least-squares and Theil-Sen
 *     slopes are near the peak rate. Its free is a fall as deep as the net
 *     rise, so subtracting the fall rejects it, while a leak with churn on top
 *     only gives back the churn's amplitude.
 *  3. spread: the least-squares slope of each half of the window > limit / 2.
 *     A one-time step in the middle of the window (a process that loads a big
 *     file once, long after start-up) passes 1 and 2, and even Theil-Sen,
 *     because most pairs straddle the step; a flat half rejects it.
 *  4. Theil-Sen slope (median of the pairwise slopes) > limit: a step near
 *     either edge of the window (start-up growth, then flat) or a few outliers
 *     move least squares a lot and the median not at all. O(n^2), so last.
 * A process followed for less than a window is not evaluated: its start-up
 * growth is not sustained growth. Steady growth at twice the limit passes all
 * four at the first sample a full window after the first one.
 *
 * Hysteresis: a flagged (tgid, kind) raises nothing more until it recovers:
 * Theil-Sen slope <= limit / 2 and at least a window since it was flagged, so
 * one process and kind alerts at most once a window (--on-alert relies on it).
 *
 * Limits: cfg->max_procs == 0 means no limit. Past it, a new process is
 * refused and counted once; its tgid is remembered (up to max_procs of them)
 * so its later samples do not count again, and it is followed as soon as room
 * appears. Failing allocations refuse the same way, counted per sample.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "growth.h"

#define GOLDEN	    0x9e3779b97f4a7c15ull
#define NSEC	    1000000000.0
#define GROWTH_RING (GROWTH_SAMPLES + 3)
#define PAIRS_MAX   (GROWTH_RING * (GROWTH_RING - 1) / 2)
#define TABLE_MIN   16u

/* One process: a ring of sample times, and per time one value per kind. */
struct gproc {
	__u32 tgid;
	__u8 first; /* ring index of the oldest sample */
	__u8 nsamples;
	__u8 flagged; /* bit per kind */
	__u64 flagged_ns[GROWTH__MAX];
	__u64 t[GROWTH_RING];
	__u64 v[GROWTH_RING][GROWTH__MAX];
};

enum slot_state {
	SLOT_EMPTY = 0,
	SLOT_FOLLOWED, /* p holds the series */
	SLOT_REFUSED,  /* refused for max_procs and already counted */
};

struct slot {
	__u32 tgid;
	__u32 state;
	struct gproc *p;
};

struct growth {
	struct growth_cfg cfg;
	__u64 slot_ns; /* window / GROWTH_SAMPLES: one sample per slot */
	double window_s;
	bool watched; /* some kind has a limit */
	struct slot *slots;
	__u32 cap; /* power of two, or 0 before the first process */
	__u32 shift;
	size_t procs; /* SLOT_FOLLOWED */
	size_t marks; /* SLOT_REFUSED */
	__u64 refused;
};

/* ---- slopes ---- */

static double lsq_slope(const double *t, const double *v, size_t n)
{
	double mt = 0, mv = 0, sxx = 0, sxy = 0;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		mt += t[i];
		mv += v[i];
	}
	mt /= n;
	mv /= n;
	/* Centred sums: exact for exact lines, no cancellation of large sums. */
	for (i = 0; i < n; i++) {
		sxx += (t[i] - mt) * (t[i] - mt);
		sxy += (t[i] - mt) * (v[i] - mv);
	}
	return sxx > 0 ? sxy / sxx : 0;
}

/* a[k] as if a were sorted; afterwards a[0..k) <= a[k] <= a(k..n). */
static double select_kth(double *a, ptrdiff_t n, ptrdiff_t k)
{
	ptrdiff_t lo = 0, hi = n - 1;

	while (lo < hi) {
		double pivot = a[lo + (hi - lo) / 2], tmp;
		ptrdiff_t i = lo, j = hi;

		while (i <= j) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i <= j) {
				tmp = a[i];
				a[i++] = a[j];
				a[j--] = tmp;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return a[k];
	}
	return a[k];
}

static double median(double *a, size_t n)
{
	double hi, lo;
	size_t i;

	if (!n)
		return 0;
	hi = select_kth(a, (ptrdiff_t)n, (ptrdiff_t)(n / 2));
	if (n & 1)
		return hi;
	/* The lower middle is the largest of what select left below it. */
	lo = a[0];
	for (i = 1; i < n / 2; i++)
		if (a[i] > lo)
			lo = a[i];
	return (lo + hi) / 2;
}

/* buf holds n * (n - 1) / 2 doubles. Points at the same time give no slope. */
static double theil_sen(const double *t, const double *v, size_t n, double *buf)
{
	size_t i, j, m = 0;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (t[j] != t[i])
				buf[m++] = (v[j] - v[i]) / (t[j] - t[i]);
	return median(buf, m);
}

double growth__slope_lsq(const double *t, const double *v, size_t n)
{
	if (!t || !v)
		return 0;
	return lsq_slope(t, v, n);
}

/* NAN only when a series longer than the ring cannot get its scratch buffer. */
double growth__slope_theil_sen(const double *t, const double *v, size_t n)
{
	double stack_buf[PAIRS_MAX], *buf = stack_buf, slope;

	if (!t || !v || n < 2)
		return 0;
	if (n > GROWTH_RING) {
		buf = malloc(n * (n - 1) / 2 * sizeof(*buf));
		if (!buf)
			return NAN;
	}
	slope = theil_sen(t, v, n, buf);
	if (buf != stack_buf)
		free(buf);
	return slope;
}

/* ---- criteria ---- */

/* Largest drop from a running peak: how much of its growth the series gave back. */
static double deepest_fall(const double *v, size_t n)
{
	double peak = v[0], fall = 0;
	size_t i;

	for (i = 1; i < n; i++) {
		if (v[i] > peak)
			peak = v[i];
		else if (peak - v[i] > fall)
			fall = peak - v[i];
	}
	return fall;
}

/* Both halves (sharing a middle sample if there is one) rise at over min_slope. */
static bool halves_rise(const double *t, const double *v, size_t n, double min_slope)
{
	double mid = t[0] + (t[n - 1] - t[0]) / 2;
	size_t a = 0, b;

	while (a < n && t[a] <= mid)
		a++; /* [0, a): first half */
	for (b = a; b > 0 && t[b - 1] >= mid; b--)
		; /* [b, n): second half */
	if (a < 2 || n - b < 2)
		return false;
	return lsq_slope(t, v, a) > min_slope && lsq_slope(t + b, v + b, n - b) > min_slope;
}

/* Criteria 1-3 of the header comment; Theil-Sen is left to the caller. */
static bool grows_steadily(const double *t, const double *v, size_t n, double limit,
			   double window_s)
{
	if (lsq_slope(t, v, n) <= limit)
		return false;
	if ((v[n - 1] - v[0]) - deepest_fall(v, n) < limit * window_s / 2)
		return false;
	return halves_rise(t, v, n, limit / 2);
}

/* ---- process table ---- */

static __u32 slot_home(const struct growth *g, __u32 tgid)
{
	return (__u32)((tgid * GOLDEN) >> g->shift);
}

static struct slot *slot_find(const struct growth *g, __u32 tgid)
{
	__u32 mask = g->cap - 1, i;

	if (!g->cap)
		return NULL;
	for (i = slot_home(g, tgid); g->slots[i].state != SLOT_EMPTY; i = (i + 1) & mask)
		if (g->slots[i].tgid == tgid)
			return &g->slots[i];
	return NULL;
}

static int table_resize(struct growth *g, __u32 cap)
{
	struct slot *old = g->slots;
	__u32 old_cap = g->cap, i, j;

	g->slots = calloc(cap, sizeof(*g->slots));
	if (!g->slots) {
		g->slots = old;
		return -ENOMEM;
	}
	g->cap = cap;
	g->shift = 64 - (__u32)__builtin_ctz(cap);
	for (i = 0; i < old_cap; i++) {
		if (old[i].state == SLOT_EMPTY)
			continue;
		for (j = slot_home(g, old[i].tgid); g->slots[j].state != SLOT_EMPTY;)
			j = (j + 1) & (cap - 1);
		g->slots[j] = old[i];
	}
	free(old);
	return 0;
}

/* A new empty slot for tgid (not in the table), or NULL without memory. */
static struct slot *slot_add(struct growth *g, __u32 tgid)
{
	size_t used = g->procs + g->marks;
	__u32 i;

	/* At most 3/4 full, so probe runs stay short. */
	if ((used + 1) * 4 > (size_t)g->cap * 3 && table_resize(g, g->cap ? g->cap * 2 : TABLE_MIN))
		return NULL;
	for (i = slot_home(g, tgid); g->slots[i].state != SLOT_EMPTY;)
		i = (i + 1) & (g->cap - 1);
	g->slots[i].tgid = tgid;
	g->slots[i].p = NULL;
	return &g->slots[i];
}

/* Backward-shift deletion: no tombstones, so forget() leaves no slower probes. */
static void slot_del(struct growth *g, struct slot *s)
{
	__u32 mask = g->cap - 1, i = (__u32)(s - g->slots), j = i, home;

	for (;;) {
		j = (j + 1) & mask;
		if (g->slots[j].state == SLOT_EMPTY)
			break;
		home = slot_home(g, g->slots[j].tgid);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			g->slots[i] = g->slots[j];
			i = j;
		}
	}
	g->slots[i].state = SLOT_EMPTY;
	g->slots[i].p = NULL;
}

/* Refuse tgid: counted once while it is remembered, per sample beyond that. */
static void proc_refuse(struct growth *g, __u32 tgid, struct slot *s, bool no_mem)
{
	if (s && s->state == SLOT_REFUSED)
		return;
	g->refused++;
	if (no_mem || g->marks >= g->cfg.max_procs)
		return;
	s = slot_add(g, tgid);
	if (s) {
		s->state = SLOT_REFUSED;
		g->marks++;
	}
}

/* The series of tgid, created on its first sample if there is room. */
static struct gproc *proc_get(struct growth *g, __u32 tgid)
{
	struct slot *s = slot_find(g, tgid);
	struct gproc *p;

	if (s && s->state == SLOT_FOLLOWED)
		return s->p;
	if (g->cfg.max_procs && g->procs >= g->cfg.max_procs) {
		proc_refuse(g, tgid, s, false);
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p && !s)
		s = slot_add(g, tgid);
	if (!p || !s) {
		free(p);
		proc_refuse(g, tgid, s, true);
		return NULL;
	}
	if (s->state == SLOT_REFUSED)
		g->marks--;
	s->state = SLOT_FOLLOWED;
	s->p = p;
	p->tgid = tgid;
	g->procs++;
	return p;
}

/* ---- series ---- */

static unsigned ring_idx(const struct gproc *p, unsigned i)
{
	return (p->first + i) % GROWTH_RING;
}

/* Add (now, vals), merged into the newest sample when both fall in one slot. */
static void series_add(struct growth *g, struct gproc *p, __u64 now, const __u64 vals[GROWTH__MAX])
{
	unsigned i;

	if (p->nsamples) {
		i = ring_idx(p, p->nsamples - 1);
		if (now / g->slot_ns == p->t[i] / g->slot_ns) {
			p->t[i] = now;
			memcpy(p->v[i], vals, sizeof(p->v[i]));
			return;
		}
	}
	if (p->nsamples == GROWTH_RING) {
		/* Not reached for windows of a microsecond or more: lose the oldest. */
		p->first = (p->first + 1) % GROWTH_RING;
		p->nsamples--;
	}
	i = ring_idx(p, p->nsamples++);
	p->t[i] = now;
	memcpy(p->v[i], vals, sizeof(p->v[i]));
}

/* Keep the anchor (newest sample at or before now - window) and what follows. */
static bool series_trim(struct growth *g, struct gproc *p, __u64 now)
{
	__u64 start;
	unsigned k;

	if (now < g->cfg.window_ns)
		return false;
	start = now - g->cfg.window_ns;
	for (k = 0; k + 1 < p->nsamples && p->t[ring_idx(p, k + 1)] <= start; k++)
		;
	p->first = (p->first + k) % GROWTH_RING;
	p->nsamples -= k;
	return p->t[p->first] <= start;
}

static void event_fill(struct growth_event *ev, const struct growth *g, const struct gproc *p,
		       enum growth_event_type type, enum growth_kind kind, double rate)
{
	unsigned last = ring_idx(p, p->nsamples - 1);

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->tgid = p->tgid;
	ev->kind = kind;
	ev->rate = rate;
	ev->limit = g->cfg.limit[kind];
	ev->window_ns = g->cfg.window_ns;
	ev->total = p->v[last][kind];
	ev->since_ns = p->t[p->first];
	ev->flagged_ns = p->flagged_ns[kind];
}

/*
 * Evaluate every watched kind of p at now; events go to evs (at most one per
 * kind) and the count is returned.
 */
static int series_eval(struct growth *g, struct gproc *p, __u64 now, struct growth_event *evs)
{
	double t[GROWTH_RING], v[GROWTH_RING], pairs[PAIRS_MAX], limit, rate;
	unsigned i, n = p->nsamples, idx;
	__u64 t0 = p->t[p->first];
	int k, nev = 0;

	for (i = 0; i < n; i++)
		t[i] = (double)(p->t[ring_idx(p, i)] - t0) / NSEC;
	for (k = 0; k < GROWTH__MAX; k++) {
		limit = g->cfg.limit[k];
		if (limit <= 0)
			continue;
		/* Relative to the first value: totals that can go down, precise as doubles. */
		for (i = 0; i < n; i++) {
			idx = ring_idx(p, i);
			v[i] = (double)(__s64)(p->v[idx][k] - p->v[p->first][k]);
		}
		if (p->flagged & (1u << k)) {
			if (now - p->flagged_ns[k] < g->cfg.window_ns)
				continue;
			rate = theil_sen(t, v, n, pairs);
			if (rate > limit / 2)
				continue;
			event_fill(&evs[nev++], g, p, GROWTH_RECOVERED, k, rate);
			p->flagged &= ~(1u << k);
			continue;
		}
		if (!grows_steadily(t, v, n, limit, g->window_s))
			continue;
		rate = theil_sen(t, v, n, pairs);
		if (rate <= limit)
			continue;
		p->flagged |= 1u << k;
		p->flagged_ns[k] = now;
		event_fill(&evs[nev++], g, p, GROWTH_ALERT, k, rate);
	}
	return nev;
}

/* ---- API ---- */

struct growth *growth__new(const struct growth_cfg *cfg)
{
	struct growth *g;
	int k;

	if (!cfg || cfg->window_ns < GROWTH_SAMPLES) {
		errno = EINVAL;
		return NULL;
	}
	for (k = 0; k < GROWTH__MAX; k++) {
		if (!(cfg->limit[k] >= 0) || isinf(cfg->limit[k])) {
			errno = EINVAL;
			return NULL;
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->cfg = *cfg;
	g->slot_ns = cfg->window_ns / GROWTH_SAMPLES;
	g->window_s = (double)cfg->window_ns / NSEC;
	for (k = 0; k < GROWTH__MAX; k++)
		g->watched |= cfg->limit[k] > 0;
	return g;
}

void growth__free(struct growth *g)
{
	__u32 i;

	if (!g)
		return;
	for (i = 0; i < g->cap; i++)
		if (g->slots[i].state == SLOT_FOLLOWED)
			free(g->slots[i].p);
	free(g->slots);
	free(g);
}

void growth__sample(struct growth *g, __u32 tgid, __u64 now_ns, const __u64 vals[GROWTH__MAX],
		    growth_event_fn fn, void *ctx)
{
	struct growth_event evs[GROWTH__MAX];
	struct gproc *p;
	int nev, i;

	/* Nothing watched: follow nobody rather than keep series no one reads. */
	if (!g || !vals || !g->watched)
		return;
	p = proc_get(g, tgid);
	if (!p)
		return;
	/* Time does not run backwards here: an early sample updates the newest one. */
	if (p->nsamples && now_ns < p->t[ring_idx(p, p->nsamples - 1)])
		now_ns = p->t[ring_idx(p, p->nsamples - 1)];
	series_add(g, p, now_ns, vals);
	if (!series_trim(g, p, now_ns) || p->nsamples < 3)
		return;
	nev = series_eval(g, p, now_ns, evs);
	/* After the last use of p, so that fn may forget this very process. */
	for (i = 0; fn && i < nev; i++)
		fn(ctx, &evs[i]);
}

void growth__forget(struct growth *g, __u32 tgid)
{
	struct slot *s;

	if (!g)
		return;
	s = slot_find(g, tgid);
	if (!s)
		return;
	if (s->state == SLOT_FOLLOWED) {
		free(s->p);
		g->procs--;
	} else {
		g->marks--;
	}
	slot_del(g, s);
}

bool growth__flagged(const struct growth *g, __u32 tgid, enum growth_kind kind)
{
	const struct slot *s;

	if (!g || (unsigned)kind >= GROWTH__MAX)
		return false;
	s = slot_find(g, tgid);
	return s && s->state == SLOT_FOLLOWED && (s->p->flagged & (1u << kind));
}

size_t growth__samples(const struct growth *g, __u32 tgid)
{
	const struct slot *s = g ? slot_find(g, tgid) : NULL;

	return s && s->state == SLOT_FOLLOWED ? s->p->nsamples : 0;
}

void growth__counts(const struct growth *g, size_t *procs, __u64 *refused)
{
	if (procs)
		*procs = g ? g->procs : 0;
	if (refused)
		*refused = g ? g->refused : 0;
}
