// SPDX-License-Identifier: GPL-2.0
/*
 * tracer.c - load the BPF object, attach it, read it back, detach.
 *
 * Owns: the skeleton, every bpf_link, the per-CPU ring buffers, tracefs mounting.
 * Must not: aggregate, print reports, or leave anything attached: every path
 * out of tracer__new() and tracer__free() destroys what was made.
 */
#include "tracer.h"
#include "leaktrace.skel.h"
#include "objects.h"
#include "ring.h"
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MAX_OBJECTS   256
#define MAX_SYS_LINKS 96
#define TRACEFS	      "/sys/kernel/tracing"

struct attached_obj {
	dev_t dev;
	ino_t ino;
	char *path;
	int nlinks;
	struct bpf_link *links[2 * OBJ_FN__MAX];
};

struct tracer {
	struct leaktrace_bpf *skel;
	struct ring_set *rings;
	int *ring_fds; /* one ring per possible CPU */
	size_t *ring_sizes;
	int nrings, nrings_planned; /* made, to make */
	ring_sample_fn on_sample;
	ring_peek_fn on_peek;
	void *ctx;
	struct attached_obj objs[MAX_OBJECTS];
	int nobjs;
	struct bpf_link *sys_links[MAX_SYS_LINKS];
	int nsys;
	struct bpf_link **ticks; /* on_tick, one per CPU */
	int nticks;
	bool verbose;
};

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (!verbose_libbpf || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void set_err(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* libbpf resolves tracepoint ids through tracefs; mount it where it is missing. */
static int ensure_tracefs(char *err, size_t errlen)
{
	if (!access(TRACEFS "/events", F_OK) || !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		set_err(err, errlen, "cannot mount tracefs at %s: %s", TRACEFS, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The traced syscalls: tracepoint name, our id (enum lt_sc in the BPF side), argument count. */
static const struct sys_tp {
	const char *name;
	__u32 sc;
	int nargs;
	enum lt_kind kind;
} sys_tps[] = {
    {"open", SC_OPEN, 3, LT_KIND_FD},
    {"openat", SC_OPENAT, 4, LT_KIND_FD},
    {"openat2", SC_OPENAT2, 4, LT_KIND_FD},
    {"creat", SC_CREAT, 2, LT_KIND_FD},
    {"socket", SC_SOCKET, 3, LT_KIND_FD},
    {"socketpair", SC_SOCKETPAIR, 4, LT_KIND_FD},
    {"accept", SC_ACCEPT, 3, LT_KIND_FD},
    {"accept4", SC_ACCEPT4, 4, LT_KIND_FD},
    {"dup", SC_DUP, 1, LT_KIND_FD},
    {"dup2", SC_DUP2, 2, LT_KIND_FD},
    {"dup3", SC_DUP3, 3, LT_KIND_FD},
    {"fcntl", SC_FCNTL, 3, LT_KIND_FD},
    {"pipe", SC_PIPE, 1, LT_KIND_FD},
    {"pipe2", SC_PIPE2, 2, LT_KIND_FD},
    {"eventfd", SC_EVENTFD, 1, LT_KIND_FD},
    {"eventfd2", SC_EVENTFD2, 2, LT_KIND_FD},
    {"epoll_create", SC_EPOLL_CREATE, 1, LT_KIND_FD},
    {"epoll_create1", SC_EPOLL_CREATE1, 1, LT_KIND_FD},
    {"signalfd", SC_SIGNALFD, 3, LT_KIND_FD},
    {"signalfd4", SC_SIGNALFD4, 4, LT_KIND_FD},
    {"timerfd_create", SC_TIMERFD_CREATE, 2, LT_KIND_FD},
    {"inotify_init", SC_INOTIFY_INIT, 0, LT_KIND_FD},
    {"inotify_init1", SC_INOTIFY_INIT1, 1, LT_KIND_FD},
    {"memfd_create", SC_MEMFD_CREATE, 2, LT_KIND_FD},
    {"pidfd_open", SC_PIDFD_OPEN, 2, LT_KIND_FD},
    {"close", SC_CLOSE, 1, LT_KIND_FD},
    {"close_range", SC_CLOSE_RANGE, 3, LT_KIND_FD},
    {"timer_create", SC_TIMER_CREATE, 3, LT_KIND_TIMER},
    {"timer_delete", SC_TIMER_DELETE, 1, LT_KIND_TIMER},
    {"mmap", SC_MMAP, 6, LT_KIND_MAP},
    {"munmap", SC_MUNMAP, 2, LT_KIND_MAP},
    {"mremap", SC_MREMAP, 5, LT_KIND_MAP},
};

static struct bpf_program *enter_prog(struct tracer *t, int nargs)
{
	struct leaktrace_bpf *s = t->skel;

	switch (nargs) {
	case 0:
		return s->progs.sys_enter_0;
	case 1:
		return s->progs.sys_enter_1;
	case 2:
		return s->progs.sys_enter_2;
	case 3:
		return s->progs.sys_enter_3;
	case 4:
		return s->progs.sys_enter_4;
	case 5:
		return s->progs.sys_enter_5;
	}
	return s->progs.sys_enter_6;
}

static int attach_tp(struct tracer *t, struct bpf_program *prog, const char *dir, const char *name,
		     __u64 cookie, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tracepoint_opts, o, .bpf_cookie = cookie);
	char tp[64];

	if (t->nsys >= MAX_SYS_LINKS)
		return -E2BIG;
	snprintf(tp, sizeof(tp), "sys_%s_%s", dir, name);
	t->sys_links[t->nsys] = bpf_program__attach_tracepoint_opts(prog, "syscalls", tp, &o);
	if (!t->sys_links[t->nsys]) {
		set_err(err, errlen, "cannot attach the tracepoint syscalls:%s: %s", tp,
			strerror(errno));
		return -errno;
	}
	t->nsys++;
	return 0;
}

/*
 * The syscall tracepoints of the kinds asked for. mmap is also how new C
 * libraries are found (mem): attached for mem or map.
 */
static int attach_syscalls(struct tracer *t, unsigned kinds, char *err, size_t errlen)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(sys_tps) / sizeof(sys_tps[0]); i++) {
		const struct sys_tp *tp = &sys_tps[i];
		bool want = kinds & (1u << tp->kind);

		if (tp->sc == SC_MMAP)
			want = kinds & (1u << LT_KIND_MAP | 1u << LT_KIND_MEM);
		if (!want)
			continue;
		ret =
		    attach_tp(t, enter_prog(t, tp->nargs), "enter", tp->name, tp->sc, err, errlen);
		if (!ret)
			ret = attach_tp(t, t->skel->progs.sys_exit_any, "exit", tp->name, tp->sc,
					err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static const char *load_hint(int e)
{
	if (e == EPERM || e == EACCES)
		return " (not root, missing CAP_BPF/CAP_PERFMON, or the kernel is locked down)";
	return "";
}

/*
 * Entries for the maps keyed by tgid (pids, rss): a hash map allocates every
 * entry when it is made, and no more processes than pid_max can exist at
 * once. The BPF object's 65,536, or pid_max where that is lower (32,768 on
 * kernels that keep the default): the rss map of 65,536 took ~15 ms of a
 * 150 ms start-up on a VM where a page costs ~6 us to allocate. (pid_max
 * raised later leaves the maps as they were: a process past them is then not
 * followed by -p's fork tracking, nor its RSS sampled, as past 65,536 now.)
 */
static __u32 tgid_entries(__u32 dflt, unsigned long pid_max)
{
	return pid_max && pid_max < dflt ? (__u32)pid_max : dflt;
}

/* /proc/sys/kernel/pid_max, or 0 if it cannot be read. */
static unsigned long read_pid_max(void)
{
	unsigned long max = 0;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 0;
		fclose(f);
	}
	return max;
}

/*
 * Which of the n possible CPUs are online (/sys/devices/system/cpu/online,
 * "0-3,8"); all of them if it cannot be read. Returns how many are.
 */
static int cpus_online(bool *on, int n)
{
	char buf[4096], *p, *end;
	long a, b, i;
	int count = 0;
	FILE *f;

	f = fopen("/sys/devices/system/cpu/online", "re");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		for (i = 0; i < n; i++)
			on[i] = true;
		return n;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		a = strtol(p, &end, 10);
		if (end == p)
			break;
		b = a;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		for (i = a; i <= b && i < n; i++)
			if (i >= 0 && !on[i]) {
				on[i] = true;
				count++;
			}
		p = *end == ',' ? end + 1 : end;
	}
	if (!count) {
		for (i = 0; i < n; i++)
			on[i] = true;
		return n;
	}
	return count;
}

/*
 * A ring per possible CPU. --ringbuf-size is the budget of those online at
 * the start: each gets the largest power of two within its share, at least
 * a page (the kernel's smallest ring). A CPU offline then gets one page
 * (VMs often list far more possible CPUs than they run).
 *
 * The rings are made, installed in the BPF side's array and mapped by a
 * thread while the main one loads the BPF object (ring_start, ring_finish):
 * making them charges every page (3 ms per 16 MiB here) and the install
 * waits for an RCU grace period (5-12 ms), both idle time for the verifier's
 * 35 ms. The array is made here, before the load, with a one-page ring as
 * its template: the verifier needs only the inner map's kind, and ringbuf
 * slots may hold rings of any size.
 */
struct ring_job {
	struct tracer *t;
	int outer_fd;
	int ret;
	char err[160];
	pthread_t th;
	bool started;
};

/* The thread's half: make each ring, install them all, map them. */
static void *ring_worker(void *arg)
{
	struct ring_job *j = arg;
	struct tracer *t = j->t;
	__u32 cpu, n = (__u32)t->nrings_planned, keys[n];
	int fd;

	while (t->nrings < t->nrings_planned) {
		fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "lt_ring", 0, 0,
				    t->ring_sizes[t->nrings], NULL);
		if (fd < 0) {
			j->ret = -errno;
			snprintf(j->err, sizeof(j->err), "cannot make a %zu-byte ring buffer "
				 "(CPU %d): %s", t->ring_sizes[t->nrings], t->nrings,
				 strerror(-j->ret));
			return NULL;
		}
		t->ring_fds[t->nrings++] = fd;
	}
	/*
	 * Each update of a map of maps waits for an RCU grace period (8 ms
	 * here): one per CPU made start-up grow with the CPU count. A batch
	 * waited once on this kernel (16 rings: 11.7 ms, against 156 ms one
	 * by one); where batches are refused, or a slot failed, each slot is
	 * set on its own.
	 */
	for (cpu = 0; cpu < n; cpu++)
		keys[cpu] = cpu;
	if (bpf_map_update_batch(j->outer_fd, keys, t->ring_fds, &n, NULL) ||
	    n != (__u32)t->nrings) {
		for (cpu = 0; cpu < (__u32)t->nrings; cpu++) {
			if (bpf_map_update_elem(j->outer_fd, &cpu, &t->ring_fds[cpu], 0)) {
				j->ret = -errno;
				snprintf(j->err, sizeof(j->err), "cannot install the ring buffer "
					 "of CPU %u: %s", cpu, strerror(-j->ret));
				return NULL;
			}
		}
	}
	j->ret = ring_set__new(t->ring_fds, t->ring_sizes, t->nrings,
			       offsetof(struct lt_event, ts_ns), &t->rings);
	if (j->ret)
		snprintf(j->err, sizeof(j->err), "cannot map the ring buffers: %s",
			 strerror(-j->ret));
	return NULL;
}

/* Before the load: plan the sizes, make the array, start the thread. */
static int ring_start(struct tracer *t, size_t total, size_t *each, struct ring_job *j,
		      char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	size_t page = sysconf(_SC_PAGESIZE), size = page;
	int n = libbpf_num_possible_cpus(), online, i, tmpl, ret;
	bool *on;

	j->t = t;
	j->outer_fd = -1;
	if (n <= 0) {
		set_err(err, errlen, "cannot count the possible CPUs: %s", strerror(-n));
		return n < 0 ? n : -EINVAL;
	}
	on = calloc(n, sizeof(*on));
	t->ring_fds = calloc(n, sizeof(*t->ring_fds));
	t->ring_sizes = calloc(n, sizeof(*t->ring_sizes));
	if (!on || !t->ring_fds || !t->ring_sizes) {
		free(on);
		set_err(err, errlen, "cannot allocate the ring buffer table: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	online = cpus_online(on, n);
	while (size * 2 <= total / online)
		size *= 2;
	for (i = 0; i < n; i++)
		t->ring_sizes[i] = on[i] ? size : page;
	free(on);
	t->nrings_planned = n;
	*each = size;

	tmpl = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "lt_ring_tmpl", 0, 0, page, NULL);
	if (tmpl < 0) {
		ret = -errno;
		set_err(err, errlen, "cannot make a ring buffer: %s", strerror(-ret));
		return ret;
	}
	opts.inner_map_fd = tmpl;
	j->outer_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "rings", sizeof(__u32),
				     sizeof(__u32), n, &opts);
	ret = j->outer_fd < 0 ? -errno : 0;
	close(tmpl); /* the array keeps its description, not the map */
	if (!ret)
		ret = bpf_map__reuse_fd(t->skel->maps.rings, j->outer_fd);
	if (ret) {
		set_err(err, errlen, j->outer_fd < 0 ? "cannot make the array of ring buffers: %s"
						     : "cannot give the BPF object its ring buffers: %s",
			strerror(-ret));
		return ret;
	}
	j->started = !pthread_create(&j->th, NULL, ring_worker, j);
	return 0;
}

/*
 * After the load: the thread's result (without a thread, its work done here).
 * On a failure (want false): only waited for. Then once more does nothing.
 */
static int ring_finish(struct ring_job *j, bool want, char *err, size_t errlen)
{
	if (j->outer_fd < 0)
		return 0; /* not started, or finished */
	if (j->started)
		pthread_join(j->th, NULL);
	else if (want)
		ring_worker(j);
	close(j->outer_fd); /* the skeleton holds its own */
	j->outer_fd = -1;
	if (j->ret && err)
		set_err(err, errlen, "%s", j->err);
	return j->ret;
}

/*
 * The tick that sends the held allocation of a thread that never leaves its
 * CPU (bpf on_tick): a CPU-clock perf event per CPU. Without perf events it
 * is left out, and said so: such a thread's last block then waits.
 */
static void attach_ticks(struct tracer *t)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.sample_period = HOLD_TICK_NS,
	};
	int ncpu = libbpf_num_possible_cpus(), cpu, fd, failed = 0, err = 0;
	struct bpf_link *link;

	t->ticks = ncpu > 0 ? calloc(ncpu, sizeof(*t->ticks)) : NULL;
	if (!t->ticks) {
		fprintf(stderr, "leaktrace: warning: no held-allocation tick: %s\n",
			ncpu > 0 ? "out of memory" : "cannot count the CPUs");
		return;
	}
	for (cpu = 0; cpu < ncpu; cpu++) {
		fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno != ENODEV) { /* ENODEV: a CPU that is not online */
				failed++;
				err = errno;
			}
			continue;
		}
		link = bpf_program__attach_perf_event(t->skel->progs.on_tick, fd);
		if (!link) {
			failed++;
			err = errno;
			close(fd);
			continue;
		}
		t->ticks[t->nticks++] = link; /* the link closes fd */
	}
	if (failed)
		fprintf(stderr, "leaktrace: warning: no held-allocation tick on %d CPU(s): %s; a "
			"thread that neither allocates nor leaves its CPU keeps its last "
			"allocation out of reports until it does\n", failed, strerror(err));
}

