// SPDX-License-Identifier: GPL-2.0
/*
 * storm.c - load for the fault tests: an allocation storm, or process churn.
 *
 * Storm (default): N threads malloc/calloc/realloc and free blocks of mixed
 * sizes (16 B - 64 KiB, most small) as fast as they can, each keeping a
 * working set of 256 live blocks, for S seconds or until SIGINT/SIGTERM (or
 * SIGKILL). With --leak-every K, one allocation in K (from storm_leak) is
 * never freed, up to --leak-max bytes in all. Every block carries a tag that
 * is checked before it is freed: memory corrupted under the tracer is exit 3.
 * At the end one line on stdout:
 *   storm: threads=N seconds=S calls=C allocs=A frees=F leaked=L leaked_bytes=B
 * where C counts every allocator call the threads made (malloc, calloc,
 * realloc, free), A the blocks they got (a realloc counts one alloc and one
 * free), L and B what storm_leak kept.
 *
 * Churn (--churn N): fork and exec N short-lived processes, --jobs at a time:
 * by default this program again with --child (which leaks CHILD_LEAK_N blocks
 * from child_leak, opens an fd, and exits 0), or --exec PATH (run with no
 * arguments). At the end one line on stdout:
 *   churn: processes=N failed=F seconds=S
 * and exit 0 only if every child exited 0. --pids-file P lists every child pid.
 *
 * Usage: storm [--threads N] [--seconds S] [--leak-every K] [--leak-max BYTES]
 *              [--pause-us US] [--ready-file PATH] [--wait-file PATH]
 *        storm --churn N [--jobs J] [--exec PATH] [--pids-file PATH] [--ready-file PATH]
 *        storm --child [--ready-file PATH] [--wait-file PATH]
 *   --threads N     storm threads, 1-64 (default 2); --seconds 0 (default): until a signal
 *   --leak-max B    default 16 MiB; --jobs J: children at once, 1-256 (default 4)
 *   --pause-us US   sleep US microseconds after every 1024 operations of a
 *                   thread (a bounded load that still calls the allocator often)
 *   --ready-file P  created once the storm threads run (churn: once the first
 *                   child was reaped; --child: once it leaked)
 *   --wait-file P   storm: wait (up to 30 s) until P exists before starting;
 *                   --child: wait (up to 30 s) after leaking, then exit 0
 * Exit: 0 done, 2 usage, 3 a block was corrupted, 1 a system call failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE      __attribute__((noinline))
#define SLOTS	      256
#define MAX_THREADS   64
#define CHILD_LEAK_N  5
#define CHILD_LEAK_SZ 111

struct worker {
	pthread_t th;
	unsigned id;
	uint64_t rng;
	unsigned long calls; /* allocator calls made: malloc, calloc, realloc, free */
	unsigned long allocs, frees, leaked, leaked_bytes;
	int corrupt;
	void *slot[SLOTS];
	size_t slot_sz[SLOTS];
};

static volatile sig_atomic_t stop;
static unsigned long leak_every;
static unsigned long pause_us; /* sleep after each batch of 1024 operations */
static unsigned long leak_max = 16ul << 20;
static unsigned long leaked_total; /* atomically updated */
static void *volatile sink;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* 70% 16-256 B, 25% up to 4 KiB, 5% up to 64 KiB. */
static size_t pick_size(struct worker *w)
{
	uint64_t r = next(&w->rng);
	unsigned pct = r % 100;

	r >>= 8;
	if (pct < 70)
		return 16 + r % 241;
	if (pct < 95)
		return 257 + r % 3840;
	return 4097 + r % (60 * 1024);
}

static uint64_t tag_of(const void *p, size_t sz)
{
	return ((uintptr_t)p * 0x9e3779b97f4a7c15ull) ^ sz;
}

static void tag(void *p, size_t sz)
{
	uint64_t t = tag_of(p, sz);

	memcpy(p, &t, sizeof(t));
	memcpy((char *)p + sz - sizeof(t), &t, sizeof(t));
}

static int tag_ok(const void *p, size_t sz)
{
	uint64_t t = tag_of(p, sz), a, b;

	memcpy(&a, p, sizeof(a));
	memcpy(&b, (const char *)p + sz - sizeof(b), sizeof(b));
	return a == t && b == t;
}

static NOINLINE void *storm_malloc(size_t sz)
{
	void *p = malloc(sz);

	sink = p;
	return p;
}

static NOINLINE void *storm_calloc(size_t sz)
{
	void *p = calloc(1, sz);

	sink = p;
	return p;
}

