// SPDX-License-Identifier: GPL-2.0
/*
 * objects.c - find allocator objects and the probe sites inside them.
 *
 * Owns: ELF symbol lookup (libelf), probe-site choice (capstone), libc
 * discovery from /proc/PID/maps, safe opening through /proc/PID/root.
 * Must not: attach, print, or keep state between calls.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <capstone/capstone.h>
#include "objects.h"

const char *const obj_fn_names[OBJ_FN__MAX] = {
	[OBJ_MALLOC] = "malloc",
	[OBJ_CALLOC] = "calloc",
	[OBJ_REALLOC] = "realloc",
	[OBJ_REALLOCARRAY] = "reallocarray",
	[OBJ_POSIX_MEMALIGN] = "posix_memalign",
	[OBJ_ALIGNED_ALLOC] = "aligned_alloc",
	[OBJ_MEMALIGN] = "memalign",
	[OBJ_VALLOC] = "valloc",
	[OBJ_PVALLOC] = "pvalloc",
	[OBJ_FREE] = "free",
};

/* Bytes of a function's code read to choose its probe site (larger ones: the entry). */
#define PROBE_SCAN_MAX (64u << 10)

static int fn_index(const char *name)
{
	int i;

	for (i = 0; i < OBJ_FN__MAX; i++)
		if (!strcmp(name, obj_fn_names[i]))
			return i;
	return -1;
}

/* ELF virtual address -> file offset, through the PT_LOAD that holds it. */
static __u64 vaddr_to_offset(Elf *elf, __u64 vaddr)
{
	size_t n, i;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return 0;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz)
			return vaddr - ph.p_vaddr + ph.p_offset;
	}
	return 0;
}

static void read_symtab(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh, __u64 vaddr[OBJ_FN__MAX],
			__u64 vsize[OBJ_FN__MAX])
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;
	GElf_Sym sym;
	const char *name;
	int idx;

	if (!data || !sh->sh_entsize)
		return;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		if (!gelf_getsym(data, i, &sym))
			break;
		if (sym.st_shndx == SHN_UNDEF || !sym.st_value)
			continue;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue; /* an IFUNC resolver is not the function: skip it */
		if (GELF_ST_BIND(sym.st_info) == STB_LOCAL)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || (idx = fn_index(name)) < 0 || vaddr[idx])
			continue;
		vaddr[idx] = sym.st_value;
		vsize[idx] = sym.st_size;
	}
}

int objects__read_funcs(int fd, struct obj_funcs *f)
{
	__u64 vaddr[OBJ_FN__MAX] = {}, vsize[OBJ_FN__MAX] = {};
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	__u8 *code = NULL;
	size_t len;
	ssize_t got;
	Elf *elf;
	int i, ret = 0;

	memset(f, 0, sizeof(*f));
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf)
		return -EINVAL;
	if (elf_kind(elf) != ELF_K_ELF) {
		ret = -EINVAL;
		goto out;
	}
	/* .dynsym first: it names what callers reach; .symtab adds static binaries. */
	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNSYM)
			read_symtab(elf, scn, &sh, vaddr, vsize);
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			read_symtab(elf, scn, &sh, vaddr, vsize);
	}
	for (i = 0; i < OBJ_FN__MAX; i++) {
		if (vaddr[i])
			f->offset[i] = vaddr_to_offset(elf, vaddr[i]);
		f->probe_off[i] = f->offset[i];
	}
	if (!f->offset[OBJ_MALLOC] || !f->offset[OBJ_FREE]) {
		ret = -ENOENT;
		goto out;
	}
	/*
	 * Choose each probe site from the function's code: the whole body, so that
	 * a jump back into its first instructions is seen (an unknown size: the
	 * first bytes, and a site past the entry is then refused).
	 */
	code = malloc(PROBE_SCAN_MAX);
	if (!code)
		goto out;
	for (i = 0; i < OBJ_FN__MAX; i++) {
		if (!f->offset[i])
			continue;
		len = vsize[i] && vsize[i] <= PROBE_SCAN_MAX ? vsize[i] : 0;
		got = pread(fd, code, len ? len : 32, f->offset[i]);
		if (got < 16 || (len && (size_t)got != len))
			continue;
		f->probe_off[i] += objects__probe_shift(code, (size_t)got, len != 0, &f->why[i]);
	}
