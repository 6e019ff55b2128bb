/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fdleaky.c - a test program that leaks known numbers of file descriptors and
 * POSIX timers through every fd-creating call leaktrace traces, and creates
 * and gives back thousands more.
 *
 * Each leak_* function leaks a distinct number of fds (or timers) of one fd
 * kind, so a tracer that mixes up callers, kinds or counts shows it. The
 * churn_* functions give back everything they take, or leave only what exec
 * closes (close-on-exec fds, POSIX timers), or only mark fds close-on-exec, or
 * re-mask a signalfd: no stack may name them. Leaked fds stay open until the
 * process exits; the kernel closing them at exit is not the program closing
 * them.
 *
 * The program runs in two images of itself. The first image leaks a few fds
 * that survive exec (leak_before_exec: plain; leak_cloexec_cleared: opened
 * O_CLOEXEC, flag cleared with F_SETFD), opens many close-on-exec fds (every
 * kind, every way of setting the flag) at numbers >= FLOOR that the second
 * image never reaches, so a tracer that forgot them at exec cannot be rescued
 * by the reuse of their numbers, creates POSIX timers that exec deletes, and
 * then execs itself with --after-exec. The surviving fds are still held at
 * exit, so they are leaks, reported against the function of the first image
 * that opened them. The second image does everything else.
 *
 * The truth is printed by the program itself (--expect), after the workload:
 *   {"func":"leak_open","kind":"fd","count":3,"fd_kinds":{"file":3},"paths":[...]}
 *   {"func":"leak_timers","kind":"timer","count":23}
 *   {"func":"churn_files","kind":"fd","count":0}
 * count 0: no stack may name that function. "paths" (files and sockets only)
 * lists paths that must be among the stack's sample paths; the other kinds
 * carry none that a test should rely on. The program checks its own work
 * (every call that should succeed did, every leaked fd is still open, exec
 * closed exactly the close-on-exec fds) and exits 3 if not.
 *
 * Usage: fdleaky [--expect] [--dir DIR]
 *   --expect     print the expected table as JSON Lines on stdout at the end
 *   --dir DIR    make the files there (an existing directory, at most 60
 *                characters; left in place); default: a new directory under
 *                /tmp, removed at the end
 *   --after-exec (internal) the second image
 * It raises RLIMIT_NOFILE to 4096 (fds up to ~3300 are used). Nothing is
 * printed on stdout without --expect. Exit 0 on success.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1u << 2)
#endif

#define NOINLINE __attribute__((noinline))

/* Close-on-exec fds of the first image live at FLOOR and up; the second image stays below. */
#define FLOOR	    1000
#define NOFILE_WANT 4096
/* Fresh numbers for dup2 (nothing else gets there), and the closefrom region. */
#define DUP2_FRESH 450
#define FCNTL_MIN  300
#define CLOSEFROM  3000 /* above the first image's close-on-exec fds: it must not sweep them */

#define MAXFD	 40
#define MAXPATHS 5

enum {
	E_WEIRD_PATH,
	E_BEFORE_EXEC,
	E_OPEN,
	E_OPENAT,
	E_CREAT,
	E_RAW_OPENAT,
	E_TCP,
	E_UNIX_DGRAM,
	E_DUP,
	E_SOCKETPAIR,
	E_DUP2_FRESH,
	E_PIPE,
	E_FCNTL_DUPFD,
	E_PIPE2,
	E_DUP2_OVER,
	E_EVENTFD,
	E_EPOLL,
	E_SIGNALFD,
	E_INOTIFY,
	E_MEMFD,
	E_PIDFD,
	E_TIMERFD,
	E_TIMERS,
	E_CLOEXEC_CLEARED,
	E_IN_THREAD,
	E_RAW_OPEN,
	E_RAW_CREAT,
	E_ACCEPT,
	/* nothing outstanding from these */
	E_CHURN_FILES,
	E_CHURN_FAILED,
	E_CHURN_RAW,
	E_CHURN_SOCKETS,
	E_CHURN_PIPES,
	E_CHURN_DUP,
	E_CHURN_DUP2_OVER,
	E_CHURN_DUP2_TARGETS,
	E_CHURN_MISC,
	E_CHURN_SIGNALFD_REMASK,
	E_CHURN_MARK_CLOEXEC,
	E_CHURN_ACCEPT_SETUP,
	E_CHURN_TIMERS,
	E_CHURN_THREAD_OPEN,
	E_CHURN_THREAD,
	E_CHURN_CLOSE_RANGE,
	E_CHURN_CLOSEFROM,
	E_CHURN_FILL_LOW,
	E_CHURN_CLOEXEC,
	E_CHURN_SETFD_CLOEXEC,
	E_CHURN_CLOSE_RANGE_CLOEXEC,
	E_CHURN_TIMERS_EXEC,
	E_CHURN_CHECK_EXEC,
	E_CHURN_CLEANUP,
	E_CHURN_FREE_LOW,
	E_CHURN_ACCEPT_CLOSE,
	E_CHURN_TOUCH,
	E__MAX
};

/* One row of the expected table. */
struct expect {
	const char *func;
	const char *kind;	     /* "fd" or "timer" */
	unsigned long count;	     /* 0: no stack may name func */
	const char *fd_kind;	     /* the one fd kind of all its fds */
	const char *paths[MAXPATHS]; /* must be among the sample paths (set at run time) */
};

