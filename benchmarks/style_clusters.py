"""Where do a self-conditioned style generator's malformed digits come from? Its clusters' class purity.

A diagnostic, not a judge and not training: it reads the MNIST labels, which nothing in training reads,
to describe the clusters the run was conditioned on. For a finished self-conditioned ``style-mnist`` run:
``--samples`` EMA samples at ψ = 1, each with the cluster its latent picked (:meth:`StyleGenerator.cluster_of`),
and the share of them the shipped digit classifier is unsure of (top class probability < 0.5, as the judge
counts them), per cluster; each cluster's class purity (the share of its training digits in its most common
class); their correlation over the clusters; the unsure share of samples and of the real training digits
inside the clusters of purity below ``PURE`` and outside them; and the class pairs the unsure samples sit
between (the classifier's two most likely classes). Then, for each ``--k``, k-means on the same t-SNE map
with the run's seed (:func:`divergan.data.clusters.cluster_dataset`, as the preset clusters): the share of
digits outside their cluster's most common class, and of digits in clusters of purity below ``PURE``.

    .venv/bin/python benchmarks/style_clusters.py RUN [--samples 20000] [--k 60 100 150]

Writes benchmarks/results/style_clusters.json and the section ``style-clusters`` of docs/applications.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from _doc import ROOT, machine, user_errors, write_section

RESULTS = ROOT / "benchmarks" / "results" / "style_clusters.json"
DOC = ROOT / "docs" / "applications.md"
PURE = 0.9  # a cluster is "mixed" when fewer than this share of its digits are of its most common class


def class_counts(ids: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """(k, 10) how many digits of each class each of the k clusters holds."""
    return torch.zeros(k, 10).index_put_((ids, labels), torch.ones(len(ids)), accumulate=True)


def purity(ids: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """(k,) the share of each cluster's digits in its most common class (0 for an empty cluster)."""
    counts = class_counts(ids, labels, k)
    return counts.amax(1) / counts.sum(1).clamp_min(1)


def explained_share(values: torch.Tensor, ids: torch.Tensor) -> float:
    r"""The share of the variance of ``values`` (N,) that the cluster ``ids`` (N,) explain (the correlation
    ratio η²): 1 − Σ_k Σ_{i∈k} (v_i − v̄_k)² / Σ_i (v_i − v̄)². 1 when every cluster holds one value, about
    (k − 1)/(N − 1) for ids drawn independently of the values, 0 when every cluster's mean is the overall one."""
    v = values.double()
    total = (v - v.mean()).square().sum()
    k = int(ids.max()) + 1
    sums = torch.zeros(k, dtype=v.dtype).index_add_(0, ids, v)
    sizes = torch.zeros(k, dtype=v.dtype).index_add_(0, ids, torch.ones_like(v))
    means = sums / sizes.clamp_min(1)
    within = (v - means[ids]).square().sum()
    return float(1 - within / total.clamp_min(1e-300))


def unsure_of(images: torch.Tensor, net) -> tuple[torch.Tensor, torch.Tensor]:
    """(N,) whether the classifier is unsure of each image in [0, 1], and (N, 10) its class probabilities."""
    from divergan.apps.style import UNSURE
    from divergan.metrics.images import extract

    probs = extract(images, net)[1][:, 0].softmax(-1)
    return probs.amax(-1) < UNSURE, probs


