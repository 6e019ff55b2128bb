// SPDX-License-Identifier: GPL-2.0
/*
 * workload.c - the benchmark workloads of `make bench`: loops of libc calls
 * that count their own calls and time them only once the tracer is attached.
 *
 *   workload MODE [-n ITERS] [-t THREADS] [-d DEPTH] [-c CPU,...] [-g]
 *
 * MODE
 *   malloc-small  malloc(64..127) then free it at once (tcache fast path)
 *   malloc-mixed  malloc(16 B..64 KiB, log-spread) into a ring of 256 live
 *                 blocks, freeing the block it replaces
 *   alloc-mix     calloc + realloc (grow) + posix_memalign + 2 free: 5 calls
 *   memalign      posix_memalign(64, 64..127) then free: the allocator entry
 *                 that starts with a memory compare (glibc 2.36), next to
 *                 malloc-small's push
 *   open-close    open("/dev/null") + close
 *   timer         timer_create(CLOCK_MONOTONIC, SIGEV_NONE) + timer_delete
 *
 * -t THREADS runs the loop in that many threads at once (each ITERS); ns per
 * call is each thread's own timed run over its own calls, averaged over the
 * threads: what one call costs a thread while the others run too.
 * -c CPU,... pins thread i to the (i mod count)-th CPU of the list before its
 * warm-up: on a VM whose vCPUs differ, each configuration then runs on the
 * same CPUs instead of on whichever the scheduler picked (on a 2 vCPU EPYC VM
 * an uprobe loop ran at ~8,000 ns per call on one vCPU and ~6,400 on the
 * other; unpinned, the medians of three runs read R_floor 1.34 on
 * malloc-mixed, pinned ones of five 1.14).
 * -d DEPTH calls the loop DEPTH frames deep (default 8), so that stack capture
 * walks a stack of realistic depth (the loop's caller chain is frame-pointer
 * built: the binary is compiled with -fno-omit-frame-pointer).
 * Each thread first runs ITERS/20 (at least 200) iterations untimed (warm-up:
 * the first hit of each probe maps the uprobe XOL page, the heap grows, the
 * tracer reads the process's maps); then all threads start together (a
 * barrier) and each times its own run.
 * -g: print "READY PID", wait for SIGUSR1 (the driver sends it once the
 * tracer's probes are attached), warm up, print "WARM", wait for SIGUSR1 again
 * (the driver reads the tracer's CPU time in between), run timed. Without -g
 * it runs straight through.
 *
 * Output, one line on stdout:
 *   RESULT mode=M threads=T iters=N calls=C ns_per_call=X ns_per_iter=Y wall_ns=W
 *          probed_start=P probed_end=Q
 * P and Q: how many of malloc, free, calloc, realloc, posix_memalign carried a
 * uprobe breakpoint before and after the timed run (-1: could not tell).
 * Exit 0, or 1 when a call failed.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum mode { M_MALLOC_SMALL, M_MALLOC_MIXED, M_ALLOC_MIX, M_MEMALIGN, M_OPEN_CLOSE, M_TIMER };

static const struct {
	const char *name;
	int calls_per_iter;
} modes[] = {
	[M_MALLOC_SMALL] = { "malloc-small", 2 },
	[M_MALLOC_MIXED] = { "malloc-mixed", 2 },
	[M_ALLOC_MIX] = { "alloc-mix", 5 },
	[M_MEMALIGN] = { "memalign", 2 },
	[M_OPEN_CLOSE] = { "open-close", 2 },
	[M_TIMER] = { "timer", 2 },
};

#define RING 256
#define NSIZES 1024

static enum mode mode;
static long iters = 100000;
static int nthreads = 1;
static int depth = 8;
static pthread_barrier_t warm_bar, start_bar;
static int go;
static sigset_t go_set;
static size_t small_sizes[NSIZES], mixed_sizes[NSIZES];
static int cpus[64], ncpus; /* -c */

/* Keep the compiler from pairing malloc with free away. */
#define SINK(p) __asm__ volatile("" : : "r"(p) : "memory")

struct worker {
	pthread_t th;
	int idx;
	long calls;
	int failed;
	__uint64_t t0, t1; /* this thread's timed run */
};

static __uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static __attribute__((noinline)) long loop_malloc_small(long n, int *failed)
{
	long i, calls = 0;

	for (i = 0; i < n; i++) {
		void *p = malloc(small_sizes[i & (NSIZES - 1)]);

		if (!p) {
			*failed = 1;
			break;
		}
		SINK(p);
		free(p);
		calls += 2;
	}
	return calls;
}

