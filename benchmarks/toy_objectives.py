"""Every objective and every remedy on the 2-D toy mixtures, from G(z) alone; writes docs/benchmarks.md.

Each run is one ``train`` with ``threads=1`` from a base preset (``--base``, default ``default``: the
grid25 main job; on ring8 the ``ring8`` preset), and is judged on the generator's own (EMA) samples by
the VEEGAN/PacGAN protocol (2,500 samples; modes, high quality, reverse KL) plus W1 to 2,000 held-out
points. Its process CPU seconds (user + sys, one thread: the idle-equivalent wall time) are recorded
beside its wall time and the load average, since the machine is shared.

* ``--what objectives``: every objective of ``divergan objectives`` with the preset's remedies switched
  off (``plain``: :data:`PLAIN`, the objective's own default parameters);
* ``--what remedies``: the plain non-saturating GAN with one remedy switched on at a time, and the
  preset as shipped (:data:`REMEDIES`);
* ``--what all``: both, seed by seed, so that a run stopped early leaves fewer seeds on every row
  rather than no seeds on the last rows.

Every finished run is appended at once to benchmarks/results/toy_objectives.jsonl; a re-run skips the
(data, objective, variant, seed, ``--set``) combinations already there, so a killed sweep continues
where it stopped. The tables between the markers in docs/benchmarks.md are rewritten from that file
(``--write`` does only that), and seed 0's samples (1,000 points, float16,
benchmarks/results/toy_samples/) make the figures docs/images/toy-objectives-*.png.

    python benchmarks/toy_objectives.py --what all --data grid25,ring8 --seeds 0-2 \
        --set steps=1000 --set eval_every=1000
    python benchmarks/toy_objectives.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from _doc import ROOT, load_jsonl, machine, mean_sd, parse_seeds, write_section
from divergan.errors import Interrupted
from divergan.objectives import names as objective_names
from divergan.train import apply_overrides, load_run, preset, train

RESULTS = ROOT / "benchmarks" / "results" / "toy_objectives.jsonl"
SAMPLES = ROOT / "benchmarks" / "results" / "toy_samples"
FIGURES = ROOT / "docs" / "images"
DATA = ("grid25", "ring8")
#: seeds a row needs to count as complete
SEEDS = 3

#: the remedies off: the plain MLP GAN of the preset's size, learning rate and EMA, with Adam's
#: β = (0.5, 0.999) pinned (the library's defaults; every row was measured so, whatever a preset sets)
PLAIN = [
    "beta1=0.5",
    "beta2=0.999",
    "pack=1",
    "g_norm=none",
    "d_maxout=0",
    "d_mbstd=0",
    "d_fourier=0",
    "g_cells=0",
    "lr_schedule=constant",
    "mix_components=1",
]
#: the plain non-saturating GAN with one remedy on (objective None: the preset's, non-saturating);
#: ``preset`` is the base preset as shipped, nothing switched off
REMEDIES: dict[str, tuple[str | None, list[str]]] = {
    "plain": (None, []),
    "pack 2": (None, ["pack=2"]),
    "pack 4": (None, ["pack=4"]),
    "minibatch std (group 8)": (None, ["d_mbstd=8"]),
    "maxout critic (5 pieces)": (None, ["d_maxout=5"]),
    "batch norm in G": (None, ["g_norm=batch"]),
    "R1/R2 = 0.05": (None, ["objective.r1=0.05", "objective.r2=0.05"]),
    "rpgan, R1/R2 = 0.05": ("rpgan", ["objective.r1=0.05", "objective.r2=0.05"]),
    "linear learning-rate decay": (None, ["lr_schedule=linear"]),
    "latent cells (K = 32)": (None, ["g_cells=32"]),
    "preset": (None, []),
    "MIX+GAN K=4": (None, ["mix_components=4"]),  # the costliest (K networks of each): last
}
#: published rows, generators alone: (method, source, ring modes, ring HQ %, ring rKL, grid modes,
#: grid HQ %, grid rKL); the protocol and sources: docs/protocols.md
PUBLISHED = [
    ("GAN", "Lin et al. 2018 (PacGAN), T1", 6.3, 98.2, 0.45, 17.3, 94.8, 0.70),
    ("Unrolled GAN, 5 steps", "Srivastava et al. 2017 (VEEGAN), T1", 7.6, 35.6, None, 23.6, 16.0, None),
    ("VEEGAN", "Srivastava et al. 2017 (VEEGAN), T1", 8, 52.9, None, 24.6, 40.0, None),
    ("WGAN-GP", "Elfeki et al. 2019 (GDPP), T1", 6.8, 59.6, None, 24.2, 28.7, None),
    ("GDPP", "Elfeki et al. 2019 (GDPP), T1", 8.0, 71.7, None, 24.8, 68.5, None),
    ("PacGAN2", "Lin et al. 2018 (PacGAN), T1", 7.9, 95.6, 0.07, 23.8, 91.3, 0.13),
    ("PacGAN4", "Lin et al. 2018 (PacGAN), T1", 7.8, 95.9, 0.07, 24.8, 93.6, 0.04),
]


def _slug(variant: str) -> str:
    """A file-name form of a variant's label: "MIX+GAN K=4" -> "mix-gan-k-4"."""
    return "-".join("".join(c if c.isalnum() else " " for c in variant.lower()).split())