def run_measure(run: Path, samples: int, net, train: torch.Tensor, labels: torch.Tensor) -> dict:
    from divergan.apps import load_run
    from divergan.apps.style import load_data
    from divergan.errors import UserError

    cfg, parts, _, _ = load_run(run)
    if cfg.app != "style" or cfg.data != "mnist" or not cfg.clusters:
        raise UserError(f"{run} is not a self-conditioned style run on MNIST (set clusters=k)")
    G = parts.ema
    ids = load_data(cfg, torch.Generator().manual_seed(cfg.seed)).train_ids  # as the run clustered them
    pure = purity(ids, labels, cfg.clusters)
    g = torch.Generator().manual_seed(1)
    torch.manual_seed(1)  # the per-pixel noise
    z = torch.randn(samples, G.z_dim, generator=g)
    with torch.no_grad():
        fake = torch.cat([((G(part) + 1) / 2).clamp(0, 1) for part in z.split(1000)])
    unsure, probs = unsure_of(fake, net)
    c = G.cluster_of(z)
    per = torch.tensor(
        [
            unsure[c == j].double().mean().item() if (c == j).any() else float("nan")
            for j in range(cfg.clusters)
        ]
    )
    seen = ~per.isnan()
    corr = torch.corrcoef(torch.stack([per[seen], pure[seen].double()]))[0, 1]
    mixed = pure < PURE
    real_unsure, _ = unsure_of(train, net)
    pairs = probs[unsure].topk(2, -1).indices.sort(-1).values
    count = torch.bincount(pairs[:, 0] * 10 + pairs[:, 1], minlength=100)
    top = [(int(i) // 10, int(i) % 10, int(n)) for n, i in zip(*count.topk(8)) if n > 0]
    return {
        "run": str(run),
        "seed": cfg.seed,
        "clusters": cfg.clusters,
        "samples": samples,
        "unsure": float(unsure.double().mean()),
        "corr_unsure_purity": float(corr),
        "mixed_clusters": int(mixed.sum()),
        "mixed_share_of_samples": float(mixed[c].double().mean()),
        "mixed_share_of_unsure": float(mixed[c][unsure].double().mean()),
        "unsure_in_mixed": float(unsure[mixed[c]].double().mean()),
        "unsure_elsewhere": float(unsure[~mixed[c]].double().mean()),
        "real_unsure_in_mixed": float(real_unsure[mixed[ids]].double().mean()),
        "real_unsure_elsewhere": float(real_unsure[~mixed[ids]].double().mean()),
        "unsure_pairs": top,
    }


def strokes(train: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(N,) stroke width and (N,) slant of training digits in [0, 1], as the judge measures its mixes."""
    from divergan.apps.style import ink_and_slant, stroke_width

    return stroke_width(train), ink_and_slant(train)[1]


def cut_measure(
    k: int, seed: int, dataset, labels: torch.Tensor, width: torch.Tensor, slant: torch.Tensor
) -> dict:
    from divergan.data.clusters import cluster_dataset

    ids = cluster_dataset(dataset, k, seed, "tsne").labels
    counts = class_counts(ids, labels, k)
    mixed = purity(ids, labels, k) < PURE
    off = (counts.argmax(1)[ids] != labels).double().mean()
    return {
        "k": k,
        "outside_majority": float(off),
        "mixed_clusters": int(mixed.sum()),
        "digits_in_mixed": float(mixed[ids].double().mean()),
        "smallest": int(counts.sum(1).min()),
        # what a cluster id, which every row of w carries (coarse rows included), fixes of the stroke
        "width_share": explained_share(width, ids),
        "slant_share": explained_share(slant, ids),
        "class_width_share": explained_share(width, labels),
        "class_slant_share": explained_share(slant, labels),
    }


def text(r: dict, cuts: list[dict]) -> str:
    pairs = ", ".join(f"{a}/{b} ({n})" for a, b, n in r["unsure_pairs"])
    lines = [
        f"`{r['run']}` ({r['clusters']} clusters), {r['samples']:,} samples at ψ = 1: unsure "
        f"{100 * r['unsure']:.1f} %. Per cluster, the unsure share against the class purity: correlation "
        f"**{r['corr_unsure_purity']:.2f}**. The {r['mixed_clusters']} clusters of purity below {PURE} hold "
        f"{100 * r['mixed_share_of_samples']:.1f} % of the samples and {100 * r['mixed_share_of_unsure']:.1f} % of "
        f"the unsure ones.",
        "",
        "| | in the mixed clusters | elsewhere |",
        "|---|---|---|",
        f"| samples the classifier is unsure of | {100 * r['unsure_in_mixed']:.1f} % | "
        f"{100 * r['unsure_elsewhere']:.1f} % |",
        f"| training digits it is unsure of | {100 * r['real_unsure_in_mixed']:.1f} % | "
        f"{100 * r['real_unsure_elsewhere']:.1f} % |",
        "",
        f"The unsure samples' two most likely classes: {pairs}.",
        "",
        "k-means on the same t-SNE map (the run's seed):",
        "",
        "| clusters | digits outside their cluster's most common class | mixed clusters | digits in them | "
        "smallest cluster | stroke width / slant variance the cluster explains (η²) |",
        "|---|---|---|---|---|---|",
    ]
    for c in cuts:
        lines.append(
            f"| {c['k']} | {100 * c['outside_majority']:.1f} % | {c['mixed_clusters']} | "
            f"{100 * c['digits_in_mixed']:.1f} % | {c['smallest']} | "
            f"{c['width_share']:.2f} / {c['slant_share']:.2f} |"
        )
    if cuts:
        lines += [
            "",
            f"η²: the share of the training digits' stroke width (`stroke_width`) and slant variance "
            f"between clusters; the class label itself explains {cuts[0]['class_width_share']:.2f} / "
            f"{cuts[0]['class_slant_share']:.2f}. The cluster rides in every row of w, so what it fixes "
            "the coarse rows carry whatever the fine ones do.",
        ]
    lines += ["", f"Machine: {machine()}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", type=Path, help="a finished self-conditioned style-mnist run folder")
    ap.add_argument(
        "--samples", type=int, default=20000, help="samples of the EMA generator (default 20,000)"
    )
    ap.add_argument(
        "--k", type=int, nargs="*", default=[60, 100, 150], help="cluster counts to cut the map into"
    )
    args = ap.parse_args()
    with user_errors():
        from divergan.data.images import mnist
        from divergan.errors import UserError
        from divergan.metrics.images import resolve_feature_net

        if args.samples < 1000:
            raise UserError(f"--samples must be at least 1,000, got {args.samples}")
        torch.set_num_threads(2)
        net = resolve_feature_net("digits")
        dataset = mnist(28)
        train, labels = (dataset.points + 1) / 2, dataset.labels
        r = run_measure(args.run, args.samples, net, train, labels)
        width, slant = strokes(train)  # once: they do not depend on the cut
        cuts = [cut_measure(k, r["seed"], dataset, labels, width, slant) for k in args.k]
        RESULTS.write_text(json.dumps({"run": r, "cuts": cuts}, indent=1) + "\n")
        body = text(r, cuts)
        write_section("style-clusters", body, doc=DOC)
        print(body)


if __name__ == "__main__":
    main()