static __attribute__((noinline)) long loop_malloc_mixed(long n, int *failed)
{
	void *ring[RING] = { 0 };
	long i, calls = 0;

	for (i = 0; i < n; i++) {
		unsigned slot = i & (RING - 1);
		void *p;

		free(ring[slot]);
		p = malloc(mixed_sizes[i & (NSIZES - 1)]);
		if (!p) {
			*failed = 1;
			break;
		}
		SINK(p);
		ring[slot] = p;
		calls += 2;
	}
	for (i = 0; i < RING; i++, calls++)
		free(ring[i]);
	return calls;
}

static __attribute__((noinline)) long loop_alloc_mix(long n, int *failed)
{
	long i, calls = 0;

	for (i = 0; i < n; i++) {
		size_t sz = small_sizes[i & (NSIZES - 1)];
		void *p, *q = NULL;

		p = calloc(4, sz / 4);
		if (!p)
			goto fail;
		SINK(p);
		p = realloc(p, 2 * sz + 64);
		if (!p)
			goto fail;
		SINK(p);
		if (posix_memalign(&q, 64, sz))
			goto fail;
		SINK(q);
		free(q);
		free(p);
		calls += 5;
	}
	return calls;
fail:
	*failed = 1;
	return calls;
}

static __attribute__((noinline)) long loop_memalign(long n, int *failed)
{
	long i, calls = 0;

	for (i = 0; i < n; i++) {
		void *p;

		if (posix_memalign(&p, 64, small_sizes[i & (NSIZES - 1)])) {
			*failed = 1;
			break;
		}
		SINK(p);
		free(p);
		calls += 2;
	}
	return calls;
}

static __attribute__((noinline)) long loop_open_close(long n, int *failed)
{
	long i, calls = 0;

	for (i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || close(fd)) {
			*failed = 1;
			break;
		}
		calls += 2;
	}
	return calls;
}

static __attribute__((noinline)) long loop_timer(long n, int *failed)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	long i, calls = 0;
	timer_t t;

	for (i = 0; i < n; i++) {
		if (timer_create(CLOCK_MONOTONIC, &sev, &t) || timer_delete(t)) {
			*failed = 1;
			break;
		}
		calls += 2;
	}
	return calls;
}

static long run_loop(long n, int *failed)
{
	switch (mode) {
	case M_MALLOC_SMALL: return loop_malloc_small(n, failed);
	case M_MALLOC_MIXED: return loop_malloc_mixed(n, failed);
	case M_ALLOC_MIX: return loop_alloc_mix(n, failed);
	case M_MEMALIGN: return loop_memalign(n, failed);
	case M_OPEN_CLOSE: return loop_open_close(n, failed);
	case M_TIMER: return loop_timer(n, failed);
	}
	return 0;
}

/* Call the loop d frames deeper: a stack of realistic depth to capture. */
static __attribute__((noinline)) long nest(int d, long n, int *failed)
{
	long r;

	if (d <= 0)
		return run_loop(n, failed);
	r = nest(d - 1, n, failed);
	SINK(&r); /* not a tail call: keep the frame */
	return r;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	long warm = iters / 20 < 200 ? 200 : iters / 20;
	int dummy = 0;

	if (ncpus) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpus[w->idx % ncpus], &set);
		if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set)) {
			fprintf(stderr, "workload: cannot pin a thread to CPU %d\n",
				cpus[w->idx % ncpus]);
			w->failed = 2; /* said here: not a call's failure */
			pthread_barrier_wait(&warm_bar);
			pthread_barrier_wait(&start_bar);
			return NULL;
		}
	}
	nest(depth, warm, &dummy);
	pthread_barrier_wait(&warm_bar);
	pthread_barrier_wait(&start_bar);
	w->t0 = now_ns();
	w->calls = nest(depth, iters, &w->failed);
	w->t1 = now_ns();
	return NULL;
}

/*
 * How many of libc's allocator entries carry a breakpoint now: a uprobe writes
 * int3 into the process's copy of the code, so the first bytes in memory differ
 * from the file's. Lets the driver see a tracer it did not start (one that
 * attached to every libc on the host) in an "untraced" run.
 */
