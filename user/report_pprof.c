// SPDX-License-Identifier: GPL-2.0
/*
 * report_pprof.c - the report as a pprof profile: profile.proto (user/profile.proto), encoded
 * by protobuf-c and gzip-compressed, for `go tool pprof`, Grafana Pyroscope and Parca.
 *
 * One sample per stack of the model, with one value per sample type. Every kind has sample
 * types of its own (inuse_objects/inuse_space for mem, inuse_maps/inuse_map_space for map,
 * fds, timers), and a sample holds zero in the types of other kinds, so that a tool summing
 * one sample type never adds bytes of malloc to bytes of mmap, or fds to timers.
 *
 * Deduplication is what makes the profile small and what pprof's views rely on: locations
 * per (pid, address) (the same address in two processes may be different code), mappings per
 * (pid, module), functions per (name, file), strings by content.
 *
 * Every string comes from a traced process (comm, paths, symbols). proto3 strings must be
 * UTF-8, and decoders that check it (Go's protobuf runtime, so Parca and Pyroscope) reject
 * the whole profile otherwise; pprof prints them raw on the operator's terminal. So invalid
 * bytes and unsafe code points (escape.h) become U+FFFD.
 *
 * Reads the model only. Must not: write anything but the compressed profile to f.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "escape.h"
#include "profile.pb-c.h"
#include "report.h"

/* The value slots of a sample, in the order of the profile's sample types. */
enum pp_value {
	PP_MEM_COUNT,
	PP_MEM_BYTES,
	PP_MAP_COUNT,
	PP_MAP_BYTES,
	PP_FD_COUNT,
	PP_TIMER_COUNT,
	PP__NVALUES
};

static const struct {
	const char *type, *unit;
} pp_sample_types[PP__NVALUES] = {
	[PP_MEM_COUNT] = { "inuse_objects", "count" },
	[PP_MEM_BYTES] = { "inuse_space", "bytes" },
	[PP_MAP_COUNT] = { "inuse_maps", "count" },
	[PP_MAP_BYTES] = { "inuse_map_space", "bytes" },
	[PP_FD_COUNT] = { "fds", "count" },
	[PP_TIMER_COUNT] = { "timers", "count" },
};

#define PP_MAX_LABELS 3 /* pid, comm, kind */
#define PP_GZ_CHUNK (64 * 1024)

/* An open-addressing table from a two-word key to an index (stored + 1: 0 is empty). */
struct pp_slot {
	__u64 a, b;
	size_t val;
};

struct pp_index {
	struct pp_slot *slots;
	size_t cap; /* power of two, or 0 */
	size_t n;
};

/* The string table, deduplicated by content; strs[0] is "". */
struct pp_strings {
	char **strs;
	size_t n, cap;
	size_t *slots; /* index + 1, 0: empty */
	size_t scap;   /* power of two, or 0 */
	char *buf;     /* scratch for the UTF-8 cleaned form */
	size_t buflen;
};

/* Per mapping while it is built: the lowest load base and highest address of its frames. */
struct pp_mapping_acc {
	__u64 start, last;
};

struct pp_builder {
	struct pp_strings s;
	Perftools__Profiles__Mapping *maps;
	struct pp_mapping_acc *macc; /* macc[i] belongs to maps[i] */
	size_t nmaps, cmaps, cmacc;
	Perftools__Profiles__Location *locs;
	Perftools__Profiles__Line *lines; /* lines[i] belongs to locs[i] (when it has one) */
	size_t nlocs, clocs, clines;
	Perftools__Profiles__Function *funcs;
	size_t nfuncs, cfuncs;
	struct pp_index map_ids, loc_ids, func_ids;
};

static __u64 pp__hash(__u64 a, __u64 b)
{
	__u64 x = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static __u64 pp__hash_str(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;

	/* FNV-1a */
	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* Make room for n + 1 elements of size sz in *arr (capacity *cap). */
static int pp__reserve(void **arr, size_t *cap, size_t n, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* ---- index: (a, b) -> position + 1 ---- */

static struct pp_slot *pp_index__slot(struct pp_index *t, __u64 a, __u64 b)
{
	size_t i;

	for (i = pp__hash(a, b) & (t->cap - 1); t->slots[i].val; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].a == a && t->slots[i].b == b)
			break;
	return &t->slots[i];
}

/* The slot of (a, b): found (val != 0), or empty, for the caller to fill. */
static struct pp_slot *pp_index__find(struct pp_index *t, __u64 a, __u64 b)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256, i;
		struct pp_index bigger = { calloc(cap, sizeof(struct pp_slot)), cap, t->n };

		if (!bigger.slots)
			return NULL;
		for (i = 0; i < t->cap; i++) {
			const struct pp_slot *e = &t->slots[i];

			if (e->val)
				*pp_index__slot(&bigger, e->a, e->b) = *e;
		}
		free(t->slots);
		*t = bigger;
	}
	return pp_index__slot(t, a, b);
}

