/* SPDX-License-Identifier: GPL-2.0 */
/*
 * leaktrace.h - the single definition of what crosses the ring buffer.
 *
 * Included by the BPF programs (bpf/leaktrace.bpf.c) and by user space (user/).
 * Only fixed-width types; no pointers; no kernel or libc headers beyond the
 * __u* types, which both sides already have.
 */
#ifndef LEAKTRACE_H
#define LEAKTRACE_H

#define LT_MAX_FRAMES 32
#define LT_COMM_LEN 16
#define LT_PATH_LEN 256
#define LT_STACK_WORDS 128 /* user stack sampled at a syscall: CFI steps, then a walk in it */
#define LT_STACK_WORDS_BUSY 32 /* ... while the CPU's ring is filling faster than it drains */

/* Event types. A record is a struct lt_event followed by nframes u64 frames. */
enum lt_ev_type {
	LT_EV_ALLOC = 1,   /* addr = new block, size, frames[] = user stack, frames[0] = caller */
	LT_EV_FREE = 2,    /* addr = block given back */
	LT_EV_REALLOC = 3, /* old_addr freed, addr allocated with size and frames[] */
	LT_EV_FORK = 4,    /* tgid = parent, aux = child tgid, comm = child comm,
			    * size = child's start (ns since boot, the clock of /proc/PID/stat) */
	LT_EV_EXEC = 5,    /* tgid execs a new image, comm = new comm */
	LT_EV_EXIT = 6,    /* the whole thread group is gone (last thread exited) */
	LT_EV_EXEC_MAP = 7,/* tgid maps a file not seen before executable: aux = fd, size = kernel
			    * dev (major << 20 | minor), old_addr = inode */
	LT_EV_MAP = 8,     /* mmap: addr, size = length, frames[] */
	LT_EV_UNMAP = 9,   /* munmap: addr, size = length (may be partial) */
	LT_EV_MREMAP = 10, /* old_addr, aux = old length, addr, size = new length */
	LT_EV_FD_OPEN = 11,   /* addr = fd, aux = enum lt_fd_kind | family << 8 | type << 24 */
	LT_EV_FD_CLOSE = 12,  /* addr = fd */
	LT_EV_FD_CLOSE_RANGE = 13, /* addr = first fd, size = last fd (inclusive), aux = flags */
	LT_EV_TIMER_CREATE = 14,   /* addr = timer id, frames[] */
	LT_EV_TIMER_DELETE = 15,   /* addr = timer id */
	LT_EV_FD_CLOEXEC = 16,     /* addr = fd marked close-on-exec (aux = 1) or cleared (aux = 0) */
	LT_EV_RSS = 17,            /* size = resident set size in bytes (file + anon + shmem) */
	LT_EV__MAX
};

/* lt_event.flags */
#define LT_F_STACK_LOST (1u << 0) /* stack capture failed: frames[] holds at most the caller */
#define LT_F_CLOEXEC (1u << 1)    /* fd opened close-on-exec */
#define LT_F_SYS_EXTRA (1u << 2)  /* a struct lt_sys_extra follows (at LT_SYS_EXTRA_OFF
				   * once user/sysrec.c has laid the record out) */
#define LT_F_DUP (1u << 3)        /* FD_OPEN is a duplicate of fd old_addr: same kind and path */
#define LT_F_AFTER_LOSS (1u << 4) /* events were lost (ring full) since the last event sent */
#define LT_F_PAIR (1u << 5)       /* FD_OPEN of two fds, addr and old_addr (pipe, socketpair) */
#define LT_F_HELD (1u << 6)       /* ALLOC held back in the thread until its next
				   * allocation, switch, exec, exit or a free of its
				   * address after another thread's: aux = when it was
				   * made (ts_ns is when it was sent) */

/* /proc/PID/stat counts a process's start in USER_HZ ticks: 100 per second. */
#define LT_TICK_NS 10000000ull

enum lt_fd_kind {
	LT_FD_UNKNOWN = 0,
	LT_FD_FILE,
	LT_FD_SOCKET,
	LT_FD_PIPE,
	LT_FD_EVENTFD,
	LT_FD_EPOLL,
	LT_FD_SIGNALFD,
	LT_FD_TIMERFD,
	LT_FD_INOTIFY,
	LT_FD_MEMFD,
	LT_FD_PIDFD,
	LT_FD__MAX
};

/*
 * Our numbering of the traced syscalls (not the kernel's: it differs per
 * arch): the BPF cookie of each syscall tracepoint, and the argument record's tag.
 */
