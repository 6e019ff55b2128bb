#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""driver.py - the `make bench` driver (started by tools/bench/run.sh).

For each workload (build/bench/workload MODE ...), in one run, with interleaved
repetitions, it measures ns per call under each configuration:

  untraced   nothing attached
  floor      leaktrace --probe-floor -p PID   (same probe sites, programs return at once)
  bpftrace   empty actions at the plain entries (+0) of the allocator functions
             and on the enter/exit tracepoints of the workload's syscalls (-p PID)
  leaktrace  leaktrace -p PID                 (defaults)
  every      leaktrace -p PID --every-event   (every allocation and free sent: no pair
             matched in the kernel)
  memleak    memleak-bpfcc -p PID             (defaults; BCC; memory workloads only:
             it traces neither fds nor timers)
  bpfstats   leaktrace -p PID with kernel.bpf_stats_enabled=1 during the timed run:
             the run time of each of its BPF programs, per call of the workload (the
             statistics add to every run, so its ns/call is not used for the ratios;
             it says which program the added cost is in)

A workload waits (sigwait) for SIGUSR1; the driver sends it once the tracer's
probes are attached: "leaktrace: tracing" on leaktrace's stderr; for bpftrace
and memleak, their attach message and then every probe they attach seen in
`bpftool perf show`. The workloads run on run.sh's private copy of libc, so
uprobes that other tracers hold on the system libc do not touch them. Other
work on the host (a test suite beside us) still skews the figures: before each
trial the driver waits (within a budget) for the host to go idle, measures the
CPU that other processes used during the timed run, and retries once a trial
they disturbed; what stays disturbed is flagged.

Reported per workload: ns added per call for each configuration (medians over
the repetitions, minus the untraced median), R_floor = leaktrace added / floor
added, R_peer = leaktrace added / memleak added; for leaktrace: events, events
lost (its summary), consumer CPU per event (run time of its threads during the
timed run and the drain after it, over the timed calls: one event each; the
warm-up before, with the first-event work of reading the process's maps, is
left out), peak RSS (VmHWM), BPF map memory (bpftool map show: bytes_memlock of
the maps its fds hold) and the time from start to "leaktrace: tracing". Then
leaktrace's start-up on the whole host, memleak's start-up, and the replay
benchmark of the aggregator (build/bench/replay).

Writes the tables to stdout and to build/bench/results.md, every trial to
build/bench/trials.jsonl.
"""
import argparse
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "build", "bench")
LT = os.path.join(ROOT, "build", "leaktrace")
WL = os.path.join(OUT, "workload")
REPLAY = os.path.join(OUT, "replay")
# The workloads' libc: run.sh's private copy (see there), else the system's.
LIBC = os.path.join(OUT, "lib", "libc.so.6")
if not os.path.exists(LIBC):
    LIBC = "/lib/x86_64-linux-gnu/libc.so.6"

# name, mode, threads, iterations, memory workload (memleak traces it)
WORKLOADS = [
    ("malloc-small 1T", "malloc-small", 1, 40000, True),
    ("malloc-mixed 1T", "malloc-mixed", 1, 40000, True),
    ("malloc-small 2T", "malloc-small", 2, 40000, True),
    ("malloc-mixed 2T", "malloc-mixed", 2, 40000, True),
    ("calloc/realloc/posix_memalign", "alloc-mix", 1, 16000, True),
    ("posix_memalign/free", "memalign", 1, 20000, True),
    ("open/close", "open-close", 1, 50000, False),
    ("timer_create/delete", "timer", 1, 50000, False),
]
CONFIGS = ["untraced", "floor", "bpftrace", "leaktrace", "every", "memleak", "bpfstats"]
ALLOC_FNS = ["malloc", "calloc", "realloc", "reallocarray", "posix_memalign", "aligned_alloc",
             "memalign", "valloc", "pvalloc", "free"]
# memleak-bpfcc through tools/bench/memleak.py: same tool, a binding bug fixed (see there)
MEMLEAK = ["/usr/bin/python3", os.path.join(ROOT, "tools", "bench", "memleak.py")]
SYSCALLS = {"open-close": ["openat", "close"], "timer": ["timer_create", "timer_delete"]}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def now():
    return time.monotonic()


# ---------------------------------------------------------------- host state

def perf_show():
    """Every BPF program attached through a perf event: [{pid, fd_type, ...}]."""
    try:
        out = subprocess.run(["bpftool", "perf", "show", "-j"], capture_output=True,
                             text=True, timeout=20).stdout
        return json.loads(out or "[]")
    except (subprocess.SubprocessError, ValueError, OSError):
        return []


def foreign_probes(ours):
    """pids (other than ours) that have BPF programs attached to perf events."""
    return sorted({p["pid"] for p in perf_show() if p.get("pid") not in ours})


def cpu_busy_s():
    """Seconds of CPU the whole host has been busy (all CPUs), from /proc/stat."""
    with open("/proc/stat") as fh:
        f = [int(x) for x in fh.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = f[3] + (f[4] if len(f) > 4 else 0)
    return (sum(f[:8]) - idle) / hz


def host_busy(interval=0.5):
    """CPUs' worth of work the host does now (0..ncpu), over interval seconds."""
    b0, t0 = cpu_busy_s(), now()
    time.sleep(interval)
    return (cpu_busy_s() - b0) / (now() - t0)


BUSY_LIMIT = 0.25  # CPUs of other work during a trial before it counts as disturbed