static NOINLINE void *storm_realloc(void *old, size_t sz)
{
	void *p = realloc(old, sz);

	sink = p;
	return p;
}

static NOINLINE void storm_free(void *p)
{
	free(p);
	sink = NULL;
}

/* A block never freed: counted, within leak_max. */
static NOINLINE int storm_leak(struct worker *w, size_t sz)
{
	void *p;

	if (__atomic_add_fetch(&leaked_total, sz, __ATOMIC_RELAXED) > leak_max) {
		__atomic_sub_fetch(&leaked_total, sz, __ATOMIC_RELAXED);
		return 0;
	}
	p = malloc(sz);
	sink = p;
	w->calls++;
	if (!p)
		return 0;
	memset(p, 0x5a, sz < 64 ? sz : 64);
	w->allocs++;
	w->leaked++;
	w->leaked_bytes += sz;
	return 1;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned i;

	while (!stop) {
		for (i = 0; i < 1024 && !stop; i++) {
			uint64_t r = next(&w->rng);
			unsigned s = r % SLOTS;
			size_t sz = pick_size(w);
			void *p;

			if (leak_every && (r >> 32) % leak_every == 0 && storm_leak(w, sz))
				continue;
			if (w->slot[s] && (r >> 20) % 8 == 0) {
				/* realloc a live block: the tag moves with it */
				if (!tag_ok(w->slot[s], w->slot_sz[s]))
					w->corrupt++;
				p = storm_realloc(w->slot[s], sz);
				w->calls++;
				if (!p)
					continue;
				w->allocs++;
				w->frees++;
				w->slot[s] = p;
				w->slot_sz[s] = sz;
				tag(p, sz);
				continue;
			}
			if (w->slot[s]) {
				if (!tag_ok(w->slot[s], w->slot_sz[s]))
					w->corrupt++;
				storm_free(w->slot[s]);
				w->calls++;
				w->frees++;
				w->slot[s] = NULL;
			}
			p = (r >> 12) % 4 ? storm_malloc(sz) : storm_calloc(sz);
			w->calls++;
			if (!p)
				continue;
			w->allocs++;
			w->slot[s] = p;
			w->slot_sz[s] = sz;
			tag(p, sz);
		}
		if (pause_us && !stop)
			usleep((useconds_t)pause_us);
	}
	for (i = 0; i < SLOTS; i++) {
		if (!w->slot[i])
			continue;
		if (!tag_ok(w->slot[i], w->slot_sz[i]))
			w->corrupt++;
		storm_free(w->slot[i]);
		w->calls++;
		w->frees++;
	}
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void touch(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static int run_storm(unsigned nthreads, double seconds, const char *ready, const char *wait_path)
{
	static struct worker w[MAX_THREADS];
	unsigned long calls = 0, allocs = 0, frees = 0, leaked = 0, leaked_bytes = 0;
	double t0, t;
	int corrupt = 0;
	unsigned i;

	for (i = 0; wait_path && i < 3000 && !stop && access(wait_path, F_OK); i++)
		usleep(10000);
	t0 = now_s();
	for (i = 0; i < nthreads; i++) {
		w[i].id = i;
		w[i].rng = 0x243f6a8885a308d3ull ^ ((uint64_t)(i + 1) * 0x13198a2e03707344ull) ^
			   (uint64_t)getpid();
		if (pthread_create(&w[i].th, NULL, worker_run, &w[i])) {
			perror("storm: pthread_create");
			stop = 1;
			nthreads = i;
			break;
		}
	}
	touch(ready);
	while (!stop) {
		t = now_s() - t0;
		if (seconds > 0 && t >= seconds)
			break;
		usleep(seconds > 0 && seconds - t < 0.02 ? (useconds_t)((seconds - t) * 1e6) + 1
							 : 20000);
	}
	stop = 1;
	for (i = 0; i < nthreads; i++) {
		pthread_join(w[i].th, NULL);
		calls += w[i].calls;
		allocs += w[i].allocs;
		frees += w[i].frees;
		leaked += w[i].leaked;
		leaked_bytes += w[i].leaked_bytes;
		corrupt += w[i].corrupt;
	}
	printf("storm: threads=%u seconds=%.2f calls=%lu allocs=%lu frees=%lu leaked=%lu "
	       "leaked_bytes=%lu\n",
	       nthreads, now_s() - t0, calls, allocs, frees, leaked, leaked_bytes);
	if (corrupt) {
		fprintf(stderr, "storm: %d corrupted blocks\n", corrupt);
		return 3;
	}
	return 0;
}

/* What a churn child does: leak a little, hold an fd, exit. */
static NOINLINE void child_leak(void)
{
	for (int i = 0; i < CHILD_LEAK_N; i++) {
		char *p = malloc(CHILD_LEAK_SZ);

		if (p)
			p[0] = (char)i;
		sink = p;
	}
}

static int run_child(const char *ready, const char *wait_path)
{
	child_leak();
	(void)open("/dev/null", O_RDONLY);
	touch(ready);
	/* at most 30 s, so a test that dies cannot leave it behind for long */
	for (int i = 0; wait_path && i < 3000 && access(wait_path, F_OK); i++)
		usleep(10000);
	return 0;
}

static int run_churn(unsigned long n, unsigned jobs, const char *exe, const char *pids_path,
		     const char *ready)
{
	char self[4096];
	char *child_argv[3];
	unsigned long started = 0, reaped = 0, failed = 0;
	unsigned running = 0;
	FILE *pids = NULL;
	double t0 = now_s();
	int st;
	pid_t pid;
	ssize_t len;

	if (!exe) {
		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len <= 0) {
			perror("storm: /proc/self/exe");
			return 1;
		}
		self[len] = 0;
		child_argv[0] = self;
		child_argv[1] = "--child";
		child_argv[2] = NULL;
	} else {
		child_argv[0] = (char *)exe;
		child_argv[1] = NULL;
	}
	if (pids_path) {
		pids = fopen(pids_path, "we");
		if (!pids) {
			perror(pids_path);
			return 1;
		}
	}
	while (reaped < n && !stop) {
		while (running < jobs && started < n && !stop) {
			pid = fork();
			if (pid < 0) {
				if (errno == EAGAIN && running)
					break; /* reap first */
				perror("storm: fork");
				stop = 1;
				break;
			}
			if (pid == 0) {
				execv(child_argv[0], child_argv);
				_exit(127);
			}
			if (pids)
				fprintf(pids, "%d\n", pid);
			started++;
			running++;
		}
		if (!running)
			break;
		pid = wait(&st);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("storm: wait");
			break;
		}
		running--;
		if (reaped++ == 0)
			touch(ready);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed++;
	}
	while (running && wait(&st) > 0) {
		running--;
		reaped++;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failed++;
	}
	if (pids)
		fclose(pids);
	printf("churn: processes=%lu failed=%lu seconds=%.2f\n", reaped, failed, now_s() - t0);
	return failed || reaped < n ? 1 : 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: storm [--threads N] [--seconds S] [--leak-every K] [--leak-max BYTES] "
		"[--pause-us US] [--ready-file PATH] [--wait-file PATH]\n"
		"       storm --churn N [--jobs J] [--exec PATH] [--pids-file PATH] "
		"[--ready-file PATH]\n"
		"       storm --child [--ready-file PATH] [--wait-file PATH]\n");
	return 2;
}

