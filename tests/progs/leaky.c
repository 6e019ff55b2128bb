/* SPDX-License-Identifier: GPL-2.0 */
/*
 * leaky.c - a test program that leaks known bytes and counts through every
 * allocator function leaktrace traces, and frees many more.
 *
 * Each leak_* function leaks a distinct number of blocks of a distinct size, so
 * a tracer that mixes up callers, sizes or counts shows it. The churn_* and
 * fail_* functions give back everything they take (or take nothing because the
 * call failed): no stack may name them. Leaked blocks go into keep[], so the
 * allocator calls are not dead code and no call is the last instruction of
 * its function (no tail call); leaktrace counts outstanding memory, reachable
 * or not.
 *
 * The truth is printed by the program itself (--expect), so tests never keep
 * a copy of this table. The program checks its own work (a realloc that should
 * move did move, a call that should fail did fail) and exits 3 if not.
 *
 * Usage: leaky [--expect] [--no-pvalloc] [--pause-before SEC] [--wait-file PATH]
 *              [--ready-file PATH] [--hold SEC]
 *   --expect          after the workload, print the expected table as JSON Lines:
 *                     {"func":"leak_malloc","bytes":1000,"count":10,"line":N}
 *                     (bytes 0 = no stack may have this function as frames[0];
 *                     line = source line of the allocator call that leaks)
 *   --no-pvalloc      call no pvalloc, expect none (valgrind 3.19 aborts at pvalloc)
 *   --pause-before S  sleep S seconds (may be fractional) before any allocation
 *   --wait-file P     then wait until P exists before any allocation
 *   --ready-file P    create P once everything is leaked
 *   --hold S          then stay alive up to S seconds; SIGUSR1 or SIGTERM ends it
 * Nothing is printed on stdout without --expect. Exit 0 on success.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

/* One row of the expected table. */
struct expect {
	const char *func;
	unsigned long bytes;
	unsigned long count;
	int line; /* source line of the leaking allocator call (0: none) */
};

enum {
	E_MALLOC,
	E_CALLOC,
	E_REALLOC_GROW,
	E_REALLOC_NULL,
	E_REALLOC_SHRINK,
	E_REALLOC_FAILED,
	E_REALLOCARRAY,
	E_PMA,
	E_ALIGNED_ALLOC,
	E_MEMALIGN,
	E_VALLOC,
	E_PVALLOC,
	E_CHURN,
	E_CHURN_REALLOC,
	E_CHURN_REALLOC_ZERO,
	E_CHURN_ALIGNED,
	E_FAIL_ALLOC,
	E__MAX
};

#define MALLOC_N       10
#define MALLOC_SZ      100
#define CALLOC_N       7
#define CALLOC_NMEMB   3
#define CALLOC_SZ      40
#define GROW_N	       6
#define GROW_FROM      24
#define GROW_TO	       3000
#define RNULL_N	       5
#define RNULL_SZ       77
#define SHRINK_N       4
#define SHRINK_FROM    5000
#define SHRINK_TO      50
#define RFAIL_N	       2
#define RFAIL_SZ       444
#define RARRAY_N       3
#define RARRAY_NMEMB   9
#define RARRAY_SZ      11
#define PMA_N	       8
#define PMA_ALIGN      64
#define PMA_SZ	       200
#define AA_N	       2
#define AA_ALIGN       128
#define AA_SZ	       256
#define MEMALIGN_N     9
#define MEMALIGN_ALIGN 32
#define MEMALIGN_SZ    330
#define VALLOC_N       2
#define VALLOC_SZ      1234
/* A multiple of the page size, so that requested and rounded sizes agree. */
#define PVALLOC_N  3
#define PVALLOC_SZ 8192

#define CHURN_N 10000

