"""How much does one FD reading move from one draw of samples to the next? FD of K independent draws.

The MNIST presets (DCGAN and style) are judged by one Fréchet distance: 2,000 samples of the EMA generator
against 2,000 training digits in the shipped digit classifier's features. A target such as "FD no worse than
1.5 × the DCGAN preset's" compares two such readings, each of one draw. This script draws K further sets
of 2,000 samples from each run's EMA generator (``app.sample``, what ``divergan sample`` draws: seeds
1 … K, independent of the run's own judgement) and reads each against one fixed set of 2,000 training
digits (seed 0's permutation of the 4,500, as the style judge takes them): the FD's mean and standard
deviation over the draws, and the share of samples the classifier is unsure of (top class probability
< 0.5, :func:`divergan.apps.style.clean_measure`). The floor beside them: K sets of 2,000 of the other
2,500 training digits read the same way (real against real: what a generator as good as the data reads).

    .venv/bin/python benchmarks/fd_draws.py RUN [RUN ...] --label NAME [--label NAME ...] [--draws 10]

Writes benchmarks/results/fd_draws.json (rows merged by label) and the section ``fd-draws`` of
docs/applications.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import torch

from _doc import ROOT, add_label_option, machine, run_labels, user_errors, write_section

RESULTS = ROOT / "benchmarks" / "results" / "fd_draws.json"
DOC = ROOT / "docs" / "applications.md"
N = 2000  # samples per draw, and training digits in the reference, as the judges take them


def reference():
    """(the 2,000 reference digits, the 2,500 others), (N, 1, 28, 28) in [0, 1]; seed 0's permutation of
    the MNIST 5k's 4,500 training digits (the style judge's reference)."""
    from divergan.data.images import mnist

    train = (mnist(28).points + 1) / 2
    perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
    return train[perm[:N]], train[perm[N:]]


def readings(images, real_features, real_logits, net) -> tuple[float, float]:
    """(FD against the reference, the share the classifier is unsure of) of (N, 1, 28, 28) images in [0, 1]."""
    from divergan.apps.style import unsure_share
    from divergan.metrics.features import frechet_distance_from_features
    from divergan.metrics.images import extract

    features, logits = extract(images, net)
    return frechet_distance_from_features(real_features, features), unsure_share(logits)


def over_draws(images_of, draws: int, real_features, real_logits, net) -> dict:
    """FD and unsure share of ``images_of(k)`` for k = 1 … draws: each as mean, SD and every value."""
    fds, unsure = zip(*(readings(images_of(k), real_features, real_logits, net) for k in range(1, draws + 1)))
    return {
        name: {"mean": statistics.fmean(v), "sd": statistics.stdev(v), "all": list(v)}
        for name, v in (("fd", fds), ("unsure", unsure))
    }


def loaded(run: Path):
    """(config, parts, App) of a finished MNIST run at 28 or 32 px; a UserError for anything else."""
    from divergan.apps import load_run
    from divergan.errors import UserError

    cfg, parts, _, app = load_run(run)
    if cfg.data != "mnist" or cfg.size not in (28, 32):
        raise UserError(f"{run} was not trained on MNIST at 28 or 32 px (data {cfg.data!r}, size {cfg.size})")
    return cfg, parts, app


def at_28(images):
    """MNIST at 32 px is the 28-px digit with 2 pixels of background on each side (the DCGAN presets'
    size): cut them off, so that every run is read at the reference's 28 px."""
    return images[..., 2:30, 2:30] if images.shape[-1] == 32 else images


def measure_run(run: Path, model, draws: int, real_features, real_logits, net) -> dict:
    cfg, parts, app = model

    def sample(k: int):
        torch.manual_seed(k)  # the per-pixel noise of a style generator
        with torch.no_grad():
            x = app.sample(cfg, parts, N, torch.Generator().manual_seed(k))
        return at_28(((x + 1) / 2).clamp(0, 1))

    final = (
        json.loads((run / "final_metrics.json").read_text()) if (run / "final_metrics.json").is_file() else {}
    )
    own = final.get("direct", final).get("fd")
    return {"run": str(run), **over_draws(sample, draws, real_features, real_logits, net), "own_fd": own}


def floor(draws: int, others, real_features, real_logits, net) -> dict:
    def subset(k: int):
        return others[torch.randperm(len(others), generator=torch.Generator().manual_seed(k))[:N]]

    return over_draws(subset, draws, real_features, real_logits, net)


def table(rows: dict, real: dict, draws: int) -> str:
    def cell(s: dict, pct: bool = False) -> str:
        f = 100 if pct else 1
        lo, hi = min(s["all"]) * f, max(s["all"]) * f
        unit = " %" if pct else ""
        digits = 1 if pct else 3
        return (
            f"{s['mean'] * f:.{digits}f} ± {s['sd'] * f:.{digits}f}{unit} ({lo:.{digits}f}–{hi:.{digits}f})"
        )

    lines = [
        f"FD and the unsure share over {draws} independent draws of {N:,} samples each (mean ± SD over the "
        f"draws, range in brackets), all against one set of {N:,} training digits; the run's own judgement "
        "(one draw) beside it.",
        "",
        "| run | FD over the draws | its own reading | unsure over the draws |",
        "|---|---|---|---|",
    ]
    for label, row in rows.items():
        own = "—" if row.get("own_fd") is None else f"{row['own_fd']:.3f}"
        lines.append(f"| {label} | {cell(row['fd'])} | {own} | {cell(row['unsure'], True)} |")
    lines.append(
        f"| real digits ({N:,} of the other 2,500 training digits) | {cell(real['fd'])} | — | "
        f"{cell(real['unsure'], True)} |"
    )
    lines += ["", f"Machine: {machine()}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path, help="finished MNIST run folders (DCGAN or style)")
    add_label_option(ap)
    ap.add_argument("--draws", type=int, default=10, help="independent draws of 2,000 samples (default 10)")
    args = ap.parse_args()
    with user_errors():
        from divergan.errors import UserError
        from divergan.metrics.images import extract, resolve_feature_net

        labels = run_labels(args.runs, args.label)
        if args.draws < 2:
            raise UserError(f"--draws must be at least 2 (a standard deviation), got {args.draws}")
        models = [loaded(run) for run in args.runs]  # a folder that is not a run fails before any work
        torch.set_num_threads(1)
        net = resolve_feature_net("digits")
        ref, others = reference()
        real_features, real_logits = extract(ref, net)
        old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"runs": {}}
        rows = old["runs"]
        for run, model, label in zip(args.runs, models, labels, strict=True):
            rows[label] = measure_run(run, model, args.draws, real_features, real_logits, net)
            print(
                label,
                f"FD {rows[label]['fd']['mean']:.4f} ± {rows[label]['fd']['sd']:.4f}",
                f"unsure {rows[label]['unsure']['mean']:.4f}",
                flush=True,
            )
        real = floor(args.draws, others, real_features, real_logits, net)
        RESULTS.write_text(json.dumps({"draws": args.draws, "runs": rows, "real": real}, indent=1) + "\n")
        text = table(rows, real, args.draws)
        write_section("fd-draws", text, doc=DOC)
        print(text)


if __name__ == "__main__":
    main()
