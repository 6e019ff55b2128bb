// SPDX-License-Identifier: GPL-2.0
/*
 * escape.c - escaping of untrusted strings for the text and folded renderers, and the
 * UTF-8 decoder that the JSON writer shares. See escape.h for why.
 */
#include "escape.h"

int escape__utf8_next(const char *str, __u32 *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	__u32 c, min;
	int n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	/* 0xc0, 0xc1 and 0xf5..0xff can only start overlong or out-of-range forms. */
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	/* A NUL is not a continuation byte, so this stops at the end of the string. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms could smuggle '/', ';' or controls past a byte-wise check. */
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool escape__unsafe_cp(__u32 cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) /* C0, DEL, C1 (0x9b is CSI on some ttys) */
		return true;
	if (cp >= 0x202a && cp <= 0x202e) /* LRE, RLE, PDF, LRO, RLO */
		return true;
	if (cp >= 0x2066 && cp <= 0x2069) /* LRI, RLI, FSI, PDI */
		return true;
	return cp == 0x2028 || cp == 0x2029; /* line and paragraph separators */
}

int escape__text(FILE *f, const char *s)
{
	int cols = 0;
	__u32 cp;
	int n, i;

	while (*s) {
		n = escape__utf8_next(s, &cp);
		if (!n || escape__unsafe_cp(cp)) {
			/* Invalid: one byte at a time, so that a later valid sequence survives. */
			if (!n)
				n = 1;
			for (i = 0; i < n; i++)
				fprintf(f, "\\x%02x", (unsigned char)s[i]);
			cols += 4 * n;
		} else if (cp == '\\') {
			/* Else "\x1b" in a name would read like one of our escapes. */
			fputs("\\\\", f);
			cols += 2;
		} else {
			fwrite(s, 1, n, f);
			cols++;
		}
		s += n;
	}
	return cols;
}

int escape__folded(FILE *f, const char *s)
{
	int cols = 0;
	__u32 cp;
	int n;

	if (!s || !*s) {
		fputs("[unknown]", f);
		return 9;
	}
	while (*s) {
		n = escape__utf8_next(s, &cp);
		if (!n || escape__unsafe_cp(cp)) {
			if (!n)
				n = 1;
			fputc('?', f);
		} else if (cp == ';') {
			fputc('_', f);
		} else {
			fwrite(s, 1, n, f);
		}
		cols++;
		s += n;
	}
	return cols;
}