static struct expect expect[E__MAX] = {
    [E_WEIRD_PATH] = {"leak_weird_path", "fd", 1, "file", {0}},
    [E_BEFORE_EXEC] = {"leak_before_exec", "fd", 2, "file", {0}},
    [E_OPEN] = {"leak_open", "fd", 3, "file", {0}},
    [E_OPENAT] = {"leak_openat", "fd", 4, "file", {0}},
    [E_CREAT] = {"leak_creat", "fd", 5, "file", {0}},
    [E_RAW_OPENAT] = {"leak_raw_openat", "fd", 6, "file", {0}},
    [E_TCP] = {"leak_tcp_sockets", "fd", 7, "socket", {"inet/stream"}},
    [E_UNIX_DGRAM] = {"leak_unix_dgram", "fd", 8, "socket", {"unix/dgram"}},
    [E_DUP] = {"leak_dup", "fd", 9, "file", {0}},
    [E_SOCKETPAIR] = {"leak_socketpairs", "fd", 10, "socket", {"unix/stream"}},
    [E_DUP2_FRESH] = {"leak_dup2_fresh", "fd", 11, "pipe", {0}},
    [E_PIPE] = {"leak_pipes", "fd", 12, "pipe", {0}},
    [E_FCNTL_DUPFD] = {"leak_fcntl_dupfd", "fd", 13, "socket", {"inet/stream"}},
    [E_PIPE2] = {"leak_pipe2", "fd", 14, "pipe", {0}},
    [E_DUP2_OVER] = {"leak_dup2_over", "fd", 15, "file", {0}},
    [E_EVENTFD] = {"leak_eventfd", "fd", 16, "eventfd", {0}},
    [E_EPOLL] = {"leak_epoll", "fd", 17, "epoll", {0}},
    [E_SIGNALFD] = {"leak_signalfd", "fd", 18, "signalfd", {0}},
    [E_INOTIFY] = {"leak_inotify", "fd", 19, "inotify", {0}},
    [E_MEMFD] = {"leak_memfd", "fd", 20, "memfd", {0}},
    [E_PIDFD] = {"leak_pidfd", "fd", 21, "pidfd", {0}},
    [E_TIMERFD] = {"leak_timerfd", "fd", 22, "timerfd", {0}},
    [E_TIMERS] = {"leak_timers", "timer", 23, NULL, {0}},
    [E_CLOEXEC_CLEARED] = {"leak_cloexec_cleared", "fd", 24, "file", {0}},
    [E_IN_THREAD] = {"leak_in_thread", "fd", 25, "file", {0}},
    [E_RAW_OPEN] = {"leak_raw_open", "fd", 26, "file", {0}},
    [E_RAW_CREAT] = {"leak_raw_creat", "fd", 27, "file", {0}},
    [E_ACCEPT] = {"leak_accept", "fd", 28, "socket", {0}},
    [E_CHURN_FILES] = {"churn_files", "fd", 0, NULL, {0}},
    [E_CHURN_FAILED] = {"churn_failed", "fd", 0, NULL, {0}},
    [E_CHURN_RAW] = {"churn_raw", "fd", 0, NULL, {0}},
    [E_CHURN_SOCKETS] = {"churn_sockets", "fd", 0, NULL, {0}},
    [E_CHURN_PIPES] = {"churn_pipes", "fd", 0, NULL, {0}},
    [E_CHURN_DUP] = {"churn_dup", "fd", 0, NULL, {0}},
    [E_CHURN_DUP2_OVER] = {"churn_dup2_over", "fd", 0, NULL, {0}},
    [E_CHURN_DUP2_TARGETS] = {"churn_dup2_targets", "fd", 0, NULL, {0}},
    [E_CHURN_MISC] = {"churn_misc", "fd", 0, NULL, {0}},
    [E_CHURN_SIGNALFD_REMASK] = {"churn_signalfd_remask", "fd", 0, NULL, {0}},
    [E_CHURN_MARK_CLOEXEC] = {"churn_mark_cloexec", "fd", 0, NULL, {0}},
    [E_CHURN_ACCEPT_SETUP] = {"churn_accept_setup", "fd", 0, NULL, {0}},
    [E_CHURN_TIMERS] = {"churn_timers", "timer", 0, NULL, {0}},
    [E_CHURN_THREAD_OPEN] = {"churn_thread_open", "fd", 0, NULL, {0}},
    [E_CHURN_THREAD] = {"churn_thread", "fd", 0, NULL, {0}},
    [E_CHURN_CLOSE_RANGE] = {"churn_close_range", "fd", 0, NULL, {0}},
    [E_CHURN_CLOSEFROM] = {"churn_closefrom", "fd", 0, NULL, {0}},
    [E_CHURN_FILL_LOW] = {"churn_fill_low", "fd", 0, NULL, {0}},
    [E_CHURN_CLOEXEC] = {"churn_cloexec", "fd", 0, NULL, {0}},
    [E_CHURN_SETFD_CLOEXEC] = {"churn_setfd_cloexec", "fd", 0, NULL, {0}},
    [E_CHURN_CLOSE_RANGE_CLOEXEC] = {"churn_close_range_cloexec", "fd", 0, NULL, {0}},
    [E_CHURN_TIMERS_EXEC] = {"churn_timers_exec", "timer", 0, NULL, {0}},
    [E_CHURN_CHECK_EXEC] = {"churn_check_exec", "fd", 0, NULL, {0}},
    [E_CHURN_CLEANUP] = {"churn_cleanup", "fd", 0, NULL, {0}},
    [E_CHURN_FREE_LOW] = {"churn_free_low", "fd", 0, NULL, {0}},
    [E_CHURN_ACCEPT_CLOSE] = {"churn_accept_close", "fd", 0, NULL, {0}},
    [E_CHURN_TOUCH] = {"churn_touch", "fd", 0, NULL, {0}},
};

/* The fds each leak_* function leaked (second image), to check they are still open. */
static int leaked[E__MAX][MAXFD];
static int nleaked[E__MAX];
static timer_t leaked_timers[MAXFD];