enum lt_sc {
	SC_OPEN = 1, SC_OPENAT, SC_OPENAT2, SC_CREAT, SC_SOCKET, SC_SOCKETPAIR, SC_ACCEPT,
	SC_ACCEPT4, SC_DUP, SC_DUP2, SC_DUP3, SC_FCNTL, SC_PIPE, SC_PIPE2, SC_EVENTFD,
	SC_EVENTFD2, SC_EPOLL_CREATE, SC_EPOLL_CREATE1, SC_SIGNALFD, SC_SIGNALFD4,
	SC_TIMERFD_CREATE, SC_INOTIFY_INIT, SC_INOTIFY_INIT1, SC_MEMFD_CREATE, SC_PIDFD_OPEN,
	SC_CLOSE, SC_CLOSE_RANGE, SC_TIMER_CREATE, SC_TIMER_DELETE, SC_MMAP, SC_MUNMAP,
	SC_MREMAP,
};

/* Kinds of resource (the -k option and report rows). */
enum lt_kind {
	LT_KIND_MEM = 0,
	LT_KIND_MAP,
	LT_KIND_FD,
	LT_KIND_TIMER,
	LT_KIND__MAX
};

struct lt_event {
	__u32 type;    /* enum lt_ev_type */
	__u32 tgid;    /* process */
	__u32 tid;     /* thread */
	__u16 nframes; /* frames that follow */
	__u16 flags;   /* LT_F_* */
	__u64 ts_ns;   /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 addr;
	__u64 old_addr;
	__u64 size;
	__u64 aux;
	char comm[LT_COMM_LEN]; /* lifecycle events only */
	__u64 frames[];         /* innermost first */
};

/*
 * Syscall events (fd, timer, map) carry the user registers and the top of the
 * user stack: at a syscall inside a libc wrapper the kernel's frame-pointer walk
 * skips the wrapper's caller, which user space recovers with one CFI unwind
 * step.
 *
 * In memory (the BPF side builds it, user space works on it) the frames area
 * is padded to LT_MAX_FRAMES so that this sits at a fixed place, the path is
 * LT_PATH_LEN bytes and the sample comes last: LT_SYS_STACK_OFF + 8 *
 * stack_words bytes. On the wire only what is used is sent, in this order:
 * the event and its nframes frames; the first LT_SYS_WIRE_HDR bytes of this
 * struct; path_len bytes of path rounded up to 8; stack_words words of the
 * sample. The padding was two fifths of a 1.6 KiB record, and the cost of a
 * record is mostly its bytes. user/sysrec.c puts the rest back in place; the
 * sample is read where it is.
 */
struct lt_sys_extra {
	__u64 ip, sp, bp;
	__u32 stack_words;           /* words of stack[] read, and sent */
	__u32 path_len;              /* bytes of path[] read, its NUL included; as sent and
				      * after user/sysrec.c: rounded up to 8 */
	__u64 alt_bp;                /* bp's walk failed: frames[1..] were walked from this
				      * word of the stack instead (a saved %rbp, a guess that
				      * user space checks against the CFI); 0 if not */
	char path[LT_PATH_LEN];      /* FD_OPEN of a file: the path as given; else empty */
	__u64 stack[LT_STACK_WORDS]; /* user memory from sp up */
};

#define LT_SYS_WIRE_HDR __builtin_offsetof(struct lt_sys_extra, path)
#define LT_SYS_EXTRA_OFF (sizeof(struct lt_event) + LT_MAX_FRAMES * sizeof(__u64))
#define LT_SYS_STACK_OFF (LT_SYS_EXTRA_OFF + __builtin_offsetof(struct lt_sys_extra, stack))
#define LT_SYS_EVENT_LEN (LT_SYS_EXTRA_OFF + sizeof(struct lt_sys_extra))

/* A file as the kernel names it: (s_dev, i_ino). s_dev is major << 20 | minor. */
struct lt_obj_key {
	__u64 dev;
	__u64 ino;
};

/* Counters kept per CPU in the BPF "stats" array; user space sums them. */
enum lt_stat {
	LT_STAT_LOST_EVENTS = 0, /* ring buffer full: record dropped */
	LT_STAT_LOST_STACKS,    /* record kept, frames may be missing: user space adds the
				 * syscall events whose unwind ran past a short stack sample */
	LT_STAT_INFLIGHT_FULL,  /* per-thread argument map full: call not traced */
	LT_STAT_NESTED,         /* allocator calls made inside another (not counted twice) */
	LT_STAT_SYSARGS_FULL,   /* per-thread syscall argument map full: syscall not traced */
	LT_STAT_SHORT_LIVED,    /* allocations freed by their thread before its next
				 * allocation: neither record sent (struct inflight.held) */
	LT_STAT_REORDERED,      /* user space: records merged from the per-CPU rings out of
				 * time order (one was late past the margin, user/ring.h) */
	LT_STAT__MAX
};

#endif /* LEAKTRACE_H */
