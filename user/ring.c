// SPDX-License-Identifier: GPL-2.0
/*
 * ring.c - per-CPU BPF ring buffers merged into one stream by record time.
 *
 * The layout is the kernel's (kernel/bpf/ringbuf.c): a consumer page we
 * write, a producer page, then the data pages mapped twice in a row so that a
 * record that wraps reads as one piece. Each record has an 8-byte header: its
 * length with a busy bit (reserved, not yet committed) and a discard bit.
 */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/bpf.h>

enum head { H_EMPTY, H_BUSY, H_HAVE };

struct ring {
	unsigned long *cons;  /* consumer position, ours to advance */
	unsigned long *prod;  /* producer position */
	__u8 *data;
	unsigned long mask;
	unsigned long pos;    /* our consumer position */
	unsigned long seen;   /* producer position when last read */
	__u64 seen_at;        /* the clock just before that read */
	enum head head;       /* what sits at pos (of what was seen) */
	void *rec;            /* H_HAVE: the record, its length, its stamp */
	__u32 len;
	__u64 ts;
	__u64 last;           /* stamp of the last record handed out from this ring */
	unsigned long ahead;  /* records before this were peeked at (ring_set__set_peek) */
	unsigned long pub;    /* the consumer position as we last wrote it */
	unsigned long pub_every; /* bytes handed out between writes of it */
	void *map_cons, *map_prod; /* our mappings; NULL for memory rings */
	size_t prod_len;
};

struct ring_set {
	struct ring *r;
	int n;
	size_t ts_off;
	__u64 (*clock)(void);
	__u64 last_ts, reordered;
	bool held;
	int epfd;
	ring_peek_fn peek;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The time first, then the position: what is not in yet will be stamped after that time. */
static void observe(struct ring_set *s, struct ring *r)
{
	r->seen_at = s->clock();
	r->seen = __atomic_load_n(r->prod, __ATOMIC_ACQUIRE);
}

/*
 * Past a record. The kernel reads the consumer position at every reserve:
 * written per record, its cache line would move between the consumer's CPU
 * and the producers' at every event. publish() writes it every pub_every
 * bytes and at the end of a pass, and never reads it: with two CPUs
 * producing, runs of one ring are a record or two long, and reading it per
 * run was a sixth of the consumer's time (malloc-mixed, 2 threads).
 */
static void advance(struct ring *r, __u32 len)
{
	r->pos += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
}

static void publish(struct ring *r)
{
	if (r->pub != r->pos) {
		__atomic_store_n(r->cons, r->pos, __ATOMIC_RELEASE);
		r->pub = r->pos;
	}
}

static void publish_all(struct ring_set *s)
{
	int i;

	for (i = 0; i < s->n; i++)
		publish(&s->r[i]);
}

/* The consumer position trails what was handed out by at most this much. */
static void ring_init_pos(struct ring *r, unsigned long pos, size_t size)
{
	r->pos = r->seen = r->ahead = r->pub = pos;
	r->mask = size - 1;
	r->pub_every = size / 32 < RING_PUBLISH_BYTES ? size / 32 : RING_PUBLISH_BYTES;
}

static void read_head(struct ring_set *s, struct ring *r)
{
	__u32 hdr, len;

	while (r->pos != r->seen) {
		hdr = __atomic_load_n((__u32 *)(r->data + (r->pos & r->mask)), __ATOMIC_ACQUIRE);
		if (hdr & BPF_RINGBUF_BUSY_BIT) {
			r->head = H_BUSY;
			return;
		}
		len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (hdr & BPF_RINGBUF_DISCARD_BIT) {
			advance(r, len);
			continue;
		}
		r->rec = r->data + (r->pos & r->mask) + BPF_RINGBUF_HDR_SZ;
		r->len = len;
		if (len >= s->ts_off + sizeof(__u64))
			memcpy(&r->ts, (__u8 *)r->rec + s->ts_off, sizeof(r->ts));
		else
			r->ts = s->last_ts; /* no stamp: keep it where it is */
		r->head = H_HAVE;
		return;
	}
	r->head = H_EMPTY;
}

/*
 * Offer the committed records up to RING_PEEK_BYTES past the one at pos to
 * peek, once each. They stay in place until the consumer position passes
 * them, which only handing them out does.
 */
static void peek_ahead(struct ring_set *s, struct ring *r, void *ctx)
{
	__u32 hdr, len;

	if ((long)(r->ahead - r->pos) < 0)
		r->ahead = r->pos;
	while ((long)(r->seen - r->ahead) > 0 && r->ahead - r->pos <= RING_PEEK_BYTES) {
		hdr = __atomic_load_n((__u32 *)(r->data + (r->ahead & r->mask)), __ATOMIC_ACQUIRE);
		if (hdr & BPF_RINGBUF_BUSY_BIT)
			return;
		len = hdr & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		if (r->ahead != r->pos && !(hdr & BPF_RINGBUF_DISCARD_BIT))
			s->peek(ctx, r->data + (r->ahead & r->mask) + BPF_RINGBUF_HDR_SZ, len);
		r->ahead += (len + BPF_RINGBUF_HDR_SZ + 7) & ~7ul;
	}
}

static bool pow2(size_t size)
{
	return size && !(size & (size - 1));
}

static int set_alloc(int n, size_t ts_off, struct ring_set **out)
{
	struct ring_set *s;

	if (n <= 0)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->r = calloc(n, sizeof(*s->r));
	if (!s->r) {
		free(s);
		return -ENOMEM;
	}
	s->n = n;
	s->ts_off = ts_off;
	s->clock = mono_ns;
	s->epfd = -1;
	*out = s;
	return 0;
}

int ring_set__new(const int *fds, const size_t *sizes, int n, size_t ts_off,
		  struct ring_set **out)
{
	size_t page = sysconf(_SC_PAGESIZE);
	struct epoll_event ev = { .events = EPOLLIN };
	struct ring_set *s;
	struct ring *r;
	int i, ret;

