"""The ``style-mnist`` preset end to end: time, the digit classifier's verdict, truncation and style mixing.

Trains ``divergan train --preset style-mnist --set threads=1`` in a child process (its CPU time and peak
RSS from ``wait4``; at one thread the CPU time is what the run takes on an idle core), or reads a finished
run (``--run DIR``). The run's ``final_metrics.json`` holds the judgement (:func:`divergan.apps.style.judge`):
2,000 samples of the EMA generator at ψ = 1 against 2,000 training digits in the shipped digit
classifier's features (FD, class KL to uniform, precision/recall, as the DCGAN ``mnist`` presets in
docs/benchmarks.md), precision/recall per ψ, and style mixing at each crossover. Writes the section
``style-mnist`` of docs/applications.md, the figures docs/applications/style-mnist-*.png and
benchmarks/results/apps_style.json.

    .venv/bin/python benchmarks/apps_style.py                      # trains (about 15 CPU minutes)
    .venv/bin/python benchmarks/apps_style.py --run runs/style-mnist --cpu-seconds 900

A run that is not the preset as shipped (``--set`` overrides) can be recorded beside it with ``--name NAME``:
the section ``NAME`` of docs/applications-runs.md (the screens' record, appended at its end if absent), the
figures docs/applications/NAME-*.png and benchmarks/results/apps_style-NAME.json, leaving the preset's own alone.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shutil
from pathlib import Path

import torch

from _doc import ROOT, machine, run_train, user_errors, write_section
from fd_draws import RESULTS as DRAWS
from mnist_preset import trained

DOC = ROOT / "docs" / "applications.md"
RUNS_DOC = ROOT / "docs" / "applications-runs.md"  # every other run's section: the screens, run by run
FIGURES = ROOT / "docs" / "applications"
RESULTS = ROOT / "benchmarks" / "results" / "apps_style.json"
DCGAN = ROOT / "benchmarks" / "results" / "mnist_preset.json"

#: the targets of the style generator (issue "A style generator worth its name")
FD_FACTOR = 1.5  # FD at most 1.5 × the DCGAN mnist-unconditional preset's, both read over ten draws
FD_DRAWS = 10  # independent draws of 2,000 samples behind each side's FD (benchmarks/fd_draws.py)
DCGAN_DRAWS = "DCGAN mnist-unconditional"  # the label of the DCGAN preset's rows in fd_draws.json begins so
KL_MAX = 0.05  # class KL to uniform (nats)
KEEPS_COARSE_MIN = 0.80  # mixing at coarse layers keeps the coarse source's class
# truncation: a change of precision or recall counts beyond 3 standard errors of the paired change
TREND_Z = 3.0


def train(out: Path, extra: list[str]) -> dict:
    """``divergan train --preset style-mnist`` in a child process; wall and CPU seconds, peak RSS."""
    threads = [] if any(a.startswith("threads=") for a in extra) else ["--set", "threads=1"]
    timing = run_train(["--preset", "style-mnist", "--out", str(out), *threads, *extra])
    return {
        "wall_s": timing["wall_s"],
        "cpu_s": timing["cpu_s"],
        "peak_rss_mib": timing["peak_rss_mib"],
        "load_before": [round(x, 1) for x in timing["load_at_start"]],
        "command": " ".join(["divergan train --preset style-mnist", *threads, *extra]),
    }


JUDGED = ("direct", "truncation", "truncation_multimodal", "mixing", "rows")


def judged(run: Path, name: str = "style-mnist") -> dict:
    """The run's final metrics, with the judgement computed from its checkpoint if they lack part of it;
    and the multi-modal truncation strip (each row one z at ψ = 0, 1/8, …, 1 toward its nearest centre)."""
    from divergan import apps
    from divergan.apps.style import (
        judge,
        judge_reals,
        mixing_measure,
        row_measure,
        truncation_readings,
        truncation_strip,
        w_centres,
    )
    from divergan.figures.grids import save_grid
    from divergan.metrics.images import extract, resolve_feature_net

    final = json.loads((run / "final_metrics.json").read_text())
    cfg, parts, _, _ = apps.load_run(run)
    if not all(k in final for k in JUDGED) or "unsure" not in final["direct"]:
        final.update(judge(parts.ema, parts.dataset))  # (a run judged before the empty/unsure counts, too)
    if "precision_se_first" not in final["truncation"][-1]:
        # judged before the truncation tables carried the standard errors of their paired changes
        net = resolve_feature_net("digits")
        real_features = extract(judge_reals(parts.dataset, torch.Generator().manual_seed(0)), net)[0]
        final.update(truncation_readings(parts.ema, net, real_features))
    if "width_slope_fine" not in final["mixing"][0] or "change" not in final["rows"][0]:
        # a run measured before the stroke width and the slopes: style mixing and the rows again
        net, ema = resolve_feature_net("digits"), parts.ema
        final["mixing"] = [mixing_measure(ema, net, r) for r in ema.synthesis.resolutions[1:]]
        final["rows"] = row_measure(ema, net)
    final["coarse_crossover"] = coarse_crossover(parts.ema.synthesis.resolutions, cfg.cluster_until)
    fixed = torch.Generator().manual_seed(12345)  # the z of the run's own truncation strip (finish)
    z_rows = torch.randn(5, cfg.z_dim, generator=fixed)
    strip = truncation_strip(parts.ema, z_rows, [i / 8 for i in range(9)], centres=w_centres(parts.ema))
    save_grid(strip, FIGURES / f"{name}-truncation-multimodal.png", nrow=9, scale=4)
    return final


def over_draws(run: Path, draws: int = FD_DRAWS) -> dict:
    """FD and the unsure share of ``draws`` independent draws of 2,000 samples of the run's EMA generator,
    each against the same 2,000 training digits (benchmarks/fd_draws.py's protocol and seeds, so the two
    scripts agree on one run): {"fd": {"mean", "sd", "all"}, "unsure": {…}}."""
    import fd_draws
    from divergan.metrics.images import extract, resolve_feature_net

    model = fd_draws.loaded(run)
    net = resolve_feature_net("digits")
    ref, _ = fd_draws.reference()
    real_features, real_logits = extract(ref, net)
    row = fd_draws.measure_run(run, model, draws, real_features, real_logits, net)
    return {k: row[k] for k in ("fd", "unsure")}


def dcgan_over_draws(path: Path = DRAWS) -> tuple[str, dict] | None:
    """The DCGAN ``mnist-unconditional`` preset's newest row in fd_draws.json (label, row), or None."""
    if not path.exists():
        return None
    rows = [(k, v) for k, v in json.loads(path.read_text())["runs"].items() if k.startswith(DCGAN_DRAWS)]
    return rows[-1] if rows else None


