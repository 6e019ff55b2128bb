/* SPDX-License-Identifier: GPL-2.0 */
/*
 * grower.c - a test program whose outstanding heap (or open fds) grows, or
 * does not, in a known shape over time, for the growth alerts of leaktrace.
 *
 * Every mode runs on a schedule of absolute ticks (CLOCK_MONOTONIC), and the
 * amount it holds at each tick is a function of the time since start, so a
 * late tick catches up: the rate over any second is the rate asked for, even
 * on a loaded machine. Heap blocks are written to (so RSS grows with them) and
 * chained from a global list, so nothing is optimised away; each mode
 * allocates from its own function, which is frames[0] of its stacks.
 *
 * Usage: grower MODE [OPTIONS]
 *   --steady RATE    steady_alloc() mallocs RATE bytes/s in steps every 50 ms,
 *                    never frees
 *     --grow-for S   ... only for the first S seconds, then stays flat
 *   --sawtooth       saw_alloc() grows at --peak RATE (default 8 MiB/s) for
 *                    --period S (default 2), then frees everything; repeats
 *   --step           step_alloc() allocates --size BYTES (default 100 MiB)
 *                    once, after --delay S (default 0), writes it, stays flat
 *   --churn          churn_alloc() keeps 256 blocks of 16 B - 64 KiB and
 *                    replaces 16 of them every millisecond: a flat total
 *   --fds RATE       fd_open() opens /dev/null RATE times a second, never
 *                    closes
 *   --seconds N      run for N seconds (default 30), then exit 0; SIGTERM or
 *                    SIGINT end it earlier (exit 0)
 * It prints JSON Lines on stdout (flushed), times in seconds since the epoch
 * (CLOCK_REALTIME), so a test can time the tracer's alerts against them:
 *   {"event":"start","pid":N,"mode":"steady","func":"steady_alloc","time":T}
 *   {"event":"flat","pid":N,"time":T,"bytes":B}   (--grow-for: growth stopped)
 *   {"event":"end","pid":N,"time":T,"bytes":B,"fds":F}
 * Exit 0 on success, 2 on bad usage, 3 if an allocation or open failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define TICK_NS	 50000000ull /* 50 ms */
#define NSEC	 1000000000ull
#define MIB	 (1024ull * 1024)

/* Held blocks: a singly linked list through each block's first word. */
struct block {
	struct block *next;
	size_t size;
};

struct block *volatile held;
static volatile size_t held_bytes;
static volatile int stop;
static int nfds;

/* Churn pool: slots freed and refilled continuously. */
#define CHURN_SLOTS 256
void *volatile churn_pool[CHURN_SLOTS];
static size_t churn_size[CHURN_SLOTS];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static unsigned long long now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (unsigned long long)ts.tv_sec * NSEC + ts.tv_nsec;
}

static double wall(void)
{
	return (double)now_ns(CLOCK_REALTIME) / 1e9;
}

