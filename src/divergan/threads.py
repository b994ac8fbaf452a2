"""How many CPU threads a run uses, and how idle OpenMP threads wait.

Why this exists (docs/benchmarks.md, "Threads"): torch parallelises each operation over OpenMP
threads, by default one per core, and GNU OpenMP's idle threads *spin* on the CPU between operations
before they sleep. On a machine where anything else runs, the two together collapse: a run's threads
spin on cores another process needs, each operation waits for its slowest thread (the one sharing a
core), and two such runs side by side spin against each other. Measured on 2 cores: a 2-thread run beside
one busy single-threaded process took 3–7× its idle time, and 15× at load 8.

The policy, in two parts:

1. **Wait policy.** OpenMP's default (idle threads spin briefly, then sleep) is kept. Sleeping at once
   (``OMP_WAIT_POLICY=PASSIVE``) rescues a 2-thread run beside a busy process, but on the idle machine it
   cost the main job 24 % of its time (docs/benchmarks.md), and part 2 already gives a run beside busy
   processes one thread, where the wait policy does not matter. A user may still set it by hand.
2. **Intra-op threads** (:func:`choose_threads`, a pure function of its inputs): an explicit
   ``threads`` setting, then ``OMP_NUM_THREADS``, win. Otherwise a model whose step is too small to
   split (under :data:`SMALL_STEP_FLOPS`) gets one thread; a larger one gets one thread per core of its
   CPU set that other processes are not using (:func:`busy_cores`: the CPU time other processes used
   while this command started up, read from ``/proc/stat``), at least one.

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
    """Start the window :func:`busy_cores` reads (:func:`mark`), before torch is imported.

    The wait policy is left to OpenMP (module docstring, part 1): ``OMP_WAIT_POLICY=PASSIVE``, measured
    24 % slower idle for the main job, is no longer set here; a user's own setting is passed through.
    """
    mark()


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


#: (ticks of the CPU set, this process's CPU seconds, wall clock) when :func:`mark` was called
_mark: tuple[tuple[int, int], float, float] | None = None


def _snapshot() -> tuple[tuple[int, int], float, float] | None:
    ticks, now = _cpu_jiffies(affinity()), os.times()
    return None if ticks is None else (ticks, now.user + now.system, now.elapsed)


def mark() -> None:
    """Start the window :func:`busy_cores` reads (the command line calls this when it starts)."""
    global _mark
    _mark = _snapshot()


def _others(
    first: tuple[tuple[int, int], float, float], second: tuple[tuple[int, int], float, float]
) -> float:
    """Cores' worth of CPU time used between two snapshots by processes other than this one."""
    (busy0, total0), own0, wall0 = first
    (busy1, total1), own1, wall1 = second
    if total1 <= total0 or wall1 <= wall0:
        return 0.0
    share = (busy1 - busy0) / (total1 - total0)  # busy share of the CPU set
    return max(0.0, share * len(affinity()) - (own1 - own0) / (wall1 - wall0))


def busy_cores(window: float = WINDOW) -> float:
    """Cores' worth of CPU time that *other* processes are using, from /proc/stat.

    The window runs from :func:`mark` (the command's start: its imports and set-up, when they took
    0.5–60 s) to now, so a run needs no pause to look, and two runs started at once see each other
    busy importing; without a mark it is the next ``window`` seconds, asleep. This process's own CPU
    time is subtracted. Where /proc/stat is missing, the 1-minute load average stands in (it lags by
    up to a minute).
    """
    first = _mark
    if first is None or not 0.5 <= os.times().elapsed - first[2] <= 60.0:
        first = _snapshot()
        if first is None:
            try:
                return float(os.getloadavg()[0])
            except OSError:
                return 0.0
        time.sleep(window)
    second = _snapshot()
    return 0.0 if second is None else _others(first, second)


def env_threads(environ: os._Environ[str] | dict[str, str] | None = None) -> int:
    """``OMP_NUM_THREADS`` as a positive int, else 0."""
    value = (os.environ if environ is None else environ).get("OMP_NUM_THREADS", "")
    try:
        return max(0, int(value.split(",")[0]))
    except ValueError:
        return 0


def threads_for(requested: int, flops: Callable[[], float], current: int = 0, log: bool = False) -> int:
    """The thread count for a run; 0 means: leave torch's setting as it is.

    ``requested`` (the run's ``threads`` setting) and ``OMP_NUM_THREADS`` are used as given, without
    measuring anything. A ``current`` torch thread count that differs from torch's default (one per
    core of the CPU set) was chosen by the caller (``torch.set_num_threads`` before calling the
    library): it is kept. Otherwise ``flops()`` (FLOPs of one generator iteration, 0 if unknown) is
    called and the machine is watched for :data:`WINDOW` seconds.
    """
    if not enabled():
        return requested
    from_env = env_threads()
    if requested or from_env:
        return choose_threads(0.0, len(affinity()), 0.0, requested, from_env)[0]
    cpus = len(affinity())
    if current and current != cpus:
        return 0
    step = flops()
    busy = busy_cores() if step == 0 or step >= SMALL_STEP_FLOPS else 0.0
    n, why = choose_threads(step, cpus, busy)
    if log or os.environ.get("DIVERGAN_THREADS_VERBOSE"):
        print(
            f"threads: {n} ({why}; {step / 1e9:.3g} GFLOP per step, {busy:.2f} of {cpus} cores busy)",
            file=sys.stderr,
        )
    return n