/* ---- strings ---- */

/*
 * s as valid, safe UTF-8 in the scratch buffer: U+FFFD for each invalid byte and each unsafe
 * code point. At most 3 bytes out per byte in.
 */
static const char *pp_strings__clean(struct pp_strings *t, const char *s)
{
	size_t need = strlen(s) * 3 + 1, o = 0;
	__u32 cp;
	int n;

	if (need > t->buflen) {
		char *b = realloc(t->buf, need);

		if (!b)
			return NULL;
		t->buf = b;
		t->buflen = need;
	}
	while (*s) {
		n = escape__utf8_next(s, &cp);
		if (n > 0 && !escape__unsafe_cp(cp)) {
			memcpy(t->buf + o, s, n);
			o += n;
			s += n;
			continue;
		}
		memcpy(t->buf + o, "\xef\xbf\xbd", 3);
		o += 3;
		s += n > 0 ? n : 1;
	}
	t->buf[o] = '\0';
	return t->buf;
}

static size_t *pp_strings__slot(struct pp_strings *t, const char *s)
{
	size_t i;

	for (i = pp__hash_str(s) & (t->scap - 1); t->slots[i]; i = (i + 1) & (t->scap - 1))
		if (!strcmp(t->strs[t->slots[i] - 1], s))
			break;
	return &t->slots[i];
}

/* Index of s in the string table (added if new); NULL and "" are 0. Negative errno. */
static __s64 pp_strings__add(struct pp_strings *t, const char *s)
{
	size_t *slot;
	char *copy;

	if (!s || !*s)
		return 0;
	s = pp_strings__clean(t, s);
	if (!s)
		return -ENOMEM;
	if ((t->n + 1) * 2 > t->scap) {
		size_t cap = t->scap ? t->scap * 2 : 256, i;
		size_t *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		free(t->slots);
		t->slots = slots;
		t->scap = cap;
		for (i = 1; i < t->n; i++)
			*pp_strings__slot(t, t->strs[i]) = i + 1;
	}
	slot = pp_strings__slot(t, s);
	if (*slot)
		return (__s64)(*slot - 1);
	if (pp__reserve((void **)&t->strs, &t->cap, t->n, sizeof(*t->strs)))
		return -ENOMEM;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	t->strs[t->n] = copy;
	*slot = ++t->n;
	return (__s64)(t->n - 1);
}

static int pp_strings__init(struct pp_strings *t)
{
	memset(t, 0, sizeof(*t));
	if (pp__reserve((void **)&t->strs, &t->cap, 0, sizeof(*t->strs)))
		return -ENOMEM;
	/* Index 0 is "" by the format's rule, and is never looked up: add() maps "" to it. */
	t->strs[0] = strdup("");
	if (!t->strs[0])
		return -ENOMEM;
	t->n = 1;
	return 0;
}

static void pp_strings__free(struct pp_strings *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->strs[i]);
	free(t->strs);
	free(t->slots);
	free(t->buf);
}

/* ---- mappings, functions, locations ---- */