def _data_preset(base: str, data: str) -> str:
    """The base preset for grid25; for ring8 the ring8 preset when the base is the default."""
    return "ring8" if data == "ring8" and base == "default" else base


def base_objective(base: str, data: str) -> str:
    """The objective of the remedy rows: the base preset's (non-saturating for default and ring8)."""
    return preset(_data_preset(base, data)).objective


def config_for(base: str, data: str, objective: str | None, variant: str, seed: int, extra: list[str]):
    """The Config of one run: ``variant`` is ``preset`` or a key of :data:`REMEDIES` (``plain`` among them).

    Every variant but ``preset`` starts from :data:`PLAIN` with the objective's own default parameters
    (so no R1/R2 unless the variant sets them), then switches its one remedy on; ``extra`` (``--set``)
    comes last and applies to every row alike.
    """
    cfg = preset(_data_preset(base, data))
    remedy_objective, remedy = REMEDIES[variant]
    objective = objective or remedy_objective or cfg.objective
    sets = [] if variant == "preset" else [*PLAIN, *remedy]
    if objective != cfg.objective or variant != "preset":
        cfg.objective, cfg.objective_params = objective, {}  # its own defaults
    common = [f"data={data}", f"seed={seed}", "threads=1", "plot=false", "tensorboard=false"]
    return apply_overrides(cfg, [*common, *sets, *extra])


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_one(base: str, data: str, objective: str | None, variant: str, seed: int, extra: list[str]) -> dict:
    cfg = config_for(base, data, objective, variant, seed, extra)
    with tempfile.TemporaryDirectory() as tmp:
        t0, c0 = time.perf_counter(), _cpu_seconds()
        error = None
        try:
            final = train(cfg, Path(tmp) / "run", progress=False)
        except Interrupted:  # SIGINT/SIGTERM: the sweep is being stopped, not a result to record
            raise
        except Exception as exc:  # a diverged objective is a result too
            final, error = None, str(exc).splitlines()[0]
        wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
        if final is not None and seed == 0:
            _, parts, _ = load_run(Path(tmp) / "run")
            with torch.no_grad():
                z = torch.randn(1000, cfg.z_dim, generator=torch.Generator().manual_seed(0))
                x = parts.ema(z).numpy().astype(np.float16)
            SAMPLES.mkdir(parents=True, exist_ok=True)
            np.save(SAMPLES / f"{data}--{cfg.objective}--{_slug(variant)}.npy", x)
    row = {
        "base": base,
        "data": data,
        "objective": cfg.objective,
        "variant": variant,
        "seed": seed,
        "steps": cfg.steps,
        "extra": extra,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "load": os.getloadavg()[0],
        "error": error,
    }
    if final is not None:
        d = final["direct"]
        row.update({k: d[k] for k in ("modes", "high_quality", "reverse_kl", "w1")})
    return row


def load() -> list[dict]:
    return load_jsonl(RESULTS)