WAIT_BUDGET = [float(os.environ.get("BENCH_WAIT_BUDGET", 360))]  # s of waiting per run


def wait_quiet(limit):
    """Wait (up to limit s, and within the run's waiting budget) until the host is idle;
    True if it is."""
    t0 = now()
    limit = min(limit, WAIT_BUDGET[0])
    warned = False
    while True:
        busy = host_busy()
        if busy < BUSY_LIMIT:
            WAIT_BUDGET[0] = max(0.0, WAIT_BUDGET[0] - (now() - t0))
            return True
        if now() - t0 >= limit:
            WAIT_BUDGET[0] = max(0.0, WAIT_BUDGET[0] - (now() - t0))
            log(f"bench: host still busy ({busy:.2f} CPUs of other work): measuring anyway, flagged")
            return False
        if not warned:
            log(f"bench: waiting for the host to calm down ({busy:.2f} CPUs busy)")
            warned = True
        time.sleep(1)


def foreign_desc(pids):
    out = []
    for p in pids[:6]:
        try:
            with open(f"/proc/{p}/cmdline") as fh:
                out.append(f"{p}: " + fh.read().replace("\0", " ").strip()[:100])
        except OSError:
            out.append(str(p))
    return out


def task_runtime_ns(pid):
    """Scheduler run time of every thread of pid, in ns (/proc/PID/task/*/schedstat)."""
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/schedstat") as fh:
                    total += int(fh.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        return None
    return total


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def fd_ids(pid, key):
    """The ids (fdinfo line "key: id") of the BPF objects pid holds fds of; None if unreadable."""
    ids = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fdinfo")
    except OSError:
        return None
    for fd in fds:
        try:
            with open(f"/proc/{pid}/fdinfo/{fd}") as fh:
                for line in fh:
                    if line.startswith(key + ":"):
                        ids.add(int(line.split()[1]))
        except (OSError, ValueError):
            pass
    return ids


def map_memlock(pid):
    """Sum of bytes_memlock (bpftool map show) of the BPF maps pid holds fds of."""
    ids = fd_ids(pid, "map_id")
    if ids is None:
        return None, {}
    try:
        maps = json.loads(subprocess.run(["bpftool", "map", "show", "-j"], capture_output=True,
                                         text=True, timeout=20).stdout or "[]")
    except (subprocess.SubprocessError, ValueError, OSError):
        return None, {}
    per = {}
    for m in maps:
        if m.get("id") in ids:
            name = m.get("name", str(m.get("id")))
            per[name] = per.get(name, 0) + int(m.get("bytes_memlock", 0))
    return sum(per.values()), per


# ---------------------------------------------------------------- processes

class Proc:
    """A child whose stdout/stderr lines we read as they come."""

    def __init__(self, argv, stdout_file=None, env=None):
        """stdout_file: the child's stdout goes there and its stderr to stdout_file.err
        (a tracer must never block on a pipe we do not read); else both are pipes."""
        self.argv = argv
        self.t0 = now()
        self.err_file = stdout_file + ".err" if stdout_file else None
        self.p = subprocess.Popen(argv, stdout=open(stdout_file, "w") if stdout_file
                                  else subprocess.PIPE,
                                  stderr=open(self.err_file, "w") if stdout_file
                                  else subprocess.PIPE,
                                  stdin=subprocess.DEVNULL, text=True, bufsize=1,
                                  start_new_session=True, env=env)
        self.lines = []  # (time since start, stream, line)
        self.rusage = None

    @property
    def pid(self):
        return self.p.pid

    def wait_line(self, pattern, timeout, streams=("out", "err")):
        """Read lines until one matches pattern: (seconds since start, match) or (None, None)."""
        rx = re.compile(pattern)
        for t, s, line in self.lines:
            if s in streams and rx.search(line):
                return t, rx.search(line)
        deadline = now() + timeout
        files = {}
        if self.p.stdout is not None and "out" in streams:
            files[self.p.stdout] = "out"
        if self.p.stderr is not None:
            files[self.p.stderr] = "err"
        while files and now() < deadline:
            r, _, _ = select.select(list(files), [], [], max(0.0, min(1.0, deadline - now())))
            for f in r:
                line = f.readline()
                if not line:
                    del files[f]
                    continue
                t = now() - self.t0
                self.lines.append((t, files[f], line.rstrip("\n")))
                m = rx.search(line)
                if m and files[f] in streams:
                    return t, m
            if not r and self.p.poll() is not None:
                break
        return None, None

    def text(self):
        if self.err_file:
            try:
                with open(self.err_file) as fh:
                    return fh.read()
            except OSError:
                return ""
        return "\n".join(l for _, _, l in self.lines)

    def drain(self):
        for f, s in ((self.p.stdout, "out"), (self.p.stderr, "err")):
            if f is None:
                continue
            try:
                for line in f:
                    self.lines.append((now() - self.t0, s, line.rstrip("\n")))
            except (OSError, ValueError):
                pass

    def wait(self, timeout):
        deadline = now() + timeout
        while now() < deadline:
            if self.p.returncode is not None:  # reaped by Popen.poll() already
                self.drain()
                return self.p.returncode
            try:
                pid, status, ru = os.wait4(self.p.pid, os.WNOHANG)
            except ChildProcessError:
                self.p.poll()
                pid = 0
                continue
            if pid:
                self.p.returncode = os.waitstatus_to_exitcode(status)
                self.rusage = ru
                self.drain()
                return self.p.returncode
            time.sleep(0.02)
        return None

    def stop(self, sig=signal.SIGINT, timeout=30):
        if self.p.returncode is None:
            try:
                os.kill(self.p.pid, sig)
            except ProcessLookupError:
                pass
            if self.wait(timeout) is None:
                log(f"bench: {os.path.basename(self.argv[0])} did not stop in {timeout}s: killing")
                try:
                    os.killpg(self.p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.wait(10)
        return self.p.returncode


def wait_attached(pid, want, timeout, proc=None):
    """Wait until pid has at least `want` perf-attached BPF programs, stable for 0.5 s."""
    deadline = now() + timeout
    last, since = -1, now()
    while now() < deadline:
        if proc is not None and proc.p.poll() is not None:
            return None
        n = sum(1 for p in perf_show() if p.get("pid") == pid)
        if n != last:
            last, since = n, now()
        elif n >= want and now() - since >= 0.5:
            return n
        time.sleep(0.1)
    return None


def wait_file(path, text, timeout, proc):
    """Wait until text appears in path (a tracer's stdout): seconds since proc started."""
    deadline = now() + timeout
    while now() < deadline:
        try:
            with open(path) as fh:
                if text in fh.read():
                    return now() - proc.t0
        except OSError:
            pass
        if proc.p.poll() is not None:
            return None
        time.sleep(0.005)  # start-up figures to 5 ms (the target is ~0.1 s)
    return None


def tail(path, proc, n=400):
    """The last words of a tracer that failed: its stdout file and its stderr."""
    try:
        with open(path) as fh:
            o = fh.read()
    except OSError:
        o = ""
    return " | ".join((o + "\n" + proc.text()).strip().splitlines())[-n:]


# ---------------------------------------------------------------- one trial

# --extra NAME=CMD: more leaktrace-like configurations (another build, other options)
EXTRA = {}


def is_lt(cfg):
    return cfg in ("floor", "leaktrace", "every", "bpfstats") or cfg in EXTRA


BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled"


def bpf_stats_get():
    with open(BPF_STATS) as fh:
        return fh.read().strip()


def bpf_stats_set(value):
    with open(BPF_STATS, "w") as fh:
        fh.write(value)


def prog_stats(pid):
    """{program name: (runs, ns)} of the BPF programs pid holds (program and link fds)."""
    ids = fd_ids(pid, "prog_id") or set()
    try:
        out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True,
                             text=True, timeout=20).stdout
        progs = json.loads(out or "[]")
    except (subprocess.SubprocessError, ValueError, OSError):
        return {}
    st = {}
    for p in progs:
        if p.get("id") in ids:
            runs, ns = st.get(p.get("name", "?"), (0, 0))
            st[p.get("name", "?")] = (runs + p.get("run_cnt", 0), ns + p.get("run_time_ns", 0))
    return st


def bpftrace_script(mode):
    probes = [f"uprobe:{LIBC}:{fn}" for fn in ALLOC_FNS]
    for sc in SYSCALLS.get(mode, []):
        probes += [f"tracepoint:syscalls:sys_enter_{sc}", f"tracepoint:syscalls:sys_exit_{sc}"]
    return ",\n".join(probes) + "\n{ }\n", len(probes)


def pin_cpus(threads):
    """The CPUs a workload's threads are pinned to (workload -c), the same in every
    trial: the last `threads` CPUs we may use, highest first (any fixed choice would
    do). Unpinned, a one-thread loop ran on whichever vCPU the scheduler picked, and
    the vCPUs of a VM can differ: on a 2 vCPU EPYC VM malloc-mixed under the floor
    ran at ~8,000 ns per call on CPU 0 and ~6,400 on CPU 1, five runs each."""
    allowed = sorted(os.sched_getaffinity(0), reverse=True)
    return ",".join(str(allowed[i % len(allowed)]) for i in range(threads))


def run_trial(cfg, wl, args, tmp):
    """Run one workload under one configuration. Returns a dict (see 'res')."""
    name, mode, threads, iters, _ = wl
    res = {"workload": name, "config": cfg, "ok": False}
    env = dict(os.environ)
    if LIBC.startswith(OUT):
        env["LD_LIBRARY_PATH"] = os.path.dirname(LIBC)
    w = Proc([WL, mode, "-n", str(iters), "-t", str(threads), "-c", pin_cpus(threads), "-g"],
             env=env)
    tracer = None
    stats_was = None
    try:
        _, m = w.wait_line(r"^READY (\d+)", 10, streams=("out",))
        if not m:
            res["error"] = "workload did not start: " + w.text()[-300:]
            return res
        wpid = w.pid
        out = os.path.join(tmp, f"{cfg}.out")
        if is_lt(cfg):
            if cfg in EXTRA:
                argv = EXTRA[cfg][:1] + ["-p", str(wpid)] + EXTRA[cfg][1:]
            else:
                argv = [LT, "-p", str(wpid)] + {"floor": ["--probe-floor"], "leaktrace": [],
                                                  "every": ["--every-event"], "bpfstats": []}[cfg]
            tracer = Proc(argv, stdout_file=out)
            t = wait_file(out + ".err", "leaktrace: tracing", 120, tracer)
            if t is None:
                res["error"] = "leaktrace did not attach: " + tracer.text()[-300:]
                return res
            res["startup_s"] = t
        elif cfg == "bpftrace":
            script, nprobes = bpftrace_script(mode)
            tracer = Proc(["bpftrace", "-p", str(wpid), "-e", script], stdout_file=out)
            # "Attaching N probes..." comes before the attaching: count what is attached
            if wait_attached(tracer.pid, nprobes, 60, tracer) is None:
                tracer.stop(timeout=10)
                res["error"] = "bpftrace did not attach: " + tail(out, tracer)
                return res
            res["startup_s"] = now() - tracer.t0
        elif cfg == "memleak":
            tracer = Proc(MEMLEAK + ["-p", str(wpid)], stdout_file=out,
                          env=dict(os.environ, PYTHONUNBUFFERED="1"))
            # its attach message goes to stdout, with the reports; it comes after BCC compiled
            t = wait_file(out, "Attaching to pid", args.memleak_timeout, tracer)
            if t is None:
                tracer.stop(timeout=10)
                res["error"] = "memleak-bpfcc did not start: " + tail(out, tracer)
                return res
            res["attach_msg_s"] = t
            # 9 entry + 9 return uprobes (valloc, pvalloc, aligned_alloc may fail), free, munmap
            if wait_attached(tracer.pid, 14, 60, tracer) is None:
                tracer.stop(timeout=10)
                res["error"] = "memleak-bpfcc attached no probes: " + tail(out, tracer)
                return res
            res["startup_s"] = now() - tracer.t0
        if tracer is not None:
            res["tracer_pid"] = tracer.pid
            res["map_bytes"], res["maps"] = map_memlock(tracer.pid)
        res["foreign"] = foreign_probes({tracer.pid if tracer is not None else 0})
        os.kill(wpid, signal.SIGUSR1)  # warm up
        _, m = w.wait_line(r"^WARM", args.workload_timeout, streams=("out",))
        if not m:
            res["error"] = "workload did not warm up: " + w.text()[-300:]
            return res
        time.sleep(0.25)  # the consumer polls every 100 ms: let it take the warm-up's events
        tr0 = task_runtime_ns(tracer.pid) if tracer is not None else 0
        if cfg == "bpfstats":
            # The counts only grow while the statistics are on: read before, and after
            # they are off again, they bound the timed run alone.
            st0 = prog_stats(tracer.pid)
            try:
                stats_was = bpf_stats_get()
                bpf_stats_set("1")
            except OSError as e:
                res["error"] = f"cannot turn kernel.bpf_stats_enabled on: {e}"
                return res
        busy0, tb0 = cpu_busy_s(), now()
        os.kill(wpid, signal.SIGUSR1)  # timed run
        _, m = w.wait_line(r"^RESULT .*ns_per_call=([\d.]+)", args.workload_timeout,
                           streams=("out",))
        if stats_was is not None:
            try:
                bpf_stats_set(stats_was)
                stats_was = None
            except OSError:
                pass  # tried again, and reported, on the way out
            st1 = prog_stats(tracer.pid)
            res["bpf_progs"] = {k: (v[0] - st0.get(k, (0, 0))[0], v[1] - st0.get(k, (0, 0))[1])
                                for k, v in st1.items() if v[0] > st0.get(k, (0, 0))[0]}
            if not res["bpf_progs"]:
                res["error"] = "no BPF program run counted (bpftool prog show, fdinfo prog_id)"
                return res
        tb1 = now()
        rc = w.wait(10)
        if tracer is not None and is_lt(cfg):
            time.sleep(0.4)  # let the consumer drain the ring
        tr1 = task_runtime_ns(tracer.pid) if tracer is not None else 0
        busy1 = cpu_busy_s()
        if tracer is not None and tr0 is not None and tr1 is not None:
            res["tracer_cpu_ns"] = tr1 - tr0
        if w.rusage is not None and tb1 - tb0 >= 0.2:  # /proc/stat counts in 10 ms ticks
            ours_s = w.rusage.ru_utime + w.rusage.ru_stime + res.get("tracer_cpu_ns", 0) / 1e9
            res["other_busy"] = max(0.0, (busy1 - busy0 - ours_s) / (now() - tb0))
        if not m or rc != 0:
            res["error"] = f"workload failed (rc {rc}): " + w.text()[-300:]
            return res
        line = [l for _, s, l in w.lines if l.startswith("RESULT")][0]
        res.update({k: float(v) if "." in v else int(v)
                    for k, v in re.findall(r"(\w+)=(-?[\d.]+)", line)})
        if tracer is not None:
            res["hwm_kb"] = vm_hwm_kb(tracer.pid)
            tracer.stop(signal.SIGINT, 40)
            if is_lt(cfg):
                with open(out) as fh:
                    summ = [l for l in fh if l.startswith("== summary:")]
                if summ:
                    for k, v in re.findall(r"([a-z -]+?) (\d+)", summ[-1].split(":", 1)[1]):
                        res[k.strip().replace(" ", "_").replace("-", "_")] = int(v)
        res["ok"] = True
        return res
    finally:
        if stats_was is not None:
            try:
                bpf_stats_set(stats_was)
            except OSError as e:
                log(f"bench: could not put kernel.bpf_stats_enabled back to {stats_was}: {e}")
        if tracer is not None and tracer.p.returncode is None:
            tracer.stop(signal.SIGINT, 30)
        if w.p.returncode is None:
            w.stop(signal.SIGKILL, 5)


# ---------------------------------------------------------------- start-up

def host_startup(tmp):
    """leaktrace on the whole host: seconds from start to 'leaktrace: tracing'."""
    out = os.path.join(tmp, "host.out")
    p = Proc([LT, "-o", "/dev/null"], stdout_file=out)
    try:
        t = wait_file(out + ".err", "leaktrace: tracing", 120, p)
        links = None
        m = re.search(r"(\d+) probes", p.text())
        if m:
            links = int(m.group(1))
    finally:
        p.stop(signal.SIGINT, 40)
    return t, links


# ---------------------------------------------------------------- report

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, nd=0, unit=""):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    return f"{x:,.{nd}f}{unit}"


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/proc/meminfo") as fh:
            mem = int(fh.readline().split()[1]) // 1024
    except (OSError, ValueError):
        mem = 0
    libc = subprocess.run(["ldd", "--version"], capture_output=True, text=True).stdout
    libc = libc.splitlines()[0] if libc else "?"
    deb = open("/etc/debian_version").read().strip() if os.path.exists("/etc/debian_version") else "?"
    virt = subprocess.run(["systemd-detect-virt"], capture_output=True, text=True).stdout.strip() \
        if shutil.which("systemd-detect-virt") else ""
    return (f"{os.cpu_count()} vCPU {cpu}, {mem} MiB RAM, kernel {platform.release()}, "
            f"Debian {deb}, {libc}" + (f", {virt}" if virt else ""))


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", 5)))
    ap.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1.0)),
                    help="multiply every workload's iterations")
    ap.add_argument("--configs", default=os.environ.get("BENCH_CONFIGS", ",".join(CONFIGS)))
    ap.add_argument("--workloads", default=os.environ.get("BENCH_WORKLOADS", ""),
                    help="comma-separated modes or names (default: all)")
    ap.add_argument("--memleak-all", action="store_true",
                    help="run memleak on the fd and timer workloads too")
    ap.add_argument("--quiet-wait", type=float, default=float(os.environ.get("BENCH_QUIET_WAIT", 90)),
                    help="seconds to wait before a trial for other tracers to detach and the "
                         "host to go idle (at most BENCH_WAIT_BUDGET, default 360, in a run)")
    ap.add_argument("--memleak-timeout", type=float, default=120)
    ap.add_argument("--workload-timeout", type=float, default=180)
    ap.add_argument("--extra", action="append", default=[], metavar="NAME=CMD",
                    help="also run CMD -p PID (a leaktrace build and options, split on "
                         "spaces) as configuration NAME, e.g. to compare a candidate build")
    ap.add_argument("--no-replay", action="store_true")
    ap.add_argument("--replay-args", default="")
    ap.add_argument("--out", default=os.path.join(OUT, "results.md"))
    args = ap.parse_args()

    if os.geteuid() != 0:
        log("bench: needs root (BPF): run 'sudo make bench'")
        return 1
    os.makedirs(OUT, exist_ok=True)
    tmp = os.path.join(OUT, "tmp")
    os.makedirs(tmp, exist_ok=True)
    configs = [c for c in CONFIGS if c in args.configs.split(",")]
    for x in args.extra:
        name, _, cmd = x.partition("=")
        EXTRA[name] = cmd.split()
        configs.append(name)
    wls = [w for w in WORKLOADS
           if not args.workloads or w[1] in args.workloads.split(",") or w[0] in args.workloads.split(",")]
    wls = [(n, m, t, max(200, int(i * args.scale)), mem) for n, m, t, i, mem in wls]
    t_start = now()
    date = time.strftime("%Y-%m-%d %H:%M %Z")
    notes = []
    unavailable = {}
    if "bpftrace" in configs and not shutil.which("bpftrace"):
        unavailable["bpftrace"] = "bpftrace is not installed (apt-get install bpftrace)"
    if "memleak" in configs and not shutil.which("memleak-bpfcc"):
        unavailable["memleak"] = "memleak-bpfcc is not installed (apt-get install bpfcc-tools)"
    for c, why in unavailable.items():
        log(f"bench: {c}: {why}")

    log(f"bench: {machine()}")
    log(f"bench: {len(wls)} workloads x {len(configs)} configurations x {args.reps} repetitions")
    trials = []
    foreign = set()
    jf = open(os.path.join(OUT, "trials.jsonl"), "w")
    host_starts = []
    host_links = None
    for rep in range(args.reps):
        # leaktrace's start-up on the whole host, once per repetition
        wait_quiet(args.quiet_wait)
        f = foreign_probes({0})
        if f:
            foreign.update(f)
            log("bench: other processes have BPF attached: " + "; ".join(foreign_desc(f)))
        t, links = host_startup(tmp)
        host_starts.append(t)
        host_links = links or host_links
        log(f"bench: rep {rep + 1}/{args.reps}: leaktrace start-up on the whole host {fmt(t, 2)} s")
        # rotate the order of configurations per repetition
        order = configs[rep % len(configs):] + configs[:rep % len(configs)]
        for wl in wls:
            for cfg in order:
                if cfg in unavailable:
                    continue
                if cfg == "memleak" and not wl[4] and not args.memleak_all:
                    continue
                res = None
                for attempt in range(2):
                    quiet = wait_quiet(args.quiet_wait)
                    res = run_trial(cfg, wl, args, tmp)
                    res["noisy"] = (not quiet) or res.get("other_busy", 0) > BUSY_LIMIT
                    if cfg == "untraced" and (res.get("probed_start") or res.get("probed_end")):
                        res["noisy"] = True  # someone else's uprobes on our libc copy
                        log(f"bench: {wl[0]} untraced: the workload's libc carries breakpoints "
                            "of a tracer we did not start")
                    res["rep"] = rep
                    res["attempt"] = attempt
                    if not res["ok"] or not res["noisy"] or WAIT_BUDGET[0] <= 0:
                        break  # no retry once the waiting budget is spent: flag it
                    log(f"bench: {wl[0]} / {cfg}: disturbed ({res.get('other_busy', 0):.2f} CPUs "
                        "of other work): retrying")
                jf.write(json.dumps(res) + "\n")
                jf.flush()
                trials.append(res)
                if res["ok"]:
                    log(f"bench: rep {rep + 1} {wl[0]:<30} {cfg:<9} {res['ns_per_call']:>10.1f} ns/call"
                        + (f"  (start-up {res['startup_s']:.2f} s)" if "startup_s" in res else "")
                        + (f"  NOISY (others {res.get('other_busy', 0):.2f} CPUs)" if res["noisy"] else ""))
                else:
                    log(f"bench: rep {rep + 1} {wl[0]} {cfg}: FAILED: {res.get('error', '?')}")
                    if cfg in ("bpftrace", "memleak", "bpfstats"):
                        unavailable[cfg] = res.get("error", "failed").splitlines()[0][:200]
                        log(f"bench: {cfg} cannot run here: skipped from now on")
    jf.close()

    # replay benchmark of the aggregator
    replay = {}
    rp = []
    for rep in range(0 if args.no_replay else args.reps):
        r = subprocess.run([REPLAY, "-q"] + args.replay_args.split(), capture_output=True,
                           text=True, timeout=300)
        d = {}
        for line in r.stdout.splitlines():
            if line.startswith("REPLAY"):
                d.update({k: float(v) for k, v in re.findall(r"(\w+)=(-?[\d.]+)", line)})
        rp.append(d)
    for k in rp[0] if rp else []:
        replay[k] = med([d.get(k) for d in rp])

    # ------------------------------------------------------------ tables
    def sel(wname, cfg, key="ns_per_call"):
        return [t.get(key) for t in trials if t["ok"] and t["workload"] == wname and t["config"] == cfg]

    def paired(wname, num, den="floor"):
        """Median over the repetitions of each one's own ratio (num - untraced) / (den -
        untraced). A repetition runs its configurations within seconds of each other,
        so a drift of the host's speed over the run (on that VM, every configuration
        of some repetitions a fifth slower than in the others) cancels in it, where it
        does not in the ratio of medians taken over all repetitions."""
        by = {}
        for t in trials:
            if t["ok"] and t["workload"] == wname:
                by.setdefault(t["rep"], {})[t["config"]] = t["ns_per_call"]
        rs = []
        for cfgs in by.values():
            if all(c in cfgs for c in ("untraced", num, den)):
                r = ratio(cfgs[num] - cfgs["untraced"], cfgs[den] - cfgs["untraced"])
                if r is not None:
                    rs.append(r)
        return med(rs)

    lines = []
    P = lines.append

    def head(*cols):
        """A markdown table's header row and its separator."""
        P("| " + " | ".join(cols) + " |")
        P("|" + "---|" * len(cols))
    P(f"# leaktrace benchmark ({date})")
    P("")
    P(f"Machine: {machine()}.")
    vers = [v for v in (tool_version([LT, "--version"]), tool_version(["bpftrace", "--version"]),
                        "bpfcc-tools " + (subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bpfcc-tools"],
                                                          capture_output=True, text=True).stdout or "?"))
            if v]
    P(f"Tools: {', '.join(vers)}.")
    P(f"Repetitions: {args.reps}, interleaved (configuration order rotated per repetition); medians. "
      f"Load average at the end: {open('/proc/loadavg').read().split()[0]}. "
      f"Workload threads pinned to CPU {pin_cpus(1)} (1 thread), {pin_cpus(2)} (2 threads).")
    for t in trials:
        foreign.update(t.get("foreign") or [])
    if foreign:
        P(f"Other processes had BPF programs attached during the run (pids {sorted(foreign)[:10]}): "
          "their uprobes sit on the system libc, not on the workloads' private copy, but their "
          "syscall tracepoints fire in the fd and timer workloads.")
    noisy = [t for t in trials if t.get("noisy")]
    if noisy:
        P(f"**{len(noisy)} of {len(trials)} trial(s) were disturbed** (other work took more than "
          f"{BUSY_LIMIT} CPU during the timed run, after one retry; flagged in "
          "build/bench/trials.jsonl): their figures are suspect.")
    for c, why in unavailable.items():
        P(f"- {c}: not measured: {why}")
    P("")
    P("## ns added per call (median ns/call of the configuration minus untraced)")
    P("")
    head("workload", "untraced ns/call", "floor", "bpftrace", "leaktrace",
         "leaktrace --every-event", "memleak", "R_floor", "R_peer", "R_floor paired",
         "R_peer paired")
    summary = {}
    for wl in wls:
        n = wl[0]
        base = med(sel(n, "untraced"))
        added = {}
        for c in configs[1:]:
            m = med(sel(n, c))
            added[c] = (m - base) if (m is not None and base is not None) else None
        rf = ratio(added.get("leaktrace"), added.get("floor"))
        rpeer = ratio(added.get("leaktrace"), added.get("memleak"))
        pf, pp = paired(n, "leaktrace"), paired(n, "leaktrace", "memleak")
        summary[n] = (base, added, rf, rpeer, pf, pp)
        mem_cell = fmt(added.get("memleak"))
        if added.get("memleak") is None and not wl[4]:
            mem_cell = "not run"
        P(f"| {n} | {fmt(base, 1)} | {fmt(added.get('floor'))} | {fmt(added.get('bpftrace'))} | "
          f"{fmt(added.get('leaktrace'))} | {fmt(added.get('every'))} | {mem_cell} | "
          f"{fmt(rf, 2)} | {fmt(rpeer, 2)} | {fmt(pf, 2)} | {fmt(pp, 2)} |")
    if EXTRA:
        P("")
        head("workload", *(f"{x} added" for x in EXTRA), *(f"{x} / floor" for x in EXTRA))
        for wl in wls:
            added = summary[wl[0]][1]
            P(f"| {wl[0]} | " + " | ".join(fmt(added.get(x)) for x in EXTRA) + " | "
              + " | ".join(fmt(ratio(added.get(x), added.get("floor")), 2) for x in EXTRA) + " |")
    P("")
    P("floor: leaktrace --probe-floor (its probe sites, programs return at once); bpftrace: empty "
      "actions at the plain entries (+0) of the 10 allocator functions (no return probes) and on "
      "the enter/exit tracepoints of the workload's syscalls; leaktrace --every-event: every "
      "allocation and free sent (by default a block its thread frees before its next "
      "allocation is matched in the kernel and neither record is sent); memleak: "
      "memleak-bpfcc -p PID, defaults (not run on fd and timer "
      "workloads: it traces neither). A negative figure is noise: the configuration added less "
      "than the run-to-run spread. R_floor and R_peer: ratios of the medians; paired: the "
      "median of each repetition's own ratio (its configurations ran seconds apart, so a "
      "drift of the host's speed cancels).")
    P("")
    P("## leaktrace per workload (medians; lost: the most over the repetitions)")
    P("")
    head("workload", "events", "short-lived", "lost events", "lost stacks", "consumer CPU ns/call",
         "peak RSS (VmHWM)", "BPF map memory", "start-up (-p)", "floor start-up")
    for wl in wls:
        n = wl[0]
        ev = med(sel(n, "leaktrace", "events"))
        lost = [x for x in sel(n, "leaktrace", "lost_events") if x is not None]
        lstk = [x for x in sel(n, "leaktrace", "lost_stacks") if x is not None]
        cpe = med([t["tracer_cpu_ns"] / t["calls"] for t in trials
                   if t["ok"] and t["workload"] == n and t["config"] == "leaktrace"
                   and t.get("tracer_cpu_ns") is not None and t.get("calls")])
        hwm = med(sel(n, "leaktrace", "hwm_kb"))
        mb = med(sel(n, "leaktrace", "map_bytes"))
        P(f"| {n} | {fmt(ev)} | {fmt(med(sel(n, 'leaktrace', 'short_lived')))} | {fmt(max(lost) if lost else None)} | {fmt(max(lstk) if lstk else None)} | "
          f"{fmt(cpe)} | {fmt(hwm / 1024 if hwm else None, 1, ' MiB')} | "
          f"{fmt(mb / 1048576 if mb else None, 1, ' MiB')} | "
          f"{fmt(med(sel(n, 'leaktrace', 'startup_s')), 2, ' s')} | "
          f"{fmt(med(sel(n, 'floor', 'startup_s')), 2, ' s')} |")
    maps = {}
    for t in trials:
        if t["ok"] and t["config"] == "leaktrace" and t.get("maps"):
            maps = t["maps"]
    if maps:
        P("")
        P("BPF maps of leaktrace (bytes_memlock): " +
          ", ".join(f"{k} {v / 1048576:.1f} MiB" for k, v in sorted(maps.items(), key=lambda kv: -kv[1])) + ".")
    bpf_rows = []
    for wl in wls:
        per = [t for t in trials if t["ok"] and t["workload"] == wl[0] and t["config"] == "bpfstats"
               and t.get("bpf_progs") and t.get("calls")]
        if not per:
            continue
        total = med([sum(v[1] for v in t["bpf_progs"].values()) / t["calls"] for t in per])
        names = sorted({k for t in per for k in t["bpf_progs"]},
                       key=lambda k: -med([t["bpf_progs"].get(k, (0, 0))[1] for t in per]))
        progs = []
        for k in names[:4]:
            runs = med([t["bpf_progs"].get(k, (0, 0))[0] / t["calls"] for t in per])
            ns = med([t["bpf_progs"][k][1] / t["bpf_progs"][k][0] for t in per
                      if t["bpf_progs"].get(k, (0, 0))[0]])
            progs.append(f"{k} {fmt(ns)} ns x {runs:.2f}")
        bpf_rows.append(f"| {wl[0]} | {fmt(total)} | {', '.join(progs)} |")
    if bpf_rows:
        P("")
        P("## leaktrace's BPF programs (configuration bpfstats: kernel.bpf_stats_enabled during the "
          "timed run)")
        P("")
        P("Run time inside the programs, medians. The statistics themselves add ~10-20 ns to every "
          "run and are counted in; the traps, the kernel's uprobe handling and what the programs do "
          "to the caches are not.")
        P("")
        head("workload", "BPF ns per call", "programs (ns per run x runs per call)")
        for r in bpf_rows:
            P(r)
    P("")
    P("## Start-up and the peer")
    P("")
    mem_start = med([t.get("startup_s") for t in trials if t["ok"] and t["config"] == "memleak"])
    mem_msg = med([t.get("attach_msg_s") for t in trials if t["ok"] and t["config"] == "memleak"])
    mem_hwm = med([t.get("hwm_kb") for t in trials if t["ok"] and t["config"] == "memleak"])
    mem_maps = med([t.get("map_bytes") for t in trials if t["ok"] and t["config"] == "memleak"])
    bt_start = med([t.get("startup_s") for t in trials if t["ok"] and t["config"] == "bpftrace"])
    lt_p_start = med([t.get("startup_s") for t in trials if t["ok"] and t["config"] == "leaktrace"])
    hs = med(host_starts)
    head("what", "seconds")
    P(f"| leaktrace, whole host, start to \"leaktrace: tracing\" ({host_links} probes) | {fmt(hs, 2)} |")
    P(f"| leaktrace -p PID, start to \"leaktrace: tracing\" | {fmt(lt_p_start, 2)} |")
    P(f"| memleak-bpfcc -p PID, start to \"Attaching to pid\" (compiled) | {fmt(mem_msg, 2)} |")
    P(f"| memleak-bpfcc -p PID, start to all probes attached | {fmt(mem_start, 2)} |")
    P(f"| bpftrace -p PID, start to all probes attached | {fmt(bt_start, 2)} |")
    P("")
    if mem_hwm or mem_maps:
        P(f"memleak-bpfcc (python + BCC) peak RSS {fmt(mem_hwm / 1024 if mem_hwm else None, 1, ' MiB')}, "
          f"BPF map memory {fmt(mem_maps / 1048576 if mem_maps else None, 1, ' MiB')}.")
        P("")
    P("## Aggregator replay (build/bench/replay: user/agg.c in-process)")
    P("")
    if replay:
        P(f"{fmt(replay.get('live'))} live allocations in {fmt(replay.get('stacks'))} stacks, "
          f"{fmt(replay.get('steady_events'))} steady-state events (50/50 alloc/free, "
          f"{fmt(replay.get('churn_procs'))} short-lived processes forked, exec'd, exited).")
        P("")
        head("figure", "value")
        P(f"| ns per event, steady state | {fmt(replay.get('steady_ns_per_event'), 1)} |")
        P(f"| ns per event, filling to {fmt(replay.get('live'))} live | "
          f"{fmt(replay.get('fill_ns_per_event'), 1)} |")
        P(f"| tracer bytes per live allocation (agg__mem_bytes / live) | {fmt(replay.get('bytes_per_live'), 1)} |")
        P(f"| resident bytes per live allocation (RSS growth less the generator's lists) | {fmt(replay.get('resident_bytes_per_live'), 1)} |")
        P(f"| RSS growth of the replay process | {fmt(replay.get('rss_growth_kb', 0) / 1024, 1, ' MiB')} |")
    else:
        P("replay did not run")
    P("")
    P("## Against the targets of issue 6")
    P("")
    ms = summary.get("malloc-small 1T")
    floor_call = ms[1].get("floor") if ms else None
    rows = []

    def both(label, a, b, lim):
        """A ratio target: the ratio of medians and the paired one, each met or not."""
        yn = lambda x: "n/a" if x is None else ("yes" if x <= lim else "no")
        rows.append((label, f"{fmt(a, 2)} (paired {fmt(b, 2)})", f"{yn(a)} (paired {yn(b)})"))
    if ms:
        both("R_floor <= 1.25 (malloc-small 1T)", ms[2], ms[4], 1.25)
        both("R_floor <= 1.25 (malloc-small 1T, --every-event)",
             ratio(ms[1].get("every"), ms[1].get("floor")), paired("malloc-small 1T", "every"), 1.25)
    mm = summary.get("malloc-mixed 1T")
    if mm:
        both("R_floor <= 1.25 (malloc-mixed 1T: frees 256 calls later, no pair matched)",
             mm[2], mm[4], 1.25)
    if ms:
        both("R_peer <= 0.5 (malloc-small 1T)", ms[3], ms[5], 0.5)
    if replay and floor_call:
        # issue 6: a tenth of the floor's ns per *hit*. malloc-small's pair of calls
        # is three traps (malloc's entry and return, free's entry): 1.5 per call.
        lim = floor_call / 1.5 / 10
        rows.append((f"agg ns/event <= floor ns/hit / 10 = {lim:.0f} (malloc-small 1T: "
                     f"1.5 traps per call)",
                     fmt(replay.get("steady_ns_per_event"), 1),
                     replay.get("steady_ns_per_event", 1e18) <= lim))
    two = [x for x in sel("malloc-small 2T", "leaktrace", "lost_events") if x is not None]
    if two:
        rows.append(("0 lost events, malloc-small on every core (2T)", str(max(two)), max(two) == 0))
    if replay:
        rows.append(("bytes per live allocation <= 64", fmt(replay.get("bytes_per_live"), 1),
                     replay.get("bytes_per_live", 1e9) <= 64))
    if hs and mem_start:
        rows.append((f"host start-up < memleak start-up / 10 = {mem_start / 10:.2f} s", fmt(hs, 2),
                     hs < mem_start / 10))
    head("target", "measured", "met")
    for a, b, c in rows:
        P(f"| {a} | {b} | {c if isinstance(c, str) else ('yes' if c else 'no')} |")
    P("")
    P(f"Run time: {(now() - t_start) / 60:.1f} min.")
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as fh:
        fh.write(text)
    print(text)
    log(f"bench: tables in {args.out}, every trial in {os.path.join(OUT, 'trials.jsonl')}")
    return 0


def _interrupted(signum, frame):
    # Once: a second Ctrl-C or TERM must not cut short the clean-up below.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt  # the finally blocks stop the tracers and the workload


if __name__ == "__main__":
    # Started in the background by a shell, SIGINT may arrive ignored: handle both.
    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        log("bench: interrupted")
        sys.exit(130)
