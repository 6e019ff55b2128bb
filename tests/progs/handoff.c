// SPDX-License-Identifier: GPL-2.0
/*
 * handoff.c - blocks allocated on one CPU and freed on another, the address
 * coming back at once: the order leaktrace's per-CPU rings must be merged in.
 *
 * Thread A, pinned to one CPU, mallocs a block above glibc's mmap threshold
 * (so free() unmaps it and the next malloc usually gets the same address back)
 * and hands it to thread B, pinned to another CPU, which frees it; then A
 * mallocs the next. The allocation on A's CPU and the free on B's alternate
 * on the same address: read ring by ring, each free would land on the wrong
 * allocation. A keeps the last block (keep_last), the one leak:
 *
 *   handoff [--spin|--pingpong] [-n ROUNDS]
 *                         prints "reused=R rounds=N" (how often the address
 *                         came back) and exits 0; 2 if there are not two CPUs
 *   handoff --expect      the leak, as leaky --expect prints it
 *
 * --spin: the threads hand the block over by spinning on the mailbox, never
 * sleeping: A's allocation is then still held in the kernel (struct inflight,
 * sent at A's next allocator call or switch) when B's free of it is sent, so
 * the free arrives first.
 * --pingpong: spinning too, with 64-byte blocks: B frees A's block and
 * mallocs one of the same size (its tcache gives the address back), which A
 * frees ("reused" counts the rounds where B's block had A's address). A's
 * free is of its held block's address, but not of its held block: it must
 * not cancel it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (256 * 1024) /* above the mmap threshold (128 KiB) */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static void *mailbox;   /* a block for B to free */
static int done;
static int cpu_a, cpu_b;
static int spin, pingpong;
static void *volatile back; /* --pingpong: B's block for A to free */

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

#define SMALL 64

static __attribute__((noinline)) void *alloc_block(size_t n)
{
	void *p = malloc(n);

	if (p)
		memset(p, 1, 64);
	return p;
}

static void *freer(void *arg)
{
	void *p;

	(void)arg;
	if (pin(cpu_b))
		exit(2);
	while (spin) {
		while (!(p = __atomic_load_n(&mailbox, __ATOMIC_ACQUIRE)))
			if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
				return NULL;
		free(p);
		__atomic_store_n(&mailbox, NULL, __ATOMIC_RELEASE);
		if (pingpong) {
			if (!(p = alloc_block(SMALL)))
				exit(1);
			__atomic_store_n(&back, p, __ATOMIC_RELEASE);
		}
	}
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!mailbox && !done)
			pthread_cond_wait(&cv, &mu);
		if (!mailbox)
			break;
		p = mailbox;
		free(p);
		mailbox = NULL;
		pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static __attribute__((noinline)) void *keep_last(void)
{
	return alloc_block(BLOCK);
}

int main(int argc, char **argv)
{
	long rounds = 2000, i, reused = 0;
	void *p, *prev = NULL, *last;
	cpu_set_t avail;
	pthread_t b;
	int c, n = 0;

	if (argc > 1 && !strcmp(argv[1], "--expect")) {
		printf("{\"func\":\"alloc_block\",\"bytes\":%d,\"count\":1}\n", BLOCK);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "--spin") || !strcmp(argv[1], "--pingpong"))) {
		spin = 1;
		pingpong = !strcmp(argv[1], "--pingpong");
		argc--;
		argv++;
	}
	if (argc > 2 && !strcmp(argv[1], "-n"))
		rounds = atol(argv[2]);
	if (sched_getaffinity(0, sizeof(avail), &avail))
		return 2;
	for (c = 0; c < CPU_SETSIZE && n < 2; c++) {
		if (!CPU_ISSET(c, &avail))
			continue;
		if (n++ == 0)
			cpu_a = c;
		else
			cpu_b = c;
	}
	if (n < 2) {
		fprintf(stderr, "handoff: needs two CPUs\n");
		return 2;
	}
	if (pin(cpu_a) || pthread_create(&b, NULL, freer, NULL))
		return 2;
	for (i = 0; i < rounds; i++) {
		p = alloc_block(pingpong ? SMALL : BLOCK);
		if (!p)
			return 1;
		if (pingpong) {
			void *q;

			__atomic_store_n(&mailbox, p, __ATOMIC_RELEASE);
			while (!(q = __atomic_load_n(&back, __ATOMIC_ACQUIRE)))
				;
			__atomic_store_n(&back, NULL, __ATOMIC_RELEASE);
			reused += q == p; /* B's block came back at A's address */
			free(q);
			continue;
		}
		reused += p == prev;
		prev = p;
		if (spin) {
			__atomic_store_n(&mailbox, p, __ATOMIC_RELEASE);
			while (__atomic_load_n(&mailbox, __ATOMIC_ACQUIRE))
				;
			continue;
		}
		pthread_mutex_lock(&mu);
		mailbox = p;
		pthread_cond_broadcast(&cv);
		while (mailbox)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
	}
	last = keep_last();
	reused += last == prev;
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	pthread_mutex_lock(&mu);
	done = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(b, NULL);
	printf("reused=%ld rounds=%ld\n", reused, rounds + 1);
	fflush(stdout);
	return last ? 0 : 1;
}
