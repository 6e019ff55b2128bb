// SPDX-License-Identifier: GPL-2.0
/*
 * report_folded.c - the report as Brendan Gregg's folded stacks, one line per stack,
 * root first: "comm-pid;outermost;...;allocator_caller VALUE", for flamegraph.pl.
 *
 * The output must stay pure: every line matches "^(.*) ([0-9]+)$", frames are never empty
 * and never contain ';' or control bytes (escape__folded), and nothing else is printed -
 * no header, no summary, no process table - or flamegraph.pl would draw it.
 *
 * VALUE is bytes for mem and map (a count with --value count), a count for fd and timer;
 * with --two-column (delta reports) two values, the totals before and after. Stacks of several kinds in one
 * model would mix those units in one graph; this renderer does not try to separate them:
 * it prints every stack of the model, and the main program selects a single kind (-k) for
 * folded output.
 */
#include <errno.h>
#include <string.h>

#include "escape.h"
#include "report.h"

static bool folded__known(const char *s)
{
	return s && *s;
}

static const char *folded__basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* A function name without its offset, so that calls from one function merge. */
static void folded__frame(FILE *f, const struct report_frame *fr)
{
	fputc(';', f);
	if (folded__known(fr->sym)) {
		escape__folded(f, fr->sym);
	} else if (folded__known(fr->module)) {
		fputc('[', f);
		escape__folded(f, folded__basename(fr->module));
		fputc(']', f);
	} else {
		fputs("[unknown]", f);
	}
}

static void folded__stack(FILE *f, const struct report_stack *s, const struct render_opts *o)
{
	bool bytes = (s->kind == LT_KIND_MEM || s->kind == LT_KIND_MAP) && !(o && o->value_count);
	__u64 value, before;
	int i;

	escape__folded(f, s->comm);
	if (!(o && o->no_pid))
		fprintf(f, "-%u", s->pid);
	for (i = (s->frames ? s->nframes : 0) - 1; i >= 0; i--)
		folded__frame(f, &s->frames[i]);
	value = bytes ? s->bytes : s->count;
	if (o && o->two_column) {
		/* difffolded.pl's form: the total before and after (the model holds the gain). */
		before = bytes ? s->prev_bytes : s->prev_count;
		fprintf(f, " %llu %llu\n", (unsigned long long)before,
			(unsigned long long)(before + value));
		return;
	}
	fprintf(f, " %llu\n", (unsigned long long)value);
}

int report_folded__write(const struct report *r, const struct render_opts *o, FILE *f)
{
	size_t i;

	if (!r || !f || (r->nstacks && !r->stacks))
		return -EINVAL;
	for (i = 0; i < r->nstacks; i++)
		folded__stack(f, &r->stacks[i], o);

	/* A report is read as it comes (interval mode, a pipe): flush, and see write errors. */
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