static int num(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end;
}

int main(int argc, char **argv)
{
	const char *ready = NULL, *exe = NULL, *pids = NULL, *wait_path = NULL;
	int child = 0;
	unsigned long threads = 2, churn = 0, jobs = 4, v;
	double seconds = 0;
	struct sigaction sa;
	char *end;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--child")) {
			child = 1;
			continue;
		}
		if (!val)
			return usage();
		i++;
		if (!strcmp(a, "--threads")) {
			if (num(val, &threads) || !threads || threads > MAX_THREADS)
				return usage();
		} else if (!strcmp(a, "--seconds")) {
			seconds = strtod(val, &end);
			if (end == val || *end || seconds < 0)
				return usage();
		} else if (!strcmp(a, "--leak-every")) {
			if (num(val, &leak_every))
				return usage();
		} else if (!strcmp(a, "--pause-us")) {
			if (num(val, &pause_us) || pause_us > 1000000)
				return usage();
		} else if (!strcmp(a, "--leak-max")) {
			if (num(val, &leak_max))
				return usage();
		} else if (!strcmp(a, "--ready-file")) {
			ready = val;
		} else if (!strcmp(a, "--churn")) {
			if (num(val, &churn) || !churn)
				return usage();
		} else if (!strcmp(a, "--jobs")) {
			if (num(val, &v) || !v || v > 256)
				return usage();
			jobs = v;
		} else if (!strcmp(a, "--exec")) {
			exe = val;
		} else if (!strcmp(a, "--pids-file")) {
			pids = val;
		} else if (!strcmp(a, "--wait-file")) {
			wait_path = val;
		} else {
			return usage();
		}
	}
	if (child)
		return run_child(ready, wait_path);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (churn)
		return run_churn(churn, (unsigned)jobs, exe, pids, ready);
	return run_storm((unsigned)threads, seconds, ready, wait_path);
}
