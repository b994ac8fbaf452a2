"""Small-scale experiments on what makes translated glyphs legible (32 px, short runs, one core).

Each variant trains the U-Net / PatchGAN pair of :mod:`divergan.nn.translate` on the CJK glyph split
(WenQuanYi Micro Hei → AR PL UKai and AR PL UMing, GB 2312 level 1 with the held-out characters of
``benchmarks/apps_glyph_judge.py`` never trained on) and reports, on the held-out characters, the
judge's accuracy, L1 and SSIM per target font, and the process CPU time.

    OMP_NUM_THREADS=1 python benchmarks/apps_glyphs_explore.py --steps 1500 --variant base norm=instance

A variant is a list of key=value overrides of :data:`BASE`. Results are appended to
benchmarks/results/apps_glyphs_explore.jsonl.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from divergan.data.glyphs import charset, glyph_pairs, split_characters
from divergan.metrics.glyph_judge import load_judge
from divergan.metrics.similarity import l1_distance, ssim
from divergan.nn.translate import PatchCritic, UNetGenerator
from divergan.objectives import get_objective

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "apps_glyphs_explore.jsonl"
CACHE = Path("/tmp/divergan_glyph_pairs.pt")

BASE = {
    "source": "wqy-microhei",
    "targets": "arphic-ukai,arphic-uming",
    "held_out": 0.08,
    "n_train": 0,  # 0: every training character; else the first n of the training split
    "steps": 1500,
    "batch": 32,
    "width": 16,
    "embed_dim": 16,
    "norm": "batch",
    "eval_mode": "eval",  # or "train": batch statistics at evaluation
    "n_down": 2,
    "objective": "non-saturating",
    "l1_weight": 100.0,
    "l1_weight_end": 100.0,  # linear schedule of the L1 weight from l1_weight to this
    "const_weight": 0.0,
    "lr": 2e-4,
    "seed": 0,
}


def parse(items: list[str]) -> dict:
    cfg = dict(BASE)
    for item in items:
        key, _, value = item.partition("=")
        cfg[key] = type(BASE[key])(value)
    return cfg


def data(cfg: dict):
    key = (cfg["source"], cfg["targets"], cfg["held_out"], cfg["seed"])
    if CACHE.exists():
        cached = torch.load(CACHE, weights_only=False)
        if cached["key"] == key:
            return cached["train"], cached["held"]
    train_chars, held_chars = split_characters(charset("gb2312"), cfg["held_out"], cfg["seed"])
    targets = cfg["targets"].split(",")
    train = glyph_pairs(train_chars, cfg["source"], targets, 32)
    held = glyph_pairs(held_chars, cfg["source"], targets, 32)
    torch.save({"key": key, "train": train, "held": held}, CACHE)
    return train, held


def run(cfg: dict) -> dict:
    torch.manual_seed(cfg["seed"])
    train, held = data(cfg)
    if cfg["n_train"]:
        keep = torch.tensor([c in set(train.chars[: cfg["n_train"]]) for c in train.chars])
        train = type(train)(
            "".join(c for c, k in zip(train.chars, keep, strict=True) if k),
            train.source[keep],
            train.target[keep],
            train.category[keep],
            train.targets,
        )
    K = len(train.targets)
    G = UNetGenerator(32, K, cfg["width"], cfg["embed_dim"], norm=cfg["norm"])
    D = PatchCritic(K, cfg["width"], n_down=cfg["n_down"])
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg["lr"], betas=(0.5, 0.999))
    objective = get_objective(cfg["objective"])
    gen = torch.Generator().manual_seed(cfg["seed"])
    c0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    for step in range(cfg["steps"]):
        idx = torch.randint(len(train), (cfg["batch"],), generator=gen)
        s, y, c = train.source[idx], train.target[idx], train.category[idx]
        with torch.no_grad():
            fake = G(s, c)
        d_real = D(s, y, c)
        loss_d = objective.critic_loss(d_real, D(s, fake, c))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        code, skips = G.encode(s)
        fake = G.decode(code, skips, c)
        adv = objective.generator_loss(d_real.detach(), D(s, fake, c))
        frac = step / max(1, cfg["steps"] - 1)
        l1w = cfg["l1_weight"] + frac * (cfg["l1_weight_end"] - cfg["l1_weight"])
        loss = adv + l1w * (fake - y).abs().mean()
        if cfg["const_weight"]:
            loss = loss + cfg["const_weight"] * F.mse_loss(G.encode(fake)[0], code.detach())
        opt_g.zero_grad(set_to_none=True)
        loss.backward()
        opt_g.step()
    c1 = resource.getrusage(resource.RUSAGE_SELF)
    out = evaluate(G, held, cfg["eval_mode"])
    res = {
        "cfg": cfg,
        "cpu_s": round((c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime), 1),
        "wall_s": round(time.perf_counter() - t0, 1),
        "train_pairs": len(train),
    }
    res.update(measure(out, held))
    return res, out, held


@torch.no_grad()
def evaluate(G, pairs, mode: str) -> torch.Tensor:
    G.train(mode == "train")
    out = torch.cat(
        [G(s, c) for s, c in zip(pairs.source.split(512), pairs.category.split(512), strict=True)]
    )
    G.train()
    return out


def measure(out: torch.Tensor, pairs) -> dict:
    judge = load_judge()
    res = {}
    for k, name in enumerate(pairs.targets):
        idx = pairs.category == k
        chars = "".join(c for c, i in zip(pairs.chars, idx, strict=True) if i)
        res[name] = {
            "judge_generated": round(judge.accuracy(out[idx], chars), 4),
            "judge_real": round(judge.accuracy(pairs.target[idx], chars), 4),
            "judge_source": round(judge.accuracy(pairs.source[idx], chars), 4),
            "l1": round(float(l1_distance(out[idx], pairs.target[idx]).mean()), 4),
            "l1_source": round(float(l1_distance(pairs.source[idx], pairs.target[idx]).mean()), 4),
            "ssim": round(float(ssim(out[idx], pairs.target[idx]).mean()), 4),
            "ssim_source": round(float(ssim(pairs.source[idx], pairs.target[idx]).mean()), 4),
        }
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", nargs="*", default=[])
    ap.add_argument("--grid", type=Path, default=None, help="write source / generated / target rows here")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cfg = parse(args.variant)
    res, out, held = run(cfg)
    print(json.dumps(res, ensure_ascii=False))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as f:
        f.write(json.dumps(res, ensure_ascii=False) + "\n")
    if args.grid:
        from divergan.report.grids import save_grid

        rows = []
        for k in range(len(held.targets)):
            idx = (held.category == k).nonzero().squeeze(1)[:16]
            rows += [held.source[idx], out[idx], held.target[idx]]
        save_grid(torch.cat(rows), args.grid, nrow=16, scale=2)


if __name__ == "__main__":
    main()
