"""Stacked MNIST (1,000 modes) from the generator alone: the ``stacked-mnist`` preset end to end.

Each seed runs ``divergan train --preset stacked-mnist`` as a user would, in a child process (its wall
time and the child's own CPU time, user + sys, from ``wait4``), then draws **26,000** samples G(z) of the
run's EMA generator (latest checkpoint, :func:`divergan.load_generator`; no sampler, no filter). The
shipped digit classifier labels each of the three channels; the triple is one of 1,000 modes
(docs/protocols.md): the table gives the modes seen, the KL of the mode histogram to uniform, and each
channel's digit histogram. Two reference rows are measured the same way: 26,000 draws from the training
triples (what a generator that copied its data would score, classifier errors included) and 26,000 draws
of independent uniform modes with their true labels (the sampling floor of the KL, ≈ 999 / (2·26,000)).

    .venv/bin/python benchmarks/stacked_mnist.py --seeds 0
    .venv/bin/python benchmarks/stacked_mnist.py --evaluate RUN [RUN ...]   # score existing run folders
    .venv/bin/python benchmarks/stacked_mnist.py --evaluate RUN --step 8000 --samples 10000  # a checkpoint

    .venv/bin/python benchmarks/stacked_mnist.py --seeds 0 --samples 10000 --set steps=3000 --screen

Writes benchmarks/results/stacked_mnist.jsonl (one row per run; ``--screen`` rows are screening runs of
other settings, kept as the study's evidence) and the ``stacked-mnist`` section of docs/benchmarks.md from
all its rows: runs of the preset as shipped first, then the screening runs and the runs of earlier
versions of the preset (their labels say which); a preset run copies its sample grid to
docs/images/stacked-mnist-samples.png.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import torch

from _doc import ROOT, load_jsonl, machine, mean_sd, parse_seeds, run_train, user_errors, write_section

RESULTS = ROOT / "benchmarks" / "results" / "stacked_mnist.jsonl"
IMAGES = ROOT / "docs" / "images"
SAMPLES = 26_000  # the protocol's sample count (VEEGAN, PacGAN)
PUBLISHED = [  # docs/protocols.md
    ("DCGAN", "99", "3.4", "Srivastava et al. 2017 (VEEGAN)"),
    ("VEEGAN", "150", "2.95", "Srivastava et al. 2017 (VEEGAN)"),
    ("PacDCGAN2", "1000", "0.06", "Lin et al. 2018 (PacGAN)"),
    ("WGAN-GP", "995", "0.148", "Elfeki et al. 2019 (GDPP)"),
]


def channel_labels(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) in [0, 1] -> (N, 3) digits: the shipped classifier reads each channel alone."""
    from divergan.metrics.images import extract, resolve_feature_net

    _, logits = extract(images, resolve_feature_net("digits"), batch_size=1000)
    return logits.argmax(-1)  # (N, 3)


def score(labels: torch.Tensor) -> dict:
    """Modes and KL over the 1,000 triples, and each channel's digit histogram and KL to uniform."""
    from divergan.metrics.features import class_histogram_metrics, stacked_mode_metrics

    out = stacked_mode_metrics(labels, 10)
    channels = [class_histogram_metrics(labels[:, c], 10) for c in range(labels.shape[1])]
    out["channel_histograms"] = [m["class_histogram"] for m in channels]
    out["channel_kl"] = [m["kl_uniform"] for m in channels]
    return out


@torch.no_grad()
def generator_samples(run: Path, n: int, seed: int) -> torch.Tensor:
    """n samples G(z), z ~ N(0, I), of a run's EMA generator, as (n, C, H, W) in [0, 1] (a
    cluster-conditional generator, ``clusters=k``, draws its clusters from torch's stream, seeded here)."""
    import divergan

    g = divergan.load_generator(run)
    rng = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    z = torch.randn(n, g.z_dim, generator=rng)
    return torch.cat([(g(part) + 1) / 2 for part in z.split(1000)]).clamp(0, 1)


