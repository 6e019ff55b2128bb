// SPDX-License-Identifier: GPL-2.0
/*
 * test_symbolize.c - the symbolizer against real binaries: this test itself, libc, children
 * that exit before their stacks are resolved, and libraries built here at test time (stripped,
 * with MiniDebugInfo only, truncated, with corrupt DWARF, C++). Tests that need a compiler or
 * binutils fail when those are missing: make deps installs them.
 */
#include <dlfcn.h>
#include <elfutils/libdwelf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "symbolize.h"
#include "test.h"

/* The exact-match target: on one line, so that the line of its first instruction is known. */
/* clang-format off */
static int __attribute__((noinline)) sym_target(int x) { return x * 7 + 1; }
static const int sym_target_line = __LINE__ - 1;
/* clang-format on */

/* A library built at test time; symlib_hidden is on line 1, symlib_exported on line 2. */
static const char symlib_src[] =
    "static int __attribute__((noinline)) symlib_hidden(int x) { return x * 3 + 2; }\n"
    "int symlib_exported(int x) { return symlib_hidden(x) + 1; }\n"
    "void *symlib_hidden_addr(void) { return (void *)symlib_hidden; }\n";

static const char cxxlib_src[] = "namespace ns {\n"
				 "int f(int x) { return x + 1; }\n"
				 "struct K { static long g(long v); };\n"
				 "long K::g(long v) { return v * 2; }\n"
				 "}\n";

static __u64 addr_of(const void *p)
{
	return (__u64)(uintptr_t)p;
}

/* libc's own malloc, even when a sanitizer or a preload interposes another. */
static void *libc_malloc(void)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD), *fn;

	fn = h ? dlsym(h, "malloc") : NULL;
	if (h)
		dlclose(h);
	return fn;
}
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = s ? strlen(s) : 0, m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}
static bool tmp__dir(char *buf, size_t len)
{
	const char *base = getenv("TMPDIR");
	snprintf(buf, len, "%s/test_symbolize.XXXXXX", base && base[0] ? base : "/tmp");
	return mkdtemp(buf) != NULL;
}
static void tmp__rm(const char *dir)
{
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		printf("  could not remove %s\n", dir);
}
static bool have_tool(const char *tool)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}
static bool file__write(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	bool ok;
	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	return !close(fd) && ok;
}
static bool run(const char *cmd)
{
	if (system(cmd) == 0)
		return true;
	printf("  command failed: %s\n", cmd);
	return false;
} /* * Build dir/name.{c,cc} into dir/libname.so with the given build-id, so that each variant is *
     its own module in the symbolizer's cache (a shared build-id means a shared module). */
static bool lib__build(const char *dir, const char *name, bool cxx, const char *src,
		       const char *build_id, char *out, size_t outlen)
{
	char srcpath[PATH_MAX], cmd[3 * PATH_MAX];
	snprintf(srcpath, sizeof(srcpath), "%s/%s.%s", dir, name, cxx ? "cc" : "c");
	snprintf(out, outlen, "%s/lib%s.so", dir, name);
	if (!file__write(srcpath, src, strlen(src)))
		return false;
	snprintf(cmd, sizeof(cmd), "%s -shared -fPIC -g -O1 -Wl,--build-id=0x%s -o '%s' '%s'",
		 cxx ? "g++" : "cc", build_id, out, srcpath);
	return run(cmd);
} /* File offset of a defined symbol, from .symtab and the program headers. */
static bool elf__sym_foff(const char *path, const char *name, __u64 *foff)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	bool found = false;
	GElf_Addr value = 0;
	size_t phnum, i;
	Elf *elf;
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	while (elf && !found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		data = elf_getdata(scn, NULL);
		for (i = 0; data && sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *n;
			if (!gelf_getsym(data, i, &sym))
				break;
			n = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (n && !strcmp(n, name) && sym.st_value) {
				value = sym.st_value;
				found = true;
				break;
			}
		}
	}
	if (found) {
		found = false;
		for (i = 0; !elf_getphdrnum(elf, &phnum) && i < phnum; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD &&
			    value >= ph.p_vaddr && value < ph.p_vaddr + ph.p_filesz) {
				*foff = value - ph.p_vaddr + ph.p_offset;
				found = true;
				break;
			}
		}
	}
	elf_end(elf);
	close(fd);
	return found;
} /* Overwrite every section whose name starts with prefix with 0xff bytes. */
static bool elf__scribble(const char *path, const char *prefix)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int hits = 0;
	Elf *elf;
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		static const char junk[4096] = {[0 ... 4095] = (char)0xff};
		GElf_Shdr sh;
		const char *n;
		__u64 done;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!n || strncmp(n, prefix, strlen(prefix)))
			continue;
		for (done = 0; done < sh.sh_size;) {
			size_t chunk =
			    sh.sh_size - done < sizeof(junk) ? sh.sh_size - done : sizeof(junk);
			if (pwrite(fd, junk, chunk, sh.sh_offset + done) != (ssize_t)chunk)
				goto out;
			done += chunk;
		}
		hits++;
	}
