/* SPDX-License-Identifier: GPL-2.0 */
/*
 * options.h - the command line, parsed once into struct options.
 *
 * Owns: option syntax, defaults, durations ("500ms", "5s", "2m") and sizes
 * ("4K", "16MiB"), the usage text. Must not: touch BPF, files or processes;
 * no module reads a global: main passes the struct on.
 */
#ifndef LEAKTRACE_OPTIONS_H
#define LEAKTRACE_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

#define OPT_MAX_PIDS 64
#define OPT_MAX_OBJS 16

enum out_format {
	FMT_TEXT = 0,
	FMT_JSON,
	FMT_FOLDED,
	FMT_PPROF,
};

struct options {
	pid_t pids[OPT_MAX_PIDS];
	int npids;
	const char *command;            /* -c */
	unsigned kinds;                 /* 1u << LT_KIND_* */
	__u64 min_age_ns;               /* -a */
	bool min_age_set;
	unsigned top;                   /* -T */
	enum out_format format;         /* -f */
	const char *output;             /* -o */
	__u64 duration_ns;              /* -d, 0 = until stopped */
	bool verbose;                   /* -v */
	__u64 interval_ns;              /* INTERVAL */
	bool interval_set;
	unsigned long count;            /* COUNT, 0 = unlimited */
	const char *objs[OPT_MAX_OBJS]; /* --obj */
	int nobjs;
	size_t max_tracked;             /* --max-tracked */
	size_t max_stacks;              /* --max-stacks */
	size_t ringbuf_size;            /* --ringbuf-size, power of two */
	unsigned max_frames;            /* --max-frames */
	bool probe_floor;               /* --probe-floor: empty programs, for benchmarks */
	bool every_event;               /* --every-event: no allocation held back in BPF */
	bool no_pid;                    /* --no-pid: folded root frame is comm alone */
	double limit[5];                /* --limit, per second, indexed by enum growth_kind */
	__u64 window_ns;                /* --window */
	const char *on_alert;           /* --on-alert */
	bool delta;                     /* --delta */
	bool two_column;                /* --two-column (folded, delta) */
	bool value_count;               /* --value count */
	const char *snapshot_dir;       /* --snapshot-dir */
	bool kinds_set;                 /* -k given */
};

/* Parse argv. Returns 0, 1 when --help/--version was printed (exit 0), or -EINVAL
 * after printing one line "leaktrace: ..." and the usage hint to err. */
int options__parse(struct options *o, int argc, char **argv, FILE *out, FILE *err);

/* "500ms", "5s", "2m", "1h", "250us", bare number = seconds. Returns 0 or -EINVAL. */
int options__parse_duration(const char *s, __u64 *ns);
/* "1MiB/s", "64K/min", "10/min", "2/h"; "0" or "off" = 0. Returns 0 or -EINVAL. */
int options__parse_rate(const char *s, double *per_second);
/* "4096", "4K", "4KiB", "16M", "16MiB", "1G". Returns 0 or -EINVAL. */
int options__parse_size(const char *s, __u64 *bytes);

#endif /* LEAKTRACE_OPTIONS_H */
