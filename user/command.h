/* SPDX-License-Identifier: GPL-2.0 */
/*
 * command.h - the -c command: started held until every probe is attached,
 * followed with ptrace so that each of its processes can be looked at when it
 * exits (its mappings still there) and held while a new allocator object it
 * maps is attached.
 *
 * Owns: the child processes' ptrace state and their exit status. Must not:
 * read the ring buffer or print reports (callbacks do that in main).
 */
#ifndef LEAKTRACE_COMMAND_H
#define LEAKTRACE_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

struct command;

struct command_cbs {
	/* A process of the command (tgid) is exiting; its memory map is still readable. */
	void (*on_exit_stop)(void *ctx, pid_t tgid);
	/* A process of the command (tgid) is about to exec; the old image is still there. */
	void (*on_exec_stop)(void *ctx, pid_t tgid);
	/* A stop is about to be handled: drain what the BPF side said first. */
	void (*before_stop)(void *ctx);
	void *ctx;
};

/*
 * Fork CMD (run directly, or through /bin/sh -c when it has shell syntax), held
 * before exec. Returns 0 and the child's pid in *pid,
 * or a negative errno with a message in err.
 */
int command__start(const char *cmd, const struct command_cbs *cbs, struct command **out,
		   pid_t *pid, char *err, size_t errlen);
/* Let it exec and run. */
int command__release(struct command *c);
/* Handle every pending child state change (call on SIGCHLD). */
void command__reap(struct command *c);
/* Has the command (the first process) exited? Its status as an exit code (128+sig). */
bool command__done(const struct command *c, int *exit_code);
/* Kill and reap it (the tracer is stopping early). */
void command__free(struct command *c);

#endif /* LEAKTRACE_COMMAND_H */
