// SPDX-License-Identifier: GPL-2.0
/*
 * malloc_conf.c - settings of the tracer's own allocator.
 *
 * The tracer is linked with jemalloc (Makefile: MALLOC_LIB) so that its own
 * allocations, and those of libdw, libelf and libbpf on its behalf, never reach
 * the C library's malloc and free, which it probes: each call there would be a
 * trap taken by the tracer itself.
 *
 * jemalloc reads its settings from this symbol (then from $MALLOC_CONF); in a
 * build without it (MALLOC_LIB=, the sanitizer builds) the symbol is unused.
 * dirty_decay_ms:0 gives freed pages back to the kernel at once, as glibc does
 * with its large blocks: with jemalloc's 10 s the pages of the tables the
 * aggregator has outgrown stay resident (replay benchmark: 84 bytes per live
 * allocation resident instead of 58.5).
 */
const char *malloc_conf = "dirty_decay_ms:0";
