"""zi2zi-style glyph translation (Sun (PaperWeekly), §5.4) as a Game on the one training loop.

``divergan train --preset glyphs`` renders the characters in a source font and in each target font
(:mod:`divergan.data.glyphs`), holds some characters out, and trains a U-Net generator G(s, c)
against a PatchGAN critic V(s, image, c) (:mod:`divergan.nn.translate`) on paired batches (s, y, c):
source glyph, target glyph, target font. The critic sees (source, image) pairs:

    critic:     objective.critic_loss(V(s, y, c), V(s, G(s, c), c))    [+ penalty, clipping if any]
    generator:  objective.generator_loss(·, V(s, G(s, c), c)) + λ_L1(t) · E|G(s, c) − y|
                + λ_const · E|enc(G(s, c)) − enc(s)|² [+ λ_TV · TV(G(s, c))]

(pix2pix's objective, Isola et al. 2017, eq. 4, with λ_L1 = ``l1_weight`` = 100 by default, optionally
moving linearly to ``l1_weight_end`` over the run; zi2zi's constant loss with λ_const =
``const_weight``, enc the U-Net's own encoder down to its bottleneck, enc(s) held fixed: the
translated glyph must encode as the same character; :func:`generator_loss` holds the terms). The adversarial terms are pure functions of the critic's
outputs from :mod:`divergan.objectives`, so any registered objective with a critic works. The loop
(:func:`divergan.train.loop.train`) gives these runs resume, signals, devices, the EMA (half-life 0 by
default: the EMA is the generator), TensorBoard scalars and checkpoints.

At each evaluation interval the EMA translates the held-out characters (``heldout_l1`` in
``metrics.jsonl``); after training they are compared with their true target glyphs by L1, SSIM and ink
IoU (:mod:`divergan.metrics.similarity`), beside two baselines: the source glyph itself, and the mean
training target glyph of the font. Files in the run folder: config.json, metrics.jsonl,
final_metrics.json, heldout.txt (the held-out characters, one per line), heldout.png and train.png
(rows of source / generated / target per target font), checkpoints/, tb/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from divergan.data.glyphs import (
    GlyphPairs,
    concat_pairs,
    default_fonts,
    extra_characters,
    font_file,
    font_path,
    glyph_pairs,
    near_copies,
    split_charset,
    without_characters,
)
from divergan.errors import UserError
from divergan.metrics.similarity import binary_iou, l1_distance, ssim
from divergan.nn.augment import translate as translate_images
from divergan.nn.translate import PatchCritic, UNetGenerator
from divergan.objectives import Objective, get_objective
from divergan.train import dist
from divergan.train.config import Config, parse_weights
from divergan.train.loop import App, Parts

_BASE = {
    "app": "glyphs",
    "size": 32,
    "objective": "non-saturating",
    "l1_weight": 100.0,
    "const_weight": 15.0,  # zi2zi's
    "glyph_norm": "instance",  # per image: the generator evaluates as it trains (no running statistics)
    "g_width": 16,
    "d_width": 16,
    "embed_dim": 16,
    "steps": 1000,
    "batch": 32,
    "optimizer": "adam",
    "lr_g": 1e-3,  # pix2pix's 2e-4 left this small U-Net far from fitting even its training glyphs
    "lr_d": 1e-3,
    "beta1": 0.5,
    "beta2": 0.999,
    "ema_half_life": 0.0,  # 0: the EMA is the generator itself (with its batch-norm statistics)
    "log_every": 50,
    "eval_every": 250,
    "checkpoint_every": 250,
}

#: the CJK recipe: WenQuanYi Micro Hei → AR PL UKai and AR PL UMing (two categories, one model) on
#: GB 2312 level 1 (3,755 characters), 8 % (301) held out: the split the shipped glyph judge names; GB
#: 2312 level 2's 3,008 characters are added to training only (6,462 training characters); the EMA of
#: the generator (half-life 200 steps) is what is evaluated, the learning rates decay linearly to 0
#: over the second half of the run, and the L1 term is a three-scale pyramid
_CJK = {
    "source": "wqy-microhei",
    "targets": "arphic-ukai,arphic-uming",
    "chars": "gb2312+2",
    "held_out": 0.08,
    "ema_half_life": 200.0,
    "lr_schedule": "linear",
    "l1_scales": 3,  # L1 on the glyph and on its 2×2 and 4×4 average poolings (pyramid_l1)
}
STEPS_CJK = 6000
STEPS_LATIN = 2000

#: named glyph configurations (full configs: the keys not named keep Config's defaults)
PRESETS: dict[str, dict[str, Any]] = {
    # λ_L1 = 1000: under Adam (invariant to the loss's scale) the adversarial and constant terms at a
    # tenth of their weight beside the L1; the 2,000-step screens read 67.1 % of UKai against 55.1 %,
    # at full length 73.1 % (15,000 steps) against 72.8 % (λ_L1 = 100, 8,000): docs/applications.md
    # and dropout 0.5 in the inner decoder stages (pix2pix's): no memorising, 78.7 % of UKai, 100 % UMing
    # in 15,000 steps; 6,000 steps read as much (78.1 %), so the CPU went into a U-Net twice as wide:
    # 82.7 % of UKai, 100 % UMing, better L1 and SSIM on both fonts (one seed; docs/applications.md);
    # since 3 December 48 wide: 86.7 % (one thread) and 85.4 % (two threads, as a user runs it: 900 s
    # wall on the idle 2-core AVX-512 machine; about 45 min on the machine width 32 was first timed on);
    # and with dropout 0.3: 88.7 % (one thread) and 89.7 % (two threads, 863 s wall), both above both
    # readings of 0.5; 7,500 steps read 89.7 % again (1,038 s), so the length stays; since 3 December
    # afternoon the critic is as wide as the U-Net (pix2pix's and zi2zi's balance; it had stayed 16
    # wide): 91.0 % (seed 0), 90.4 % and 86.7 % (seeds 1 and 2 on the same split), 100 % UMing,
    # 1,040-1,079 s wall; on a later host 88.4 % in 1,240 s, and with one generator forward a step
    # (4 December evening) 87.4 % in 1,108 s on that host: the 90 % target in two runs of five. Since 5 December
    # afternoon the skip maps are read at learnt offsets (glyph_warp, after DG-Font's deformable skips): 94.7 and
    # 96.3 % on seeds 0 and 1 (one thread), 96.7 % on seed 2 as a user runs it (1,082 s wall), UMing 100 %
    "glyphs": {
        **_BASE,
        **_CJK,
        "steps": STEPS_CJK,
        "l1_weight": 1000.0,
        "glyph_dropout": 0.3,
        "g_width": 48,
        "d_width": 48,
        "glyph_warp": True,
    },
    "glyphs-64": {**_BASE, **_CJK, "size": 64, "steps": 1500, "batch": 16},
    # the Latin run of docs/applications.md: DejaVu Sans -> URW P052 (a Palatino: serifs, stroke
    # contrast, a two-storey g) and URW Z003 (a Zapf Chancery: a slanted calligraphic script), one model;
    # 20 % of the 69 letters, digits and signs held out (14), the accented letters of the training
    # letters added to training (none of a held-out letter: split_charset)
    "glyphs-latin": {
        **_BASE,
        "source": "dejavu-sans",
        "targets": "p052,z003",
        "chars": "latin+accents",
        "held_out": 0.2,
        "steps": STEPS_LATIN,
        "ema_half_life": 200.0,
        "lr_schedule": "linear",
    },
    "glyphs-quick": {
        **_BASE,
        "steps": 60,
        "g_width": 8,
        "d_width": 8,
        "embed_dim": 8,
        "batch": 16,
        "log_every": 10,
        "eval_every": 30,
        "checkpoint_every": 30,
    },
}

SIZES = (16, 32, 64, 128)


# -- data adapter ----------------------------------------------------------------------------------------


@dataclass
class GlyphData:
    """The training and held-out pairs (split by character) and the source font's name; ``extra``: the
    training characters drawn in the extra source fonts (``extra_sources``), training pairs only;
    ``near_copies``: the training-only characters left out as near copies of held-out glyphs
    (:func:`~divergan.data.glyphs.near_copies`)."""

    train: GlyphPairs
    held_out: GlyphPairs
    source: str
    extra: GlyphPairs | None = None
    extra_sources: tuple[str, ...] = ()
    near_copies: str = ""

    is_image = True

    @property
    def training(self) -> GlyphPairs:
        """What the game draws its batches from: ``train`` itself without extra sources (the very object,
        so a run without them draws as before), else ``train`` followed by ``extra``."""
        return self.train if self.extra is None else concat_pairs(self.train, self.extra)

    @property
    def sources(self) -> str | tuple[str, ...]:
        """Every source font the model was trained on (the judge must share no file with any of them):
        ``source`` alone when there are no extra sources."""
        return (self.source, *self.extra_sources) if self.extra_sources else self.source


def fonts(cfg: Config) -> tuple[str, tuple[str, ...], str]:
    """(source, targets, character-set name) with "auto" resolved: CJK fonts when installed (Noto Sans CJK →
    Noto Serif CJK, or WenQuanYi Micro Hei → AR PL UKai), else DejaVu Sans → DejaVu Serif and DejaVu
    Sans Mono on Latin letters, digits and punctuation."""
    source, targets, chars = default_fonts()
    if cfg.source != "auto":
        source = cfg.source
    if cfg.targets != "auto":
        targets = tuple(t.strip() for t in cfg.targets.split(",") if t.strip())
        if not targets:
            raise UserError("targets must name at least one font")
    return source, targets, chars if cfg.chars == "auto" else cfg.chars


def extra_sources(cfg: Config) -> tuple[str, ...]:
    """The fonts of ``cfg.extra_sources`` (comma-separated; "" none), each installed and none the source,
    a target or named twice (compared by file and face: two names of one face are one font).

    Raises:
        UserError: a missing or unknown font, or one that is the source, a target or a repeat.
    """
    names = tuple(f.strip() for f in cfg.extra_sources.split(",") if f.strip())
    source, targets, _ = fonts(cfg)
    seen = {font_file(f): f for f in (source, *targets)}
    for name in names:
        font_path(name)  # a missing font names its Debian package
        if font_file(name) in seen:
            raise UserError(f"extra source {name!r} is already a font of the run ({seen[font_file(name)]})")
        seen[font_file(name)] = name
    return names


def split_seed(cfg: Config) -> int:
    """The seed of the held-out split: ``cfg.split_seed``, or ``cfg.seed`` when that is negative (the
    default), so that a run of another seed can keep the split a judge names."""
    return cfg.seed if cfg.split_seed < 0 else cfg.split_seed


def load_data(cfg: Config) -> GlyphData:
    """Render the training and held-out pairs (the split is by character, seeded by :func:`split_seed`).

    With ``extra_sources`` the *training* characters are also drawn in each extra source font and paired
    with the same target glyphs (each extra font's pairs: the training characters it and every target
    draw); the held-out pairs, and so every metric, keep the run's source. A training-only character
    (a set of :data:`~divergan.data.glyphs.TRAIN_EXTRA`) that a font draws as a near copy of a held-out
    glyph is left out (:func:`~divergan.data.glyphs.near_copies`)."""
    source, targets, chars = fonts(cfg)
    extras = extra_sources(cfg)
    train_chars, held_chars = split_charset(chars, cfg.held_out, split_seed(cfg))
    train = glyph_pairs(train_chars, source, targets, cfg.size)
    held_out = glyph_pairs(held_chars, source, targets, cfg.size)
    copies = near_copies(train, held_out, extra_characters(chars, train_chars))
    if copies:
        train = without_characters(train, copies)
        train_chars = "".join(c for c in train_chars if c not in copies)
    extra = [glyph_pairs(train_chars, f, targets, cfg.size) for f in extras]
    return GlyphData(
        train=train,
        held_out=held_out,
        source=source,
        extra=concat_pairs(*extra) if extra else None,
        extra_sources=extras,
        near_copies=copies,
    )


# -- the Game ----------------------------------------------------------------------------------------------


def l1_weight_at(cfg_l1: float, cfg_end: float, step: int, steps: int) -> float:
    """λ_L1 at ``step`` (0-based) of ``steps``: ``cfg_l1`` throughout when ``cfg_end`` < 0, else linear
    from ``cfg_l1`` at the first step to ``cfg_end`` at the last."""
    if cfg_end < 0 or steps <= 1:
        return cfg_l1
    return cfg_l1 + (cfg_end - cfg_l1) * min(1.0, step / (steps - 1))


def pyramid_l1(fake: Tensor, y: Tensor, scales: int = 1) -> Tensor:
    """Σ_{k<scales} mean |P_k(fake) − P_k(y)|, P_k the 2^k × 2^k average pooling (P_0 the identity).

    ``scales=1`` is the plain L1. A coarser term compares the ink *mass* in each 2^k-pixel cell, so a
    stroke drawn a pixel off costs less there than a stroke left out. The full-resolution L1 alone is
    minimised by the per-pixel median, which erases a thin stroke whose position is uncertain by a
    pixel or two (the median of "ink here or one pixel over" is background at both places).
    """
    total, a, b = (fake - y).abs().mean(), fake, y
    for _ in range(1, scales):
        a, b = F.avg_pool2d(a, 2), F.avg_pool2d(b, 2)
        total = total + (a - b).abs().mean()
    return total


def total_variation(x: Tensor, norm: str = "l1") -> Tensor:
    """Anisotropic total variation of images x (B, C, H, W), averaged over neighbour pairs:

        TV_1(x) = mean |x[i+1, j] − x[i, j]| + mean |x[i, j+1] − x[i, j]|      (norm="l1")
        TV_2(x) = mean (x[i+1, j] − x[i, j])² + mean (x[i, j+1] − x[i, j])²    (norm="l2", zi2zi's form)

    On a glyph drawn in two values the l1 form is the length of the ink's outline: for the same ink, a
    stroke broken into dots costs more than a solid one, and a monotone ramp between two values costs as
    much as a sharp step (a jump of 2 over one pixel or two jumps of 1), so it removes speckle without
    rewarding blur. The l2 form (zi2zi's ``Ltv_penalty`` term, there a sum of squares over the batch
    divided by the width) charges a sharp step 2² = 4 and the two-pixel ramp 1 + 1 = 2: it prefers blur.
    """
    dy, dx = x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]
    if norm == "l1":
        return dy.abs().mean() + dx.abs().mean()
    if norm == "l2":
        return dy.pow(2).mean() + dx.pow(2).mean()
    raise ValueError(f"norm must be l1 or l2, got {norm!r}")


def feature_matching(fake: list[Tensor], real: list[Tensor]) -> Tensor:
    r"""pix2pixHD's feature-matching loss (Wang et al. 2018, eq. 4) for one critic:

        FM = (1/T) Σ_i mean |D⁽ⁱ⁾(s, G(s, c), c) − D⁽ⁱ⁾(s, y, c)|,

    the mean absolute difference of the critic's i-th hidden activations on the generated and on the real
    pair, averaged over its T hidden layers (pix2pixHD weights the layers alike). The real side carries no
    gradient. Where the L1 compares pixels, this compares what the critic has learnt to look at (stroke
    pieces and their ends, in a patch), so a stroke a pixel off in a grey smear and a crisp stroke are
    told apart by more than their ink."""
    return sum((f - r.detach()).abs().mean() for f, r in zip(fake, real, strict=True)) / len(fake)


def generator_loss(
    objective: Objective,
    D: nn.Module,
    s: Tensor,
    y: Tensor,
    c: Tensor,
    fake: Tensor,
    l1_weight: float,
    const: tuple[Tensor, Tensor] | None = None,
    const_weight: float = 0.0,
    l1_scales: int = 1,
    tv_weight: float = 0.0,
    tv_norm: str = "l1",
    fm_weight: float = 0.0,
    ssim_weight: float = 0.0,
) -> tuple[Tensor, dict[str, Tensor]]:
    """The generator's loss on a paired batch and its terms (detached), for logging.

    L_G = objective.generator_loss(V(s, y, c), V(s, G(s, c), c)) + λ_L1 · Σ_k mean |P_k G(s, c) − P_k y|
          + λ_const · mean (enc(G(s, c)) − enc(s))² + λ_TV · TV(G(s, c)) + λ_FM · FM
          + λ_SSIM · (1 − mean SSIM(G(s, c), y)),
    with s, y, fake = G(s, c) of shape (B, 1, S, S) and c (B,); P_k the 2^k average pooling for
    k < ``l1_scales`` (:func:`pyramid_l1`; one scale: pix2pix's L1); ``const`` = (enc(G(s, c)), enc(s)),
    the bottleneck codes (B, C, h, w), the second without gradient (zi2zi's constant loss); TV the
    :func:`total_variation` of the generated glyphs (``tv_norm``; added only when ``tv_weight`` > 0); FM
    pix2pixHD's feature matching (:func:`feature_matching`; only when ``fm_weight`` > 0); SSIM the
    structural similarity of :func:`divergan.metrics.similarity.ssim` (the standard 11 × 11 window, as the
    evaluation reads it; only when ``ssim_weight`` > 0: the L1 + SSIM mix of Zhao et al. 2017). V(s, y, c)
    is computed (without gradient) only for an objective whose generator loss reads it. The logged
    ``l1`` term is the full-resolution one (``l1_pyramid`` the sum, when there are several scales).
    """
    t_real = hidden_real = None
    if objective.generator_uses_real or fm_weight > 0:  # one pass over the real pairs, without gradient
        with torch.no_grad():
            hidden_real, logits = D.features(s, y, c) if fm_weight > 0 else (None, D(s, y, c))
        t_real = logits if objective.generator_uses_real else None
    if fm_weight > 0:  # the critic's hidden activations on both pairs; its logits from the same pass
        hidden_fake, t_fake = D.features(s, fake, c)
        fm = feature_matching(hidden_fake, hidden_real)
    else:
        t_fake = D(s, fake, c)
    adv = objective.generator_loss(t_real, t_fake)
    l1 = (fake - y).abs().mean()
    terms = {"adversarial": adv.detach(), "l1": l1.detach()}
    if l1_scales > 1:
        l1 = pyramid_l1(fake, y, l1_scales)
        terms["l1_pyramid"] = l1.detach()
    loss = adv + l1_weight * l1
    if const is not None:
        constant = (const[0] - const[1].detach()).pow(2).mean()
        loss = loss + const_weight * constant
        terms["constant"] = constant.detach()
    if fm_weight > 0:
        loss = loss + fm_weight * fm
        terms["feature_matching"] = fm.detach()
    if ssim_weight > 0:
        dissimilarity = 1 - ssim(fake, y).mean()
        loss = loss + ssim_weight * dissimilarity
        terms["ssim"] = dissimilarity.detach()
    if tv_weight > 0:
        tv = total_variation(fake, tv_norm)
        loss = loss + tv_weight * tv
        terms["tv"] = tv.detach()
    return loss, terms


def shift_images(x: Tensor, shifts: Tensor, fill: float = -1.0) -> Tensor:
    """Each image moved by whole pixels: out[b, :, i, j] = x[b, :, i − dy_b, j − dx_b] where that lies
    inside the image, else ``fill`` (the background, −1). x (B, C, S, S); shifts (B, 2) long, (dx_b, dy_b),
    dx > 0 moving the ink right and dy > 0 down. No interpolation: every pixel is a copy of one of x's or
    the fill, so a shift of (0, 0) is the identity and anti-aliased edges stay as rendered. This is
    DiffAugment's :func:`~divergan.nn.augment.translate`, which takes its shifts as (dy, dx)."""
    return translate_images(x, shifts.flip(1), fill)


def jitter_pairs(s: Tensor, y: Tensor, jitter: int, rng: torch.Generator) -> tuple[Tensor, Tensor, Tensor]:
    """(s', y', shifts): pix2pix's jitter for glyph pairs, by whole pixels. Each pair's source and target
    are shifted alike by (dx, dy), each drawn uniformly from −J..J (``jitter`` = J) with ``rng``: the
    pair stays a pair (the same character at the same place), while the generator cannot learn a
    character by where its strokes fall. ``jitter`` 0 is the identity and draws nothing from ``rng``."""
    if jitter == 0:
        return s, y, torch.zeros(len(s), 2, dtype=torch.long)
    shifts = torch.randint(-jitter, jitter + 1, (len(s), 2), generator=rng)
    both = shift_images(torch.cat([s, y], dim=1), shifts)
    return both[:, : s.shape[1]], both[:, s.shape[1] :], shifts


def pair_weights(category: Tensor, weights: tuple[float, ...] | None) -> Tensor | None:
    """Sampling probabilities of the pairs, (N,), that give target font k the share w_k / Σ w of a batch
    (uniform within the font): p_i = (w_{c_i} / Σ_k w_k) / n_{c_i}, n_k the pairs of font k. None for
    ``weights`` None: every pair alike (p_i = 1/N; the draw stays ``torch.randint``'s)."""
    if weights is None:
        return None
    counts = torch.bincount(category, minlength=len(weights))
    if len(counts) != len(weights) or not bool((counts > 0).all()):
        raise ValueError(f"{len(weights)} weights for pairs of categories {sorted(set(category.tolist()))}")
    share = torch.tensor(weights, dtype=torch.float64) / sum(weights)
    return (share / counts.double())[category]


class PairedGame:
    """Paired image-to-image translation: G(s, c) against a critic of (source, image, category).

    One batch of pairs per step, drawn by the critic phase and reused by the generator phase (pix2pix
    trains both on the same pairs), and one generator forward on it: the critic phase keeps G(s, c) with
    its graph and the generator phase trains through it (G has not changed in between; dropout draws one
    mask a step, as in pix2pix). The critic's loss is the objective's, averaged over patches: a
    bound on a divergence between *patch* distributions, so no ``divergence_estimate`` is logged.
    """

    estimates_divergence = False

    def __init__(
        self,
        objective: Objective,
        G: nn.Module,
        D: nn.Module,
        pairs: GlyphPairs,
        *,
        batch: int,
        rng: torch.Generator,
        device: torch.device,
        l1_weight: float,
        l1_weight_end: float = -1.0,
        steps: int = 1,
        const_weight: float = 0.0,
        l1_scales: int = 1,
        category_weights: tuple[float, ...] | None = None,
        jitter: int = 0,
        tv_weight: float = 0.0,
        tv_norm: str = "l1",
        fm_weight: float = 0.0,
        ssim_weight: float = 0.0,
    ) -> None:
        self.objective, self.G, self.D, self.pairs = objective, G, D, pairs
        self.fm_weight, self.ssim_weight = fm_weight, ssim_weight
        self.jitter = jitter
        self.l1_scales, self.tv_weight, self.tv_norm = l1_scales, tv_weight, tv_norm
        self.pair_weights = pair_weights(pairs.category, category_weights)
        self.batch, self.rng, self.device, self.l1_weight = batch, rng, device, l1_weight
        self.l1_weight_end, self.steps, self.const_weight = l1_weight_end, steps, const_weight
        self.last: tuple[Tensor, Tensor, Tensor] | None = None
        self.forward: tuple[tuple, Tensor, Tensor] | None = None  # (batch, code, G(s, c)) of the critic phase
        self.terms: dict[str, Tensor] = {}

    def critic_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        """(s, y, c): B random training pairs (drawn by :func:`pair_weights`), each pair shifted by
        :func:`jitter_pairs` when ``jitter`` > 0, on the device."""
        if self.pair_weights is None:
            idx = torch.randint(len(self.pairs), (self.batch,), generator=self.rng)
        else:
            idx = torch.multinomial(self.pair_weights, self.batch, replacement=True, generator=self.rng)
        p, dev = self.pairs, self.device
        s, y, _ = jitter_pairs(p.source[idx], p.target[idx], self.jitter, self.rng)
        self.last = (s.to(dev), y.to(dev), p.category[idx].to(dev))
        return self.last

    def generator_batch(self) -> tuple[Tensor, Tensor, Tensor]:
        return self.last if self.last is not None else self.critic_batch()

    def critic_loss(self, batch: tuple, step: int) -> tuple[Tensor, Tensor]:
        """Real pairs (s, y) against generated pairs (s, G(s, c)); the penalty (if any) on the image."""
        s, y, c = batch
        D, obj, G = self.D, self.objective, self.G
        # one generator forward a step (pix2pix's): built with its graph here, judged detached, and reused
        # by the generator phase on the same pairs (G does not change in between)
        code, skips = G.encode(s)
        fake = G.decode(code, skips, c)
        self.forward = (batch, code, fake)
        fake = fake.detach()
        # real and generated pairs in one critic call: the PatchCritic has no batch statistics, so this is
        # the two calls (up to the order of floating-point sums) at one pass's overhead
        t_real, t_fake = D(torch.cat([s, s]), torch.cat([y, fake]), torch.cat([c, c])).chunk(2)
        loss = obj.critic_loss(t_real, t_fake)
        game = loss.detach()
        if obj.penalty is not None:
            loss = loss + obj.penalty(lambda x: D(s, x, c), y, fake)
        return loss, game

    @torch.no_grad()
    def after_critic_step(self) -> None:
        if self.objective.clip is not None:
            for p in self.D.parameters():
                p.clamp_(-self.objective.clip, self.objective.clip)

    def generator_loss(self, batch: tuple, step: int) -> Tensor:
        s, y, c = batch
        self.D.requires_grad_(False)  # only ∂/∂G is needed
        G = self.G
        if self.forward is not None and self.forward[0] is batch:  # the critic phase's forward of these pairs
            _, code, fake = self.forward
        else:
            code, skips = G.encode(s)
            fake = G.decode(code, skips, c)
        self.forward = None  # a second generator update (generator_steps > 1) draws again
        const = (G.encode(fake)[0], code) if self.const_weight > 0 else None
        l1_weight = l1_weight_at(self.l1_weight, self.l1_weight_end, step, self.steps)
        loss, self.terms = generator_loss(
            self.objective,
            self.D,
            s,
            y,
            c,
            fake,
            l1_weight,
            const,
            self.const_weight,
            l1_scales=self.l1_scales,
            tv_weight=self.tv_weight,
            tv_norm=self.tv_norm,
            fm_weight=self.fm_weight,
            ssim_weight=self.ssim_weight,
        )
        return loss

    def after_generator_backward(self) -> None:
        self.D.requires_grad_(True)

    def log_extras(self) -> dict[str, float]:
        """The generator's adversarial term and the batch's L1 in [0, 1] intensity units (as l1_distance)."""
        if not self.terms:
            return {}
        row = {"loss_g_adv": float(self.terms["adversarial"]), "l1_train_batch": float(self.terms["l1"]) / 2}
        if "constant" in self.terms:
            row["loss_g_constant"] = float(self.terms["constant"])
        if "tv" in self.terms:
            row["tv_train_batch"] = float(self.terms["tv"])
        if "feature_matching" in self.terms:
            row["loss_g_fm"] = float(self.terms["feature_matching"])
        if "ssim" in self.terms:
            row["loss_g_ssim"] = float(self.terms["ssim"])
        return row


# -- evaluation and figures --------------------------------------------------------------------------------


def similarity(pred: Tensor, target: Tensor) -> dict[str, float]:
    """Mean L1, SSIM and ink IoU of predictions against targets, shapes (N, 1, S, S)."""
    return {
        "l1": float(l1_distance(pred, target).mean()),
        "ssim": float(ssim(pred, target).mean()),
        "iou": float(binary_iou(pred, target).mean()),
    }


def mean_targets(pairs: GlyphPairs) -> Tensor:
    """(K, 1, S, S): the average target glyph of each category (a prediction that ignores the source)."""
    return torch.stack([pairs.target[pairs.category == k].mean(dim=0) for k in range(len(pairs.targets))])


@torch.no_grad()
def translate(G: nn.Module, pairs: GlyphPairs, batch: int = 256) -> Tensor:
    """G(s, c) for every pair (G in eval mode, on its own device), (N, 1, S, S) on the CPU."""
    was_training = G.training
    G.eval()
    device = next(G.parameters()).device
    out = torch.cat(
        [
            G(s.to(device), c.to(device)).float().cpu()
            for s, c in zip(pairs.source.split(batch), pairs.category.split(batch))
        ]
    )
    G.train(was_training)
    return out


def evaluate(G: nn.Module, pairs: GlyphPairs, mean_target: Tensor | None = None) -> tuple[dict, Tensor]:
    """Metrics of G and of the baselines; returns (metrics, outputs).

    Baselines: the source glyph itself as the prediction, and (given ``mean_target``, (K, 1, S, S),
    e.g. from the training pairs) the average target glyph of the category.
    """
    out = translate(G, pairs)
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


def judge_for(pairs: GlyphPairs, source: str | tuple[str, ...], size: int):
    """The shipped glyph judge (:mod:`divergan.apps.glyph_judge`, CJK or Latin) that can read these
    pairs: it reads ``size``-px glyphs, or ``size`` / 2^k-px ones (the judge of the smallest such k:
    :func:`judge_scores` then reduces every image alike), knows every character, and learnt from none of
    the files of the source and target fonts; None when no shipped judge fits (e.g. a Latin run with
    DejaVu Serif as a target, a font the Latin judge learnt from). ``source`` may name several fonts (a
    run's source and its extra sources: :attr:`GlyphData.sources`)."""
    from divergan.apps.glyph_judge import CJK_JUDGE, LATIN_JUDGE, load_judge

    sources = (source,) if isinstance(source, str) else tuple(source)
    used = {font_file(f) for f in (*sources, *pairs.targets)}
    fitting = []
    for path in (CJK_JUDGE, LATIN_JUDGE):
        if not path.is_file():
            continue
        judge = load_judge(path)
        factor = size // judge.size
        if factor < 1 or factor * judge.size != size or factor & (factor - 1):  # not size / 2^k
            continue
        if set(pairs.chars) <= set(judge.chars) and used.isdisjoint(font_file(f) for f in judge.fonts):
            fitting.append((factor, judge))
    return min(fitting, key=lambda f: f[0])[1] if fitting else None


def at_judge_size(images: Tensor, size: int) -> Tensor:
    """Glyphs (N, 1, S, S) reduced to a judge's ``size`` px by the 2^k × 2^k area average, S = 2^k · size
    (:func:`judge_for` finds only such judges); unchanged when S is ``size``."""
    factor = images.shape[-1] // size
    return F.avg_pool2d(images, factor) if factor > 1 else images


def judge_scores(pairs: GlyphPairs, out: Tensor, source: str | tuple[str, ...]) -> dict | None:
    """The shipped glyph judge's reading of the generated glyphs beside the real target and source glyphs,
    per target font (:func:`judge_for` picks the judge); None when no shipped judge fits.

    Glyphs larger than the judge are read at the judge's size: the generated, the real target and the
    source glyphs alike, each reduced by the same 2^k × 2^k area average (``read_at`` in each font's
    scores: the size the judge read; a 64-px run is read at 32 px by the 32-px judge)."""
    judge = judge_for(pairs, source, out.shape[-1])
    if judge is None:
        return None

    def read(images: Tensor) -> Tensor:
        return at_judge_size(images, judge.size)

    scores = {}
    for k, name in enumerate(pairs.targets):
        idx = (pairs.category == k).nonzero().squeeze(1)
        chars = "".join(pairs.chars[i] for i in idx.tolist())
        scores[name] = {
            "generated": judge.accuracy(read(out[idx]), chars),
            "real_target": judge.accuracy(read(pairs.target[idx]), chars),
            "source": judge.accuracy(read(pairs.source[idx]), chars),
            "n": len(chars),
            "read_at": judge.size,
        }
    return scores


def comparison_grid(pairs: GlyphPairs, out: Tensor, path: Path, columns: int = 16) -> Path:
    """Rows of source / generated / target, one triple of rows per target font (first ``columns`` chars)."""
    from divergan.figures.grids import save_grid

    return save_grid(comparison_rows(pairs, out, columns), path, nrow=columns, scale=2)


def comparison_rows(pairs: GlyphPairs, out: Tensor, columns: int = 16) -> Tensor:
    """The images of :func:`comparison_grid`, (3·K·columns, 1, S, S), rows padded with blank cells."""
    rows = []
    for k in range(len(pairs.targets)):
        idx = (pairs.category == k).nonzero().squeeze(1)[:columns]
        for images in (pairs.source, out, pairs.target):
            row = images[idx]
            pad = torch.full((columns - len(idx), *row.shape[1:]), -1.0)
            rows.append(torch.cat([row, pad]))
    return torch.cat(rows)


# -- the App: what the loop calls -----------------------------------------------------------------------


class GlyphApp(App):
    """Glyph translation on the one loop (see the module docstring)."""

    name = "glyphs"

    def check(self, cfg: Config, *, generator: nn.Module | None = None, critic: nn.Module | None = None):
        if generator is not None or critic is not None:
            raise UserError("the glyph application builds its own networks: do not pass generator/critic")
        if cfg.size not in SIZES:
            raise UserError(f"size must be {', '.join(map(str, SIZES))}, got {cfg.size}")
        if dist.world_size() > 1:
            raise UserError("the glyph application trains in one process (not under torchrun)")
        objective = get_objective(cfg.objective, **cfg.objective_params)
        if not objective.needs_critic:
            raise UserError(f"objective {cfg.objective!r} has no critic; glyph translation needs one")
        if objective.critic_outputs != 1:
            raise UserError(
                f"objective {cfg.objective!r} needs a critic with several outputs; glyphs have one"
            )
        if cfg.category_weights:
            n = len(fonts(cfg)[1])
            if len(parse_weights(cfg.category_weights)) != n:
                raise UserError(
                    f"category_weights must give one weight per target font ({n}): {cfg.category_weights!r}"
                )
        return load_data(cfg), objective

    def build(
        self, cfg: Config, *, generator: nn.Module | None = None, critic: nn.Module | None = None
    ) -> Parts:
        import copy

        torch.manual_seed(cfg.seed)
        data, objective = self.check(cfg, generator=generator, critic=critic)
        G, _ = self.generator(cfg)  # the U-Net of cfg, as a checkpoint reader rebuilds it
        D = PatchCritic(len(data.train.targets), cfg.d_width, n_down=cfg.patch_down)
        kind = objective.optimizer if cfg.optimizer == "auto" else cfg.optimizer

        def optimizer(params, lr: float) -> torch.optim.Optimizer:
            if kind == "rmsprop":
                return torch.optim.RMSprop(params, lr=lr)
            return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.adam_eps)

        return Parts(
            dataset=data,  # type: ignore[arg-type]
            objective=objective,
            generator=G,
            critic=D,
            ema=copy.deepcopy(G).requires_grad_(False).eval(),
            opt_g=optimizer(G.parameters(), cfg.lr_g),
            opt_d=optimizer(D.parameters(), cfg.lr_d),
            ratio=None,
            rng=torch.Generator().manual_seed(cfg.seed),
        )

    def step_flops(self, cfg: Config) -> float:
        return 0.0

    def describe(self, cfg: Config) -> str:
        return "glyphs"

    def game(
        self, cfg: Config, parts: Parts, G: nn.Module, D: nn.Module | None, *, device, timer
    ) -> PairedGame:
        return PairedGame(
            parts.objective,
            G,
            D,  # type: ignore[arg-type]
            parts.dataset.training,  # type: ignore[attr-defined]
            batch=cfg.batch,
            rng=parts.rng,
            device=device,
            l1_weight=cfg.l1_weight,
            l1_weight_end=cfg.l1_weight_end,
            steps=cfg.steps,
            const_weight=cfg.const_weight,
            l1_scales=cfg.l1_scales,
            category_weights=parse_weights(cfg.category_weights) if cfg.category_weights else None,
            jitter=cfg.glyph_jitter,
            tv_weight=cfg.tv_weight,
            tv_norm=cfg.tv_norm,
            fm_weight=cfg.fm_weight,
            ssim_weight=cfg.ssim_weight,
        )

    def ema_buffers(self, parts: Parts) -> list[str]:
        """Every buffer (the U-Net's batch-norm statistics): the EMA evaluates with the generator's."""
        return [name for name, _ in parts.generator.named_buffers()]

    def ready_ema(self, cfg: Config, parts: Parts, step: int) -> None:
        parts.ema.eval()  # its batch-norm statistics are the generator's, copied at every step

    def interval_metrics(self, cfg: Config, parts: Parts, device: torch.device, done: int) -> dict:
        """The EMA's held-out L1 and, when a shipped judge fits the run, its reading per target font
        (``heldout_judge_FONT``: the fraction of generated held-out glyphs read as their character)."""
        data: GlyphData = parts.dataset  # type: ignore[assignment]
        metrics, out = evaluate(parts.ema, data.held_out)
        row = {"heldout_l1": metrics["model"]["l1"]}
        for font, j in (judge_scores(data.held_out, out, data.sources) or {}).items():
            row[f"heldout_judge_{font}"] = j["generated"]
        return row

    def tb_view(self, parts: Parts) -> None:
        return None  # no scatter of samples: the held-out translations instead (tb_images)

    def tb_images(self, cfg: Config, parts: Parts, step: int) -> dict[str, tuple[Tensor, int]]:
        """The held-out characters: rows of source / translation / target per target font."""
        held = parts.dataset.held_out  # type: ignore[attr-defined]
        return {"heldout": (comparison_rows(held, translate(parts.ema, held)), 16)}

    def grid(self, cfg: Config, parts: Parts, path: Path, step: int) -> None:
        held = parts.dataset.held_out  # type: ignore[attr-defined]
        comparison_grid(held, translate(parts.ema, held), path)

    def finish(self, cfg: Config, run: Path, parts: Parts, train_seconds: float, timer: Any) -> dict:
        data: GlyphData = parts.dataset  # type: ignore[assignment]
        G = parts.ema
        held, out_held = evaluate(G, data.held_out, mean_targets(data.train))
        seen, out_train = evaluate(G, data.train, mean_targets(data.train))
        heldout_chars = "".join(dict.fromkeys(data.held_out.chars))
        results = {
            "steps": cfg.steps,
            "sampler": "direct",
            "source": data.source,
            "targets": list(data.train.targets),
            "train_characters": "".join(dict.fromkeys(data.train.chars)),
            "heldout_characters": heldout_chars,
            "near_copies_left_out": data.near_copies,
            "heldout": held,
            "heldout_judge": judge_scores(data.held_out, out_held, data.sources),
            "train": seen,
            "train_seconds": train_seconds,
            "seconds": train_seconds,
        }
        if data.extra_sources:
            results["extra_sources"] = list(data.extra_sources)
        (run / "heldout.txt").write_text("".join(ch + "\n" for ch in heldout_chars), encoding="utf-8")
        comparison_grid(data.held_out, out_held, run / "heldout.png")
        comparison_grid(data.train, out_train, run / "train.png")
        (run / "final_metrics.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        if cfg.tensorboard:
            from divergan.figures.tensorboard import write_hparams

            write_hparams(run, cfg.to_json(), {"heldout": held["model"]})
        return results

    def evaluate(self, cfg: Config, parts: Parts, log_ratio=None) -> tuple[dict, dict[str, Tensor]]:
        """The held-out characters: the model's L1/SSIM/IoU (``direct``) beside the two baselines."""
        data: GlyphData = parts.dataset  # type: ignore[assignment]
        held, out = evaluate(parts.ema, data.held_out, mean_targets(data.train))
        return (
            {
                "direct": held["model"],
                "baseline_source": held["baseline_source"],
                "baseline_mean_target": held["baseline_mean_target"],
            },
            {"direct": out},
        )

    def generator(self, cfg: Config) -> tuple[nn.Module, int | None]:
        """The U-Net of ``cfg`` (its categories: the target fonts); it takes (source, category), no z."""
        return UNetGenerator(
            cfg.size,
            len(fonts(cfg)[1]),
            cfg.g_width,
            cfg.embed_dim,
            norm=cfg.glyph_norm,
            dropout=cfg.glyph_dropout,
            upsample=cfg.glyph_upsample,
            warp=cfg.glyph_warp,
        ), None

    def sample(self, cfg: Config, parts: Parts, n: int, rng: torch.Generator) -> Tensor:
        """The EMA's translations of the held-out pairs, in order (repeated when n exceeds them)."""
        held = parts.dataset.held_out  # type: ignore[attr-defined]
        out = translate(parts.ema, held)
        return out[torch.arange(n) % len(out)]


def summary(run: Path, final: dict) -> str:
    h = final["heldout"]
    m, b, a = h["model"], h["baseline_source"], h["baseline_mean_target"]
    return "\n".join(
        [
            f"run: {run}",
            f"glyphs: {final['source']} -> {', '.join(final['targets'])}; {final['train_seconds']:.1f} s training",
            f"held-out characters ({len(final['heldout_characters'])}): {final['heldout_characters']}",
            *(
                [f"left out of training as near copies of held-out glyphs: {final['near_copies_left_out']}"]
                if final.get("near_copies_left_out")
                else []
            ),
            f"  model     L1 {m['l1']:.4f}  SSIM {m['ssim']:.3f}  IoU {m['iou']:.3f}",
            f"  baseline  L1 {b['l1']:.4f}  SSIM {b['ssim']:.3f}  IoU {b['iou']:.3f}   (source glyph as prediction)",
            f"  baseline  L1 {a['l1']:.4f}  SSIM {a['ssim']:.3f}  IoU {a['iou']:.3f}   (mean training target glyph)",
            *(
                f"  judge ({font}): reads {j['generated']:.1%} of the generated glyphs, {j['real_target']:.1%} of "
                f"the real ones, {j['source']:.1%} of the source glyphs"
                for font, j in (final.get("heldout_judge") or {}).items()
            ),
            f"files: {run / 'heldout.png'}, train.png, heldout.txt, final_metrics.json, metrics.jsonl, checkpoints/",
        ]
    )


#: the App :func:`divergan.apps.app_for` gives for ``app = "glyphs"``
APP = GlyphApp()