def fd_sentence(d: dict, final: dict, ref_fd: float, dcgan_draws: tuple[str, dict] | None) -> str:
    """The FD target. Both sides read alike: the means of ten draws of 2,000 samples against one set of
    2,000 training digits, when the run and the DCGAN reference have them; a single draw beside (an FD of one
    draw moves by about 0.02 from draw to draw, a quarter of the bound). Without ten draws on both sides,
    the single draws alone decide, as before 5 December night."""
    one = (
        f"one draw (the run's own judgement against the DCGAN preset's, docs/benchmarks.md): {d['fd']:.3f} "
        f"against {FD_FACTOR} × {ref_fd:.3f} = {FD_FACTOR * ref_fd:.3f}"
    )
    if "draws" not in final or dcgan_draws is None:
        return f"FD ≤ {FD_FACTOR} × the DCGAN preset's, {one}: {verdict(d['fd'] <= FD_FACTOR * ref_fd)}"
    mine, (label, theirs) = final["draws"]["fd"], dcgan_draws
    bound = FD_FACTOR * theirs["fd"]["mean"]
    k = len(mine["all"])
    return (
        f"FD ≤ {FD_FACTOR} × the DCGAN preset's, both over {k} draws of 2,000 samples against the same 2,000 "
        f"training digits (benchmarks/fd_draws.py): {mine['mean']:.3f} ± {mine['sd'] / math.sqrt(k):.3f} "
        f"(SD over the draws {mine['sd']:.3f}) against {FD_FACTOR} × {theirs['fd']['mean']:.3f} = {bound:.3f} "
        f"({label}): {verdict(mine['mean'] <= bound)}; beside it, {one} "
        f"({'within' if d['fd'] <= FD_FACTOR * ref_fd else 'over'})"
    )


