// SPDX-License-Identifier: GPL-2.0
/*
 * test_growth.c - unit tests of the growth tracker (user/growth.c): the
 * slopes on exact lines and with outliers, then synthetic series that must or
 * must not raise an alert, with the time of every event asserted.
 *
 * Feeds synthetic samples only; must not depend on BPF, /proc or the clock.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "growth.h"
#include "test.h"

#define SEC  1000000000ull
#define MIB  (1024.0 * 1024.0)
#define T0   (1000 * SEC) /* a monotonic clock is well past 0 */
#define WIN  (10 * SEC)
#define NREC 64

/* Every event, with the sample time that raised it. */
struct rec {
	struct growth *g;
	__u64 now;
	int n;
	int lost;
	bool forget_on_alert;
	struct growth_event ev[NREC];
	__u64 at[NREC];
};

static void rec_fn(void *ctx, const struct growth_event *ev)
{
	struct rec *r = ctx;

	if (r->n == NREC) {
		r->lost++;
		return;
	}
	r->ev[r->n] = *ev;
	r->at[r->n++] = r->now;
	if (r->forget_on_alert)
		growth__forget(r->g, ev->tgid);
}

static struct growth *growth_one(enum growth_kind kind, double limit, size_t max_procs)
{
	struct growth_cfg cfg = {.window_ns = WIN, .max_procs = max_procs};

	cfg.limit[kind] = limit;
	return growth__new(&cfg);
}

static __u64 at_s(double t)
{
	return T0 + (__u64)llround(t * 1e9);
}

typedef double (*series_fn)(double t, const double *arg);

/* Sample f at from, from + dt, ... up to to (inclusive) into kind of tgid. */
static void drive(struct growth *g, __u32 tgid, enum growth_kind kind, double from, double to,
		  double dt, series_fn f, const double *arg, struct rec *r)
{
	__u64 vals[GROWTH__MAX] = {};
	double t;
	long i;

	for (i = 0; (t = from + i * dt) <= to + 1e-9; i++) {
		double v = f(t, arg);

		vals[kind] = v > 0 ? (__u64)llround(v) : 0;
		r->now = at_s(t);
		growth__sample(g, tgid, r->now, vals, rec_fn, r);
	}
}

/* arg: rate per second */
static double f_line(double t, const double *arg)
{
	return arg[0] * t;
}

/* arg: rate, period, phase (s): grow at rate for a period, free everything, repeat */
static double f_sawtooth(double t, const double *arg)
{
	return arg[0] * fmod(t + arg[2], arg[1]);
}

/* arg: step time, step size, base */
static double f_step(double t, const double *arg)
{
	return arg[2] + (t >= arg[0] ? arg[1] : 0);
}

/* arg: rate, start, stop, restart: grow, stay flat, grow again */
static double f_stop_go(double t, const double *arg)
{
	double v = arg[0] * fmin(t, arg[2]);

	if (t > arg[3])
		v += arg[0] * (t - arg[3]);
	return v;
}

/* Deterministic noise in [-1, 1): splitmix64 of (seed, t in ms). */
static double noise_at(double t, __u64 seed)
{
	__u64 z = seed * 0x9e3779b97f4a7c15ull + (__u64)llround(t * 1000);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return (double)(z >> 11) / (double)(1ull << 52) - 1;
}

/* arg: base, amplitude, rate, seed */
static double f_noisy(double t, const double *arg)
{
	return arg[0] + arg[2] * t + arg[1] * noise_at(t, (__u64)arg[3]);
}

static bool near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fabs(b);
}

/* ---- slopes ---- */

static void test_slopes_exact_line(void)
{
	double t[10], v[10], t2[40], v2[40];
	int i;

	for (i = 0; i < 10; i++) {
		t[i] = i;
		v[i] = 3 * i + 7;
	}
	ASSERT_TRUE(growth__slope_lsq(t, v, 10) == 3.0, "lsq exact");
	ASSERT_TRUE(growth__slope_theil_sen(t, v, 10) == 3.0, "theil-sen exact");
	/* Even number of pairs (n = 4: 6 pairs) takes the mean of two equal middles. */
	ASSERT_TRUE(growth__slope_theil_sen(t, v, 4) == 3.0, "theil-sen even pairs");
	for (i = 0; i < 40; i++) {
		t2[i] = i * 0.5;
		v2[i] = 1e12 - 1.25 * t2[i];
	}
	ASSERT_TRUE(growth__slope_lsq(t2, v2, 40) == -1.25, "lsq falling line");
	/* 40 points: more than the ring, so the scratch buffer is allocated. */
	ASSERT_TRUE(growth__slope_theil_sen(t2, v2, 40) == -1.25, "theil-sen falling line");
	ASSERT_TRUE(growth__slope_lsq(t, v, 1) == 0, "lsq of one point");
	ASSERT_TRUE(growth__slope_theil_sen(t, v, 1) == 0, "theil-sen of one point");
	for (i = 0; i < 10; i++)
		t[i] = 5;
	ASSERT_TRUE(growth__slope_lsq(t, v, 10) == 0, "lsq with no time span");
	ASSERT_TRUE(growth__slope_theil_sen(t, v, 10) == 0, "theil-sen with no time span");
}

