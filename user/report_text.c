// SPDX-License-Identifier: GPL-2.0
/*
 * report_text.c - the human-readable report: a header, one section per kind that has
 * stacks, a process table, the summary and, when counts were lost, a warning.
 *
 * The layout is a contract (DESIGN.md, tests parse it): change it only with them. Reads the
 * model only; every string from a traced process goes through escape__text(), so a comm or
 * a file name cannot move the cursor, recolour the terminal or fake a line of ours.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "escape.h"
#include "report.h"

/* How each kind counts what it holds, in section and stack headers. */
struct text_kind {
	const char *unit;
	bool has_bytes;
};

static const struct text_kind text_kinds[LT_KIND__MAX] = {
	[LT_KIND_MEM] = { "allocations", true },
	[LT_KIND_MAP] = { "mappings", true },
	[LT_KIND_FD] = { "fds", false },
	[LT_KIND_TIMER] = { "timers", false },
};

static const struct text_kind text_kind_unknown = { "resources", false };

static const struct text_kind *text__kind(enum lt_kind kind)
{
	if ((unsigned int)kind >= LT_KIND__MAX)
		return &text_kind_unknown;
	return &text_kinds[kind];
}

static bool text__known(const char *s)
{
	return s && *s;
}

/* The file name of a module path: frames name "libc.so.6", not the whole path. */
static const char *text__basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static void text__time(FILE *f, time_t t)
{
	char buf[32];
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, sizeof(buf), "@%lld", (long long)t);
	fputs(buf, f);
}

static void text__comm(FILE *f, const char *comm)
{
	if (text__known(comm))
		escape__text(f, comm);
	else
		fputs("[unknown]", f);
}

static void text__frame(FILE *f, int i, const struct report_frame *fr)
{
	fprintf(f, "\t#%d 0x%llx ", i, (unsigned long long)fr->addr);
	if (text__known(fr->sym)) {
		escape__text(f, fr->sym);
		fprintf(f, "+0x%llx", (unsigned long long)fr->off);
		if (text__known(fr->module)) {
			fputs(" (", f);
			escape__text(f, fr->module);
			fputc(')', f);
		}
	} else if (text__known(fr->module)) {
		fputc('[', f);
		escape__text(f, text__basename(fr->module));
		fprintf(f, "+0x%llx]", (unsigned long long)fr->module_off);
	} else {
		fputs("[unknown]", f);
	}
	if (text__known(fr->file)) {
		fputc(' ', f);
		escape__text(f, fr->file);
		if (fr->line > 0)
			fprintf(f, ":%d", fr->line);
	}
	fputc('\n', f);
}

/* "3 file, 1 socket": only the fd kinds present, in enum order. */
static void text__fd_kinds(FILE *f, const struct report_stack *s)
{
	bool any = false;
	int k;

	for (k = 0; k < LT_FD__MAX; k++) {
		if (!s->fd_kinds[k])
			continue;
		fprintf(f, "%s%u %s", any ? ", " : " (", s->fd_kinds[k], report__fd_kind_name(k));
		any = true;
	}
	if (any)
		fputc(')', f);
}

static void text__stack(FILE *f, const struct report_stack *s)
{
	const struct text_kind *tk = text__kind(s->kind);
	int i, npaths;

	if (tk->has_bytes)
		fprintf(f, "%llu bytes in %llu %s", (unsigned long long)s->bytes,
			(unsigned long long)s->count, tk->unit);
	else
		fprintf(f, "%llu %s", (unsigned long long)s->count, tk->unit);
	if (s->kind == LT_KIND_FD)
		text__fd_kinds(f, s);
	fprintf(f, " from stack (pid %u ", s->pid);
	text__comm(f, s->comm);
	if (isfinite(s->oldest_s))
		fprintf(f, ", oldest %.1fs)\n", s->oldest_s);
	else
		fputs(", oldest ?)\n", f);

	npaths = s->npaths < REPORT_MAX_PATHS ? s->npaths : REPORT_MAX_PATHS;
	for (i = 0; s->kind == LT_KIND_FD && i < npaths; i++) {
		if (!s->paths[i])
			continue;
		fputs("\tpath: ", f);
		escape__text(f, s->paths[i]);
		fputc('\n', f);
	}
	if (s->nframes <= 0 || !s->frames)
		fputs("\t[no stack]\n", f);
	for (i = 0; i < s->nframes && s->frames; i++)
		text__frame(f, i, &s->frames[i]);
}

