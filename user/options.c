// SPDX-License-Identifier: GPL-2.0
/*
 * options.c - parse the command line into struct options.
 *
 * Owns: syntax, defaults, the --help text. Must not: touch BPF, files or
 * processes. Every bad value gets one line naming the option and the value,
 * then the usage hint; the caller exits 2.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "options.h"
#include "../bpf/leaktrace.h"

#define VERSION "0.1.0"
#define NSEC_PER_SEC 1000000000ULL

static const char usage_text[] =
	"Usage: leaktrace [OPTIONS] [INTERVAL [COUNT]]\n"
	"Trace outstanding heap memory (and fds, timers, mappings) per process and call stack,\n"
	"on the whole host or in chosen processes, and report the stacks that hold the most.\n"
	"\n"
	"  -p, --pid PID[,PID...]    only these processes (default: every process on the host)\n"
	"  -c, --command 'CMD ARGS'  run CMD (through /bin/sh) under the tracer from its first\n"
	"                            instruction; final report at its exit; exit with its status\n"
	"  -k, --kinds LIST          mem,map,fd,timer (default: all that this build traces)\n"
	"  -a, --min-age DURATION    only resources older than this are leak suspects\n"
	"                            (default 5s; with -c: 0)\n"
	"  -T, --top N               stacks per kind per report (default 10)\n"
	"  -f, --format FMT          text (default), json (JSON Lines), folded (one kind: mem\n"
	"                            unless -k names another), pprof (gzip'd profile.proto,\n"
	"                            needs -o)\n"
	"  -o, --output FILE         write reports to FILE instead of stdout\n"
	"  -d, --duration DURATION   stop after this long (final report, exit 0)\n"
	"  -v, --verbose             libbpf and attach details on stderr\n"
	"      --obj PATH            also trace the allocator in PATH (libjemalloc, libtcmalloc,\n"
	"                            a static binary's own malloc); repeatable\n"
	"      --max-tracked N       outstanding resources kept (default 2000000); past it new\n"
	"                            ones are counted as untracked and reported\n"
	"      --max-stacks N        distinct stacks kept (default 200000)\n"
	"      --ringbuf-size SIZE   BPF ring buffers of all CPUs together, a power of two\n"
	"                            (default 32MiB; one per online CPU, each >= 4KiB)\n"
	"      --max-frames N        frames per stack, 1-32 (default 32)\n"
	"      --no-pid              folded output: root frame is comm alone (merge workers)\n"
	"      --value bytes|count   folded/pprof mem and map values: bytes (default) or counts\n"
	"      --delta               each report shows what each stack gained since the last\n"
	"      --two-column          with --delta -f folded: 'stack BEFORE AFTER' lines, for\n"
	"                            difffolded-style differential flame graphs\n"
	"      --snapshot-dir DIR    also write every report (and one per SIGUSR1) to DIR, one\n"
	"                            file per format (txt, jsonl, folded, pb.gz), time in the name\n"
	"      --limit KIND=RATE,... flag a process whose KIND grows faster than RATE, sustained\n"
	"                            over --window; KIND: mem, map, fd, timer, rss; RATE like\n"
	"                            1MiB/s, 64K/min, 10/min, or off (default: mem=1MiB/s,\n"
	"                            map=4MiB/s, fd=1/s, timer=1/s, rss=4MiB/s)\n"
	"      --window DURATION     the window growth is measured over (default 60s)\n"
	"      --on-alert 'CMD'      run CMD (through /bin/sh) per alert, with LEAKTRACE_PID,\n"
	"                            LEAKTRACE_KIND, LEAKTRACE_RATE and LEAKTRACE_LIMIT set;\n"
	"                            at most once per process and kind per window\n"
	"      --every-event         send every allocation and free to user space; by default a\n"
	"                            thread's last allocation waits in the kernel and, if the\n"
	"                            thread frees it first, neither is sent (reports should\n"
	"                            not differ)\n"
	"      --probe-floor         attach the probes with programs that do nothing (benchmarks)\n"
	"  -h, --help                this text\n"
	"  -V, --version             the version\n"
	"  INTERVAL                  seconds (or a DURATION) between reports (default 10; with\n"
	"                            -c: only the final report unless given); COUNT: reports\n"
	"\n"
	"Durations: 500ms, 5s, 2m, 1h (a bare number is seconds). Sizes: 4096, 4K, 16MiB, 1G.\n"
	"Signals: SIGINT/SIGTERM print the final report and detach; SIGUSR1 prints a report now.\n"
	"Exit status: 0 done, 1 runtime failure (not root, no BTF, attach failed), 2 bad usage;\n"
	"with -c, the command's status (128+N if killed by signal N).\n"
	"\n"
	"EXAMPLES\n"
	"  sudo leaktrace                         every process; a report every 10 s\n"
	"  sudo leaktrace -p 1234 -a 30s 60       pid 1234, suspects older than 30 s, every minute\n"
	"  sudo leaktrace -c './server --once'    run a command, report what it never freed\n"
	"  sudo leaktrace -f json -o leaks.jsonl -d 5m   five minutes of JSON Lines reports\n"
	"  sudo leaktrace -f folded -d 30s > mem.folded && flamegraph.pl --countname=bytes \\\n"
	"        mem.folded > mem.svg\n"
	"  sudo leaktrace --obj /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 -p 4321\n"
	"  sudo leaktrace --limit mem=512K/s,fd=10/min --window 2m \\\n"
	"        --on-alert 'gcore -o /var/tmp/core $LEAKTRACE_PID'\n"
	"\n"
	"See leaktrace(8).\n";

static int usage_error(FILE *err, const char *fmt, const char *a, const char *b)
{
	fputs("leaktrace: ", err);
	fprintf(err, fmt, a, b);
	fputs("\nTry 'leaktrace --help' for more information.\n", err);
	return -EINVAL;
}

int options__parse_duration(const char *s, __u64 *ns)
{
	static const struct {
		const char *suffix;
		__u64 mult;
	} units[] = {
		{ "", NSEC_PER_SEC },	  { "s", NSEC_PER_SEC },      { "ms", 1000000ULL },
		{ "us", 1000ULL },	  { "ns", 1ULL },	      { "m", 60 * NSEC_PER_SEC },
		{ "min", 60 * NSEC_PER_SEC }, { "h", 3600 * NSEC_PER_SEC },
	};
	char *end;
	double v;
	size_t i;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		v *= (double)units[i].mult;
		if (v >= 1.8e19)
			return -EINVAL;
		*ns = (__u64)v;
		return 0;
	}
	return -EINVAL;
}

int options__parse_size(const char *s, __u64 *bytes)
{
	static const struct {
		const char *suffix;
		__u64 mult;
	} units[] = {
		{ "", 1 },		{ "B", 1 },		 { "K", 1ULL << 10 },
		{ "KB", 1ULL << 10 },	{ "KiB", 1ULL << 10 },	 { "M", 1ULL << 20 },
		{ "MB", 1ULL << 20 },	{ "MiB", 1ULL << 20 },	 { "G", 1ULL << 30 },
		{ "GB", 1ULL << 30 },	{ "GiB", 1ULL << 30 },
	};
	unsigned long long v;
	char *end;
	size_t i;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(end, units[i].suffix))
			continue;
		if (v > ~0ULL / units[i].mult)
			return -EINVAL;
		*bytes = v * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

int options__parse_rate(const char *s, double *per_second)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = { { "/s", 1 }, { "/sec", 1 }, { "/min", 60 }, { "/m", 60 }, { "/h", 3600 } };
	const char *slash;
	char num[64];
	__u64 v;
	size_t i;

	if (!s)
		return -EINVAL;
	if (!strcmp(s, "off") || !strcmp(s, "0")) {
		*per_second = 0;
		return 0;
	}
	slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, slash - s);
	num[slash - s] = 0;
	if (options__parse_size(num, &v))
		return -EINVAL;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (!strcmp(slash, units[i].unit)) {
			*per_second = (double)v / units[i].seconds;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_limits(struct options *o, const char *arg, FILE *err)
{
	static const char *names[5] = { "mem", "map", "fd", "timer", "rss" };
	char *copy = strdup(arg), *save = NULL, *tok, *eq;
	int ret = 0, k;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (!eq) {
			ret = usage_error(err, "invalid --limit '%s' (KIND=RATE, e.g. mem=1MiB/s)%s",
					  tok, "");
			break;
		}
		*eq = 0;
		for (k = 0; k < 5; k++)
			if (!strcmp(tok, names[k]))
				break;
		if (k == 5) {
			ret = usage_error(err, "unknown kind '%s' in --limit (mem,map,fd,timer,rss)%s",
					  tok, "");
			break;
		}
		if (options__parse_rate(eq + 1, &o->limit[k])) {
			ret = usage_error(err, "invalid rate '%s' in --limit (like 1MiB/s, 10/min, off)%s",
					  eq + 1, "");
			break;
		}
	}
	free(copy);
	return ret;
}

static int parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long long v;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_pids(struct options *o, const char *arg, FILE *err)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned long v;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (parse_ulong(tok, 1, INT_MAX, &v)) {
			ret = usage_error(err, "invalid pid '%s' in -p %s", tok, arg);
			break;
		}
		if (o->npids >= OPT_MAX_PIDS) {
			ret = usage_error(err, "too many pids in -p (at most %s)%s", "64", "");
			break;
		}
		o->pids[o->npids++] = (pid_t)v;
	}
	if (!ret && !o->npids)
		ret = usage_error(err, "-p needs at least one pid%s%s", "", "");
	free(copy);
	return ret;
}

static int parse_kinds(struct options *o, const char *arg, FILE *err)
{
	static const char *names[LT_KIND__MAX] = { "mem", "map", "fd", "timer" };
	char *copy = strdup(arg), *save = NULL, *tok;
	int ret = 0, k;

	if (!copy)
		return -ENOMEM;
	o->kinds = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (k = 0; k < LT_KIND__MAX; k++)
			if (!strcmp(tok, names[k]))
				break;
		if (k == LT_KIND__MAX) {
			ret = usage_error(err, "unknown kind '%s' in -k %s (mem,map,fd,timer)", tok,
					  arg);
			break;
		}
		o->kinds |= 1u << k;
	}
	if (!ret && !o->kinds)
		ret = usage_error(err, "-k needs at least one kind (mem,map,fd,timer)%s%s", "", "");
	free(copy);
	return ret;
}

enum {
	OPT_OBJ = 256,
	OPT_MAX_TRACKED,
	OPT_MAX_STACKS,
	OPT_RINGBUF_SIZE,
	OPT_MAX_FRAMES,
	OPT_PROBE_FLOOR,
	OPT_EVERY_EVENT,
	OPT_NO_PID,
	OPT_LIMIT,
	OPT_WINDOW,
	OPT_ON_ALERT,
	OPT_DELTA,
	OPT_TWO_COLUMN,
	OPT_VALUE,
	OPT_SNAPSHOT_DIR,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "command", required_argument, NULL, 'c' },
	{ "kinds", required_argument, NULL, 'k' },
	{ "min-age", required_argument, NULL, 'a' },
	{ "top", required_argument, NULL, 'T' },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "duration", required_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "obj", required_argument, NULL, OPT_OBJ },
	{ "max-tracked", required_argument, NULL, OPT_MAX_TRACKED },
	{ "max-stacks", required_argument, NULL, OPT_MAX_STACKS },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF_SIZE },
	{ "max-frames", required_argument, NULL, OPT_MAX_FRAMES },
	{ "probe-floor", no_argument, NULL, OPT_PROBE_FLOOR },
	{ "every-event", no_argument, NULL, OPT_EVERY_EVENT },
	{ "no-pid", no_argument, NULL, OPT_NO_PID },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "on-alert", required_argument, NULL, OPT_ON_ALERT },
	{ "delta", no_argument, NULL, OPT_DELTA },
	{ "two-column", no_argument, NULL, OPT_TWO_COLUMN },
	{ "value", required_argument, NULL, OPT_VALUE },
	{ "snapshot-dir", required_argument, NULL, OPT_SNAPSHOT_DIR },
	{},
};

static void options__defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->kinds = (1u << LT_KIND__MAX) - 1;
	o->min_age_ns = 5 * NSEC_PER_SEC;
	o->top = 10;
	o->interval_ns = 10 * NSEC_PER_SEC;
	o->max_tracked = 2000000;
	o->max_stacks = 200000;
	/*
	 * A ring per CPU: one busy thread's bursts land in one ring, so the
	 * budget is twice what a single shared ring needed (16 MiB).
	 */
	o->ringbuf_size = 32 << 20;
	o->max_frames = LT_MAX_FRAMES;
	o->limit[0] = 1 << 20;  /* mem: 1 MiB/s */
	o->limit[1] = 4 << 20;  /* map: 4 MiB/s */
	o->limit[2] = 1;        /* fd: 1/s */
	o->limit[3] = 1;        /* timer: 1/s */
	o->limit[4] = 4 << 20;  /* rss: 4 MiB/s */
	o->window_ns = 60 * NSEC_PER_SEC;
}