static void test_theil_sen_ignores_outliers(void)
{
	/* 8 of 30 (27%): good pairs (231) are still over half of all pairs (435). */
	static const int bad[] = {1, 4, 9, 13, 17, 22, 26, 29};
	double t[30], v[30], lsq;
	size_t i;

	for (i = 0; i < 30; i++) {
		t[i] = i;
		v[i] = 2.0 * i + 5;
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		v[bad[i]] = i & 1 ? -1e6 : 3e6;
	ASSERT_TRUE(growth__slope_theil_sen(t, v, 30) == 2.0, "theil-sen exact despite outliers");
	lsq = growth__slope_lsq(t, v, 30);
	ASSERT_TRUE(fabs(lsq - 2.0) > 100, "least squares is thrown off by the same outliers");
}

/* ---- alerts ---- */

static void test_steady_leak_flagged_after_one_window(void)
{
	double rate[] = {2 * MIB};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);

	ASSERT_TRUE(g, "growth__new");
	drive(g, 42, GROWTH_MEM, 0, 30, 1, f_line, rate, &r);
	ASSERT_EQ(r.n, 1, "one alert, none repeated while flagged");
	ASSERT_EQ(r.ev[0].type, GROWTH_ALERT, "type");
	ASSERT_EQ(r.at[0], T0 + WIN, "flagged at the first sample a window after the first");
	ASSERT_EQ(r.ev[0].tgid, 42, "tgid");
	ASSERT_EQ(r.ev[0].kind, GROWTH_MEM, "kind");
	ASSERT_TRUE(near(r.ev[0].rate, 2 * MIB, 0.01), "rate is 2 MiB/s");
	ASSERT_TRUE(r.ev[0].limit == 1 * MIB, "limit");
	ASSERT_EQ(r.ev[0].window_ns, WIN, "window");
	ASSERT_EQ(r.ev[0].total, 20 * 1024 * 1024, "total is the latest sample");
	ASSERT_EQ(r.ev[0].since_ns, T0, "since the oldest sample of the window");
	ASSERT_TRUE(growth__flagged(g, 42, GROWTH_MEM), "flagged");
	ASSERT_TRUE(!growth__flagged(g, 42, GROWTH_RSS), "other kinds are not");
	ASSERT_TRUE(!growth__flagged(g, 43, GROWTH_MEM), "other processes are not");
	growth__free(g);
}

static void test_noisy_leak_flagged(void)
{
	/* 2 MiB/s under +-2 MiB of churn. */
	double arg[] = {100 * MIB, 2 * MIB, 2 * MIB, 7};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);

	ASSERT_TRUE(g, "growth__new");
	drive(g, 1, GROWTH_MEM, 0, 30, 1, f_noisy, arg, &r);
	ASSERT_EQ(r.n, 1, "one alert");
	ASSERT_TRUE(r.at[0] >= T0 + WIN && r.at[0] <= T0 + WIN + 2 * SEC, "within a window + 2 s");
	ASSERT_TRUE(near(r.ev[0].rate, 2 * MIB, 0.15), "rate near 2 MiB/s");
	growth__free(g);
}

/* Time of the first alert on a 10 MiB/s sawtooth (in s from the start), or -1. */
static double sawtooth_alert(double period, double dt, double phase)
{
	double arg[] = {10 * MIB, period, phase * period};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	struct rec r = {};

	if (!g)
		return -2;
	drive(g, 7, GROWTH_MEM, 0, 100, dt, f_sawtooth, arg, &r);
	growth__free(g);
	return r.n ? (r.at[0] - T0) / 1e9 : -1;
}