int tracer__new(const struct tracer_cfg *cfg, struct tracer **out, char *err, size_t errlen)
{
	struct tracer *t;
	struct ring_job rj = {.outer_fd = -1};
	size_t ring_size = 0;
	unsigned long pid_max;
	bool hold;
	int ret;

	verbose_libbpf = cfg->verbose;
	libbpf_set_print(libbpf_print);
	/* CO-RE and the tp_btf programs need it: say so rather than libbpf's errno. */
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		set_err(err, errlen, "this kernel has no BTF at /sys/kernel/btf/vmlinux "
			"(leaktrace needs a kernel built with CONFIG_DEBUG_INFO_BTF=y)");
		return -ENOENT;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->verbose = cfg->verbose;
	t->on_sample = cfg->on_sample;
	t->on_peek = cfg->on_peek;
	t->ctx = cfg->ctx;
	t->skel = leaktrace_bpf__open();
	if (!t->skel) {
		ret = -errno;
		set_err(err, errlen, "cannot open the BPF object: %s", strerror(-ret));
		goto fail;
	}
	t->skel->rodata->filter_pids = cfg->filter_pids;
	t->skel->rodata->self_tgid = getpid();
	t->skel->rodata->follow_forks = cfg->follow_forks;
	t->skel->rodata->stop_on_exec_map = cfg->stop_on_exec_map;
	t->skel->rodata->probe_floor = cfg->probe_floor;
	hold = !cfg->every_event && (cfg->kinds & (1u << LT_KIND_MEM));
	t->skel->rodata->hold_allocs = hold;
	bpf_program__set_autoload(t->skel->progs.on_switch, hold);
	bpf_program__set_autoload(t->skel->progs.on_tick, hold);
	t->skel->rodata->watch_exec_maps = cfg->kinds & (1u << LT_KIND_MEM);
	t->skel->rodata->trace_rss = cfg->trace_rss;
	bpf_program__set_autoload(t->skel->progs.on_rss_stat, cfg->trace_rss);
	t->skel->rodata->max_frames = cfg->max_frames;
	/* Unused maps at their smallest: a hash map allocates all its entries when made. */
	pid_max = cfg->filter_pids || cfg->trace_rss ? read_pid_max() : 0;
	bpf_map__set_max_entries(t->skel->maps.pids, !cfg->filter_pids ? 1 :
				 tgid_entries(bpf_map__max_entries(t->skel->maps.pids), pid_max));
	bpf_map__set_max_entries(t->skel->maps.rss, !cfg->trace_rss ? 1 :
				 tgid_entries(bpf_map__max_entries(t->skel->maps.rss), pid_max));
	ret = ring_start(t, cfg->ringbuf_size, &ring_size, &rj, err, errlen);
	if (ret)
		goto fail;
	t->skel->rodata->wakeup_bytes = ring_size / 4;
	t->skel->rodata->trace_fds = cfg->kinds & (1u << LT_KIND_FD);
	t->skel->rodata->trace_timers = cfg->kinds & (1u << LT_KIND_TIMER);
	t->skel->rodata->trace_maps = cfg->kinds & (1u << LT_KIND_MAP);

	ret = leaktrace_bpf__load(t->skel);
	if (ret) {
		set_err(err, errlen, "cannot load the BPF programs: %s%s", strerror(-ret),
			load_hint(-ret));
		goto fail;
	}
	ret = ring_finish(&rj, true, err, errlen);
	if (ret)
		goto fail;
	ret = ensure_tracefs(err, errlen);
	if (ret)
		goto fail;
	/* Lifecycle first: a process that forks while objects attach is still seen. */
	t->skel->links.on_fork = bpf_program__attach(t->skel->progs.on_fork);
	t->skel->links.on_exec = bpf_program__attach(t->skel->progs.on_exec);
	t->skel->links.on_exit = bpf_program__attach(t->skel->progs.on_exit);
	if (!t->skel->links.on_fork || !t->skel->links.on_exec || !t->skel->links.on_exit) {
		ret = -errno;
		set_err(err, errlen, "cannot attach the sched/syscalls tracepoints: %s%s",
			strerror(-ret), load_hint(-ret));
		goto fail;
	}
	/* Held allocations are sent when their thread leaves the CPU. */
	if (hold) {
		t->skel->links.on_switch = bpf_program__attach(t->skel->progs.on_switch);
		if (!t->skel->links.on_switch) {
			ret = -errno;
			set_err(err, errlen, "cannot attach the sched_switch tracepoint: %s%s "
				"(--every-event does without it)", strerror(-ret), load_hint(-ret));
			goto fail;
		}
	}
	if (hold)
		attach_ticks(t);
	ret = attach_syscalls(t, cfg->kinds, err, errlen);
	if (ret)
		goto fail;
	if (cfg->trace_rss) {
		t->skel->links.on_rss_stat = bpf_program__attach(t->skel->progs.on_rss_stat);
		if (!t->skel->links.on_rss_stat) {
			ret = -errno;
			set_err(err, errlen, "cannot attach the kmem/rss_stat tracepoint: %s",
				strerror(-ret));
			goto fail;
		}
	}
	*out = t;
	return 0;
fail:
	ring_finish(&rj, false, NULL, 0);
	tracer__free(t);
	return ret < 0 ? ret : -EINVAL;
}

