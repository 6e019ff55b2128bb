// SPDX-License-Identifier: GPL-2.0
/*
 * json_writer.c - the streaming JSON writer (see json_writer.h).
 *
 * Owns only the nesting state of one output stream. Must not: buffer whole documents,
 * or depend on the locale (a renderer may run after setlocale()).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json_writer.h"

struct jsonw {
	FILE *f;
	int depth;
	int err;
	bool key_pending;		    /* a key was written, its value is due */
	bool is_object[JSONW_MAX_DEPTH + 1]; /* per level: object (true) or array */
	bool has_items[JSONW_MAX_DEPTH + 1]; /* per level: a comma precedes the next item */
};

struct jsonw *jsonw__new(FILE *f)
{
	struct jsonw *w;

	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->f = f;
	return w;
}

void jsonw__free(struct jsonw *w)
{
	free(w);
}

int jsonw__finish(const struct jsonw *w)
{
	if (w->err)
		return w->err;
	if (w->depth || w->key_pending)
		return -EINVAL;
	return ferror(w->f) ? -EIO : 0;
}

static bool jsonw__fail(struct jsonw *w)
{
	if (!w->err)
		w->err = -EINVAL;
	return false;
}

/* Before any value: check that one is allowed here, and write its separator. */
static bool jsonw__begin_value(struct jsonw *w)
{
	if (w->err)
		return false;
	if (!w->depth)
		return true;
	if (w->is_object[w->depth]) {
		if (!w->key_pending)
			return jsonw__fail(w);
		w->key_pending = false;
		return true;
	}
	if (w->has_items[w->depth])
		fputc(',', w->f);
	w->has_items[w->depth] = true;
	return true;
}

/* After a value: a completed top-level value ends its line (JSON Lines). */
static void jsonw__end_value(struct jsonw *w)
{
	if (!w->depth)
		fputc('\n', w->f);
}

static void jsonw__put_string(struct jsonw *w, const char *s)
{
	__u32 cp;
	int n;

	fputc('"', w->f);
	while (*s) {
		n = escape__utf8_next(s, &cp);
		if (!n) {
			/* One replacement per bad byte, like most decoders; keeps the rest. */
			fputs("\\ufffd", w->f);
			s++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(w->f, "\\%c", (int)cp);
		else if (escape__unsafe_cp(cp)) /* all in the BMP: one \u escape each */
			fprintf(w->f, "\\u%04x", (unsigned int)cp);
		else
			fwrite(s, 1, n, w->f);
		s += n;
	}
	fputc('"', w->f);
}

static void jsonw__start(struct jsonw *w, bool is_object)
{
	if (!jsonw__begin_value(w))
		return;
	if (w->depth == JSONW_MAX_DEPTH) {
		jsonw__fail(w);
		return;
	}
	w->depth++;
	w->is_object[w->depth] = is_object;
	w->has_items[w->depth] = false;
	fputc(is_object ? '{' : '[', w->f);
}

static void jsonw__end(struct jsonw *w, bool is_object)
{
	if (w->err)
		return;
	if (!w->depth || w->is_object[w->depth] != is_object || w->key_pending) {
		jsonw__fail(w);
		return;
	}
	w->depth--;
	fputc(is_object ? '}' : ']', w->f);
	jsonw__end_value(w);
}

void jsonw__start_object(struct jsonw *w)
{
	jsonw__start(w, true);
}

void jsonw__end_object(struct jsonw *w)
{
	jsonw__end(w, true);
}

void jsonw__start_array(struct jsonw *w)
{
	jsonw__start(w, false);
}

void jsonw__end_array(struct jsonw *w)
{
	jsonw__end(w, false);
}

void jsonw__key(struct jsonw *w, const char *name)
{
	if (w->err)
		return;
	if (!w->depth || !w->is_object[w->depth] || w->key_pending || !name) {
		jsonw__fail(w);
		return;
	}
	if (w->has_items[w->depth])
		fputc(',', w->f);
	w->has_items[w->depth] = true;
	jsonw__put_string(w, name);
	fputc(':', w->f);
	w->key_pending = true;
}

void jsonw__string(struct jsonw *w, const char *s)
{
	if (!s) {
		jsonw__null(w);
		return;
	}
	if (!jsonw__begin_value(w))
		return;
	jsonw__put_string(w, s);
	jsonw__end_value(w);
}

void jsonw__u64(struct jsonw *w, __u64 v)
{
	if (!jsonw__begin_value(w))
		return;
	fprintf(w->f, "%llu", (unsigned long long)v);
	jsonw__end_value(w);
}

void jsonw__s64(struct jsonw *w, __s64 v)
{
	if (!jsonw__begin_value(w))
		return;
	fprintf(w->f, "%lld", (long long)v);
	jsonw__end_value(w);
}

/*
 * Shortest of %.15g and %.17g that reads back as v: 12.5 stays "12.5" and 0.1 stays
 * "0.1", yet every double round-trips. %g never yields a form JSON rejects ("1e+20",
 * "-0" are fine) but for the locale's decimal point, which is put back to '.'.
 */
static void jsonw__put_double(struct jsonw *w, double v)
{
	char buf[48];
	bool in_point = false;
	const char *p;

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	/* The decimal point may be several bytes long in some locales: one '.' per run. */
	for (p = buf; *p; p++) {
		if (strchr("0123456789+-eE", *p)) {
			fputc(*p, w->f);
			in_point = false;
		} else if (!in_point) {
			fputc('.', w->f);
			in_point = true;
		}
	}
}

void jsonw__double(struct jsonw *w, double v)
{
	if (!isfinite(v)) {
		jsonw__null(w);
		return;
	}
	if (!jsonw__begin_value(w))
		return;
	jsonw__put_double(w, v);
	jsonw__end_value(w);
}

void jsonw__bool(struct jsonw *w, bool v)
{
	if (!jsonw__begin_value(w))
		return;
	fputs(v ? "true" : "false", w->f);
	jsonw__end_value(w);
}

void jsonw__null(struct jsonw *w)
{
	if (!jsonw__begin_value(w))
		return;
	fputs("null", w->f);
	jsonw__end_value(w);
}

void jsonw__string_field(struct jsonw *w, const char *key, const char *s)
{
	jsonw__key(w, key);
	jsonw__string(w, s);
}

void jsonw__u64_field(struct jsonw *w, const char *key, __u64 v)
{
	jsonw__key(w, key);
	jsonw__u64(w, v);
}

void jsonw__s64_field(struct jsonw *w, const char *key, __s64 v)
{
	jsonw__key(w, key);
	jsonw__s64(w, v);
}

void jsonw__double_field(struct jsonw *w, const char *key, double v)
{
	jsonw__key(w, key);
	jsonw__double(w, v);
}

void jsonw__bool_field(struct jsonw *w, const char *key, bool v)
{
	jsonw__key(w, key);
	jsonw__bool(w, v);
}

void jsonw__null_field(struct jsonw *w, const char *key)
{
	jsonw__key(w, key);
	jsonw__null(w);
}
