// SPDX-License-Identifier: GPL-2.0
/*
 * report_names.c - the names of resource kinds and fd kinds, as every output format and
 * the -k option spell them. One table each, so the formats cannot drift apart.
 */
#include "report.h"

static const char *const kind_names[LT_KIND__MAX] = {
	[LT_KIND_MEM] = "mem",
	[LT_KIND_MAP] = "map",
	[LT_KIND_FD] = "fd",
	[LT_KIND_TIMER] = "timer",
};

static const char *const fd_kind_names[LT_FD__MAX] = {
	[LT_FD_UNKNOWN] = "unknown",
	[LT_FD_FILE] = "file",
	[LT_FD_SOCKET] = "socket",
	[LT_FD_PIPE] = "pipe",
	[LT_FD_EVENTFD] = "eventfd",
	[LT_FD_EPOLL] = "epoll",
	[LT_FD_SIGNALFD] = "signalfd",
	[LT_FD_TIMERFD] = "timerfd",
	[LT_FD_INOTIFY] = "inotify",
	[LT_FD_MEMFD] = "memfd",
	[LT_FD_PIDFD] = "pidfd",
};

/* Out-of-range values come from a newer bpf/leaktrace.h or a corrupt model: never NULL. */
const char *report__kind_name(enum lt_kind kind)
{
	if ((unsigned int)kind >= LT_KIND__MAX || !kind_names[kind])
		return "unknown";
	return kind_names[kind];
}

const char *report__fd_kind_name(enum lt_fd_kind kind)
{
	if ((unsigned int)kind >= LT_FD__MAX || !fd_kind_names[kind])
		return "unknown";
	return fd_kind_names[kind];
}

const char *report__growth_kind_name(int kind)
{
	static const char *const names[] = { "mem", "map", "fd", "timer", "rss" };

	if (kind < 0 || kind >= (int)(sizeof(names) / sizeof(names[0])))
		return "unknown";
	return names[kind];
}
