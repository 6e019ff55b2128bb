/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbolize.h - turn user addresses of (possibly exited) processes into
 * function+offset, module, file:line.
 *
 * Owns: per-process snapshots of /proc/PID/maps (taken while the process lives,
 * kept until forgotten, so stacks of exited processes still resolve), and a
 * cache of opened modules shared by all processes, keyed by build-id or by
 * (dev, inode). Must not: print, or keep more than its limits.
 */
#ifndef LEAKTRACE_SYMBOLIZE_H
#define LEAKTRACE_SYMBOLIZE_H

#include <sys/types.h>
#include <linux/types.h>

struct symbolizer;

struct sym_frame {
	const char *sym;    /* demangled function name; NULL when unknown */
	__u64 off;          /* addr - function start (valid when sym) */
	const char *module; /* object path as mapped (as the process sees it); NULL when unknown */
	__u64 module_off;   /* address relative to the module's load base (valid when module) */
	const char *file;   /* source file; NULL when unknown */
	int line;           /* 0 when unknown */
	const char *build_id; /* module's GNU build-id, lowercase hex; NULL when unknown */
};

struct symbolizer *symbolizer__new(void);
void symbolizer__free(struct symbolizer *s);

/*
 * (Re)read /proc/PID/maps (reaching files through /proc/PID/root) and keep it as
 * the process's snapshot. Mappings of the previous snapshot that no new one
 * overlaps are kept (an old image's addresses after exec, a library after
 * dlclose). Returns 0, or a negative errno (-ESRCH: gone).
 */
int symbolizer__snapshot(struct symbolizer *s, pid_t pid);

/* Drop the snapshot of pid (a new process reuses the pid). */
void symbolizer__forget(struct symbolizer *s, pid_t pid);

/*
 * Resolve addr in pid's snapshot. Strings in *out are owned by the symbolizer
 * and stay valid until symbolizer__free(). Returns 0 when at least the module
 * is known, -ENOENT when addr lies in no mapping of the snapshot (or there is
 * no snapshot), with *out zeroed but for what is known.
 */
int symbolizer__resolve(struct symbolizer *s, pid_t pid, __u64 addr, struct sym_frame *out);

/*
 * Only the module (the mapping's path, interned) holding addr in pid: what
 * the consumer needs per event, without reading symbols or DWARF (a C
 * library's debug info takes tens of milliseconds to load, while a syscall
 * loop fills its ring). -ENOENT: no snapshot of pid, or nothing mapped there.
 */
int symbolizer__module(struct symbolizer *s, pid_t pid, __u64 addr, const char **module);

/*
 * Limits. Past SYMBOLIZER_MAX_SNAPSHOTS, symbolizer__snapshot() refuses (-ENOSPC). Past
 * SYMBOLIZER_MAX_MODULES, the module used by no snapshot for the longest time is dropped; when
 * all are in use, a new file is not opened and its frames resolve to module+offset only.
 */
#define SYMBOLIZER_MAX_SNAPSHOTS 65536
#define SYMBOLIZER_MAX_MODULES 4096

/* Counters for the report summary: what the limits cost is shown, never swallowed. */
struct symbolizer_stats {
	__u64 snapshots;         /* snapshots held now */
	__u64 snapshots_refused; /* snapshot() calls refused at the snapshot limit */
	__u64 modules;           /* modules cached now */
	__u64 modules_opened;    /* files opened and parsed as new modules (cache misses) */
	__u64 modules_evicted;   /* unused modules dropped at the module limit */
	__u64 modules_refused;   /* files not opened: the cache was full of modules in use */
	__u64 open_failures;     /* mapped files that could not be opened, or were not ELF */
};

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st);

/* Lower (or raise) the limits above, for tests and small hosts; 0 keeps a limit as is. */
void symbolizer__set_limits(struct symbolizer *s, size_t max_snapshots, size_t max_modules);

/*
 * One unwind step: ip (for a frame above the first, its return address - 1),
 * sp and *bp are that frame's registers, stack[] the words sampled from
 * stack_sp up. Finds the frame's return address through the CFI (.eh_frame)
 * of the function holding ip, for code without frame pointers. Returns 0 with
 * *ret_addr, *caller_sp (the caller's sp once returned) and *bp turned into
 * the caller's %rbp (restored from where the frame saved it; 0 when unknown),
 * -ENOENT (no CFI or no snapshot), -ERANGE (the slot lies past the sampled
 * words; *caller_sp is still set, the slot being *caller_sp - 8) or -ENOTSUP
 * (a CFA rule other than register + offset).
 */
int symbolizer__unwind_step(struct symbolizer *s, pid_t pid, __u64 ip, __u64 sp, __u64 *bp,
			    const __u64 *stack, __u64 stack_sp, unsigned words, __u64 *ret_addr,
			    __u64 *caller_sp);

#endif /* LEAKTRACE_SYMBOLIZE_H */