out:
	elf_end(elf);
	close(fd);
	return hits > 0;
} /* Map a whole file PROT_READ | PROT_EXEC, as a loader would map code. */
static void *file__map_exec(const char *path, size_t *len)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		close(fd);
		return NULL;
	}
	*len = st.st_size;
	p = mmap(NULL, *len, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		printf("  mmap PROT_EXEC of %s: %s (noexec mount? set TMPDIR)\n", path,
		       strerror(errno));
		return NULL;
	}
	return p;
} /* * In a forked child: close every inherited fd but stdio, a and b, so that pipe ends held by *
     the test or by other children cannot keep this child's pipe from reaching EOF. */
static void child__close_except(int a, int b)
{
	unsigned int lo = a < b ? a : b, hi = a < b ? b : a;
	if (lo > 3)
		close_range(3, lo - 1, 0);
	if (hi > lo + 1)
		close_range(lo + 1, hi - 1, 0);
	close_range(hi + 1, ~0U, 0);
} /* A child that waits until the parent closes *release; its pid, or -1. */
static pid_t child__start(int *release)
{
	int fds[2];
	pid_t pid;
	char c;
	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		child__close_except(fds[0], fds[0]);
		_exit(read(fds[0], &c, 1) < 0 ? 1 : 0);
	}
	close(fds[0]);
	*release = fds[1];
	return pid;
} /* Let the child exit, reap it, and check that it is gone. */
static bool child__finish(pid_t pid, int release)
{
	int status;
	close(release);
	if (waitpid(pid, &status, 0) != pid)
		return false;
	return kill(pid, 0) == -1 && errno == ESRCH;
}
static void self__check(struct symbolizer *s)
{
	struct sym_frame f;
	char exe[PATH_MAX];
	ssize_t n;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_TRUE(n > 0, "readlink /proc/self/exe");
	exe[n] = '\0';
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(sym_target), &f), 0, "resolve");
	ASSERT_STREQ(f.sym, "sym_target", "function name");
	ASSERT_EQ(f.off, 0, "offset of the function's first byte");
	ASSERT_STREQ(f.module, exe, "module is the path as mapped");
	ASSERT_STREQ(f.file, "test_symbolize.c", "source file");
	ASSERT_EQ(f.line, sym_target_line, "source line");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(sym_target) + 1, &f), 0, "resolve +1");
	ASSERT_STREQ(f.sym, "sym_target", "function name at +1");
	ASSERT_EQ(f.off, 1, "offset +1"); /* The result cache answers the second time; the answer
					     must not change. */
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(sym_target), &f), 0, "resolve again");
	ASSERT_STREQ(f.sym, "sym_target", "cached function name");
	ASSERT_EQ(f.off, 0, "cached offset");
	ASSERT_EQ(f.line, sym_target_line, "cached line");
}
static void test_static_function_in_self(void)
{
	struct symbolizer *s = symbolizer__new();
	ASSERT_TRUE(s, "symbolizer__new");
	self__check(s);
	symbolizer__free(s);
}
static void malloc__check(struct symbolizer *s)
{
	void *fn = libc_malloc();
	struct sym_frame f;
	Dl_info info;
	ASSERT_TRUE(fn, "libc's malloc");
	ASSERT_TRUE(dladdr(fn, &info) && info.dli_fbase, "dladdr malloc");
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(fn), &f), 0, "resolve malloc");
	ASSERT_TRUE(f.sym && (!strcmp(f.sym, "malloc") || !strcmp(f.sym, "__libc_malloc")),
		    "malloc or its alias __libc_malloc");
	ASSERT_EQ(f.off, 0, "offset");
	ASSERT_TRUE(ends_with(f.module, "libc.so.6"),
		    "module is libc.so.6"); /* libc's first segment is at vaddr 0: the module offset
					       is addr - load base. */
	ASSERT_EQ(f.module_off, addr_of(fn) - addr_of(info.dli_fbase), "module offset");
}

/* The module alone (what the consumer asks per syscall event): the same path as resolve's. */
static void module__check(struct symbolizer *s)
{
	const char *mod = "unset";
	struct sym_frame f;
	void *fn = libc_malloc();

	ASSERT_EQ(symbolizer__module(s, getpid(), addr_of(fn), &mod), -ENOENT, "no snapshot yet");
	ASSERT_TRUE(!mod, "no module without a snapshot");
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__module(s, getpid(), addr_of(fn), &mod), 0, "module of malloc");
	ASSERT_TRUE(mod && ends_with(mod, "libc.so.6"), "libc.so.6");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(fn), &f), 0, "resolve malloc");
	ASSERT_TRUE(f.module == mod, "the same interned path as resolve gives");
	ASSERT_EQ(symbolizer__module(s, getpid(), addr_of(sym_target), &mod), 0, "module of ours");
	ASSERT_TRUE(mod && ends_with(mod, "test_symbolize"), "the test binary");
	ASSERT_EQ(symbolizer__module(s, getpid(), 0x10, &mod), -ENOENT, "page zero");
	ASSERT_TRUE(!mod, "nothing there");
}

static void test_module_only(void)
{
	struct symbolizer *s = symbolizer__new();

	ASSERT_TRUE(s, "symbolizer__new");
	module__check(s);
	symbolizer__free(s);
}