/*
 * Peak rate 10 MiB/s against a 1 MiB/s limit, for 10 windows, sampled every
 * second, half second and slot, at several phases. Periods 5 and 10 s (half
 * and whole window) end each window where they began; 6..9 s end it up to a
 * tooth higher and are rejected by the kept-growth criterion.
 */
static void test_sawtooth_never_flagged(void)
{
	static const double periods[] = {2.5, 5, 6, 7, 8, 9, 10};
	static const double dts[] = {1, 0.5, 1.0 / 3}, phases[] = {0, 0.37, 0.71};
	size_t i, j, k;
	double at;

	for (i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		for (j = 0; j < 3; j++) {
			for (k = 0; k < 3; k++) {
				at = sawtooth_alert(periods[i], dts[j], phases[k]);
				if (at >= 0)
					printf(
					    "  period %.1f s, sample %.2f s: flagged at %.1f s\n",
					    periods[i], dts[j], at);
				ASSERT_TRUE(at == -1, "sawtooth never flagged");
			}
		}
	}
}

static void test_step_never_flagged(void)
{
	double startup[] = {1, 500 * MIB, 0}, midlife[] = {25, 500 * MIB, 10 * MIB};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);

	ASSERT_TRUE(g, "growth__new");
	drive(g, 1, GROWTH_MEM, 0, 100, 1, f_step, startup, &r);
	ASSERT_EQ(r.n, 0, "500 MiB at start-up, then flat: never flagged");
	/* Most pairs straddle a step in mid-window: only the flat half rejects it. */
	drive(g, 2, GROWTH_MEM, 0, 100, 1, f_step, midlife, &r);
	ASSERT_EQ(r.n, 0, "500 MiB once, long after start-up: never flagged");
	growth__free(g);
}

/* arg: rate, spike size, spike period (s): steady growth plus a transient spike now and then */
static double f_spiky(double t, const double *arg)
{
	long s = lround(t);

	return arg[0] * t + (s % (long)arg[2] == (long)arg[2] - 1 ? arg[1] : 0);
}

/*
 * 0.8 MiB/s against a 1 MiB/s limit, with a 50 MiB transient caught by one
 * sample in seven: least squares and the net growth jump over the limit when
 * the spike is the latest sample; the median of pairwise slopes does not.
 */
static void test_spikes_under_limit_never_flagged(void)
{
	double arg[] = {0.8 * MIB, 50 * MIB, 7};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);

	ASSERT_TRUE(g, "growth__new");
	drive(g, 1, GROWTH_MEM, 0, 100, 1, f_spiky, arg, &r);
	ASSERT_EQ(r.n, 0, "never flagged");
	growth__free(g);
}

/*
 * Random noise around a constant. Sampled once a slot (window / 30) with
 * +-10 MiB, as much as the limit allows over a whole window, least squares
 * alone crosses the limit in some windows (counted here, to show the other
 * criteria are what holds); sampled every second, +-5 MiB.
 */
static void test_churn_never_flagged(void)
{
	double t_win[GROWTH_SAMPLES + 1], v_win[GROWTH_SAMPLES + 1];
	__u64 vals[GROWTH__MAX] = {}, slot = WIN / GROWTH_SAMPLES;
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	int i, j, over_limit = 0;
	struct rec r = {};
	__u32 seed;

	ASSERT_TRUE(g, "growth__new");
	for (seed = 1; seed <= 20; seed++) {
		double arg[] = {100 * MIB, 10 * MIB, 0, seed};

		for (i = 0; i <= 10 * GROWTH_SAMPLES; i++) {
			double t = (double)(i * slot) / SEC, v = f_noisy(t, arg);

			vals[GROWTH_MEM] = (__u64)llround(v);
			r.now = T0 + i * slot;
			growth__sample(g, seed, r.now, vals, rec_fn, &r);
			t_win[i % (GROWTH_SAMPLES + 1)] = t;
			v_win[i % (GROWTH_SAMPLES + 1)] = v;
			if (i < GROWTH_SAMPLES)
				continue;
			/* Order does not matter to least squares. */
			over_limit += growth__slope_lsq(t_win, v_win, GROWTH_SAMPLES + 1) > MIB;
		}
	}
	ASSERT_TRUE(over_limit > 0, "least squares alone would have flagged");
	ASSERT_EQ(r.n, 0, "steady churn never flagged, sampled once a slot");
	for (j = 1; j <= 20; j++) {
		double arg[] = {100 * MIB, 5 * MIB, 0, j};

		drive(g, 100 + j, GROWTH_MEM, 0, 100, 1, f_noisy, arg, &r);
	}
	ASSERT_EQ(r.n, 0, "steady churn never flagged, sampled every second");
	growth__free(g);
}

