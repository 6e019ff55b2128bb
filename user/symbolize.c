// SPDX-License-Identifier: GPL-2.0
/*
 * symbolize.c - user addresses of live or exited processes to function+offset, module and
 * file:line.
 *
 * Owns:
 *  - snapshots: per pid, the executable mappings of /proc/PID/maps, sorted by address and taken
 *    while the process lives. Only executable mappings are kept: a frame is a code address, and
 *    a process's code mappings are few while its data mappings can be tens of thousands.
 *  - modules: ELF files opened when a snapshot is taken (the process may exit and its files
 *    may be replaced before the report), their image mapped by libelf and handed to a private
 *    offline Dwfl. One module serves every process that maps the same file: it is found by
 *    build-id, and by (dev, inode) through aliases that pin the inode so that it cannot be
 *    reused by another file while the alias exists.
 *  - per module, a sorted index of its function symbols (built at its first lookup), so that a
 *    lookup is a binary search, not libdwfl's scan of the whole symbol table.
 *  - interned strings and a direct-mapped result cache, so returned strings outlive the
 *    modules they came from and repeated frames cost one hash probe.
 *
 * A cached module keeps its file mapped, so a deleted file's blocks stay allocated until the
 * module is evicted or the symbolizer freed: the price of resolving exited processes.
 *
 * Limits (see symbolize.h): SYMBOLIZER_MAX_SNAPSHOTS snapshots, past it snapshot() refuses with
 * -ENOSPC; SYMBOLIZER_MAX_MODULES modules, past it the least recently idle module (used by no
 * snapshot) is evicted, and when every module is in use the new file is not opened: its frames
 * resolve to module+offset only. Both are counted in struct symbolizer_stats.
 *
 * Must not: print, follow a process's symlinks out of its root, or grow past its limits.
 * Not thread-safe: one caller (the report loop) owns a symbolizer.
 */
#include <dwarf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "symbolize.h"

/* From libstdc++ (the final link adds -lstdc++). */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

#define SNAP_BUCKETS  4096
#define MOD_BUCKETS   1024
#define ALIAS_BUCKETS 4096
/*
 * One alias per distinct (dev, inode) that was opened; a container's own copy of a library
 * with a known build-id costs one alias, not one module. Each alias pins its file with a
 * one-page mapping (one VMA), hence the bound. Past it, such files are reopened at each
 * snapshot to read their build-id: slower, nothing lost.
 */
#define ALIASES_PER_MODULE 2
#define RESULT_SLOTS	   16384 /* power of two; ~0.75 MiB */
#define MAX_BUILD_ID	   64
#define MAX_PHDRS	   4096	     /* more program headers than this is a corrupt file */
#define MAX_DEMANGLE_LEN   8192	     /* longer names stay mangled: the demangler recurses */
#define MAX_CU_RANGES	   (1 << 22) /* 200 MiB of index: past it, a corrupt file */
#define STR_CHUNK	   65536

struct segment {
	__u64 off;
	__u64 vaddr;
	__u64 filesz;
	bool exec;
};

/* A function symbol of a module, at its dwfl address. */
struct msym {
	__u64 start;
	__u64 end; /* start + size; for a symbol without a size, the end of its section (0: ?) */
	const char *name; /* in the module's ELF string tables (valid while its Dwfl lives) */
	int rank;	  /* among symbols at one address, lower wins */
};

/* The address ranges of a compile unit, at its DWARF addresses. */
struct cu_range {
	__u64 start, end;
	Dwarf_Die cu;
};

struct alias;

struct module {
	__u64 serial; /* never reused, unlike the pointer: the result cache keys on it */
	unsigned char build_id[MAX_BUILD_ID];
	int build_id_len; /* 0: none, the module is then found by (dev, inode) only */
	const char *build_id_hex; /* interned (outlives the module); NULL: none or no memory */
	struct segment *segs;
	int nsegs;
	Dwfl *dwfl; /* NULL when libdwfl would not take the file: offsets only */
	Dwfl_Module *dwmod;
	__u64 bias;	   /* dwfl address - ELF vaddr; 0 as reported, kept in case */
	Elf *elf_pending;  /* handed to libdwfl by module__find_elf() */
	struct msym *syms; /* sized symbols by start; built at the first lookup */
	size_t nsyms;
	struct msym *bare; /* symbols without a size (assembly labels) by start */
	size_t nbare;
	bool syms_built;
	struct cu_range *cus; /* by start; built when libdwfl finds no CU (no .debug_aranges) */
	size_t ncus;
	bool cus_built;
	Dwarf_Addr dwbias; /* dwfl address - DWARF address */
	char *debug_hint;  /* file name libdwfl searches .gnu_debuglink files next to */
	long refs;	   /* mappings of snapshots that use it */
	bool idle;	   /* refs == 0: on the LRU list, evictable */
	struct module *hnext;
	struct module *lru_prev, *lru_next;
	struct alias *aliases;
	struct cfa_rule *rules; /* CFA_RULES, by vaddr; NULL until the first unwind step */
};

/*
 * A CFA rule looked up once per code address: libdw interprets the FDE and
 * malloc()s the frame on every call. Syscall sites are few, so a small
 * direct-mapped cache keeps the per-event unwind step to a look-up here.
 */
#define CFA_RULES 64

struct cfa_rule {
	__u64 vaddr;
	__s64 off, bp_off;
	int reg, ret; /* ret: module__cfa_rule()'s result, failures cached too */
	bool used, bp_same, bp_saved;
};

struct alias {
	__u64 dev, ino;
	struct module *mod;
	void *pin;
	size_t pin_len;
	struct alias *hnext; /* hash chain */
	struct alias *mnext; /* aliases of the same module */
};

struct mapping {
	__u64 start, end, pgoff;
	const char *path;   /* interned, as maps names it, without " (deleted)"; "[anon]" */
	struct module *mod; /* NULL: not an ELF file, not openable, refused, or not a file */
	bool file;	    /* path names a file: module_off counts from its start */
};

struct snapshot {
	pid_t pid;
	size_t nmaps;
	struct mapping *maps;
	struct snapshot *hnext;
};

#define MAX_KEPT_OLD 512 /* mappings of earlier images kept per process */

