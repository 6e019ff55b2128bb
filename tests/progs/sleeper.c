// SPDX-License-Identifier: GPL-2.0
/*
 * sleeper.c - a thread whose last allocator call is a malloc it keeps, and
 * which then sleeps: leaktrace holds a thread's last allocation in the kernel
 * until the thread's next allocator call, and this thread makes none. The
 * allocation must be sent when the thread leaves the CPU.
 *
 *   sleeper GO READY   wait until GO exists, leak LEAK_N x LEAK_SZ bytes from
 *                      leak_last (the last one being the last allocator call),
 *                      create READY (raw syscalls, no stdio), sleep until
 *                      SIGTERM, SIGINT or SIGUSR1, or 60 s
 *   sleeper GO READY --spin CPU
 *                      the same, but on CPU at SCHED_FIFO priority 1, and
 *                      after READY the thread runs on without a syscall or an
 *                      allocation for up to 3 s (nothing else runs there, so
 *                      it does not leave the CPU): the allocation must be sent
 *                      by leaktrace's tick; then it sleeps as above. READY
 *                      holds the thread's context switches counted just after
 *                      its last malloc: a reader comparing them with
 *                      /proc/PID/status knows whether it left the CPU since
 *   sleeper --expect   the leak, as leaky --expect prints it
 */
#include <sched.h>
#include <sys/resource.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEAK_N	5
#define LEAK_SZ 123

static void *volatile keep[LEAK_N];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static __attribute__((noinline)) void leak_last(void)
{
	int i;

	for (i = 0; i < LEAK_N; i++)
		keep[i] = malloc(LEAK_SZ);
}

/* READY, whole when it appears: n in decimal (no stdio: it may allocate). */
static int ready_count(const char *ready, long n)
{
	char tmp[4096], num[24];
	int fd, i = sizeof(num);
	ssize_t len;

	num[--i] = '\n';
	do
		num[--i] = '0' + n % 10;
	while ((n /= 10) && i > 0);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", ready) >= (int)sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	len = write(fd, num + i, sizeof(num) - i);
	close(fd);
	return len == (ssize_t)(sizeof(num) - i) ? rename(tmp, ready) : -1;
}

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 }, t0, t1;
	struct sched_param prio = { .sched_priority = 1 };
	struct sigaction sa;
	struct rusage ru;
	cpu_set_t cpus;
	int i, fd, spin;

	if (argc == 2 && !strcmp(argv[1], "--expect")) {
		printf("{\"func\":\"leak_last\",\"bytes\":%d,\"count\":%d}\n", LEAK_N * LEAK_SZ, LEAK_N);
		return 0;
	}
	spin = argc == 5 && !strcmp(argv[3], "--spin");
	if (argc != 3 && !spin) {
		fprintf(stderr, "usage: sleeper GO READY [--spin CPU] | sleeper --expect\n");
		return 2;
	}
	if (spin) {
		CPU_ZERO(&cpus);
		CPU_SET(atoi(argv[4]), &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) ||
		    sched_setscheduler(0, SCHED_FIFO, &prio)) {
			fprintf(stderr, "sleeper: --spin: CPU %s at SCHED_FIFO 1: %s\n", argv[4],
				strerror(errno));
			return 3;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < 6000 && !stop && access(argv[1], F_OK); i++)
		nanosleep(&ts, NULL);
	leak_last();
	if (spin) {
		getrusage(RUSAGE_THREAD, &ru);
		if (ready_count(argv[2], ru.ru_nvcsw + ru.ru_nivcsw))
			return 1;
	} else {
		fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return 1;
		close(fd);
	}
	/* The vDSO's clock: no syscall, nothing that would leave the CPU. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (spin && !stop) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= 3)
			break;
	}
	for (i = 0; i < 6000 && !stop; i++)
		nanosleep(&ts, NULL);
	return keep[LEAK_N - 1] ? 0 : 1;
}