static void test_libc_malloc(void)
{
	struct symbolizer *s = symbolizer__new();
	ASSERT_TRUE(s, "symbolizer__new");
	malloc__check(s);
	symbolizer__free(s);
} /* Path of the separate debug file of the ELF file at path, under /usr/lib/debug/.build-id. */
static bool debug__path(const char *path, char *out, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = 0, i;
	const unsigned char *id = NULL;
	char hex[2 * 64 + 1];
	Elf *elf;
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf)
		n = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	for (i = 0; i < n && i < 64; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	elf_end(elf);
	close(fd);
	if (n < 2)
		return false;
	snprintf(out, len, "/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	return true;
}
static void debuginfo__check(struct symbolizer *s, void *fn)
{
	struct sym_frame f;
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(fn), &f), 0, "resolve malloc");
	ASSERT_TRUE(f.sym && strstr(f.sym, "malloc"), "malloc");
	ASSERT_STREQ(f.file, "malloc.c", "file:line from the separate debug file");
	ASSERT_TRUE(f.line > 0, "line");
} /* libc's DWARF lives in /usr/lib/debug/.build-id/xx/yyyy.debug when libc6-dbg is installed. */
static void test_separate_debuginfo(void)
{
	void *fn = libc_malloc();
	char debug[PATH_MAX];
	struct symbolizer *s;
	Dl_info info;
	ASSERT_TRUE(fn && dladdr(fn, &info) && info.dli_fname, "dladdr malloc");
	if (!debug__path(info.dli_fname, debug, sizeof(debug)) || access(debug, R_OK)) {
		printf("  missing (make deps installs it): no debug file for %s (libc6-dbg)\n", info.dli_fname);
		test__failed_now = 1;
		return;
	}
	s = symbolizer__new();
	ASSERT_TRUE(s, "symbolizer__new");
	debuginfo__check(s, fn);
	symbolizer__free(s);
}

static void enoent__check(struct symbolizer *s)
{
	struct sym_frame f;

	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(sym_target), &f), -ENOENT,
		  "no snapshot yet");
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	memset(&f, 0xa5, sizeof(f));
	ASSERT_EQ(symbolizer__resolve(s, getpid(), 0x10, &f), -ENOENT, "page zero");
	ASSERT_TRUE(!f.sym && !f.module && !f.file && !f.line && !f.off && !f.module_off,
		    "frame zeroed");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), ~0ULL, &f), -ENOENT, "top of the space");
	/* A stack address: mapped, but not code, so not in the snapshot. */
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(&f), &f), -ENOENT, "stack address");
	symbolizer__forget(s, getpid());
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(sym_target), &f), -ENOENT, "forgotten");
	ASSERT_EQ(symbolizer__snapshot(s, INT_MAX), -ESRCH, "no such process");
}

static void test_no_mapping_enoent(void)
{
	struct symbolizer *s = symbolizer__new();

	ASSERT_TRUE(s, "symbolizer__new");
	enoent__check(s);
	symbolizer__free(s);
}

static void exited__check(struct symbolizer *s, pid_t pid)
{
	void *fn = libc_malloc();
	struct sym_frame f;

	/* fork: the child's code is at our addresses. */
	ASSERT_EQ(symbolizer__resolve(s, pid, addr_of(sym_target), &f), 0, "resolve after exit");
	ASSERT_STREQ(f.sym, "sym_target", "function name after exit");
	ASSERT_EQ(f.off, 0, "offset after exit");
	ASSERT_STREQ(f.file, "test_symbolize.c", "file after exit");
	ASSERT_EQ(f.line, sym_target_line, "line after exit");
	ASSERT_EQ(symbolizer__resolve(s, pid, addr_of(fn), &f), 0, "resolve malloc after exit");
	ASSERT_TRUE(ends_with(f.module, "libc.so.6"), "libc after exit");
	ASSERT_TRUE(f.sym && strstr(f.sym, "malloc"), "malloc after exit");
	symbolizer__forget(s, pid);
	ASSERT_EQ(symbolizer__resolve(s, pid, addr_of(sym_target), &f), -ENOENT, "forgotten");
}

/* The core requirement: snapshot a child, let it exit, reap it, then resolve its stack. */
static void test_exited_child_resolves(void)
{
	struct symbolizer *s = symbolizer__new();
	int release, err;
	pid_t pid;

	ASSERT_TRUE(s, "symbolizer__new");
	pid = child__start(&release);
	if (pid < 0) {
		symbolizer__free(s);
		ASSERT_TRUE(false, "fork");
	}
	err = symbolizer__snapshot(s, pid);
	if (!child__finish(pid, release) || err) {
		printf("  snapshot of child: %d, or child not reaped\n", err);
		test__failed_now = 1;
	} else {
		exited__check(s, pid);
	}
	symbolizer__free(s);
} /* * A child that dlopens lib, chroots into root if not NULL, sends the address of sym, and waits
     * until the parent closes *release. Its pid, or -1. */