struct result {
	__u64 serial; /* 0: empty slot (serials start at 1) */
	__u64 vaddr;
	const char *sym;
	__u64 off;
	const char *file;
	int line;
};

struct str_chunk {
	struct str_chunk *next;
	size_t size, used;
	char data[];
};

struct strtab {
	const char **slots;
	size_t cap; /* power of two */
	size_t n;
	struct str_chunk *chunks;
};

struct symbolizer {
	struct snapshot *snaps[SNAP_BUCKETS];
	struct module *mods[MOD_BUCKETS]; /* by build-id */
	struct alias *aliases[ALIAS_BUCKETS];
	struct module *lru_head, *lru_tail; /* idle modules, least recently idle first */
	size_t max_snapshots, max_modules, naliases;
	__u64 next_serial;
	size_t pagesz;
	struct result *results;
	struct strtab strs;
	struct symbolizer_stats st;
};

/* What one snapshot() needs while it opens files of the process. */
struct snap_ctx {
	pid_t pid;
	int rootfd;	 /* -1 until needed */
	bool no_root;	 /* /proc/PID/root could not be opened: map_files only */
	bool no_openat2; /* kernel before 5.6 */
};

static __u64 hash_bytes(const void *p, size_t n, __u64 h)
{
	const unsigned char *c = p;

	/* FNV-1a */
	while (n--)
		h = (h ^ *c++) * 0x100000001b3ULL;
	return h;
}

static __u64 hash_u64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#define FNV_SEED 0xcbf29ce484222325ULL

/* ---- interned strings: returned strings must outlive evicted modules ---- */

static char *strtab__alloc(struct strtab *t, size_t len)
{
	struct str_chunk *c = t->chunks;

	if (!c || c->size - c->used < len) {
		size_t size = len > STR_CHUNK ? len : STR_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = t->chunks;
		t->chunks = c;
	}
	c->used += len;
	return c->data + c->used - len;
}

static int strtab__grow(struct strtab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024, i, j;
	const char **slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		const char *str = t->slots[i];

		if (!str)
			continue;
		j = hash_bytes(str, strlen(str), FNV_SEED) & (cap - 1);
		while (slots[j])
			j = (j + 1) & (cap - 1);
		slots[j] = str;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static const char *strtab__intern(struct strtab *t, const char *str)
{
	size_t len = strlen(str), i;
	char *copy;

	if ((t->n + 1) * 2 > t->cap && strtab__grow(t))
		return NULL;
	for (i = hash_bytes(str, len, FNV_SEED) & (t->cap - 1); t->slots[i];
	     i = (i + 1) & (t->cap - 1))
		if (!strcmp(t->slots[i], str))
			return t->slots[i];
	copy = strtab__alloc(t, len + 1);
	if (!copy)
		return NULL;
	memcpy(copy, str, len + 1);
	t->slots[i] = copy;
	t->n++;
	return copy;
}

static void strtab__free(struct strtab *t)
{
	struct str_chunk *c, *next;

	for (c = t->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(t->slots);
}

static const char *symbol__intern(struct symbolizer *s, const char *name)
{
	const char *ret;
	char *dem = NULL;
	int status = -1;

	if (name[0] == '_' && name[1] == 'Z' && strnlen(name, MAX_DEMANGLE_LEN) < MAX_DEMANGLE_LEN)
		dem = __cxa_demangle(name, NULL, NULL, &status);
	ret = strtab__intern(&s->strs, dem && status == 0 ? dem : name);
	free(dem);
	return ret;
}

/* The build-id as lowercase hex, interned once per module: frames hand it out for free. */
static const char *build_id__intern(struct symbolizer *s, const void *id, int len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = id;
	char hex[MAX_BUILD_ID * 2 + 1];
	int i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 0xf];
	}
	hex[2 * len] = '\0';
	return strtab__intern(&s->strs, hex);
}

/* ---- modules ---- */

static void lru__remove(struct symbolizer *s, struct module *m)
{
	if (m->lru_prev)
		m->lru_prev->lru_next = m->lru_next;
	else
		s->lru_head = m->lru_next;
	if (m->lru_next)
		m->lru_next->lru_prev = m->lru_prev;
	else
		s->lru_tail = m->lru_prev;
	m->lru_prev = m->lru_next = NULL;
	m->idle = false;
}

static void module__get(struct symbolizer *s, struct module *m)
{
	if (m->idle)
		lru__remove(s, m);
	m->refs++;
}

static void module__put(struct symbolizer *s, struct module *m)
{
	if (--m->refs > 0)
		return;
	m->lru_prev = s->lru_tail;
	m->lru_next = NULL;
	if (s->lru_tail)
		s->lru_tail->lru_next = m;
	else
		s->lru_head = m;
	s->lru_tail = m;
	m->idle = true;
}

static struct alias **alias__bucket(struct symbolizer *s, __u64 dev, __u64 ino)
{
	return &s->aliases[hash_u64(ino ^ hash_u64(dev)) & (ALIAS_BUCKETS - 1)];
}

static struct alias *alias__find(struct symbolizer *s, __u64 dev, __u64 ino)
{
	struct alias *a;

	for (a = *alias__bucket(s, dev, ino); a; a = a->hnext)
		if (a->dev == dev && a->ino == ino)
			return a;
	return NULL;
}

/*
 * Remember that the file (dev, ino), open as fd, is module m. The alias maps one page of the
 * file: while that mapping exists the inode stays allocated, so (dev, ino) cannot name another
 * file (ext4 reuses freed inode numbers at once, e.g. after a package upgrade). A mapping, not
 * an fd, so that thousands of modules do not run into RLIMIT_NOFILE.
 */
static void alias__add(struct symbolizer *s, __u64 dev, __u64 ino, struct module *m, int fd)
{
	struct alias *a, **bucket;

	if (s->naliases >= s->max_modules * ALIASES_PER_MODULE)
		return;
	a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->pin = mmap(NULL, s->pagesz, PROT_READ, MAP_PRIVATE, fd, 0);
	if (a->pin == MAP_FAILED) {
		free(a);
		return;
	}
	a->pin_len = s->pagesz;
	a->dev = dev;
	a->ino = ino;
	a->mod = m;
	bucket = alias__bucket(s, dev, ino);
	a->hnext = *bucket;
	*bucket = a;
	a->mnext = m->aliases;
	m->aliases = a;
	s->naliases++;
}