static int probed_fns(void)
{
	static const char *const names[] = { "malloc", "free", "calloc", "realloc",
					     "posix_memalign" };
	unsigned char file[16];
	int fd = -1, n = 0;
	size_t i;
	Dl_info di;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *fn = dlsym(RTLD_DEFAULT, names[i]);

		if (!fn || !dladdr(fn, &di) || !di.dli_fname)
			return -1;
		if (fd < 0)
			fd = open(di.dli_fname, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		/* libc's text lies at the same offset in the file as in its mapping */
		if (pread(fd, file, sizeof(file), (char *)fn - (char *)di.dli_fbase) !=
		    (ssize_t)sizeof(file))
			continue;
		n += memcmp(fn, file, sizeof(file)) != 0;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static int wait_go(void)
{
	int sig;

	return sigwait(&go_set, &sig);
}

static void init_sizes(void)
{
	unsigned long x = 0x2545f4914f6cdd1dul;
	int i;

	for (i = 0; i < NSIZES; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		small_sizes[i] = 64 + x % 64;
		/* 16 B .. 64 KiB, spread evenly over the powers of two (mostly small blocks) */
		mixed_sizes[i] = ((size_t)16 << ((x >> 8) % 13)) + (x >> 24) % 16;
		if (mixed_sizes[i] > 65536)
			mixed_sizes[i] = 65536;
	}
}

/* -c: a comma-separated list of CPU numbers. */
static int parse_cpus(const char *arg)
{
	char *end;

	for (ncpus = 0;; arg = end + 1) {
		long c = strtol(arg, &end, 10);

		if (end == arg || c < 0 || c >= CPU_SETSIZE || ncpus == 64)
			return -1;
		cpus[ncpus++] = (int)c;
		if (!*end)
			return 0;
		if (*end != ',')
			return -1;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: workload malloc-small|malloc-mixed|alloc-mix|memalign|open-close|timer "
			"[-n ITERS] [-t THREADS] [-d DEPTH] [-c CPU,...] [-g]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct worker *w;
	int opt, i, failed = 0;
	__uint64_t t0, t1;
	long calls = 0;
	double per_call = 0;
	int probed0, probed1;

	if (argc < 2)
		usage();
	for (i = 0; i < (int)(sizeof(modes) / sizeof(modes[0])); i++)
		if (!strcmp(argv[1], modes[i].name))
			break;
	if (i == (int)(sizeof(modes) / sizeof(modes[0])))
		usage();
	mode = i;
	optind = 2;
	while ((opt = getopt(argc, argv, "n:t:d:c:g")) != -1) {
		switch (opt) {
		case 'n': iters = atol(optarg); break;
		case 't': nthreads = atoi(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'c':
			if (parse_cpus(optarg))
				usage();
			break;
		case 'g': go = 1; break;
		default: usage();
		}
	}
	if (iters <= 0 || nthreads <= 0 || nthreads > 64 || depth < 0 || depth > 64)
		usage();
	init_sizes();
	if (go) {
		sigemptyset(&go_set);
		sigaddset(&go_set, SIGUSR1);
		sigprocmask(SIG_BLOCK, &go_set, NULL); /* before the driver can send it */
		printf("READY %d\n", (int)getpid());
		fflush(stdout);
		if (wait_go())
			return 1;
	}
	probed0 = probed_fns();
	w = calloc(nthreads, sizeof(*w));
	if (!w)
		return 1;
	pthread_barrier_init(&warm_bar, NULL, nthreads + 1);
	pthread_barrier_init(&start_bar, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		w[i].idx = i;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i])) {
			fprintf(stderr, "workload: pthread_create: %s\n", strerror(errno));
			return 1;
		}
	}
	pthread_barrier_wait(&warm_bar);
	if (go) {
		printf("WARM\n");
		fflush(stdout);
		if (wait_go())
			return 1;
	}
	pthread_barrier_wait(&start_bar);
	t0 = ~0ull;
	t1 = 0;
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].th, NULL);
		calls += w[i].calls;
		failed |= w[i].failed;
		per_call += (double)(w[i].t1 - w[i].t0) / (w[i].calls ? w[i].calls : 1) / nthreads;
		if (w[i].t0 < t0)
			t0 = w[i].t0;
		if (w[i].t1 > t1)
			t1 = w[i].t1;
	}
	probed1 = probed_fns();
	if (failed & 2)
		return 1;
	if (failed || !calls) {
		fprintf(stderr, "workload: %s: a call failed: %s\n", modes[mode].name, strerror(errno));
		return 1;
	}
	printf("RESULT mode=%s threads=%d iters=%ld calls=%ld ns_per_call=%.1f ns_per_iter=%.1f "
	       "wall_ns=%llu probed_start=%d probed_end=%d\n",
	       modes[mode].name, nthreads, iters, calls, per_call,
	       per_call * modes[mode].calls_per_iter,
	       (unsigned long long)(t1 - t0), probed0, probed1);
	return 0;
}