def coarse_crossover(resolutions: list[int], cluster_until: int) -> int:
    """The judged crossover: the first block after the coarse layers. Those are the blocks the cluster
    conditions (``cluster_until``), or else every block below the output size (7 and 14 px at 28 px)."""
    return resolutions[resolutions.index(cluster_until) + 1] if cluster_until else resolutions[-1]


def coarse_mix(final: dict) -> dict:
    """The style-mixing reading at the judged crossover (``final["coarse_crossover"]``)."""
    return next(m for m in final["mixing"] if m["resolution"] == final["coarse_crossover"])


def pr_figure(final: dict, path: Path) -> None:
    """Precision and recall against ψ, toward w̄ (solid) and toward the nearest centre (dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 3.2), dpi=120)
    for key, style, name in (
        ("truncation", "-", "toward w̄"),
        ("truncation_multimodal", "--", "nearest centre"),
    ):
        rows = final[key]
        psi = [r["psi"] for r in rows]
        ax.plot(psi, [r["precision"] for r in rows], "o" + style, color="C0", label=f"precision, {name}")
        ax.plot(psi, [r["recall"] for r in rows], "s" + style, color="C1", label=f"recall, {name}")
    if "real_precision" in final:
        ax.axhline(
            final["real_precision"]["precision"],
            color="grey",
            lw=0.8,
            ls=":",
            label="precision of real digits",
        )
    ax.set_xlabel("truncation ψ")
    ax.set_ylabel("k = 3, digit-classifier features")
    ax.set_ylim(0, 1)
    ax.invert_xaxis()
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def real_precision(run: Path) -> dict:
    """Precision/recall of 2,000 real training digits against 2,000 others (the judge's reals are the
    first 2,000 of its permutation, these the next 2,000): the level a generator as good as the data
    reaches, at this k and sample size."""
    from divergan import apps
    from divergan.apps.style import JUDGE_SAMPLES, _unit
    from divergan.metrics.features import precision_recall_density_coverage
    from divergan.metrics.images import extract, resolve_feature_net

    _, parts, _, _ = apps.load_run(run)
    train = parts.dataset.train
    perm = torch.randperm(len(train), generator=torch.Generator().manual_seed(0))
    net = resolve_feature_net("digits")
    a = extract(_unit(train[perm[:JUDGE_SAMPLES]]), net)[0]
    b = extract(_unit(train[perm[JUDGE_SAMPLES : 2 * JUDGE_SAMPLES]]), net)[0]
    return precision_recall_density_coverage(a, b, k_pr=3, k_dc=5)


def copy_figures(run: Path, final: dict, prefix: str = "style-mnist") -> list[str]:
    FIGURES.mkdir(parents=True, exist_ok=True)
    names = ["samples", "truncation", *(f"mixing-{m['resolution']}" for m in final["mixing"])]
    for name in names:
        shutil.copyfile(run / f"{name}.png", FIGURES / f"{prefix}-{name}.png")
    pr_figure(final, FIGURES / f"{prefix}-truncation-pr.png")
    return names


def command(run: Path) -> str:
    """The ``divergan train`` command of a finished run: the preset and the settings of its config.json that
    differ from the preset's."""
    from divergan import apps
    from divergan.train.runs import run_config

    config, preset = run_config(run).to_json(), apps.preset("style-mnist").to_json()
    changed = [
        f"--set {k}={json.dumps(v) if not isinstance(v, str) else v}"
        for k, v in config.items()
        if preset.get(k) != v
    ]
    return " ".join(["divergan train --preset style-mnist", *changed])


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def section(
    final: dict, timing: dict, dcgan: dict | None, dcgan_draws: tuple[str, dict] | None = None
) -> str:
    d = final["direct"]
    ref_fd = dcgan["metrics"]["fd"] if dcgan else float("nan")
    rows, mm, real = final["truncation"], final["truncation_multimodal"], final["real_precision"]
    coarse = coarse_mix(final)
    layer_names_ = layer_names([int(r) for r in final["crossover_rows"]], final["num_ws"])
    out = [
        f"`{timing.get('command', 'divergan train --preset style-mnist --set threads=1')}`: "
        f"{final['steps']:,} steps, {timing_sentence(final, timing)} Machine: {timing.get('machine', machine())}.",
        "",
        "The generator's own samples (ψ = 1, random noise), judged as the DCGAN `mnist` presets are: "
        f"{d['num_fake']:,} EMA samples against {d['num_real']:,} training digits in the shipped digit "
        "classifier's features.",
        "",
        "| run | classes 0–9 of the samples | KL to uniform | FD | KID | precision / recall "
        "| density / coverage | mean ink (real) |",
        "|---|---|---|---|---|---|---|---|",
        f"| `style-mnist` | {', '.join(map(str, d['class_histogram']))} | {d['kl_uniform']:.3f} | {d['fd']:.3f} "
        f"| {d['kid_mean']:.4f} ± {d['kid_std']:.4f} | {d['precision']:.3f} / {d['recall']:.3f} "
        f"| {d['density']:.3f} / {d['coverage']:.3f} | {d['ink']:.3f} ({d['real_ink']:.3f}) |",
    ]
    if dcgan:
        m = dcgan["metrics"]
        out.append(
            f"| DCGAN `mnist-unconditional` (docs/benchmarks.md) | {', '.join(map(str, m['class_histogram']))} "
            f"| {m['kl_uniform']:.3f} | {m['fd']:.3f} | {m['kid_mean']:.4f} ± {m['kid_std']:.4f} "
            f"| {m['precision']:.3f} / {m['recall']:.3f} | {m['density']:.3f} / {m['coverage']:.3f} | |"
        )
    out += [
        "",
        f"Targets: {fd_sentence(d, final, ref_fd, dcgan_draws)}; class KL ≤ {KL_MAX}: {d['kl_uniform']:.3f}, "
        f"{verdict(d['kl_uniform'] <= KL_MAX)}.",
    ]
    if "unsure" in d:
        n, p = d["num_fake"], d["real_unsure"]
        bound = share_bound(p, n, n, floor=1 / n)
        out += [
            "",
            f"No empty or blotched samples: empty (fewer inked pixels than half the sparsest real digit's "
            f"{d['real_min_inked']}): {d['empty']} of {n:,}, {verdict(d['empty'] == 0)}; samples the digit "
            f"classifier is unsure of (top class probability < 0.5): {100 * d['unsure']:.1f} % against "
            f"{100 * p:.1f} % of real digits, as clean as the real digits (at most 3 standard deviations of "
            f"the difference above them, {100 * bound:.1f} %): {verdict(d['unsure'] <= bound)}"
            + (
                f" (over {len(final['draws']['unsure']['all'])} draws: {100 * final['draws']['unsure']['mean']:.1f}"
                f" ± {100 * final['draws']['unsure']['sd']:.1f} %, SD over the draws)."
                if "draws" in final
                else "."
            ),
        ]
    out += [
        "",
        "Truncation (the same 2,000 z and noise at every ψ; precision/recall k = 3, density/coverage k = 5, "
        "in the classifier's features). Toward the running mean w̄ (StyleGAN's trick, the generator's own):",
        "",
        *truncation_table(rows),
        "",
        f"{trend_sentence(rows)} Real digits against real digits (2,000 training digits against 2,000 "
        f"others): precision {real['precision']:.3f}, recall {real['recall']:.3f}, density "
        f"{real['density']:.3f}, coverage {real['coverage']:.3f}.",
        "",
        f"Beside it, labelled: multi-modal truncation toward the nearest of {final['centres']} k-means centres of "
        "the generator's own w (20,000 z; nothing about the digits is used):",
        "",
        *truncation_table(mm),
        "",
        trend_sentence(mm),
        "",
        "Style mixing (const noise, ψ = 1; the coarse source z₁ sets the rows before the crossover block, "
        f"the fine source z₂ that block and the rest; {final['mixing'][0]['pairs']:,} pairs). Stroke width "
        "= ink over the strokes crossed by the rows and columns (`stroke_width`), slant = −μ₁₁/μ₀₂; for each, "
        "the least-squares slope of the mix's value on the fine and on the coarse source's (1: the mix "
        "copies that source, 0: it does not follow it) and, in brackets, on the fine source of another pair "
        "(chance). Control: the largest pixel change when the fine source is the coarse source itself.",
        "",
        "| crossover at | mix has the coarse source's class | … the fine source's | sources of one class "
        "| width slope on fine / coarse (chance) | slant slope on fine / coarse (chance) | control |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {m['resolution']} px (row {m['crossover_row']}) | {100 * m['keeps_coarse_class']:.1f}% "
            f"| {100 * m['takes_fine_class']:.1f}% | {100 * m['sources_agree']:.1f}% "
            f"| {m['width_slope_fine']:.2f} ± {m['width_slope_se']:.2f} / {m['width_slope_coarse']:.2f} "
            f"({m['width_slope_null']:.2f}) "
            f"| {m['slant_slope_fine']:.2f} ± {m['slant_slope_se']:.2f} / {m['slant_slope_coarse']:.2f} "
            f"({m['slant_slope_null']:.2f}) | {m['control_change']:.0f} |"
            for m in final["mixing"]
        ),
        "",
        f"Mixing at the coarse layers (crossover at {coarse['resolution']} px) keeps the coarse class in "
        f"≥ {100 * KEEPS_COARSE_MIN:.0f}% of pairs: {100 * coarse['keeps_coarse_class']:.1f}%, "
        f"{verdict(coarse['keeps_coarse_class'] >= KEEPS_COARSE_MIN)}. The fine source sets the stroke "
        "width (slope on the fine source above the slope on the coarse one and above 3 standard errors): "
        f"{coarse['width_slope_fine']:.2f} ± {coarse['width_slope_se']:.2f} against "
        f"{coarse['width_slope_coarse']:.2f}, {verdict(sets(coarse, 'width') and frame_clean(coarse, d))}"
        f"{frame_sentence(coarse, d)}; the slant: "
        f"{coarse['slant_slope_fine']:.2f} ± {coarse['slant_slope_se']:.2f} against "
        f"{coarse['slant_slope_coarse']:.2f}, {verdict(sets(coarse, 'slant'))}.",
        "",
        "One row of ws at a time from z₂ (the rest from z₁, the same pairs): where the class and the stroke "
        "are decided. Pixel change: root-mean-square change of z₁'s image over that between z₁'s and z₂'s "
        "(0: the layer ignores its style).",
        "",
        "| row | layer | mix keeps z₁'s class | pixel change | width slope on z₂ | slant slope on z₂ |",
        "|---|---|---|---|---|---|",
        *(
            f"| {r['row']} | {layer_names_[r['row']]} | {100 * r['keeps_class']:.1f}% | {r['change']:.3f} "
            f"| {r['width_slope']:.2f} | {r['slant_slope']:.2f} |"
            for r in final["rows"]
        ),
    ]
    return "\n".join(out)