#define DETACH_THREADS 16

struct detach_job {
	struct bpf_link **links;
	int n, first, step;
};

static void *detach_worker(void *arg)
{
	struct detach_job *j = arg;
	int i;

	for (i = j->first; i < j->n; i += j->step)
		bpf_link__destroy(j->links[i]);
	return NULL;
}

/*
 * Each uprobe or tracepoint detach waits for an RCU grace period in the kernel
 * (tens of ms here): one by one, a hundred links take seconds. Detached from
 * several threads at once, the waits overlap.
 */
static void destroy_links(struct bpf_link **links, int n)
{
	struct detach_job jobs[DETACH_THREADS];
	pthread_t th[DETACH_THREADS];
	bool started[DETACH_THREADS] = {};
	int nth = n < DETACH_THREADS ? n : DETACH_THREADS, i;

	for (i = 0; i < nth; i++) {
		jobs[i] = (struct detach_job){.links = links, .n = n, .first = i, .step = nth};
		started[i] = !pthread_create(&th[i], NULL, detach_worker, &jobs[i]);
	}
	for (i = 0; i < nth; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			detach_worker(&jobs[i]); /* no thread: do its share here */
	}
}

void tracer__free(struct tracer *t)
{
	struct bpf_link **all;
	int i, j, n = 0;

	if (!t)
		return;
	ring_set__free(t->rings);
	for (i = 0; i < t->nrings; i++)
		close(t->ring_fds[i]);
	free(t->ring_fds);
	free(t->ring_sizes);
	all = calloc(tracer__nr_links(t) + t->nticks, sizeof(*all));
	for (i = 0; i < t->nticks; i++) {
		if (all)
			all[n++] = t->ticks[i];
		else
			bpf_link__destroy(t->ticks[i]);
	}
	free(t->ticks);
	for (i = 0; i < t->nsys; i++) {
		if (all)
			all[n++] = t->sys_links[i];
		else
			bpf_link__destroy(t->sys_links[i]);
	}
	for (i = 0; i < t->nobjs; i++) {
		for (j = 0; j < t->objs[i].nlinks; j++) {
			if (all)
				all[n++] = t->objs[i].links[j];
			else
				bpf_link__destroy(t->objs[i].links[j]);
		}
		free(t->objs[i].path);
	}
	if (all)
		destroy_links(all, n);
	free(all);
	leaktrace_bpf__destroy(t->skel);
	free(t);
}

