// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_elf.c - libFuzzer harness for what reads ELF files: the allocator
 * symbol reader and probe-site decoder (objects.c), and the symbolizer
 * (symbolize.c) on a file mapped executable in this process, as a traced
 * process's damaged or hostile library would be. Never crash, never leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "objects.h"
#include "symbolize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/leaktrace-fuzz-elf.XXXXXX";
	struct obj_funcs funcs;
	struct symbolizer *s;
	struct sym_frame fr;
	const char *why;
	void *map;
	int fd;

	objects__probe_shift(data, size, size & 1, &why);
	if (size < 64)
		return 0;
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	unlink(path);
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	objects__read_funcs(fd, &funcs);
	map = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
	s = symbolizer__new();
	if (map != MAP_FAILED && s && !symbolizer__snapshot(s, getpid())) {
		symbolizer__resolve(s, getpid(), (uint64_t)(uintptr_t)map + size / 2, &fr);
		symbolizer__resolve(s, getpid(), (uint64_t)(uintptr_t)map, &fr);
	}
	symbolizer__free(s);
	if (map != MAP_FAILED)
		munmap(map, size);
	close(fd);
	return 0;
}