static pid_t child__dlopen(const char *lib, const char *sym, const char *root, void **fn,
			   int *release)
{
	int up[2], down[2];
	pid_t pid;
	if (pipe2(up, O_CLOEXEC))
		return -1;
	if (pipe2(down, O_CLOEXEC)) {
		close(up[0]);
		close(up[1]);
		return -1;
	}
	pid = fork();
	if (pid == 0) {
		void *h, *p;
		char c;
		child__close_except(up[1], down[0]);
		h = dlopen(lib, RTLD_NOW);
		p = h ? dlsym(h, sym) : NULL;
		if (root && (chroot(root) || chdir("/")))
			p = NULL;
		if (write(up[1], &p, sizeof(p)) != sizeof(p))
			_exit(1);
		_exit(read(down[0], &c, 1) < 0);
	}
	close(up[1]);
	close(down[0]);
	if (pid > 0 && (read(up[0], fn, sizeof(*fn)) != sizeof(*fn) || !*fn)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(up[0]);
	if (pid < 0)
		close(down[1]);
	else
		*release = down[1];
	return pid;
}
static void libchild__check(struct symbolizer *s, pid_t pid, void *fn, const char *lib,
			    const char *name)
{
	char file[64];
	struct sym_frame f;
	snprintf(file, sizeof(file), "%s.c", name);
	ASSERT_EQ(symbolizer__resolve(s, pid, addr_of(fn), &f), 0, "resolve");
	ASSERT_STREQ(f.sym, "symlib_exported", "function of the child's library");
	ASSERT_EQ(f.off, 0, "offset");
	ASSERT_STREQ(f.module, lib, "module is the path as it was mapped");
	ASSERT_STREQ(f.file, file, "source file");
	ASSERT_EQ(f.line, 2, "source line");
}
enum libchild_mode {
	LIBCHILD_REPLACED_AFTER_EXIT,
	/* file replaced by garbage once the child is gone */ LIBCHILD_DELETED_BEFORE_SNAPSHOT,
	/* maps says " (deleted)": only map_files has it */ LIBCHILD_CHROOTED,
	/* the child's root is elsewhere: the path misleads */
}; /* * A child maps a library of its own (built here, so no other process shares its module), is *
      snapshotted, exits and is reaped; then its stack must still resolve. */
static void libchild__run(const char *name, const char *build_id, enum libchild_mode mode)
{
	char dir[PATH_MAX], lib[PATH_MAX];
	struct symbolizer *s = NULL;
	void *fn = NULL;
	int release, err;
	pid_t pid;
	if (!have_tool("cc")) {
		printf("  missing (make deps installs it): no cc\n");
		test__failed_now = 1;
		return;
	}
	if (mode == LIBCHILD_CHROOTED && geteuid()) {
		printf("  missing (make deps installs it): chroot needs root\n");
		test__failed_now = 1;
		return;
	}
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	if (!lib__build(dir, name, false, symlib_src, build_id, lib, sizeof(lib)))
		goto out;
	pid = child__dlopen(lib, "symlib_exported", mode == LIBCHILD_CHROOTED ? dir : NULL, &fn,
			    &release);
	if (pid < 0) {
		printf("  child could not load %s\n", lib);
		goto out;
	}
	if (mode == LIBCHILD_DELETED_BEFORE_SNAPSHOT && unlink(lib))
		printf("  unlink %s: %s\n", lib, strerror(errno));
	s = symbolizer__new();
	err = s ? symbolizer__snapshot(s, pid) : -ENOMEM;
	if (!child__finish(pid, release) || err) {
		printf("  snapshot of child: %d, or child not reaped\n", err);
		goto out;
	}
	if (mode == LIBCHILD_REPLACED_AFTER_EXIT && (unlink(lib) || !file__write(lib, "junk", 4)))
		goto out;
	test__failed_now = 0;
	libchild__check(s, pid, fn, lib, name);
out:
	symbolizer__free(s);
	tmp__rm(dir);
} /* * The core requirement at its hardest: the child maps a library of its own, exits, and the *
     file is then replaced by garbage at the same path. The report must still name the function. */
static void test_replaced_library_resolves_after_exit(void)
{
	libchild__run("symrep", "1111aaaa", LIBCHILD_REPLACED_AFTER_EXIT);
} /* Deleted before the snapshot (an upgrade while the process runs): through map_files. */
static void test_deleted_library_resolves(void)
{
	libchild__run("symdel", "1111bbbb", LIBCHILD_DELETED_BEFORE_SNAPSHOT);
} /* A chrooted process: its maps shows our path, which its root does not have. */
static void test_chrooted_process_resolves(void)
{
	libchild__run("symroot", "1111cccc", LIBCHILD_CHROOTED);
}
static const char nopie_src[] = "#include <stdio.h>\n"
				"#include <unistd.h>\n"
				"int nopie_target(int x) { return x * 11; }\n"
				"int main(void)\n"
				"{\n"
				" char c;\n"
				" printf(\"%p\\n\", (void *)nopie_target);\n"
				" fflush(stdout);\n"
				" return read(0, &c, 1) < 0;\n"
				"}\n";
static void nopie__check(struct symbolizer *s, pid_t pid, __u64 addr, const char *exe)
{
	struct sym_frame f;
	ASSERT_EQ(symbolizer__resolve(s, pid, addr, &f), 0, "resolve");
	ASSERT_STREQ(f.sym, "nopie_target", "function");
	ASSERT_EQ(f.off, 0, "offset");
	ASSERT_STREQ(f.module, exe, "module");
	ASSERT_EQ(f.module_off, addr, "a fixed-address executable: module offset == address");
	ASSERT_STREQ(f.file, "nopie.c", "file");
	ASSERT_EQ(f.line, 3, "line");
} /* A non-PIE (ET_EXEC) executable: link-time addresses are the run-time ones. */
static void test_non_pie_executable(void)
{
	char dir[PATH_MAX], src[PATH_MAX + 16], exe[PATH_MAX + 16], cmd[3 * PATH_MAX], line[64];
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	struct symbolizer *s = NULL;
	unsigned long long addr = 0;
	pid_t pid = -1, reaped;
	FILE *f = NULL;
	int err;
	if (!have_tool("cc")) {
		printf("  missing (make deps installs it): no cc\n");
		test__failed_now = 1;
		return;
	}
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	snprintf(src, sizeof(src), "%s/nopie.c", dir);
	snprintf(exe, sizeof(exe), "%s/nopie", dir);
	snprintf(cmd, sizeof(cmd), "cc -g -O1 -no-pie -fno-pie -o '%s' '%s'", exe, src);
	if (!file__write(src, nopie_src, strlen(nopie_src)) || !run(cmd))
		goto out;
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		goto out;
	pid = fork();
	if (pid == 0) {
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		execl(exe, exe, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	out[1] = -1;
	f = fdopen(out[0], "r");
	if (pid < 0 || !f || !fgets(line, sizeof(line), f) || sscanf(line, "%llx", &addr) != 1)
		goto out;
	out[0] = -1; /* fclose closes it */
	s = symbolizer__new();
	err = s ? symbolizer__snapshot(s, pid) : -ENOMEM;
	close(in[1]);
	in[1] = -1;
	if (waitpid(pid, NULL, 0) != pid)
		goto out;
	reaped = pid;
	pid = -1;
	if (err) {
		printf("  snapshot: %d\n", err);
		goto out;
	}
	test__failed_now = 0;
	nopie__check(s, reaped, addr, exe);
out:
	if (f)
		fclose(f);
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	symbolizer__free(s);
	tmp__rm(dir);
}
static void stripped__check(struct symbolizer *s, void *exported, void *hidden, const char *lib)
{
	struct sym_frame f;
	Dl_info info;
	ASSERT_TRUE(dladdr(exported, &info) && info.dli_fbase, "dladdr");
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(exported), &f), 0, "resolve exported");
	ASSERT_STREQ(f.sym, "symlib_exported", "exported function, from .dynsym");
	ASSERT_EQ(f.off, 0, "offset");
	ASSERT_TRUE(!f.file && !f.line, "no DWARF left");
	ASSERT_STREQ(f.module, lib, "module");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(hidden), &f), 0, "resolve hidden");
	ASSERT_TRUE(!f.sym, "a static function is in no symbol table");
	ASSERT_STREQ(f.module, lib, "module of the static function");
	ASSERT_EQ(f.module_off, addr_of(hidden) - addr_of(info.dli_fbase), "module offset");
} /* No .symtab, no DWARF: exported functions by .dynsym, the rest as module+offset. */
static void test_stripped_library(void)
{
	char dir[PATH_MAX], lib[PATH_MAX], stripped[PATH_MAX + 16], cmd[3 * PATH_MAX];
	struct symbolizer *s = NULL;
	void *h = NULL, *exported, *(*hidden_addr)(void);
	if (!have_tool("cc") || !have_tool("strip")) {
		printf("  missing (make deps installs it): no cc or strip\n");
		test__failed_now = 1;
		return;
	}
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	if (!lib__build(dir, "symstrip", false, symlib_src, "2222bbbb", lib, sizeof(lib)))
		goto out;
	snprintf(stripped, sizeof(stripped), "%s/libstripped.so", dir);
	snprintf(cmd, sizeof(cmd), "strip --strip-all -o '%s' '%s'", stripped, lib);
	if (!run(cmd))
		goto out;
	h = dlopen(stripped, RTLD_NOW);
	exported = h ? dlsym(h, "symlib_exported") : NULL;
	hidden_addr = h ? (void *(*)(void))dlsym(h, "symlib_hidden_addr") : NULL;
	s = symbolizer__new();
	if (!exported || !hidden_addr || !s) {
		printf("  dlopen %s: %s\n", stripped, dlerror());
		goto out;
	}
	test__failed_now = 0;
	stripped__check(s, exported, hidden_addr(), stripped);
out:
	symbolizer__free(s);
	if (h)
		dlclose(h);
	tmp__rm(dir);
}
static void mini__check(struct symbolizer *s, void *hidden, const char *lib)
{
	struct sym_frame f;
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(hidden), &f), 0, "resolve hidden");
	ASSERT_STREQ(f.module, lib, "module");
	ASSERT_STREQ(f.sym, "symlib_hidden", "static function, from .gnu_debugdata");
	ASSERT_EQ(f.off, 0, "offset");
} /* * MiniDebugInfo (what Fedora ships): .symtab only in an xz-compressed ELF in .gnu_debugdata. *
     Built the way gdb's documentation builds it. */