def _fmt(values: list[float], fmt: str) -> str:
    """mean ± sample standard deviation; a single run's value alone (no ± 0 for one seed); "—" for none."""
    if len(values) == 1:
        return f"{values[0]:{fmt}}"
    return mean_sd(values, fmt)


def aggregate(rows: list[dict]) -> dict[tuple[str, str, str, int], dict]:
    """Rows grouped by (data, variant, objective, steps): seeds run, and mean ± sd strings of the metrics.

    A diverged run (``error``) counts as a seed but not in the metrics, nor in the CPU seconds (it stopped
    early); those average the finished runs that recorded them (``cpu_n``; the first slice recorded wall
    time only).
    """
    groups: dict[tuple[str, str, str, int], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["data"], r["variant"], r["objective"], r["steps"]), []).append(r)
    out = {}
    for key, rs in groups.items():
        ok = [r for r in rs if r["error"] is None]
        timed = [
            r["cpu_seconds"] for r in ok if r.get("cpu_seconds") is not None
        ]  # a diverged run stops early
        out[key] = {
            "seeds": sorted({r["seed"] for r in rs}),
            "diverged": len(rs) - len(ok),
            "modes": _fmt([r["modes"] for r in ok], ".1f"),
            "high_quality": _fmt([100 * r["high_quality"] for r in ok], ".1f"),
            "reverse_kl": _fmt([r["reverse_kl"] for r in ok], ".3f"),
            "w1": _fmt([r["w1"] for r in ok], ".2f"),
            "cpu": _fmt(timed, ".0f"),
            "cpu_n": len(timed),
            "load": statistics.fmean(r["load"] for r in rs),
        }
    return out


def _cells(stats: dict | None) -> list[str]:
    """seeds | modes | high quality | reverse KL | W1 | CPU s of one group ("not run" if absent)."""
    if stats is None:
        return ["0", "not run", "", "", "", ""]
    n = len(stats["seeds"])
    seeds = f"{n}" + (f" ({stats['diverged']} diverged)" if stats["diverged"] else "")
    cpu = stats["cpu"]
    if 0 < stats["cpu_n"] < n - stats["diverged"]:
        cpu += f" ({stats['cpu_n']} of {n - stats['diverged']} timed)"
    elif stats["cpu_n"] == 0:
        cpu = "— (wall only)"
    hq = stats["high_quality"] + ("%" if stats["high_quality"] != "—" else "")
    return [seeds, stats["modes"], hq, stats["reverse_kl"], stats["w1"], cpu]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(rows: list[dict], objectives: list[str] | None = None, seeds: int = SEEDS) -> str:
    """The doc section: per dataset, every objective (plain), the published rows, one remedy at a time.

    Every objective of ``objectives`` (default: the registry) and every variant of :data:`REMEDIES` gets a
    row, "not run" where no result exists; rows with fewer than ``seeds`` seeds are listed at the end.
    """
    objectives = objectives or objective_names()
    stats = aggregate(rows)
    steps = sorted({k[3] for k in stats})
    by_row: dict[tuple[str, str, str], list[tuple[int, dict]]] = {}
    for (data, variant, objective, n_steps), s in stats.items():
        by_row.setdefault((data, variant, objective), []).append((n_steps, s))

    def lookup(data: str, variant: str, objective: str) -> list[tuple[str, dict | None]]:
        found = sorted(by_row.get((data, variant, objective), []), key=lambda t: t[0])
        if not found:
            return [("", None)]
        return [(f" ({n:,} steps)" if len(steps) > 1 else "", s) for n, s in found]

    head = "| seeds | modes | high quality | reverse KL | W1 | CPU s |"
    rule = "|---|---|---|---|---|---|"
    out = [
        "All rows: "
        + " / ".join(f"{n:,}" for n in steps)
        + f" steps, seeds 0 to {seeds - 1} planned (the seeds column says how many ran; mean ± standard "
        "deviation over them); G(z) of the EMA generator, 2,500 samples; CPU s = the run's process CPU "
        "time with one thread (the idle-equivalent wall time; the machine was shared).",
    ]
    incomplete = []
    for data in DATA:
        ring = data == "ring8"
        out += [
            "",
            f"**{data}: every objective, remedies off (`plain`)**",
            "",
            "| objective " + head,
            "|---" + rule,
        ]
        for objective in objectives:
            for label, s in lookup(data, "plain", objective):
                out.append(_row([f"`{objective}`{label}", *_cells(s)]))
                if s is None or len(s["seeds"]) < seeds:
                    incomplete.append((data, "plain", objective, 0 if s is None else len(s["seeds"])))
        out += [
            "",
            f"**{data}: published rows** (generators alone, each paper's own networks and training)",
            "",
        ]
        out += ["| method | source | modes | high quality | reverse KL |", "|---|---|---|---|---|"]
        for method, source, *v in PUBLISHED:
            modes, hq, rkl = v[:3] if ring else v[3:]
            out.append(_row([method, source, str(modes), f"{hq}%", "—" if rkl is None else f"{rkl:.2f}"]))
        out += [
            "",
            f"**{data}: one remedy at a time** on the plain non-saturating GAN (the row `plain`), "
            f"and the `{_data_preset('default', data)}` preset as shipped",
            "",
        ]
        out += ["| remedies | objective " + head, "|---|---" + rule]
        for variant, (objective, _) in REMEDIES.items():
            objective = objective or "non-saturating"
            for label, s in lookup(data, variant, objective):
                out.append(_row([f"{variant}{label}", f"`{objective}`", *_cells(s)]))
                if variant != "plain" and (s is None or len(s["seeds"]) < seeds):
                    incomplete.append((data, variant, objective, 0 if s is None else len(s["seeds"])))
    out += ["", missing(incomplete, seeds, len(objectives), len(REMEDIES) - 1)]
    loads = [r["load"] for r in rows]
    if loads:
        out.append(
            f"\nLoad average during the runs: {min(loads):.1f}–{max(loads):.1f}. Machine: {machine()}."
        )
    return "\n".join(out)