int tracer__add_pid(struct tracer *t, pid_t tgid)
{
	__u32 key = tgid;
	__u8 one = 1;

	if (bpf_map__update_elem(t->skel->maps.pids, &key, sizeof(key), &one, sizeof(one), 0))
		return -errno;
	return 0;
}

void tracer__mark_seen(struct tracer *t, dev_t dev, ino_t ino)
{
	/* The kernel's s_dev packs major << 20 | minor; st_dev packs them otherwise. */
	struct lt_obj_key key = {
	    .dev = (__u64)major(dev) << 20 | minor(dev),
	    .ino = ino,
	};
	__u8 one = 1;

	bpf_map__update_elem(t->skel->maps.objs_seen, &key, sizeof(key), &one, sizeof(one), 0);
}

bool tracer__has_object(const struct tracer *t, dev_t dev, ino_t ino)
{
	int i;

	for (i = 0; i < t->nobjs; i++)
		if (t->objs[i].dev == dev && t->objs[i].ino == ino)
			return true;
	return false;
}

int tracer__nr_objects(const struct tracer *t)
{
	return t->nobjs;
}

int tracer__nr_links(const struct tracer *t)
{
	int i, n = 3 + t->nsys + (t->skel->links.on_rss_stat != NULL) +
		   (t->skel->links.on_switch != NULL);

	for (i = 0; i < t->nobjs; i++)
		n += t->objs[i].nlinks;
	return n;
}