static void test_minidebuginfo(void)
{
	char dir[PATH_MAX], lib[PATH_MAX], cmd[8 * PATH_MAX];
	struct symbolizer *s = NULL;
	void *h = NULL, *(*hidden_addr)(void);
	if (!have_tool("cc") || !have_tool("strip") || !have_tool("objcopy") || !have_tool("xz")) {
		printf("  missing (make deps installs it): no cc, strip, objcopy or xz\n");
		test__failed_now = 1;
		return;
	}
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	if (!lib__build(dir, "symmini", false, symlib_src, "3333cccc", lib, sizeof(lib)))
		goto out;
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && objcopy --only-keep-debug libsymmini.so dbg && "
		 "objcopy --strip-debug --remove-section .comment dbg mini && xz -f mini && "
		 "strip --strip-all libsymmini.so && "
		 "objcopy --add-section .gnu_debugdata=mini.xz libsymmini.so",
		 dir);
	if (!run(cmd))
		goto out;
	h = dlopen(lib, RTLD_NOW);
	hidden_addr = h ? (void *(*)(void))dlsym(h, "symlib_hidden_addr") : NULL;
	s = symbolizer__new();
	if (!hidden_addr || !s) {
		printf("  dlopen %s: %s\n", lib, dlerror());
		goto out;
	}
	test__failed_now = 0;
	mini__check(s, hidden_addr(), lib);
