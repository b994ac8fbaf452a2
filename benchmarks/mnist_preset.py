"""The ``mnist`` presets end to end: wall time, peak memory and the image metrics; writes docs/benchmarks.md.

Each preset runs as a user runs it, ``divergan train --preset NAME`` in a child process (its peak RSS
from ``wait4``), then its ``final_metrics.json`` becomes a row of the table. The final sample grid,
interpolation and latent arithmetic of each are copied to docs/images/ (``PRESET-samples.png``, …;
with ``--set`` options only ``PRESET-KEY-VALUE-samples.png``). Rows of earlier invocations (another preset,
other ``--set`` options, or another ``--label``) stay in the table; a rerun of the same preset, options and label
replaces its row.
``--label`` names what a row measured (a preset changes over time: a row measured with an earlier
definition keeps the label that says so).

Below the runs, the references the class KL is read against: the training digits' own classes through
the same classifier (all 4,500, and the 2,000 each run is compared with), and the sampling floor, the
mean KL of 2,000 draws from exactly uniform classes.

    .venv/bin/python benchmarks/mnist_preset.py --presets mnist,mnist-unconditional
    .venv/bin/python benchmarks/mnist_preset.py --presets mnist-unconditional --set pack=2
    .venv/bin/python benchmarks/mnist_preset.py --trajectory runs/RUN --label "what RUN trained"
    .venv/bin/python benchmarks/mnist_preset.py --recognise runs/RUN --label "what RUN trained"

``--recognise``: is every class recognisable? 2,000 samples G(z) of a run's EMA generator, each labelled
by the shipped classifier, are read a second time by an independent judge — a 5-nearest-neighbour
classifier on the pixels of the 4,500 training digits, shifted by up to 2 px and thickened (no network,
nothing trained on generated images).
A class is recognisable when the two judges agree on its samples about as often as on real digits of
that class; the ten classes are tested together, so that a generator as readable as the real digits
fails a run in at most 5 % of runs (:func:`recognisable_together`; the earlier per-class verdict,
:func:`recognisable`, is kept beside it). ``--calibrate REPS`` simulates runs to measure how often each
verdict fails such a generator and how often it catches one class made less readable. Both write the
section ``mnist-recognisable`` of docs/benchmarks.md.

    .venv/bin/python benchmarks/mnist_preset.py --calibrate 2000

``--purity SEEDS``: the preset's clusters (its ``clusters`` and ``cluster_space``, seeded as each run
seeds them) read afterwards against the digits' labels, for the analysis only — the labels never reach
training: each cluster's purity and, per class, the share of its digits in a cluster whose majority is
that class (benchmarks/results/mnist_cluster_purity.json).

    .venv/bin/python benchmarks/mnist_preset.py --purity 0-5

``--blame RUN``: the same reading for a self-conditioned run's samples: how many of the samples the two
judges read differently come from mixed clusters (whose largest class holds under 90 % of their training
digits), against the share of samples drawn from them, and the same for the training digits themselves in
their clusters, read leave-one-out (the control) (benchmarks/results/mnist_cluster_blame.json).

    .venv/bin/python benchmarks/mnist_preset.py --blame runs/RUN --label "what RUN trained"
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np

from _doc import ROOT, machine, parse_seeds, run_train, user_errors, write_section

IMAGES = ROOT / "docs" / "images"
RESULTS = ROOT / "benchmarks" / "results" / "mnist_preset.json"
TRAJECTORIES = ROOT / "benchmarks" / "results" / "mnist_trajectory.json"
RECOGNISED = ROOT / "benchmarks" / "results" / "mnist_recognisable.json"
REFERENCE = ROOT / "benchmarks" / "results" / "mnist_reference.json"
CALIBRATION = ROOT / "benchmarks" / "results" / "mnist_calibration.json"
PURITY = ROOT / "benchmarks" / "results" / "mnist_cluster_purity.json"
BLAME = ROOT / "benchmarks" / "results" / "mnist_cluster_blame.json"


#: ``--set`` keys that change how a run is executed, not what it trains (left out of the figures' names)
NEUTRAL = ("threads", "tensorboard", "keep_checkpoints")


def trained(extra: list[str]) -> list[str]:
    """The ``--set KEY=VALUE`` items of ``extra`` that change what is trained (not in :data:`NEUTRAL`)."""
    return [a for a in extra if a != "--set" and a.partition("=")[0] not in NEUTRAL]


def stem(name: str, extra: list[str]) -> str:
    """The figures' file stem: the preset, then each ``--set KEY=VALUE`` (but :data:`NEUTRAL` ones) as
    ``-KEY-VALUE``."""
    return name + "".join("-" + a.replace("=", "-") for a in trained(extra))


def relabelled(rows: list[dict], row: dict) -> list[dict]:
    """``rows`` without any row of ``row``'s label, then ``row`` (at the end): the results of ``--recognise``,
    ``--trajectory`` and ``--blame``, one row per label."""
    return [r for r in rows if r["label"] != row["label"]] + [row]


def merged(rows: list[dict], row: dict) -> list[dict]:
    """``rows`` with ``row`` in place of the row of the same preset, ``--set`` options and label (appended
    if none): a run under another label (the preset as it was defined then) keeps its own row."""
    key = (row["preset"], row["extra"], row.get("label"))
    same = [i for i, r in enumerate(rows) if (r["preset"], r["extra"], r.get("label")) == key]
    if not same:
        return [*rows, row]
    return [row if i == same[0] else r for i, r in enumerate(rows)]


def run_preset(name: str, extra: list[str], keep: Path | None = None) -> dict:
    """Train one preset in a child process; its final metrics, wall seconds and peak RSS (MiB).
    ``keep``: train into ``keep/STEM`` and leave the run folder there (checkpoints included)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = (keep if keep else Path(tmp)) / (stem(name, extra) if keep else "run")
        if keep and run.exists():
            from divergan.errors import UserError

            raise UserError(f"{run} exists; remove it or choose another --keep folder")
        timing = run_train(["--preset", name, "--out", str(run), *extra])
        final = json.loads((run / "final_metrics.json").read_text())
        IMAGES.mkdir(parents=True, exist_ok=True)
        for figure in ("samples", "interpolation", "arithmetic") if not trained(extra) else ("samples",):
            shutil.copyfile(run / f"{figure}.png", IMAGES / f"{stem(name, extra)}-{figure}.png")
    return {
        "preset": name,
        "extra": extra,
        "wall_s": timing["wall_s"],
        "cpu_s": timing["cpu_s"],  # the child's own CPU time (user + sys)
        "train_s": final["train_seconds"],
        "peak_rss_mib": timing["peak_rss_mib"],
        "metrics": final["direct"],
        "machine": machine(),
    }


