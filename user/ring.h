/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring.h - the per-CPU BPF ring buffers, read as one stream in time order.
 *
 * One shared ring made every traced CPU take the same lock and write the same
 * producer position per event (two threads on two CPUs: +45% per malloc over
 * one). Per CPU there is no sharing, but a free on one CPU and the malloc on
 * another that returns the same address would be read in either order. So
 * each record carries the time it was stamped (bpf_ktime_get_ns(), taken just
 * after its space in the ring is reserved) and the rings are merged by it: a
 * record is handed out only when every other ring is known to hold nothing
 * older, that is it has an older-or-equal record waiting, or it was seen
 * empty at a time more than RING_MARGIN_NS after this record's stamp, or its
 * next record is still being written and this one is older than the last
 * handed out from that ring (the one being written was reserved after it).
 *
 * Owns: the mappings of each ring and the epoll fd over them. Must not: know
 * what a record means beyond the stamp at ts_off.
 */
#ifndef LEAKTRACE_RING_H
#define LEAKTRACE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/*
 * A record reserved before the consumer reads the producer position is seen
 * (as one in progress), so its stamp cannot be older than that read: the
 * margin covers only the store of that position still being on its way out
 * of the producer's CPU, and clocks of two CPUs apart. Records held back by
 * it are at most this recent; at a million syscall events a second (1.6 KiB
 * each, as they were then; ~1.2 now) 5 ms of them filled an 8 MiB ring. A
 * record later than the margin is handed out of order and counted
 * (ring_set__reordered).
 */
#define RING_MARGIN_NS (100 * 1000ull)

struct ring_set;

/* Return 0 to go on; anything else stops the pass and is returned from it. */
typedef int (*ring_sample_fn)(void *ctx, void *data, size_t len);

/*
 * Told of a record a little before it is handed out (same ctx), so that what
 * handling it will touch can be loaded meanwhile. Must only read it.
 */
typedef void (*ring_peek_fn)(void *ctx, const void *data, size_t len);

/* Map the rings (BPF_MAP_TYPE_RINGBUF fds, ring i sizes[i] bytes, a power of two). */
int ring_set__new(const int *fds, const size_t *sizes, int n, size_t ts_off,
		  struct ring_set **out);

/*
 * For tests: rings laid out in plain memory as the kernel maps them. Ring i
 * is cons[i] (consumer position), prod[i] (producer position) and data[i],
 * 2 * size bytes where the second half mirrors the first. clock gives now.
 */
int ring_set__new_mem(int n, size_t size, size_t ts_off, unsigned long **cons,
		      unsigned long **prod, void **data, __u64 (*clock)(void),
		      struct ring_set **out);

void ring_set__free(struct ring_set *s);

/* Peek at the records about RING_PEEK_BYTES ahead of each one handed out (NULL: none). */
void ring_set__set_peek(struct ring_set *s, ring_peek_fn peek);

#define RING_PEEK_BYTES 1024

/*
 * The consumer position the producers see is written every this many bytes
 * (or 1/32 of a smaller ring) and when a pass ends: the ring looks that much
 * fuller to them meanwhile (the BPF side acts at a quarter full).
 */
#define RING_PUBLISH_BYTES (64 * 1024)

/*
 * Hand the records out in time order until the rings are empty, or what is
 * left is too recent to order (ring_set__held then says so), or fn returns
 * non-zero. all: hand out every record stamped before the pass began, recent
 * or not, in time order, without waiting for records being written: for
 * draining before a report. Returns the records handed out, or fn's non-zero
 * return.
 */
int ring_set__consume(struct ring_set *s, ring_sample_fn fn, void *ctx, bool all);

/* Records were left in the last pass only because they were too recent. */
bool ring_set__held(const struct ring_set *s);

/* An fd that polls readable when any ring has been woken. */
int ring_set__epoll_fd(const struct ring_set *s);

/* Records handed out with a stamp older than one handed out before them. */
__u64 ring_set__reordered(const struct ring_set *s);

#endif /* LEAKTRACE_RING_H */