static void alias__unlink(struct symbolizer *s, struct alias *a)
{
	struct alias **pp;

	for (pp = alias__bucket(s, a->dev, a->ino); *pp; pp = &(*pp)->hnext) {
		if (*pp == a) {
			*pp = a->hnext;
			break;
		}
	}
	munmap(a->pin, a->pin_len);
	s->naliases--;
}

static struct module **module__bucket(struct symbolizer *s, const void *id, int len)
{
	return &s->mods[hash_bytes(id, len, FNV_SEED) & (MOD_BUCKETS - 1)];
}

static struct module *module__find_build_id(struct symbolizer *s, const void *id, int len)
{
	struct module *m;

	for (m = *module__bucket(s, id, len); m; m = m->hnext)
		if (m->build_id_len == len && !memcmp(m->build_id, id, len))
			return m;
	return NULL;
}

static void module__destroy(struct symbolizer *s, struct module *m)
{
	struct alias *a, *next;
	struct module **pp;

	for (a = m->aliases; a; a = next) {
		next = a->mnext;
		alias__unlink(s, a);
		free(a);
	}
	if (m->build_id_len) {
		for (pp = module__bucket(s, m->build_id, m->build_id_len); *pp;
		     pp = &(*pp)->hnext) {
			if (*pp == m) {
				*pp = m->hnext;
				break;
			}
		}
	}
	if (m->idle)
		lru__remove(s, m);
	if (m->dwfl)
		dwfl_end(m->dwfl);
	if (m->elf_pending)
		elf_end(m->elf_pending);
	free(m->debug_hint);
	free(m->segs);
	free(m->syms);
	free(m->bare);
	free(m->cus);
	free(m->rules);
	free(m);
	s->st.modules--;
}

/* Make room for one more module; false when every cached module is in use. */
static bool module__make_room(struct symbolizer *s)
{
	/* A loop: the limit may have been lowered below the count. */
	while (s->st.modules >= s->max_modules) {
		if (!s->lru_head)
			return false;
		module__destroy(s, s->lru_head);
		s->st.modules_evicted++;
	}
	return true;
}

/*
 * libdwfl's find_elf callback: hand over the Elf that module__from_fd() already opened, so that
 * libdwfl never reopens the file by name (the name may be another file by now, or live in a
 * process's root that is gone). libdwfl owns the Elf from here on.
 */
static int module__find_elf(Dwfl_Module *dwmod, void **userdata, const char *modname,
			    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	struct module *m = *userdata;

	(void)dwmod;
	(void)modname;
	(void)base;
	if (!m || !m->elf_pending) {
		errno = ENOENT;
		return -1;
	}
	*elfp = m->elf_pending;
	m->elf_pending = NULL;
	*file_name = m->debug_hint ? strdup(m->debug_hint) : NULL;
	return -1;
}

/*
 * Debug info is found by build-id under /usr/lib/debug/.build-id, then by .gnu_debuglink, by
 * libdwfl's standard search. It also asks debuginfod when DEBUGINFOD_URLS is set in our
 * environment (sudo's env_reset drops it), which can take seconds per module.
 */
static const Dwfl_Callbacks module__dwfl_callbacks = {
    .find_elf = module__find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
};

/*
 * One offline Dwfl per module, the module reported at its own link-time addresses (bias 0), so
 * that a module serves every process whatever its load address: callers translate addresses
 * to ELF vaddrs first. On failure the Elf is gone (freed here or by libdwfl) and m->dwfl stays
 * NULL: the module still gives offsets.
 */
static void module__attach_dwfl(struct module *m, Elf *elf, __u64 lo, __u64 hi)
{
	Dwfl_Module *dwmod;
	Dwarf_Addr bias;
	void **userdata;
	Dwfl *dwfl;

	m->elf_pending = elf;
	dwfl = dwfl_begin(&module__dwfl_callbacks);
	if (!dwfl)
		goto fail;
	dwfl_report_begin(dwfl);
	dwmod = dwfl_report_module(dwfl, m->debug_hint ? m->debug_hint : "module", lo, hi);
	if (!dwmod) {
		dwfl_report_end(dwfl, NULL, NULL);
		goto fail_dwfl;
	}
	dwfl_module_info(dwmod, &userdata, NULL, NULL, NULL, NULL, NULL, NULL);
	*userdata = m;
	if (dwfl_report_end(dwfl, NULL, NULL))
		goto fail_dwfl;
	/* Takes the Elf now rather than at the first lookup: ownership is settled here. */
	if (!dwfl_module_getelf(dwmod, &bias))
		goto fail_dwfl;
	m->dwfl = dwfl;
	m->dwmod = dwmod;
	m->bias = bias;
	return;

fail_dwfl:
	dwfl_end(dwfl);
fail:
	if (m->elf_pending) {
		elf_end(m->elf_pending);
		m->elf_pending = NULL;
	}
}

/* PT_LOAD segments, to turn file offsets (what maps gives) into ELF vaddrs. */
static int module__read_segments(struct module *m, Elf *elf, __u64 *lo, __u64 *hi)
{
	size_t phnum, i;
	bool first = true;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &phnum) || phnum == 0 || phnum > MAX_PHDRS)
		return -ENOEXEC;
	m->segs = calloc(phnum, sizeof(*m->segs));
	if (!m->segs)
		return -ENOMEM;
	for (i = 0; i < phnum; i++) {
		struct segment *seg;

		if (!gelf_getphdr(elf, i, &ph))
			return -ENOEXEC;
		if (ph.p_type != PT_LOAD)
			continue;
		seg = &m->segs[m->nsegs++];
		seg->off = ph.p_offset;
		seg->vaddr = ph.p_vaddr;
		seg->filesz = ph.p_filesz;
		seg->exec = ph.p_flags & PF_X;
		/* The same rule as libdwfl's, so that the module's bias comes out 0. */
		if (first)
			*lo = ph.p_vaddr & -ph.p_align;
		if (first || ph.p_vaddr + ph.p_memsz > *hi)
			*hi = ph.p_vaddr + ph.p_memsz;
		first = false;
	}
	if (!m->nsegs)
		return -ENOEXEC;
	if (*hi <= *lo)
		*hi = *lo + 1;
	return 0;
}