/* Sleep until CLOCK_MONOTONIC reaches t (ns); returns early on a signal. */
static void sleep_until(unsigned long long t)
{
	struct timespec ts = { .tv_sec = t / NSEC, .tv_nsec = t % NSEC };

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

static NOINLINE void die(const char *what)
{
	fprintf(stderr, "grower: %s: %s\n", what, strerror(errno));
	exit(3);
}

/* Write every page of a block, so it is resident. */
static void touch(void *p, size_t n)
{
	volatile char *c = p;
	size_t i;

	for (i = 0; i < n; i += 4096)
		c[i] = (char)(i | 1);
	if (n)
		c[n - 1] = 1;
}

static void hold(struct block *b, size_t n)
{
	touch(b, n);
	b->size = n;
	b->next = held;
	held = b;
	held_bytes += n;
}

static NOINLINE void steady_alloc(size_t n)
{
	struct block *b = malloc(n);

	if (!b)
		die("malloc");
	hold(b, n);
}

static NOINLINE void saw_alloc(size_t n)
{
	struct block *b = malloc(n);

	if (!b)
		die("malloc");
	hold(b, n);
}

static NOINLINE void step_alloc(size_t n)
{
	struct block *b = malloc(n);

	if (!b)
		die("malloc");
	hold(b, n);
}

static NOINLINE void churn_alloc(unsigned slot, size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("malloc");
	touch(p, n);
	churn_pool[slot] = p;
	churn_size[slot] = n;
}

static NOINLINE void fd_open(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		die("open /dev/null");
	nfds++;
}

static void free_held(void)
{
	struct block *b = held, *next;

	for (; b; b = next) {
		next = b->next;
		free(b);
	}
	held = NULL;
	held_bytes = 0;
}

/* Hold target bytes (a block of at least sizeof(struct block) when growing). */
static void grow_to(void (*alloc)(size_t), size_t target)
{
	if (target >= held_bytes + sizeof(struct block))
		alloc(target - held_bytes);
}

static unsigned long long xorshift(void)
{
	static unsigned long long s = 0x9e3779b97f4a7c15ull;

	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

static size_t churn_pick_size(void)
{
	return 16 + xorshift() % (64 * 1024 - 16);
}

static int usage(void)
{
	fprintf(stderr, "usage: grower --steady RATE [--grow-for S] | --sawtooth [--peak RATE] "
			"[--period S] | --step [--size BYTES] [--delay S] | --churn | "
			"--fds RATE  [--seconds N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *func = NULL;
	double rate = 0, grow_for = -1, peak = 8.0 * MIB, period = 2, delay = 0, seconds = 30;
	double size = 100.0 * MIB;
	unsigned long long start, t, tick = 0, end, flat_at = 0;
	int flat_said = 0, stepped = 0;
	struct sigaction sa;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--sawtooth") || !strcmp(a, "--step") || !strcmp(a, "--churn")) {
			if (mode)
				return usage();
			mode = a + 2;
			continue;
		}
		if (!v)
			return usage();
		if (!strcmp(a, "--steady") || !strcmp(a, "--fds")) {
			if (mode)
				return usage();
			mode = a + 2;
			rate = atof(v);
			if (rate <= 0)
				return usage();
		} else if (!strcmp(a, "--grow-for")) {
			grow_for = atof(v);
		} else if (!strcmp(a, "--peak")) {
			peak = atof(v);
		} else if (!strcmp(a, "--period")) {
			period = atof(v);
		} else if (!strcmp(a, "--size")) {
			size = atof(v);
		} else if (!strcmp(a, "--delay")) {
			delay = atof(v);
		} else if (!strcmp(a, "--seconds")) {
			seconds = atof(v);
		} else {
			return usage();
		}
		i++;
	}
	if (!mode || seconds <= 0 || period <= 0 || peak <= 0 || size < 64)
		return usage();
	func = !strcmp(mode, "steady")	 ? "steady_alloc"
	       : !strcmp(mode, "sawtooth") ? "saw_alloc"
	       : !strcmp(mode, "step")	 ? "step_alloc"
	       : !strcmp(mode, "churn")	 ? "churn_alloc"
					 : "fd_open";

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	start = now_ns(CLOCK_MONOTONIC);
	end = start + (unsigned long long)(seconds * NSEC);
	if (grow_for >= 0)
		flat_at = start + (unsigned long long)(grow_for * NSEC);
	printf("{\"event\":\"start\",\"pid\":%d,\"mode\":\"%s\",\"func\":\"%s\",\"time\":%.6f}\n",
	       (int)getpid(), mode, func, wall());
	fflush(stdout);

	if (!strcmp(mode, "churn")) {
		for (unsigned s = 0; s < CHURN_SLOTS; s++)
			churn_alloc(s, churn_pick_size());
	}

	while (!stop) {
		t = now_ns(CLOCK_MONOTONIC);
		if (t >= end)
			break;
		double el = (double)(t - start) / NSEC;

		if (!strcmp(mode, "steady")) {
			if (flat_at && t >= flat_at) {
				if (!flat_said) {
					printf("{\"event\":\"flat\",\"pid\":%d,\"time\":%.6f,"
					       "\"bytes\":%zu}\n", (int)getpid(), wall(), held_bytes);
					fflush(stdout);
					flat_said = 1;
				}
			} else {
				grow_to(steady_alloc, (size_t)(rate * el));
			}
		} else if (!strcmp(mode, "sawtooth")) {
			double in = el - period * (double)(unsigned long long)(el / period);
			unsigned long long nth = (unsigned long long)(el / period);
			static unsigned long long tooth;

			if (nth != tooth) { /* a new tooth: give everything back */
				free_held();
				tooth = nth;
			}
			grow_to(saw_alloc, (size_t)(peak * in));
		} else if (!strcmp(mode, "step")) {
			if (!stepped && el >= delay) {
				step_alloc((size_t)size);
				stepped = 1;
			}
		} else if (!strcmp(mode, "churn")) {
			/* 16 replacements every ms: the tick is 50 ms, so loop inside it. */
			unsigned long long sub = t;

			for (int ms = 0; ms < 50 && !stop; ms++) {
				for (int k = 0; k < 16; k++) {
					unsigned s = xorshift() % CHURN_SLOTS;

					free(churn_pool[s]);
					churn_pool[s] = NULL;
					churn_alloc(s, churn_pick_size());
				}
				sub += 1000000;
				sleep_until(sub);
			}
		} else { /* fds */
			while ((double)nfds < rate * el)
				fd_open();
		}
		tick++;
		if (strcmp(mode, "churn"))
			sleep_until(start + tick * TICK_NS);
	}
	printf("{\"event\":\"end\",\"pid\":%d,\"time\":%.6f,\"bytes\":%zu,\"fds\":%d}\n",
	       (int)getpid(), wall(), held_bytes, nfds);
	fflush(stdout);
	return 0;
}
