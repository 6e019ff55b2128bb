// SPDX-License-Identifier: GPL-2.0
/*
 * report_build.c - one report model from the aggregator and the symbolizer.
 *
 * Owns: choosing what a report holds (top stacks per kind older than
 * --min-age, every process, the loss counters) and resolving frames. Must
 * not: print. Strings in the model point into the aggregator (valid until
 * its next event) and the symbolizer; render the model before feeding more.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report_build.h"

struct report_store {
	struct report r;
	struct report_stack *stacks;
	struct report_frame *frames;
	struct report_proc *procs;
	struct agg_proc_info *pinfo;
	struct agg_stack_info *sinfo;
	__u64 *prev_bytes, *prev_count; /* delta reports */
};

static int cmp_tgid(const void *a, const void *b)
{
	const struct agg_proc_info *x = a, *y = b;

	return x->tgid < y->tgid ? -1 : x->tgid > y->tgid;
}

static const struct agg_proc_info *find_proc(const struct agg_proc_info *by_tgid, size_t n,
					     __u32 tgid)
{
	struct agg_proc_info key = { .tgid = tgid };

	return bsearch(&key, by_tgid, n, sizeof(key), cmp_tgid);
}

/*
 * Frames are return addresses: resolve addr - 1 so that a call that ends a
 * function (noreturn callee) names the caller, then report offsets from addr.
 */
static void resolve_frame(struct symbolizer *sym, const struct agg_proc_info *proc, __u64 addr,
			  struct report_frame *f, bool *resnapped)
{
	struct sym_frame sf;
	int ret;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	if (!sym || !addr)
		return;
	ret = symbolizer__resolve(sym, proc ? proc->tgid : 0, addr - 1, &sf);
	if (ret == -ENOENT && proc && !proc->exited && !*resnapped) {
		/* A library loaded after the snapshot (dlopen): take a fresh one, once. */
		*resnapped = true;
		if (!symbolizer__snapshot(sym, proc->tgid))
			ret = symbolizer__resolve(sym, proc->tgid, addr - 1, &sf);
	}
	if (ret && ret != -ENOENT)
		return;
	if (ret == -ENOENT && !sf.module)
		return;
	f->sym = sf.sym;
	f->off = sf.off + 1;
	f->module = sf.module;
	f->module_off = sf.module_off + 1;
	f->file = sf.file;
	f->line = sf.line;
	f->build_id = sf.build_id;
}

/* Stacks of the model from the aggregator's, frames resolved; procs by tgid for names. */
static int fill_stacks(struct report_store *s, struct symbolizer *sym, __u64 now_ns,
		       const struct agg_proc_info *by_tgid, size_t nprocs, size_t nstacks)
{
	size_t nframes = 0, i, j, fi = 0;

	s->stacks = calloc(nstacks ? nstacks : 1, sizeof(*s->stacks));
	for (i = 0; i < nstacks; i++)
		nframes += s->sinfo[i].nframes;
	s->frames = calloc(nframes ? nframes : 1, sizeof(*s->frames));
	if (!s->stacks || !s->frames)
		return -ENOMEM;
	for (i = 0; i < nstacks; i++) {
		const struct agg_stack_info *si = &s->sinfo[i];
		const struct agg_proc_info *pi = find_proc(by_tgid, nprocs, si->tgid);
		struct report_stack *rs = &s->stacks[i];
		bool resnapped = false;

		rs->kind = si->kind;
		rs->pid = si->tgid;
		rs->comm = "";
		rs->bytes = si->bytes;
		rs->count = si->count;
		rs->oldest_s = si->count && now_ns > si->oldest_ts ?
				       (double)(now_ns - si->oldest_ts) / 1e9 : 0;
		memcpy(rs->fd_kinds, si->fd_kinds, sizeof(rs->fd_kinds));
		rs->npaths = si->npaths < REPORT_MAX_PATHS ? si->npaths : REPORT_MAX_PATHS;
		for (j = 0; j < (size_t)rs->npaths; j++)
			rs->paths[j] = si->paths[j];
		rs->frames = &s->frames[fi];
		for (j = 0; j < si->nframes; j++) {
			struct report_frame *f = &s->frames[fi];

			resolve_frame(sym, pi, si->frames[j], f, &resnapped);
			/*
			 * A return address lies in executable code. Past frames[0], one
			 * that does not is the frame-pointer walk reading garbage (code
			 * without frame pointers): the stack ends there.
			 */
			if (j > 0 && !f->module && rs->frames[0].module)
				break;
			fi++;
		}
		rs->nframes = (int)(&s->frames[fi] - rs->frames);
	}
	/* Names point into pinfo, which lives as long as the model (by_tgid does not). */
	for (i = 0; i < nstacks; i++) {
		for (j = 0; j < nprocs; j++) {
			if (s->pinfo[j].tgid == s->stacks[i].pid) {
				s->stacks[i].comm = s->pinfo[j].comm;
				break;
			}
		}
	}
	return 0;
}

/* A process with nothing outstanding and no flag is noise in a host-wide table. */
static bool proc_worth_listing(const struct agg_proc_info *pi, unsigned flagged)
{
	return pi->exited || flagged || pi->mem_count || pi->map_count || pi->fds || pi->timers;
}

static unsigned proc_flags(const struct growth *g, __u32 tgid)
{
	unsigned f = 0;
	int k;

	for (k = 0; g && k < GROWTH__MAX; k++)
		if (growth__flagged(g, tgid, k))
			f |= 1u << k;
	return f;
}

static struct agg_proc_info *procs_by_tgid(const struct agg_proc_info *pinfo, size_t n)
{
	struct agg_proc_info *by_tgid = malloc((n ? n : 1) * sizeof(*by_tgid));