/* One option's value; returns 0 or -EINVAL (message printed). */
static int parse_one(struct options *o, int c, const char *arg, FILE *err)
{
	unsigned long v;
	__u64 u;

	switch (c) {
	case 'p':
		return parse_pids(o, arg, err);
	case 'c':
		if (!*arg)
			return usage_error(err, "-c needs a command%s%s", "", "");
		o->command = arg;
		return 0;
	case 'k':
		o->kinds_set = true;
		return parse_kinds(o, arg, err);
	case 'a':
		if (options__parse_duration(arg, &o->min_age_ns))
			return usage_error(err, "invalid duration '%s' for --min-age%s", arg, "");
		o->min_age_set = true;
		return 0;
	case 'T':
		if (parse_ulong(arg, 1, 100000, &v))
			return usage_error(err, "invalid --top '%s' (1-100000)%s", arg, "");
		o->top = v;
		return 0;
	case 'f':
		if (!strcmp(arg, "text"))
			o->format = FMT_TEXT;
		else if (!strcmp(arg, "json"))
			o->format = FMT_JSON;
		else if (!strcmp(arg, "folded"))
			o->format = FMT_FOLDED;
		else if (!strcmp(arg, "pprof"))
			o->format = FMT_PPROF;
		else
			return usage_error(err, "unknown format '%s' (text, json, folded, pprof)%s",
					   arg, "");
		return 0;
	case 'o':
		if (!*arg)
			return usage_error(err, "-o needs a file name%s%s", "", "");
		o->output = arg;
		return 0;
	case 'd':
		if (options__parse_duration(arg, &o->duration_ns) || !o->duration_ns)
			return usage_error(err, "invalid duration '%s' for --duration%s", arg, "");
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	case OPT_OBJ:
		if (!*arg)
			return usage_error(err, "--obj needs a path%s%s", "", "");
		if (o->nobjs >= OPT_MAX_OBJS)
			return usage_error(err, "too many --obj (at most %s)%s", "16", "");
		o->objs[o->nobjs++] = arg;
		return 0;
	case OPT_MAX_TRACKED:
		if (parse_ulong(arg, 1, 1UL << 32, &v))
			return usage_error(err, "invalid --max-tracked '%s' (1-4294967296)%s", arg, "");
		o->max_tracked = v;
		return 0;
	case OPT_MAX_STACKS:
		if (parse_ulong(arg, 1, 1UL << 24, &v))
			return usage_error(err, "invalid --max-stacks '%s' (1-16777216)%s", arg, "");
		o->max_stacks = v;
		return 0;
	case OPT_RINGBUF_SIZE:
		if (options__parse_size(arg, &u) || u < 4096 || u > (1ULL << 30) || (u & (u - 1)))
			return usage_error(err,
					   "invalid --ringbuf-size '%s' (a power of two, 4K-1GiB)%s",
					   arg, "");
		o->ringbuf_size = u;
		return 0;
	case OPT_MAX_FRAMES:
		if (parse_ulong(arg, 1, LT_MAX_FRAMES, &v))
			return usage_error(err, "invalid --max-frames '%s' (1-32)%s", arg, "");
		o->max_frames = v;
		return 0;
	case OPT_PROBE_FLOOR:
		o->probe_floor = true;
		return 0;
	case OPT_EVERY_EVENT:
		o->every_event = true;
		return 0;
	case OPT_NO_PID:
		o->no_pid = true;
		return 0;
	case OPT_LIMIT:
		return parse_limits(o, arg, err);
	case OPT_WINDOW:
		if (options__parse_duration(arg, &o->window_ns) || o->window_ns < NSEC_PER_SEC)
			return usage_error(err, "invalid --window '%s' (a duration, 1s or more)%s", arg,
					   "");
		return 0;
	case OPT_DELTA:
		o->delta = true;
		return 0;
	case OPT_TWO_COLUMN:
		o->two_column = true;
		return 0;
	case OPT_VALUE:
		if (!strcmp(arg, "count"))
			o->value_count = true;
		else if (strcmp(arg, "bytes"))
			return usage_error(err, "invalid --value '%s' (bytes, count)%s", arg, "");
		return 0;
	case OPT_SNAPSHOT_DIR:
		if (!*arg)
			return usage_error(err, "--snapshot-dir needs a directory%s%s", "", "");
		o->snapshot_dir = arg;
		return 0;
	case OPT_ON_ALERT:
		if (!*arg)
			return usage_error(err, "--on-alert needs a command%s%s", "", "");
		o->on_alert = arg;
		return 0;
	}
	return -EINVAL;
}