def timing_sentence(final: dict, timing: dict) -> str:
    """What the run cost: measured by this script (wall, CPU, peak RSS, load before), or for ``--run`` the
    CPU seconds given (``--cpu-seconds``) and nothing it did not measure."""
    if "wall_s" in timing:
        threads = [a.split("=", 1)[1] for a in timing.get("command", "").split() if a.startswith("threads=")]
        one = not threads or threads[-1] == "1"
        cost = (
            f"{timing['wall_s']:.0f} s wall, **{timing['cpu_s']:.0f} s CPU** (one thread: the idle-machine time)"
            if one
            else f"**{timing['wall_s']:.0f} s wall** at threads={threads[-1]} ({timing['cpu_s']:.0f} s CPU)"
        )
        return (
            f"{final['train_seconds']:.0f} s of training; the whole process {cost}, "
            f"peak RSS {timing['peak_rss_mib']:.0f} MiB; load average "
            f"{' / '.join(map(str, timing['load_before']))} before it."
        )
    cpu = timing.get("cpu_s", float("nan"))
    told = (
        "CPU time not recorded"
        if cpu != cpu
        else f"**{cpu:.0f} s CPU** at one thread, as given to the script"
    )
    return f"a finished run read by the script ({told}; wall time, memory and load not measured here)."