/*
 * One section per run of stacks of the same kind, in model order (the model groups them
 * by kind). Totals are over the stacks shown, which --top may have cut.
 */
static size_t text__section(FILE *f, const struct report *r, size_t first)
{
	enum lt_kind kind = r->stacks[first].kind;
	const struct text_kind *tk = text__kind(kind);
	unsigned long long bytes = 0, count = 0;
	size_t i, end;

	for (end = first; end < r->nstacks && r->stacks[end].kind == kind; end++) {
		bytes += r->stacks[end].bytes;
		count += r->stacks[end].count;
	}
	fprintf(f, "== %s: %zu stacks, ", report__kind_name(kind), end - first);
	if (tk->has_bytes)
		fprintf(f, "%llu bytes in ", bytes);
	fprintf(f, "%llu %s older than ", count, tk->unit);
	if (isfinite(r->summary.min_age_s))
		fprintf(f, "%gs\n", r->summary.min_age_s);
	else
		fputs("?\n", f);
	for (i = first; i < end; i++)
		text__stack(f, &r->stacks[i]);
	return end;
}

/* "   FLAGGED(mem,fd)": growth over the limit, as the ALERT lines said. */
static void text__flagged(FILE *f, unsigned flagged)
{
	const char *sep = "   FLAGGED(";
	int k;

	for (k = 0; k < 5; k++) {
		if (!(flagged & (1u << k)))
			continue;
		fprintf(f, "%s%s", sep, report__growth_kind_name(k));
		sep = ",";
	}
	if (flagged)
		fputc(')', f);
}

static void text__procs(FILE *f, const struct report *r)
{
	const struct report_proc *p;
	size_t i;
	int cols;

	if (!r->nprocs)
		return;
	fputs("== processes\n", f);
	fprintf(f, "%7s %-16s %9s %10s %10s %5s %6s\n", "PID", "COMM", "MEM_BYTES", "MEM_COUNT",
		"MAP_BYTES", "FDS", "TIMERS");
	for (i = 0; i < r->nprocs; i++) {
		p = &r->procs[i];
		fprintf(f, "%7u ", p->pid);
		if (text__known(p->comm)) {
			cols = escape__text(f, p->comm);
		} else {
			fputs("[unknown]", f);
			cols = 9;
		}
		/* Escapes widen a comm past 16: the row shifts, the columns stay parseable. */
		fprintf(f, "%*s", cols < 16 ? 16 - cols : 0, "");
		fprintf(f, " %9llu %10llu %10llu %5llu %6llu%s", (unsigned long long)p->mem_bytes,
			(unsigned long long)p->mem_count, (unsigned long long)p->map_bytes,
			(unsigned long long)p->fds, (unsigned long long)p->timers,
			p->exited ? "   (exited)" : "");
		text__flagged(f, p->flagged);
		fputc('\n', f);
	}
}