/*
 * File offset -> ELF vaddr. The exact rule is "inside a segment's file bytes"; the loader maps
 * from the page below p_offset, so an address may also lie just before a segment's p_offset.
 * Mappings here are executable, so executable segments win ties.
 */
static bool module__vaddr(const struct module *m, __u64 foff, size_t pagesz, __u64 *vaddr)
{
	int pass, i;

	for (pass = 0; pass < 4; pass++) {
		bool aligned = pass >= 2, want_exec = !(pass & 1);

		for (i = 0; i < m->nsegs; i++) {
			const struct segment *seg = &m->segs[i];
			__u64 lo = aligned ? seg->off & ~(__u64)(pagesz - 1) : seg->off;

			if (want_exec && !seg->exec)
				continue;
			if (foff >= lo && foff < seg->off + seg->filesz) {
				*vaddr = foff - seg->off + seg->vaddr;
				return true;
			}
		}
	}
	return false;
}

/*
 * The module for the ELF file open as fd: the cached one with the same build-id, else a new
 * one. -ENOEXEC when the file is not a loadable ELF file, -ENOSPC when the cache is full of
 * modules in use.
 */
static int module__from_fd(struct symbolizer *s, int fd, const char *debug_hint, struct module **mp)
{
	const void *id = NULL;
	struct module *m;
	__u64 lo = 0, hi = 0;
	int len, err = -ENOEXEC;
	Elf *elf;

	/*
	 * Mapped, not read: the page cache is shared with the processes that run the file, and
	 * nothing is copied. The one risk is a file truncated in place after this (SIGBUS on
	 * access); the processes that run it would crash first, and installers replace files
	 * by rename, which leaves this inode alone.
	 */
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -ENOEXEC;
	/* Everything is mapped now (or read, where mmap fails): the fd may be closed. */
	if (elf_kind(elf) != ELF_K_ELF || elf_cntl(elf, ELF_C_FDREAD))
		goto fail_elf;
	len = dwelf_elf_gnu_build_id(elf, &id);
	if (len > 0 && len <= MAX_BUILD_ID) {
		m = module__find_build_id(s, id, len);
		if (m) {
			elf_end(elf);
			*mp = m;
			return 0;
		}
	} else {
		len = 0;
	}
	if (!module__make_room(s)) {
		err = -ENOSPC;
		goto fail_elf;
	}
	err = -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		goto fail_elf;
	err = module__read_segments(m, elf, &lo, &hi);
	if (err)
		goto fail_mod;
	m->serial = ++s->next_serial;
	if (len) {
		struct module **bucket = module__bucket(s, id, len);

		memcpy(m->build_id, id, len);
		m->build_id_len = len;
		m->build_id_hex = build_id__intern(s, id, len);
		m->hnext = *bucket;
		*bucket = m;
	}
	m->debug_hint = debug_hint ? strdup(debug_hint) : NULL;
	/* The build-id was copied: the Elf (and the memory id points into) may go now. */
	module__attach_dwfl(m, elf, lo, hi);
	s->st.modules++;
	s->st.modules_opened++;
	*mp = m;
	return 0;

fail_mod:
	free(m->segs);
	free(m);
fail_elf:
	elf_end(elf);
	return err;
}

/* ---- opening a process's files ---- */

/*
 * path as the process sees it, resolved inside its root: a container's absolute symlinks stay
 * in the container, and symlinks cannot lead us out of it. O_NONBLOCK: the name may now be a
 * FIFO, and opening must not hang.
 */
static int file__open_in_root(struct snap_ctx *c, const char *path)
{
	struct open_how how = {
	    .flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY,
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char buf[PATH_MAX + 64];
	int fd, n;

	if (c->no_root)
		return -ENOENT;
	if (!c->no_openat2) {
		if (c->rootfd < 0) {
			snprintf(buf, sizeof(buf), "/proc/%d/root", c->pid);
			c->rootfd = open(buf, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (c->rootfd < 0) {
				c->no_root = true;
				return -errno;
			}
		}
		fd = syscall(SYS_openat2, c->rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno != ENOSYS)
			return -errno;
		c->no_openat2 = true;
	}
	/* Before Linux 5.6: the magic root link, without the scoping. */
	n = snprintf(buf, sizeof(buf), "/proc/%d/root%s", c->pid, path);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	fd = open(buf, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	return fd >= 0 ? fd : -errno;
}

static bool file__is(int fd, __u64 ino)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISREG(st.st_mode) && (!ino || st.st_ino == ino);
}

/*
 * Open the file behind an executable mapping. By name first; when the name is gone or names
 * another file now (deleted, replaced by an upgrade, memfd), through map_files, which is the
 * mapped file itself but needs CAP_SYS_ADMIN and a live process.
 */
static int file__open_mapped(struct snap_ctx *c, const struct mapping *m, __u64 ino, bool deleted)
{
	char buf[96];
	int fd;

	if (!deleted) {
		fd = file__open_in_root(c, m->path);
		/* st_ino is compared only: overlayfs and btrfs report another st_dev than maps. */
		if (fd >= 0 && file__is(fd, ino))
			return fd;
		if (fd >= 0)
			close(fd);
	}
	snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx", c->pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = open(buf, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (!file__is(fd, 0)) {
		close(fd);
		return -ENOEXEC;
	}
	return fd;
}

/* The module for a file mapping, with a reference taken; NULL when there is none. */
static struct module *module__for_mapping(struct symbolizer *s, struct snap_ctx *c,
					  const struct mapping *mp, __u64 dev, __u64 ino,
					  bool deleted)
{
	struct alias *a = alias__find(s, dev, ino);
	struct module *m;
	char hint[PATH_MAX + 32];
	int fd, err;

	if (a) {
		module__get(s, a->mod);
		return a->mod;
	}
	fd = file__open_mapped(c, mp, ino, deleted);
	if (fd < 0) {
		s->st.open_failures++;
		return NULL;
	}
	snprintf(hint, sizeof(hint), "/proc/%d/root%s", c->pid, mp->path);
	err = module__from_fd(s, fd, hint, &m);
	if (!err) {
		module__get(s, m);
		alias__add(s, dev, ino, m, fd);
	} else if (err == -ENOSPC) {
		s->st.modules_refused++;
	} else {
		s->st.open_failures++;
	}
	close(fd);
	return err ? NULL : m;
}

/* ---- snapshots ---- */

static struct snapshot **snap__bucket(struct symbolizer *s, pid_t pid)
{
	return &s->snaps[(__u32)pid & (SNAP_BUCKETS - 1)];
}

static struct snapshot *snap__find(struct symbolizer *s, pid_t pid)
{
	struct snapshot *sn;

	for (sn = *snap__bucket(s, pid); sn; sn = sn->hnext)
		if (sn->pid == pid)
			return sn;
	return NULL;
}

static void maps__release(struct symbolizer *s, struct mapping *maps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (maps[i].mod)
			module__put(s, maps[i].mod);
	free(maps);
}

static int mapping__cmp(const void *a, const void *b)
{
	const struct mapping *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * One line of /proc/PID/maps into *mp (path interned); 1 when it is an executable mapping,
 * 0 to skip it, negative errno.
 */
static int maps__parse_line(struct symbolizer *s, struct snap_ctx *c, char *line,
			    struct mapping *mp)
{
	static const char deleted_sfx[] = " (deleted)";
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	bool deleted = false;
	char perms[8];
	size_t len;
	char *path;
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff, &maj,
		   &min, &ino, &n) < 7 ||
	    !n)
		return 0;
	if (strlen(perms) < 3 || perms[2] != 'x' || end <= start)
		return 0;
	path = line + n;
	len = strcspn(path, "\n");
	path[len] = '\0';
	if (len > sizeof(deleted_sfx) - 1 &&
	    !strcmp(path + len - (sizeof(deleted_sfx) - 1), deleted_sfx)) {
		path[len - (sizeof(deleted_sfx) - 1)] = '\0';
		deleted = true;
	}
	memset(mp, 0, sizeof(*mp));
	mp->start = start;
	mp->end = end;
	mp->pgoff = pgoff;
	mp->file = path[0] == '/' && ino;
	mp->path = strtab__intern(&s->strs, path[0] ? path : "[anon]");
	if (!mp->path)
		return -ENOMEM;
	if (mp->file)
		mp->mod = module__for_mapping(s, c, mp, makedev(maj, min), ino, deleted);
	return 1;
}

