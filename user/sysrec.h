/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sysrec.h - syscall records as the BPF side sends them, put back in the
 * layout the rest of user space reads (bpf/leaktrace.h, struct lt_sys_extra).
 *
 * A record is sent without the padding of its in-memory layout: the frames
 * that were walked, the path that was read, the sample that was taken.
 *
 * Must not: trust a length or count in the record; allocate.
 */
#ifndef LEAKTRACE_SYSREC_H
#define LEAKTRACE_SYSREC_H

#include <stddef.h>
#include <linux/types.h>
#include "leaktrace.h"

/*
 * Lay the syscall record in (len bytes, as sent) out at out, which holds
 * LT_SYS_EVENT_LEN bytes: frames at frames[], the registers and the path at
 * LT_SYS_EXTRA_OFF. The sample is not copied (most of it is never read, and
 * reading a record another CPU wrote costs per line): *sample points at its
 * stack_words words in in, 8-byte aligned if in is. A record cut short keeps
 * what it has whole: no path if the path is cut, as many sample words as are
 * there, and with no extra at all stack_words 0 and an empty path. The path
 * always ends with a NUL. Returns the length of the laid-out record without
 * its sample (LT_SYS_STACK_OFF), or 0 if in is not an event with its frames.
 */
size_t sysrec__expand(const void *in, size_t len, void *out, const __u64 **sample);

#endif
