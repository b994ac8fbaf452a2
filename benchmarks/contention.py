"""Runs under contention: the thread policy (divergan/threads.py) against torch's old defaults.

For each job (the main job and the ``mnist`` preset, both shortened with ``--steps``) and each thread
mode, whole ``divergan train`` processes are timed in three situations:

* ``idle``: the run alone;
* ``busy``: the run beside one busy single-threaded process (a Python spin loop started first);
* ``pair``: two copies started at once; their makespan is compared with running them one after the
  other (twice the idle time of the same mode).

Modes: ``old`` is ``DIVERGAN_THREAD_POLICY=off`` (torch's default threads, one per core, and OpenMP's
default wait policy, which spins); ``new`` is the policy (the threads ``divergan.threads`` chooses,
OpenMP's default waiting; the choice is printed); ``passive`` (idle only) is the policy's threads with
``OMP_WAIT_POLICY=PASSIVE``, which tells what sleeping idle threads cost on an idle machine. Neither sets ``--set threads``, and
``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` are removed from the children's environment. Within every
situation the two modes alternate, old first in even repeats and new first in odd ones; the load
average is recorded before and after each measurement. The table goes to docs/benchmarks.md.

    python benchmarks/contention.py --quick        # about 6-8 minutes on 2 idle cores (runs stopped at 120 s)
    python benchmarks/contention.py --repeats 3    # the same, three times over (medians)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _doc import machine, write_section

DIVERGAN = str(Path(sys.executable).with_name("divergan"))
SPIN = [sys.executable, "-c", "while True: pass"]

#: job name -> (divergan train arguments, full, quick)
JOBS: dict[str, tuple[list[str], list[str]]] = {
    "main": (
        ["--steps", "600", "--set", "ratio_steps=300"],
        ["--steps", "200", "--set", "ratio_steps=100", "--set", "eval_samples=1000"],
    ),
    "mnist": (
        ["--preset", "mnist", "--steps", "200", "--set", "eval_samples=1000"],
        ["--preset", "mnist", "--steps", "60", "--set", "eval_samples=500"],
    ),
}


def env_for(mode: str) -> dict[str, str]:
    drop = (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OMP_WAIT_POLICY",
        "DIVERGAN_THREAD_POLICY",
        "GOMP_SPINCOUNT",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if mode == "old":
        env["DIVERGAN_THREAD_POLICY"] = "off"
    else:
        env["DIVERGAN_THREADS_VERBOSE"] = "1"
    if mode == "passive":  # the policy's threads with idle OpenMP threads sleeping at once
        env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def start(args: list[str], mode: str, folder: Path) -> tuple[subprocess.Popen, float]:
    cmd = [DIVERGAN, "train", "--quiet", "--json", "--out", str(folder), *args]
    proc = subprocess.Popen(cmd, env=env_for(mode), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, time.perf_counter()


#: a run still going after this many seconds is stopped and recorded as "> limit" (a collapse must
#: not eat the benchmark's time budget); set by --limit
LIMIT = [240.0]


def finish(proc: subprocess.Popen, t0: float) -> dict:
    try:
        out, err = proc.communicate(timeout=max(1.0, LIMIT[0] - (time.perf_counter() - t0)))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"wall": LIMIT[0], "train": float("nan"), "threads": "stopped at the limit", "stopped": True}
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"a run failed (exit {proc.returncode}):\n{err[-2000:]}")
    final = json.loads(out)
    chosen = re.search(r"threads: (\d+) \(([^;]*)", err)
    return {
        "stopped": False,
        "wall": wall,
        "train": final.get("train_seconds", float("nan")),
        "threads": f"{chosen.group(1)} ({chosen.group(2)})" if chosen else "torch default",
    }


def load() -> float:
    return os.getloadavg()[0]


def measure(job_args: list[str], mode: str, situation: str, tmp: Path) -> dict:
    """One measurement; returns wall (the makespan for a pair), train seconds, threads, loads."""
    before = load()
    spinner = subprocess.Popen(SPIN) if situation == "busy" else None
    try:
        if spinner is not None:
            time.sleep(1.0)  # the spinner is running before the run starts
        copies = 2 if situation == "pair" else 1
        t0 = time.perf_counter()
        started = [start(job_args, mode, Path(tempfile.mkdtemp(dir=tmp)) / "run") for _ in range(copies)]
        results = [finish(p, t) for p, t in started]
        makespan = time.perf_counter() - t0
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    return {
        "wall": max(makespan, LIMIT[0]) if any(r["stopped"] for r in results) else makespan,
        "stopped": any(r["stopped"] for r in results),
        "train": max(r["train"] for r in results),
        "threads": " / ".join(dict.fromkeys(r["threads"] for r in results)),
        "load": (before, load()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="shorter runs: about 6-8 minutes on 2 idle cores")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--jobs", default=",".join(JOBS), help="comma-separated: " + ", ".join(JOBS))
    ap.add_argument("--steps", type=int, default=None, help="override --steps of every job (smoke tests)")
    ap.add_argument(
        "--modes", default="old,new,passive", help="comma-separated: old, new, passive (passive: idle only)"
    )
    ap.add_argument("--limit", type=float, default=None, help="seconds per run (default 240; --quick 120)")
    ap.add_argument("--no-doc", action="store_true", help="print the table, do not write docs/benchmarks.md")
    args = ap.parse_args()
    modes = tuple(args.modes.split(","))
    LIMIT[0] = args.limit if args.limit is not None else (120.0 if args.quick else 240.0)
    situations = ("idle", "busy", "pair")
    rows: dict[tuple[str, str, str], list[dict]] = {}
    t_start, load_start = time.perf_counter(), os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for job in args.jobs.split(","):
            full, quick = JOBS[job]
            job_args = list(quick if args.quick else full)
            if args.steps is not None:
                job_args[job_args.index("--steps") + 1] = str(args.steps)
            for rep in range(args.repeats):
                for situation in situations:
                    here = [m for m in modes if situation == "idle" or m != "passive"]
                    for mode in here if rep % 2 == 0 else here[::-1]:
                        r = measure(job_args, mode, situation, Path(tmp))
                        rows.setdefault((job, mode, situation), []).append(r)
                        print(
                            f"{job:>9} {mode} {situation:<4} wall {r['wall']:6.1f} s  train {r['train']:6.1f} s  "
                            f"threads {r['threads']}  load {r['load'][0]:.1f} -> {r['load'][1]:.1f}",
                            flush=True,
                        )
            rows[(job, "args", "")] = [{"args": " ".join(job_args)}]
    elapsed = time.perf_counter() - t_start
    table = render(rows, args, elapsed, load_start)
    print(table)
    if not args.no_doc:
        write_section("contention", table, heading="## Threads under contention (`benchmarks/contention.py`)")


def render(rows, args, elapsed: float, load_start) -> str:
    med = lambda key, field: statistics.median(r[field] for r in rows[key])  # noqa: E731
    # a lower bound where any repeat was stopped at the limit
    gt = lambda key: "> " if any(r.get("stopped") for r in rows[key]) else ""  # noqa: E731
    lines = [
        "| job | threads | idle s | beside a busy process s (× idle) | two at once s (× one after the other) "
        "| training s idle / busy / two | new ÷ old, idle | load before → after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for job in args.jobs.split(","):
        for mode in ("old", "new", "passive"):
            idle, busy, pair = ((job, mode, s) for s in ("idle", "busy", "pair"))
            if idle not in rows:
                continue
            if mode == "passive":
                ti, old = med(idle, "wall"), (job, "old", "idle")
                ratio = f"{ti / med(old, 'wall'):.2f}" if old in rows else "—"
                loads = [r["load"] for r in rows[idle]]
                lines.append(
                    f"| {job} | passive: the policy's threads, `OMP_WAIT_POLICY=PASSIVE` | {gt(idle)}{ti:.1f} | | "
                    f"| {med(idle, 'train'):.1f} / / | {ratio} | {loads[0][0]:.1f} → {loads[0][1]:.1f} |"
                )
                continue
            ti, tb, tp = med(idle, "wall"), med(busy, "wall"), med(pair, "wall")
            chosen = " ; ".join(dict.fromkeys(r["threads"] for s in (idle, busy, pair) for r in rows[s]))
            old = (job, "old", "idle")
            ratio = f"{ti / med(old, 'wall'):.2f}" if mode == "new" and old in rows else "—"
            loads = [r["load"] for s in (idle, busy, pair) for r in rows[s]]
            lines.append(
                f"| {job} | {'old: torch default, OpenMP spins' if mode == 'old' else 'new: ' + chosen} "
                f"| {gt(idle)}{ti:.1f} | {gt(busy)}{tb:.1f} ({tb / ti:.2f}×) | {gt(pair)}{tp:.1f} ({tp / (2 * ti):.2f}×) "
                f"| {med(idle, 'train'):.1f} / {med(busy, 'train'):.1f} / {med(pair, 'train'):.1f} | {ratio} "
                f"| {min(lo[0] for lo in loads):.1f}–{max(lo[0] for lo in loads):.1f} → "
                f"{min(lo[1] for lo in loads):.1f}–{max(lo[1] for lo in loads):.1f} |"
            )
    jobs = "; ".join(
        f"{job}: `divergan train {rows[(job, 'args', '')][0]['args']}`" for job in args.jobs.split(",")
    )
    return (
        f"Whole `divergan train` processes, wall seconds, median of {args.repeats} repeat(s) "
        f"({'--quick' if args.quick else 'full'}; {elapsed / 60:.1f} min in all; a run still going after "
        f"{LIMIT[0]:.0f} s was stopped, shown as > {LIMIT[0]:.0f}). {jobs}. "
        f"Targets: beside a busy process ≤ 1.5× idle (aim 1.2×); two at once ≤ 1.3× one after the other; "
        f"new ÷ old idle ≤ 1.05. Load average at the start {load_start[0]:.1f} / {load_start[1]:.1f} / "
        f"{load_start[2]:.1f}. Machine: {machine()}.\n\n" + "\n".join(lines)
    )


if __name__ == "__main__":
    main()
