// SPDX-License-Identifier: GPL-2.0
/*
 * report_json.c - the report as JSON Lines: one "stack" object per stack, one "process"
 * object per process, and a "summary" object as the last line of every report, so that a
 * reader of a stream knows where one report ends.
 *
 * Field names and presence are a contract (DESIGN.md, tests parse them): unknown values are
 * null or absent as documented there, never "" or 0, so a consumer can tell "unknown" from
 * "zero". Reads the model only; all escaping is the JSON writer's.
 */
#include <errno.h>

#include "json_writer.h"
#include "report.h"

static bool json__known(const char *s)
{
	return s && *s;
}

static void json__time(struct jsonw *w, const char *key, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
		jsonw__null_field(w, key);
		return;
	}
	jsonw__string_field(w, key, buf);
}

static void json__frame(struct jsonw *w, const struct report_frame *fr)
{
	char addr[24];

	/* A string: JSON numbers lose precision past 2^53 in most parsers. */
	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)fr->addr);
	jsonw__start_object(w);
	jsonw__string_field(w, "addr", addr);
	if (json__known(fr->sym)) {
		jsonw__string_field(w, "sym", fr->sym);
		jsonw__u64_field(w, "off", fr->off);
	} else {
		jsonw__null_field(w, "sym");
	}
	jsonw__string_field(w, "module", json__known(fr->module) ? fr->module : NULL);
	if (json__known(fr->file)) {
		jsonw__string_field(w, "file", fr->file);
		if (fr->line > 0)
			jsonw__s64_field(w, "line", fr->line);
	}
	jsonw__end_object(w);
}

static void json__fd_details(struct jsonw *w, const struct report_stack *s)
{
	int k, npaths;

	jsonw__key(w, "fd_kinds");
	jsonw__start_object(w);
	for (k = 0; k < LT_FD__MAX; k++) {
		if (s->fd_kinds[k])
			jsonw__u64_field(w, report__fd_kind_name(k), s->fd_kinds[k]);
	}
	jsonw__end_object(w);

	npaths = s->npaths < REPORT_MAX_PATHS ? s->npaths : REPORT_MAX_PATHS;
	jsonw__key(w, "paths");
	jsonw__start_array(w);
	for (k = 0; k < npaths; k++) {
		if (s->paths[k])
			jsonw__string(w, s->paths[k]);
	}
	jsonw__end_array(w);
}

static void json__stack(struct jsonw *w, const struct report_stack *s)
{
	int i;

	jsonw__start_object(w);
	jsonw__string_field(w, "type", "stack");
	jsonw__string_field(w, "kind", report__kind_name(s->kind));
	jsonw__u64_field(w, "pid", s->pid);
	jsonw__string_field(w, "comm", json__known(s->comm) ? s->comm : NULL);
	/* fds and timers have no size: absent, not 0, so a sum over "bytes" stays honest. */
	if (s->kind == LT_KIND_MEM || s->kind == LT_KIND_MAP)
		jsonw__u64_field(w, "bytes", s->bytes);
	jsonw__u64_field(w, "count", s->count);
	jsonw__double_field(w, "oldest_s", s->oldest_s);
	if (s->kind == LT_KIND_FD)
		json__fd_details(w, s);
	jsonw__key(w, "frames");
	jsonw__start_array(w);
	for (i = 0; i < s->nframes && s->frames; i++)
		json__frame(w, &s->frames[i]);
	jsonw__end_array(w);
	jsonw__end_object(w);
}

static void json__proc(struct jsonw *w, const struct report_proc *p)
{
	jsonw__start_object(w);
	jsonw__string_field(w, "type", "process");
	jsonw__u64_field(w, "pid", p->pid);
	jsonw__string_field(w, "comm", json__known(p->comm) ? p->comm : NULL);
	jsonw__bool_field(w, "exited", p->exited);
	jsonw__u64_field(w, "mem_bytes", p->mem_bytes);
	jsonw__u64_field(w, "mem_count", p->mem_count);
	jsonw__u64_field(w, "map_bytes", p->map_bytes);
	jsonw__u64_field(w, "map_count", p->map_count);
	jsonw__u64_field(w, "fds", p->fds);
	jsonw__u64_field(w, "timers", p->timers);
	jsonw__u64_field(w, "rss", p->rss);
	jsonw__key(w, "flagged");
	jsonw__start_array(w);
	for (int k = 0; k < 5; k++)
		if (p->flagged & (1u << k))
			jsonw__string(w, report__growth_kind_name(k));
	jsonw__end_array(w);
	jsonw__end_object(w);
}

