/* SPDX-License-Identifier: GPL-2.0 */
/*
 * escape.h - print strings that came from traced processes (comm, paths, symbol and
 * module names) so that they cannot forge or corrupt our output.
 *
 * A traced process chooses its comm and its file names, and its binaries choose their
 * symbol names; the operator reads our output as root, on a terminal or through a
 * parser. So nothing from a traced process reaches the output raw: text gets no
 * terminal control sequences, folded stacks get no separators. JSON does its own
 * escaping (json_writer.c) on top of the UTF-8 decoder here, so that all three
 * formats agree on what is valid UTF-8 and what is unsafe to show.
 *
 * Must not: allocate, or keep state between calls.
 */
#ifndef LEAKTRACE_ESCAPE_H
#define LEAKTRACE_ESCAPE_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

/*
 * Decode the UTF-8 sequence at s (s[0] != '\0'). Returns its length (1-4) and sets *cp,
 * or 0 when s[0] starts no valid sequence (stray continuation byte, overlong form,
 * surrogate, beyond U+10FFFF, or truncated). Never reads past a NUL.
 */
int escape__utf8_next(const char *s, __u32 *cp);

/*
 * Code points that are valid but must not reach a terminal or a log viewer raw: C0 and
 * C1 controls, DEL, bidi overrides/isolates (they reorder what the operator sees), and
 * the Unicode line/paragraph separators.
 */
bool escape__unsafe_cp(__u32 cp);

/*
 * Text: valid, safe UTF-8 as is; backslash as "\\"; every byte of an unsafe code point
 * or of invalid UTF-8 as "\xNN". Returns the columns written (one per code point; wide
 * characters are not measured), so that callers can pad tables.
 */
int escape__text(FILE *f, const char *s);

/*
 * Folded-stack frame: ';' as '_', every unsafe code point and every invalid byte as '?',
 * NULL or "" as "[unknown]" (flamegraph.pl needs non-empty frames). The result never
 * contains ';', a newline or any control byte. Returns the columns written.
 */
int escape__folded(FILE *f, const char *s);

#endif /* LEAKTRACE_ESCAPE_H */
