// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_agg.c - libFuzzer harness for the event decoder and the aggregator.
 *
 * The input is a stream of records, each a 2-byte little-endian length and
 * that many bytes, fed to agg__on_event() as the ring buffer would (a syscall
 * record laid out by sysrec__expand() first, as user/main.c does); between
 * records, the queries a report makes. Any record must be counted, tracked or
 * rejected, never crash or leak: ASan and UBSan watch.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "sysrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agg_limits lim = { .max_tracked = 64, .max_stacks = 16, .keep_exited = size & 1 };
	_Alignas(8) uint8_t buf[LT_SYS_EVENT_LEN + 64], sys[LT_SYS_EVENT_LEN];
	const struct lt_event *e;
	const __u64 *sample;
	struct agg_stack_info *v;
	struct agg_proc_info *p;
	struct agg *agg = agg__new(&lim);
	size_t n, len, i = 0, k = 0;
	int fds[3] = { 0, 3, 5 };

	if (!agg)
		return 0;
	while (i + 2 <= size) {
		len = data[i] | (size_t)data[i + 1] << 8;
		i += 2;
		if (len > size - i)
			len = size - i;
		if (len > sizeof(buf))
			len = sizeof(buf);
		memcpy(buf, data + i, len);
		i += len;
		e = (const struct lt_event *)buf;
		if (len >= sizeof(*e) && (e->flags & LT_F_SYS_EXTRA) &&
		    (n = sysrec__expand(buf, len, sys, &sample))) {
			e = (const struct lt_event *)sys;
			len = n;
		}
		agg__prefetch(agg, e, len);
		agg__on_event(agg, e, len);
		if (++k % 8 == 0) {
			if (!agg__top_stacks(agg, 1000, k % 3, ~0u, 4, &v, &n))
				free(v);
			if (!agg__procs(agg, &p, &n)) {
				if (n) {
					agg__reconcile_fds(agg, p[0].tgid, fds, 3);
					if (!agg__top_stacks_since(agg, p[0].tgid, 5, ~0u, 3, &v,
								   &n))
						free(v);
					agg__drop_proc(agg, p[0].tgid);
				}
				free(p);
			}
		}
	}
	agg__free(agg);
	return 0;
}