def layer_names(resolutions: list[int], num_ws: int) -> list[str]:
    """The layer each row of ws styles: at r₀ a conv and a toRGB, then per block up-conv, conv, toRGB; without
    skips (num_ws = 2 + 2·(blocks − 1)) the toRGB of the last block only."""
    skip = num_ws == 2 + 3 * (len(resolutions) - 1)
    names = [f"{resolutions[0]} px conv", *([f"{resolutions[0]} px toRGB"] if skip else [])]
    for r in resolutions[1:]:
        names += [
            f"{r} px up-conv",
            f"{r} px conv",
            *([f"{r} px toRGB"] if skip or r == resolutions[-1] else []),
        ]
    return names


def sets(m: dict, stat: str) -> bool:
    """The fine source sets ``stat`` (width or slant): the mix follows it more than the coarse source, and
    more than chance (3 standard errors of the slope)."""
    fine = m[f"{stat}_slope_fine"]
    return fine > m[f"{stat}_slope_coarse"] and fine > 3 * m[f"{stat}_slope_se"]


def share_bound(p: float, n_a: int, n_b: int, floor: float = 0.0) -> float:
    """The most a share may exceed the real digits' share ``p`` and still count as theirs: p plus 3 standard
    deviations of the difference of two shares, of n_a and n_b images, both drawn at rate p (the variance read
    at max(p, ``floor``), so that a real share of 0 can leave room)."""
    return p + 3 * math.sqrt(max(p, floor) * (1 - p) * (1 / n_a + 1 / n_b))