static void json__summary(struct jsonw *w, const struct report_summary *s)
{
	jsonw__start_object(w);
	jsonw__string_field(w, "type", "summary");
	json__time(w, "time", s->time);
	jsonw__bool_field(w, "final", s->final);
	jsonw__bool_field(w, "delta", s->delta);
	jsonw__double_field(w, "min_age_s", s->min_age_s);
	jsonw__u64_field(w, "events", s->events);
	jsonw__u64_field(w, "short_lived", s->short_lived);
	jsonw__u64_field(w, "lost_events", s->lost_events);
	jsonw__u64_field(w, "lost_stacks", s->lost_stacks);
	jsonw__u64_field(w, "unknown_frees", s->unknown_frees);
	jsonw__u64_field(w, "untracked", s->untracked);
	jsonw__u64_field(w, "untracked_bytes", s->untracked_bytes);
	jsonw__u64_field(w, "inflight_full", s->inflight_full);
	jsonw__u64_field(w, "stack_overflow", s->stack_overflow);
	jsonw__u64_field(w, "reordered", s->reordered);
	jsonw__u64_field(w, "live", s->live);
	jsonw__end_object(w);
}

int report_json__write(const struct report *r, const struct render_opts *o, FILE *f)
{
	struct jsonw *w;
	size_t i;
	int err;

	(void)o; /* no option changes JSON: consumers filter */
	if (!r || !f || (r->nstacks && !r->stacks) || (r->nprocs && !r->procs))
		return -EINVAL;
	w = jsonw__new(f);
	if (!w)
		return -ENOMEM;

	for (i = 0; i < r->nstacks; i++)
		json__stack(w, &r->stacks[i]);
	for (i = 0; i < r->nprocs; i++)
		json__proc(w, &r->procs[i]);
	json__summary(w, &r->summary);

	err = jsonw__finish(w);
	jsonw__free(w);
	if (err)
		return err;
	/* A report is read as it comes (interval mode, a pipe): flush, and see write errors. */
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

int report_json__alert(const struct report_alert *a, FILE *f)
{
	struct jsonw *w;
	size_t i;
	int ret;

	if (!a || !f)
		return -EINVAL;
	w = jsonw__new(f);
	if (!w)
		return -ENOMEM;
	jsonw__start_object(w);
	jsonw__string_field(w, "type", a->recovered ? "recovered" : "alert");
	json__time(w, "time", a->time);
	jsonw__u64_field(w, "pid", a->pid);
	jsonw__string_field(w, "comm", json__known(a->comm) ? a->comm : NULL);
	jsonw__string_field(w, "cgroup", json__known(a->cgroup) ? a->cgroup : NULL);
	jsonw__string_field(w, "container", json__known(a->container) ? a->container : NULL);
	jsonw__string_field(w, "kind", a->kind);
	jsonw__double_field(w, "rate", a->rate);
	jsonw__double_field(w, "limit", a->limit);
	jsonw__double_field(w, "window_s", a->window_s);
	jsonw__u64_field(w, "total", a->total);
	if (a->recovered) {
		jsonw__double_field(w, "flagged_s", a->flagged_s);
	} else {
		jsonw__key(w, "stacks");
		jsonw__start_array(w);
		for (i = 0; i < a->nstacks && a->stacks; i++)
			json__stack(w, &a->stacks[i]);
		jsonw__end_array(w);
	}
	jsonw__end_object(w);
	ret = jsonw__finish(w);
	jsonw__free(w);
	if (!ret && (fflush(f) || ferror(f)))
		ret = -EIO;
	return ret;
}