static int maps__read(struct symbolizer *s, pid_t pid, struct mapping **mapsp, size_t *np)
{
	struct snap_ctx c = {.pid = pid, .rootfd = -1};
	struct mapping *maps = NULL, *tmp;
	size_t n = 0, cap = 0, linecap = 0, i, kept;
	char *line = NULL, buf[64];
	bool sorted = true;
	int err = 0;
	FILE *f;

	snprintf(buf, sizeof(buf), "/proc/%d/maps", pid);
	f = fopen(buf, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (getline(&line, &linecap, f) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			tmp = realloc(maps, cap * sizeof(*maps));
			if (!tmp) {
				err = -ENOMEM;
				goto out;
			}
			maps = tmp;
		}
		err = maps__parse_line(s, &c, line, &maps[n]);
		if (err < 0)
			goto out;
		if (!err)
			continue;
		err = 0;
		if (n && maps[n].start < maps[n - 1].start)
			sorted = false;
		n++;
	}
	if (ferror(f)) {
		/* The process exited while we read: what was read is not the whole of it. */
		err = errno == ESRCH || errno == ENOENT || !errno ? -ESRCH : -errno;
		goto out;
	}
	if (!n) {
		/* A zombie or a kernel thread: no code to resolve. */
		err = -ESRCH;
		goto out;
	}
	if (!sorted)
		qsort(maps, n, sizeof(*maps), mapping__cmp);
	/*
	 * maps is read in pieces while the process may mmap; overlapping entries would break the
	 * binary search: keep the first of each.
	 */
	for (i = 1, kept = 1; i < n; i++) {
		if (maps[i].start < maps[kept - 1].end) {
			if (maps[i].mod)
				module__put(s, maps[i].mod);
			continue;
		}
		maps[kept++] = maps[i];
	}
	n = kept;
out:
	free(line);
	fclose(f);
	if (c.rootfd >= 0)
		close(c.rootfd);
	if (err) {
		maps__release(s, maps, n);
		return err;
	}
	*mapsp = maps;
	*np = n;
	return 0;
}

/* ---- API ---- */

struct symbolizer *symbolizer__new(void)
{
	struct symbolizer *s;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->results = calloc(RESULT_SLOTS, sizeof(*s->results));
	if (!s->results) {
		free(s);
		return NULL;
	}
	s->max_snapshots = SYMBOLIZER_MAX_SNAPSHOTS;
	s->max_modules = SYMBOLIZER_MAX_MODULES;
	s->pagesz = sysconf(_SC_PAGESIZE);
	return s;
}

void symbolizer__set_limits(struct symbolizer *s, size_t max_snapshots, size_t max_modules)
{
	if (max_snapshots)
		s->max_snapshots = max_snapshots;
	if (max_modules)
		s->max_modules = max_modules;
}

void symbolizer__stats(const struct symbolizer *s, struct symbolizer_stats *st)
{
	*st = s->st;
}

void symbolizer__forget(struct symbolizer *s, pid_t pid)
{
	struct snapshot **pp, *sn;

	for (pp = snap__bucket(s, pid); (sn = *pp); pp = &sn->hnext) {
		if (sn->pid != pid)
			continue;
		*pp = sn->hnext;
		maps__release(s, sn->maps, sn->nmaps);
		free(sn);
		s->st.snapshots--;
		return;
	}
}

void symbolizer__free(struct symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < SNAP_BUCKETS; i++)
		while (s->snaps[i])
			symbolizer__forget(s, s->snaps[i]->pid);
	/* Every module is idle now. */
	while (s->lru_head)
		module__destroy(s, s->lru_head);
	strtab__free(&s->strs);
	free(s->results);
	free(s);
}

static bool maps__overlaps(const struct mapping *maps, size_t n, const struct mapping *m)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (maps[i].start < m->end && m->start < maps[i].end)
			return true;
	return false;
}