def frame_bound(mix: dict, direct: dict) -> float | None:
    """The most frame-heavy mixes may be (:func:`divergan.apps.style.frame_heavy`) and still count as clean: the
    real digits' share plus 3 standard deviations of the difference of the two shares; None for a run judged
    before the guard existed."""
    if "frame_heavy" not in mix or "real_frame_heavy" not in direct:
        return None
    return share_bound(direct["real_frame_heavy"], direct["num_real"], mix["pairs"])


def frame_clean(mix: dict, direct: dict) -> bool:
    """The mixes put no more ink in the outer frame than real digits do (within the bound); true for a run
    judged before the guard (no reading)."""
    bound = frame_bound(mix, direct)
    return bound is None or mix["frame_heavy"] <= bound


def frame_sentence(mix: dict, direct: dict) -> str:
    bound = frame_bound(mix, direct)
    if bound is None:
        return ""
    return (
        f" (and only with mixes as clean at the border as real digits, since the width reads a background blob "
        f"as a wide stroke: {100 * mix['frame_heavy']:.1f} % of the mixes have over a tenth of their ink in the "
        f"outer frame, their coarse sources {100 * mix['frame_heavy_coarse']:.1f} %, the real digits "
        f"{100 * direct['real_frame_heavy']:.1f} %, bound {100 * bound:.1f} %)"
    )


def monotone(rows: list[dict], z: float = TREND_Z) -> bool:
    """Precision rises and recall falls from the first ψ to the last by more than ``z`` standard errors of the
    paired change, and no step from one ψ to the next goes the other way by more than ``z`` standard errors
    of its change (the rows' "…_se_first" and "…_se_step", :func:`divergan.apps.style.truncation_measure`).
    A table without them (judged before 5 December night) is read strictly, with errors of 0; so is any
    table at z = 0. A recall of 0 at every ψ, which cannot fall, fails."""

    def se(row: dict, key: str) -> float:
        return z * row.get(key, 0.0)

    steps = all(
        b["precision"] >= a["precision"] - se(b, "precision_se_step")
        and b["recall"] <= a["recall"] + se(b, "recall_se_step")
        for a, b in itertools.pairwise(rows)
    )
    first, last = rows[0], rows[-1]
    return (
        steps
        and last["precision"] - first["precision"] > se(last, "precision_se_first")
        and first["recall"] - last["recall"] > se(last, "recall_se_first")
    )