static struct expect expect[E__MAX] = {
    [E_MALLOC] = {"leak_malloc", MALLOC_N *MALLOC_SZ, MALLOC_N, 0},
    [E_CALLOC] = {"leak_calloc", CALLOC_N *CALLOC_NMEMB *CALLOC_SZ, CALLOC_N, 0},
    [E_REALLOC_GROW] = {"leak_realloc_grow", GROW_N *GROW_TO, GROW_N, 0},
    [E_REALLOC_NULL] = {"leak_realloc_null", RNULL_N *RNULL_SZ, RNULL_N, 0},
    [E_REALLOC_SHRINK] = {"leak_realloc_shrink", SHRINK_N *SHRINK_TO, SHRINK_N, 0},
    [E_REALLOC_FAILED] = {"leak_realloc_failed", RFAIL_N *RFAIL_SZ, RFAIL_N, 0},
    [E_REALLOCARRAY] = {"leak_reallocarray", RARRAY_N *RARRAY_NMEMB *RARRAY_SZ, RARRAY_N, 0},
    [E_PMA] = {"leak_posix_memalign", PMA_N *PMA_SZ, PMA_N, 0},
    [E_ALIGNED_ALLOC] = {"leak_aligned_alloc", AA_N *AA_SZ, AA_N, 0},
    [E_MEMALIGN] = {"leak_memalign", MEMALIGN_N *MEMALIGN_SZ, MEMALIGN_N, 0},
    [E_VALLOC] = {"leak_valloc", VALLOC_N *VALLOC_SZ, VALLOC_N, 0},
    [E_PVALLOC] = {"leak_pvalloc", PVALLOC_N *PVALLOC_SZ, PVALLOC_N, 0},
    [E_CHURN] = {"churn", 0, 0, 0},
    [E_CHURN_REALLOC] = {"churn_realloc", 0, 0, 0},
    [E_CHURN_REALLOC_ZERO] = {"churn_realloc_zero", 0, 0, 0},
    [E_CHURN_ALIGNED] = {"churn_aligned", 0, 0, 0},
    [E_FAIL_ALLOC] = {"fail_alloc", 0, 0, 0},
};

/* Leaked blocks: volatile so that no store (and no allocation) is optimized away. */
void *volatile keep[256];
static unsigned int nkeep;
static unsigned long kept[E__MAX];
/* Sizes that the compiler cannot see, so it neither warns nor folds the calls. */
static volatile size_t huge = SIZE_MAX;
static volatile size_t bad_align = 3;
/* A NULL the compiler cannot see: it would turn realloc(NULL, n) into malloc(n). */
static void *volatile null_ptr;
static int broken; /* the program's own checks failed */
static int no_pvalloc;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "leaky: self-check failed: %s\n", what);
		broken = 1;
	}
}

/*
 * Keep a leaked block. Called in one statement on one line with the allocator
 * call it records (__LINE__ is then the line of that call's return address).
 */
static NOINLINE void keep_it(int e, void *p, int line)
{
	check(p != NULL, expect[e].func);
	if (nkeep < sizeof(keep) / sizeof(keep[0]))
		keep[nkeep++] = p;
	else
		check(0, "keep[] is full");
	kept[e]++;
	expect[e].line = line;
}

static NOINLINE void leak_malloc(void)
{
	for (int i = 0; i < MALLOC_N; i++)
		keep_it(E_MALLOC, malloc(MALLOC_SZ), __LINE__);
}

static NOINLINE void leak_calloc(void)
{
	for (int i = 0; i < CALLOC_N; i++)
		keep_it(E_CALLOC, calloc(CALLOC_NMEMB, CALLOC_SZ), __LINE__);
}

/* A block that cannot grow in place (the next chunk is in use) moves. */
static NOINLINE void leak_realloc_grow(void)
{
	for (int i = 0; i < GROW_N; i++) {
		char *p = malloc(GROW_FROM);
		void *volatile guard = malloc(GROW_FROM);
		uintptr_t old = (uintptr_t)p;
		void *q;

		check(p && guard, "leak_realloc_grow: malloc");
		memset(p, 'g', GROW_FROM);
		keep_it(E_REALLOC_GROW, q = realloc(p, GROW_TO), __LINE__);
		check((uintptr_t)q != old, "leak_realloc_grow: realloc did not move the block");
		free(guard);
	}
}

static NOINLINE void leak_realloc_null(void)
{
	for (int i = 0; i < RNULL_N; i++)
		keep_it(E_REALLOC_NULL, realloc(null_ptr, RNULL_SZ), __LINE__);
}

static NOINLINE void leak_realloc_shrink(void)
{
	for (int i = 0; i < SHRINK_N; i++) {
		char *p = malloc(SHRINK_FROM);

		check(p != NULL, "leak_realloc_shrink: malloc");
		keep_it(E_REALLOC_SHRINK, realloc(p, SHRINK_TO), __LINE__);
	}
}