/* Id of the mapping of fr's module in pid; 0 when the module is unknown. Negative errno. */
static __s64 pp__mapping(struct pp_builder *b, __u32 pid, const struct report_frame *fr)
{
	Perftools__Profiles__Mapping *m;
	struct pp_mapping_acc *acc;
	struct pp_slot *slot;
	/* addr - module_off is the module's load base: what pprof calls memory_start. */
	__u64 base = fr->module_off <= fr->addr ? fr->addr - fr->module_off : fr->addr;
	__s64 file, build_id;

	if (!fr->module || !*fr->module)
		return 0;
	file = pp_strings__add(&b->s, fr->module);
	build_id = pp_strings__add(&b->s, fr->build_id);
	if (file < 0 || build_id < 0)
		return -ENOMEM;
	slot = pp_index__find(&b->map_ids, pid, (__u64)file);
	if (!slot)
		return -ENOMEM;
	if (!slot->val) {
		if (pp__reserve((void **)&b->maps, &b->cmaps, b->nmaps, sizeof(*b->maps)) ||
		    pp__reserve((void **)&b->macc, &b->cmacc, b->nmaps, sizeof(*b->macc)))
			return -ENOMEM;
		m = &b->maps[b->nmaps];
		perftools__profiles__mapping__init(m);
		m->id = b->nmaps + 1;
		m->filename = file;
		b->macc[b->nmaps] = (struct pp_mapping_acc){ base, fr->addr };
		slot->a = pid;
		slot->b = (__u64)file;
		slot->val = ++b->nmaps;
		b->map_ids.n++;
	}
	m = &b->maps[slot->val - 1];
	acc = &b->macc[slot->val - 1];
	if (base < acc->start)
		acc->start = base;
	if (fr->addr > acc->last)
		acc->last = fr->addr;
	/* A module first seen without its build-id (its file could not be read) may get it. */
	if (!m->build_id)
		m->build_id = build_id;
	/* A frame of it resolved, so its symbols were read: pprof need not symbolize it again. */
	m->has_functions |= fr->sym && *fr->sym;
	m->has_filenames |= fr->file && *fr->file;
	m->has_line_numbers |= fr->line > 0;
	return (__s64)m->id;
}

/* Id of the function (fr->sym, fr->file). Negative errno. */
static __s64 pp__function(struct pp_builder *b, const struct report_frame *fr)
{
	Perftools__Profiles__Function *fn;
	__s64 name = pp_strings__add(&b->s, fr->sym);
	__s64 file = pp_strings__add(&b->s, fr->file);
	struct pp_slot *slot;

	if (name < 0 || file < 0)
		return -ENOMEM;
	slot = pp_index__find(&b->func_ids, (__u64)name, (__u64)file);
	if (!slot)
		return -ENOMEM;
	if (slot->val)
		return (__s64)slot->val;
	if (pp__reserve((void **)&b->funcs, &b->cfuncs, b->nfuncs, sizeof(*b->funcs)))
		return -ENOMEM;
	fn = &b->funcs[b->nfuncs];
	perftools__profiles__function__init(fn);
	fn->id = b->nfuncs + 1;
	fn->name = name;
	/* The symbolizer hands out demangled names only: the table's name is not kept. */
	fn->system_name = name;
	fn->filename = file;
	slot->a = (__u64)name;
	slot->b = (__u64)file;
	slot->val = ++b->nfuncs;
	b->func_ids.n++;
	return (__s64)fn->id;
}

/* Id of the location of fr in pid. Negative errno. */
static __s64 pp__location(struct pp_builder *b, __u32 pid, const struct report_frame *fr)
{
	Perftools__Profiles__Location *loc;
	Perftools__Profiles__Line *line;
	struct pp_slot *slot;
	__s64 map, fn = 0;

	slot = pp_index__find(&b->loc_ids, pid, fr->addr);
	if (!slot)
		return -ENOMEM;
	if (slot->val)
		return (__s64)slot->val;
	map = pp__mapping(b, pid, fr);
	if (map >= 0 && fr->sym && *fr->sym)
		fn = pp__function(b, fr);
	if (map < 0 || fn < 0)
		return -ENOMEM;
	if (pp__reserve((void **)&b->locs, &b->clocs, b->nlocs, sizeof(*b->locs)) ||
	    pp__reserve((void **)&b->lines, &b->clines, b->nlocs, sizeof(*b->lines)))
		return -ENOMEM;
	loc = &b->locs[b->nlocs];
	line = &b->lines[b->nlocs];
	perftools__profiles__location__init(loc);
	perftools__profiles__line__init(line);
	loc->id = b->nlocs + 1;
	loc->mapping_id = (__u64)map;
	loc->address = fr->addr;
	if (fn) {
		/* Pointers are set once the arrays stop moving (pp__finish). */
		loc->n_line = 1;
		line->function_id = (__u64)fn;
		line->line = fr->line > 0 ? fr->line : 0;
	}
	slot->a = pid;
	slot->b = fr->addr;
	slot->val = ++b->nlocs;
	b->loc_ids.n++;
	return (__s64)loc->id;
}

