// SPDX-License-Identifier: GPL-2.0
/*
 * sysrec.c - syscall records from the wire layout to the in-memory one.
 */
#include <string.h>
#include "sysrec.h"

size_t sysrec__expand(const void *in, size_t len, void *out, const __u64 **sample)
{
	const struct lt_event *e = in;
	const unsigned char *src = in;
	struct lt_sys_extra *x = (struct lt_sys_extra *)((unsigned char *)out + LT_SYS_EXTRA_OFF);
	size_t head, path, words;

	*sample = NULL;
	if (len < sizeof(*e) || e->nframes > LT_MAX_FRAMES)
		return 0;
	head = sizeof(*e) + e->nframes * sizeof(__u64);
	if (len < head)
		return 0;
	memcpy(out, in, head);
	memset(x, 0, LT_SYS_STACK_OFF - LT_SYS_EXTRA_OFF);
	if (len < head + LT_SYS_WIRE_HDR)
		return LT_SYS_STACK_OFF;
	memcpy(x, src + head, LT_SYS_WIRE_HDR);
	src += head + LT_SYS_WIRE_HDR;
	len -= head + LT_SYS_WIRE_HDR;
	path = x->path_len;
	if (path > LT_PATH_LEN || (path & 7) || path > len) {
		/* Not what the BPF side sends: neither the path nor what follows it is known. */
		x->path_len = 0;
		x->stack_words = 0;
		return LT_SYS_STACK_OFF;
	}
	memcpy(x->path, src, path);
	x->path[LT_PATH_LEN - 1] = 0;
	src += path;
	len -= path;
	words = len / sizeof(__u64);
	if (words > x->stack_words)
		words = x->stack_words;
	if (words > LT_STACK_WORDS)
		words = LT_STACK_WORDS;
	*sample = words ? (const __u64 *)src : NULL;
	x->stack_words = (__u32)words;
	return LT_SYS_STACK_OFF;
}