out:
	symbolizer__free(s);
	if (h)
		dlclose(h);
	tmp__rm(dir);
}
static void broken__check(struct symbolizer *s, const char *path, const char *base, __u64 foff,
			  const char *want_sym)
{
	struct sym_frame f;
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(base) + foff, &f), 0, "resolve");
	ASSERT_STREQ(f.module, path, "module"); /* The test libraries and this file's fake header
						   have code at vaddr == file offset. */
	ASSERT_EQ(f.module_off, foff, "module offset");
	if (want_sym)
		ASSERT_STREQ(f.sym, want_sym, "function despite the damage");
	else
		ASSERT_TRUE(!f.sym, "no function");
} /* Map path executable in this process and resolve base + foff: must not crash. */
static void broken__run(const char *path, __u64 foff, const char *want_sym)
{
	struct symbolizer *s = symbolizer__new();
	size_t len = 0;
	void *base = file__map_exec(path, &len);
	if (s && base && foff < len)
		broken__check(s, path, base, foff, want_sym);
	else
		test__failed_now = 1;
	symbolizer__free(s);
	if (base)
		munmap(base, len);
} /* * Damaged files mapped as code: an ELF header with nothing behind it, a library cut short *
     after its code, and one whose DWARF is overwritten. Module+offset at least, never a crash. */
static void test_broken_elf_files(void)
{
	char dir[PATH_MAX], lib[PATH_MAX], path[PATH_MAX + 16], cmd[4 * PATH_MAX];
	static const char zeros[16384];
	unsigned char ehdr[64];
	__u64 foff;
	int fd;
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now =
	    1; /* This binary's ELF header followed by zeros: program headers all PT_NULL. */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, ehdr, sizeof(ehdr)) != sizeof(ehdr))
		goto out;
	close(fd);
	fd = -1;
	snprintf(path, sizeof(path), "%s/fake.so", dir);
	if (!file__write(path, zeros, sizeof(zeros)))
		goto out;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, ehdr, sizeof(ehdr), 0) != sizeof(ehdr))
		goto out;
	close(fd);
	fd = -1;
	test__failed_now = 0;
	broken__run(path, 0x123, NULL);
	if (test__failed_now)
		goto out;
	if (!have_tool("cc") || !have_tool("truncate")) {
		printf("  missing (make deps installs it): no cc or truncate\n");
		test__failed_now = 1;
		goto out;
	}
	test__failed_now = 1;
	if (!lib__build(dir, "symbroken", false, symlib_src, "4444dddd", lib, sizeof(lib)) ||
	    !elf__sym_foff(lib, "symlib_exported", &foff))
		goto out; /* DWARF overwritten with 0xff: the function from .symtab, no file:line,
			     no crash. */
	snprintf(path, sizeof(path), "%s/libdwarf.so", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", lib, path);
	if (!run(cmd) || !elf__scribble(path, ".debug_"))
		goto out;
	test__failed_now = 0;
	broken__run(path, foff, "symlib_exported");
	if (test__failed_now)
		goto out; /* Cut right after the code: section headers, .symtab and DWARF gone. */
	test__failed_now = 1;
	snprintf(path, sizeof(path), "%s/libcut.so", dir);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && truncate -s %llu '%s'", lib, path,
		 (unsigned long long)foff + 64, path);
	if (!run(cmd))
		goto out;
	test__failed_now = 0;
	broken__run(path, foff, NULL);
