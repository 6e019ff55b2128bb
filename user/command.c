// SPDX-License-Identifier: GPL-2.0
/*
 * command.c - run the -c command under ptrace.
 *
 * Why ptrace: a process's memory map is gone by the time an exit event is
 * read, so a short command could never be symbolized after it exits. The
 * PTRACE_EVENT_EXIT stop comes while the map is still there. The same ptrace
 * absorbs the SIGSTOP the BPF side sends while a new allocator object is
 * attached. Every other signal is passed on unchanged.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/wait.h>
#include <unistd.h>
#include "command.h"

struct command {
	pid_t pid;
	bool done;
	int exit_code;
	struct command_cbs cbs;
};

/*
 * A stop before every execve of the command's processes (SECCOMP_RET_TRACE,
 * seen as PTRACE_EVENT_SECCOMP): the last moment the old image can be read.
 * Without a tracer such a syscall would fail, so the tracer sets EXITKILL:
 * the command does not outlive it. Needs CAP_SYS_ADMIN (we are root); if the
 * filter cannot be set, the command runs without these stops.
 */
static void trap_exec(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execve, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_execveat, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
 * A command without shell syntax runs directly, so that the traced process is
 * the program itself and not a shell around it; anything else goes to /bin/sh.
 */
static void exec_command(const char *cmd)
{
	char *copy, *argv[256], *save = NULL, *w;
	int argc = 0;

	size_t first = strcspn(cmd, " \t");

	/* '=' needs the shell only in the first word (VAR=value cmd); env A=B cmd runs as is. */
	if (!strpbrk(cmd, "'\"$`|;&<>(){}*?[]~\\#\n") && !memchr(cmd, '=', first) &&
	    (copy = strdup(cmd))) {
		for (w = strtok_r(copy, " \t", &save); w && argc < 255; w = strtok_r(NULL, " \t", &save))
			argv[argc++] = w;
		argv[argc] = NULL;
		if (argc && argc < 255)
			execvp(argv[0], argv);
	}
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
}

int command__start(const char *cmd, const struct command_cbs *cbs, struct command **out,
		   pid_t *pid, char *err, size_t errlen)
{
	struct command *c;
	int st;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->cbs = *cbs;
	c->pid = fork();
	if (c->pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		free(c);
		return -errno;
	}
	if (c->pid == 0) {
		sigset_t none;

		/* The tracer blocks the signals it reads from a signalfd: not the command's. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(127);
		raise(SIGSTOP);
		trap_exec();
		exec_command(cmd);
		_exit(127);
	}
	if (waitpid(c->pid, &st, __WALL) != c->pid || !WIFSTOPPED(st)) {
		snprintf(err, errlen, "the command did not start");
		free(c);
		return -ECHILD;
	}
	if (ptrace(PTRACE_SETOPTIONS, c->pid, NULL,
		   (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
				  PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
				  PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL))) {
		snprintf(err, errlen, "cannot ptrace the command: %s", strerror(errno));
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &st, __WALL);
		free(c);
		return -errno;
	}
	*pid = c->pid;
	*out = c;
	return 0;
}

int command__release(struct command *c)
{
	if (ptrace(PTRACE_CONT, c->pid, NULL, NULL))
		return -errno;
	return 0;
}

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	pid_t tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

/* Which signal to pass on from a signal-delivery stop (0: swallow it). */
static int signal_to_pass(pid_t tid, int sig)
{
	siginfo_t si;

	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si))
		return 0; /* a group-stop, not a signal to deliver */
	/* Stops that are ours: the BPF side's (SI_KERNEL) and a new child's initial one. */
	if (sig == SIGSTOP && (si.si_code == SI_KERNEL || (si.si_code == SI_USER && !si.si_pid)))
		return 0;
	if (sig == SIGTRAP && si.si_code == SI_USER && !si.si_pid)
		return 0;
	return sig;
}

void command__reap(struct command *c)
{
	int st, ev, pass;
	pid_t pid, tgid;

	while ((pid = waitpid(-1, &st, WNOHANG | __WALL)) > 0) {
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == c->pid) {
				c->done = true;
				c->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			}
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		if (c->cbs.before_stop)
			c->cbs.before_stop(c->cbs.ctx);
		ev = st >> 16;
		pass = 0;
		if (ev == PTRACE_EVENT_EXIT) {
			tgid = tgid_of(pid);
			if (tgid == pid && c->cbs.on_exit_stop)
				c->cbs.on_exit_stop(c->cbs.ctx, tgid);
		} else if (ev == PTRACE_EVENT_SECCOMP) {
			tgid = tgid_of(pid);
			if (tgid > 0 && c->cbs.on_exec_stop)
				c->cbs.on_exec_stop(c->cbs.ctx, tgid);
		} else if (!ev) {
			pass = signal_to_pass(pid, WSTOPSIG(st));
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)pass);
	}
}

bool command__done(const struct command *c, int *exit_code)
{
	if (c->done)
		*exit_code = c->exit_code;
	return c->done;
}

void command__free(struct command *c)
{
	int st;

	if (!c)
		return;
	if (!c->done) {
		kill(c->pid, SIGKILL);
		while (waitpid(-1, &st, __WALL) > 0)
			;
	}
	free(c);
}
