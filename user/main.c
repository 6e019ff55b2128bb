// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - leaktrace: wire options, tracer, aggregator, symbolizer and
 * renderers together, and run the event loop.
 *
 * Owns: the order of start-up and shutdown, signals, report timing, the
 * choice of what to attach. Must not: hold tracing logic (tracer.c),
 * aggregation (agg.c) or formatting (report_*.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include "agg.h"
#include "command.h"
#include "delta.h"
#include "growth.h"
#include "objects.h"
#include "options.h"
#include "report.h"
#include "report_build.h"
#include "symbolize.h"
#include "sysrec.h"
#include "tracer.h"
#include "ring.h"

#define TICK_MS 100
#define PID_BITS (1u << 22) /* PID_MAX_LIMIT */

struct app {
	struct options opt;
	__u8 evbuf[LT_SYS_EVENT_LEN] __attribute__((aligned(8))); /* a syscall event being fixed up */
	struct tracer *tr;
	struct agg *agg;
	struct symbolizer *sym;
	struct command *cmd;
	struct growth *growth;
	struct delta *delta;
	FILE *out;
	int sfd, epfd;
	bool host;             /* tracing every process */
	unsigned long reports;
	unsigned long periodic;  /* interval reports, what COUNT counts */
	__u8 *need_snap;       /* bitmap: exec'd, take a maps snapshot at its next allocation */
	unsigned attach_errors;
	__u64 stacks_cut;      /* syscall events whose stack may miss frames for want of
				* words a short stack sample left out: reported in lost_stacks */
	__u64 alerts_run;      /* --on-alert commands started */
	__u64 alerts_failed;   /* --on-alert commands that could not be started */
	__u64 slice_end;       /* the current pass over the ring buffer stops then */
	unsigned slice_events; /* events handled in it */
	/*
	 * is_c_library() of the modules last asked about. Module names are
	 * interned by the symbolizer and never freed while it lives, so the
	 * pointer names the string: two string scans per syscall event were
	 * ~10% of the consumer's time on an open loop.
	 */
	struct {
		const char *module;
		bool libc;
	} libc_memo[4];
};

static __u64 now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die_runtime(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die_runtime(const char *fmt, ...)
{
	va_list ap;

	fputs("leaktrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void snap_mark(struct app *a, __u32 pid, bool on)
{
	if (pid >= PID_BITS)
		return;
	if (on)
		a->need_snap[pid / 8] |= 1u << (pid % 8);
	else
		a->need_snap[pid / 8] &= ~(1u << (pid % 8));
}

static bool snap_marked(const struct app *a, __u32 pid)
{
	return pid < PID_BITS && (a->need_snap[pid / 8] & (1u << (pid % 8)));
}

/*
 * One read of /proc/PID/stat: the process's comm (into comm, LT_COMM_LEN
 * bytes, unless NULL) and when it started, in USER_HZ ticks since boot.
 * Returns 0 when it is gone or unreadable.
 */
static __u64 proc_stat(__u32 tgid, char *comm)
{
	char path[64], buf[1024], *open_paren, *close_paren, *p;
	unsigned long long start;
	size_t len;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%u/stat", tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* The name in parentheses may hold anything, ')' too: fields start after the last one. */
	open_paren = strchr(buf, '(');
	p = close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren)
		return 0;
	/* The n-th space after it precedes field n + 2; starttime is field 22. */
	for (i = 0; i < 20 && p; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return 0;
	if (comm) {
		len = close_paren - open_paren - 1;
		if (len > LT_COMM_LEN - 1)
			len = LT_COMM_LEN - 1;
		memcpy(comm, open_paren + 1, len);
		comm[len] = 0;
	}
	return start;
}

/*
 * For limits.start_of: the start of the process at pid in ticks, and in
 * *mono_ns the same moment on CLOCK_MONOTONIC, the events' clock (boot time
 * less the time spent suspended).
 */
static __u64 proc_start(void *ctx, __u32 tgid, __u64 *mono_ns)
{
	struct timespec boot, mono;
	__u64 start = proc_stat(tgid, NULL);

	(void)ctx;
	if (start) {
		clock_gettime(CLOCK_BOOTTIME, &boot);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		*mono_ns = start * LT_TICK_NS -
			   ((boot.tv_sec - mono.tv_sec) * 1000000000ull + boot.tv_nsec - mono.tv_nsec);
	}
	return start;
}

/* A process first seen by one of its events: its name and start, from one /proc read. */
static void read_identity(struct app *a, __u32 tgid)
{
	char comm[LT_COMM_LEN];
	__u64 start = proc_stat(tgid, comm);

	if (!start)
		return;
	agg__set_comm(a->agg, tgid, comm);
	agg__set_start(a->agg, tgid, start);
}

/*
 * A file not seen before was mapped executable: if it is a C library we do not
 * trace yet, attach to it. The BPF side names the file by (dev, inode); the fd
 * is usually closed by now, so the path comes from the process's maps.
 */
static void on_exec_map(struct app *a, const struct lt_event *e)
{
	dev_t dev = makedev(e->size >> 20, e->size & 0xfffff);
	ino_t ino = e->old_addr;
	char path[PATH_MAX], err[256];
	int ret;

	if (!(a->opt.kinds & (1u << LT_KIND_MEM)) || tracer__has_object(a->tr, dev, ino))
		return;
	if (objects__find_mapped(e->tgid, dev, ino, path, sizeof(path)))
		return; /* gone already: its next mapping of the file tells again */
	tracer__mark_seen(a->tr, dev, ino);
	if (!objects__is_libc(path))
		return;
	ret = tracer__attach_object(a->tr, e->tgid, path, dev, ino, err, sizeof(err));
	if (ret && ret != -EEXIST) {
		a->attach_errors++;
		fprintf(stderr, "leaktrace: warning: %s\n", err);
	} else if (!ret && a->opt.verbose) {
		fprintf(stderr, "leaktrace: attached to %s (mapped by pid %u)\n", path, e->tgid);
	}
}

static const char *family_name(unsigned family)
{
	switch (family) {
	case 1: return "unix";
	case 2: return "inet";
	case 10: return "inet6";
	case 16: return "netlink";
	case 17: return "packet";
	case 40: return "vsock";
	}
	return NULL;
}

static const char *socktype_name(unsigned type)
{
	switch (type) {
	case 1: return "stream";
	case 2: return "dgram";
	case 3: return "raw";
	case 5: return "seqpacket";
	}
	return NULL;
}

static bool is_c_library(struct app *a, const char *module)
{
	unsigned slot = (unsigned)(((uintptr_t)module >> 4) %
				(sizeof(a->libc_memo) / sizeof(a->libc_memo[0])));
	const char *base;

	if (a->libc_memo[slot].module == module)
		return a->libc_memo[slot].libc;
	base = strrchr(module, '/');
	base = base ? base + 1 : module;
	a->libc_memo[slot].module = module;
	a->libc_memo[slot].libc = objects__is_libc(module) || !strncmp(base, "ld-linux", 8) ||
				  !strncmp(base, "libpthread", 10);
	return a->libc_memo[slot].libc;
}

/*
 * A syscall made inside a C library wrapper (open, socket, timer_create...):
 * frames[0] is the wrapper, and the kernel's frame-pointer walk skipped the
 * wrapper's caller. One CFI step on the sampled stack finds it. A raw syscall
 * outside the C library (Go, a static binary) keeps the function that made it.
 */
/*
 * Frames from a frame-pointer walk over the sampled stack, starting at bp:
 * for a wrapper that reused %rbp, whose caller's %rbp CFI restored.
 */
static int walk_sample(const struct lt_sys_extra *x, const __u64 *stack, __u64 bp,
		       __u64 *frames, int max, bool *cut)
{
	__u64 i;
	int n = 0;

	/* By index: a bp near 2^64 would wrap bp + 16 past any bound on addresses. */
	while (n < max && bp >= x->sp && (bp - x->sp) / 8 + 2 <= x->stack_words && !(bp & 7)) {
		i = (bp - x->sp) / 8;
		if (stack[i + 1] < 4096 || stack[i + 1] >= 0x7ffffffff000ULL)
			break;
		frames[n++] = stack[i + 1];
		if (stack[i] <= bp)
			break;
		bp = stack[i];
	}
	/* It went on past the sample's end: a frame may lie there. */
	*cut = n < max && !(bp & 7) && bp >= x->sp && bp - x->sp < (8ull << 20) &&
	       (bp - x->sp) / 8 + 2 > x->stack_words;
	return n;
}

/* stack: the x->stack_words words of the sample (in the ring: read, never copied). */
static void fix_caller(struct app *a, struct lt_event *e, const struct lt_sys_extra *x,
		       const __u64 *stack, const char **module)
{
	__u64 pc = x->ip, sp = x->sp, bp = x->bp, ret = 0, caller_sp, walked[LT_MAX_FRAMES];
	const char *mod;
	int step, n, err;
	bool cut = false;

	if (symbolizer__module(a->sym, e->tgid, x->ip, module) &&
	    !symbolizer__snapshot(a->sym, e->tgid))
		symbolizer__module(a->sym, e->tgid, x->ip, module);
	if (!*module || !is_c_library(a, *module))
		return;
	/* Out of the C library: a wrapper may sit under another (fcntl -> fcntl64_nocancel). */
	for (step = 0; step < 4; step++) {
		err = symbolizer__unwind_step(a->sym, e->tgid, pc, sp, &bp, stack, x->sp,
					      x->stack_words, &ret, &caller_sp);
		if (err) {
			/* The return address lay past a short sample, within a full one. */
			if (err == -ERANGE && x->stack_words < LT_STACK_WORDS &&
			    caller_sp - 8 - x->sp < LT_STACK_WORDS * sizeof(__u64))
				a->stacks_cut++;
			return;
		}
		if (symbolizer__module(a->sym, e->tgid, ret - 1, &mod) || !is_c_library(a, mod))
			break;
		pc = ret - 1;
		sp = caller_sp;
	}
	if (bp == x->bp && !x->alt_bp) {
		/* %rbp untouched by the wrappers: the walk the BPF side made is the caller's. */
		if (!e->nframes)
			e->nframes = 1;
		if (e->nframes > 1 && e->frames[1] == ret) {
			memmove(&e->frames[0], &e->frames[1], (e->nframes - 1) * sizeof(__u64));
			e->nframes--;
			return;
		}
		e->frames[0] = ret;
		return;
	}
	e->frames[0] = ret;
	if (bp == x->bp) {
		/* The BPF side guessed, but %rbp was never reused: there is no chain. */
		e->nframes = 1;
		return;
	}
	/* A wrapper reused %rbp. The BPF side's guess of the saved one is right: keep its walk. */
	if (bp && x->alt_bp == bp && e->nframes > 1)
		return;
	/* Else walk on from the restored %rbp over the sampled stack. */
	n = bp ? walk_sample(x, stack, bp, walked, LT_MAX_FRAMES - 1, &cut) : 0;
	/*
	 * A chain followed through the sample (at least one frame) that goes on
	 * past a short sample's end. Not a walk that starts past it: without
	 * frame pointers %rbp often holds some stack address, and the walk from
	 * it would have ended at once in a full sample too.
	 */
	if (n && cut && x->stack_words < LT_STACK_WORDS)
		a->stacks_cut++;
	memcpy(&e->frames[1], walked, n * sizeof(__u64));
	e->nframes = 1 + n;
}

/* "inet/stream": a socket's family and type, kept where a file keeps its path. */
static void describe_socket(struct lt_event *e, struct lt_sys_extra *x)
{
	unsigned family = (e->aux >> 8) & 0xffff, type = (e->aux >> 24) & 0xff;
	const char *f = family_name(family), *t = socktype_name(type);
	char fb[16], tb[16];

	if (!family) /* accept(): same as the listening socket, which we do not know */
		return;
	if (!f)
		snprintf(fb, sizeof(fb), "family%u", family), f = fb;
	if (!t)
		snprintf(tb, sizeof(tb), "type%u", type), t = tb;
	snprintf(x->path, sizeof(x->path), "%s/%s", f, t);
}

/* What an fd is, from its /proc link: for duplicates of fds we never saw open. */
static enum lt_fd_kind classify_fd_link(const char *l)
{
	static const struct {
		const char *prefix;
		enum lt_fd_kind kind;
	} kinds[] = {
		{ "socket:", LT_FD_SOCKET },	      { "pipe:", LT_FD_PIPE },
		{ "anon_inode:[eventfd]", LT_FD_EVENTFD }, { "anon_inode:[eventpoll]", LT_FD_EPOLL },
		{ "anon_inode:[signalfd]", LT_FD_SIGNALFD }, { "anon_inode:[timerfd]", LT_FD_TIMERFD },
		{ "anon_inode:inotify", LT_FD_INOTIFY },    { "/memfd:", LT_FD_MEMFD },
		{ "anon_inode:[pidfd]", LT_FD_PIDFD },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(l, kinds[i].prefix, strlen(kinds[i].prefix)))
			return kinds[i].kind;
	return l[0] == '/' ? LT_FD_FILE : LT_FD_UNKNOWN;
}

static void describe_dup(struct lt_event *e, struct lt_sys_extra *x)
{
	char link[64], target[LT_PATH_LEN];
	enum lt_fd_kind kind;
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/fd/%llu", e->tid, (unsigned long long)e->addr);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	kind = classify_fd_link(target);
	e->aux = kind;
	if (kind == LT_FD_FILE || kind == LT_FD_MEMFD)
		snprintf(x->path, sizeof(x->path), "%s", kind == LT_FD_MEMFD ? target + 7 : target);
}

/*
 * Syscall events arrive with the libc wrapper as frames[0]; make it the
 * wrapper's caller, and say what a socket or a duplicate is. Works on a copy
 * (the ring buffer is read-only), laid out as user space reads it; *len
 * becomes the copy's. A record without its frames is passed on as it is (the
 * aggregator counts it as bad).
 */
static const struct lt_event *fix_sys_event(struct app *a, const struct lt_event *in,
					    size_t *len)
{
	struct lt_event *e = (struct lt_event *)a->evbuf;
	struct lt_sys_extra *x = (struct lt_sys_extra *)(a->evbuf + LT_SYS_EXTRA_OFF);
	const char *module = NULL, *base;
	const __u64 *stack;
	size_t n = sysrec__expand(in, *len, a->evbuf, &stack);

	if (!n)
		return in;
	*len = n;
	/* Without its registers (a record cut short) there is nothing to unwind. */
	if (x->ip || x->sp)
		fix_caller(a, e, x, stack, &module);
	/* ld.so's own mmap wrapper: the loader mapping a program, not the program's mapping. */
	base = e->type == LT_EV_MAP && module ? strrchr(module, '/') : NULL;
	if (base && !strncmp(base + 1, "ld-linux", 8))
		return NULL;
	if (e->type == LT_EV_FD_OPEN && (e->aux & 0xff) == LT_FD_SOCKET && !x->path[0])
		describe_socket(e, x);
	else if (e->type == LT_EV_FD_OPEN && (e->flags & LT_F_DUP))
		describe_dup(e, x);
	return e;
}

static int handle_sample(void *ctx, void *data, size_t len)
{
	struct app *a = ctx;
	const struct lt_event *e = data;
	unsigned r;

	if (len < sizeof(*e))
		return 0;
	if (e->flags & LT_F_SYS_EXTRA) {
		e = fix_sys_event(a, e, &len);
		if (!e)
			return 0;
	}
	switch (e->type) {
	case LT_EV_EXEC_MAP:
		on_exec_map(a, e);
		return 0;
	case LT_EV_FORK:
		symbolizer__forget(a->sym, (pid_t)e->aux);
		symbolizer__snapshot(a->sym, (pid_t)e->aux);
		growth__forget(a->growth, (__u32)e->aux);
		break;
	case LT_EV_EXEC:
		/* The snapshot stays: fds kept across exec carry the old image's addresses. */
		snap_mark(a, e->tgid, true);
		growth__forget(a->growth, e->tgid);
		break;
	case LT_EV_ALLOC:
	case LT_EV_REALLOC:
		/* After exec the libraries are mapped by the time the first allocation is seen. */
		if (snap_marked(a, e->tgid)) {
			snap_mark(a, e->tgid, false);
			symbolizer__snapshot(a->sym, e->tgid);
		}
		break;
	}
	r = agg__on_event(a->agg, e, len);
	if (r & AGG_R_REPLACED) {
		/* Another process at this pid, its fork lost: nothing of the old one applies. */
		symbolizer__forget(a->sym, e->tgid);
		growth__forget(a->growth, e->tgid);
		snap_mark(a, e->tgid, false);
	}
	/* (A fork's NEW_PROC is the child's, named by the event; REPLACED is the parent's.) */
	if ((r & AGG_R_NEW_PROC && e->type != LT_EV_FORK && e->type != LT_EV_EXIT) ||
	    r & AGG_R_REPLACED) {
		read_identity(a, e->tgid);
		if (!snap_marked(a, e->tgid))
			symbolizer__snapshot(a->sym, e->tgid);
	}
	if (r & AGG_R_EXIT) {
		growth__forget(a->growth, e->tgid);
		if (a->host) {
			symbolizer__forget(a->sym, e->tgid);
			snap_mark(a, e->tgid, false);
		}
	}
	return 0;
}

/*
 * A consume pass that ran until the rings were empty would, under a load
 * faster than the consumer, never end: reports, growth samples and signals
 * would wait forever. Each pass is cut after its time slice (checked every
 * 1024 events); the record that ends it is handled first.
 */
static int on_sample(void *ctx, void *data, size_t len)
{
	struct app *a = ctx;

	handle_sample(ctx, data, len);
	if (++a->slice_events % 1024)
		return 0;
	return now_mono() >= a->slice_end ? -EAGAIN : 0;
}

/* A record a little ahead: start loading the live-table slot it will need. */
static void on_peek(void *ctx, const void *data, size_t len)
{
	const struct lt_event *e = data;
	struct app *a = ctx;

	if (len >= sizeof(*e) && !(e->flags & LT_F_SYS_EXTRA))
		agg__prefetch(a->agg, e, len);
}

/*
 * Consume for at most slice_ns; true if the rings still held events. all:
 * also the most recent records, which the merge otherwise holds back until
 * it can tell their order: everything stamped before the pass (user/ring.h).
 */
static bool consume(struct app *a, __u64 slice_ns, bool all)
{
	a->slice_end = now_mono() + slice_ns;
	a->slice_events = 0;
	tracer__set_peek(a->tr, agg__prefetch_useful(a->agg));
	return tracer__consume(a->tr, all) == -EAGAIN;
}

#define SLICE_LOOP_NS (50 * 1000000ull)    /* the event loop's pass */
#define SLICE_REPORT_NS (500 * 1000000ull) /* before a periodic report */
#define DRAIN_MAX_NS (10 * 1000000000ull)  /* emptying it: final report, command stop */

/* Empty the rings (for at most DRAIN_MAX_NS, then say what is left out). */
static void drain(struct app *a, const char *before)
{
	__u64 end = now_mono() + DRAIN_MAX_NS;

	while (consume(a, SLICE_REPORT_NS, true)) {
		if (now_mono() >= end) {
			fprintf(stderr, "leaktrace: warning: events still arriving after %llu s of "
				"draining: %s leaves the rest out\n", DRAIN_MAX_NS / 1000000000ull,
				before);
			return;
		}
	}
}

/* ---- growth: samples, alerts, --on-alert ---- */

struct growth_ctx {
	struct app *a;
	const struct agg_proc_info *pi;
	__u64 now;
};

/* The cgroup v2 path of pid, and a container id (64 hex digits) found in it. */
static void read_cgroup(pid_t pid, char *cg, size_t cglen, char *id, size_t idlen)
{
	char path[64], line[512];
	size_t run = 0, i;
	FILE *f;

	cg[0] = id[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(cg, cglen, "%.255s", line + 3);
		break;
	}
	fclose(f);
	for (i = 0; cg[i]; i++) {
		run = isxdigit((unsigned char)cg[i]) ? run + 1 : 0;
		if (run == 64 && !isxdigit((unsigned char)cg[i + 1])) {
			snprintf(id, idlen, "%.12s", cg + i - 63);
			return;
		}
	}
}

/* Run --on-alert without waiting for it: SIGCHLD reaps it. */
static void run_on_alert(struct app *a, const struct growth_event *ev, const char *kind)
{
	char pid[16], rate[32], limit[32];
	pid_t child;

	snprintf(pid, sizeof(pid), "%u", ev->tgid);
	snprintf(rate, sizeof(rate), "%.0f", ev->rate);
	snprintf(limit, sizeof(limit), "%.0f", ev->limit);
	child = fork();
	if (child < 0) {
		a->alerts_failed++;
		return;
	}
	if (child == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setenv("LEAKTRACE_PID", pid, 1);
		setenv("LEAKTRACE_KIND", kind, 1);
		setenv("LEAKTRACE_RATE", rate, 1);
		setenv("LEAKTRACE_LIMIT", limit, 1);
		execl("/bin/sh", "sh", "-c", a->opt.on_alert, (char *)NULL);
		_exit(127);
	}
	a->alerts_run++;
}

static unsigned growth_lt_kinds(enum growth_kind k)
{
	switch (k) {
	case GROWTH_MEM: return 1u << LT_KIND_MEM;
	case GROWTH_MAP: return 1u << LT_KIND_MAP;
	case GROWTH_FD: return 1u << LT_KIND_FD;
	case GROWTH_TIMER: return 1u << LT_KIND_TIMER;
	default: return 1u << LT_KIND_MEM | 1u << LT_KIND_MAP; /* rss: what the heap and maps gained */
	}
}

static void on_growth(void *ctx, const struct growth_event *ev)
{
	struct growth_ctx *c = ctx;
	struct app *a = c->a;
	char cg[256], id[16];
	struct report_alert al = {
		.recovered = ev->type == GROWTH_RECOVERED,
		.pid = ev->tgid,
		.comm = c->pi->comm,
		.kind = report__growth_kind_name(ev->kind),
		.bytes = ev->kind != GROWTH_FD && ev->kind != GROWTH_TIMER,
		.rate = ev->rate,
		.limit = ev->limit,
		.window_s = (double)ev->window_ns / 1e9,
		.total = ev->total,
		.time = time(NULL),
	};
	struct report *grown = NULL;
	FILE *f = a->opt.format == FMT_FOLDED ? stderr : a->out;

	read_cgroup(ev->tgid, cg, sizeof(cg), id, sizeof(id));
	al.cgroup = cg;
	al.container = id;
	if (al.recovered) {
		al.flagged_s = c->now > ev->flagged_ns ? (double)(c->now - ev->flagged_ns) / 1e9 : 0;
	} else if (!report__build_grown(a->agg, a->sym, ev->tgid, ev->since_ns,
					growth_lt_kinds(ev->kind) & a->opt.kinds, 5, c->now, &grown)) {
		al.stacks = grown->stacks;
		al.nstacks = grown->nstacks;
	}
	if (a->opt.format == FMT_JSON)
		report_json__alert(&al, f);
	else
		report_text__alert(&al, f);
	report__free(grown);
	/* growth raises one ALERT per flag, and a flag lasts a window at least. */
	if (!al.recovered && a->opt.on_alert)
		run_on_alert(a, ev, al.kind);
}

static void sample_growth(struct app *a, __u64 now)
{
	struct agg_proc_info *procs;
	struct growth_ctx c = { .a = a, .now = now };
	__u64 vals[GROWTH__MAX];
	size_t n, i;

	if (agg__procs(a->agg, &procs, &n))
		return;
	for (i = 0; i < n; i++) {
		if (procs[i].exited)
			continue;
		vals[GROWTH_MEM] = procs[i].mem_bytes;
		vals[GROWTH_MAP] = procs[i].map_bytes;
		vals[GROWTH_FD] = procs[i].fds;
		vals[GROWTH_TIMER] = procs[i].timers;
		vals[GROWTH_RSS] = procs[i].rss;
		c.pi = &procs[i];
		growth__sample(a->growth, procs[i].tgid, now, vals, on_growth, &c);
	}
	free(procs);
}

/*
 * A process whose exit event was lost (ring buffer full) would stay in every
 * report: before reporting, end the ones that no longer exist as their exit
 * event would have. (A reused pid is reset by its fork event, or after a loss
 * by the start-time check in agg.c.)
 */
static void reap_vanished(struct app *a)
{
	struct lt_event ev = { .type = LT_EV_EXIT };
	struct agg_proc_info *procs;
	size_t n, i;

	if (agg__procs(a->agg, &procs, &n))
		return;
	for (i = 0; i < n; i++) {
		if (procs[i].exited || !kill((pid_t)procs[i].tgid, 0) || errno != ESRCH)
			continue;
		ev.tgid = ev.tid = procs[i].tgid;
		ev.ts_ns = now_mono();
		agg__on_event(a->agg, &ev, sizeof(ev));
		growth__forget(a->growth, ev.tgid);
		if (a->host)
			symbolizer__forget(a->sym, ev.tgid);
	}
	free(procs);
}

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return a < b ? -1 : a > b;
}

/* Drop tracked fds that /proc/PID/fd no longer has: a report never shows a closed fd. */
static void reconcile_fds(struct app *a)
{
	struct agg_proc_info *procs;
	size_t n, i, nfds, cap = 0;
	int *fds = NULL, *grown;
	struct dirent *de;
	char path[64];
	DIR *d;

	if (agg__procs(a->agg, &procs, &n))
		return;
	for (i = 0; i < n; i++) {
		if (!procs[i].fds || procs[i].exited)
			continue;
		snprintf(path, sizeof(path), "/proc/%u/fd", procs[i].tgid);
		d = opendir(path);
		if (!d)
			continue; /* exiting: its exit event will clear it */
		nfds = 0;
		while ((de = readdir(d))) {
			if (de->d_name[0] < '0' || de->d_name[0] > '9')
				continue;
			if (nfds == cap) {
				cap = cap ? 2 * cap : 256;
				grown = realloc(fds, cap * sizeof(*fds));
				if (!grown)
					break;
				fds = grown;
			}
			fds[nfds++] = atoi(de->d_name);
		}
		closedir(d);
		if (nfds)
			qsort(fds, nfds, sizeof(*fds), cmp_int);
		agg__reconcile_fds(a->agg, procs[i].tgid, fds, nfds);
	}
	free(fds);
	free(procs);
}

static int render(const struct report *r, const struct render_opts *ro, enum out_format fmt,
		  FILE *f)
{
	switch (fmt) {
	case FMT_JSON:
		return report_json__write(r, ro, f);
	case FMT_FOLDED:
		return report_folded__write(r, ro, f);
	case FMT_PPROF:
		return report_pprof__write(r, ro, f);
	default:
		return report_text__write(r, ro, f);
	}
}

/*
 * --snapshot-dir: the report in every format, each file named by the time,
 * pid and a sequence number and created with O_EXCL: never overwritten.
 */
static void write_snapshots(struct app *a, const struct report *r, const struct render_opts *ro)
{
	static const struct {
		enum out_format fmt;
		const char *ext;
	} fmts[] = { { FMT_TEXT, "txt" }, { FMT_JSON, "jsonl" }, { FMT_FOLDED, "folded" },
		     { FMT_PPROF, "pb.gz" } };
	char stamp[32], path[PATH_MAX];
	struct tm tm;
	size_t i;
	FILE *f;
	int fd;

	gmtime_r(&r->summary.time, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(path, sizeof(path), "%s/leaktrace-%s-%d-%lu.%s", a->opt.snapshot_dir, stamp,
			 getpid(), a->reports, fmts[i].ext);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			fprintf(stderr, "leaktrace: warning: cannot write %s: %s\n", path,
				strerror(errno));
			if (fd >= 0)
				close(fd);
			continue;
		}
		if (render(r, ro, fmts[i].fmt, f))
			fprintf(stderr, "leaktrace: warning: cannot write %s\n", path);
		fclose(f);
	}
}

static int report(struct app *a, bool final)
{
	struct report_params p = {
		.now_ns = now_mono(),
		.min_age_ns = a->opt.min_age_ns,
		.kinds = a->opt.kinds,
		.top = a->opt.top,
		.final = final,
		.wall = time(NULL),
		.growth = a->growth,
		.delta = a->delta,
	};
	struct render_opts ro = {
		.no_pid = a->opt.no_pid,
		.value_count = a->opt.value_count,
		.two_column = a->opt.two_column,
		.delta = a->opt.delta,
	};
	struct report *r;
	int ret;

	if (final)
		drain(a, "the final report");
	else
		consume(a, SLICE_REPORT_NS, false);
	tracer__stats(a->tr, p.bpf);
	/* Syscall events whose stack may miss frames past a short sample (user space counts). */
	p.bpf[LT_STAT_LOST_STACKS] += a->stacks_cut;
	if (!a->cmd)
		reap_vanished(a); /* -c keeps exited processes for the final report */
	if (a->opt.kinds & (1u << LT_KIND_FD))
		reconcile_fds(a);
	ret = report__build(a->agg, a->sym, &p, &r);
	if (ret) {
		fprintf(stderr, "leaktrace: cannot build a report: %s\n", strerror(-ret));
		return ret;
	}
	/* pprof is one profile per file: intervals rewrite it, the last one stays. */
	if (a->opt.format == FMT_PPROF && a->reports && a->out != stdout) {
		fflush(a->out);
		if (ftruncate(fileno(a->out), 0) == 0)
			rewind(a->out);
	}
	ret = render(r, &ro, a->opt.format, a->out);
	if (a->opt.snapshot_dir)
		write_snapshots(a, r, &ro);
	report__free(r);
	fflush(a->out);
	if (ret || ferror(a->out)) {
		fprintf(stderr, "leaktrace: cannot write the report: %s\n",
			strerror(ret ? -ret : errno));
		return -EIO;
	}
	a->reports++;
	return 0;
}

/* Callbacks from command.c, run while a process of the command is stopped. */
static void cmd_before_stop(void *ctx)
{
	/* All of it: what is left would be handled after the old image is gone. */
	drain(ctx, "symbolizing the stopped process");
}

static void cmd_exec_stop(void *ctx, pid_t tgid)
{
	struct app *a = ctx;

	/*
	 * About to exec: the old image is whole for the last time. Its events are
	 * drained (cmd_before_stop) while it can still be unwound, and its map
	 * kept for what it leaves to the new image.
	 */
	symbolizer__snapshot(a->sym, tgid);
}

static void cmd_exit_stop(void *ctx, pid_t tgid)
{
	struct app *a = ctx;

	/* Its map is still there: the snapshot that lets its stacks resolve after exit. */
	symbolizer__snapshot(a->sym, tgid);
	snap_mark(a, tgid, false);
}

static int attach_found(void *ctx, pid_t pid, const char *path, dev_t dev, ino_t ino)
{
	struct app *a = ctx;
	char err[256];
	int ret;

	if (tracer__has_object(a->tr, dev, ino))
		return 0;
	ret = tracer__attach_object(a->tr, pid, path, dev, ino, err, sizeof(err));
	if (ret && ret != -EEXIST) {
		a->attach_errors++;
		fprintf(stderr, "leaktrace: warning: %s\n", err);
	} else if (!ret && a->opt.verbose) {
		fprintf(stderr, "leaktrace: attached to %s (mapped by pid %d)\n", path, pid);
	}
	return 0;
}

/* Does the command's program exist? Checked before forking so the error is ours, not sh's. */
static int check_command(const char *cmd, char *err, size_t errlen)
{
	static const char *const builtins[] = { "exec", "cd", ".", "source", "export", "set",
						"eval", "if", "for", "while", "case", "{", "(",
						"true", "false", "test", "[", "env", "ulimit",
						"nice", "time", "command", NULL };
	char word[256], full[PATH_MAX + 256], *path, *save = NULL, *dir;
	size_t n = strcspn(cmd, " \t\n");
	int i, ret;

	if (n == 0 || n >= sizeof(word) || cmd[strcspn(cmd, "'\"$`|;&<>(){}*?[]~=\\")] != 0)
		return 0; /* leave shell syntax to the shell */
	memcpy(word, cmd, n);
	word[n] = 0;
	for (i = 0; builtins[i]; i++)
		if (!strcmp(word, builtins[i]))
			return 0;
	if (strchr(word, '/')) {
		if (access(word, X_OK)) {
			ret = -errno;
			snprintf(err, errlen, "cannot run '%.256s': %s", word, strerror(-ret));
			return ret;
		}
		return 0;
	}
	path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	if (!path)
		return -ENOMEM;
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof(full), "%s/%s", dir, word);
		if (!access(full, X_OK)) {
			free(path);
			return 0;
		}
	}
	free(path);
	snprintf(err, errlen, "cannot run '%.256s': command not found", word);
	return -ENOENT;
}