def missing(
    incomplete: list[tuple[str, str, str, int]], seeds: int, n_objectives: int, n_remedies: int
) -> str:
    """One sentence on the rows short of ``seeds`` seeds: (data, variant, objective, seeds run) each.

    Per dataset and number of seeds run, the rows by name, or "every objective row" / "every remedy row"
    when all ``n_objectives`` plain rows / all ``n_remedies`` remedy rows (``plain`` aside) share it.
    """
    if not incomplete:
        return f"Every row has {seeds} seeds or more."
    parts = []
    for data in dict.fromkeys(d for d, *_ in incomplete):
        counts: dict[int, tuple[list[str], list[str]]] = {}
        for d, variant, objective, n in incomplete:
            if d == data:
                plain, remedies = counts.setdefault(n, ([], []))
                (plain if variant == "plain" else remedies).append(
                    f"`{objective}`" if variant == "plain" else variant
                )
        for n, (plain, remedies) in sorted(counts.items()):
            names = ["every objective row"] if plain and len(plain) == n_objectives else plain
            names += ["every remedy row"] if remedies and len(remedies) == n_remedies else remedies
            parts.append(
                f"{data}, {'not run' if n == 0 else f'{n} seed' + 's' * (n > 1)}: {', '.join(names)}"
            )
    return f"Rows with fewer than {seeds} seeds when this was written — " + "; ".join(parts) + "."