out:
	free(code);
	elf_end(elf);
	return ret;
}

/* Instructions the kernel's uprobe code emulates instead of single-stepping. */
static bool emulated(const cs_insn *in)
{
	const cs_detail *d = in->detail;
	int i;

	if (in->id == X86_INS_NOP || in->id == X86_INS_PUSH)
		return true;
	for (i = 0; i < d->groups_count; i++)
		if (d->groups[i] == X86_GRP_JUMP || d->groups[i] == X86_GRP_CALL)
			return true;
	return false;
}

/*
 * Changes no register but the flags, and no memory: test and cmp (with a
 * memory operand they only read it), endbr64. Run before the probe instead of
 * at it, it leaves the arguments and the stack pointer (so the return address
 * at [sp], which a uretprobe takes) as they were at the entry.
 */
static bool flags_only(const cs_insn *in)
{
	return in->id == X86_INS_TEST || in->id == X86_INS_CMP || in->id == X86_INS_ENDBR64;
}

/* Does a direct jump or call of the body land in (0, shift]: a way to the site but the entry? */
static bool jumped_into(csh cs, const __u8 *code, size_t len, unsigned shift)
{
	cs_insn *in = cs_malloc(cs);
	const __u8 *p = code;
	size_t left = len;
	uint64_t addr = 0;
	bool hit = false;
	int i, g;

	if (!in)
		return true;
	while (!hit && cs_disasm_iter(cs, &p, &left, &addr, in)) {
		for (g = 0; g < in->detail->groups_count; g++)
			if (in->detail->groups[g] == X86_GRP_JUMP || in->detail->groups[g] == X86_GRP_CALL)
				break;
		if (g == in->detail->groups_count)
			continue;
		for (i = 0; i < in->detail->x86.op_count; i++) {
			const cs_x86_op *op = &in->detail->x86.operands[i];

			if (op->type == X86_OP_IMM && op->imm > 0 && (__u64)op->imm <= shift)
				hit = true;
		}
	}
	/* Data or padding we cannot decode ends the scan early: then we cannot tell. */
	if (!hit && left > 16)
		hit = true;
	cs_free(in, 1);
	return hit;
}

unsigned objects__probe_shift(const __u8 *code, size_t len, bool whole, const char **why)
{
	unsigned shift = 0;
	csh cs;
	cs_insn *in;
	size_t n, i;

	*why = NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return 0;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	n = cs_disasm(cs, code, len, 0, 4, &in);
	/* At most two flag-only instructions, then one the kernel emulates. */
	for (i = 0; i < n && i < 3; i++) {
		if (emulated(&in[i])) {
			if (i > 0) {
				shift = (unsigned)in[i].address;
				*why = "skipped flag-only instructions onto an emulated one";
			}
			break;
		}
		if (!flags_only(&in[i]))
			break;
	}
	if (n)
		cs_free(in, n);
	if (shift && (!whole || jumped_into(cs, code, len, shift))) {
		shift = 0;
		*why = NULL;
	}
	cs_close(&cs);
	return shift;
}

bool objects__is_libc(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	if (!strncmp(base, "libc.so", 7) || !strncmp(base, "ld-musl-", 8))
		return true;
	/* libc-2.31.so (older glibc), but not libc-client.so and the like */
	if (!strncmp(base, "libc-", 5) && isdigit((unsigned char)base[5]))
		return true;
	return false;
}