static char dir[PATH_MAX];
static int own_dir; /* made by us: removed at the end */
static int broken;  /* the program's own checks failed */
/* The file with a space, a newline, a ';' and an escape byte in its name. */
static const char weird_name[] = "we ird\n;\x1b[1mtail.txt";

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fdleaky: self-check failed: %s (errno %d: %s)\n", what, errno,
			strerror(errno));
		broken = 1;
	}
}

/* dir/NAME (static buffers, a few in rotation, so several can be live in one call). */
static const char *path_of(const char *name)
{
	static char bufs[8][PATH_MAX + 64];
	static unsigned int next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof(bufs[0]), "%s/%s", dir, name);
	return b;
}

static const char *pathf(const char *fmt, int i)
{
	char name[64];

	snprintf(name, sizeof(name), fmt, i);
	return path_of(name);
}

/* Remember an expected sample path of row e (copied: path_of buffers rotate). */
static void expect_path(int e, const char *path)
{
	for (int i = 0; i < MAXPATHS; i++) {
		if (expect[e].paths[i] && !strcmp(expect[e].paths[i], path))
			return;
		if (!expect[e].paths[i]) {
			expect[e].paths[i] = strdup(path);
			return;
		}
	}
	check(0, "expect_path: more than MAXPATHS paths");
}

/* Record a leaked fd of row e. */
static void keep(int e, int fd)
{
	check(fd >= 0, expect[e].func);
	if (nleaked[e] < MAXFD)
		leaked[e][nleaked[e]++] = fd;
	else
		check(0, "keep: leaked[] full");
}

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* Create the file (closed again) so that plain opens of it succeed. */
static NOINLINE void churn_touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	check(fd >= 0, path);
	if (fd >= 0)
		close(fd);
}

/* close_range() over each run of consecutive numbers in fds[0..n) (sorted here). */
static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void close_runs(int *fds, int n, unsigned int flags)
{
	qsort(fds, n, sizeof(int), cmp_int);
	for (int i = 0; i < n;) {
		int j = i;

		while (j + 1 < n && fds[j + 1] == fds[j] + 1)
			j++;
		check(close_range(fds[i], fds[j], flags) == 0, "close_range");
		i = j + 1;
	}
}

/* ---------------- first image ---------------- */

static NOINLINE void leak_before_exec(void)
{
	for (int i = 0; i < 2; i++) {
		const char *p = pathf("before-exec-%d", i);

		churn_touch(p);
		check(open(p, O_RDONLY) >= 0, "leak_before_exec");
	}
}

/* Opened close-on-exec, the flag then cleared: the fd survives exec. */
static NOINLINE void leak_cloexec_cleared(void)
{
	const char *p = path_of("cloexec-cleared");

	churn_touch(p);
	for (int i = 0; i < 24; i++) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		check(fd >= 0 && fcntl(fd, F_SETFD, 0) == 0, "leak_cloexec_cleared");
	}
}

/* Fill every free number below FLOOR with close-on-exec dups, so that what follows lands
 * at FLOOR and up. Returns how many; they are given back by churn_free_low(). */
static int low[FLOOR];
static int nlow;

static NOINLINE void churn_fill_low(void)
{
	int base = open("/dev/null", O_RDONLY | O_CLOEXEC);

	check(base >= 0, "churn_fill_low: open /dev/null");
	for (;;) {
		int fd = fcntl(base, F_DUPFD_CLOEXEC, 0);

		if (fd < 0) {
			check(0, "churn_fill_low: F_DUPFD_CLOEXEC");
			break;
		}
		if (fd >= FLOOR) {
			close(fd);
			break;
		}
		low[nlow++] = fd;
	}
	check(close(base) == 0, "churn_fill_low: close");
	/* the number of base is free again: take it too */
	low[nlow] = fcntl(low[0], F_DUPFD_CLOEXEC, 0);
	check(low[nlow] >= 0 && low[nlow] < FLOOR, "churn_fill_low: refill");
	nlow++;
}

static NOINLINE void churn_free_low(void)
{
	close_runs(low, nlow, 0);
}

/* Every kind of fd, made close-on-exec at creation, left open: exec closes them all. */
static NOINLINE void churn_cloexec(void)
{
	sigset_t mask;
	int p[2], sv[2], fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	for (int i = 0; i < 10; i++) {
		const char *path = pathf("cloexec-%d", i);

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		check(fd >= FLOOR, "churn_cloexec: open");
		check(openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC) >= FLOOR,
		      "churn_cloexec: openat");
		check(dup3(fd, FLOOR + 500 + i, O_CLOEXEC) == FLOOR + 500 + i,
		      "churn_cloexec: dup3");
		check(fcntl(fd, F_DUPFD_CLOEXEC, FLOOR) >= FLOOR, "churn_cloexec: F_DUPFD_CLOEXEC");
		check(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) >= FLOOR,
		      "churn_cloexec: socket");
		check(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0 && sv[0] >= FLOOR,
		      "churn_cloexec: socketpair");
		check(pipe2(p, O_CLOEXEC) == 0 && p[0] >= FLOOR, "churn_cloexec: pipe2");
		check(eventfd(0, EFD_CLOEXEC) >= FLOOR, "churn_cloexec: eventfd");
		check(epoll_create1(EPOLL_CLOEXEC) >= FLOOR, "churn_cloexec: epoll_create1");
		check(signalfd(-1, &mask, SFD_CLOEXEC) >= FLOOR, "churn_cloexec: signalfd");
		check(inotify_init1(IN_CLOEXEC) >= FLOOR, "churn_cloexec: inotify_init1");
		check(memfd_create("fdleaky-cloexec", MFD_CLOEXEC) >= FLOOR,
		      "churn_cloexec: memfd");
		check(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) >= FLOOR,
		      "churn_cloexec: timerfd");
		/* a pidfd is always close-on-exec */
		check(syscall(SYS_pidfd_open, getpid(), 0) >= FLOOR, "churn_cloexec: pidfd_open");
	}
}