	for (i = 0; i < n; i++)
		if (!pow2(sizes[i]))
			return -EINVAL;
	ret = set_alloc(n, ts_off, &s);
	if (ret)
		return ret;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		r = &s->r[i];
		r->map_cons = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fds[i], 0);
		if (r->map_cons == MAP_FAILED) {
			r->map_cons = NULL;
			goto fail;
		}
		r->prod_len = page + 2 * sizes[i];
		r->map_prod = mmap(NULL, r->prod_len, PROT_READ, MAP_SHARED, fds[i], page);
		if (r->map_prod == MAP_FAILED) {
			r->map_prod = NULL;
			goto fail;
		}
		r->cons = r->map_cons;
		r->prod = r->map_prod;
		r->data = (__u8 *)r->map_prod + page;
		ring_init_pos(r, __atomic_load_n(r->cons, __ATOMIC_ACQUIRE), sizes[i]);
		/*
		 * Edge-triggered: records held back for their order keep a ring
		 * readable, and a level-triggered poll would spin on them.
		 * ring_set__consume takes the edges.
		 */
		ev.events = EPOLLIN | EPOLLET;
		ev.data.u32 = i;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fds[i], &ev))
			goto fail;
	}
	*out = s;
	return 0;
fail:
	ret = -errno;
	ring_set__free(s);
	return ret;
}

int ring_set__new_mem(int n, size_t size, size_t ts_off, unsigned long **cons,
		      unsigned long **prod, void **data, __u64 (*clock)(void),
		      struct ring_set **out)
{
	struct ring_set *s;
	int i, ret;

	if (!pow2(size))
		return -EINVAL;
	ret = set_alloc(n, ts_off, &s);
	if (ret)
		return ret;
	if (clock)
		s->clock = clock;
	for (i = 0; i < n; i++) {
		s->r[i].cons = cons[i];
		s->r[i].prod = prod[i];
		s->r[i].data = data[i];
		ring_init_pos(&s->r[i], *cons[i], size);
	}
	*out = s;
	return 0;
}