static int parse_positional(struct options *o, int argc, char **argv, FILE *err)
{
	unsigned long v;

	if (argc > 2)
		return usage_error(err, "unexpected argument '%s'%s", argv[2], "");
	if (argc >= 1) {
		if (options__parse_duration(argv[0], &o->interval_ns) || !o->interval_ns)
			return usage_error(err, "invalid interval '%s'%s", argv[0], "");
		o->interval_set = true;
	}
	if (argc == 2) {
		if (parse_ulong(argv[1], 1, ULONG_MAX, &v))
			return usage_error(err, "invalid count '%s'%s", argv[1], "");
		o->count = v;
	}
	return 0;
}

/* Options that make sense only together, or not together. */
static int check_combinations(struct options *o, FILE *err)
{
	if (o->format == FMT_FOLDED) {
		/* One unit per flame graph: bytes and counts do not add up. */
		if (!o->kinds_set)
			o->kinds = 1u << LT_KIND_MEM;
		else if (o->kinds & (o->kinds - 1))
			return usage_error(err, "folded output takes one kind (-k mem, map, fd or timer)"
					   "%s%s", "", "");
	}
	if (o->format == FMT_PPROF && !o->output)
		return usage_error(err, "pprof output is binary: name a file with -o FILE.pb.gz%s%s",
				   "", "");
	if (o->two_column && (!o->delta || o->format != FMT_FOLDED))
		return usage_error(err, "--two-column goes with --delta and -f folded%s%s", "", "");
	return 0;
}

int options__parse(struct options *o, int argc, char **argv, FILE *out, FILE *err)
{
	char msg[64];
	int c, ret;

	options__defaults(o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:c:k:a:T:f:o:d:vhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, out);
			return 1;
		case 'V':
			fprintf(out, "leaktrace %s\n", VERSION);
			return 1;
		case ':':
			snprintf(msg, sizeof(msg), "%s", argv[optind - 1]);
			return usage_error(err, "option '%s' needs a value%s", msg, "");
		case '?':
			if (optopt)
				snprintf(msg, sizeof(msg), "-%c", optopt);
			else
				snprintf(msg, sizeof(msg), "%s", argv[optind - 1]);
			return usage_error(err, "unknown option '%s'%s", msg, "");
		default:
			ret = parse_one(o, c, optarg, err);
			if (ret)
				return ret;
		}
	}
	ret = parse_positional(o, argc - optind, argv + optind, err);
	if (ret)
		return ret;
	if (o->npids && o->command)
		return usage_error(err, "-p and -c cannot be used together%s%s", "", "");
	if (o->command && !o->min_age_set)
		o->min_age_ns = 0;
	return check_combinations(o, err);
}
