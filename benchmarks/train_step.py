"""Speed of the training step and of the metrics; writes sections of docs/benchmarks.md.

Three parts, each rewriting its own section between markers in docs/benchmarks.md:

* ``step``: seconds per generator iteration of the ``wgan-gp-toy`` preset through divergan's trainer
  (``train`` resumed block after block; the time is read from the ``seconds`` of metrics.jsonl, so it
  excludes set-up and the final evaluation) against a plain textbook PyTorch loop written here the way
  the WGAN-GP authors' ``gan_toy.py`` is (separate real, fake and penalty passes and backward calls,
  per-step sampling, critic frozen by ``requires_grad`` in the generator step). Blocks of iterations
  alternate (trainer, textbook, matmul reference) in ONE process, several repeats; medians and ranges.
  Achieved GFLOP/s counts the matmul FLOPs of the step analytically (:func:`step_flops`); the
  reference is torch.mm of 512-wide float32 matrices at the step's batch sizes, measured in the
  same alternation, and a large square matmul.
* ``metrics``: time and peak memory (RSS high-water mark of a fresh process) of each metric.
* ``train``: wall time, peak RSS and the ``--profile`` table of ``divergan train`` (the main job).
* ``startup``: median wall seconds of ``divergan --help``, ``objectives``, ``divergences``, ``lab list``.
* ``process``: whole processes, ``divergan train --preset wgan-gp-toy --steps N`` against the textbook
  loop as a script of its own (``benchmarks/textbook_wgan_gp.py``: imports torch only, torch's default
  threads and OpenMP wait policy), alternated (the order flips every pair), the speed-up per pair
  (textbook / divergan) of wall time, of CPU time and of the training loops alone, median over pairs;
  then one ``--profile`` run of divergan for where its time goes.

    python benchmarks/train_step.py step --threads 1 --repeats 5 --block 4
    python benchmarks/train_step.py metrics
    python benchmarks/train_step.py train
    python benchmarks/train_step.py process --repeats 3 --steps 150
    python benchmarks/train_step.py startup --repeats 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from _doc import ROOT, machine, write_section
from divergan.data import get_dataset
from divergan.train import apply_overrides, preset, train

RESULTS = ROOT / "benchmarks" / "results"


# --- docs ---------------------------------------------------------------------------------------------
def med(values: list[float]) -> str:
    return f"{statistics.median(values):.3g} [{min(values):.3g}, {max(values):.3g}]"


# --- (a) the step -------------------------------------------------------------------------------------
def mlp_layers(in_dim: int, width: int, depth: int, out_dim: int) -> list[tuple[int, int]]:
    return [(in_dim, width)] + [(width, width)] * (depth - 1) + [(width, out_dim)]


def step_flops(cfg) -> float:
    """Matmul FLOPs of one generator iteration of WGAN-GP with MLPs (the algorithm's work, counted once).

    A linear layer (i → o) on M rows costs 2·M·i·o forward; backward costs the same for the input
    gradient and again for the weight gradient. Per critic step: G forward on B rows; D forward on 2B
    rows (real and fake) and its backward (weights; inputs but the first layer's); the penalty's D
    forward on B interpolates, its input-gradient pass (every layer) and the backward of that pass
    (weight and output gradients, but no output gradient for the last layer, whose incoming gradient is
    the constant 1). Per generator step: G and D forward, D input gradients (every layer), G weight and input gradients
    (but the first layer's).
    """
    B, d = cfg.batch, get_dataset(cfg.data, **cfg.data_params).dim
    g = mlp_layers(cfg.z_dim, cfg.g_width, cfg.g_depth, d)
    dl = mlp_layers(d, cfg.d_width, cfg.d_depth, 1)

    def fwd(layers, m):
        return sum(2 * m * i * o for i, o in layers)

    def bwd(layers, m, weights=True, first_input=False):
        total = 0
        for n, (i, o) in enumerate(layers):
            total += 2 * m * i * o if weights else 0
            total += 2 * m * i * o if (n > 0 or first_input) else 0
        return total

    gp = fwd(dl, B) + bwd(dl, B, weights=False, first_input=True)  # forward, ∇x pass
    gp += fwd(dl, B) + fwd(dl[:-1], B)  # its backward: weight gradients of every layer, output gradients
    critic = fwd(g, B) + fwd(dl, 2 * B) + bwd(dl, 2 * B) + gp
    generator = fwd(g, B) + fwd(dl, B) + bwd(dl, B, weights=False, first_input=True) + bwd(g, B)
    return cfg.critic_steps * critic + cfg.generator_steps * generator


class TextbookLoop:
    """WGAN-GP as in the authors' gan_toy.py, in plain PyTorch, with the preset's sizes and optimizer."""

    def __init__(self, cfg, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.cfg = cfg
        self.data = get_dataset(cfg.data, **cfg.data_params)
        self.rng = torch.Generator().manual_seed(seed)

        def mlp(i, o, width, depth, act):
            layers = []
            for _ in range(depth):
                layers += [nn.Linear(i, width), act()]
                i = width
            return nn.Sequential(*layers, nn.Linear(i, o))

        self.G = mlp(cfg.z_dim, self.data.dim, cfg.g_width, cfg.g_depth, nn.ReLU)
        self.D = mlp(self.data.dim, 1, cfg.d_width, cfg.d_depth, lambda: nn.LeakyReLU(0.2))
        betas = (cfg.beta1, cfg.beta2)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=cfg.lr_d, betas=betas)
        self.weight = float(cfg.objective_params.get("weight", 10.0))

    def penalty(self, real, fake):
        eps = torch.rand(real.shape[0], 1)
        x = (eps * real + (1 - eps) * fake).requires_grad_(True)
        out = self.D(x)
        (grad,) = torch.autograd.grad(out, x, grad_outputs=torch.ones_like(out), create_graph=True)
        return self.weight * ((grad.norm(2, dim=1) - 1) ** 2).mean()

    def iteration(self) -> float:
        B, z = self.cfg.batch, self.cfg.z_dim
        for p in self.D.parameters():
            p.requires_grad = True
        for _ in range(self.cfg.critic_steps):
            real = self.data.sample(B, self.rng)
            self.D.zero_grad()
            d_real = self.D(real).mean()
            d_real.backward(torch.tensor(-1.0))
            with torch.no_grad():
                fake = self.G(torch.randn(B, z, generator=self.rng))
            d_fake = self.D(fake).mean()
            d_fake.backward(torch.tensor(1.0))
            gp = self.penalty(real, fake)
            gp.backward()
            self.opt_d.step()
        for p in self.D.parameters():
            p.requires_grad = False
        self.G.zero_grad()
        g_cost = -self.D(self.G(torch.randn(B, z, generator=self.rng))).mean()
        g_cost.backward()
        self.opt_g.step()
        return float((d_fake - d_real + gp).detach())


class TrainerBlocks:
    """divergan's ``train`` on the preset, continued block after block with ``resume``."""

    def __init__(self, cfg, folder: Path) -> None:
        self.cfg = apply_overrides(
            cfg, ["plot=false", "eval_samples=100", "checkpoint_every=1000000", "keep_checkpoints=1"]
        )
        self.run = folder / "run"
        self.steps = 0

    def block(self, n: int) -> float:
        """Seconds of n more generator iterations (the trainer's own clock, set-up excluded)."""
        self.cfg.steps, self.cfg.log_every = self.steps + n, n
        train(self.cfg, self.run, resume=self.steps > 0, progress=False)
        rows = [json.loads(line) for line in (self.run / "metrics.jsonl").read_text().splitlines()]
        self.steps += n
        return rows[-1]["seconds"]


def mm_rate(m: int, k: int, n: int, reps: int) -> float:
    a, b = torch.randn(m, k), torch.randn(k, n)
    torch.mm(a, b)
    t0 = time.perf_counter()
    for _ in range(reps):
        torch.mm(a, b)
    return 2 * m * k * n * reps / (time.perf_counter() - t0) / 1e9


def matmul_block(cfg, seconds: float) -> dict[str, float]:
    """GFLOP/s of the step's matmul shapes (rows B, 2B, kB at width w; forward and weight-gradient forms)."""
    w, B = cfg.d_width, cfg.batch
    shapes = {f"{m}x{w} @ {w}x{w}": (m, w, w) for m in (B, 2 * B, cfg.critic_steps * B)} | {
        f"{w}x{m} @ {m}x{w}": (w, m, w) for m in (B, 2 * B)
    }
    out = {}
    for name, (m, k, n) in shapes.items():
        reps = max(2, int(seconds * 20e9 / (2 * m * k * n) / len(shapes)))
        out[name] = mm_rate(m, k, n, reps)
    return out


def bench_step(args) -> None:
    cfg = preset("wgan-gp-toy")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            torch.set_num_threads(threads)
            ours = TrainerBlocks(cfg, Path(tmp) / f"t{threads}")
            textbook = TextbookLoop(cfg)
            ours.block(1)  # warm-up (allocations, first checkpoint)
            textbook.iteration()
            for rep in range(args.repeats):
                t_ours = ours.block(args.block) / args.block
                t0 = time.perf_counter()
                for _ in range(args.block):
                    textbook.iteration()
                t_text = (time.perf_counter() - t0) / args.block
                rates = matmul_block(cfg, t_ours)
                row = {"threads": threads, "repeat": rep, "divergan": t_ours, "textbook": t_text, "mm": rates}
                rows.append(row)
                print(json.dumps(row), flush=True)
                write_step(cfg, rows, {}, args.block)  # so far (the run may be cut short)
        square = {t: (torch.set_num_threads(t), mm_rate(2048, 2048, 2048, 3))[1] for t in args.threads}
    write_step(cfg, rows, square, args.block)


def write_step(cfg, rows: list[dict], square: dict[int, float], block: int) -> None:
    """The table of docs/benchmarks.md's train-step section from the per-repeat rows (also saved as JSON)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "train_step.json").write_text(json.dumps({"rows": rows, "square": square}, indent=1) + "\n")
    flops = step_flops(cfg)
    lines = [
        f"`wgan-gp-toy` (MLP 2-512-512-512, batch 256, 5 critic steps, λ = 0.1, Adam(1e-4, (0.5, 0.9))); "
        f"blocks of {block} iterations, alternating in one process. Median [min, max] over repeats. "
        f"{flops / 1e9:.2f} GFLOP of matmuls per generator iteration (counted analytically, `step_flops`). "
        f"Machine: {machine()}.",
        "",
        "| threads | repeats | divergan s/iter | textbook s/iter | speed-up | divergan GFLOP/s | mm GFLOP/s (width 512, step's rows) | divergan / mm | 2048² mm GFLOP/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for threads in sorted({r["threads"] for r in rows}):
        rs = [r for r in rows if r["threads"] == threads]
        ours = [r["divergan"] for r in rs]
        text = [r["textbook"] for r in rs]
        speed = [r["textbook"] / r["divergan"] for r in rs]
        gf = [flops / r["divergan"] / 1e9 for r in rs]
        mm = [statistics.median(r["mm"].values()) for r in rs]
        frac = [g / m for g, m in zip(gf, mm, strict=True)]
        sq = f"{square[threads]:.3g}" if threads in square else "not measured"
        lines.append(
            f"| {threads} | {len(rs)} | {med(ours)} | {med(text)} | {med(speed)}× | {med(gf)} | {med(mm)} | "
            f"{100 * statistics.median(frac):.0f}% [{100 * min(frac):.0f}%, {100 * max(frac):.0f}%] | {sq} |"
        )
    write_section("train-step", "\n".join(lines))


# --- (b) metrics --------------------------------------------------------------------------------------
METRIC_CODE = {
    "W1 exact, 2,000 vs 2,000 (2-D)": (
        "from divergan.metrics.distances import w1",
        "x, y = torch.randn(2000, 2, generator=g), torch.randn(2000, 2, generator=g) + 0.5",
        "w1(x, y)",
    ),
    "MMD, 10,000 vs 10,000 (2-D, 7 bandwidths)": (
        "from divergan.metrics.distances import mmd",
        "x, y = torch.randn(10000, 2, generator=g), torch.randn(10000, 2, generator=g) + 0.5",
        "mmd(x, y)",
    ),
    "MMD, 10,000 vs 10,000 (2-D, 7 bandwidths, chunk 100 rows)": (
        "from divergan.metrics.distances import mmd",
        "x, y = torch.randn(10000, 2, generator=g), torch.randn(10000, 2, generator=g) + 0.5",
        "mmd(x, y, chunk=100)",
    ),
    "MMD, 30,000 vs 30,000 (2-D, 7 bandwidths)": (
        "from divergan.metrics.distances import mmd",
        "x, y = torch.randn(30000, 2, generator=g), torch.randn(30000, 2, generator=g) + 0.5",
        "mmd(x, y)",
    ),
    "Fréchet distance, 10,000 vs 10,000 (64-D features)": (
        "from divergan.metrics.features import frechet_distance_from_features as fd",
        "x, y = torch.randn(10000, 64, generator=g), torch.randn(10000, 64, generator=g) * 1.1",
        "fd(x, y)",
    ),
    "Fréchet distance, 10,000 vs 10,000 (2,048-D features, Inception's width)": (
        "from divergan.metrics.features import frechet_distance_from_features as fd",
        "x, y = torch.randn(10000, 2048, generator=g), torch.randn(10000, 2048, generator=g) * 1.1",
        "fd(x, y)",
    ),
    "KID, 10,000 vs 10,000 (64-D, 100 subsets of 1,000)": (
        "from divergan.metrics.features import kid_from_features",
        "x, y = torch.randn(10000, 64, generator=g), torch.randn(10000, 64, generator=g) * 1.1",
        "kid_from_features(x, y, generator=g)[0]",
    ),
    "precision/recall/density/coverage, 10,000 vs 10,000 (64-D)": (
        "from divergan.metrics.features import precision_recall_density_coverage as prdc",
        "x, y = torch.randn(10000, 64, generator=g), torch.randn(10000, 64, generator=g) * 1.1",
        "prdc(x, y)['precision']",
    ),
    "precision/recall/density/coverage, 100,000 vs 100,000 (64-D)": (
        "from divergan.metrics.features import precision_recall_density_coverage as prdc",
        "x, y = torch.randn(100000, 64, generator=g), torch.randn(100000, 64, generator=g) * 1.1",
        "prdc(x, y)['precision']",
    ),
    "kNN KL (k = 1), 100,000 vs 100,000 (2-D)": (
        "from divergan.estimators.knn import kl_knn",
        "x, y = torch.randn(100000, 2, generator=g).numpy(), (torch.randn(100000, 2, generator=g) + 0.5).numpy()",
        "kl_knn(x, y)",
    ),
    "kNN KL (k = 1), 100,000 vs 100,000 (2-D, chunk 10,000)": (
        "from divergan.estimators.knn import kl_knn",
        "x, y = torch.randn(100000, 2, generator=g).numpy(), (torch.randn(100000, 2, generator=g) + 0.5).numpy()",
        "kl_knn(x, y, chunk=10000)",
    ),
}


def measure_metric(imports: str, setup: str, call: str, threads: int) -> dict:
    """Time and peak-RSS increase of ``call`` in a fresh process (the inputs exist before it starts)."""
    code = (
        f"import resource, time, torch\ntorch.set_num_threads({threads})\n{imports}\n"
        f"g = torch.Generator().manual_seed(0)\n{setup}\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"t0 = time.perf_counter()\nvalue = {call}\nt = time.perf_counter() - t0\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(t, (after - before) / 1024, after / 1024, float(value))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    t, extra, peak, value = (float(v) for v in out.split())
    return {"seconds": t, "extra_mib": extra, "peak_mib": peak, "value": value}


def bench_metrics(args) -> None:
    lines = [
        f"Each metric in a fresh process, {args.threads[0]} thread(s); time of the call alone; peak RSS "
        "of the process and how much the call raised it (inputs already allocated). "
        f"Machine: {machine()}.",
        "",
        "| metric | seconds | peak RSS MiB | raised by the call MiB | value |",
        "|---|---|---|---|---|",
    ]
    cache = RESULTS / "metrics_speed.json"
    done = json.loads(cache.read_text()) if cache.exists() else {}
    for name, (imports, setup, call) in METRIC_CODE.items():
        if name not in done:  # delete benchmarks/results/metrics_speed.json to measure everything again
            done[name] = measure_metric(imports, setup, call, args.threads[0])
            RESULTS.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps(done, indent=1) + "\n")
        r = done[name]
        print(name, r, flush=True)
        lines.append(
            f"| {name} | {r['seconds']:.2f} | {r['peak_mib']:.0f} | {r['extra_mib']:.0f} | {r['value']:.4g} |"
        )
    write_section("metrics-speed", "\n".join(lines))


# --- (c) divergan train -------------------------------------------------------------------------------
def bench_train(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(Path(sys.executable).with_name("divergan")), "train", "--out", f"{tmp}/run", "--quiet"]
        cmd += ["--profile", *(f"--set={s}" for s in args.set)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stdout, proc.stderr)
    extra = " ".join(f"--set {s}" for s in args.set)
    body = (
        f"`divergan train {extra}`".replace(" `", "`")
        + f": wall {wall:.0f} s, peak RSS {peak:.0f} MiB. Machine: {machine()}.\n\n"
        + "```\n"
        + proc.stderr.strip()
        + "\n```"
    )
    write_section("train-default", body)


# --- (d) whole processes against the textbook script -----------------------------------------------------
def child_env() -> dict[str, str]:
    """The environment of a user's shell: no thread settings of ours (the project's test settings removed)."""
    drop = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "DIVERGAN_THREAD_POLICY")
    return {k: v for k, v in os.environ.items() if k not in drop}


def timed(cmd: list[str], watch: Path | None = None) -> dict:
    """Run ``cmd`` (a user's environment, :func:`child_env`) to the end.

    Returns wall seconds, CPU seconds (user + system of the child and its threads), stdout, stderr and
    the seconds until ``watch`` existed (the run's config.json; nan if not watched).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
    seen = float("nan")
    if watch is not None:
        while proc.poll() is None and not watch.exists():
            time.sleep(0.02)
        seen = time.perf_counter() - t0 if watch.exists() else seen
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "out": out, "err": err, "config": seen}


def textbook_loop_seconds(stdout: str) -> float:
    """The training loop's seconds from the textbook script's line ``..., loop 20.31 s, ...``."""
    match = re.search(r"loop ([0-9.]+) s", stdout)
    if match is None:
        raise SystemExit(f"no loop time in the textbook script's output: {stdout!r}")
    return float(match.group(1))


def check_textbook_config(cfg) -> None:
    """The textbook script must train the preset's configuration (else the comparison is void)."""
    from textbook_wgan_gp import CONFIG

    same = {
        "z_dim": cfg.z_dim,
        "width": cfg.g_width if cfg.g_width == cfg.d_width else None,
        "depth": cfg.g_depth if cfg.g_depth == cfg.d_depth else None,
        "batch": cfg.batch,
        "critic_steps": cfg.critic_steps,
        "weight": cfg.objective_params.get("weight"),
        "lr": cfg.lr_g if cfg.lr_g == cfg.lr_d else None,
        "betas": (cfg.beta1, cfg.beta2),
    }
    if same != CONFIG:
        raise SystemExit(f"the textbook script's configuration {CONFIG} is not the preset's {same}")


def bench_process(args) -> None:
    """Whole processes, alternated pairs; wall and CPU seconds, and the training loops alone.

    One command for the idle re-run: ``python benchmarks/train_step.py process --repeats 3 --steps 150``
    (writes the ``train-process`` section and ``benchmarks/results/train_process.json``; ``--no-doc``
    prints only). It says so when the machine was not idle at the start (1-minute load average above
    0.5).
    """
    cfg = preset("wgan-gp-toy")
    check_textbook_config(cfg)
    steps = str(args.steps)
    textbook = [sys.executable, str(ROOT / "benchmarks" / "textbook_wgan_gp.py"), "--steps", steps]
    rows, loads = [], []
    load_start = os.getloadavg()[0]
    if load_start > 0.5:
        print(f"warning: load average {load_start:.1f} at the start: the machine is not idle", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        divergan = lambda n: [  # noqa: E731
            str(Path(sys.executable).with_name("divergan")),
            *("train", "--preset", "wgan-gp-toy", "--steps", steps, "--quiet", "--out", f"{tmp}/run{n}"),
        ]
        for rep in range(args.repeats):
            load0 = os.getloadavg()[0]
            watch = Path(f"{tmp}/run{rep}/config.json")
            if rep % 2 == 0:
                d = timed(divergan(rep), watch)
                t = timed(textbook)
            else:
                t = timed(textbook)
                d = timed(divergan(rep), watch)
            final = json.loads(Path(f"{tmp}/run{rep}/final_metrics.json").read_text())
            row = {
                "divergan_wall": d["wall"],
                "textbook_wall": t["wall"],
                "divergan_cpu": d["cpu"],
                "textbook_cpu": t["cpu"],
                "divergan_loop": final["train_seconds"],
                "textbook_loop": textbook_loop_seconds(t["out"]),
                "config_json": d["config"],
            }
            rows.append(row)
            loads.append((load0, os.getloadavg()[0]))
            print(
                f"pair {rep}: wall divergan {d['wall']:.1f} s, textbook {t['wall']:.1f} s "
                f"({t['wall'] / d['wall']:.3f}x); CPU {d['cpu']:.1f} s vs {t['cpu']:.1f} s "
                f"({t['cpu'] / d['cpu']:.3f}x); training loops {row['divergan_loop']:.1f} s vs "
                f"{row['textbook_loop']:.1f} s; load {load0:.1f} -> {loads[-1][1]:.1f}",
                flush=True,
            )
        profiled = timed([*divergan("p"), "--profile"])
    lines = process_section(args.steps, rows, loads, profiled)
    print("\n".join(lines))
    if not args.no_doc:  # the record and the docs section, together
        RESULTS.mkdir(parents=True, exist_ok=True)
        record = {"steps": args.steps, "rows": rows, "loads": loads}
        (RESULTS / "train_process.json").write_text(json.dumps(record, indent=1) + "\n")
        write_section(
            "train-process",
            "\n".join(lines),
            heading="## Whole processes (`benchmarks/train_step.py process`)",
        )


def process_section(
    steps: int, rows: list[dict], loads: list[tuple[float, float]], profiled: dict
) -> list[str]:
    """The ``train-process`` section of docs/benchmarks.md from the pairs (and the profiled run)."""

    def ratio(a: str, b: str) -> str:
        return med([r[b] / r[a] for r in rows])

    col = lambda key: med([r[key] for r in rows])  # noqa: E731
    share = 1 - statistics.median(r["divergan_loop"] / r["divergan_wall"] for r in rows)
    return [
        f"`divergan train --preset wgan-gp-toy --steps {steps}` against `benchmarks/textbook_wgan_gp.py "
        f"--steps {steps}`, whole processes in a user's environment (no thread variables), alternated "
        "(the order flips every pair); median [min, max] over pairs, each ratio taken per pair "
        "(textbook / divergan: above 1 means divergan is faster). Load average before → after each "
        "pair: " + ", ".join(f"{a:.1f} → {b:.1f}" for a, b in loads) + f". Machine: {machine()}.",
        "",
        "| | divergan | textbook | speed-up |",
        "|---|---|---|---|",
        f"| wall s, whole process | {col('divergan_wall')} | {col('textbook_wall')} | "
        f"**{ratio('divergan_wall', 'textbook_wall')}×** |",
        f"| CPU s (user + system), whole process | {col('divergan_cpu')} | {col('textbook_cpu')} | "
        f"{ratio('divergan_cpu', 'textbook_cpu')}× |",
        f"| wall s, training loop alone | {col('divergan_loop')} | {col('textbook_loop')} | "
        f"{ratio('divergan_loop', 'textbook_loop')}× |",
        "",
        f"{len(rows)} pairs. Outside its training loop (start-up, set-up, final evaluation, plots, "
        f"TensorBoard, checkpoint) divergan spent {100 * share:.1f} % of its wall time (median); the "
        "textbook's loop time excludes its start-up (torch and the first optimizer's `torch._dynamo`). "
        f"The run folder's config.json existed {col('config_json')} s after the start.",
        "",
        f"Where one more divergan run's time went (`--profile`, wall {profiled['wall']:.1f} s):",
        "",
        "```",
        profiled["err"].strip(),
        "```",
    ]


# --- (e) start-up of the listing commands ----------------------------------------------------------------
def bench_startup(args) -> None:
    """Median wall seconds of the commands that should answer at once (fresh processes, alternated)."""
    exe = str(Path(sys.executable).with_name("divergan"))
    commands = [["--help"], ["objectives"], ["divergences"], ["lab", "list"]]
    times: dict[str, list[float]] = {" ".join(c): [] for c in commands}
    load0 = os.getloadavg()[0]
    bare = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t0)
        for c in commands:
            t0 = time.perf_counter()
            subprocess.run([exe, *c], check=True, capture_output=True, env=child_env())
            times[" ".join(c)].append(time.perf_counter() - t0)
    lines = [
        f"Fresh processes, {args.repeats} runs each, alternated; median [min, max] seconds (target ≤ 0.5). "
        f"`python -c pass` takes {med(bare)} s. Load average {load0:.1f} at the start. Machine: {machine()}.",
        "",
        "| command | seconds |",
        "|---|---|",
        *(f"| `divergan {name}` | {med(t)} |" for name, t in times.items()),
    ]
    print("\n".join(lines))
    if not args.no_doc:
        write_section("startup", "\n".join(lines), heading="## Start-up (`benchmarks/train_step.py startup`)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("part", choices=["step", "metrics", "train", "process", "startup"])
    ap.add_argument(
        "--threads", default="1", help="comma-separated thread counts (step); first one (metrics)"
    )
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--block", type=int, default=4, help="generator iterations per block")
    ap.add_argument("--set", action="append", default=[], help="config override for 'train'")
    ap.add_argument("--steps", type=int, default=150, help="generator iterations for 'process'")
    ap.add_argument("--no-doc", action="store_true", help="'process', 'startup': print only")
    args = ap.parse_args()
    args.threads = [int(t) for t in args.threads.split(",")]
    parts = {
        "step": bench_step,
        "metrics": bench_metrics,
        "train": bench_train,
        "process": bench_process,
        "startup": bench_startup,
    }
    parts[args.part](args)


if __name__ == "__main__":
    main()