void ring_set__set_peek(struct ring_set *s, ring_peek_fn peek)
{
	s->peek = peek;
}

void ring_set__free(struct ring_set *s)
{
	size_t page = sysconf(_SC_PAGESIZE);
	int i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++) {
		if (s->r[i].map_cons)
			munmap(s->r[i].map_cons, page);
		if (s->r[i].map_prod)
			munmap(s->r[i].map_prod, s->r[i].prod_len);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->r);
	free(s);
}

/*
 * The oldest record goes first, and the records after it in its ring follow
 * while none of the other rings could hold an older one: one with a record
 * waiting bounds the run by that record's stamp; an empty one by the time it
 * was seen empty, less the margin; one whose next record is reserved but not
 * yet written by the stamp of the last record handed out from it (the one
 * being written was reserved, so stamped, after that). When the bound comes
 * from a ring seen empty earlier, that ring is looked at again once.
 * all: every record stamped before the pass began (cut) goes, without
 * waiting for rings seen empty or in the middle of a write; a record that
 * reaches a ring after the pass began was reserved after the cut, so
 * stamped after it, and is left for the next pass.
 */
int ring_set__consume(struct ring_set *s, ring_sample_fn fn, void *ctx, bool all)
{
	__u64 cut = all ? s->clock() : ~0ull, bound, lim;
	struct epoll_event evs[16];
	struct ring *r, *best;
	int i, cnt = 0, ret;
	bool looked = true;

	if (s->epfd >= 0)
		while (epoll_wait(s->epfd, evs, 16, 0) == 16)
			;
	s->held = false;
	for (i = 0; i < s->n; i++) {
		observe(s, &s->r[i]);
		read_head(s, &s->r[i]);
	}
	for (;;) {
		best = NULL;
		for (i = 0; i < s->n; i++) {
			r = &s->r[i];
			if (r->head == H_HAVE && (!best || r->ts < best->ts))
				best = r;
		}
		if (!best) {
			for (i = 0; i < s->n; i++) {
				s->held |= s->r[i].head == H_BUSY;
				publish(&s->r[i]); /* discarded records */
			}
			return cnt;
		}
		bound = cut;
		for (i = 0; i < s->n; i++) {
			r = &s->r[i];
			if (r == best)
				continue;
			if (r->head == H_HAVE)
				lim = r->ts;
			else if (all)
				continue;
			else if (r->head == H_BUSY)
				lim = r->last;
			else
				lim = r->seen_at > RING_MARGIN_NS ? r->seen_at - RING_MARGIN_NS : 0;
			if (lim < bound)
				bound = lim;
		}
		if (best->ts > bound) {
			if (looked) {
				publish_all(s);
				s->held = true;
				return cnt;
			}
			for (i = 0; i < s->n; i++) {
				r = &s->r[i];
				if (r != best && r->head != H_HAVE) {
					observe(s, r);
					read_head(s, r);
				}
			}
			looked = true;
			continue;
		}
		looked = false;
		do {
			if (best->ts < s->last_ts)
				s->reordered++;
			else
				s->last_ts = best->ts;
			best->last = best->ts;
			if (s->peek)
				peek_ahead(s, best, ctx);
			ret = fn(ctx, best->rec, best->len);
			advance(best, best->len);
			cnt++;
			if (ret) {
				publish_all(s);
				return ret;
			}
			if (best->pos - best->pub >= best->pub_every)
				publish(best);
			read_head(s, best);
			if (best->head == H_EMPTY) {
				observe(s, best);
				read_head(s, best);
			}
		} while (best->head == H_HAVE && best->ts <= bound);
	}
}

bool ring_set__held(const struct ring_set *s)
{
	return s->held;
}

int ring_set__epoll_fd(const struct ring_set *s)
{
	return s->epfd;
}

__u64 ring_set__reordered(const struct ring_set *s)
{
	return s->reordered;
}