static int setup_signals(struct app *a)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	a->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sfd < 0 || a->epfd < 0)
		return -errno;
	ev.data.fd = a->sfd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->sfd, &ev))
		return -errno;
	return 0;
}

static int add_ring_to_epoll(struct app *a)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.fd = tracer__epoll_fd(a->tr);
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev))
		return -errno;
	return 0;
}

/* Returns true when the loop must stop. */
static bool handle_signals(struct app *a)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(a->sfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGINT:
		case SIGTERM:
		case SIGHUP:
			stop = true;
			break;
		case SIGUSR1:
			report(a, false);
			break;
		case SIGCHLD:
			if (a->cmd)
				command__reap(a->cmd);
			else
				while (waitpid(-1, NULL, WNOHANG) > 0)
					; /* --on-alert commands */
			break;
		}
	}
	return stop;
}

static int run_loop(struct app *a, int *exit_code)
{
	__u64 start = now_mono(), next_report, deadline = 0, now, next_sample;
	__u64 sample_ns = a->opt.window_ns / GROWTH_SAMPLES;
	bool periodic = a->host || a->opt.npids || a->opt.interval_set;
	struct epoll_event evs[4];
	int timeout;
	bool more = false;

	next_report = start + a->opt.interval_ns;
	next_sample = start;
	if (a->opt.duration_ns)
		deadline = start + a->opt.duration_ns;
	for (;;) {
		now = now_mono();
		timeout = TICK_MS;
		if (periodic && next_report > now && (next_report - now) / 1000000 < (__u64)timeout)
			timeout = (next_report - now) / 1000000;
		if (next_sample > now && (next_sample - now) / 1000000 < (__u64)timeout)
			timeout = (next_sample - now) / 1000000;
		/* Records held back for their order are due within the margin. */
		if (tracer__held(a->tr) && timeout > (int)(RING_MARGIN_NS / 1000000) + 1)
			timeout = RING_MARGIN_NS / 1000000 + 1; /* whole ms: 1 */
		epoll_wait(a->epfd, evs, 4, more ? 0 : timeout);
		more = consume(a, SLICE_LOOP_NS, false);
		if (handle_signals(a))
			break;
		if (a->cmd) {
			command__reap(a->cmd);
			if (command__done(a->cmd, exit_code))
				break;
		}
		now = now_mono();
		if (now >= next_sample) {
			sample_growth(a, now);
			next_sample += sample_ns;
			if (next_sample <= now)
				next_sample = now + sample_ns;
		}
		if (deadline && now >= deadline)
			break;
		if (periodic && now >= next_report) {
			next_report += a->opt.interval_ns;
			if (next_report <= now)
				next_report = now + a->opt.interval_ns;
			if (a->opt.count && a->periodic + 1 >= a->opt.count)
				break; /* the last one is the final report */
			if (report(a, false))
				return 1;
			a->periodic++;
		}
	}
	return report(a, true) ? 1 : 0;
}

