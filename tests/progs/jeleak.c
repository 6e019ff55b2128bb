/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jeleak.c - leaks known bytes and counts through whatever malloc the process
 * uses; the jemalloc test runs it with LD_PRELOAD=libjemalloc.so.2 and traces
 * jemalloc with --obj.
 *
 * Each je_leak_* function leaks a distinct number of blocks of a distinct size;
 * je_churn frees everything it takes. Leaked blocks go into keep[], so no
 * allocator call is dead code or a tail call. je_leak_reallocarray goes through
 * glibc's reallocarray, which calls realloc (jemalloc's) inside: one allocation.
 *
 * Usage: jeleak [--expect] [--require-jemalloc]
 *   --expect            after the workload, print the expected table as JSON Lines:
 *                       {"func":"je_leak_malloc","bytes":576,"count":12,"line":N}
 *   --require-jemalloc  exit 3 unless malloc comes from a library named *jemalloc*
 * Nothing is printed on stdout without --expect. Exit 0 on success.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

struct expect {
	const char *func;
	unsigned long bytes;
	unsigned long count;
	int line; /* source line of the leaking allocator call */
};

enum { E_MALLOC, E_LARGE, E_CALLOC, E_REALLOC, E_MEMALIGN, E_REALLOCARRAY, E_CHURN, E__MAX };

#define MALLOC_N     12
#define MALLOC_SZ    48
#define LARGE_N	     3
#define LARGE_SZ     100000
#define CALLOC_N     5
#define CALLOC_NMEMB 4
#define CALLOC_SZ    25
#define REALLOC_N    4
#define REALLOC_FROM 10
#define REALLOC_TO   5000
#define PMA_N	     6
#define PMA_ALIGN    256
#define PMA_SZ	     700
#define RARRAY_N     2
#define RARRAY_NMEMB 13
#define RARRAY_SZ    3
#define CHURN_N	     5000

static struct expect expect[E__MAX] = {
    [E_MALLOC] = {"je_leak_malloc", MALLOC_N *MALLOC_SZ, MALLOC_N, 0},
    [E_LARGE] = {"je_leak_large", LARGE_N *LARGE_SZ, LARGE_N, 0},
    [E_CALLOC] = {"je_leak_calloc", CALLOC_N *CALLOC_NMEMB *CALLOC_SZ, CALLOC_N, 0},
    [E_REALLOC] = {"je_leak_realloc", REALLOC_N *REALLOC_TO, REALLOC_N, 0},
    [E_MEMALIGN] = {"je_leak_posix_memalign", PMA_N *PMA_SZ, PMA_N, 0},
    [E_REALLOCARRAY] = {"je_leak_reallocarray", RARRAY_N *RARRAY_NMEMB *RARRAY_SZ, RARRAY_N, 0},
    [E_CHURN] = {"je_churn", 0, 0, 0},
};

void *volatile keep[64];
static unsigned int nkeep;
static unsigned long kept[E__MAX];
static void *volatile null_ptr; /* hides NULL: realloc(NULL, n) would become malloc(n) */
static int broken;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "jeleak: self-check failed: %s\n", what);
		broken = 1;
	}
}

/* Keep a leaked block; one statement on one line with the allocator call it records. */
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

static NOINLINE void je_leak_malloc(void)
{
	for (int i = 0; i < MALLOC_N; i++)
		keep_it(E_MALLOC, malloc(MALLOC_SZ), __LINE__);
}

static NOINLINE void je_leak_large(void)
{
	for (int i = 0; i < LARGE_N; i++)
		keep_it(E_LARGE, malloc(LARGE_SZ), __LINE__);
}

static NOINLINE void je_leak_calloc(void)
{
	for (int i = 0; i < CALLOC_N; i++)
		keep_it(E_CALLOC, calloc(CALLOC_NMEMB, CALLOC_SZ), __LINE__);
}

static NOINLINE void je_leak_realloc(void)
{
	for (int i = 0; i < REALLOC_N; i++) {
		char *p = malloc(REALLOC_FROM);

		check(p != NULL, "je_leak_realloc: malloc");
		keep_it(E_REALLOC, realloc(p, REALLOC_TO), __LINE__);
	}
}

static NOINLINE void je_leak_posix_memalign(void)
{
	for (int i = 0; i < PMA_N; i++) {
		void *p = NULL;

		keep_it(E_MEMALIGN, posix_memalign(&p, PMA_ALIGN, PMA_SZ) ? NULL : p, __LINE__);
	}
}

static NOINLINE void je_leak_reallocarray(void)
{
	for (int i = 0; i < RARRAY_N; i++)
		keep_it(E_REALLOCARRAY, reallocarray(null_ptr, RARRAY_NMEMB, RARRAY_SZ), __LINE__);
}

static NOINLINE void je_churn(void)
{
	void *volatile p;

	for (int i = 0; i < CHURN_N; i++) {
		p = malloc(8 + i % 3000);
		check(p != NULL, "je_churn: malloc");
		p = realloc(p, 16 + i % 5000);
		check(p != NULL, "je_churn: realloc");
		free(p);
	}
}

/* The library that defines the malloc this program calls. */
static const char *malloc_owner(void)
{
	void *(*volatile fn)(size_t) = malloc;
	Dl_info info;

	if (!dladdr((void *)fn, &info) || !info.dli_fname)
		return "?";
	return info.dli_fname;
}

int main(int argc, char **argv)
{
	int want_expect = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect")) {
			want_expect = 1;
		} else if (!strcmp(argv[i], "--require-jemalloc")) {
			if (!strstr(malloc_owner(), "jemalloc")) {
				fprintf(stderr, "jeleak: malloc comes from %s, not jemalloc\n",
					malloc_owner());
				return 3;
			}
		} else {
			fprintf(stderr, "usage: jeleak [--expect] [--require-jemalloc]\n");
			return 2;
		}
	}

	je_churn();
	je_leak_malloc();
	je_leak_large();
	je_leak_calloc();
	je_leak_realloc();
	je_leak_posix_memalign();
	je_leak_reallocarray();

	for (int e = 0; e < E__MAX; e++)
		if (kept[e] != expect[e].count)
			check(0, expect[e].func);
	if (want_expect) {
		for (int e = 0; e < E__MAX; e++)
			printf("{\"func\":\"%s\",\"bytes\":%lu,\"count\":%lu,\"line\":%d}\n",
			       expect[e].func, expect[e].bytes, expect[e].count, expect[e].line);
	}
	return broken ? 3 : 0;
}