out:
	if (fd >= 0)
		close(fd);
	tmp__rm(dir);
}
static void noar__check(struct symbolizer *s, void *exported)
{
	struct sym_frame f;
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(exported), &f), 0, "resolve");
	ASSERT_STREQ(f.sym, "symlib_exported", "function");
	ASSERT_STREQ(f.file, "symnoar.c", "file without .debug_aranges");
	ASSERT_EQ(f.line, 2, "line without .debug_aranges");
} /* What clang, rustc and Go emit: DWARF without .debug_aranges. */
static void test_dwarf_without_aranges(void)
{
	char dir[PATH_MAX], lib[PATH_MAX], cmd[3 * PATH_MAX];
	struct symbolizer *s = NULL;
	void *h = NULL, *exported;
	if (!have_tool("cc") || !have_tool("objcopy")) {
		printf("  missing (make deps installs it): no cc or objcopy\n");
		test__failed_now = 1;
		return;
	}
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	if (!lib__build(dir, "symnoar", false, symlib_src, "6666ffff", lib, sizeof(lib)))
		goto out;
	snprintf(cmd, sizeof(cmd), "objcopy --remove-section .debug_aranges '%s'", lib);
	if (!run(cmd))
		goto out;
	h = dlopen(lib, RTLD_NOW);
	exported = h ? dlsym(h, "symlib_exported") : NULL;
	s = symbolizer__new();
	if (!exported || !s) {
		printf("  dlopen %s: %s\n", lib, dlerror());
		goto out;
	}
	test__failed_now = 0;
	noar__check(s, exported);
out:
	symbolizer__free(s);
	if (h)
		dlclose(h);
	tmp__rm(dir);
}
static void cxx__check(struct symbolizer *s, void *f_int, void *g_long)
{
	struct sym_frame f;
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(f_int), &f), 0, "resolve ns::f");
	ASSERT_STREQ(f.sym, "ns::f(int)", "demangled function");
	ASSERT_STREQ(f.file, "symcxx.cc", "source file");
	ASSERT_EQ(f.line, 2, "source line");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(g_long), &f), 0, "resolve ns::K::g");
	ASSERT_STREQ(f.sym, "ns::K::g(long)", "demangled static member");
}
static void test_cxx_demangled(void)
{
	char dir[PATH_MAX], lib[PATH_MAX];
	struct symbolizer *s = NULL;
	void *h = NULL, *f_int, *g_long;
	if (!have_tool("g++")) {
		printf("  missing (make deps installs it): no g++\n");
		test__failed_now = 1;
		return;
	}
	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	if (!lib__build(dir, "symcxx", true, cxxlib_src, "5555eeee", lib, sizeof(lib)))
		goto out;
	h = dlopen(lib, RTLD_NOW);
	f_int = h ? dlsym(h, "_ZN2ns1fEi") : NULL;
	g_long = h ? dlsym(h, "_ZN2ns1K1gEl") : NULL;
	s = symbolizer__new();
	if (!f_int || !g_long || !s) {
		printf("  dlopen %s: %s\n", lib, dlerror());
		goto out;
	}
	test__failed_now = 0;
	cxx__check(s, f_int, g_long);
out:
	symbolizer__free(s);
	if (h)
		dlclose(h);
	tmp__rm(dir);
}

static void shared__check(struct symbolizer *s, pid_t a, pid_t b)
{
	struct symbolizer_stats before, after;
	struct sym_frame f;

	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	symbolizer__stats(s, &before);
	ASSERT_TRUE(before.modules_opened >= 2, "this binary and libc at least");
	ASSERT_EQ(symbolizer__snapshot(s, a), 0, "snapshot child a");
	ASSERT_EQ(symbolizer__snapshot(s, b), 0, "snapshot child b");
	ASSERT_EQ(symbolizer__snapshot(s, a), 0, "snapshot child a again");
	symbolizer__stats(s, &after);
	ASSERT_EQ(after.modules_opened, before.modules_opened, "no file opened twice");
	ASSERT_EQ(after.modules, before.modules, "modules");
	ASSERT_EQ(after.snapshots, 3, "snapshots");
	ASSERT_EQ(symbolizer__resolve(s, b, addr_of(sym_target), &f), 0, "resolve in b");
	ASSERT_STREQ(f.sym, "sym_target", "function in b");
}

/* Processes mapping the same files share one module per file. */
static void test_modules_shared_across_processes(void)
{
	struct symbolizer *s = symbolizer__new();
	int ra = -1, rb = -1;
	pid_t a, b = -1;

	ASSERT_TRUE(s, "symbolizer__new");
	a = child__start(&ra);
	if (a > 0)
		b = child__start(&rb);
	if (a > 0 && b > 0)
		shared__check(s, a, b);
	else
		test__failed_now = 1;
	if (a > 0)
		child__finish(a, ra);
	if (b > 0)
		child__finish(b, rb);
	symbolizer__free(s);
}

static void copy__check(struct symbolizer *s, const struct symbolizer_stats *before,
			const char *copy, const char *base, __u64 foff)
{
	struct symbolizer_stats after;
	struct sym_frame f;

	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self with the copy mapped");
	symbolizer__stats(s, &after);
	ASSERT_EQ(after.modules_opened, before->modules_opened, "no new module for the copy");
	ASSERT_EQ(after.modules, before->modules, "modules");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(base) + foff, &f), 0, "resolve");
	ASSERT_STREQ(f.module, copy, "module is the copy's path");
	ASSERT_STREQ(f.sym, "sym_target", "function in the copy");
	ASSERT_EQ(f.off, 0, "offset");
	ASSERT_EQ(f.line, sym_target_line, "line");
}

/*
 * Another file (another inode) with the same build-id, such as a container's copy of a
 * library: it shares the module of the first file.
 */
static void test_same_build_id_shares_module(void)
{
	char dir[PATH_MAX], copy[PATH_MAX + 16], exe[PATH_MAX], cmd[3 * PATH_MAX];
	struct symbolizer_stats before;
	struct symbolizer *s = NULL;
	size_t len = 0;
	void *base = NULL;
	ssize_t n;
	__u64 foff;

	ASSERT_TRUE(tmp__dir(dir, sizeof(dir)), "mkdtemp");
	test__failed_now = 1;
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		goto out;
	exe[n] = '\0';
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", exe, copy);
	if (!run(cmd) || !elf__sym_foff(copy, "sym_target", &foff)) {
		printf("  no sym_target in a copy of %s\n", exe);
		goto out;
	}
	s = symbolizer__new();
	if (!s || symbolizer__snapshot(s, getpid()))
		goto out;
	symbolizer__stats(s, &before);
	base = file__map_exec(copy, &len);
	if (!base || foff >= len)
		goto out;
	test__failed_now = 0;
	copy__check(s, &before, copy, base, foff);
out:
	symbolizer__free(s);
	if (base)
		munmap(base, len);
	tmp__rm(dir);
}