def floor_kl(n: int = 2000, k: int = 10, trials: int = 20_000, seed: int = 0) -> float:
    """The mean KL to uniform of the class histogram of ``n`` draws from exactly uniform classes: what a
    perfectly balanced generator scores through sampling noise alone (about (k − 1) / 2n)."""
    counts = np.random.default_rng(seed).multinomial(n, [1 / k] * k, size=trials) / n  # (trials, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(counts > 0, counts * np.log(counts * k), 0.0)
    return float(terms.sum(axis=1).mean())


def digit_labels(images) -> np.ndarray:
    """The shipped digit classifier's label of each of ``images`` (N, 1, 28, 28) in [0, 1]."""
    from divergan.metrics.images import extract, resolve_feature_net

    _, logits = extract(images, resolve_feature_net("digits"))  # logits (N, 1, 10)
    return logits[:, 0].argmax(-1).numpy()


def training_classes() -> list[int]:
    """The class histogram of all MNIST 5k training digits as the shipped classifier labels them."""
    from divergan.data import get_dataset

    data = get_dataset("mnist")
    return np.bincount(digit_labels((data.points + 1) / 2), minlength=10).tolist()


def kl_uniform(counts: list[int]) -> float:
    p = np.asarray(counts, dtype=float) / sum(counts)
    p = p[p > 0]
    return float((p * np.log(p * len(counts))).sum())


def table(rows: list[dict]) -> str:
    head = (
        "| preset | wall s (training) | CPU s | peak RSS MiB | classes 0–9 of the samples | KL to uniform "
        "| requested class recognised | FD | KID | precision / recall | density / coverage "
        "| NN distance samples / held-out (ratio) | copies |"
    )
    out = [head, "|" + "---|" * 13]
    for r in rows:
        m = r["metrics"]
        acc = f"{100 * m['label_accuracy']:.1f}%" if "label_accuracy" in m else "—"
        name = r["preset"] + (" " + " ".join(r["extra"]) if r["extra"] else "")
        name = f"`{name}`" + (f" ({r['label']})" if r.get("label") else "")
        cpu = f"{r['cpu_s']:.0f}" if "cpu_s" in r else "—"
        out.append(
            f"| {name} | {r['wall_s']:.0f} ({r['train_s']:.0f}) | {cpu} | {r['peak_rss_mib']:.0f} "
            f"| {', '.join(map(str, m['class_histogram']))} | {m['kl_uniform']:.3f} | {acc} "
            f"| {m['fd']:.3f} | {m['kid_mean']:.4f} ± {m['kid_std']:.4f} "
            f"| {m['precision']:.3f} / {m['recall']:.3f} | {m['density']:.3f} / {m['coverage']:.3f} "
            f"| {m['nn_fake_median']:.2f} / {m['nn_held_out_median']:.2f} ({m['memorisation_ratio']:.2f}) "
            f"| {100 * m['copy_fraction']:.2f}% |"
        )
    real = rows[0]["metrics"]["real_class_histogram"]
    train = training_classes()
    blank = " | —" * 7  # the columns after the KL
    out += [
        f"| training digits, all {sum(train):,} (reference) | — | — | — | {', '.join(map(str, train))} "
        f"| {kl_uniform(train):.4f}{blank} |",
        f"| training digits, the {sum(real):,} of the runs' comparison (reference) | — | — | — "
        f"| {', '.join(map(str, real))} | {kl_uniform(real):.4f}{blank} |",
        f"| {sum(real):,} draws of exactly uniform classes (sampling floor, mean of 20,000) | — | — | — | — "
        f"| {floor_kl(sum(real)):.4f}{blank} |",
    ]
    out += [
        "",
        f"{rows[0]['metrics']['num_fake']:,} EMA samples per run against {rows[0]['metrics']['num_real']:,} "
        f"training digits, whose classes are {', '.join(map(str, real))}. CPU s: the child process's "
        "user + sys time (— where not recorded). Machine, per row:",
        "",
        *[
            f"- `{r['preset']}{' ' + ' '.join(r['extra']) if r['extra'] else ''}`: {r['machine']}"
            for r in rows
        ],
    ]
    return "\n".join(out)