/*
 * After exec (or dlclose), resources of the old image (fds kept across exec)
 * still carry its addresses: keep the old mappings that the new snapshot does
 * not cover (ASLR puts two images apart), up to MAX_KEPT_OLD. Moves module
 * references from old[] into *maps or releases them; old[] itself is the
 * caller's to free.
 */
static int maps__keep_old(struct symbolizer *s, struct mapping **maps, size_t *n,
			  struct mapping *old, size_t nold)
{
	struct mapping *merged;
	size_t i, k = *n, kept = 0;

	merged = realloc(*maps, (*n + nold + 1) * sizeof(*merged));
	if (!merged) {
		maps__release(s, old, nold);
		return -ENOMEM;
	}
	*maps = merged;
	for (i = 0; i < nold; i++) {
		if (kept < MAX_KEPT_OLD && !maps__overlaps(merged, *n, &old[i])) {
			merged[k++] = old[i];
			kept++;
		} else if (old[i].mod) {
			module__put(s, old[i].mod);
		}
	}
	*n = k;
	qsort(merged, k, sizeof(*merged), mapping__cmp);
	return 0;
}

int symbolizer__snapshot(struct symbolizer *s, pid_t pid)
{
	struct snapshot *sn = snap__find(s, pid), **bucket;
	struct mapping *maps = NULL;
	size_t n = 0;
	int err;

	if (!sn && s->st.snapshots >= s->max_snapshots) {
		s->st.snapshots_refused++;
		return -ENOSPC;
	}
	/* Read before dropping the old one: its modules stay cached for the new one. */
	err = maps__read(s, pid, &maps, &n);
	if (err)
		return err;
	if (sn) {
		/* Never forget an address that nothing new has taken (exec, dlclose). */
		err = maps__keep_old(s, &maps, &n, sn->maps, sn->nmaps);
		if (err) {
			maps__release(s, maps, n);
			return err;
		}
		free(sn->maps); /* its mappings were moved or released by maps__keep_old() */
	} else {
		sn = calloc(1, sizeof(*sn));
		if (!sn) {
			maps__release(s, maps, n);
			return -ENOMEM;
		}
		sn->pid = pid;
		bucket = snap__bucket(s, pid);
		sn->hnext = *bucket;
		*bucket = sn;
		s->st.snapshots++;
	}
	sn->maps = maps;
	sn->nmaps = n;
	return 0;
}

