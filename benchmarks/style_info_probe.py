"""What does the ``fine_info`` term's Q read? A probe of a finished style run trained with it.

The InfoGAN term (:meth:`divergan.apps.style.StyleGame.fine_info_term`) asks a small Q network to read
two projections t = P w of the fine rows' w from the image. A screen can meet it with a change nobody sees,
so this probe asks what changes. For ``--pairs`` latents z (their clusters from z₀) and fine sources z_a in
z's cluster, the EMA generator draws x₀ (w(z) in every row) and x₁ (w(z_a) from row ``fine_from`` on), both
under the generator's const noise field, so that only the fine styles differ:

- the change: mean |x₁ − x₀| over the image, on the strokes of x₀ (ink ≥ 0.5) and off them (images in [-1, 1]);
- Q's reading of x₁ under random noise, with the run's ``fine_info_noise`` added as the term adds it (the
  trained, not the EMA, Q, which training fits): R² per code, 1 − mean (Q − t̃)² with t̃ the codes
  standardised over the pairs, as the term computes it;
- the correlation of each standardised code with x₁'s stroke width (:func:`divergan.apps.style.stroke_width`)
  and mean ink: what a code would correlate with if the fine styles drew the stroke.

    .venv/bin/python benchmarks/style_info_probe.py RUN [RUN ...] [--label NAME ...] [--pairs 400]

Writes benchmarks/results/style_info_probe.json (rows merged by label). The docs quote it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from _doc import ROOT, add_label_option, machine, run_labels, user_errors

RESULTS = ROOT / "benchmarks" / "results" / "style_info_probe.json"


@torch.no_grad()
def probe(run: Path, pairs: int, seed: int = 0) -> dict:
    from divergan import apps
    from divergan.apps import style
    from divergan.errors import UserError

    cfg, parts, _meta, _app = apps.load_run(run)
    if cfg.app != "style" or not cfg.fine_info:
        raise UserError(f"{run} is not a style run trained with fine_info > 0")
    G, Q = parts.ema, parts.generator.info
    gen = torch.Generator().manual_seed(seed)
    z, za = (torch.randn(pairs, G.z_dim, generator=gen) for _ in range(2))
    c = G.cluster_of(z) if G.clusters else None
    w, wa = G.w(z, c), G.w(za, c)
    fine = style.first_fine_row(G, cfg.fine_from)
    ws = w[:, None].repeat(1, G.num_ws, 1)
    ws_a = ws.clone()
    ws_a[:, fine:] = wa[:, None]
    x0, x1 = G.synthesis(ws, "const"), G.synthesis(ws_a, "const")
    change = (x1 - x0).abs()
    strokes = (x0 + 1) / 2 >= 0.5
    torch.manual_seed(seed)
    t = Q.codes_of(wa)
    t = (t - t.mean(0)) / t.std(0, unbiased=False)
    seen = G.synthesis(ws_a, "random")
    seen = seen + cfg.fine_info_noise * torch.randn(seen.shape, generator=gen)
    r2 = 1 - (Q(seen) - t).square().mean(0)
    ink1 = ((x1 + 1) / 2).clamp(0, 1)
    width, ink = style.stroke_width(ink1), ink1.mean((1, 2, 3))
    return {
        "run": str(run),
        "pairs": pairs,
        "fine_from": fine,
        "fine_info_noise": cfg.fine_info_noise,
        "change": float(change.mean()),
        "change_on_strokes": float(change[strokes].mean()),
        "change_off_strokes": float(change[~strokes].mean()),
        "r2": [float(v) for v in r2],
        "corr_width": [style._corr(t[:, k], width) for k in range(t.shape[1])],
        "corr_ink": [style._corr(t[:, k], ink) for k in range(t.shape[1])],
        "machine": machine(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", type=Path, help="style run folders trained with fine_info > 0")
    add_label_option(ap)
    ap.add_argument("--pairs", type=int, default=400)
    args = ap.parse_args()
    labels = run_labels(args.runs, args.label, default_to_names=True)
    rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for run, label in zip(args.runs, labels, strict=True):
        rows[label] = probe(run, args.pairs)
        r = rows[label]
        print(
            f"{label}: change {r['change']:.3f} (strokes {r['change_on_strokes']:.3f}, "
            f"background {r['change_off_strokes']:.3f}); Q's R² {', '.join(f'{v:.2f}' for v in r['r2'])}; "
            f"codes vs width {', '.join(f'{v:+.2f}' for v in r['corr_width'])}, "
            f"vs ink {', '.join(f'{v:+.2f}' for v in r['corr_ink'])}"
        )
    RESULTS.write_text(json.dumps(rows, indent=1) + "\n")


if __name__ == "__main__":
    with user_errors():
        main()