/* realloc that fails leaves the old block live: it leaks from the malloc. */
static NOINLINE void leak_realloc_failed(void)
{
	for (int i = 0; i < RFAIL_N; i++) {
		void *p, *q;

		keep_it(E_REALLOC_FAILED, p = malloc(RFAIL_SZ), __LINE__);
		q = realloc(p, huge);
		check(q == NULL && errno == ENOMEM,
		      "leak_realloc_failed: realloc(p, SIZE_MAX) succeeded");
		free(q);
	}
}

static NOINLINE void leak_reallocarray(void)
{
	for (int i = 0; i < RARRAY_N; i++)
		keep_it(E_REALLOCARRAY, reallocarray(null_ptr, RARRAY_NMEMB, RARRAY_SZ), __LINE__);
}

static NOINLINE void leak_posix_memalign(void)
{
	for (int i = 0; i < PMA_N; i++) {
		void *p = NULL;

		keep_it(E_PMA, posix_memalign(&p, PMA_ALIGN, PMA_SZ) ? NULL : p, __LINE__);
	}
}

static NOINLINE void leak_aligned_alloc(void)
{
	for (int i = 0; i < AA_N; i++)
		keep_it(E_ALIGNED_ALLOC, aligned_alloc(AA_ALIGN, AA_SZ), __LINE__);
}

static NOINLINE void leak_memalign(void)
{
	for (int i = 0; i < MEMALIGN_N; i++)
		keep_it(E_MEMALIGN, memalign(MEMALIGN_ALIGN, MEMALIGN_SZ), __LINE__);
}

static NOINLINE void leak_valloc(void)
{
	for (int i = 0; i < VALLOC_N; i++)
		keep_it(E_VALLOC, valloc(VALLOC_SZ), __LINE__);
}

static NOINLINE void leak_pvalloc(void)
{
	if (no_pvalloc)
		return;
	for (int i = 0; i < PVALLOC_N; i++)
		keep_it(E_PVALLOC, pvalloc(PVALLOC_SZ), __LINE__);
}

/* Many short-lived blocks of varied sizes: none outstanding at the end. */
static NOINLINE void churn(void)
{
	void *volatile p;

	for (int i = 0; i < CHURN_N; i++) {
		p = malloc(16 + i % 500);
		check(p != NULL, "churn: malloc");
		free(p);
		kept[E_CHURN]++;
	}
	for (int i = 0; i < CHURN_N / 10; i++) {
		p = calloc(1 + i % 7, 33);
		check(p != NULL, "churn: calloc");
		free(p);
	}
}

/* realloc chains (NULL start, growth across chunk and mmap sizes, shrink) that end freed. */
static NOINLINE void churn_realloc(void)
{
	static const size_t sizes[] = {8, 40, 300, 200, 5000, 70000, 300000, 64, 1};

	for (int i = 0; i < 500; i++) {
		void *p = null_ptr;

		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			void *q = realloc(p, sizes[s] + i % 3);

			check(q != NULL, "churn_realloc: realloc");
			p = q;
		}
		free(p);
		p = reallocarray(null_ptr, 5 + i % 4, 6);
		check(p != NULL, "churn_realloc: reallocarray");
		p = reallocarray(p, 50, 6);
		check(p != NULL, "churn_realloc: reallocarray grow");
		free(p);
	}
}

/* realloc(p, 0) frees p and returns NULL on glibc. */
static NOINLINE void churn_realloc_zero(void)
{
	for (int i = 0; i < 500; i++) {
		void *p = malloc(300 + i % 10);
		void *q;

		check(p != NULL, "churn_realloc_zero: malloc");
		q = realloc(p, 0);
		free(q); /* NULL on glibc; a minimum block elsewhere (valgrind may differ) */
	}
}

/* Every aligned allocator, each block freed. */
static NOINLINE void churn_aligned(void)
{
	void *volatile p;

	for (int i = 0; i < 200; i++) {
		void *m = NULL;

		check(posix_memalign(&m, 16 << (i % 4), 100 + i) == 0,
		      "churn_aligned: posix_memalign");
		free(m);
		p = aligned_alloc(64, 64 * (1 + i % 5));
		check(p != NULL, "churn_aligned: aligned_alloc");
		free(p);
		p = memalign(256, 10 + i);
		check(p != NULL, "churn_aligned: memalign");
		free(p);
		p = valloc(10 + i);
		check(p != NULL, "churn_aligned: valloc");
		free(p);
		if (no_pvalloc)
			continue;
		p = pvalloc(4096);
		check(p != NULL, "churn_aligned: pvalloc");
		free(p);
	}
}