/* Opened without the flag, then marked close-on-exec with F_SETFD: exec closes them. */
static NOINLINE void churn_setfd_cloexec(void)
{
	for (int i = 0; i < 10; i++) {
		int fd = open(pathf("cloexec-%d", i), O_RDONLY);
		int p[2];

		check(fd >= FLOOR && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0, "churn_setfd_cloexec");
		check(pipe(p) == 0 && fcntl(p[0], F_SETFD, FD_CLOEXEC) == 0 &&
			  fcntl(p[1], F_SETFD, FD_CLOEXEC) == 0,
		      "churn_setfd_cloexec: pipe");
		fd = dup(fd);
		check(fd >= FLOOR && fcntl(fd, F_SETFD, FD_CLOEXEC) == 0,
		      "churn_setfd_cloexec: dup");
	}
}

/* A block opened without the flag, marked close-on-exec by close_range(): exec closes it. */
static NOINLINE void churn_close_range_cloexec(void)
{
	int fds[30];

	for (int i = 0; i < 30; i++) {
		fds[i] = i % 3 ? open(pathf("cloexec-%d", i % 10), O_RDONLY) : eventfd(0, 0);
		check(fds[i] >= FLOOR, "churn_close_range_cloexec: open");
	}
	close_runs(fds, 30, CLOSE_RANGE_CLOEXEC);
}

/* POSIX timers are deleted at exec. */
static NOINLINE void churn_timers_exec(void)
{
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};

	for (int i = 0; i < 7; i++) {
		timer_t t;

		check(timer_create(CLOCK_MONOTONIC, &sev, &t) == 0, "churn_timers_exec");
	}
}

static void raise_nofile(void)
{
	struct rlimit rl;

	check(getrlimit(RLIMIT_NOFILE, &rl) == 0, "getrlimit");
	if (rl.rlim_cur >= NOFILE_WANT)
		return;
	rl.rlim_cur = NOFILE_WANT;
	if (rl.rlim_max < NOFILE_WANT)
		rl.rlim_max = NOFILE_WANT;
	check(setrlimit(RLIMIT_NOFILE, &rl) == 0, "setrlimit(RLIMIT_NOFILE, 4096)");
}

