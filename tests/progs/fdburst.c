// SPDX-License-Identifier: GPL-2.0
/*
 * fdburst.c - a burst of fd events larger than its CPU's ring holds in full
 * records, for the shortened stack samples the BPF side sends while a ring is
 * filling (bpf/leaktrace.bpf.c, sys_ring_busy()).
 *
 *   fdburst KEEP CHURN   prints "READY PID", waits for SIGUSR1, then opens
 *                        /dev/null KEEP times in burst_open() keeping the fds,
 *                        and CHURN times in churn_open() closing each, prints
 *                        "DONE KEPT" and waits for SIGUSR1 again to exit 0.
 *
 * The test stops the tracer during the burst, so nothing is consumed until it
 * is over: every record must fit in the ring at once.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static void wait_usr1(const sigset_t *unblocked)
{
	while (!go)
		sigsuspend(unblocked);
	go = 0;
}

__attribute__((noinline)) static int burst_open(void)
{
	return open("/dev/null", O_RDONLY);
}

__attribute__((noinline)) static void churn_open(void)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	int keep = argc > 1 ? atoi(argv[1]) : 700, churn = argc > 2 ? atoi(argv[2]) : 1300;
	int i, kept = 0;
	sigset_t block, old;

	signal(SIGUSR1, on_usr1);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	printf("READY %d\n", (int)getpid());
	fflush(stdout);
	wait_usr1(&old);
	for (i = 0; i < keep; i++)
		kept += burst_open() >= 0;
	for (i = 0; i < churn; i++)
		churn_open();
	printf("DONE %d\n", kept);
	fflush(stdout);
	wait_usr1(&old);
	return kept == keep ? 0 : 1;
}