def at_step(run: Path, step: int, into: Path) -> Path:
    """A run folder in ``into`` whose latest (only) checkpoint is ``run``'s checkpoint after ``step`` steps
    (links, nothing copied), for scoring a run part-way."""
    from divergan.errors import UserError
    from divergan.train import checkpoint as ckpt

    source = ckpt.checkpoint_path(run, step)
    if not source.is_file():
        raise UserError(f"{run} has no checkpoint at step {step}")
    view = into / "run"
    (view / "checkpoints").mkdir(parents=True)
    (view / "config.json").symlink_to((run / "config.json").resolve())
    ckpt.checkpoint_path(view, step).symlink_to(source.resolve())
    return view


def evaluate(run: Path, n: int = SAMPLES, seed: int = 12345, step: int | None = None) -> dict:
    """The protocol's numbers for one run folder (26,000 samples of its latest checkpoint, or of the
    checkpoint after ``step`` steps)."""
    t0 = time.perf_counter()
    if step is not None:
        with tempfile.TemporaryDirectory() as tmp:
            samples = generator_samples(at_step(run, step, Path(tmp)), n, seed)
    else:
        samples = generator_samples(run, n, seed)
    labels = channel_labels(samples)
    out = score(labels)
    out["eval_s"] = time.perf_counter() - t0
    out["num_samples"] = n
    return out


