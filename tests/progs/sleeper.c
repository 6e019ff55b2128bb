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
 *   sleeper --expect   the leak, as leaky --expect prints it
 */
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

int main(int argc, char **argv)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct sigaction sa;
	int i, fd;

	if (argc == 2 && !strcmp(argv[1], "--expect")) {
		printf("{\"func\":\"leak_last\",\"bytes\":%d,\"count\":%d}\n", LEAK_N * LEAK_SZ, LEAK_N);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: sleeper GO READY | sleeper --expect\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (i = 0; i < 6000 && !stop && access(argv[1], F_OK); i++)
		nanosleep(&ts, NULL);
	leak_last();
	fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 1;
	close(fd);
	for (i = 0; i < 6000 && !stop; i++)
		nanosleep(&ts, NULL);
	return keep[LEAK_N - 1] ? 0 : 1;
}
