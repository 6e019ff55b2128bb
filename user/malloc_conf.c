// SPDX-License-Identifier: GPL-2.0
/*
 * malloc_conf.c - settings of the tracer's own allocator.
 *
 * The tracer is linked with jemalloc (Makefile: MALLOC_LIB) so that its own
 * allocations, and those of libdw, libelf and libbpf on its behalf, never reach
 * the C library's malloc and free, which it probes: each call there would be a
 * trap taken by the tracer itself.
 *
 * jemalloc reads its settings from malloc_conf, then /etc/malloc.conf, then
 * $MALLOC_CONF (meant, say, for a jemalloc program run with -c), then
 * malloc_conf_2_conf_harder, each over the last: the decay is set in the last,
 * so that neither of the others can change it. In a build without jemalloc
 * (MALLOC_LIB=, the sanitizer builds) the symbols are unused.
 *
 * dirty_decay_ms:0 gives freed pages back to the kernel at once, as glibc does
 * with its large blocks: with jemalloc's 10 s the pages of the tables the
 * aggregator has outgrown stay resident (replay benchmark: 84 bytes per live
 * allocation resident instead of 58.5).
 */
#define LT_MALLOC_CONF "dirty_decay_ms:0,muzzy_decay_ms:0"

const char *malloc_conf = LT_MALLOC_CONF;
const char *malloc_conf_2_conf_harder = LT_MALLOC_CONF;
