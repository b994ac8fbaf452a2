"""Does a style run's critic memorise its training digits? Its verdict on training, held-out and generated digits.

A diagnostic, not a judge and not training. At each run's last checkpoint the critic scores the run's 4,500
training digits, its 500 held-out digits (each with the cluster the run gave it, for a self-conditioned run)
and 500 samples of the generator it played against (not the EMA; ψ = 1, each with the cluster its latent
picked). Reported per run:

* ADA's overfitting heuristic r_t = E[sign D(x)] on the training digits (Karras et al. 2020, "Training
  Generative Adversarial Networks with Limited Data", eq. 1): 0 when the critic cannot tell its training
  digits from fakes, 1 when it calls every one of them real; ADA holds it at 0.6 by augmenting;
* the same sign mean on the held-out digits, which the critic never saw: a critic that learnt the
  distribution scores them as it scores the training digits, one that memorised scores them lower;
* the mean logit on training minus held-out digits (0 for a critic that generalises, up to noise);
* the sign mean on the generated digits.

    .venv/bin/python benchmarks/style_overfit.py RUN [RUN ...] [--label NAME ...]

Writes benchmarks/results/style_overfit.json and the section ``style-overfit`` of docs/applications.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from _doc import ROOT, add_label_option, machine, run_labels, user_errors, write_section

RESULTS = ROOT / "benchmarks" / "results" / "style_overfit.json"
DOC = ROOT / "docs" / "applications.md"
FAKES = 500


def sign_mean(logits: torch.Tensor) -> float:
    """E[sign t]: the share of inputs called real minus the share called fake (0 counts as neither)."""
    return float(logits.sign().double().mean())


def overfit_stats(train: torch.Tensor, held: torch.Tensor, fake: torch.Tensor) -> dict[str, float]:
    """The critic's logits on training, held-out and generated digits, summarised (module docstring)."""
    return {
        "r_train": sign_mean(train),
        "r_held": sign_mean(held),
        "r_fake": sign_mean(fake),
        "gap": float(train.double().mean() - held.double().mean()),
    }


@torch.no_grad()
def critic_measure(parts, data) -> dict[str, float]:
    """:func:`overfit_stats` of a run's critic (``parts.critic``) against its generator and its data."""
    D, G = parts.critic, parts.generator

    def score(x: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        return torch.cat(
            [
                D(x[i : i + 500], None if c is None else c[i : i + 500]).reshape(-1)
                for i in range(0, len(x), 500)
            ]
        )

    g = torch.Generator().manual_seed(5)
    torch.manual_seed(5)  # the per-pixel noise
    z = torch.randn(FAKES, G.z_dim, generator=g)
    c = G.cluster_of(z) if G.clusters else None
    return overfit_stats(
        score(data.train, data.train_ids), score(data.held_out, data.held_out_ids), score(G(z, c=c), c)
    )


def run_measure(run: Path) -> dict:
    from divergan.apps import load_run
    from divergan.apps.style import load_data
    from divergan.errors import UserError

    cfg, parts, meta, _ = load_run(run)
    if cfg.app != "style" or cfg.data != "mnist":
        raise UserError(f"{run} is not a style run on MNIST")
    data = load_data(cfg, torch.Generator().manual_seed(cfg.seed))  # as the run split and clustered them
    return {"run": str(run), "seed": cfg.seed, "step": int(meta["step"]), **critic_measure(parts, data)}


def text(rows: list[dict]) -> str:
    lines = [
        "| run | step | r_t: sign mean on its training digits | on the held-out digits | mean logit, training "
        "− held-out | sign mean on its generator's digits |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['label']} | {r['step']:,} | {r['r_train']:.3f} | {r['r_held']:.3f} | {r['gap']:.2f} | "
            f"{r['r_fake']:+.3f} |"
        )
    lines += ["", f"Machine: {machine()}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", type=Path, nargs="+", help="finished style-mnist run folders")
    add_label_option(ap, default="the folder's name")
    args = ap.parse_args()
    with user_errors():
        labels = run_labels(args.runs, args.label, default_to_names=True)
        torch.set_num_threads(2)
        rows = [{"label": lab, **run_measure(run)} for run, lab in zip(args.runs, labels)]
        RESULTS.write_text(json.dumps(rows, indent=1) + "\n")
        body = text(rows)
        write_section("style-overfit", body, doc=DOC)
        print(body)


if __name__ == "__main__":
    main()
