"""How many CPU threads a run uses, and how idle OpenMP threads wait.

Why this exists (docs/benchmarks.md, "Threads"): torch parallelises each operation over OpenMP
threads, by default one per core, and GNU OpenMP's idle threads *spin* on the CPU between operations
before they sleep. On a machine where anything else runs, the two together collapse: a run's threads
spin on cores another process needs, each operation waits for its slowest thread (the one sharing a
core), and two such runs side by side spin against each other. Measured on 2 cores: a 2-thread run beside
one busy single-threaded process took 3–7× its idle time, and 15× at load 8.

The policy, in two parts:

1. **Wait policy.** :func:`configure_openmp` sets ``OMP_WAIT_POLICY=PASSIVE`` (idle OpenMP threads sleep
   at once instead of spinning) unless the user set it. OpenMP reads it when torch loads its runtime, so
   the command line calls this before anything imports torch; a library user who imports torch first
   keeps OpenMP's default.
2. **Intra-op threads** (:func:`choose_threads`, a pure function of its inputs): an explicit
   ``threads`` setting, then ``OMP_NUM_THREADS``, win. Otherwise a model whose step is too small to
   split (under :data:`SMALL_STEP_FLOPS`) gets one thread; a larger one gets one thread per core of its
   CPU set that other processes are not using right now (:func:`busy_cores`: the CPU time other processes
   used over a short window, read from ``/proc/stat``), at least one.

``DIVERGAN_THREAD_POLICY=off`` in the environment switches both parts off (torch's and OpenMP's own
defaults, as before this module existed); ``benchmarks/contention.py`` compares the two.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable

#: a generator iteration below this many FLOPs (forward and backward, every network) is not split
#: over threads: each operation then takes microseconds, the same order as waking a sleeping thread
SMALL_STEP_FLOPS = 2e7
#: a core counts as taken when other processes used at least this share of it in the window
BUSY_SHARE = 0.6
#: how long :func:`busy_cores` watches the CPUs (seconds)
WINDOW = 0.2


def enabled(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """False when ``DIVERGAN_THREAD_POLICY=off`` (torch's and OpenMP's own defaults instead)."""
    env = os.environ if environ is None else environ
    return env.get("DIVERGAN_THREAD_POLICY", "").strip().lower() not in ("off", "0", "false", "no")


def configure_openmp() -> None:
    """Set ``OMP_WAIT_POLICY=PASSIVE`` unless the user chose one or the policy is off.

    Call before torch is imported (OpenMP reads the variable once, when torch loads it); afterwards it
    only affects child processes.
    """
    if enabled():
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def choose_threads(
    step_flops: float, cpus: int, busy: float, requested: int = 0, env_threads: int = 0
) -> tuple[int, str]:
    """The intra-op thread count for a run, and why (one short phrase).

    Args:
        step_flops: FLOPs of one generator iteration (all networks, forward and backward); 0 if unknown.
        cpus: cores this process may run on (``os.sched_getaffinity``).
        busy: cores' worth of CPU time other processes are using now (0 on an idle machine).
        requested: the run's ``threads`` setting (0: choose).
        env_threads: ``OMP_NUM_THREADS`` as the user set it (0: unset).

    >>> choose_threads(2e9, cpus=2, busy=0.0)
    (2, '2 free cores')
    >>> choose_threads(2e9, cpus=2, busy=1.0)
    (1, '1 of 2 cores busy')
    >>> choose_threads(1e6, cpus=16, busy=0.0)
    (1, 'small step')
    """
    if requested > 0:
        return requested, "threads setting"
    if env_threads > 0:
        return env_threads, "OMP_NUM_THREADS"
    cpus = max(1, cpus)
    if 0 < step_flops < SMALL_STEP_FLOPS:
        return 1, "small step"
    taken = min(cpus, math.floor(max(0.0, busy) + 1.0 - BUSY_SHARE))
    free = max(1, cpus - taken)
    if taken:
        return free, f"{taken} of {cpus} cores busy"
    return free, f"{free} free cores"


def affinity() -> list[int]:
    """The CPUs this process may run on."""
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return list(range(os.cpu_count() or 1))


def _cpu_jiffies(cpus: list[int]) -> tuple[int, int] | None:
    """(busy, total) clock ticks of ``cpus`` since boot, from /proc/stat; None where there is none."""
    try:
        with open("/proc/stat") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    wanted = {f"cpu{c}" for c in cpus}
    busy = total = 0
    for line in lines:
        fields = line.split()
        if fields and fields[0] in wanted:
            ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            total += sum(ticks)
            busy += sum(ticks) - ticks[3] - ticks[4]
    return (busy, total) if total else None


def busy_cores(window: float = WINDOW) -> float:
    """Cores' worth of CPU time that *other* processes used over the next ``window`` seconds.

    Reads /proc/stat for this process's CPUs before and after sleeping ``window`` (this process is
    asleep meanwhile; its own CPU time, from ``os.times``, is subtracted anyway). Where /proc/stat is
    missing, the 1-minute load average stands in (it lags by up to a minute).
    """
    cpus = affinity()
    first, own0 = _cpu_jiffies(cpus), os.times()
    if first is None:
        try:
            return float(os.getloadavg()[0])
        except OSError:
            return 0.0
    time.sleep(window)
    second, own1 = _cpu_jiffies(cpus), os.times()
    if second is None or second[1] <= first[1]:
        return 0.0
    share = (second[0] - first[0]) / (second[1] - first[1])  # busy share of the CPU set
    own = (own1.user + own1.system - own0.user - own0.system) / max(own1.elapsed - own0.elapsed, 1e-9)
    return max(0.0, share * len(cpus) - own)


def env_threads(environ: os._Environ[str] | dict[str, str] | None = None) -> int:
    """``OMP_NUM_THREADS`` as a positive int, else 0."""
    value = (os.environ if environ is None else environ).get("OMP_NUM_THREADS", "")
    try:
        return max(0, int(value.split(",")[0]))
    except ValueError:
        return 0


def threads_for(requested: int, flops: Callable[[], float], log: bool = False) -> int:
    """The thread count for a run (0: leave torch's setting alone, the policy being off).

    ``requested`` (the run's ``threads`` setting) and ``OMP_NUM_THREADS`` are used as given, without
    measuring anything; otherwise ``flops()`` (FLOPs of one generator iteration, 0 if unknown) is called
    and the machine is watched for :data:`WINDOW` seconds.
    """
    if not enabled():
        return requested
    from_env = env_threads()
    if requested or from_env:
        return choose_threads(0.0, len(affinity()), 0.0, requested, from_env)[0]
    step = flops()
    cpus = len(affinity())
    busy = busy_cores() if step == 0 or step >= SMALL_STEP_FLOPS else 0.0
    n, why = choose_threads(step, cpus, busy)
    if log or os.environ.get("DIVERGAN_THREADS_VERBOSE"):
        print(
            f"threads: {n} ({why}; {step / 1e9:.3g} GFLOP per step, {busy:.2f} of {cpus} cores busy)",
            file=sys.stderr,
        )
    return n