static void test_recovery_and_flag_again(void)
{
	/* 2 MiB/s for 3 windows, flat from 30 s to 50 s, then 2 MiB/s again. */
	double arg[] = {2 * MIB, 0, 30, 50};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);

	ASSERT_TRUE(g, "growth__new");
	drive(g, 9, GROWTH_MEM, 0, 80, 1, f_stop_go, arg, &r);
	ASSERT_EQ(r.n, 3, "alert, recovered, alert");
	ASSERT_EQ(r.ev[0].type, GROWTH_ALERT, "first alert");
	ASSERT_EQ(r.at[0], T0 + WIN, "first alert after one window");
	ASSERT_EQ(r.ev[1].type, GROWTH_RECOVERED, "then recovered, once");
	ASSERT_TRUE(r.at[1] >= at_s(30 + 5) && r.at[1] <= at_s(30 + 10 + 1),
		    "recovered between half a window and a window + a sample after the stop");
	ASSERT_EQ(r.ev[1].flagged_ns, T0 + WIN, "recovered names when it was flagged");
	ASSERT_TRUE(r.ev[1].rate <= 0.5 * MIB, "recovered at half the limit or less");
	ASSERT_EQ(r.ev[1].total, 60 * 1024 * 1024, "total at recovery");
	ASSERT_EQ(r.ev[2].type, GROWTH_ALERT, "flagged again");
	ASSERT_TRUE(r.at[2] > at_s(50) && r.at[2] <= at_s(50 + 10 + 1),
		    "flagged again within a window of growing again");
	ASSERT_TRUE(growth__flagged(g, 9, GROWTH_MEM), "flagged at the end");
	growth__free(g);
}

static void test_fd_leak_flagged(void)
{
	double fds[] = {5};
	struct growth_cfg cfg = {.window_ns = WIN};
	struct rec r = {};
	struct growth *g;

	cfg.limit[GROWTH_FD] = 1;
	cfg.limit[GROWTH_MEM] = 1 * MIB;
	g = growth__new(&cfg);
	ASSERT_TRUE(g, "growth__new");
	drive(g, 3, GROWTH_FD, 0, 20, 1, f_line, fds, &r);
	ASSERT_EQ(r.n, 1, "one alert");
	ASSERT_EQ(r.ev[0].kind, GROWTH_FD, "kind fd");
	ASSERT_EQ(r.at[0], T0 + WIN, "after one window");
	ASSERT_TRUE(r.ev[0].rate == 5.0, "5 fds/s");
	ASSERT_EQ(r.ev[0].total, 50, "total fds at the alert");
	ASSERT_TRUE(!growth__flagged(g, 3, GROWTH_MEM), "flat mem not flagged");
	growth__free(g);
}

static void test_limit_zero_never_flagged(void)
{
	double rate[] = {100 * MIB};
	struct growth_cfg cfg = {.window_ns = WIN};
	struct rec r = {};
	struct growth *g;
	size_t procs;

	g = growth__new(&cfg);
	ASSERT_TRUE(g, "growth__new, nothing watched");
	drive(g, 1, GROWTH_MEM, 0, 30, 1, f_line, rate, &r);
	growth__counts(g, &procs, NULL);
	ASSERT_EQ(procs, 0, "nothing watched: nobody followed");
	growth__free(g);

	cfg.limit[GROWTH_FD] = 1;
	g = growth__new(&cfg);
	ASSERT_TRUE(g, "growth__new, fd watched");
	drive(g, 1, GROWTH_MEM, 0, 30, 1, f_line, rate, &r);
	ASSERT_EQ(r.n, 0, "mem limit 0: never flagged");
	ASSERT_TRUE(!growth__flagged(g, 1, GROWTH_MEM), "not flagged");
	growth__free(g);
}

static void test_forget_starts_fresh(void)
{
	double rate[] = {2 * MIB};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	size_t procs;

	ASSERT_TRUE(g, "growth__new");
	drive(g, 5, GROWTH_MEM, 0, 15, 1, f_line, rate, &r);
	ASSERT_EQ(r.n, 1, "flagged");
	growth__forget(g, 5);
	growth__counts(g, &procs, NULL);
	ASSERT_EQ(procs, 0, "forgotten");
	ASSERT_TRUE(!growth__flagged(g, 5, GROWTH_MEM), "flag dropped with it");
	ASSERT_EQ(growth__samples(g, 5), 0, "samples dropped");
	growth__forget(g, 5); /* twice is harmless */
	drive(g, 5, GROWTH_MEM, 16, 40, 1, f_line, rate, &r);
	ASSERT_EQ(r.n, 2, "no recovered event for a forgotten process, one new alert");
	ASSERT_EQ(r.ev[1].type, GROWTH_ALERT, "alert");
	ASSERT_EQ(r.at[1], at_s(26), "a full window after the fresh series began");
	ASSERT_EQ(r.ev[1].since_ns, at_s(16), "since the fresh series");
	growth__free(g);
}