def trend_sentence(rows: list[dict]) -> str:
    """The truncation verdict: the trend beyond the noise (:func:`monotone`), and beside it whether every step
    also goes the trend's way strictly (a tie within the noise can go either way)."""
    first, last = rows[0], rows[-1]
    steps = max((r.get("precision_se_step", 0.0) for r in rows[1:]), default=0.0)
    noise = (
        f"; standard errors of the paired changes: {last.get('precision_se_first', 0.0):.3f} (precision) and "
        f"{last.get('recall_se_first', 0.0):.3f} (recall) from ψ = 1 to 0.5, at most {steps:.3f} for a step of "
        "precision"
        if "precision_se_first" in last
        else ""
    )
    return (
        f"Precision rises and recall falls from ψ = 1 to 0.5 by more than {TREND_Z:g} standard errors of the "
        f"paired change, with no step against the trend by more than {TREND_Z:g} of its standard errors: "
        f"{verdict(monotone(rows))} (precision {first['precision']:.3f} → {last['precision']:.3f}, recall "
        f"{first['recall']:.3f} → {last['recall']:.3f}{noise}). Strictly at every step: "
        f"{'yes' if monotone(rows, 0.0) else 'no'}."
    )


def truncation_table(rows: list[dict]) -> list[str]:
    return [
        "| ψ | precision | recall | density | coverage | FD | class KL to uniform | mean ink |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {r['psi']:g} | {r['precision']:.3f} | {r['recall']:.3f} | {r['density']:.3f} "
            f"| {r['coverage']:.3f} | {r['fd']:.3f} | {r['kl_uniform']:.3f} | {r['ink']:.3f} |"
            for r in rows
        ),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, help="a finished style-mnist run folder (default: train one)")
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "style-mnist", help="where to train")
    ap.add_argument("--cpu-seconds", type=float, help="with --run: the CPU seconds its training took")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to the run")
    ap.add_argument("--name", default="style-mnist", help="section, figure prefix and results of a variant")
    args = ap.parse_args()
    # the preset's own files, or a variant's beside them (its section in the screens' record)
    if args.name == "style-mnist":
        results, doc = RESULTS, DOC
    else:
        results, doc = RESULTS.with_name(f"apps_style-{args.name}.json"), RUNS_DOC
    if args.run is None:
        if args.out.exists():
            from divergan.errors import UserError

            raise UserError(f"{args.out} exists; measure it with --run {args.out} or choose --out")
        timing = train(args.out, [a for kv in args.set for a in ("--set", kv)])
        run = args.out
    else:
        run, timing = args.run, {"cpu_s": args.cpu_seconds or float("nan"), "command": command(args.run)}
        if results.exists():  # the timing of the run that made these numbers, if this script trained it
            old = json.loads(results.read_text())
            if old.get("run") == str(run.resolve()):
                timing = old["timing"]
    timing.setdefault("machine", machine())
    final = judged(run, args.name)
    final["real_precision"] = real_precision(run)
    final["draws"] = over_draws(run)  # the FD target's reading (fd_sentence)
    dcgan = None
    if DCGAN.exists():
        # the newest row of the preset as shipped (no --set that changes training: screens are not it);
        # older rows keep the settings it had when they were measured
        rows = [
            r
            for r in json.loads(DCGAN.read_text())
            if r["preset"] == "mnist-unconditional" and not trained(r["extra"])
        ]
        dcgan = rows[-1] if rows else None
    copy_figures(run, final, args.name)
    results.parent.mkdir(parents=True, exist_ok=True)
    keep = {
        k: final[k]
        for k in (
            "steps",
            "train_seconds",
            *JUDGED,
            "centres",
            "real_precision",
            "variation",
            "coarse_crossover",
            "draws",
        )
    }
    results.write_text(json.dumps({"run": str(run.resolve()), "timing": timing, **keep}, indent=2) + "\n")
    text = section(final, timing, dcgan, dcgan_over_draws())
    write_section(args.name, text, doc=doc)
    print(text)


if __name__ == "__main__":
    with user_errors():  # an existing --out, a --run folder that is not a run
        main()
