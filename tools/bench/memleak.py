#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""memleak.py - run BCC's memleak-bpfcc unchanged, with one binding bug fixed.

Debian 12's python3-bpfcc 0.26 declares libbcc's bpf_attach_uprobe() with six
arguments, but the C function takes a seventh, ref_ctr_offset: every uprobe it
attaches gets whatever that register holds (seen: 6). Alone on an address that
"works" (the kernel then bumps a bogus semaphore at libc+6 in the process); where
any other uprobe already sits at the same address (leaktrace, bpftrace, a leaked
one) the kernel refuses it: "ref_ctr_offset mismatch", EINVAL, and memleak dies
with "Failed to attach BPF to uprobe". This passes 0, as libbcc's own callers do.
Arguments are memleak-bpfcc's.
"""
import ctypes as ct
import os
import runpy
import sys

MEMLEAK = "/usr/sbin/memleak-bpfcc"
try:
    import bcc.libbcc as libbcc
except ImportError:  # another python than BCC's: run the tool as it is
    os.execv(MEMLEAK, [MEMLEAK] + sys.argv[1:])

_attach = libbcc.lib.bpf_attach_uprobe
if len(_attach.argtypes or []) == 6:
    _attach.argtypes = list(_attach.argtypes) + [ct.c_uint32]

    def _attach_uprobe(progfd, attach_type, ev_name, binary_path, offset, pid, ref_ctr=0):
        return _attach(progfd, attach_type, ev_name, binary_path, offset, pid, ref_ctr)

    libbcc.lib.bpf_attach_uprobe = _attach_uprobe

sys.argv = [MEMLEAK] + sys.argv[1:]
runpy.run_path(MEMLEAK, run_name="__main__")