static struct bpf_program *entry_prog(struct tracer *t, int fn)
{
	struct leaktrace_bpf *s = t->skel;

	switch (fn) {
	case OBJ_MALLOC:
		return s->progs.malloc_enter;
	case OBJ_CALLOC:
		return s->progs.calloc_enter;
	case OBJ_REALLOC:
		return s->progs.realloc_enter;
	case OBJ_REALLOCARRAY:
		return s->progs.reallocarray_enter;
	case OBJ_POSIX_MEMALIGN:
		return s->progs.posix_memalign_enter;
	case OBJ_ALIGNED_ALLOC:
		return s->progs.aligned_alloc_enter;
	case OBJ_MEMALIGN:
		return s->progs.memalign_enter;
	case OBJ_VALLOC:
		return s->progs.valloc_enter;
	case OBJ_PVALLOC:
		return s->progs.pvalloc_enter;
	case OBJ_FREE:
		return s->progs.free_enter;
	}
	return NULL;
}

static int attach_one(struct attached_obj *o, const char *probe_path, struct bpf_program *prog,
		      __u64 off, bool ret, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = ret);
	struct bpf_link *l;

	l = bpf_program__attach_uprobe_opts(prog, -1, probe_path, off, &uo);
	if (!l) {
		set_err(err, errlen, "cannot attach a uprobe to %s at 0x%llx: %s", o->path,
			(unsigned long long)off, strerror(errno));
		return -errno;
	}
	o->links[o->nlinks++] = l;
	return 0;
}