static int attach_objects(struct app *a)
{
	char err[256];
	int i, ret;

	for (i = 0; i < a->opt.nobjs; i++) {
		ret = tracer__attach_object(a->tr, 0, a->opt.objs[i], 0, 0, err, sizeof(err));
		if (ret && ret != -EEXIST) {
			die_runtime("--obj %s", err);
			return ret;
		}
	}
	if (a->opt.command) { /* the command starts with our libc; others are caught at exec */
		ret = objects__scan_libcs(getpid(), attach_found, a);
		if (ret)
			die_runtime("cannot read /proc/self/maps: %s", strerror(-ret));
		return ret;
	}
	if (a->opt.npids) {
		for (i = 0; i < a->opt.npids; i++) {
			ret = objects__scan_libcs(a->opt.pids[i], attach_found, a);
			if (ret) {
				die_runtime("process %d: cannot read /proc/%d/maps: %s", a->opt.pids[i],
					    a->opt.pids[i], strerror(-ret));
				return ret;
			}
		}
		return 0;
	}
	ret = objects__scan_libcs(0, attach_found, a);
	if (ret)
		die_runtime("cannot scan the processes' memory maps: %s", strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct app a = { .sfd = -1, .epfd = -1, .out = stdout };
	struct tracer_cfg cfg = {};
	struct agg_limits lim = {};
	struct command_cbs cbs = {};
	struct growth_cfg gcfg = {};
	char err[512];
	int ret, exit_code = 0, i;
	pid_t child = 0;

	ret = options__parse(&a.opt, argc, argv, stdout, stderr);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (geteuid() != 0) {
		die_runtime("must run as root (loading BPF needs CAP_BPF and CAP_PERFMON): try sudo");
		return 1;
	}
	for (i = 0; i < a.opt.npids; i++) {
		if (kill(a.opt.pids[i], 0) && errno == ESRCH) {
			die_runtime("no process with pid %d", a.opt.pids[i]);
			return 1;
		}
	}
	if (a.opt.command && check_command(a.opt.command, err, sizeof(err))) {
		die_runtime("%s", err);
		return 1;
	}
	if (a.opt.snapshot_dir && access(a.opt.snapshot_dir, W_OK)) {
		die_runtime("cannot write to --snapshot-dir %s: %s", a.opt.snapshot_dir,
			    strerror(errno));
		return 1;
	}
	a.host = !a.opt.npids && !a.opt.command;
	if (a.opt.output) {
		a.out = fopen(a.opt.output, "we");
		if (!a.out) {
			die_runtime("cannot open %s: %s", a.opt.output, strerror(errno));
			return 1;
		}
	}
	ret = 1;
	a.need_snap = calloc(PID_BITS / 8, 1);
	lim.max_tracked = a.opt.max_tracked;
	lim.max_stacks = a.opt.max_stacks;
	lim.keep_exited = a.opt.command != NULL;
	lim.start_of = proc_start;
	a.agg = agg__new(&lim);
	a.sym = symbolizer__new();
	gcfg.window_ns = a.opt.window_ns;
	gcfg.max_procs = 65536;
	for (i = 0; i < GROWTH__MAX; i++)
		gcfg.limit[i] = a.opt.limit[i];
	a.growth = growth__new(&gcfg);
	if (a.opt.delta)
		a.delta = delta__new();
	if (!a.need_snap || !a.agg || !a.sym || !a.growth || (a.opt.delta && !a.delta)) {
		die_runtime("out of memory");
		goto out;
	}
	if (setup_signals(&a)) {
		die_runtime("cannot set up signal handling: %s", strerror(errno));
		goto out;
	}
	cfg.filter_pids = !a.host;
	cfg.follow_forks = a.opt.command != NULL;
	cfg.stop_on_exec_map = a.opt.command != NULL;
	cfg.probe_floor = a.opt.probe_floor;
	cfg.every_event = a.opt.every_event;
	cfg.verbose = a.opt.verbose;
	cfg.kinds = a.opt.kinds;
	cfg.trace_rss = a.opt.limit[GROWTH_RSS] > 0;
	cfg.ringbuf_size = a.opt.ringbuf_size;
	cfg.max_frames = a.opt.max_frames;
	cfg.on_sample = on_sample;
	cfg.on_peek = on_peek;
	cfg.ctx = &a;
	if (tracer__new(&cfg, &a.tr, err, sizeof(err))) {
		die_runtime("%s", err);
		goto out;
	}
	for (i = 0; i < a.opt.npids; i++)
		tracer__add_pid(a.tr, a.opt.pids[i]);
	if (add_ring_to_epoll(&a)) {
		die_runtime("cannot poll the ring buffers: %s", strerror(errno));
		goto out;
	}
	if (a.opt.kinds & (1u << LT_KIND_MEM)) {
		if (attach_objects(&a))
			goto out;
		if (!tracer__nr_objects(a.tr)) {
			die_runtime("found no C library to trace%s",
				    a.attach_errors ? " (see the warnings above)" : "");
			goto out;
		}
	}
	if (a.opt.command) {
		cbs.on_exit_stop = cmd_exit_stop;
		cbs.on_exec_stop = cmd_exec_stop;
		cbs.before_stop = cmd_before_stop;
		cbs.ctx = &a;
		if (command__start(a.opt.command, &cbs, &a.cmd, &child, err, sizeof(err))) {
			die_runtime("%s", err);
			goto out;
		}
		tracer__add_pid(a.tr, child);
	}
	fprintf(stderr, "leaktrace: tracing %s: %d allocator object%s, %d probes; %s\n",
		a.host ? "every process" : a.opt.command ? "the command" : "the chosen processes",
		tracer__nr_objects(a.tr), tracer__nr_objects(a.tr) == 1 ? "" : "s",
		tracer__nr_links(a.tr),
		a.opt.command ? "the report comes at its exit" : "Ctrl-C for the final report");
	if (a.cmd && command__release(a.cmd)) {
		die_runtime("cannot start the command: %s", strerror(errno));
		goto out;
	}
	ret = run_loop(&a, &exit_code);
	if (!ret && a.opt.command)
		ret = exit_code;
out:
	command__free(a.cmd);
	tracer__free(a.tr);
	symbolizer__free(a.sym);
	agg__free(a.agg);
	growth__free(a.growth);
	delta__free(a.delta);
	free(a.need_snap);
	if (a.sfd >= 0)
		close(a.sfd);
	if (a.epfd >= 0)
		close(a.epfd);
	if (a.out && a.out != stdout)
		fclose(a.out);
	return ret;
}
