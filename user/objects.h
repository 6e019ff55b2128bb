/* SPDX-License-Identifier: GPL-2.0 */
/*
 * objects.h - allocator objects: which files hold a malloc family to probe,
 * where each function starts, and where it is cheapest to put the probe.
 *
 * Owns: reading ELF symbol tables of candidate objects, choosing probe sites,
 * finding the libc files in use (/proc/PID/maps), opening them safely through
 * /proc/PID/root. Must not: attach anything (tracer.c does) or print.
 */
#ifndef LEAKTRACE_OBJECTS_H
#define LEAKTRACE_OBJECTS_H

#include <stdbool.h>
#include <sys/types.h>
#include <linux/types.h>

enum obj_fn {
	OBJ_MALLOC = 0,
	OBJ_CALLOC,
	OBJ_REALLOC,
	OBJ_REALLOCARRAY,
	OBJ_POSIX_MEMALIGN,
	OBJ_ALIGNED_ALLOC,
	OBJ_MEMALIGN,
	OBJ_VALLOC,
	OBJ_PVALLOC,
	OBJ_FREE,
	OBJ_FN__MAX
};

extern const char *const obj_fn_names[OBJ_FN__MAX];

struct obj_funcs {
	__u64 offset[OBJ_FN__MAX];     /* file offset of the function's entry; 0 = absent */
	__u64 probe_off[OBJ_FN__MAX];  /* file offset of the probes (entry and return) */
	const char *why[OBJ_FN__MAX];  /* why probe_off != offset (for -v), or NULL */
};

/*
 * Read the ELF open at fd: where each allocator function is. Returns 0 when at
 * least malloc and free are there, -ENOENT when they are not, -EINVAL on a bad ELF.
 */
int objects__read_funcs(int fd, struct obj_funcs *f);

/*
 * Where to put a function's probes: past leading instructions the kernel would
 * single-step but that change neither the arguments nor the stack (test, cmp,
 * endbr64), onto one it emulates (jcc, jmp, call, push, nop). The entry and
 * return probes both go there: they share one trap, and the return address is
 * still at [sp]. code = the function's body, len bytes; whole = it is the
 * complete body, whose jumps are checked: a site some jump reaches other than
 * through the entry is refused (as is any when !whole). Returns the byte offset
 * from the entry (0 = the entry itself) and sets *why when it is not 0.
 */
unsigned objects__probe_shift(const __u8 *code, size_t len, bool whole, const char **why);

/* Does this mapped path look like a C library (libc.so.6, libc-2.31.so, ld-musl-*.so.1)? */
bool objects__is_libc(const char *path);

/*
 * Open path as process pid sees it, inside /proc/PID/root, without following
 * links out of that root (RESOLVE_IN_ROOT). pid 0 = our own root. Returns an
 * O_RDONLY|O_CLOEXEC fd or a negative errno.
 */
int objects__open_in_root(pid_t pid, const char *path);

/* Callback per distinct libc found in /proc/ * /maps: (pid that maps it, path, dev, ino). */
typedef int (*objects_found_fn)(void *ctx, pid_t pid, const char *path, dev_t dev, ino_t ino);

/*
 * Open the file pid maps as path, known as (dev, ino) (ino 0: any): through our
 * root, then through pid's, keeping only the very file. Returns an fd or a
 * negative errno (-ESTALE: a path that names another file).
 */
int objects__open_mapped(pid_t pid, const char *path, dev_t dev, ino_t ino);

/* Find the path under which pid maps the file (dev, ino). Returns 0 or -ENOENT. */
int objects__find_mapped(pid_t pid, dev_t dev, ino_t ino, char *path, size_t len);

/* Scan one process's maps (pid > 0) or every process (pid == 0) for C libraries. */
int objects__scan_libcs(pid_t pid, objects_found_fn cb, void *ctx);

#endif /* LEAKTRACE_OBJECTS_H */