	if (!by_tgid)
		return NULL;
	if (!n)
		return by_tgid; /* no process: pinfo may be NULL, and memcpy/qsort want a pointer */
	memcpy(by_tgid, pinfo, n * sizeof(*by_tgid));
	qsort(by_tgid, n, sizeof(*by_tgid), cmp_tgid);
	return by_tgid;
}

int report__build(struct agg *agg, struct symbolizer *sym, const struct report_params *p,
		  struct report **out)
{
	struct agg_proc_info *by_tgid = NULL;
	size_t nstacks = 0, nprocs = 0, i, k = 0;
	struct report_store *s;
	struct agg_stats st;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	/* A delta ranks gains, not totals: it needs every stack before cutting to --top. */
	ret = agg__top_stacks(agg, p->now_ns, p->delta ? 0 : p->min_age_ns, p->kinds,
			      p->delta ? 0 : p->top, &s->sinfo, &nstacks);
	if (ret)
		goto fail;
	if (p->delta) {
		ret = -ENOMEM;
		s->prev_bytes = malloc((nstacks ? nstacks : 1) * sizeof(__u64));
		s->prev_count = malloc((nstacks ? nstacks : 1) * sizeof(__u64));
		if (!s->prev_bytes || !s->prev_count)
			goto fail;
		ret = delta__apply(p->delta, s->sinfo, &nstacks, p->top, s->prev_bytes,
				   s->prev_count);
		if (ret)
			goto fail;
	}
	ret = agg__procs(agg, &s->pinfo, &nprocs);
	if (ret)
		goto fail;
	ret = -ENOMEM;
	by_tgid = procs_by_tgid(s->pinfo, nprocs);
	s->procs = calloc(nprocs ? nprocs : 1, sizeof(*s->procs));
	if (!by_tgid || !s->procs)
		goto fail;
	for (i = 0; i < nprocs; i++) {
		const struct agg_proc_info *pi = &s->pinfo[i];
		unsigned flagged = proc_flags(p->growth, pi->tgid);
		struct report_proc *rp = &s->procs[k];

		if (!proc_worth_listing(pi, flagged))
			continue;
		rp->pid = pi->tgid;
		rp->comm = pi->comm;
		rp->exited = pi->exited;
		rp->mem_bytes = pi->mem_bytes;
		rp->mem_count = pi->mem_count;
		rp->map_bytes = pi->map_bytes;
		rp->map_count = pi->map_count;
		rp->fds = pi->fds;
		rp->timers = pi->timers;
		rp->rss = pi->rss;
		rp->flagged = flagged;
		k++;
	}
	ret = fill_stacks(s, sym, p->now_ns, by_tgid, nprocs, nstacks);
	if (ret)
		goto fail;
	free(by_tgid);
	for (i = 0; p->delta && i < nstacks; i++) {
		s->stacks[i].prev_bytes = s->prev_bytes[i];
		s->stacks[i].prev_count = s->prev_count[i];
	}

	agg__stats(agg, &st);
	s->r.summary.time = p->wall;
	s->r.summary.final = p->final;
	s->r.summary.delta = p->delta != NULL;
	s->r.summary.min_age_s = p->delta ? 0 : (double)p->min_age_ns / 1e9;
	s->r.summary.events = st.events;
	s->r.summary.short_lived = p->bpf[LT_STAT_SHORT_LIVED];
	s->r.summary.lost_events = p->bpf[LT_STAT_LOST_EVENTS];
	s->r.summary.lost_stacks = p->bpf[LT_STAT_LOST_STACKS];
	s->r.summary.unknown_frees = st.unknown_frees;
	s->r.summary.untracked = st.untracked;
	s->r.summary.untracked_bytes = st.untracked_bytes;
	s->r.summary.inflight_full = p->bpf[LT_STAT_INFLIGHT_FULL] + p->bpf[LT_STAT_SYSARGS_FULL];
	s->r.summary.stack_overflow = st.stack_overflow;
	s->r.summary.reordered = p->bpf[LT_STAT_REORDERED];
	s->r.summary.live = st.live;
	s->r.stacks = s->stacks;
	s->r.nstacks = nstacks;
	s->r.procs = s->procs;
	s->r.nprocs = k;
	*out = &s->r;
	return 0;
fail:
	free(by_tgid);
	report__free(&s->r);
	return ret;
}

int report__build_grown(struct agg *agg, struct symbolizer *sym, __u32 tgid, __u64 since_ns,
			unsigned kinds, size_t top, __u64 now_ns, struct report **out)
{
	struct agg_proc_info *by_tgid = NULL;
	size_t nstacks = 0, nprocs = 0;
	struct report_store *s;
	int ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	ret = agg__top_stacks_since(agg, tgid, since_ns, kinds, top, &s->sinfo, &nstacks);
	if (!ret)
		ret = agg__procs(agg, &s->pinfo, &nprocs);
	if (ret)
		goto out;
	by_tgid = procs_by_tgid(s->pinfo, nprocs);
	ret = by_tgid ? fill_stacks(s, sym, now_ns, by_tgid, nprocs, nstacks) : -ENOMEM;
	if (ret)
		goto out;
	s->r.stacks = s->stacks;
	s->r.nstacks = nstacks;
	*out = &s->r;
	free(by_tgid);
	return 0;
out:
	free(by_tgid);
	report__free(&s->r);
	return ret;
}

void report__free(struct report *r)
{
	struct report_store *s = (struct report_store *)r;

	if (!s)
		return;
	free(s->stacks);
	free(s->frames);
	free(s->procs);
	free(s->pinfo);
	free(s->sinfo);
	free(s->prev_bytes);
	free(s->prev_count);
	free(s);
}