int objects__open_in_root(pid_t pid, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char root[64];
	int dfd, fd;

	if (pid <= 0)
		snprintf(root, sizeof(root), "/");
	else
		snprintf(root, sizeof(root), "/proc/%d/root", pid);
	dfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	fd = syscall(SYS_openat2, dfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) /* kernels before 5.6 */
		fd = openat(dfd, path[0] == '/' ? path + 1 : path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		fd = -errno;
	close(dfd);
	return fd;
}

int objects__open_mapped(pid_t pid, const char *path, dev_t dev, ino_t ino)
{
	pid_t roots[2] = { 0, pid };
	struct stat st;
	int i, fd, ret = -ENOENT;

	/*
	 * /proc/PID/maps names a file as seen from the reader's root when it can
	 * (a chroot's files: a host path), else as seen in the process's mount
	 * namespace (a container's). Try both; keep only the very file mapped.
	 */
	for (i = 0; i < (pid > 0 ? 2 : 1); i++) {
		fd = objects__open_in_root(roots[i], path);
		if (fd < 0) {
			ret = fd;
			continue;
		}
		if (!fstat(fd, &st) && (!ino || (st.st_dev == dev && st.st_ino == ino)))
			return fd;
		close(fd);
		ret = -ESTALE;
	}
	return ret;
}

/* One line of /proc/PID/maps: "start-end perms off maj:min ino path". */
struct maps_line {
	char perms[8];
	dev_t dev;
	ino_t ino;
	char path[PATH_MAX];
};

/* Call cb for each file-backed executable mapping; stop at its first non-zero return. */
static int maps_each_exec(pid_t pid, int (*cb)(void *ctx, const struct maps_line *l), void *ctx)
{
	char fname[64], line[PATH_MAX + 128];
	unsigned long long start, end, off, ino;
	struct maps_line l;
	unsigned maj, min;
	FILE *f;
	int ret = 0;

	snprintf(fname, sizeof(fname), "/proc/%d/maps", pid);
	f = fopen(fname, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		l.path[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %4095[^\n]", &start, &end, l.perms,
			   &off, &maj, &min, &ino, l.path) < 8)
			continue;
		if (l.perms[2] != 'x' || l.path[0] != '/')
			continue;
		l.dev = makedev(maj, min);
		l.ino = (ino_t)ino;
		ret = cb(ctx, &l);
		if (ret)
			break;
	}
	fclose(f);
	return ret;
}

struct find_ctx {
	dev_t dev;
	ino_t ino;
	char *path;
	size_t len;
};

static int find_one(void *ctx, const struct maps_line *l)
{
	struct find_ctx *c = ctx;

	if (l->dev != c->dev || l->ino != c->ino)
		return 0;
	snprintf(c->path, c->len, "%s", l->path);
	return 1;
}

int objects__find_mapped(pid_t pid, dev_t dev, ino_t ino, char *path, size_t len)
{
	struct find_ctx c = { .dev = dev, .ino = ino, .path = path, .len = len };

	return maps_each_exec(pid, find_one, &c) == 1 ? 0 : -ENOENT;
}

struct scan_ctx {
	pid_t pid;
	objects_found_fn cb;
	void *ctx;
};

static int scan_one(void *ctx, const struct maps_line *l)
{
	struct scan_ctx *c = ctx;

	if (!objects__is_libc(l->path))
		return 0;
	return c->cb(c->ctx, c->pid, l->path, l->dev, l->ino);
}

static int scan_maps(pid_t pid, objects_found_fn cb, void *ctx)
{
	struct scan_ctx c = { .pid = pid, .cb = cb, .ctx = ctx };

	return maps_each_exec(pid, scan_one, &c);
}

int objects__scan_libcs(pid_t pid, objects_found_fn cb, void *ctx)
{
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (pid > 0)
		return scan_maps(pid, cb, ctx);
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		ret = scan_maps(atoi(de->d_name), cb, ctx);
		if (ret == -ENOENT || ret == -ESRCH || ret == -EACCES)
			ret = 0; /* gone meanwhile, or a kernel thread */
		if (ret)
			break;
	}
	closedir(d);
	return ret;
}
