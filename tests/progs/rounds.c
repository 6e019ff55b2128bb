// SPDX-License-Identifier: GPL-2.0
/*
 * rounds.c - leaks in two rounds, each started when a file appears, for delta
 * reports: round_one leaks 10 x 100 bytes, round_two 7 x 300. Holds until
 * killed (SIGTERM/SIGINT end it) or 60 s.
 * Usage: rounds GO1 READY1 GO2 READY2
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *volatile keep[32];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void wait_for(const char *path)
{
	int i;

	for (i = 0; i < 6000 && !stop && access(path, F_OK); i++)
		usleep(10000);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	if (f)
		fclose(f);
}

__attribute__((noinline)) static void round_one(void)
{
	int i;

	for (i = 0; i < 10; i++)
		keep[i] = malloc(100);
}

__attribute__((noinline)) static void round_two(void)
{
	int i;

	for (i = 0; i < 7; i++)
		keep[10 + i] = malloc(300);
}

int main(int argc, char **argv)
{
	int i;

	if (argc != 5) {
		fprintf(stderr, "usage: rounds GO1 READY1 GO2 READY2\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	wait_for(argv[1]);
	round_one();
	touch(argv[2]);
	wait_for(argv[3]);
	round_two();
	touch(argv[4]);
	for (i = 0; i < 6000 && !stop; i++)
		usleep(10000);
	return 0;
}
