/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_writer.h - a small streaming JSON writer over any FILE * (after bpftool's
 * json_writer): compact output, and a newline after each top-level value, so a
 * sequence of top-level objects is JSON Lines.
 *
 * The writer is passed in, never a global. It checks its own use: a value where a key is
 * due, a key inside an array, an unbalanced end, or nesting deeper than JSONW_MAX_DEPTH
 * make it stop writing and jsonw__finish() return -EINVAL, so that a renderer bug shows
 * as an error instead of as a line that no parser accepts. Strings are always emitted as
 * valid JSON, whatever bytes they hold (see jsonw__string).
 */
#ifndef LEAKTRACE_JSON_WRITER_H
#define LEAKTRACE_JSON_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSONW_MAX_DEPTH 32

struct jsonw;

/* Returns NULL (errno ENOMEM) on failure. The writer does not own f. */
struct jsonw *jsonw__new(FILE *f);
void jsonw__free(struct jsonw *w);

/*
 * 0 when every value written so far was well formed and complete (all containers closed)
 * and f has no error; -EINVAL on misuse or an unclosed container, -EIO when f has an
 * error. Does not flush f.
 */
int jsonw__finish(const struct jsonw *w);

void jsonw__start_object(struct jsonw *w);
void jsonw__end_object(struct jsonw *w);
void jsonw__start_array(struct jsonw *w);
void jsonw__end_array(struct jsonw *w);

/* A key inside an object; the next call writes its value. */
void jsonw__key(struct jsonw *w, const char *name);

/*
 * Values. jsonw__string: NULL is written as null; ", \ and control characters (also DEL,
 * C1 and the other code points escape__unsafe_cp() names) as \uXXXX escapes; valid
 * multi-byte UTF-8 as is; each byte of invalid UTF-8 as U+FFFD. jsonw__double: non-finite
 * values are written as null (JSON has no NaN or Infinity); finite ones round-trip.
 */
void jsonw__string(struct jsonw *w, const char *s);
void jsonw__u64(struct jsonw *w, __u64 v);
void jsonw__s64(struct jsonw *w, __s64 v);
void jsonw__double(struct jsonw *w, double v);
void jsonw__bool(struct jsonw *w, bool v);
void jsonw__null(struct jsonw *w);

/* key + value, for the common case of a member of an object. */
void jsonw__string_field(struct jsonw *w, const char *key, const char *s);
void jsonw__u64_field(struct jsonw *w, const char *key, __u64 v);
void jsonw__s64_field(struct jsonw *w, const char *key, __s64 v);
void jsonw__double_field(struct jsonw *w, const char *key, double v);
void jsonw__bool_field(struct jsonw *w, const char *key, bool v);
void jsonw__null_field(struct jsonw *w, const char *key);

#endif /* LEAKTRACE_JSON_WRITER_H */
