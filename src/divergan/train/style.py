"""Training the style-based generator (Sun (PaperWeekly), §5.3) on small digit images, on CPU.

``divergan train --preset style-digits`` trains :class:`~divergan.nn.stylegan.StyleGenerator` against
:class:`~divergan.nn.stylegan.StyleCritic` on the 1,797 8 × 8 scikit-learn digits upsampled to 16 × 16:

    critic:     objective.critic_loss(V(x), V(G(z)))  +  R1 = (γ/2) E‖∇_x V(x)‖²  (every k-th step, ×k)
    generator:  objective.generator_loss(·, V(G(z)))  with style-mixing regularisation: for a fraction
                ``mixing`` of the batch, two latents z₁, z₂ cross at a random layer

with Adam (β₁ = 0, β₂ = 0.99, as StyleGAN2), an EMA copy of the generator (half-life in steps) and the
running mean w̄ of the mapping network's outputs for the truncation trick. After training it writes
``mixing-8.png`` and ``mixing-16.png`` (style-mixing grids: coarse styles from the row's source, the
rest from the column's), ``truncation.png`` (rows of one z each at ψ = 0, 0.125, …, 1), ``samples.png``,
and ``final_metrics.json`` with pixel-space distances to 500 held-out digits at several ψ (exact W1
by optimal transport, MMD with the median bandwidth, and the spread — mean distance between two
samples — which truncation shrinks), beside the same numbers for 500 real training digits.
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
from torch import Tensor
from torch.nn import functional as F
from tqdm import tqdm

from divergan.errors import UserError
from divergan.metrics.distances import mmd, w1
from divergan.nn.stylegan import StyleCritic, StyleGenerator
from divergan.objectives import Objective, get_objective, r1_penalty
from divergan.train.apps import append, save_final, start_run
from divergan.train.ema import ema_beta, ema_update
from divergan.train.health import check_finite


@dataclass
class StyleConfig:
    """A style-generator run on digits (images (N, 1, size, size) in [-1, 1])."""

    data: str = "digits"
    size: int = 16
    z_dim: int = 32
    w_dim: int = 32
    mapping_depth: int = 3
    noise_from: int = 4  # per-pixel noise in the blocks at this resolution and above (4: all)
    width: int = 16  # channels of every synthesis block and of the critic's first layer
    objective: str = "non-saturating"
    r1_gamma: float = 0.5
    r1_every: int = 4  # lazy regularisation (StyleGAN2): R1 every k-th critic step, weighted by k
    mixing: float = 0.9  # fraction of each generator batch trained with two crossing latents
    steps: int = 1500
    batch: int = 32
    lr_g: float = 1e-3
    lr_d: float = 1e-3
    lr_mapping_factor: float = 1.0  # StyleGAN's 0.01 assumes equalised learning rates, not used here
    beta1: float = 0.0
    beta2: float = 0.99
    ema_half_life: float = 100.0  # in steps; 0 turns EMA off
    seed: int = 0
    log_every: int = 50
    eval_every: int = 500
    threads: int = 0  # torch CPU threads; 0 keeps torch's default (1 is fastest on a busy machine)

    def validate(self) -> StyleConfig:
        if self.data != "digits":
            raise UserError(f"the style trainer knows data 'digits' only, got {self.data!r}")
        if self.size not in (8, 16, 32):
            raise UserError(f"size must be 8, 16 or 32, got {self.size}")
        if self.noise_from not in (4, 8, 16, 32, 64):
            raise UserError(f"noise_from must be a resolution 4, 8, ..., 64, got {self.noise_from}")
        for name in (
            "z_dim",
            "w_dim",
            "mapping_depth",
            "width",
            "batch",
            "r1_every",
            "log_every",
            "eval_every",
        ):
            if getattr(self, name) < 1:
                raise UserError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("steps", "seed", "threads"):
            if getattr(self, name) < 0:
                raise UserError(f"{name} must not be negative, got {getattr(self, name)}")
        for name in ("lr_g", "lr_d", "lr_mapping_factor"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise UserError(f"{name} must be a positive number, got {getattr(self, name)}")
        for name in ("r1_gamma", "ema_half_life"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise UserError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not 0 <= self.mixing <= 1:
            raise UserError(f"mixing must lie in [0, 1], got {self.mixing}")
        for name in ("beta1", "beta2"):
            if not 0 <= getattr(self, name) < 1:
                raise UserError(f"{name} must lie in [0, 1), got {getattr(self, name)}")
        return self


PRESETS: dict[str, dict] = {
    "style-digits": {},  # 16 px, 1,500 steps: a few minutes on 2 CPU cores
    "style-quick": {
        "steps": 40,
        "width": 8,
        "z_dim": 8,
        "w_dim": 8,
        "batch": 16,
        "log_every": 10,
        "eval_every": 20,
    },
}


def preset(name: str) -> StyleConfig:
    if name not in PRESETS:
        raise UserError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    return StyleConfig(**PRESETS[name]).validate()


def load_digits(size: int = 16) -> Tensor:
    """The 1,797 scikit-learn digits (8 × 8, values 0..16) as (N, 1, size, size) in [-1, 1], bilinear."""
    from sklearn.datasets import load_digits as sk_digits

    x = torch.as_tensor(sk_digits().images, dtype=torch.float32)[:, None] / 8.0 - 1.0  # (N, 1, 8, 8)
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(-1, 1)
    return x


def real_outputs(objective: Objective, D: StyleCritic, real: Tensor) -> Tensor | None:
    """V(real) without gradient for a generator loss that reads it (``mmd-gan``), else None."""
    if not objective.generator_uses_real:
        return None
    with torch.no_grad():
        return D(real)


def mixed_styles(G: StyleGenerator, z: Tensor, mixing: float, rng: torch.Generator) -> Tensor:
    """ws for a training batch: a random ``mixing`` fraction of rows take w(z₂) from a random crossover on."""
    ws = G.styles(z, update_w_avg=True)  # (B, num_ws, w_dim)
    B = z.shape[0]
    mix = torch.rand(B, generator=rng) < mixing  # (B,)
    if mix.any():
        w2 = G.mapping(torch.randn(B, G.z_dim, generator=rng))  # (B, w_dim)
        cut = torch.randint(1, G.num_ws, (B,), generator=rng)  # (B,) crossover rows
        rows = torch.arange(G.num_ws)[None, :] >= cut[:, None]  # (B, num_ws)
        take = (rows & mix[:, None])[:, :, None]
        ws = torch.where(take, w2[:, None, :].expand_as(ws), ws)
    return ws


def mixing_grid(G: StyleGenerator, z_rows: Tensor, z_cols: Tensor, crossover: int) -> Tensor:
    """(1 + R)·(1 + C) images: top row the column sources, left column the row sources, cell (r, c)
    the rows < crossover of w(z_rows[r]) and the rest of w(z_cols[c]); const noise; blank corner."""
    with torch.no_grad():
        rows = G(z_rows, noise_mode="const")  # (R, 1, S, S)
        cols = G(z_cols, noise_mode="const")  # (C, 1, S, S)
        R, C = len(z_rows), len(z_cols)
        zr = z_rows.repeat_interleave(C, dim=0)  # (R·C, z_dim)
        zc = z_cols.repeat(R, 1)
        mixed = G(zr, z2=zc, crossover=crossover, noise_mode="const").reshape(R, C, *rows.shape[1:])
        blank = torch.full_like(rows[:1], -1.0)
        out = [torch.cat([blank, cols])]
        for r in range(R):
            out.append(torch.cat([rows[r : r + 1], mixed[r]]))
    return torch.cat(out)


def truncation_strip(G: StyleGenerator, z: Tensor, psis: list[float]) -> Tensor:
    """(len(z)·len(psis)) images: row i is z_i at every ψ (const noise)."""
    with torch.no_grad():
        return torch.stack([G(z, psi=p, noise_mode="const") for p in psis], dim=1).flatten(0, 1)


def _spread(x: Tensor) -> float:
    """Mean pixel-space distance between two different samples of x (N, ...): diversity."""
    d = torch.cdist(x.flatten(1), x.flatten(1), compute_mode="donot_use_mm_for_euclid_dist")  # exact 0s
    return float(d.sum() / (len(x) * (len(x) - 1)))


@torch.no_grad()
def variation_sources(G: StyleGenerator, n: int = 200, seed: int = 0) -> dict[str, float]:
    """Where the samples' variety comes from: the spread over z with the noise fixed (``from_w``), and
    over the noise with z fixed (``from_noise``). A generator that ignores w has from_w ≈ 0."""
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(n, G.z_dim, generator=rng)
    return {
        "from_w": _spread(G(z, noise_mode="const")),
        "from_noise": _spread(G(z[:1].expand(n, -1), noise_mode="random")),
    }


def train_style(cfg: StyleConfig, run: Path, *, progress: bool = True) -> dict:
    """Train per ``cfg`` into ``run``; returns (and writes) the final metrics."""
    from divergan.report.grids import save_grid

    cfg.validate()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    rng = torch.Generator().manual_seed(cfg.seed)
    digits = load_digits(cfg.size)
    perm = torch.randperm(len(digits), generator=rng)
    held_out, train = digits[perm[:500]], digits[perm[500:]]  # MMD is measured against unseen digits
    objective = get_objective(cfg.objective)
    if not objective.needs_critic:
        raise UserError(f"objective {cfg.objective!r} has no critic; the style trainer needs one")
    G = StyleGenerator(
        cfg.z_dim, cfg.w_dim, cfg.size, 1, cfg.width, cfg.mapping_depth, noise_from=cfg.noise_from
    )
    D = StyleCritic(cfg.size, 1, cfg.width, objective.critic_outputs)
    ema = copy.deepcopy(G).requires_grad_(False)
    opt_g = torch.optim.Adam(
        [
            {"params": G.synthesis.parameters(), "lr": cfg.lr_g},
            {"params": G.mapping.parameters(), "lr": cfg.lr_g * cfg.lr_mapping_factor},
        ],
        betas=(cfg.beta1, cfg.beta2),
    )
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=(cfg.beta1, cfg.beta2))
    beta = ema_beta(cfg.ema_half_life)
    log = start_run(run, cfg)
    t0 = time.perf_counter()
    bar = tqdm(range(cfg.steps), disable=not progress, file=sys.stderr, dynamic_ncols=True, desc="style")
    for step in bar:
        # -- critic phase ----------------------------------------------------------------------------------
        real = train[torch.randint(len(train), (cfg.batch,), generator=rng)]  # (B, 1, S, S)
        with torch.no_grad():
            fake = G(torch.randn(cfg.batch, cfg.z_dim, generator=rng))
        loss_d = objective.critic_loss(D(real), D(fake))
        if objective.penalty is not None:
            loss_d = loss_d + objective.penalty(D, real, fake)
        if cfg.r1_gamma > 0 and step % cfg.r1_every == 0:
            loss_d = loss_d + r1_penalty(D, real, cfg.r1_gamma * cfg.r1_every)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        if objective.clip is not None:
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-objective.clip, objective.clip)
        # -- generator phase, with style-mixing regularisation -----------------------------------------------
        ws = mixed_styles(G, torch.randn(cfg.batch, cfg.z_dim, generator=rng), cfg.mixing, rng)
        t_fake = D(G.synthesis(ws))
        loss_g = objective.generator_loss(real_outputs(objective, D, real), t_fake)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        # -- EMA of the generator (parameters and the w̄ buffer) -------------------------------------------
        ema_update(ema, G, beta, buffers=["mapping.w_avg"])
        loss_d, loss_g = float(loss_d.detach()), float(loss_g.detach())
        check_finite(step + 1, [("loss_d", loss_d), ("loss_g", loss_g)])
        done = step + 1
        if done % cfg.log_every == 0 or done == cfg.steps:
            row = {"step": done, "loss_d": loss_d, "loss_g": loss_g, "seconds": time.perf_counter() - t0}
            if done % cfg.eval_every == 0 or done == cfg.steps:
                with torch.no_grad():
                    z = torch.randn(len(held_out), cfg.z_dim, generator=torch.Generator().manual_seed(done))
                    row["w1"] = w1(ema(z), held_out)
            append(log, row)
            bar.set_postfix({k: f"{v:.3f}" for k, v in row.items() if k in ("loss_d", "loss_g", "w1")})
    bar.close()
    train_seconds = time.perf_counter() - t0
    # -- figures and final metrics (fixed latents, const noise) ----------------------------------------------
    fixed = torch.Generator().manual_seed(12345)
    z_rows, z_cols = torch.randn(5, cfg.z_dim, generator=fixed), torch.randn(6, cfg.z_dim, generator=fixed)
    resolutions = ema.synthesis.resolutions
    for res in resolutions[1:]:
        save_grid(
            mixing_grid(ema, z_rows, z_cols, ema.crossover_row(res)),
            run / f"mixing-{res}.png",
            nrow=7,
            scale=4,
        )
    psis = [i / 8 for i in range(9)]
    save_grid(truncation_strip(ema, z_rows, psis), run / "truncation.png", nrow=len(psis), scale=4)
    with torch.no_grad():
        save_grid(ema(torch.randn(64, cfg.z_dim, generator=fixed)), run / "samples.png", nrow=8, scale=4)
        z = torch.randn(len(held_out), cfg.z_dim, generator=fixed)
        by_psi = {}
        for p in (0.0, 0.5, 0.7, 1.0):
            x = ema(z, psi=p)
            by_psi[f"{p:g}"] = {
                "w1": w1(x, held_out),
                "mmd": mmd(x, held_out, "median"),
                "spread": _spread(x),
            }
    floor = train[: len(held_out)]
    results = {
        "steps": cfg.steps,
        "train_seconds": train_seconds,
        "by_psi": by_psi,
        "real": {"w1": w1(floor, held_out), "mmd": mmd(floor, held_out, "median"), "spread": _spread(floor)},
        "num_ws": ema.num_ws,
        "variation": variation_sources(ema),
        "crossover_rows": {str(r): ema.crossover_row(r) for r in resolutions},
    }
    (run / "final_metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    save_final(run, cfg, cfg.steps, G=G, EMA=ema, D=D)
    return results


def train(cfg: StyleConfig, run: Path, *, progress: bool = True) -> dict:
    """The entry point ``divergan train --preset style-digits`` calls."""
    return train_style(cfg, run, progress=progress)


def summary(run: Path, final: dict) -> str:
    lines = [
        f"run: {run}",
        f"style generator on digits: {final['steps']} steps, {final['train_seconds']:.1f} s training",
        "vs 500 held-out digits:  W1 (exact OT)   MMD (median σ)   spread (mean pairwise distance)",
    ]
    for name, m in [*((f"ψ = {p}", v) for p, v in final["by_psi"].items()), ("real digits", final["real"])]:
        lines.append(f"  {name:<12} {m['w1']:14.3f} {m['mmd']:16.4f} {m['spread']:17.3f}")
    v = final["variation"]
    lines.append(f"spread from w (fixed noise) {v['from_w']:.3f}, from noise (fixed z) {v['from_noise']:.3f}")
    lines.append(
        f"files: {run / 'mixing-16.png'}, mixing-8.png, truncation.png, samples.png, final_metrics.json"
    )
    return "\n".join(lines)