int tracer__attach_object(struct tracer *t, pid_t pid, const char *path, dev_t dev, ino_t ino,
			  char *err, size_t errlen)
{
	struct attached_obj *o;
	struct obj_funcs f;
	char probe_path[64];
	struct stat st;
	int fd, fn, ret;

	fd = objects__open_mapped(pid, path, dev, ino);
	if (fd < 0) {
		set_err(err, errlen, "cannot open %s%s: %s", path,
			pid > 0 ? " (as mapped by its process)" : "", strerror(-fd));
		return fd;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (tracer__has_object(t, st.st_dev, st.st_ino)) {
		ret = -EEXIST;
		goto out;
	}
	if (t->nobjs >= MAX_OBJECTS) {
		set_err(err, errlen, "cannot trace %s: already %d allocator objects", path,
			MAX_OBJECTS);
		ret = -E2BIG;
		goto out;
	}
	ret = objects__read_funcs(fd, &f);
	if (ret) {
		set_err(err, errlen, "%s: %s", path,
			ret == -ENOENT ? "no malloc and free symbols in it"
				       : "not a valid ELF file");
		goto out;
	}
	o = &t->objs[t->nobjs];
	memset(o, 0, sizeof(*o));
	o->dev = st.st_dev;
	o->ino = st.st_ino;
	o->path = strdup(path);
	if (!o->path) {
		ret = -ENOMEM;
		goto out;
	}
	/* The kernel resolves this magic link to exactly the file we opened and checked. */
	snprintf(probe_path, sizeof(probe_path), "/proc/self/fd/%d", fd);
	for (fn = 0; fn < OBJ_FN__MAX; fn++) {
		int alias;

		if (!f.offset[fn])
			continue;
		/* Aliases (glibc's memalign is aligned_alloc) would run our programs twice a call. */
		for (alias = 0; alias < fn && f.offset[alias] != f.offset[fn]; alias++)
			;
		if (alias < fn)
			continue;
		ret = attach_one(o, probe_path, entry_prog(t, fn), f.probe_off[fn], false, err,
				 errlen);
		if (!ret && fn != OBJ_FREE)
			ret = attach_one(o, probe_path, t->skel->progs.alloc_return, f.probe_off[fn],
					 true, err, errlen);
		if (ret)
			break;
		if (t->verbose)
			fprintf(stderr, "leaktrace: %s: %s at 0x%llx%s%s%s\n", path,
				obj_fn_names[fn], (unsigned long long)f.probe_off[fn],
				f.why[fn] ? " (" : "", f.why[fn] ? f.why[fn] : "",
				f.why[fn] ? ")" : "");
	}
	if (ret) {
		for (fn = 0; fn < o->nlinks; fn++)
			bpf_link__destroy(o->links[fn]);
		free(o->path);
		goto out;
	}
	t->nobjs++;
	tracer__mark_seen(t, st.st_dev, st.st_ino);
out:
	close(fd);
	return ret;
}

void tracer__set_peek(struct tracer *t, bool on)
{
	ring_set__set_peek(t->rings, on ? t->on_peek : NULL);
}

int tracer__consume(struct tracer *t, bool all)
{
	return ring_set__consume(t->rings, t->on_sample, t->ctx, all);
}

bool tracer__held(struct tracer *t)
{
	return ring_set__held(t->rings);
}

int tracer__epoll_fd(struct tracer *t)
{
	return ring_set__epoll_fd(t->rings);
}

int tracer__stats(struct tracer *t, __u64 out[LT_STAT__MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 key;
	int i;

	memset(out, 0, sizeof(__u64) * LT_STAT__MAX);
	if (ncpu <= 0)
		return ncpu;
	{
		__u64 vals[ncpu];

		for (key = 0; key < LT_STAT__MAX; key++) {
			if (bpf_map__lookup_elem(t->skel->maps.stats, &key, sizeof(key), vals,
						 sizeof(vals), 0))
				return -errno;
			for (i = 0; i < ncpu; i++)
				out[key] += vals[i];
		}
	}
	out[LT_STAT_REORDERED] = ring_set__reordered(t->rings);
	return 0;
}
