"""zi2zi-style glyph translation (Sun (PaperWeekly), §5.4): a conditional GAN from one font to others.

``divergan train --preset glyphs`` renders the characters in a source font and in each target font
(:mod:`divergan.data.glyphs`), holds some characters out, and trains a U-Net generator G(source, c)
against a PatchGAN critic V(source, image, c) (:mod:`divergan.nn.translate`) on

    critic:     objective.critic_loss(V(s, y, c), V(s, G(s, c), c))    [+ penalty, clipping if any]
    generator:  objective.generator_loss(·, V(s, G(s, c), c)) + λ_L1 · E|G(s, c) − y|

(pix2pix's objective, Isola et al. 2017, eq. 4, with λ_L1 = 100 by default). The adversarial terms are
pure functions of the critic's outputs from :mod:`divergan.objectives`, so any registered objective with
a critic works. After training, the held-out characters are translated and compared with their true
target glyphs by L1, SSIM and ink IoU (:mod:`divergan.metrics.similarity`), beside the baseline that
predicts the source glyph itself. Files in the run folder: config.json, metrics.jsonl,
final_metrics.json, heldout.png and train.png (rows of source / generated / target per target font),
checkpoints/step-XXXXXXXX.safetensors.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from divergan.data.glyphs import GlyphPairs, charset, default_fonts, glyph_pairs, split_characters
from divergan.errors import UserError
from divergan.metrics.similarity import binary_iou, l1_distance, ssim
from divergan.nn.translate import PatchCritic, UNetGenerator
from divergan.objectives import Objective, get_objective
from divergan.train.apps import append, save_final, start_run
from divergan.train.ema import ema_beta, ema_update
from divergan.train.health import check_finite


@dataclass
class TranslateConfig:
    """A glyph-translation run. ``source``/``targets``/``chars`` = "auto": CJK fonts when installed
    (Noto Sans CJK → Noto Serif CJK, or WenQuanYi Micro Hei → AR PL UKai), else DejaVu Sans → DejaVu
    Serif and DejaVu Sans Mono on Latin letters, digits and punctuation."""

    source: str = "auto"
    targets: str = "auto"  # comma-separated font names; one category each
    chars: str = "auto"  # latin, cjk, or the characters themselves
    size: int = 32
    held_out: float = 0.15
    objective: str = "non-saturating"
    l1_weight: float = 100.0
    width: int = 16
    embed_dim: int = 16
    steps: int = 1000
    batch: int = 32
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    seed: int = 0
    log_every: int = 50
    eval_every: int = 250
    threads: int = 0  # torch CPU threads; 0 keeps torch's default (1 is fastest on a busy machine)
    ema_half_life: float = 0.0  # in steps; > 0 evaluates and saves an EMA of the generator (0: off)

    def validate(self) -> TranslateConfig:
        if self.size not in (16, 32, 64, 128):
            raise UserError(f"size must be 16, 32, 64 or 128, got {self.size}")
        for name in ("width", "embed_dim", "batch", "log_every", "eval_every"):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("steps", "seed", "threads"):
            if getattr(self, name) < 0:
                raise UserError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("lr_g", "lr_d"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise UserError(f"{name} must be a positive number, got {getattr(self, name)}")
        if not (math.isfinite(self.ema_half_life) and self.ema_half_life >= 0):
            raise UserError(f"ema_half_life must be >= 0 (0 turns EMA off), got {self.ema_half_life}")
        if not (math.isfinite(self.l1_weight) and self.l1_weight >= 0):
            raise UserError(f"l1_weight must be >= 0, got {self.l1_weight}")
        if not 0 < self.held_out < 1:
            raise UserError(f"held_out must lie in (0, 1), got {self.held_out}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise UserError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        return self

    def fonts(self) -> tuple[str, tuple[str, ...], str]:
        """(source, targets, characters) with "auto" resolved."""
        source, targets, chars = default_fonts()
        if self.source != "auto":
            source = self.source
        if self.targets != "auto":
            targets = tuple(t.strip() for t in self.targets.split(",") if t.strip())
            if not targets:
                raise UserError("targets must name at least one font")
        return source, targets, charset(chars if self.chars == "auto" else self.chars)


PRESETS: dict[str, dict] = {
    "glyphs": {},  # 32 px: a few minutes on 2 CPU cores
    "glyphs-64": {"size": 64, "steps": 1500, "batch": 16},
    "glyphs-quick": {"steps": 60, "width": 8, "embed_dim": 8, "batch": 16, "log_every": 10, "eval_every": 30},
}


def preset(name: str) -> TranslateConfig:
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return TranslateConfig(**PRESETS[name]).validate()


@dataclass
class GlyphData:
    train: GlyphPairs
    held_out: GlyphPairs
    source: str


def load_data(cfg: TranslateConfig) -> GlyphData:
    """Render the training and held-out pairs (the split is by character, seeded by ``cfg.seed``)."""
    source, targets, chars = cfg.fonts()
    train_chars, held_chars = split_characters(chars, cfg.held_out, cfg.seed)
    return GlyphData(
        train=glyph_pairs(train_chars, source, targets, cfg.size),
        held_out=glyph_pairs(held_chars, source, targets, cfg.size),
        source=source,
    )


def similarity(pred: torch.Tensor, target: torch.Tensor) -> dict[str, float]:
    """Mean L1, SSIM and ink IoU of predictions against targets, shapes (N, 1, S, S)."""
    return {
        "l1": float(l1_distance(pred, target).mean()),
        "ssim": float(ssim(pred, target).mean()),
        "iou": float(binary_iou(pred, target).mean()),
    }


def mean_targets(pairs: GlyphPairs) -> torch.Tensor:
    """(K, 1, S, S): the average target glyph of each category (a prediction that ignores the source)."""
    return torch.stack([pairs.target[pairs.category == k].mean(dim=0) for k in range(len(pairs.targets))])


@torch.no_grad()
def evaluate(
    G: UNetGenerator, pairs: GlyphPairs, mean_target: torch.Tensor | None = None, batch: int = 256
) -> tuple[dict, torch.Tensor]:
    """Metrics of G (in eval mode) and of the baselines; returns (metrics, outputs).

    Baselines: the source glyph itself as the prediction, and (given ``mean_target``, (K, 1, S, S),
    e.g. from the training pairs) the average target glyph of the category.
    """
    was_training = G.training
    G.eval()
    out = torch.cat([G(s, c) for s, c in zip(pairs.source.split(batch), pairs.category.split(batch))])
    G.train(was_training)
    metrics = {
        "model": similarity(out, pairs.target),
        "baseline_source": similarity(pairs.source, pairs.target),
    }
    if mean_target is not None:
        metrics["baseline_mean_target"] = similarity(mean_target[pairs.category], pairs.target)
    per_font = {}
    for k, name in enumerate(pairs.targets):
        idx = pairs.category == k
        per_font[name] = {
            "model": similarity(out[idx], pairs.target[idx]),
            "baseline_source": similarity(pairs.source[idx], pairs.target[idx]),
            "n": int(idx.sum()),
        }
    metrics["per_target"] = per_font
    return metrics, out


def comparison_grid(pairs: GlyphPairs, out: torch.Tensor, path: Path, columns: int = 16) -> Path:
    """Rows of source / generated / target, one triple of rows per target font (first ``columns`` chars)."""
    from divergan.report.grids import save_grid

    rows = []
    for k in range(len(pairs.targets)):
        idx = (pairs.category == k).nonzero().squeeze(1)[:columns]
        for images in (pairs.source, out, pairs.target):
            row = images[idx]
            pad = torch.full((columns - len(idx), *row.shape[1:]), -1.0)
            rows.append(torch.cat([row, pad]))
    return save_grid(torch.cat(rows), path, nrow=columns, scale=2)


def train_step(
    G: UNetGenerator,
    D: PatchCritic,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    objective: Objective,
    s: torch.Tensor,
    y: torch.Tensor,
    c: torch.Tensor,
    l1_weight: float,
) -> tuple[float, float, float]:
    """One critic update and one generator update on the batch (s, y, c); returns
    (critic loss, generator's adversarial loss, mean |G(s, c) − y|) as floats."""
    # -- critic phase: real pairs (s, y) against generated pairs (s, G(s, c)) -----------------------------
    with torch.no_grad():
        fake = G(s, c)
    loss_d = objective.critic_loss(D(s, y, c), D(s, fake, c))
    if objective.penalty is not None:
        loss_d = loss_d + objective.penalty(lambda x: D(s, x, c), y, fake)
    opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    opt_d.step()
    if objective.clip is not None:
        with torch.no_grad():
            for p in D.parameters():
                p.clamp_(-objective.clip, objective.clip)
    # -- generator phase: fool the critic and stay close to the target in L1 ------------------------------
    fake = G(s, c)
    adv = objective.generator_loss(D(s, y, c).detach(), D(s, fake, c))
    l1 = (fake - y).abs().mean()
    opt_g.zero_grad(set_to_none=True)
    (adv + l1_weight * l1).backward()
    opt_g.step()
    return float(loss_d.detach()), float(adv.detach()), float(l1.detach())


def train_translation(cfg: TranslateConfig, run: Path, *, progress: bool = True) -> dict:
    """Train per ``cfg`` into ``run``; returns (and writes) the final metrics."""
    cfg.validate()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    data = load_data(cfg)
    train, K = data.train, len(data.train.targets)
    objective = get_objective(cfg.objective)
    if not objective.needs_critic:
        raise UserError(f"objective {cfg.objective!r} has no critic; glyph translation needs one")
    G = UNetGenerator(cfg.size, K, cfg.width, cfg.embed_dim)
    D = PatchCritic(K, cfg.width)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    ema = copy.deepcopy(G).requires_grad_(False) if cfg.ema_half_life > 0 else None
    beta = ema_beta(cfg.ema_half_life)
    rng = torch.Generator().manual_seed(cfg.seed)
    log = start_run(run, cfg)
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.steps), disable=not progress, file=sys.stderr, dynamic_ncols=True, desc="glyphs")
    for step in bar:
        idx = torch.randint(len(train), (cfg.batch,), generator=rng)
        s, y, c = train.source[idx], train.target[idx], train.category[idx]  # (B, 1, S, S) ×2, (B,)
        loss_d, adv, l1 = train_step(G, D, opt_g, opt_d, objective, s, y, c, cfg.l1_weight)
        check_finite(step + 1, [("loss_d", loss_d), ("loss_g_adv", adv), ("l1", l1)])
        if ema is not None:
            ema_update(ema, G, beta)
        # -- intervals: log, evaluate on the held-out characters -----------------------------------------
        done = step + 1
        if done % cfg.log_every == 0 or done == cfg.steps:
            row = {
                "step": done,
                "loss_d": loss_d,
                "loss_g_adv": adv,
                "l1_train_batch": l1 / 2,  # in [0, 1] intensity units, as l1_distance
                "seconds": time.perf_counter() - t0,
            }
            if done % cfg.eval_every == 0 or done == cfg.steps:
                row["heldout_l1"] = evaluate(ema or G, data.held_out)[0]["model"]["l1"]
            append(log, row)
            bar.set_postfix({k: f"{v:.3f}" for k, v in row.items() if k in ("loss_d", "heldout_l1")})
    bar.close()
    train_seconds = time.perf_counter() - t0
    final_g = ema or G  # the EMA generator where there is one
    held, out_held = evaluate(final_g, data.held_out, mean_targets(train))
    seen, out_train = evaluate(final_g, data.train, mean_targets(train))
    results = {
        "steps": cfg.steps,
        "source": data.source,
        "targets": list(train.targets),
        "train_characters": "".join(dict.fromkeys(train.chars)),
        "heldout_characters": "".join(dict.fromkeys(data.held_out.chars)),
        "heldout": held,
        "train": seen,
        "train_seconds": train_seconds,
    }
    comparison_grid(data.held_out, out_held, run / "heldout.png")
    comparison_grid(train, out_train, run / "train.png")
    (run / "final_metrics.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    save_final(run, cfg, cfg.steps, G=G, D=D, **({"EMA": ema} if ema is not None else {}))
    return results


def train(cfg: TranslateConfig, run: Path, *, progress: bool = True) -> dict:
    """The entry point ``divergan train --preset glyphs`` calls."""
    return train_translation(cfg, run, progress=progress)


def summary(run: Path, final: dict) -> str:
    h = final["heldout"]
    m, b, a = h["model"], h["baseline_source"], h["baseline_mean_target"]
    return "\n".join(
        [
            f"run: {run}",
            f"glyphs: {final['source']} -> {', '.join(final['targets'])}; {final['train_seconds']:.1f} s training",
            f"held-out characters ({len(final['heldout_characters'])}): {final['heldout_characters']}",
            f"  model     L1 {m['l1']:.4f}  SSIM {m['ssim']:.3f}  IoU {m['iou']:.3f}",
            f"  baseline  L1 {b['l1']:.4f}  SSIM {b['ssim']:.3f}  IoU {b['iou']:.3f}   (source glyph as prediction)",
            f"  baseline  L1 {a['l1']:.4f}  SSIM {a['ssim']:.3f}  IoU {a['iou']:.3f}   (mean training target glyph)",
            f"files: {run / 'heldout.png'}, train.png, final_metrics.json, metrics.jsonl, checkpoints/",
        ]
    )
