// SPDX-License-Identifier: GPL-2.0
/*
 * stacktop.c - an fd opened by a thread whose stack ends right above it: the
 * KiB of stack a syscall event samples runs past the top into an unreadable
 * page. The sample must still hold what lies below the top (the open
 * wrapper's frame and the return address into open_at_top), so frames[0] is
 * open_at_top and no stack is lost.
 *
 *   stacktop   clone a child (CLONE_VM) on a 3-page stack that ends 64 bytes
 *              below a PROT_NONE page; it opens /dev/null and keeps it
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static __attribute__((noinline)) int open_at_top(void)
{
	return open("/dev/null", O_RDONLY); /* leaked */
}

static int child(void *arg)
{
	(void)arg;
	return open_at_top() < 0;
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st;

	if (m == MAP_FAILED || mprotect(m + 3 * pg, pg, PROT_NONE))
		return 1;
	pid = clone(child, m + 3 * pg - 64, CLONE_VM | SIGCHLD, NULL);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