def fixed_samples(cfg, parts, n: int = 2000, with_labels: bool = False):
    """``n`` samples of the EMA generator in [−1, 1] from one fixed latent batch (the same z for every run
    and checkpoint), drawn in batches of 500 one after the other; a class-conditional generator draws each
    class alike; a cluster-conditional one (``clusters=k``) draws its clusters as it does in training, at
    their shares of the training images. ``with_labels``: (samples, the class or cluster each was drawn
    from; None for an unconditional generator)."""
    import torch

    from divergan.train.loop import sample_labels

    g = torch.Generator().manual_seed(12345)

    def batch():
        z = torch.randn(500, cfg.z_dim, generator=g)
        if cfg.clusters:
            labels = sample_labels(cfg, parts, 500, g)
        else:
            labels = torch.arange(500) % 10 if cfg.conditional else None
        return parts.ema(z, *([] if labels is None else [labels])), labels

    with torch.no_grad():
        images, labels = zip(*[batch() for _ in range(n // 500)])
    images = torch.cat(images)
    if not with_labels:
        return images
    return images, None if labels[0] is None else torch.cat(labels)


def checkpoint_metrics(run: Path, every: int = 500, n: int = 2000) -> list[dict]:
    """The class histogram, KL to uniform and FD of the EMA generator at each kept checkpoint of ``run``
    whose step is a multiple of ``every``: ``n`` samples from one fixed latent batch (the same z at every
    step), the EMA's batch-norm statistics recomputed as at the end of training, against ``n`` training
    digits."""
    import torch

    from divergan.metrics.images import image_metrics
    from divergan.train.checkpoint import list_checkpoints
    from divergan.train.loop import load_run, ready_ema

    out = []
    for path in list_checkpoints(run):
        step = int(path.stem.split("-")[1])
        if step % every:
            continue
        cfg, parts, _ = load_run(run, checkpoint=path)
        ready_ema(cfg, parts, step)
        fake = fixed_samples(cfg, parts, n)
        points = parts.dataset.points
        real = points[torch.randperm(len(points), generator=torch.Generator().manual_seed(0))[:n]]
        m = image_metrics((real + 1) / 2, (fake + 1) / 2, kid_subsets=10)
        out.append(
            {
                "step": step,
                "kl_uniform": m["kl_uniform"],
                "fd": m["fd"],
                "classes": m["class_histogram"],
                "class_precision": class_precision((real + 1) / 2, (fake + 1) / 2),
                "held_out_class_precision": class_precision((real + 1) / 2, (parts.dataset.held_out + 1) / 2),
                "critic_gap": critic_gap(parts.critic, real, parts.dataset.held_out),
            }
        )
    return out


def critic_gap(critic, train, held_out) -> float:
    """How far the critic has learnt its training images: its mean output on training digits minus its
    mean output on as many held-out digits (the first len(held_out) of ``train``), one batch each, the
    critic in training mode as the loop calls it. A critic that judges digits scores both alike (gap
    ≈ 0); one that recognises its training set scores them higher (the overfitting measure of Karras
    et al. 2020, ADA, Fig. 1)."""
    import torch

    critic.train()
    with torch.no_grad():
        return float(critic(train[: len(held_out)]).mean() - critic(held_out).mean())


def class_precision(real, images, k: int = 3) -> list[float]:
    """Per class c: the precision (Kynkäänniemi et al. 2019, k = 3) of the ``images`` the shipped
    classifier labels c, against the ``real`` images, in the classifier's features — the share of
    the class's images that lie on the real digits' manifold: how recognisable each class is (NaN for
    a class with at most k images). Read against held-out real digits' own."""
    from divergan.metrics.features import prdc_from_features
    from divergan.metrics.images import extract, resolve_feature_net

    net = resolve_feature_net("digits")
    real_features, _ = extract(real, net)
    features, logits = extract(images, net)
    labels = logits[:, 0].argmax(-1)
    return [
        prdc_from_features(real_features, features[labels == c], k)["precision"]
        if int((labels == c).sum()) > k
        else float("nan")
        for c in range(10)
    ]


def tolerant_training_set(train, labels, shift: int = 2):
    """The training digits (N, 1, H, W) in [0, 1] with the variants a reader ignores, for the second judge:
    each digit and its 3×3-dilated (thicker-stroke) copy, each moved by every (dy, dx) with |dy| + |dx| ≤
    ``shift`` pixels (13 positions for 2): 26·N images and their labels."""
    import torch
    import torch.nn.functional as F

    variants = []
    for base in (train, F.max_pool2d(train, 3, 1, 1)):
        for dy in range(-shift, shift + 1):
            for dx in range(-shift, shift + 1):
                if abs(dy) + abs(dx) <= shift:
                    variants.append(torch.roll(base, (dy, dx), dims=(2, 3)))
    return torch.cat(variants), labels.repeat(len(variants))


def second_judge(train, train_labels, k: int = 5, shift: int = 2):
    """The second judge, fitted: k nearest neighbours in pixels among the training digits ``train``
    (N, 1, 28, 28) in [0, 1] (labelled ``train_labels``) and their shifted and thickened variants
    (:func:`tolerant_training_set`; on the plain pixels a 2-px shift of held-out digits already halved the
    agreement on some classes)."""
    from sklearn.neighbors import KNeighborsClassifier

    points, labels = tolerant_training_set(train, train_labels, shift)
    return KNeighborsClassifier(n_neighbors=k, algorithm="brute").fit(
        points.reshape(len(points), -1).numpy(), labels.numpy()
    )


def judge_agreement(images, judge) -> tuple[list[int], list[float]]:
    """Per class c of the shipped classifier's labels: (how many ``images`` it labels c, the share of those
    that the fitted second ``judge`` (:func:`second_judge`) also labels c). Images (N, 1, 28, 28) in
    [0, 1]. NaN for a class with no image."""
    return class_agreement(digit_labels(images), judge.predict(images.reshape(len(images), -1).numpy()))


def class_agreement(first, second) -> tuple[list[int], list[float]]:
    """Per class c of the labels ``first``: (how many are c, the share of those that ``second`` labels c
    too); NaN for a class with none."""
    first, second = np.asarray(first), np.asarray(second)
    counts = [int((first == c).sum()) for c in range(10)]
    agree = [float((second[first == c] == c).mean()) if counts[c] else float("nan") for c in range(10)]
    return counts, agree


def recognisable(agree: float, n: int, real_agree: float, real_n: int, z: float = 1.645) -> bool:
    """Whether a class's generated samples are read alike by the two judges about as often as real digits
    of the class: the one-sided two-proportion test at the 5 % level (z = 1.645) does not find the
    generated agreement p̂_g below the real one p̂_r,

        p̂_g ≥ p̂_r − z·√(p̂_r(1 − p̂_r)/n_r + p̂_g(1 − p̂_g)/n_g).

    False for a class with no sample (n = 0): a missing class is not recognisable."""
    if n == 0 or math.isnan(agree):
        return False
    se = math.sqrt(real_agree * (1 - real_agree) / real_n + agree * (1 - agree) / n)
    return agree >= real_agree - z * se


def leave_one_out_labels(train, train_labels, k: int = 5, shift: int = 2) -> np.ndarray:
    """The second judge's label of each training digit read without its own copies: the majority of its k
    nearest neighbours among the shifted and thickened variants of the *other* training digits
    (:func:`tolerant_training_set`; ties to the smaller label), so that each digit is as new to the judge as
    a held-out one. ``train`` (N, 1, H, W) in [0, 1]."""
    n = len(train)
    copies = 2 * sum(
        abs(dy) + abs(dx) <= shift for dy in range(-shift, shift + 1) for dx in range(-shift, shift + 1)
    )
    judge = second_judge(train, train_labels, k, shift)
    _, idx = judge.kneighbors(train.reshape(n, -1).numpy(), n_neighbors=k + copies)
    own = idx % n == np.arange(n)[:, None]  # copy v of digit i sits at v·n + i
    votes = np.asarray(train_labels)[idx % n]
    return np.array([np.bincount(v[~o][:k], minlength=10).argmax() for v, o in zip(votes, own)])


def leave_one_out_agreement(train, train_labels) -> tuple[list[int], list[float]]:
    """:func:`judge_agreement` on the training digits themselves, the second judge reading each without its
    own copies (:func:`leave_one_out_labels`)."""
    return class_agreement(digit_labels(train), leave_one_out_labels(train, train_labels))


def real_reference(refresh: bool = False) -> dict:
    """The real digits' agreement per class, the bar of :func:`recognisable_together`: all 5,000 digits of
    the MNIST 5k — the 500 held-out ones read by the judge as generated samples are, the 4,500 training ones
    read leave-one-out (:func:`leave_one_out_agreement`). Deterministic; cached in
    benchmarks/results/mnist_reference.json (about a minute to compute)."""
    if REFERENCE.exists() and not refresh:
        return json.loads(REFERENCE.read_text())
    from divergan.data import get_dataset

    data = get_dataset("mnist")
    train, labels, held = (data.points + 1) / 2, data.labels, (data.held_out + 1) / 2
    h_counts, h_agree = judge_agreement(held, second_judge(train, labels))
    t_counts, t_agree = leave_one_out_agreement(train, labels)
    counts = [a + b for a, b in zip(h_counts, t_counts)]
    agree = [
        (ha * hc + ta * tc) / c for ha, hc, ta, tc, c in zip(h_agree, h_counts, t_agree, t_counts, counts)
    ]
    ref = {
        "counts": counts,
        "agree": agree,
        "held_out_counts": h_counts,
        "held_out_agree": h_agree,
        "training_counts": t_counts,
        "training_agree": t_agree,
    }
    REFERENCE.write_text(json.dumps(ref, indent=2) + "\n")
    return ref


def fisher_lower(agree: float, n: int, real_agree: float, real_n: int) -> float:
    """The one-sided p-value of Fisher's exact test that the generated samples' agreement (``agree`` of
    ``n``) is lower than the real digits' (``real_agree`` of ``real_n``): the 2×2 table of agreeing and
    disagreeing counts, hypergeometric given its margins (Fisher 1935; scipy's ``fisher_exact``, alternative
    "less").
    0 for a class with no sample (a missing class is not recognisable)."""
    from scipy.stats import fisher_exact

    if n == 0 or math.isnan(agree):
        return 0.0
    a, b = round(agree * n), round(real_agree * real_n)
    return float(fisher_exact([[a, n - a], [b, real_n - b]], alternative="less").pvalue)


def holm(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down test of m hypotheses at family-wise level ``alpha``: with the p-values sorted
    p₍₁₎ ≤ … ≤ p₍ₘ₎, reject H₍ⱼ₎ while p₍ⱼ₎ ≤ alpha/(m − j + 1) and stop at the first that is not. The
    chance of rejecting any true hypothesis is at most ``alpha`` whatever their dependence (Holm 1979).
    Returns, per hypothesis, True where it is *not* rejected."""
    m = len(p_values)
    kept = [True] * m
    for j, i in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        if p_values[i] > alpha / (m - j):
            break
        kept[i] = False
    return kept


def recognisable_together(agree, counts, real_agree, real_counts, alpha: float = 0.05) -> list[bool]:
    """Every class's verdict at once: class c is not recognisable when Holm's test (:func:`holm`) over the
    ten classes' :func:`fisher_lower` p-values rejects "its samples agree as often as real digits of c".
    A generator whose samples every class reads exactly as real digits fails a run with probability ≤
    ``alpha`` (the per-class test :func:`recognisable` failed such a generator in most runs: its false
    alarms add up over ten classes, and its normal approximation is loose at agreements near 1)."""
    return holm([fisher_lower(*t) for t in zip(agree, counts, real_agree, real_counts)], alpha)


def calibrate(ref: dict, n: int = 200, reps: int = 2000, seed: int = 0) -> list[dict]:
    """Both verdicts on simulated runs of a generator whose samples each class reads as often as real digits,
    but for one class (the one of lowest real agreement) whose agreement is ``drop`` lower. The true
    agreement per class is the 5,000 real digits' (``ref``); each run draws its references again — the
    held-out digits' (Binomial(held-out count, agreement): the bar of :func:`recognisable`) and all 5,000's
    (the bar of :func:`recognisable_together`) — and n generated samples per class (Binomial(n, agreement −
    drop)). Per drop: the share of runs with all ten classes recognisable and the share that flag the
    lowered class, for each test."""
    rng = np.random.default_rng(seed)
    p, m, h = np.array(ref["agree"]), np.array(ref["counts"]), np.array(ref["held_out_counts"])
    worst = int(p.argmin())
    out = []
    for drop in (0.0, 0.05, 0.10, 0.15, 0.20):
        q = p.copy()
        q[worst] -= drop
        tallies = {"per_class_all": 0, "together_all": 0, "per_class_flag": 0, "together_flag": 0}
        for _ in range(reps):
            held, real, fake = rng.binomial(h, p) / h, rng.binomial(m, p) / m, rng.binomial(n, q) / n
            old = [recognisable(a, n, r, c) for a, r, c in zip(fake, held, h)]
            new = recognisable_together(fake, [n] * 10, real, m)
            tallies["per_class_all"] += all(old)
            tallies["together_all"] += all(new)
            tallies["per_class_flag"] += not old[worst]
            tallies["together_flag"] += not new[worst]
        out.append({"drop": drop, "class": worst, **{k: v / reps for k, v in tallies.items()}})
    return out


def recognise_run(run: Path, n: int = 2000) -> dict:
    """The two judges' per-class agreement on ``n`` samples of the run's EMA generator (latents from a fixed
    seed; a class-conditional generator draws every class equally often) and on the 500 held-out digits,
    with the verdict per class."""
    from divergan.data import get_dataset
    from divergan.train.loop import load_run

    cfg, parts, _ = load_run(run)
    # the digits' own labels: a clusters=k run's dataset carries cluster ids instead
    data = get_dataset(cfg.data, **cfg.data_params)
    judge = second_judge((data.points + 1) / 2, data.labels)
    counts, agree = judge_agreement((fixed_samples(cfg, parts, n) + 1) / 2, judge)
    real_counts, real_agree = judge_agreement((data.held_out + 1) / 2, judge)
    verdict = [recognisable(a, c, ra, rc) for a, c, ra, rc in zip(agree, counts, real_agree, real_counts)]
    return {
        "counts": counts,
        "agree": agree,
        "real_counts": real_counts,
        "real_agree": real_agree,
        "recognisable": verdict,
    }


def cluster_blame(first, second, drawn, train_classes, train_clusters, pure: float = 0.9) -> dict:
    """Where the two judges disagree, by the cluster a sample was drawn from (analysis, read with the labels
    afterwards; the labels never reach training).

    ``first`` / ``second``: the shipped classifier's and the second judge's labels of the samples;
    ``drawn``: the cluster each sample was drawn from; ``train_classes`` / ``train_clusters``: the
    training digits' labels and cluster ids. A cluster is *mixed* when its largest class holds less than
    ``pure`` of its training digits (a reading line, not a test). Returns, per cluster drawn, its majority
    share, samples and disagreements, and overall: the share of samples drawn from mixed clusters, the
    share of the disagreements that come from them, and the disagreement rate in pure and in mixed ones
    (NaN where none is drawn)."""
    first, second, drawn = np.asarray(first), np.asarray(second), np.asarray(drawn)
    train_classes, train_clusters = np.asarray(train_classes), np.asarray(train_clusters)
    majority = {
        int(k): float(np.bincount(train_classes[train_clusters == k]).max() / (train_clusters == k).sum())
        for k in np.unique(train_clusters)
    }
    miss = first != second
    mixed = np.array([majority[int(k)] < pure for k in drawn], dtype=bool)

    def rate(mask):
        return float(miss[mask].mean()) if mask.any() else float("nan")

    return {
        "clusters": [
            {
                "cluster": int(k),
                "majority": majority[int(k)],
                "samples": int((drawn == k).sum()),
                "disagree": int(miss[drawn == k].sum()),
            }
            for k in np.unique(drawn)
        ],
        "mixed_clusters": sum(m < pure for m in majority.values()),
        "all_clusters": len(majority),
        "mixed_sample_share": float(mixed.mean()),
        "mixed_disagree_share": float(mixed[miss].mean()) if miss.any() else float("nan"),
        "rate_pure": rate(~mixed),
        "rate_mixed": rate(mixed),
    }


def blame_run(run: Path, n: int = 2000) -> dict:
    """:func:`cluster_blame` on ``n`` samples of a self-conditioned run's EMA generator (the latents of
    ``--recognise``) and its own training clusters."""
    from divergan.data import get_dataset
    from divergan.errors import UserError
    from divergan.train.loop import load_run

    cfg, parts, _ = load_run(run)
    if not cfg.clusters:
        raise UserError(f"--blame reads a self-conditioned run (clusters=k); {run} has none")
    data = get_dataset(cfg.data, **cfg.data_params)
    judge = second_judge((data.points + 1) / 2, data.labels)
    images, drawn = fixed_samples(cfg, parts, n, with_labels=True)
    images = (images + 1) / 2
    second = judge.predict(images.reshape(len(images), -1).numpy())
    classes, clusters = data.labels.numpy(), parts.dataset.labels.numpy()
    out = cluster_blame(digit_labels(images), second, drawn.numpy(), classes, clusters)
    # the control: the 4,500 training digits in their own clusters, the second judge reading each without
    # its own copies (as real_reference does); the samples are drawn at these clusters' shares
    train = (data.points + 1) / 2
    real = cluster_blame(
        digit_labels(train), leave_one_out_labels(train, data.labels), clusters, classes, clusters
    )
    out["real"] = {k: v for k, v in real.items() if k != "clusters"}
    return out


def blame_table(rows: list[dict]) -> str:
    """The ``mnist-blame`` section: one line per run of :func:`blame_run`."""
    lines = [
        "Where the two judges of `--recognise` disagree, by the cluster each sample was drawn from (`--blame RUN`; "
        "the same 2,000 samples; the clusters read afterwards against the digits' labels, analysis only). "
        "Mixed: the cluster's largest class holds under 90 % of its training digits.",
        "",
        "| run | mixed clusters | samples from mixed clusters | disagreements from mixed clusters "
        "| disagreement rate: pure / mixed clusters | the same for the 4,500 training digits (leave-one-out) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        real = r["real"]
        lines.append(
            f"| {r['label']} | {r['mixed_clusters']} of {r['all_clusters']} | {r['mixed_sample_share']:.1%} "
            f"| {r['mixed_disagree_share']:.1%} | {r['rate_pure']:.1%} / {r['rate_mixed']:.1%} "
            f"| {real['mixed_sample_share']:.1%} of digits, {real['mixed_disagree_share']:.1%} of disagreements; "
            f"{real['rate_pure']:.1%} / {real['rate_mixed']:.1%} |"
        )
    return "\n".join(lines) + "\n"


def recognise_table(rows: list[dict], ref: dict | None = None, calibration: list[dict] | None = None) -> str:
    """The ``mnist-recognisable`` section: per run, the per-class verdicts of :func:`recognisable` (against
    the 500 held-out digits, as each row was judged) and, with the 5,000-digit reference ``ref``, those of
    :func:`recognisable_together`; then the simulated calibration of both, if given."""
    out = [
        "| run | samples per class 0–9 (shipped classifier) | second judge agrees, per class 0–9 (%) "
        "| recognisable: family-wise, 5,000 real digits | per class, 500 held-out (✗) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        marks = ", ".join(
            f"{100 * a:.0f}" + ("" if ok else "✗") for a, ok in zip(r["agree"], r["recognisable"])
        )
        together = "—"
        if ref is not None:
            kept = recognisable_together(r["agree"], r["counts"], ref["agree"], ref["counts"])
            failed = [str(c) for c, ok in enumerate(kept) if not ok]
            together = f"**{sum(kept)} of 10**" + (f" (not: {', '.join(failed)})" if failed else "")
        out.append(
            f"| {r['label']} | {', '.join(map(str, r['counts']))} | {marks} | {together} "
            f"| {sum(r['recognisable'])} of 10 |"
        )
    if rows:
        real = rows[-1]
        out.append(
            f"| 500 held-out real digits | {', '.join(map(str, real['real_counts']))} | "
            f"{', '.join(f'{100 * a:.0f}' for a in real['real_agree'])} | — | — |"
        )
    if ref is not None:
        out.append(
            f"| 4,500 training digits, each read without its own copies | "
            f"{', '.join(map(str, ref['training_counts']))} | "
            f"{', '.join(f'{100 * a:.0f}' for a in ref['training_agree'])} | — | — |"
        )
    out += [
        "",
        "2,000 samples G(z) of the EMA generator (fixed latents), each labelled by the shipped classifier; the "
        "second judge is a 5-nearest-neighbour classifier on the pixels of the 4,500 training digits, each also "
        "shifted by up to 2 px and thickened (3×3 dilation), so that position and stroke width do not count. "
        "Family-wise: a class is not recognisable when Holm's test over the ten classes' one-sided Fisher exact "
        "tests (family-wise 5 %) finds its agreement below that of all 5,000 real digits of the class (the 500 "
        "held-out ones, and the 4,500 training ones each read leave-one-out). ✗ (the verdict of the rows "
        "before 2 December night, kept): the per-class one-sided two-proportion z test at 5 % against the 500 "
        "held-out digits alone.",
    ]
    if calibration:
        out += [
            "",
            "How often each verdict fails, on simulated runs (`--calibrate`: 200 samples per class; every class "
            f"read as often as real digits but class {calibration[0]['class']}, the lowest, lowered by the drop; "
            "the references drawn again each run):",
            "",
            "| drop of one class's agreement (points) | all ten recognisable: family-wise | per class | "
            "that class flagged: family-wise | per class |",
            "|---|---|---|---|---|",
        ]
        for c in calibration:
            out.append(
                f"| {100 * c['drop']:.0f} | {100 * c['together_all']:.1f} % | {100 * c['per_class_all']:.1f} % "
                f"| {100 * c['together_flag']:.1f} % | {100 * c['per_class_flag']:.1f} % |"
            )
    return "\n".join(out)


def recognise_section(rows: list[dict]) -> str:
    """:func:`recognise_table` with the cached reference and calibration (computed if missing)."""
    calibration = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else None
    return recognise_table(rows, real_reference(), calibration)


def trajectory_table(rows: list[dict]) -> str:
    out = [
        "| run | step: class KL to uniform (FD) | classes 0–9 at the last step "
        "| precision per class 0–9 at the last step (%) | CPU s (wall s, load) |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        points = " · ".join(
            f"{p['step']:,}: {p['kl_uniform']:.3f} ({p['fd']:.2f}"
            + (f"; critic gap {p['critic_gap']:+.2f})" if "critic_gap" in p else ")")
            for p in r["points"]
        )
        cost = f"{r['cpu_s']:.0f} ({r['wall_s']:.0f}, {r['load']})" if "cpu_s" in r else "—"
        last = r["points"][-1]
        prec = (
            ", ".join(f"{100 * v:.0f}" for v in last["class_precision"]) if "class_precision" in last else "—"
        )
        out.append(f"| {r['label']} | {points} | {', '.join(map(str, last['classes']))} | {prec} | {cost} |")
    held = [
        r["points"][-1]["held_out_class_precision"]
        for r in rows
        if "held_out_class_precision" in r["points"][-1]
    ]
    out += [
        "",
        "2,000 samples of the EMA generator at each checkpoint, from one fixed latent batch, against 2,000 "
        "training digits (`--trajectory RUN`). Precision per class: of the samples the shipped classifier "
        "labels c, the share inside the 2,000 training digits' manifold in its features (k = 3). Critic gap "
        "(where measured): the critic's mean output on 500 training digits minus that on the 500 held-out "
        "digits, ≈ 0 unless it has learnt its training images"
        + (
            f"; the 500 held-out real digits score {', '.join(f'{100 * v:.0f}' for v in held[-1])}"
            if held
            else ""
        )
        + ". CPU s: the training process's user + sys time at one thread; wall s on the shared machine, "
        "whose 1-minute load average at the end is given.",
    ]
    return "\n".join(out)


def cluster_purity(classes: np.ndarray, clusters: np.ndarray) -> tuple[float, list[float]]:
    """How well clusters follow classes, read with the labels afterwards (analysis, never training).

    Each cluster is named after its majority class (the lowest on a tie). Purity: the fraction of images
    whose cluster is named after their own class. Per class c: the share of the images of class c that
    sit in a cluster named c (0 when no cluster is, e.g. a class split among clusters that others hold).
    """
    classes, clusters = np.asarray(classes), np.asarray(clusters)
    named = {k: np.bincount(classes[clusters == k]).argmax() for k in np.unique(clusters)}
    own = np.array([named[k] for k in clusters]) == classes
    return float(own.mean()), [float(own[classes == c].mean()) for c in range(int(classes.max()) + 1)]


def preset_purity(seeds: list[int], name: str = "mnist-unconditional") -> list[dict]:
    """:func:`cluster_purity` of the preset's training clusters for each seed (as its runs cluster)."""
    from divergan.data import get_dataset
    from divergan.data.clusters import cluster_dataset
    from divergan.train.config import preset

    cfg = preset(name)
    data = get_dataset(cfg.data, **cfg.data_params)
    rows = []
    for seed in seeds:
        ids = cluster_dataset(data, cfg.clusters, seed=seed, space=cfg.cluster_space).labels
        purity, own = cluster_purity(data.labels.numpy(), ids.numpy())
        rows.append({"preset": name, "seed": seed, "purity": purity, "own_cluster_share": own})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default="mnist,mnist-unconditional", help="comma-separated preset names")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to every run")
    ap.add_argument("--label", default="", help="what the rows measured, shown beside their names")
    ap.add_argument("--keep", type=Path, help="leave each run folder in this folder (default: deleted)")
    ap.add_argument(
        "--table-only", action="store_true", help="rewrite the docs table from the results, no run"
    )
    ap.add_argument(
        "--trajectory",
        type=Path,
        metavar="RUN",
        help="only: the class KL and FD of each kept "
        "checkpoint of this run folder (see --keep), a row of the trajectory table named --label",
    )
    ap.add_argument("--every", type=int, default=500, help="--trajectory: the checkpoints' step interval")
    ap.add_argument(
        "--recognise",
        type=Path,
        metavar="RUN",
        help="only: the two judges' agreement per class on samples of this run, a row named --label",
    )
    ap.add_argument(
        "--calibrate",
        type=int,
        metavar="REPS",
        help="only: simulate REPS runs per drop to calibrate both recognisability verdicts "
        "(benchmarks/results/mnist_calibration.json), and rewrite their section",
    )
    ap.add_argument(
        "--purity",
        type=parse_seeds,
        metavar="SEEDS",
        help="only: the preset's clusters read against the labels for these seeds (0-5 or 0,3,5; analysis only), "
        "benchmarks/results/mnist_cluster_purity.json",
    )
    ap.add_argument(
        "--blame",
        type=Path,
        metavar="RUN",
        help="only: where the two judges disagree, by cluster, on samples of this self-conditioned run "
        "(analysis only), a row named --label of benchmarks/results/mnist_cluster_blame.json",
    )
    args = ap.parse_args()
    if args.blame:
        row = {"label": args.label or args.blame.name, **blame_run(args.blame)}
        print(json.dumps({k: v for k, v in row.items() if k != "clusters"}), flush=True)
        rows = json.loads(BLAME.read_text()) if BLAME.exists() else []
        rows = relabelled(rows, row)
        BLAME.write_text(json.dumps(rows, indent=2) + "\n")
        write_section("mnist-blame", blame_table(rows))
        return
    if args.purity:
        rows = preset_purity(args.purity)
        PURITY.write_text(json.dumps(rows, indent=2) + "\n")
        return
    if args.recognise:
        row = {"label": args.label or args.recognise.name, **recognise_run(args.recognise)}
        print(json.dumps(row), flush=True)
        # read after the judging, not before it: two invocations side by side keep each other's rows
        rows = json.loads(RECOGNISED.read_text()) if RECOGNISED.exists() else []
        rows = relabelled(rows, row)
        RECOGNISED.write_text(json.dumps(rows, indent=2) + "\n")
        write_section("mnist-recognisable", recognise_section(rows))
        return
    if args.calibrate:
        CALIBRATION.write_text(json.dumps(calibrate(real_reference(), reps=args.calibrate), indent=2) + "\n")
        rows = json.loads(RECOGNISED.read_text()) if RECOGNISED.exists() else []
        write_section("mnist-recognisable", recognise_section(rows))
        return
    if args.trajectory:
        rows = json.loads(TRAJECTORIES.read_text()) if TRAJECTORIES.exists() else []
        row = {
            "label": args.label or args.trajectory.name,
            "points": checkpoint_metrics(args.trajectory, args.every),
        }
        for r in json.loads(RESULTS.read_text()) if RESULTS.exists() else []:
            if r.get("label") == row["label"]:  # the preset run of that name: its cost
                load = r["machine"].partition("load average ")[2].split(" ")[0]
                row.update(cpu_s=r["cpu_s"], wall_s=r["wall_s"], load=load)
        print(json.dumps(row), flush=True)
        rows = relabelled(rows, row)
        TRAJECTORIES.write_text(json.dumps(rows, indent=2) + "\n")
        write_section("mnist-trajectory", trajectory_table(rows))
        return
    extra = [a for kv in args.set for a in ("--set", kv)]
    for name in [] if args.table_only else args.presets.split(","):
        row = run_preset(name, extra, args.keep) | ({"label": args.label} if args.label else {})
        print(json.dumps(row), flush=True)
        # read after the run, not before it: two invocations side by side keep each other's rows
        rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
        rows = merged(rows, row)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    write_section("mnist-preset", table(json.loads(RESULTS.read_text()) if RESULTS.exists() else []))


if __name__ == "__main__":
    with user_errors():  # a run folder that is not one, a run without clusters
        main()