static void test_max_procs_refused(void)
{
	__u64 vals[GROWTH__MAX] = {}, refused;
	double rate[] = {2 * MIB};
	struct rec r = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 2);
	size_t procs;
	int i;

	ASSERT_TRUE(g, "growth__new");
	for (i = 0; i < 3; i++) {
		growth__sample(g, 1, T0 + i, vals, rec_fn, &r);
		growth__sample(g, 2, T0 + i, vals, rec_fn, &r);
		growth__sample(g, 3, T0 + i, vals, rec_fn, &r);
	}
	growth__counts(g, &procs, &refused);
	ASSERT_EQ(procs, 2, "two followed");
	ASSERT_EQ(refused, 1, "the third refused, counted once");
	ASSERT_EQ(growth__samples(g, 3), 0, "nothing kept for it");
	growth__forget(g, 1);
	growth__sample(g, 3, T0 + 5, vals, rec_fn, &r);
	growth__counts(g, &procs, &refused);
	ASSERT_EQ(procs, 2, "room again: the refused one is followed");
	ASSERT_EQ(growth__samples(g, 3), 1, "from its next sample");
	growth__sample(g, 4, T0 + 6, vals, rec_fn, &r);
	growth__counts(g, &procs, &refused);
	ASSERT_EQ(refused, 2, "a new one refused");
	growth__forget(g, 4);
	growth__forget(g, 3);
	drive(g, 9, GROWTH_MEM, 0, 12, 1, f_line, rate, &r);
	ASSERT_EQ(r.n, 1, "a followed process still flags");
	ASSERT_EQ(r.ev[0].tgid, 9, "tgid");
	growth__free(g);
}

static void test_fast_samples_merged(void)
{
	double rate[] = {2 * MIB};
	__u64 slot = WIN / GROWTH_SAMPLES, vals[GROWTH__MAX] = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	struct rec r = {};
	size_t n, max_n = 0;
	long i;

	ASSERT_TRUE(g, "growth__new");
	/* Every 10 ms, 33 samples a slot, for 3 windows. */
	for (i = 0; i <= 3000; i++) {
		vals[GROWTH_MEM] = (__u64)llround(f_line(i * 0.01, rate));
		r.now = at_s(i * 0.01);
		growth__sample(g, 1, r.now, vals, rec_fn, &r);
		n = growth__samples(g, 1);
		if (n > max_n)
			max_n = n;
	}
	ASSERT_TRUE(max_n <= GROWTH_SAMPLES + 3, "memory fixed whatever the rate");
	ASSERT_TRUE(growth__samples(g, 1) >= GROWTH_SAMPLES, "yet the window is covered");
	ASSERT_EQ(r.n, 1, "one alert");
	ASSERT_TRUE(r.at[0] >= T0 + WIN && r.at[0] <= T0 + WIN + slot + 10000000,
		    "flagged within a slot of a full window");
	ASSERT_TRUE(near(r.ev[0].rate, 2 * MIB, 0.01), "rate is 2 MiB/s");
	growth__free(g);
}

static void test_time_not_monotonic(void)
{
	__u64 vals[GROWTH__MAX] = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	struct rec r = {};
	int i;

	ASSERT_TRUE(g, "growth__new");
	for (i = 0; i <= 20; i++) {
		vals[GROWTH_MEM] = (__u64)i * 2 * 1024 * 1024;
		r.now = at_s(i);
		growth__sample(g, 1, r.now, vals, rec_fn, &r);
		/* The same time again, and a step back in time. */
		growth__sample(g, 1, r.now, vals, rec_fn, &r);
		if (i > 0)
			growth__sample(g, 1, r.now - SEC / 2, vals, rec_fn, &r);
	}
	/* Time 0 and a window larger than now: no underflow. */
	growth__sample(g, 2, 0, vals, rec_fn, &r);
	growth__sample(g, 2, 0, vals, rec_fn, &r);
	growth__sample(g, 2, 1, vals, rec_fn, &r);
	ASSERT_EQ(r.n, 1, "one alert");
	ASSERT_EQ(r.at[0], T0 + WIN, "at the usual time");
	ASSERT_TRUE(r.ev[0].rate == 2 * MIB, "rate");
	growth__free(g);
}

