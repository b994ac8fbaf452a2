"""Rebuild a shipped glyph judge (src/divergan/assets/glyph_judge_{cjk,latin}.safetensors) and measure it.

The judge (:mod:`divergan.apps.glyph_judge`) names the held-out characters of the CJK glyph presets
(``CJK_SPLIT`` of :mod:`divergan.apps.glyph_judge`: GB 2312 level 1, 8 % held out, seed 0). It is trained only
on fonts that are neither the translator's source (WenQuanYi Micro Hei) nor its targets (AR PL UKai,
AR PL UMing), and then measured on the real glyphs of all three, with two negative controls: blank
images and the real target glyphs with their labels shuffled (both should score about 1/N).

The Latin judge (``--latin``) names the 69 characters of the ``latin`` set, learnt from 48 DejaVu,
Liberation and URW faces (``LATIN_JUDGE_FONTS``), none of them DejaVu Sans (the Latin preset's source),
URW P052 or Z003 (its targets) in any style; it is measured on the real glyphs of those three.

    OMP_NUM_THREADS=1 python benchmarks/apps_glyph_judge.py            # ~2 min of one core
    OMP_NUM_THREADS=1 python benchmarks/apps_glyph_judge.py --latin    # ~2 min of one core
    python benchmarks/apps_glyph_judge.py --steps 300 --no-save         # a quick look

Results: printed, and written to benchmarks/results/apps_glyph_judge.json (-latin.json).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import torch

from divergan.apps.glyph_judge import (
    CJK_JUDGE,
    CJK_JUDGE_FONTS,
    LATIN_JUDGE,
    LATIN_JUDGE_FONTS,
    cjk_heldout_characters,
    latin_characters,
    save_judge,
    train_judge,
)
from divergan.data.glyphs import render_glyph

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "apps_glyph_judge.json"

SIZE = 32
#: fonts it is measured on: the targets (the ≥ 95 % precondition) and the source
MEASURED_FONTS = ("arphic-ukai", "arphic-uming", "wqy-microhei")
MEASURED_LATIN = ("p052", "z003", "dejavu-sans")


def render(chars: str, font: str) -> torch.Tensor:
    return torch.stack([render_glyph(c, font, SIZE) for c in chars])[:, None]  # (N, 1, S, S)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--width", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--latin", action="store_true", help="the Latin judge (default: the CJK judge)")
    ap.add_argument("--no-save", action="store_true", help="measure only; keep the shipped weights")
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.latin:
        chars, fonts, measured, path = latin_characters(), LATIN_JUDGE_FONTS, MEASURED_LATIN, LATIN_JUDGE
        results_file = RESULTS.with_name("apps_glyph_judge-latin.json")
    else:
        chars, fonts, measured, path = cjk_heldout_characters(), CJK_JUDGE_FONTS, MEASURED_FONTS, CJK_JUDGE
        results_file = RESULTS
    images = torch.cat([render(chars, f) for f in fonts])
    labels = torch.arange(len(chars)).repeat(len(fonts))
    print(f"{len(chars)} classes x {len(fonts)} fonts = {len(images)} training glyphs", flush=True)
    t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    judge = train_judge(
        images,
        labels,
        chars,
        fonts,
        steps=args.steps,
        batch=args.batch,
        width=args.width,
        lr=args.lr,
        log=lambda s, l: print(f"step {s}: loss {l:.3f}", flush=True),
    )
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
    wall = time.perf_counter() - t0
    results: dict = {"classes": len(chars), "train_fonts": list(fonts), **vars(args)}
    for font in measured:
        results[f"real {font}"] = judge.accuracy(render(chars, font), chars)
    real = render(chars, measured[0])
    shuffled = "".join(
        chars[i] for i in torch.randperm(len(chars), generator=torch.Generator().manual_seed(1))
    )
    results["control: blank"] = judge.accuracy(torch.full_like(real, -1.0), chars)
    results["control: shuffled labels"] = judge.accuracy(real, shuffled)
    results["chance"] = 1 / len(chars)
    results["train_cpu_seconds"] = round(cpu, 1)
    results["train_wall_seconds"] = round(wall, 1)
    for k, v in results.items():
        print(f"{k}: {v}")
    if not args.no_save:
        save_judge(judge, path)
        results_file.parent.mkdir(parents=True, exist_ok=True)
        results_file.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB) and {results_file}")


if __name__ == "__main__":
    main()