static void pp_builder__free(struct pp_builder *b)
{
	pp_strings__free(&b->s);
	free(b->maps);
	free(b->macc);
	free(b->locs);
	free(b->lines);
	free(b->funcs);
	free(b->map_ids.slots);
	free(b->loc_ids.slots);
	free(b->func_ids.slots);
}

/* ---- samples ---- */

/* What the samples of a profile point to, allocated at once for every stack. */
struct pp_samples {
	Perftools__Profiles__Sample *v;
	Perftools__Profiles__Sample **ptrs;
	uint64_t *loc_ids;
	int64_t *values;
	Perftools__Profiles__Label *labels;
	Perftools__Profiles__Label **label_ptrs;
};

static void pp_samples__free(struct pp_samples *s)
{
	free(s->v);
	free(s->ptrs);
	free(s->loc_ids);
	free(s->values);
	free(s->labels);
	free(s->label_ptrs);
}

static int pp_samples__alloc(struct pp_samples *s, const struct report *r)
{
	size_t n = r->nstacks ? r->nstacks : 1, nframes = 1, i;

	for (i = 0; i < r->nstacks; i++)
		if (r->stacks[i].frames && r->stacks[i].nframes > 0)
			nframes += (size_t)r->stacks[i].nframes;
	s->v = calloc(n, sizeof(*s->v));
	s->ptrs = calloc(n, sizeof(*s->ptrs));
	s->loc_ids = calloc(nframes, sizeof(*s->loc_ids));
	s->values = calloc(n * PP__NVALUES, sizeof(*s->values));
	s->labels = calloc(n * PP_MAX_LABELS, sizeof(*s->labels));
	s->label_ptrs = calloc(n * PP_MAX_LABELS, sizeof(*s->label_ptrs));
	if (!s->v || !s->ptrs || !s->loc_ids || !s->values || !s->labels || !s->label_ptrs)
		return -ENOMEM;
	return 0;
}

static int pp__label(struct pp_builder *b, Perftools__Profiles__Sample *sm, const char *key,
		     const char *str, __s64 num)
{
	Perftools__Profiles__Label *l = sm->label[sm->n_label];
	__s64 k = pp_strings__add(&b->s, key), v = str ? pp_strings__add(&b->s, str) : 0;

	if (k < 0 || v < 0)
		return -ENOMEM;
	perftools__profiles__label__init(l);
	l->key = k;
	if (str)
		l->str = v;
	else
		l->num = num;
	sm->n_label++;
	return 0;
}

/* The sample of stack st, at index i of the samples, its frames' ids from *next_loc on. */
static int pp__sample(struct pp_builder *b, struct pp_samples *ss, size_t i,
		      const struct report_stack *st, size_t *next_loc)
{
	Perftools__Profiles__Sample *sm = &ss->v[i];
	int64_t *val = &ss->values[i * PP__NVALUES];
	int j, nframes = st->frames && st->nframes > 0 ? st->nframes : 0;
	__s64 id;

	perftools__profiles__sample__init(sm);
	ss->ptrs[i] = sm;
	sm->location_id = &ss->loc_ids[*next_loc];
	for (j = 0; j < nframes; j++) {
		id = pp__location(b, st->pid, &st->frames[j]);
		if (id < 0)
			return (int)id;
		sm->location_id[sm->n_location_id++] = (uint64_t)id;
	}
	*next_loc += sm->n_location_id;

	sm->value = val;
	sm->n_value = PP__NVALUES;
	switch (st->kind) {
	case LT_KIND_MEM:
		val[PP_MEM_COUNT] = (int64_t)st->count;
		val[PP_MEM_BYTES] = (int64_t)st->bytes;
		break;
	case LT_KIND_MAP:
		val[PP_MAP_COUNT] = (int64_t)st->count;
		val[PP_MAP_BYTES] = (int64_t)st->bytes;
		break;
	case LT_KIND_FD:
		val[PP_FD_COUNT] = (int64_t)st->count;
		break;
	case LT_KIND_TIMER:
		val[PP_TIMER_COUNT] = (int64_t)st->count;
		break;
	default:
		/* A kind from a newer model: no sample type to put it in, all zero. */
		break;
	}

	sm->label = &ss->label_ptrs[i * PP_MAX_LABELS];
	for (j = 0; j < PP_MAX_LABELS; j++)
		sm->label[j] = &ss->labels[i * PP_MAX_LABELS + j];
	if (pp__label(b, sm, "pid", NULL, st->pid) ||
	    (st->comm && *st->comm && pp__label(b, sm, "comm", st->comm, 0)) ||
	    pp__label(b, sm, "kind", report__kind_name(st->kind), 0))
		return -ENOMEM;
	return 0;
}