static NOINLINE void first_image(int want_expect)
{
	char self[PATH_MAX];
	ssize_t n;
	char *argv[6];
	int argc = 0;

	raise_nofile();
	leak_before_exec();
	leak_cloexec_cleared();
	churn_fill_low();
	churn_cloexec();
	churn_setfd_cloexec();
	churn_close_range_cloexec();
	churn_timers_exec();
	churn_free_low();
	if (broken)
		exit(3);

	/* Exec the file itself, not /proc/self/exe: the comm comes from the name. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	check(n > 0, "readlink /proc/self/exe");
	if (n <= 0)
		exit(3);
	self[n] = 0;
	argv[argc++] = self;
	argv[argc++] = "--after-exec";
	argv[argc++] = "--dir";
	argv[argc++] = dir;
	if (want_expect)
		argv[argc++] = "--expect";
	argv[argc] = NULL;
	if (own_dir)
		setenv("FDLEAKY_OWN_DIR", "1", 1);
	execv(self, argv);
	check(0, "execv");
	exit(3);
}

/* ---------------- second image ---------------- */

/* Exec kept the plain fds and the one whose flag was cleared, and closed all the others. */
static NOINLINE void churn_check_exec(void)
{
	char want_before[2][PATH_MAX + 64], want_cleared[PATH_MAX + 64], link[PATH_MAX + 64];
	int before = 0, cleared = 0, high = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	snprintf(want_before[0], sizeof(want_before[0]), "%s", pathf("before-exec-%d", 0));
	snprintf(want_before[1], sizeof(want_before[1]), "%s", pathf("before-exec-%d", 1));
	snprintf(want_cleared, sizeof(want_cleared), "%s", path_of("cloexec-cleared"));
	check(d != NULL, "opendir /proc/self/fd");
	if (!d)
		return;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		char name[80];
		ssize_t n;

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (fd >= FLOOR)
			high++;
		snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
		n = readlink(name, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = 0;
		before += !strcmp(link, want_before[0]) || !strcmp(link, want_before[1]);
		cleared += !strcmp(link, want_cleared);
	}
	closedir(d);
	check(before == 2, "exec closed a plain fd of the first image");
	check(cleared == 24, "exec closed an fd whose close-on-exec flag was cleared");
	check(high == 0, "exec left a close-on-exec fd open");
}

static NOINLINE void leak_open(void)
{
	for (int i = 0; i < 3; i++) {
		const char *p = pathf("open-%d", i);

		churn_touch(p);
		keep(E_OPEN, open(p, O_RDONLY));
		expect_path(E_OPEN, p);
	}
}

/* An absolute path through a real directory fd (the path is taken as given). */
static NOINLINE void leak_openat(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	check(dfd >= 0, "leak_openat: open dir");
	for (int i = 0; i < 4; i++) {
		const char *p = pathf("openat-%d", i);

		keep(E_OPENAT, openat(dfd, p, O_RDWR | O_CREAT, 0644));
		expect_path(E_OPENAT, p);
	}
	check(close(dfd) == 0, "leak_openat: close dir");
}

static NOINLINE void leak_creat(void)
{
	for (int i = 0; i < 5; i++) {
		const char *p = pathf("creat-%d", i);

		keep(E_CREAT, creat(p, 0644));
		expect_path(E_CREAT, p);
	}
}

/* Raw syscalls: frames[0] is the function calling libc's syscall(). */
static NOINLINE void leak_raw_openat(void)
{
	const char *p = path_of("raw-openat");

	churn_touch(p);
	for (int i = 0; i < 6; i++)
		keep(E_RAW_OPENAT, (int)syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
	expect_path(E_RAW_OPENAT, p);
}

static NOINLINE void leak_raw_open(void)
{
	const char *p = path_of("raw-open");

	churn_touch(p);
	for (int i = 0; i < 26; i++)
		keep(E_RAW_OPEN, (int)syscall(SYS_open, p, O_RDONLY));
	expect_path(E_RAW_OPEN, p);
}

static NOINLINE void leak_raw_creat(void)
{
	const char *p = path_of("raw-creat");

	for (int i = 0; i < 27; i++)
		keep(E_RAW_CREAT, (int)syscall(SYS_creat, p, 0644));
	expect_path(E_RAW_CREAT, p);
}

static NOINLINE void leak_weird_path(void)
{
	const char *p = path_of(weird_name);

	keep(E_WEIRD_PATH, open(p, O_RDWR | O_CREAT, 0644));
	expect_path(E_WEIRD_PATH, p);
}

static NOINLINE void leak_tcp_sockets(void)
{
	for (int i = 0; i < 7; i++)
		keep(E_TCP, socket(AF_INET, SOCK_STREAM, 0));
}

static NOINLINE void leak_unix_dgram(void)
{
	for (int i = 0; i < 8; i++)
		keep(E_UNIX_DGRAM, socket(AF_UNIX, SOCK_DGRAM, 0));
}

static NOINLINE void leak_socketpairs(void)
{
	for (int i = 0; i < 5; i++) {
		int sv[2] = {-1, -1};

		check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "leak_socketpairs");
		keep(E_SOCKETPAIR, sv[0]);
		keep(E_SOCKETPAIR, sv[1]);
	}
}

static NOINLINE void leak_pipes(void)
{
	for (int i = 0; i < 6; i++) {
		int p[2] = {-1, -1};

		/* glibc's pipe() is the pipe2 syscall: the pipe syscall too */
		check((i % 2 ? syscall(SYS_pipe, p) : pipe(p)) == 0, "leak_pipes");
		keep(E_PIPE, p[0]);
		keep(E_PIPE, p[1]);
	}
}

static NOINLINE void leak_pipe2(void)
{
	for (int i = 0; i < 7; i++) {
		int p[2] = {-1, -1};

		check(pipe2(p, O_NONBLOCK) == 0, "leak_pipe2");
		keep(E_PIPE2, p[0]);
		keep(E_PIPE2, p[1]);
	}
}

/* dup() of a file that is then closed: the dups carry the file's kind and path. */
static NOINLINE void leak_dup(void)
{
	const char *p = path_of("dup-src");
	int src = open(p, O_RDWR | O_CREAT, 0644);

	check(src >= 0, "leak_dup: open");
	for (int i = 0; i < 9; i++)
		keep(E_DUP, dup(src));
	check(close(src) == 0, "leak_dup: close");
	expect_path(E_DUP, p);
}

/* dup2() of a pipe's read end to numbers that were free. */
static NOINLINE void leak_dup2_fresh(void)
{
	int p[2];

	check(pipe(p) == 0, "leak_dup2_fresh: pipe");
	for (int i = 0; i < 11; i++) {
		int want = DUP2_FRESH + i;

		check(!is_open(want), "leak_dup2_fresh: target number in use");
		keep(E_DUP2_FRESH, dup2(p[0], want));
	}
	check(close(p[0]) == 0 && close(p[1]) == 0, "leak_dup2_fresh: close");
}

static NOINLINE void leak_fcntl_dupfd(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);

	check(s >= 0, "leak_fcntl_dupfd: socket");
	for (int i = 0; i < 13; i++)
		keep(E_FCNTL_DUPFD, fcntl(s, F_DUPFD, FCNTL_MIN));
	check(close(s) == 0, "leak_fcntl_dupfd: close");
}

/* eventfds that leak_dup2_over replaces: none of them is outstanding in the end. */
static NOINLINE void churn_dup2_targets(int *t, int n)
{
	for (int i = 0; i < n; i++) {
		t[i] = eventfd(0, 0);
		check(t[i] >= 0, "churn_dup2_targets");
	}
}

/* dup2() over open fds: the old ones are closed, the new ones count here. */
static NOINLINE void leak_dup2_over(void)
{
	const char *p = path_of("dup2-over-src");
	int t[15], src;

	churn_dup2_targets(t, 15);
	src = open(p, O_RDWR | O_CREAT, 0644);
	check(src >= 0, "leak_dup2_over: open");
	for (int i = 0; i < 15; i++)
		keep(E_DUP2_OVER, dup2(src, t[i]));
	check(close(src) == 0, "leak_dup2_over: close");
	expect_path(E_DUP2_OVER, p);
}

static NOINLINE void leak_eventfd(void)
{
	for (int i = 0; i < 16; i++)
		/* glibc's eventfd() is the eventfd2 syscall: the eventfd syscall too */
		keep(E_EVENTFD, i % 2 ? (int)syscall(SYS_eventfd, i) : eventfd(i, EFD_NONBLOCK));
}

static NOINLINE void leak_epoll(void)
{
	for (int i = 0; i < 17; i++)
		keep(E_EPOLL, i % 2 ? epoll_create1(0) : epoll_create(1));
}

static NOINLINE void leak_signalfd(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	for (int i = 0; i < 18; i++)
		/* glibc's signalfd() is the signalfd4 syscall: the signalfd syscall too */
		keep(E_SIGNALFD, i % 2 ? (int)syscall(SYS_signalfd, -1, &mask, 8)
				       : signalfd(-1, &mask, SFD_NONBLOCK));
}