static const struct mapping *snap__lookup(const struct snapshot *sn, __u64 addr)
{
	size_t lo = 0, hi = sn->nmaps;

	/* The last mapping that starts at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sn->maps[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= sn->maps[lo - 1].end)
		return NULL;
	return &sn->maps[lo - 1];
}

static int msym__cmp(const void *a, const void *b)
{
	const struct msym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->rank - y->rank;
}

/*
 * Which symbol names an address when several start there: a global function before a weak
 * one before a local one, a function before a label. The same preference as libdwfl's.
 */
static int msym__rank(const GElf_Sym *sym)
{
	int bind = GELF_ST_BIND(sym->st_info), rank;

	rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
	if (GELF_ST_TYPE(sym->st_info) == STT_NOTYPE)
		rank += 3;
	return rank;
}

/* Sort, and keep only the preferred symbol of each address. */
static size_t msym__sort_unique(struct msym *v, size_t n)
{
	size_t i, kept = 0;

	qsort(v, n, sizeof(*v), msym__cmp);
	for (i = 0; i < n; i++)
		if (!kept || v[kept - 1].start != v[i].start)
			v[kept++] = v[i];
	return kept;
}

/*
 * A sorted index of the code symbols libdwfl sees (.symtab, else .dynsym, plus MiniDebugInfo's
 * and a separate debug file's), built once per module: dwfl_module_addrinfo() scans the whole
 * table at each call (140 us in libc, milliseconds in a browser), this is a binary search.
 */
static int module__index_symbols(struct module *m)
{
	int n = dwfl_module_getsymtab(m->dwmod), i;
	size_t nsyms = 0, nbare = 0;

	if (n <= 1)
		return n < 0 ? -ENOENT : 0;
	m->syms = calloc(n, sizeof(*m->syms));
	m->bare = calloc(n, sizeof(*m->bare));
	if (!m->syms || !m->bare)
		return -ENOMEM;
	for (i = 1; i < n; i++) {
		Dwarf_Addr bias = 0;
		GElf_Word shndx = 0;
		GElf_Addr addr = 0;
		Elf *elf = NULL;
		const char *name;
		struct msym *e;
		GElf_Sym sym;
		GElf_Shdr sh;
		Elf_Scn *scn;
		int type;

		name = dwfl_module_getsym_info(m->dwmod, i, &sym, &addr, &shndx, &elf, &bias);
		type = GELF_ST_TYPE(sym.st_info);
		if (!name || !name[0] || sym.st_shndx == SHN_UNDEF || sym.st_shndx == SHN_ABS ||
		    shndx == (GElf_Word)-1)
			continue;
		if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
			continue;
		e = sym.st_size ? &m->syms[nsyms++] : &m->bare[nbare++];
		e->start = addr;
		e->end = addr + sym.st_size;
		e->name = name;
		e->rank = msym__rank(&sym);
		if (sym.st_size)
			continue;
		/*
		 * A label names addresses up to the end of its section, no further: _init is
		 * not the name of the PLT that follows .init.
		 */
		scn = elf ? elf_getscn(elf, shndx) : NULL;
		e->end = scn && gelf_getshdr(scn, &sh) ? sh.sh_addr + sh.sh_size + bias : 0;
	}
	m->nsyms = msym__sort_unique(m->syms, nsyms);
	m->nbare = msym__sort_unique(m->bare, nbare);
	return 0;
}

/* Index of the last entry of v starting at or below addr, or -1. */
static long msym__floor(const struct msym *v, size_t n, __u64 addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/*
 * The sized symbol that contains addr (looking a few entries back for one nested in another),
 * else a label after the end of the sized symbol before addr and in the same section: the
 * rules libdwfl applies.
 */
static const struct msym *module__symbol(const struct module *m, __u64 addr)
{
	long i = msym__floor(m->syms, m->nsyms, addr), j, b;
	__u64 floor_end = 0;

	for (j = i; j >= 0 && j > i - 8; j--)
		if (addr < m->syms[j].end)
			return &m->syms[j];
	if (i >= 0)
		floor_end = m->syms[i].end;
	b = msym__floor(m->bare, m->nbare, addr);
	if (b >= 0 && m->bare[b].start >= floor_end && (!m->bare[b].end || addr < m->bare[b].end))
		return &m->bare[b];
	return NULL;
}

static int cu_range__cmp(const void *a, const void *b)
{
	const struct cu_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * libdw finds the compile unit of an address through .debug_aranges, which clang (and rustc,
 * and Go) do not emit: index the units' own ranges instead, once per module.
 */
static int module__index_cus(struct module *m)
{
	Dwarf *dw = dwfl_module_getdwarf(m->dwmod, &m->dwbias);
	Dwarf_CU *cu = NULL;
	struct cu_range *tmp;
	uint8_t unit_type;
	Dwarf_Half version;
	Dwarf_Die cudie;
	size_t cap = 0;

	if (!dw)
		return 0;
	while (!dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, NULL)) {
		Dwarf_Addr base, start, end;
		ptrdiff_t off = 0;

		if (unit_type != DW_UT_compile && unit_type != DW_UT_partial &&
		    unit_type != DW_UT_skeleton)
			continue;
		while ((off = dwarf_ranges(&cudie, off, &base, &start, &end)) > 0) {
			if (end <= start)
				continue;
			if (m->ncus == cap) {
				if (cap >= MAX_CU_RANGES)
					goto done;
				cap = cap ? cap * 2 : 64;
				tmp = realloc(m->cus, cap * sizeof(*m->cus));
				if (!tmp)
					return -ENOMEM;
				m->cus = tmp;
			}
			m->cus[m->ncus++] =
			    (struct cu_range){.start = start, .end = end, .cu = cudie};
		}
	}
done:
	if (m->ncus)
		qsort(m->cus, m->ncus, sizeof(*m->cus), cu_range__cmp);
	return 0;
}

/* Source file and line at dwaddr, through the compile units' own ranges. */
static const char *module__src_by_cu(struct module *m, Dwarf_Addr dwaddr, int *lineno)
{
	__u64 addr = dwaddr - m->dwbias;
	size_t lo = 0, hi, i;
	Dwarf_Line *line;

	if (!m->cus_built) {
		m->cus_built = true;
		if (module__index_cus(m)) {
			free(m->cus);
			m->cus = NULL;
			m->ncus = 0;
		}
	}
	for (hi = m->ncus; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->cus[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Units do not overlap, but a few steps back costs nothing if one does. */
	for (i = lo; i > 0 && i + 8 > lo; i--) {
		struct cu_range *c = &m->cus[i - 1];

		if (addr >= c->end)
			continue;
		line = dwarf_getsrc_die(&c->cu, addr);
		if (!line || dwarf_lineno(line, lineno))
			return NULL;
		return dwarf_linesrc(line, NULL, NULL);
	}
	return NULL;
}

/* Function and file:line at vaddr in m, through the result cache. */
static void module__lookup(struct symbolizer *s, struct module *m, __u64 vaddr,
			   struct sym_frame *out)
{
	struct result *r = &s->results[hash_u64(vaddr ^ hash_u64(m->serial)) & (RESULT_SLOTS - 1)];
	Dwarf_Addr dwaddr = vaddr + m->bias, dwbias;
	const char *name, *src;
	Dwfl_Line *line;
	GElf_Off off = 0;
	GElf_Sym sym;
	int lineno = 0;

	if (r->serial == m->serial && r->vaddr == vaddr)
		goto out;
	r->serial = m->serial;
	r->vaddr = vaddr;
	r->sym = r->file = NULL;
	r->off = 0;
	r->line = 0;
	if (!m->dwfl)
		goto out;
	if (!m->syms_built) {
		m->syms_built = true;
		if (module__index_symbols(m)) {
			free(m->syms);
			free(m->bare);
			m->syms = m->bare = NULL;
			m->nsyms = m->nbare = 0;
			m->syms_built = false; /* out of memory: ask libdwfl */
		}
	}
	if (m->syms_built) {
		const struct msym *e = module__symbol(m, dwaddr);

		name = e ? e->name : NULL;
		off = e ? dwaddr - e->start : 0;
	} else {
		name = dwfl_module_addrinfo(m->dwmod, dwaddr, &off, &sym, NULL, NULL, NULL);
	}
	if (name && name[0]) {
		r->sym = symbol__intern(s, name);
		r->off = r->sym ? off : 0;
	}
	line = dwfl_module_getsrc(m->dwmod, dwaddr);
	src = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
	if (!line && dwfl_module_getdwarf(m->dwmod, &dwbias))
		src = module__src_by_cu(m, dwaddr, &lineno);
	if (src && src[0]) {
		const char *base = strrchr(src, '/');

		/* The file name alone, as the report shows it ("leaky.c"). */
		r->file = strtab__intern(&s->strs, base && base[1] ? base + 1 : src);
		r->line = r->file ? lineno : 0;
	}
out:
	out->sym = r->sym;
	out->off = r->off;
	out->file = r->file;
	out->line = r->line;
}

int symbolizer__module(struct symbolizer *s, pid_t pid, __u64 addr, const char **module)
{
	const struct snapshot *sn = snap__find(s, pid);
	const struct mapping *mp = sn ? snap__lookup(sn, addr) : NULL;

	*module = mp ? mp->path : NULL;
	return mp ? 0 : -ENOENT;
}

int symbolizer__resolve(struct symbolizer *s, pid_t pid, __u64 addr, struct sym_frame *out)
{
	const struct snapshot *sn;
	const struct mapping *mp;
	__u64 foff, vaddr;

	memset(out, 0, sizeof(*out));
	sn = snap__find(s, pid);
	if (!sn)
		return -ENOENT;
	mp = snap__lookup(sn, addr);
	if (!mp)
		return -ENOENT;
	out->module = mp->path;
	if (!mp->file) {
		/* [vdso], [anon]: offsets from the mapping's start. */
		out->module_off = addr - mp->start;
		return 0;
	}
	foff = addr - mp->start + mp->pgoff;
	out->build_id = mp->mod ? mp->mod->build_id_hex : NULL;
	if (!mp->mod || !module__vaddr(mp->mod, foff, s->pagesz, &vaddr)) {
		/*
		 * No program headers to go by: the file offset, which is also the vaddr of the
		 * code of most shared objects.
		 */
		out->module_off = foff;
		return 0;
	}
	out->module_off = vaddr;
	module__lookup(s, mp->mod, vaddr, out);
	return 0;
}

/*
 * The CFA of the frame at vaddr in m, from .eh_frame (or .debug_frame), when it
 * is a register plus an offset: how compilers describe every x86-64 frame but
 * those of hand-written code that moves the stack in odd ways.
 */
/*
 * Where the caller's %rbp is: same as now (*bp_same), or saved at CFA + *bp_off
 * (*bp_saved). Neither when CFI says nothing usable.
 */
static void frame__rbp_rule(Dwarf_Frame *fr, bool *bp_same, bool *bp_saved, __s64 *bp_off)
{
	Dwarf_Op mem[3], *ops;
	size_t nops;

	*bp_same = *bp_saved = false;
	if (dwarf_frame_register(fr, 6, mem, &ops, &nops))
		return;
	if (!nops) {
		*bp_same = !ops; /* NULL: same_value; ops_mem: undefined */
		return;
	}
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return;
	if (nops == 1) {
		*bp_off = 0;
		*bp_saved = true;
	} else if (nops == 2 && ops[1].atom == DW_OP_plus_uconst) {
		*bp_off = (__s64)ops[1].number;
		*bp_saved = true;
	} else if (nops == 3 && ops[1].atom == DW_OP_consts && ops[2].atom == DW_OP_plus) {
		*bp_off = (__s64)ops[1].number;
		*bp_saved = true;
	}
}

static int module__cfa_lookup(struct module *m, __u64 vaddr, int *reg, __s64 *off, bool *bp_same,
			      bool *bp_saved, __s64 *bp_off)
{
	Dwarf_Addr bias;
	Dwarf_CFI *cfi;
	Dwarf_Frame *fr = NULL;
	Dwarf_Op *ops;
	size_t nops;
	int ret = -ENOENT;

	if (!m->dwmod)
		return -ENOENT;
	cfi = dwfl_module_eh_cfi(m->dwmod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, vaddr + m->bias - bias, &fr)) {
		cfi = dwfl_module_dwarf_cfi(m->dwmod, &bias);
		if (!cfi || dwarf_cfi_addrframe(cfi, vaddr + m->bias - bias, &fr))
			return -ENOENT;
	}
	/* libdw states "register + offset" as DW_OP_bregx (reg, off) or DW_OP_bregN (off). */
	if (!dwarf_frame_cfa(fr, &ops, &nops) && nops == 1) {
		if (ops[0].atom == DW_OP_bregx) {
			*reg = (int)ops[0].number;
			*off = (__s64)ops[0].number2;
			ret = 0;
		} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
			*reg = ops[0].atom - DW_OP_breg0;
			*off = (__s64)ops[0].number;
			ret = 0;
		}
	}
	if (!ret)
		frame__rbp_rule(fr, bp_same, bp_saved, bp_off);
	free(fr);
	return ret;
}

static int module__cfa_rule(struct module *m, __u64 vaddr, int *reg, __s64 *off, bool *bp_same,
			    bool *bp_saved, __s64 *bp_off)
{
	struct cfa_rule *r;

	if (!m->rules)
		m->rules = calloc(CFA_RULES, sizeof(*m->rules));
	if (!m->rules) /* no memory: look it up every time */
		return module__cfa_lookup(m, vaddr, reg, off, bp_same, bp_saved, bp_off);
	r = &m->rules[(vaddr * 0x9e3779b97f4a7c15ull) >> 58];
	if (!r->used || r->vaddr != vaddr) {
		r->used = true;
		r->vaddr = vaddr;
		r->reg = 0;
		r->off = r->bp_off = 0;
		r->bp_same = r->bp_saved = false;
		r->ret = module__cfa_lookup(m, vaddr, &r->reg, &r->off, &r->bp_same, &r->bp_saved,
					    &r->bp_off);
	}
	*reg = r->reg;
	*off = r->off;
	*bp_same = r->bp_same;
	*bp_saved = r->bp_saved;
	*bp_off = r->bp_off;
	return r->ret;
}

/* The sampled word at addr, if the sample holds it. */
static bool stack__word(const __u64 *stack, __u64 stack_sp, unsigned words, __u64 addr, __u64 *v)
{
	if (addr < stack_sp || (addr - stack_sp) % 8 || (addr - stack_sp) / 8 >= words)
		return false;
	*v = stack[(addr - stack_sp) / 8];
	return true;
}

int symbolizer__unwind_step(struct symbolizer *s, pid_t pid, __u64 ip, __u64 sp, __u64 *bp,
			    const __u64 *stack, __u64 stack_sp, unsigned words, __u64 *ret_addr,
			    __u64 *caller_sp)
{
	const struct snapshot *sn = snap__find(s, pid);
	bool bp_same = false, bp_saved = false;
	const struct mapping *mp;
	__u64 vaddr, cfa, slot;
	__s64 off, bp_off = 0;
	int reg;

	mp = sn ? snap__lookup(sn, ip) : NULL;
	if (!mp || !mp->file || !mp->mod ||
	    !module__vaddr(mp->mod, ip - mp->start + mp->pgoff, s->pagesz, &vaddr))
		return -ENOENT;
	if (module__cfa_rule(mp->mod, vaddr, &reg, &off, &bp_same, &bp_saved, &bp_off))
		return -ENOENT;
	if (reg == 7) /* DWARF register 7 is %rsp, 6 is %rbp */
		cfa = sp + off;
	else if (reg == 6)
		cfa = *bp + off;
	else
		return -ENOTSUP;
	/* x86-64: the return address sits just below the CFA, the caller's sp after return. */
	slot = cfa - 8;
	*caller_sp = cfa;
	if (!stack__word(stack, stack_sp, words, slot, ret_addr))
		return -ERANGE;
	/* The caller's %rbp, for a frame-pointer walk on from there: kept, or restored. */
	if (bp_saved && !stack__word(stack, stack_sp, words, cfa + bp_off, bp))
		*bp = 0;
	else if (!bp_same && !bp_saved)
		*bp = 0;
	return 0;
}