/* ---- the profile ---- */

/* Notes that pprof shows with -comments: what the report left out is never hidden. */
static int pp__comments(struct pp_builder *b, const struct report_summary *sum, int64_t *out,
			size_t *n)
{
	char buf[512];
	__s64 idx;
	int i;

	for (i = 0; i < 3; i++) {
		if (i == 0)
			snprintf(buf, sizeof(buf), "leaktrace: %s report%s, min_age %gs",
				 sum->final ? "final" : "interval",
				 sum->delta ? " of gains since the previous report" : "",
				 sum->min_age_s);
		else if (i == 1)
			snprintf(buf, sizeof(buf),
				 "events=%llu short_lived=%llu lost_events=%llu lost_stacks=%llu "
				 "unknown_frees=%llu",
				 (unsigned long long)sum->events,
				 (unsigned long long)sum->short_lived,
				 (unsigned long long)sum->lost_events,
				 (unsigned long long)sum->lost_stacks,
				 (unsigned long long)sum->unknown_frees);
		else
			snprintf(buf, sizeof(buf),
				 "untracked=%llu untracked_bytes=%llu inflight_full=%llu "
				 "stack_overflow=%llu reordered=%llu live=%llu",
				 (unsigned long long)sum->untracked,
				 (unsigned long long)sum->untracked_bytes,
				 (unsigned long long)sum->inflight_full,
				 (unsigned long long)sum->stack_overflow,
				 (unsigned long long)sum->reordered,
				 (unsigned long long)sum->live);
		idx = pp_strings__add(&b->s, buf);
		if (idx < 0)
			return (int)idx;
		out[(*n)++] = idx;
	}
	return 0;
}

/* Pointer arrays for the message, once nothing is added any more. */
struct pp_ptrs {
	Perftools__Profiles__Mapping **maps;
	Perftools__Profiles__Location **locs;
	Perftools__Profiles__Line **lines;
	Perftools__Profiles__Function **funcs;
};

static int pp__finish(struct pp_builder *b, struct pp_ptrs *p)
{
	size_t i;

	p->maps = calloc(b->nmaps + 1, sizeof(*p->maps));
	p->locs = calloc(b->nlocs + 1, sizeof(*p->locs));
	p->lines = calloc(b->nlocs + 1, sizeof(*p->lines));
	p->funcs = calloc(b->nfuncs + 1, sizeof(*p->funcs));
	if (!p->maps || !p->locs || !p->lines || !p->funcs)
		return -ENOMEM;
	for (i = 0; i < b->nmaps; i++) {
		b->maps[i].memory_start = b->macc[i].start;
		/* The end of the last instruction is not known: one past the highest address. */
		b->maps[i].memory_limit = b->macc[i].last + 1;
		/* memory_start is the load base: file offsets count from there. */
		b->maps[i].file_offset = 0;
		p->maps[i] = &b->maps[i];
	}
	for (i = 0; i < b->nlocs; i++) {
		p->lines[i] = &b->lines[i];
		b->locs[i].line = b->locs[i].n_line ? &p->lines[i] : NULL;
		p->locs[i] = &b->locs[i];
	}
	for (i = 0; i < b->nfuncs; i++)
		p->funcs[i] = &b->funcs[i];
	return 0;
}

static void pp_ptrs__free(struct pp_ptrs *p)
{
	free(p->maps);
	free(p->locs);
	free(p->lines);
	free(p->funcs);
}

/* ---- gzip output: protobuf-c packs into this buffer, which deflates into the file ---- */

struct pp_gzip {
	ProtobufCBuffer base; /* first: protobuf-c calls base.append with &base */
	z_stream z;
	FILE *f;
	int err;
	unsigned char out[PP_GZ_CHUNK];
};