def figure(rows: list[dict], data: str, what: str) -> Path | None:
    """Seed 0's samples, one panel per objective (``what="objectives"``) or per remedy, data in grey."""
    if what == "objectives":
        panels = [(o, f"{data}--{o}--plain.npy", ("plain", o)) for o in objective_names()]
    else:
        panels = [
            (v, f"{data}--{o or 'non-saturating'}--{_slug(v)}.npy", (v, o or "non-saturating"))
            for v, (o, _) in REMEDIES.items()
        ]
    panels = [p for p in panels if (SAMPLES / p[1]).exists()]
    if not panels:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from divergan.data import get_dataset

    seed0 = {(r["variant"], r["objective"]): r for r in rows if r["data"] == data and r["seed"] == 0}
    real = get_dataset(data).sample(1000, torch.Generator().manual_seed(0)).numpy()
    cols = 6
    nrows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(2.2 * cols, 2.3 * nrows), squeeze=False)
    lim = float(np.abs(real).max()) * 1.4
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, name, key) in zip(axes.flat, panels, strict=False):
        x = np.load(SAMPLES / name).astype(np.float32)
        ax.scatter(real[:, 0], real[:, 1], s=1, c="0.7")
        ax.scatter(x[:, 0], x[:, 1], s=1, c="tab:red", alpha=0.5)
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        r = seed0.get(key)
        if r is not None and r["error"] is None:
            title += f"\n{r['modes']} modes, {100 * r['high_quality']:.0f}% HQ"
        ax.set_title(title, fontsize=7)
    what_label = "every objective, remedies off" if what == "objectives" else "one remedy at a time"
    fig.suptitle(f"{data}, {what_label}: G(z) of seed 0, 1,000 samples (red) over data (grey)", fontsize=9)
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    out = FIGURES / f"toy-objectives-{data}-{what}.png"
    fig.savefig(out, dpi=72)
    plt.close(fig)
    return out


def jobs(what: str, objectives: list[str], variants: list[str], base_obj: str) -> list[tuple[str, str]]:
    """(objective, variant) pairs of one seed and dataset, each once: the objectives' plain rows first."""
    out: list[tuple[str, str]] = []
    if what in ("objectives", "all"):
        out += [(o, "plain") for o in objectives]
    if what in ("remedies", "all"):
        out += [(REMEDIES[v][0] or base_obj, v) for v in variants]
    return list(dict.fromkeys(out))


def write(rows: list[dict]) -> None:
    for data in DATA:
        for what in ("objectives", "remedies"):
            figure(rows, data, what)
    write_section("toy-objectives", table(rows))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--what", choices=["objectives", "remedies", "all"], default="all")
    ap.add_argument("--base", default="default", help="the preset every run starts from")
    ap.add_argument("--data", default=",".join(DATA))
    ap.add_argument("--objectives", default="all", help="comma-separated, or 'all'")
    ap.add_argument("--variants", default=None, help="names of REMEDIES separated by ';' (default: all)")
    ap.add_argument("--skip", default="", help="names of REMEDIES not to run, separated by ';'")
    ap.add_argument("--seeds", default="0-2")
    ap.add_argument("--set", action="append", default=[], help="extra overrides for every run (labelled)")
    ap.add_argument("--write", action="store_true", help="only rewrite the tables and figures")
    args = ap.parse_args()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    if not args.write:
        objectives = objective_names() if args.objectives == "all" else args.objectives.split(",")
        variants = args.variants.split(";") if args.variants else list(REMEDIES)
        variants = [v for v in variants if v not in args.skip.split(";")]
        done = {(r["data"], r["objective"], r["variant"], r["seed"], tuple(r["extra"])) for r in load()}
        for seed in parse_seeds(args.seeds):  # seed by seed: a stopped sweep leaves every row fewer seeds
            for data in args.data.split(","):
                for objective, variant in jobs(
                    args.what, objectives, variants, base_objective(args.base, data)
                ):
                    if (data, objective, variant, seed, tuple(args.set)) in done:
                        continue
                    try:
                        row = run_one(args.base, data, objective, variant, seed, args.set)
                    except Interrupted as exc:
                        raise SystemExit(f"stopped; rerun the same command to continue ({exc})") from None
                    with open(RESULTS, "a") as fh:
                        fh.write(json.dumps(row) + "\n")
                    done.add((data, objective, variant, seed, tuple(args.set)))
                    result = row["error"] or (
                        f"modes {row['modes']} HQ {100 * row['high_quality']:.1f}% rKL {row['reverse_kl']:.3f}"
                    )
                    print(
                        f"{data} {variant} {objective} seed {seed}: {result} "
                        f"{row['cpu_seconds']:.0f} CPU s, {row['wall_seconds']:.0f} s wall, load {row['load']:.1f}",
                        flush=True,
                    )
    write(load())


if __name__ == "__main__":
    main()