/*
 * Open fds ("fd"), or file mappings ("maps": anonymous ones come and go with malloc) of this
 * process.
 */
static int proc__count(const char *what)
{
	char cmd[128], buf[32];
	FILE *f;
	int n = -1;

	if (!strcmp(what, "maps"))
		snprintf(cmd, sizeof(cmd), "awk '$5 != 0' /proc/%d/maps | wc -l", getpid());
	else
		snprintf(cmd, sizeof(cmd), "ls -1 /proc/%d/%s | wc -l", getpid(), what);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		n = atoi(buf);
	pclose(f);
	return n;
}

/* symbolizer__free() gives back every fd and every mapping (libelf images, alias pins). */
static void test_free_releases_fds_and_mappings(void)
{
	int fds = proc__count("fd"), maps = proc__count("maps");
	struct symbolizer *s = symbolizer__new();
	struct sym_frame f;
	bool mapped;

	ASSERT_TRUE(fds > 0 && maps > 0, "counted");
	ASSERT_TRUE(s, "symbolizer__new");
	if (symbolizer__snapshot(s, getpid()) ||
	    symbolizer__resolve(s, getpid(), addr_of(sym_target), &f) ||
	    symbolizer__resolve(s, getpid(), addr_of(libc_malloc()), &f))
		test__failed_now = 1;
	mapped = proc__count("maps") > maps;
	symbolizer__free(s);
	ASSERT_TRUE(!test__failed_now, "snapshot and resolve");
	ASSERT_TRUE(mapped, "module files are mapped while cached");
	ASSERT_EQ(proc__count("fd"), fds, "fds after free");
	ASSERT_EQ(proc__count("maps"), maps, "file mappings after free");
}

static void limits__check(struct symbolizer *s, pid_t child, pid_t sleeper)
{
	struct symbolizer_stats st;
	struct sym_frame f;
	void *fn = libc_malloc();

	/* One snapshot: a second pid is refused, the held pid can be refreshed. */
	symbolizer__set_limits(s, 1, 1);
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "snapshot self");
	ASSERT_EQ(symbolizer__snapshot(s, child), -ENOSPC, "second snapshot refused");
	ASSERT_EQ(symbolizer__snapshot(s, getpid()), 0, "refresh allowed");
	symbolizer__stats(s, &st);
	ASSERT_EQ(st.snapshots, 1, "snapshots");
	ASSERT_EQ(st.snapshots_refused, 1, "refusal counted");

	/* One module: the first file mapped (this binary) is cached, the others refused. */
	ASSERT_EQ(st.modules, 1, "one module");
	ASSERT_TRUE(st.modules_refused >= 1, "refusals counted");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(sym_target), &f), 0, "resolve");
	ASSERT_STREQ(f.sym, "sym_target", "the cached module resolves");
	ASSERT_EQ(symbolizer__resolve(s, getpid(), addr_of(fn), &f), 0, "resolve malloc");
	ASSERT_TRUE(ends_with(f.module, "libc.so.6") && !f.sym, "refused: module+offset only");

	/* Once unused, the module gives way to another process's first file. */
	symbolizer__forget(s, getpid());
	ASSERT_EQ(symbolizer__snapshot(s, sleeper), 0, "snapshot sleep");
	symbolizer__stats(s, &st);
	ASSERT_EQ(st.modules, 1, "still one module");
	ASSERT_EQ(st.modules_evicted, 1, "eviction counted");
}

/* A child that execs sleep: a process whose first file is not this binary. Its pid or -1. */
static pid_t child__sleep(void)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		execlp("sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* EOF once the exec closed the write end. */
	if (pid > 0 && read(fds[0], &c, 1) != 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(fds[0]);
	return pid;
}

static void test_limits_bound_and_count(void)
{
	struct symbolizer *s = symbolizer__new();
	pid_t child = -1, sleeper = -1;
	int release = -1;

	ASSERT_TRUE(s, "symbolizer__new");
	child = child__start(&release);
	sleeper = child__sleep();
	if (child > 0 && sleeper > 0)
		limits__check(s, child, sleeper);
	else
		test__failed_now = 1;
	if (child > 0)
		child__finish(child, release);
	if (sleeper > 0) {
		kill(sleeper, SIGKILL);
		waitpid(sleeper, NULL, 0);
	}
	symbolizer__free(s);
}

int main(void)
{
	RUN_TEST(test_static_function_in_self);
	RUN_TEST(test_libc_malloc);
	RUN_TEST(test_module_only);
	RUN_TEST(test_separate_debuginfo);
	RUN_TEST(test_no_mapping_enoent);
	RUN_TEST(test_exited_child_resolves);
	RUN_TEST(test_replaced_library_resolves_after_exit);
	RUN_TEST(test_deleted_library_resolves);
	RUN_TEST(test_chrooted_process_resolves);
	RUN_TEST(test_non_pie_executable);
	RUN_TEST(test_stripped_library);
	RUN_TEST(test_minidebuginfo);
	RUN_TEST(test_broken_elf_files);
	RUN_TEST(test_dwarf_without_aranges);
	RUN_TEST(test_cxx_demangled);
	RUN_TEST(test_modules_shared_across_processes);
	RUN_TEST(test_same_build_id_shares_module);
	RUN_TEST(test_limits_bound_and_count);
	RUN_TEST(test_free_releases_fds_and_mappings);
	TEST_EXIT();
}