static NOINLINE void leak_inotify(void)
{
	for (int i = 0; i < 19; i++)
		keep(E_INOTIFY, i % 2 ? inotify_init1(IN_NONBLOCK) : inotify_init());
}

static NOINLINE void leak_memfd(void)
{
	for (int i = 0; i < 20; i++)
		keep(E_MEMFD, memfd_create("fdleaky-memfd", 0));
}

static NOINLINE void leak_pidfd(void)
{
	for (int i = 0; i < 21; i++)
		keep(E_PIDFD, (int)syscall(SYS_pidfd_open, getpid(), 0));
}

static NOINLINE void leak_timerfd(void)
{
	for (int i = 0; i < 22; i++)
		keep(E_TIMERFD, timerfd_create(CLOCK_MONOTONIC, 0));
}

static NOINLINE void leak_timers(void)
{
	struct sigevent sev = {.sigev_notify = SIGEV_NONE};

	for (int i = 0; i < 23; i++)
		check(timer_create(CLOCK_MONOTONIC, &sev, &leaked_timers[nleaked[E_TIMERS]++]) == 0,
		      "leak_timers");
}

/* A listening socket and clients, all closed by churn_accept_close. */
struct accept_setup {
	int lfd, cli[28];
};

static NOINLINE void churn_accept_setup(struct accept_setup *a)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path_of("sock"));
	unlink(sa.sun_path);
	a->lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	check(a->lfd >= 0, "churn_accept_setup: socket");
	check(bind(a->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "churn_accept_setup: bind");
	check(listen(a->lfd, 64) == 0, "churn_accept_setup: listen");
	for (int i = 0; i < 28; i++) {
		a->cli[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		check(a->cli[i] >= 0 && connect(a->cli[i], (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "churn_accept_setup: connect");
	}
}

static NOINLINE void churn_accept_close(struct accept_setup *a)
{
	check(close(a->lfd) == 0, "churn_accept_close: listener");
	for (int i = 0; i < 28; i++)
		check(close(a->cli[i]) == 0, "churn_accept_close: client");
}

static NOINLINE void leak_accept(void)
{
	struct accept_setup a;

	churn_accept_setup(&a);
	for (int i = 0; i < 28; i++)
		keep(E_ACCEPT, i % 2 ? accept(a.lfd, NULL, NULL) : accept4(a.lfd, NULL, NULL, 0));
	churn_accept_close(&a);
}

static NOINLINE void leak_in_thread(void)
{
	const char *p = path_of("thread");

	churn_touch(p);
	for (int i = 0; i < 25; i++)
		keep(E_IN_THREAD, open(p, O_RDONLY));
	expect_path(E_IN_THREAD, p);
}

static void *thread_leak(void *arg)
{
	(void)arg;
	leak_in_thread();
	return NULL;
}

/* Opened in another thread, closed by the main one. */
static int thread_fds[300];

static NOINLINE void churn_thread_open(void)
{
	for (int i = 0; i < 300; i++) {
		thread_fds[i] = i % 2 ? open(path_of("thread"), O_RDONLY) : eventfd(0, 0);
		check(thread_fds[i] >= 0 && thread_fds[i] < FLOOR, "churn_thread_open");
	}
}

static void *thread_churn(void *arg)
{
	(void)arg;
	churn_thread_open();
	return NULL;
}

static NOINLINE void churn_thread(void)
{
	pthread_t t;

	check(pthread_create(&t, NULL, thread_churn, NULL) == 0, "churn_thread: create");
	check(pthread_join(t, NULL) == 0, "churn_thread: join");
	for (int i = 0; i < 300; i++)
		check(close(thread_fds[i]) == 0, "churn_thread: close");
}

static NOINLINE void churn_files(void)
{
	const char *p = path_of("churn");
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	check(dfd >= 0, "churn_files: dir");
	for (int i = 0; i < 1500; i++) {
		int a = open(p, O_RDWR | O_CREAT, 0644);
		int b = openat(dfd, "churn", O_RDONLY);
		int c = creat(pathf("churn-%d", i % 7), 0644);

		check(a >= 0 && b >= 0 && c >= 0, "churn_files: open");
		check(close(c) == 0 && close(b) == 0 && close(a) == 0, "churn_files: close");
	}
	check(close(dfd) == 0, "churn_files: close dir");
}

/* Calls that fail open nothing; closes that fail close nothing. */
static NOINLINE void churn_failed(void)
{
	for (int i = 0; i < 500; i++) {
		check(open(path_of("no-such-file"), O_RDONLY) < 0, "churn_failed: open");
		check(socket(AF_INET, SOCK_STREAM, 12345) < 0, "churn_failed: socket");
		check(dup(-1) < 0, "churn_failed: dup");
		check(close(DUP2_FRESH - 1) < 0 && errno == EBADF, "churn_failed: close");
		check(close(-1) < 0, "churn_failed: close(-1)");
	}
}

static NOINLINE void churn_raw(void)
{
	const char *p = path_of("churn");

	for (int i = 0; i < 500; i++) {
		long a = syscall(SYS_openat, AT_FDCWD, p, O_RDONLY);
		long b = syscall(SYS_open, p, O_RDONLY);
		long c = syscall(SYS_creat, pathf("churn-%d", i % 7), 0644);

		check(a >= 0 && b >= 0 && c >= 0, "churn_raw: open");
		check(syscall(SYS_close, a) == 0 && syscall(SYS_close, b) == 0 &&
			  syscall(SYS_close, c) == 0,
		      "churn_raw: close");
	}
}

static NOINLINE void churn_sockets(void)
{
	for (int i = 0; i < 400; i++) {
		int s = socket(i % 2 ? AF_INET : AF_INET6, i % 3 ? SOCK_STREAM : SOCK_DGRAM, 0);
		int u = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		int sv[2];

		check(s >= 0 && u >= 0, "churn_sockets: socket");
		check(socketpair(AF_UNIX, i % 2 ? SOCK_STREAM : SOCK_SEQPACKET, 0, sv) == 0,
		      "churn_sockets: socketpair");
		check(close(s) == 0 && close(u) == 0 && close(sv[0]) == 0 && close(sv[1]) == 0,
		      "churn_sockets: close");
	}
}

static NOINLINE void churn_pipes(void)
{
	for (int i = 0; i < 500; i++) {
		int p[2], q[2];

		check(pipe(p) == 0 && pipe2(q, O_NONBLOCK) == 0, "churn_pipes: pipe");
		check(close(p[0]) == 0 && close(p[1]) == 0 && close(q[1]) == 0 && close(q[0]) == 0,
		      "churn_pipes: close");
	}
}

static NOINLINE void churn_dup(void)
{
	int src = open(path_of("churn"), O_RDONLY);

	check(src >= 0, "churn_dup: open");
	for (int i = 0; i < 400; i++) {
		int a = dup(src);
		int b = dup2(src, DUP2_FRESH + 20 + i % 10);
		int c = dup3(src, DUP2_FRESH + 31, O_CLOEXEC);
		int d = fcntl(src, F_DUPFD, FCNTL_MIN + 100);
		int e = fcntl(src, F_DUPFD_CLOEXEC, 10);

		check(a >= 0 && b >= 0 && c >= 0 && d >= 0 && e >= 0, "churn_dup: dup");
		check(dup2(src, src) == src, "churn_dup: dup2(fd, fd)");
		check(close(a) == 0 && close(b) == 0 && close(c) == 0 && close(d) == 0 &&
			  close(e) == 0,
		      "churn_dup: close");
	}
	check(close(src) == 0, "churn_dup: close src");
}

/* dup2() and dup3() over open fds of another kind, everything closed in the end. */
static NOINLINE void churn_dup2_over(void)
{
	for (int i = 0; i < 400; i++) {
		int a = open(path_of("churn"), O_RDONLY);
		int b = eventfd(0, 0);
		int p[2];

		check(a >= 0 && b >= 0 && pipe(p) == 0, "churn_dup2_over: open");
		check(dup2(a, b) == b, "churn_dup2_over: dup2");
		check(dup3(p[0], a, 0) == a, "churn_dup2_over: dup3");
		check(close(p[0]) == 0 && close(p[1]) == 0 && close(a) == 0 && close(b) == 0,
		      "churn_dup2_over: close");
	}
}

static NOINLINE void churn_misc(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	for (int i = 0; i < 200; i++) {
		int fds[9], n = 0;

		fds[n++] = eventfd(0, 0);
		fds[n++] = epoll_create1(0);
		fds[n++] = epoll_create(4);
		fds[n++] = signalfd(-1, &mask, 0);
		fds[n++] = inotify_init1(0);
		fds[n++] = memfd_create("fdleaky-churn", 0);
		fds[n++] = (int)syscall(SYS_pidfd_open, getpid(), 0);
		fds[n++] = timerfd_create(CLOCK_REALTIME, 0);
		fds[n++] = inotify_init();
		for (int j = 0; j < n; j++)
			check(fds[j] >= 0, "churn_misc: create");
		check(signalfd(fds[3], &mask, 0) == fds[3], "churn_misc: signalfd re-mask");
		for (int j = n - 1; j >= 0; j--)
			check(close(fds[j]) == 0, "churn_misc: close");
	}
}

/* signalfd(fd, ...) on an existing signalfd changes its mask; it opens nothing. */
static NOINLINE void churn_signalfd_remask(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR2);
	for (int i = 0; i < nleaked[E_SIGNALFD]; i++)
		check(signalfd(leaked[E_SIGNALFD][i], &mask, 0) == leaked[E_SIGNALFD][i],
		      "churn_signalfd_remask");
}

/* Marking fds close-on-exec closes nothing: they are still held at exit. */
static NOINLINE void churn_mark_cloexec(void)
{
	int fds[MAXFD];

	for (int i = 0; i < nleaked[E_EPOLL]; i++)
		check(fcntl(leaked[E_EPOLL][i], F_SETFD, FD_CLOEXEC) == 0, "churn_mark_cloexec");
	memcpy(fds, leaked[E_TIMERFD], sizeof(int) * nleaked[E_TIMERFD]);
	close_runs(fds, nleaked[E_TIMERFD], CLOSE_RANGE_CLOEXEC);
}

static NOINLINE void churn_timers(void)
{
	struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};

	for (int i = 0; i < 1000; i++) {
		timer_t t[3];

		sev.sigev_notify = i % 2 ? SIGEV_SIGNAL : SIGEV_NONE;
		for (int j = 0; j < 3; j++)
			check(timer_create(j ? CLOCK_MONOTONIC : CLOCK_REALTIME, &sev, &t[j]) == 0,
			      "churn_timers: create");
		for (int j = 2; j >= 0; j--)
			check(timer_delete(t[j]) == 0, "churn_timers: delete");
	}
}

/* Blocks of fds of every kind, given back by close_range() over each run of numbers. */
static NOINLINE void churn_close_range(void)
{
	for (int round = 0; round < 25; round++) {
		int fds[64], n = 0;

		while (n < 64) {
			int p[2];

			fds[n++] = open(path_of("churn"), O_RDONLY);
			fds[n++] = socket(AF_UNIX, SOCK_STREAM, 0);
			fds[n++] = eventfd(0, 0);
			check(pipe(p) == 0, "churn_close_range: pipe");
			fds[n++] = p[0];
			fds[n++] = p[1];
			fds[n++] = memfd_create("fdleaky-range", 0);
			fds[n++] = timerfd_create(CLOCK_MONOTONIC, 0);
			fds[n++] = dup(fds[0]);
		}
		for (int i = 0; i < n; i++)
			check(fds[i] >= 0, "churn_close_range: open");
		close_runs(fds, n, 0);
	}
}

/* closefrom(CLOSEFROM): close_range up to ~0U, over fds placed there with F_DUPFD. */
static NOINLINE void churn_closefrom(void)
{
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 40; i++) {
			int a = i % 2 ? open(path_of("churn"), O_RDONLY) : eventfd(0, 0);

			check(a >= 0 && fcntl(a, F_DUPFD, CLOSEFROM + i * 7) >= CLOSEFROM &&
				  close(a) == 0,
			      "churn_closefrom: open");
		}
		check(close_range(CLOSEFROM, ~0U, 0) == 0, "churn_closefrom: close_range");
	}
}