static int pp_gzip__deflate(struct pp_gzip *g, int flush)
{
	size_t have;
	int ret;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = sizeof(g->out);
		ret = deflate(&g->z, flush);
		if (ret == Z_STREAM_ERROR)
			return -EIO;
		have = sizeof(g->out) - g->z.avail_out;
		if (have && fwrite(g->out, 1, have, g->f) != have)
			return errno ? -errno : -EIO;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
	return 0;
}

static void pp_gzip__append(ProtobufCBuffer *buf, size_t len, const uint8_t *data)
{
	struct pp_gzip *g = (struct pp_gzip *)buf;

	while (len && !g->err) {
		uInt n = len > UINT_MAX ? UINT_MAX : (uInt)len;

		g->z.next_in = (Bytef *)data;
		g->z.avail_in = n;
		g->err = pp_gzip__deflate(g, Z_NO_FLUSH);
		data += n;
		len -= n;
	}
}

static int pp__write_gzip(const Perftools__Profiles__Profile *prof, FILE *f)
{
	struct pp_gzip *g = calloc(1, sizeof(*g));
	int err;

	if (!g)
		return -ENOMEM;
	g->base.append = pp_gzip__append;
	g->f = f;
	/* windowBits 15 + 16: the gzip wrapper, which is what .pb.gz readers expect. */
	if (deflateInit2(&g->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return -ENOMEM;
	}
	perftools__profiles__profile__pack_to_buffer(prof, &g->base);
	err = g->err;
	if (!err) {
		g->z.next_in = NULL;
		g->z.avail_in = 0;
		err = pp_gzip__deflate(g, Z_FINISH);
	}
	deflateEnd(&g->z);
	free(g);
	return err;
}

int report_pprof__write(const struct report *r, const struct render_opts *o, FILE *f)
{
	Perftools__Profiles__Profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	Perftools__Profiles__ValueType types[PP__NVALUES];
	Perftools__Profiles__ValueType *type_ptrs[PP__NVALUES];
	struct pp_samples ss = {};
	struct pp_builder b = {};
	struct pp_ptrs p = {};
	int64_t comments[3];
	size_t i, next_loc = 0, ncomments = 0;
	__s64 t, u;
	int err;

	if (!r || !f || (r->nstacks && !r->stacks))
		return -EINVAL;
	err = pp_strings__init(&b.s);
	if (err)
		goto out;

	for (i = 0; i < PP__NVALUES; i++) {
		t = pp_strings__add(&b.s, pp_sample_types[i].type);
		u = pp_strings__add(&b.s, pp_sample_types[i].unit);
		if (t < 0 || u < 0) {
			err = -ENOMEM;
			goto out;
		}
		perftools__profiles__value_type__init(&types[i]);
		types[i].type = t;
		types[i].unit = u;
		type_ptrs[i] = &types[i];
	}
	prof.sample_type = type_ptrs;
	prof.n_sample_type = PP__NVALUES;
	/* Both are always there; --value count only changes what pprof shows first. */
	prof.default_sample_type = types[o && o->value_count ? PP_MEM_COUNT : PP_MEM_BYTES].type;

	err = pp_samples__alloc(&ss, r);
	if (err)
		goto out;
	for (i = 0; i < r->nstacks; i++) {
		err = pp__sample(&b, &ss, i, &r->stacks[i], &next_loc);
		if (err)
			goto out;
	}
	prof.sample = ss.ptrs;
	prof.n_sample = r->nstacks;

	err = pp__comments(&b, &r->summary, comments, &ncomments);
	if (err)
		goto out;
	prof.comment = comments;
	prof.n_comment = ncomments;
	if (r->summary.time > 0)
		prof.time_nanos = (int64_t)r->summary.time * 1000000000LL;

	err = pp__finish(&b, &p);
	if (err)
		goto out;
	prof.mapping = p.maps;
	prof.n_mapping = b.nmaps;
	prof.location = p.locs;
	prof.n_location = b.nlocs;
	prof.function = p.funcs;
	prof.n_function = b.nfuncs;
	prof.string_table = b.s.strs;
	prof.n_string_table = b.s.n;

	errno = 0;
	err = pp__write_gzip(&prof, f);
	if (!err && (fflush(f) || ferror(f)))
		err = -EIO;
out:
	pp_ptrs__free(&p);
	pp_samples__free(&ss);
	pp_builder__free(&b);
	return err;
}