/* Lost counts make every total above a lower bound: say so, and which. */
static void text__warning(FILE *f, const struct report_summary *s)
{
	const char *sep = "";

	if (!s->lost_events && !s->lost_stacks && !s->untracked && !s->inflight_full &&
	    !s->reordered)
		return;
	fputs("WARNING: totals are inexact:", f);
	if (s->lost_events) {
		fprintf(f, "%s lost events %llu", sep, (unsigned long long)s->lost_events);
		sep = ",";
	}
	if (s->lost_stacks) {
		fprintf(f, "%s lost stacks %llu", sep, (unsigned long long)s->lost_stacks);
		sep = ",";
	}
	if (s->untracked) {
		fprintf(f, "%s untracked %llu (%llu bytes)", sep, (unsigned long long)s->untracked,
			(unsigned long long)s->untracked_bytes);
		sep = ",";
	}
	if (s->inflight_full) {
		fprintf(f, "%s inflight full %llu", sep, (unsigned long long)s->inflight_full);
		sep = ",";
	}
	if (s->reordered)
		fprintf(f, "%s reordered %llu", sep, (unsigned long long)s->reordered);
	fputc('\n', f);
}

static void text__summary(FILE *f, const struct report_summary *s)
{
	fprintf(f,
		"== summary: events %llu, short-lived %llu, lost events %llu, lost stacks %llu, "
		"unknown frees %llu, "
		"untracked %llu (%llu bytes), inflight full %llu, stack overflow %llu, reordered %llu, "
		"live %llu\n",
		(unsigned long long)s->events, (unsigned long long)s->short_lived,
		(unsigned long long)s->lost_events,
		(unsigned long long)s->lost_stacks, (unsigned long long)s->unknown_frees,
		(unsigned long long)s->untracked, (unsigned long long)s->untracked_bytes,
		(unsigned long long)s->inflight_full, (unsigned long long)s->stack_overflow,
		(unsigned long long)s->reordered, (unsigned long long)s->live);
	text__warning(f, s);
}

int report_text__write(const struct report *r, const struct render_opts *o, FILE *f)
{
	size_t i;

	if (!r || !f || (r->nstacks && !r->stacks) || (r->nprocs && !r->procs))
		return -EINVAL;

	fputs("leaktrace report ", f);
	text__time(f, r->summary.time);
	fputs(r->summary.final ? " (final)" : "", f);
	fputs(o && o->delta ? " (delta: what each stack gained since the previous report)\n" :
			      "\n", f);
	for (i = 0; i < r->nstacks;)
		i = text__section(f, r, i);
	text__procs(f, r);
	text__summary(f, &r->summary);

	/* A report is read as it comes (interval mode, a pipe): flush, and see write errors. */
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

/* 1.5 MiB/s, 512 B/s, 5/s: rates and totals people read at a glance. */
static void text__amount(FILE *f, double v, bool bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	if (!bytes) {
		fprintf(f, "%.3g", v);
		return;
	}
	while (u < 4 && (v >= 1024 || v <= -1024)) {
		v /= 1024;
		u++;
	}
	fprintf(f, "%.1f %s", v, units[u]);
}

int report_text__alert(const struct report_alert *a, FILE *f)
{
	size_t i;

	if (!a || !f)
		return -EINVAL;
	fputs(a->recovered ? "RECOVERED " : "ALERT ", f);
	text__time(f, a->time);
	fprintf(f, " pid %u ", a->pid);
	text__comm(f, a->comm);
	fprintf(f, " %s %s ", a->kind, a->recovered ? "stopped growing: rate" : "growing");
	text__amount(f, a->rate, a->bytes);
	fputs("/s ", f);
	fputs(a->recovered ? "<= " : "> limit ", f);
	text__amount(f, a->recovered ? a->limit / 2 : a->limit, a->bytes);
	fprintf(f, "/s over %gs, now ", a->window_s);
	text__amount(f, (double)a->total, a->bytes);
	if (a->recovered)
		fprintf(f, ", flagged for %.0fs", a->flagged_s);
	if (text__known(a->container)) {
		fputs(", container ", f);
		escape__text(f, a->container);
	} else if (text__known(a->cgroup)) {
		fputs(", cgroup ", f);
		escape__text(f, a->cgroup);
	}
	fputc('\n', f);
	for (i = 0; i < a->nstacks && a->stacks; i++) {
		fputs("  grew: ", f);
		text__stack(f, &a->stacks[i]);
	}
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