/* Remove the directory we made (nothing is held open by this). */
static NOINLINE void churn_cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(dir);
}

/* Every leaked fd is still open, and as many as expected. */
static void check_leaks(void)
{
	expect_path(E_BEFORE_EXEC, pathf("before-exec-%d", 0));
	expect_path(E_BEFORE_EXEC, pathf("before-exec-%d", 1));
	expect_path(E_CLOEXEC_CLEARED, path_of("cloexec-cleared"));
	nleaked[E_BEFORE_EXEC] = 2;	 /* checked by churn_check_exec */
	nleaked[E_CLOEXEC_CLEARED] = 24; /* likewise */
	for (int e = 0; e < E__MAX; e++) {
		char what[128];

		snprintf(what, sizeof(what), "%s: made %d, expected %lu", expect[e].func,
			 nleaked[e], expect[e].count);
		check((unsigned long)nleaked[e] == expect[e].count, what);
		if (e == E_BEFORE_EXEC || e == E_CLOEXEC_CLEARED || e == E_TIMERS)
			continue;
		for (int i = 0; i < nleaked[e]; i++) {
			snprintf(what, sizeof(what), "%s: fd %d is not open at the end",
				 expect[e].func, leaked[e][i]);
			check(is_open(leaked[e][i]), what);
		}
	}
	for (int i = 0; i < nleaked[E_TIMERS]; i++)
		check(timer_getoverrun(leaked_timers[i]) >= 0, "leak_timers: timer gone");
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_expect(void)
{
	for (int e = 0; e < E__MAX; e++) {
		printf("{\"func\":\"%s\",\"kind\":\"%s\",\"count\":%lu", expect[e].func,
		       expect[e].kind, expect[e].count);
		if (expect[e].count && expect[e].fd_kind)
			printf(",\"fd_kinds\":{\"%s\":%lu}", expect[e].fd_kind, expect[e].count);
		if (expect[e].count && expect[e].paths[0]) {
			printf(",\"paths\":[");
			for (int i = 0; i < MAXPATHS && expect[e].paths[i]; i++) {
				if (i)
					putchar(',');
				json_str(expect[e].paths[i]);
			}
			putchar(']');
		}
		printf("}\n");
	}
}

static NOINLINE void second_image(int want_expect)
{
	pthread_t t;

	churn_check_exec();
	churn_files();
	churn_failed();
	churn_raw();
	leak_open();
	leak_openat();
	leak_creat();
	leak_raw_openat();
	leak_raw_open();
	leak_raw_creat();
	leak_weird_path();
	churn_sockets();
	leak_tcp_sockets();
	leak_unix_dgram();
	leak_socketpairs();
	leak_accept();
	churn_pipes();
	leak_pipes();
	leak_pipe2();
	churn_dup();
	churn_dup2_over();
	leak_dup();
	leak_dup2_fresh();
	leak_fcntl_dupfd();
	leak_dup2_over();
	churn_misc();
	leak_eventfd();
	leak_epoll();
	leak_signalfd();
	leak_inotify();
	leak_memfd();
	leak_pidfd();
	leak_timerfd();
	churn_signalfd_remask();
	churn_mark_cloexec();
	churn_timers();
	leak_timers();
	check(pthread_create(&t, NULL, thread_leak, NULL) == 0 && pthread_join(t, NULL) == 0,
	      "leak_in_thread: thread");
	churn_thread();
	churn_close_range();
	churn_closefrom();
	check_leaks();
	if (want_expect) {
		print_expect();
		fflush(stdout);
	}
	if (own_dir)
		churn_cleanup();
}

static int usage(void)
{
	fprintf(stderr, "usage: fdleaky [--expect] [--dir DIR]\n");
	return 2;
}

int main(int argc, char **argv)
{
	int want_expect = 0, after_exec = 0;
	const char *d = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--expect"))
			want_expect = 1;
		else if (!strcmp(argv[i], "--after-exec"))
			after_exec = 1;
		else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			d = argv[++i];
		else
			return usage();
	}
	if (d) {
		struct stat st;

		if (stat(d, &st) || !S_ISDIR(st.st_mode) || strlen(d) > 60) {
			fprintf(stderr, "fdleaky: --dir %s: not a directory (or longer than 60)\n",
				d);
			return 2;
		}
		snprintf(dir, sizeof(dir), "%s", d);
		own_dir = after_exec && getenv("FDLEAKY_OWN_DIR");
	} else if (after_exec) {
		return usage();
	} else {
		snprintf(dir, sizeof(dir), "/tmp/fdleaky.XXXXXX");
		if (!mkdtemp(dir)) {
			perror("fdleaky: mkdtemp");
			return 3;
		}
		own_dir = 1;
	}

	if (!after_exec)
		first_image(want_expect); /* does not return */
	second_image(want_expect);
	return broken ? 3 : 0;
}
