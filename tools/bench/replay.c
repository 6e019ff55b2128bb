// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - the aggregator alone (user/agg.c), fed a synthetic event stream
 * of realistic shape in-process: how many ns one event costs the consumer and
 * how many bytes of tracer memory one live allocation costs.
 *
 *   replay [-l LIVE] [-s STACKS] [-p PROCS] [-e EVENTS] [-c CHURN_EVERY] [-q]
 *
 * The stream, generated in batches outside the timed region (only
 * agg__on_event() is timed):
 * - PROCS long-lived processes (default 16) share STACKS distinct stacks
 *   (default 10,000; 6..24 frames each, user-space addresses) with a skewed
 *   popularity: a few hot call sites, a long tail;
 * - fill: allocations until LIVE blocks (default 1,000,000) are outstanding;
 * - steady state: EVENTS events (default 4,000,000), 50/50 alloc/free, so the
 *   live count stays at LIVE; three frees in four take one of the most recent
 *   blocks (short-lived objects), the rest a block anywhere (long-lived ones);
 *   freed addresses are reused LIFO the way malloc does; sizes mostly small;
 * - process churn: every CHURN_EVERY steady events (default 2,000) a
 *   long-lived process forks a child that execs, allocates 64 blocks from 16
 *   stacks of its own, frees half, and exits holding the rest (fork, exec,
 *   alloc, free, exit events, all counted in the 50/50 stream's total).
 *
 * Fed as the consumer feeds it (user/main.c): once agg__prefetch_useful()
 * says so, the records up to RING_PEEK_BYTES ahead of each are given to
 * agg__prefetch() first, as user/ring.c peeks at them.
 *
 * Output: lines "REPLAY key=value ...", read by the driver; -q prints only those.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "ring.h"

#define BATCH 65536
#define MAXF 24
#define MINF 6
#define EV_MAX (sizeof(struct lt_event) + LT_MAX_FRAMES * 8)

struct block {
	__u64 addr;
	__u32 tgid;
};

struct gproc {
	__u32 tgid;
	__u64 brk;     /* next fresh address */
	__u64 *freed;  /* LIFO of freed addresses, reused first */
	size_t nfreed, capfreed;
};

struct stk {
	__u16 n;
	__u64 f[MAXF];
};

static __u64 rng_state = 0x9e3779b97f4a7c15ull;

static inline __u64 rnd(void)
{
	__u64 x = rng_state; /* xorshift64* */

	x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long vm_kb(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = atol(line + strlen(field) + 1);
	fclose(f);
	return v;
}

/* Event batch: records packed back to back, as the ring buffer hands them out. */
static unsigned char *batch;
static size_t batch_off[BATCH + 1];
static size_t batch_n;
static __u64 ts_now = 1000000000ull;

static struct lt_event *ev_add(__u32 type, __u32 tgid, __u16 nframes)
{
	size_t off = batch_n ? batch_off[batch_n] : 0;
	struct lt_event *e = (struct lt_event *)(batch + off);

	memset(e, 0, sizeof(*e));
	e->type = type;
	e->tgid = tgid;
	e->tid = tgid;
	e->nframes = nframes;
	ts_now += 700; /* ~1.4M events/s */
	e->ts_ns = ts_now;
	batch_off[batch_n] = off;
	batch_off[batch_n + 1] = (off + sizeof(*e) + nframes * 8 + 7) & ~(size_t)7;
	batch_n++;
	return e;
}

static double feed(struct agg *agg, __u64 *events)
{
	double t0 = now_s(), t1;
	bool peek = agg__prefetch_useful(agg);
	size_t i, ahead;

	/*
	 * As the consumer does (user/main.c, user/ring.c): once the live tables
	 * are large, each pass peeks at the records RING_PEEK_BYTES ahead.
	 */
	for (i = 0, ahead = 0; i < batch_n; i++) {
		for (ahead = ahead > i ? ahead : i + 1;
		     peek && ahead < batch_n && batch_off[ahead] - batch_off[i] <= RING_PEEK_BYTES;
		     ahead++)
			agg__prefetch(agg, (const struct lt_event *)(batch + batch_off[ahead]),
				      batch_off[ahead + 1] - batch_off[ahead]);
		agg__on_event(agg, (const struct lt_event *)(batch + batch_off[i]),
			      batch_off[i + 1] - batch_off[i]);
	}
	t1 = now_s();
	*events += batch_n;
	batch_n = 0;
	return t1 - t0;
}

static size_t skewed(size_t n)
{
	/* ~ power law: r^3 puts most picks on the first few percent */
	double r = (double)(rnd() >> 11) / (double)(1ull << 53);

	return (size_t)(r * r * r * n) % n;
}

static __u64 pick_size(void)
{
	__u64 r = rnd() % 100;

	if (r < 70)
		return 16 + rnd() % 240;
	if (r < 95)
		return 256 + rnd() % 3840;
	if (r < 99)
		return 4096 + rnd() % 61440;
	return 65536 + rnd() % (1 << 20);
}

static __u64 new_addr(struct gproc *p, __u64 size)
{
	if (p->nfreed && rnd() % 4)
		return p->freed[--p->nfreed];
	p->brk += (size + 15 + 16) & ~15ull;
	return p->brk;
}

static void put_freed(struct gproc *p, __u64 addr)
{
	if (p->nfreed == p->capfreed) {
		p->capfreed = p->capfreed ? p->capfreed * 2 : 1024;
		p->freed = realloc(p->freed, p->capfreed * sizeof(*p->freed));
		if (!p->freed)
			exit(1);
	}
	p->freed[p->nfreed++] = addr;
}

static void make_stack(struct stk *s, __u64 base)
{
	int i;

	s->n = MINF + rnd() % (MAXF - MINF + 1);
	for (i = 0; i < s->n; i++)
		s->f[i] = base + (rnd() % 0x200000); /* code addresses in a 2 MiB text */
}

static void emit_alloc(__u32 tgid, __u64 addr, __u64 size, const struct stk *s)
{
	struct lt_event *e = ev_add(LT_EV_ALLOC, tgid, s->n);

	e->addr = addr;
	e->size = size;
	memcpy(e->frames, s->f, s->n * 8);
}

static void emit_free(__u32 tgid, __u64 addr)
{
	ev_add(LT_EV_FREE, tgid, 0)->addr = addr;
}

static size_t freed_lists_bytes(const struct gproc *procs, size_t n)
{
	size_t i, b = 0;

	for (i = 0; i < n; i++)
		b += procs[i].capfreed * sizeof(__u64);
	return b;
}

static void usage(void)
{
	fprintf(stderr, "usage: replay [-l LIVE] [-s STACKS] [-p PROCS] [-e EVENTS] "
			"[-c CHURN_EVERY] [-q]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	size_t live_target = 1000000, nstacks = 10000, nprocs = 16, steady = 4000000;
	size_t churn_every = 2000, nlive = 0, i, j, recent = 4096;
	struct agg_limits lim = { .max_tracked = 2000000, .max_stacks = 200000 };
	__u64 fill_events = 0, steady_events = 0, churns = 0, next_child = 100000, next_churn;
	double fill_s = 0, steady_s = 0, t_wall;
	long hwm_before, rss_before;
	struct stk churn_stacks[16];
	struct agg_stats st;
	struct gproc *procs;
	struct block *live;
	struct stk *stacks;
	struct agg *agg;
	int opt, quiet = 0;

	while ((opt = getopt(argc, argv, "l:s:p:e:c:q")) != -1) {
		switch (opt) {
		case 'l': live_target = strtoul(optarg, NULL, 0); break;
		case 's': nstacks = strtoul(optarg, NULL, 0); break;
		case 'p': nprocs = strtoul(optarg, NULL, 0); break;
		case 'e': steady = strtoul(optarg, NULL, 0); break;
		case 'c': churn_every = strtoul(optarg, NULL, 0); break;
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (!live_target || !nstacks || !nprocs || nprocs > nstacks)
		usage();

	batch = malloc(BATCH * EV_MAX);
	procs = calloc(nprocs, sizeof(*procs));
	stacks = calloc(nstacks, sizeof(*stacks));
	live = calloc(live_target + 64, sizeof(*live));
	if (!batch || !procs || !stacks || !live)
		return 1;
	for (i = 0; i < nprocs; i++) {
		procs[i].tgid = 1000 + i * 7;
		procs[i].brk = 0x5555000000ull + ((__u64)i << 36);
	}
	/* Stack k belongs to process k % nprocs; code in that process's own text. */
	for (i = 0; i < nstacks; i++)
		make_stack(&stacks[i], 0x555500000000ull + ((i % nprocs) << 32));
	for (i = 0; i < 16; i++)
		make_stack(&churn_stacks[i], 0x560000000000ull);

	/* Touch the generator's own memory now, so RSS growth below is agg's (0xff: a zero
	 * memset of calloc'd memory is optimised away). */
	memset(live, 0xff, (live_target + 64) * sizeof(*live));
	memset(batch, 0xff, BATCH * EV_MAX);
	next_churn = churn_every;
	rss_before = vm_kb("VmRSS:");
	hwm_before = vm_kb("VmHWM:");
	agg = agg__new(&lim);
	if (!agg)
		return 1;
	t_wall = now_s();

	/* Fill: allocations only, until live_target blocks are outstanding. */
	while (nlive < live_target) {
		size_t k = skewed(nstacks);
		struct gproc *p = &procs[k % nprocs];
		__u64 size = pick_size(), addr = new_addr(p, size);

		emit_alloc(p->tgid, addr, size, &stacks[k]);
		live[nlive++] = (struct block){ addr, p->tgid };
		if (batch_n == BATCH)
			fill_s += feed(agg, &fill_events);
	}
	fill_s += feed(agg, &fill_events);

	/* Steady state: 50/50 alloc/free, process churn. */
	for (i = 0; i < steady;) {
		if (churn_every && i >= next_churn) {
			__u32 parent = procs[rnd() % nprocs].tgid, child = next_child++;
			__u64 caddr[64];
			struct lt_event *e;

			if (next_child > 4000000)
				next_child = 100000; /* pids wrap */
			e = ev_add(LT_EV_FORK, parent, 0);
			e->aux = child;
			memcpy(e->comm, "sh", 3);
			memcpy(ev_add(LT_EV_EXEC, child, 0)->comm, "worker", 7);
			for (j = 0; j < 64; j++) {
				caddr[j] = 0x7000000000ull + j * 64;
				emit_alloc(child, caddr[j], 48, &churn_stacks[j % 16]);
			}
			for (j = 0; j < 64; j += 2)
				emit_free(child, caddr[j]);
			ev_add(LT_EV_EXIT, child, 0);
			churns++;
			next_churn += churn_every;
			i += 2 + 64 + 32 + 1;
		} else if (rnd() & 1 || nlive < live_target / 2) {
			size_t k = skewed(nstacks);
			struct gproc *p = &procs[k % nprocs];
			__u64 size = pick_size(), addr = new_addr(p, size);

			emit_alloc(p->tgid, addr, size, &stacks[k]);
			live[nlive++] = (struct block){ addr, p->tgid };
			i++;
		} else {
			size_t at;
			struct gproc *p;

			if (rnd() % 4)
				at = nlive - 1 - rnd() % (recent < nlive ? recent : nlive);
			else
				at = rnd() % nlive;
			emit_free(live[at].tgid, live[at].addr);
			p = &procs[(live[at].tgid - 1000) / 7];
			put_freed(p, live[at].addr);
			live[at] = live[--nlive];
			i++;
		}
		/* Keep the live count near the target: the 50/50 mix drifts. */
		if (nlive >= live_target + 32) {
			size_t at = rnd() % nlive;

			emit_free(live[at].tgid, live[at].addr);
			put_freed(&procs[(live[at].tgid - 1000) / 7], live[at].addr);
			live[at] = live[--nlive];
			i++;
		}
		if (batch_n + 200 >= BATCH)
			steady_s += feed(agg, &steady_events);
	}
	steady_s += feed(agg, &steady_events);
	t_wall = now_s() - t_wall;

	agg__stats(agg, &st);
	{
		size_t mem = agg__mem_bytes(agg);
		long rss_after = vm_kb("VmRSS:"), hwm_after = vm_kb("VmHWM:");
		/*
		 * Cross-check of agg's own accounting: what became resident,
		 * less the generator's lists of freed addresses (large live
		 * tables are mapped by agg itself, so mallinfo misses them).
		 * Approximate: the lists count at their capacity, and heap
		 * that malloc keeps after agg freed it (old small tables)
		 * counts as agg's. Small runs (-l) can read below zero.
		 */
		long resident = (rss_after - rss_before) * 1024 -
				(long)freed_lists_bytes(procs, nprocs);

		printf("REPLAY live=%llu stacks=%llu procs=%llu events=%llu unknown_frees=%llu "
		       "untracked=%llu churn_procs=%llu\n",
		       (unsigned long long)st.live, (unsigned long long)st.stacks,
		       (unsigned long long)st.procs, (unsigned long long)st.events,
		       (unsigned long long)st.unknown_frees, (unsigned long long)st.untracked,
		       (unsigned long long)churns);
		printf("REPLAY fill_events=%llu fill_ns_per_event=%.1f steady_events=%llu "
		       "steady_ns_per_event=%.1f wall_s=%.2f\n",
		       (unsigned long long)fill_events, fill_s * 1e9 / fill_events,
		       (unsigned long long)steady_events, steady_s * 1e9 / steady_events, t_wall);
		printf("REPLAY agg_mem_bytes=%zu bytes_per_live=%.1f resident_bytes=%ld "
		       "resident_bytes_per_live=%.1f rss_growth_kb=%ld hwm_growth_kb=%ld "
		       "generator_lists_kb=%zu\n",
		       mem, st.live ? (double)mem / st.live : 0.0, resident,
		       st.live ? (double)resident / st.live : 0.0, rss_after - rss_before,
		       hwm_after - hwm_before, freed_lists_bytes(procs, nprocs) / 1024);
		if (!quiet)
			fprintf(stderr,
				"replay: %zu live blocks in %llu stacks, %.1f ns/event steady "
				"(%.1f during fill), %.1f bytes per live block (agg__mem_bytes)\n",
				nlive, (unsigned long long)st.stacks,
				steady_s * 1e9 / steady_events, fill_s * 1e9 / fill_events,
				st.live ? (double)mem / st.live : 0.0);
	}
	agg__free(agg);
	return 0;
}