/* Allocations that fail take nothing: nothing may be counted for them. */
static NOINLINE void fail_alloc(void)
{
	void *volatile p;
	void *m = (void *)1;

	p = malloc(huge);
	check(p == NULL, "fail_alloc: malloc(SIZE_MAX) succeeded");
	p = calloc(huge / 2, 4);
	check(p == NULL, "fail_alloc: calloc overflow succeeded");
	p = realloc(null_ptr, huge);
	check(p == NULL, "fail_alloc: realloc(NULL, SIZE_MAX) succeeded");
	p = reallocarray(null_ptr, huge / 2, 3);
	check(p == NULL, "fail_alloc: reallocarray overflow succeeded");
	check(posix_memalign(&m, bad_align, 100) == EINVAL,
	      "fail_alloc: posix_memalign(3) != EINVAL");
	check(m == (void *)1, "fail_alloc: posix_memalign wrote *memptr on failure");
	check(posix_memalign(&m, 64, huge) == ENOMEM,
	      "fail_alloc: posix_memalign(SIZE_MAX) != ENOMEM");
	p = aligned_alloc(64, huge);
	check(p == NULL, "fail_alloc: aligned_alloc(SIZE_MAX) succeeded");
	p = memalign(64, huge);
	check(p == NULL, "fail_alloc: memalign(SIZE_MAX) succeeded");
	p = valloc(huge);
	check(p == NULL, "fail_alloc: valloc(SIZE_MAX) succeeded");
	if (!no_pvalloc) {
		p = pvalloc(huge);
		check(p == NULL, "fail_alloc: pvalloc(SIZE_MAX) succeeded");
	}
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void wait_file(const char *path)
{
	while (access(path, F_OK))
		sleep_s(0.01);
}

/* Stay alive up to s seconds; SIGUSR1 or SIGTERM ends the wait early (exit 0). */
static void hold(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	while (sigtimedwait(&set, NULL, &ts) < 0 && errno == EINTR)
		;
}

static void print_expect(void)
{
	for (int e = 0; e < E__MAX; e++)
		printf("{\"func\":\"%s\",\"bytes\":%lu,\"count\":%lu,\"line\":%d}\n",
		       expect[e].func, expect[e].bytes, expect[e].count, expect[e].line);
}

static NOINLINE void run_workload(void)
{
	churn();
	leak_malloc();
	leak_calloc();
	leak_realloc_grow();
	leak_realloc_null();
	leak_realloc_shrink();
	leak_realloc_failed();
	leak_reallocarray();
	churn_realloc();
	leak_posix_memalign();
	leak_aligned_alloc();
	leak_memalign();
	leak_valloc();
	leak_pvalloc();
	churn_realloc_zero();
	churn_aligned();
	fail_alloc();
}

static int usage(void)
{
	fprintf(stderr,
		"usage: leaky [--expect] [--no-pvalloc] [--pause-before SEC] [--wait-file PATH] "
		"[--ready-file PATH] [--hold SEC]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *wait_path = NULL, *ready_path = NULL;
	double pause_s = 0, hold_s = 0;
	int want_expect = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--expect")) {
			want_expect = 1;
			continue;
		}
		if (!strcmp(a, "--no-pvalloc")) {
			no_pvalloc = 1;
			expect[E_PVALLOC].bytes = expect[E_PVALLOC].count = 0;
			continue;
		}
		if (!v)
			return usage();
		if (!strcmp(a, "--pause-before"))
			pause_s = atof(v);
		else if (!strcmp(a, "--wait-file"))
			wait_path = v;
		else if (!strcmp(a, "--ready-file"))
			ready_path = v;
		else if (!strcmp(a, "--hold"))
			hold_s = atof(v);
		else
			return usage();
		i++;
	}

	if (pause_s > 0)
		sleep_s(pause_s);
	if (wait_path)
		wait_file(wait_path);

	run_workload();

	for (int e = 0; e < E__MAX; e++)
		if (expect[e].count && kept[e] != expect[e].count)
			check(0, expect[e].func);
	if (want_expect) {
		print_expect();
		fflush(stdout);
	}
	if (ready_path) {
		int fd = open(ready_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

		check(fd >= 0, "create --ready-file");
		if (fd >= 0)
			close(fd);
	}
	if (hold_s > 0)
		hold(hold_s);
	return broken ? 3 : 0;
}