/* Many processes through the table, half of them forgotten and reused. */
static void test_many_processes(void)
{
	enum { NPROC = 3000 };
	__u64 vals[GROWTH__MAX] = {};
	struct growth *g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	struct rec r = {};
	size_t procs;
	__u32 pid;
	int s, wrong = 0;

	ASSERT_TRUE(g, "growth__new");
	for (s = 0; s <= 10; s++) {
		for (pid = 1; pid <= NPROC; pid++) {
			/* Even pids leak 2 MiB/s, odd ones stay flat. */
			vals[GROWTH_MEM] = pid & 1 ? 1000 : (__u64)s * 2 * 1024 * 1024;
			growth__sample(g, pid * 7919, at_s(s), vals, rec_fn, &r);
		}
	}
	growth__counts(g, &procs, NULL);
	ASSERT_EQ(procs, NPROC, "all followed");
	for (pid = 1; pid <= NPROC; pid++)
		wrong += growth__flagged(g, pid * 7919, GROWTH_MEM) != !(pid & 1);
	ASSERT_EQ(wrong, 0, "exactly the leakers flagged");
	for (pid = 1; pid <= NPROC; pid += 2)
		growth__forget(g, pid * 7919);
	growth__counts(g, &procs, NULL);
	ASSERT_EQ(procs, NPROC / 2, "half forgotten");
	for (pid = 1; pid <= NPROC; pid++) {
		bool want = !(pid & 1);

		wrong += growth__flagged(g, pid * 7919, GROWTH_MEM) != want;
		wrong += (growth__samples(g, pid * 7919) > 0) != want;
	}
	ASSERT_EQ(wrong, 0, "the others still found after deletions");
	growth__free(g);
}

static void test_callback_may_forget(void)
{
	double rate[] = {2 * MIB};
	struct rec r = {.forget_on_alert = true};
	size_t procs;

	r.g = growth_one(GROWTH_MEM, 1 * MIB, 0);
	ASSERT_TRUE(r.g, "growth__new");
	drive(r.g, 1, GROWTH_MEM, 0, 10, 1, f_line, rate, &r);
	ASSERT_EQ(r.n, 1, "alert");
	growth__counts(r.g, &procs, NULL);
	ASSERT_EQ(procs, 0, "forgotten from inside the callback");
	growth__free(r.g);
}

static void test_new_rejects_bad_config(void)
{
	struct growth_cfg cfg = {.window_ns = WIN};

	growth__free(NULL);
	cfg.window_ns = 0;
	errno = 0;
	ASSERT_TRUE(!growth__new(&cfg) && errno == EINVAL, "zero window");
	cfg.window_ns = WIN;
	cfg.limit[GROWTH_RSS] = -1;
	errno = 0;
	ASSERT_TRUE(!growth__new(&cfg) && errno == EINVAL, "negative limit");
	cfg.limit[GROWTH_RSS] = NAN;
	errno = 0;
	ASSERT_TRUE(!growth__new(&cfg) && errno == EINVAL, "NaN limit");
	errno = 0;
	ASSERT_TRUE(!growth__new(NULL) && errno == EINVAL, "no config");
}

int main(void)
{
	RUN_TEST(test_slopes_exact_line);
	RUN_TEST(test_theil_sen_ignores_outliers);
	RUN_TEST(test_steady_leak_flagged_after_one_window);
	RUN_TEST(test_noisy_leak_flagged);
	RUN_TEST(test_sawtooth_never_flagged);
	RUN_TEST(test_step_never_flagged);
	RUN_TEST(test_spikes_under_limit_never_flagged);
	RUN_TEST(test_churn_never_flagged);
	RUN_TEST(test_recovery_and_flag_again);
	RUN_TEST(test_fd_leak_flagged);
	RUN_TEST(test_limit_zero_never_flagged);
	RUN_TEST(test_forget_starts_fresh);
	RUN_TEST(test_max_procs_refused);
	RUN_TEST(test_fast_samples_merged);
	RUN_TEST(test_time_not_monotonic);
	RUN_TEST(test_many_processes);
	RUN_TEST(test_callback_may_forget);
	RUN_TEST(test_new_rejects_bad_config);
	TEST_EXIT();
}