def references(n: int = SAMPLES, seed: int = 0) -> dict:
    """The data row (n draws of training triples, classified) and the uniform row (true labels)."""
    from divergan.data import get_dataset
    from divergan.train.config import preset

    cfg = preset("stacked-mnist")
    data = get_dataset(cfg.data, **cfg.data_params)
    rng = torch.Generator().manual_seed(seed)
    idx = torch.randint(len(data.points), (n,), generator=rng)
    real = (data.points[idx] + 1) / 2
    predicted = channel_labels(real)
    truth = torch.stack([data.labels[idx] // 100, data.labels[idx] // 10 % 10, data.labels[idx] % 10], 1)
    uniform = torch.randint(10, (n, 3), generator=rng)
    return {
        "data": score(predicted),
        "data_true_labels": score(truth),
        "classifier_accuracy": float((predicted == truth).double().mean()),
        "uniform": score(uniform),
        "num_samples": n,
    }


def train(seed: int, extra: list[str]) -> tuple[Path, dict]:
    """One ``divergan train --preset stacked-mnist`` in a child process: its folder and its timings."""
    run = Path(tempfile.mkdtemp(prefix="stacked-mnist-")) / "run"
    timing = run_train(["--preset", "stacked-mnist", "--seed", str(seed), "--out", str(run), *extra])
    final = json.loads((run / "final_metrics.json").read_text())
    return run, {
        "wall_s": timing["wall_s"],
        "cpu_s": timing["cpu_s"],
        "train_s": final["train_seconds"],
        "peak_rss_mib": timing["peak_rss_mib"],
        "load_at_start": timing["load_at_start"],
        "final_metrics": {k: v for k, v in final["direct"].items() if not isinstance(v, list)},
    }


def _row(label: str, m: dict, timing: str, settings: str) -> str:
    return (
        f"| {label} | {m['stacked_modes']} | {m['stacked_kl']:.3f} "
        f"| {' / '.join(f'{v:.3f}' for v in m['channel_kl'])} | {m['num_samples']:,} | {timing} | {settings} |"
    )


def table(rows: list[dict], ref: dict) -> str:
    """The preset's runs (``group`` "preset") with their mean, the references and published rows, then the
    screening runs and earlier versions of the preset (``group`` "screen" / "history")."""
    head = (
        "| run | modes (of 1,000) | KL to uniform | KL per channel | samples | wall s (child CPU s) | settings |\n"
        "|---|---|---|---|---|---|---|"
    )
    out = [head]
    shipped = [r for r in rows if r.get("group", "preset") == "preset"]
    others = [r for r in rows if r.get("group", "preset") != "preset"]

    def timing(r: dict) -> str:
        return f"{r['wall_s']:.0f} ({r['cpu_s']:.0f})" if "wall_s" in r else "—"

    for r in shipped:
        out.append(_row(r["label"], r["metrics"], timing(r), r.get("settings", "")))
    if len(shipped) > 1:
        modes = [r["metrics"]["stacked_modes"] for r in shipped]
        kls = [r["metrics"]["stacked_kl"] for r in shipped]
        out.append(
            f"| mean ± sd of {len(shipped)} | {mean_sd(modes, '.1f')} | {mean_sd(kls, '.3f')} | | | | |"
        )
    d, u = dict(ref["data"]), dict(ref["uniform"])
    d["num_samples"] = u["num_samples"] = ref["num_samples"]
    out.append(_row("training triples (classified)", d, "—", "reference"))
    out.append(_row("uniform modes (true labels)", u, "—", "sampling floor"))
    for name, modes, kl, source in PUBLISHED:
        out.append(f"| {name} (published) | {modes} | {kl} | | 26,000 | | {source} |")
    if others:
        out.append("| *screening runs and earlier versions of the preset* | | | | | | |")
        for r in others:
            out.append(_row(r["label"], r["metrics"], timing(r), r.get("settings", "")))
    out += [
        "",
        f"Samples G(z) of each run's EMA generator, each channel labelled by the shipped digit classifier "
        f"(which labels {100 * ref['classifier_accuracy']:.1f}% of the training triples' channels correctly); "
        f"the KL's sampling floor is about 999 / (2·samples): 0.019 at 26,000, 0.050 at 10,000. "
        f"Machine of the last run: {rows[-1]['machine'] if rows else machine()}.",
    ]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="0", help="a range 0-2 or a list 0,3")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to every run")
    ap.add_argument("--evaluate", nargs="+", type=Path, metavar="RUN", help="score these run folders only")
    ap.add_argument("--step", type=int, help="with --evaluate: score the checkpoint after this many steps")
    ap.add_argument("--samples", type=int, default=SAMPLES, help="samples per run (the protocol: 26,000)")
    ap.add_argument(
        "--screen", action="store_true", help="a screening run of other settings: recorded as such"
    )
    ap.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = ap.parse_args()
    extra = [a for kv in args.set for a in ("--set", kv)]
    if args.evaluate:
        for run in args.evaluate:
            metrics = evaluate(run, args.samples, step=args.step)
            label = f"{run} at step {args.step:,}" if args.step is not None else str(run)
            row = {"label": label, "metrics": metrics, "machine": machine()}
            print(json.dumps(row), flush=True)
        return
    seeds = parse_seeds(args.seeds)
    for seed in seeds:
        run, timing = train(seed, extra)
        metrics = evaluate(run, args.samples)
        settings = " ".join(args.set)
        kind = "screen" if args.screen else "preset"
        label = f"screen seed {seed}" if args.screen else f"`stacked-mnist` seed {seed}"
        row = {"label": label, "group": kind, "settings": settings, **timing, "metrics": metrics}
        row["machine"] = machine()
        if not args.screen and seed == seeds[0]:  # the figure: the first seed's samples
            IMAGES.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(run / "samples.png", IMAGES / "stacked-mnist-samples.png")
        shutil.rmtree(run.parent)
        print(json.dumps(row), flush=True)
        with RESULTS.open("a") as fh:
            fh.write(json.dumps(row) + "\n")
    if not args.no_doc:
        write_section("stacked-mnist", table(load_jsonl(RESULTS), references()))


if __name__ == "__main__":
    with user_errors():  # an --evaluate folder that is not a run, or lacks the --step checkpoint
        main()
