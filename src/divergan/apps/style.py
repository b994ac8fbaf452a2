"""The style-based generator (Sun (PaperWeekly), §5.3) on small digit images, as a Game on the one loop.

``divergan train --preset style-digits`` trains :class:`~divergan.nn.stylegan.StyleGenerator` against
:class:`~divergan.nn.stylegan.StyleCritic` on the 1,797 8 × 8 scikit-learn digits upsampled to 16 × 16
(500 of them held out):

    critic:     objective.critic_loss(V(x), V(G(z)))  [+ the objective's penalty]
                + R1 = (γ/2) E‖∇_x V(x)‖²  every k-th step, weighted by k (lazy regularisation);
                with ``critic_mixing`` the fakes G(z) are style-mixed as in the generator phase
    generator:  objective.generator_loss(V(x) if read, V(G(z)))  with style-mixing regularisation: for a
                fraction ``mixing`` of the batch, two latents z₁, z₂ cross at a random layer

with Adam (β₁ = 0, β₂ = 0.99, as StyleGAN2), an EMA copy of the generator (half-life in steps; the
running mean w̄ of the mapping network's outputs, for the truncation trick, is copied) on the loop
(:func:`divergan.train.loop.train`: resume, signals, devices, TensorBoard scalars, checkpoints). At
each evaluation interval: W1 of EMA samples to the held-out digits. After training (the figures hook,
:meth:`StyleApp.finish`): ``mixing-8.png`` and ``mixing-16.png`` (style-mixing grids: coarse styles
from the row's source, the rest from the column's), ``truncation.png`` (rows of one z each at
ψ = 0, 0.125, …, 1), ``samples.png``, and ``final_metrics.json`` with pixel-space distances to the 500
held-out digits at several ψ (exact W1 by optimal transport, MMD with the median bandwidth, and the
spread — mean distance between two samples — which truncation shrinks), beside the same numbers for
500 real training digits.

``--preset style-mnist`` does the same on the MNIST 5k at 28 px (data ``mnist``: 4,500 training
digits, 500 held out, the split of the DCGAN ``mnist`` presets; the synthesis starts at 7 × 7). Its
interval metrics add the shipped digit classifier's FD and class KL (500 samples against the held-out
digits), and :func:`judge` adds to ``final_metrics.json`` what benchmarks/apps_style.py reports: the
generator's own samples judged as the DCGAN presets are (``direct``), precision/recall per truncation
ψ toward w̄ (``truncation``) and toward the nearest of 64 k-means centres of W (``truncation_multimodal``,
labelled, beside), style mixing at each crossover (``mixing``) and one row of ws at a time (``rows``).
The classifier only judges.

With ``clusters=k`` the generator is self-conditioned on k clusters of the training digits (k-means on
their pixels or t-SNE map, :mod:`divergan.data.clusters`; no label is read): the mapping network reads an
embedding of the cluster beside z, the critic adds a projection of it, and the cluster is a function of
the latent's first coordinate (:class:`~divergan.nn.stylegan.StyleGenerator`), so every caller still
draws z ~ N(0, I). ``cluster_blocks`` draws each batch in blocks of ``d_mbstd`` digits of one cluster, so
that the minibatch standard deviation compares samples of one cluster.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from divergan.errors import UserError
from divergan.metrics.distances import mmd, w1
from divergan.nn.augment import DiffAugment, parse_policy
from divergan.nn.stylegan import StyleCritic, StyleGenerator, start_resolution
from divergan.objectives import Objective, get_objective, r1_penalty
from divergan.train import dist
from divergan.train.config import Config
from divergan.train.loop import App, Parts

_BASE = {
    "app": "style",
    "data": "digits",
    "size": 16,
    "z_dim": 32,
    "w_dim": 32,
    "mapping_depth": 3,
    "noise_from": 4,
    "g_width": 16,  # channels of every synthesis block
    "d_width": 16,  # channels of the critic's first layer
    "objective": "non-saturating",
    "r1_gamma": 0.5,
    "r1_every": 4,
    "mixing": 0.9,
    "steps": 1500,
    "batch": 32,
    "optimizer": "adam",
    "lr_g": 1e-3,
    "lr_d": 1e-3,
    "lr_mapping_factor": 1.0,  # StyleGAN's 0.01 assumes equalised learning rates, not used here
    "beta1": 0.0,
    "beta2": 0.99,
    "ema_half_life": 100.0,
    "log_every": 50,
    "eval_every": 500,
    "checkpoint_every": 500,
}

#: named style configurations (full configs: the keys not named keep Config's defaults)
PRESETS: dict[str, dict[str, Any]] = {
    "style-digits": dict(_BASE),  # 16 px, 1,500 steps: a few minutes on 2 CPU cores
    # MNIST 5k at 28 px (7 → 14 → 28), minibatch standard deviation, lazy R1; judged like the DCGAN mnist
    # presets (benchmarks/apps_style.py). Plain layers at lr 1e-3 (the style-digits recipe): with the
    # equalised learning rate (equalized=true, lr 2e-3, mapping 0.1× or 0.01×) three runs collapsed
    # toward one digit within 1,000-1,500 steps, and so did g_skip=false (one toRGB at 28 px: FD 31.8,
    # class KL 2.21 at step 1,000 of a screen, against 7.9 and 0.68 with skips; docs/applications.md)
    # critic_mixing=true, lr 5e-4, pl_weight=0, 4,000 steps: FD 1.93 / KL 0.061 on seed 0 but 4.94 / 0.49
    # on seed 1 (docs/applications.md): not robust, not adopted. R3GAN's loss on top of that (objective=rpgan,
    # r1_gamma=0): R1 = R2 = 0.1 stopped at step 2,000 of seed 1 (interval class KL 0.80); R1 = R2 = 1 reached
    # FD 2.98 / KL 0.298 on seed 1 and 1.47 / 0.132 on seed 0: not robust, not adopted.
    # Since 2 December evening: self-conditioned on 20 clusters of the digits' t-SNE map (no labels), the
    # minibatch standard deviation within a cluster (cluster_blocks), R3GAN's loss with R1 = R2 = 1, the
    # critic judging mixed fakes: FD 0.115 / 0.103, class KL 0.007 / 0.005, recall 0.63 / 0.72 on seeds 0 / 1
    # (docs/applications.md, "Self-conditioning the style generator"); since 3 December 8,000 steps (was
    # 4,000; the rate decays over the second half): FD 0.082 (0.121), 7.3 % of samples the classifier is unsure
    # of (8.0 %), 1,126 s wall at two threads on the idle machine; seed 1: FD 0.114, 8.2 % (docs/applications.md).
    # Screened on 4 December, not adopted: clusters=60 (FD 0.094 / 0.083, unsure 6.2 / 7.5 %), and run F's critic
    # (non-saturating, lazy R1, d_width=32) on 60 clusters for 6,000 steps (unsure 4.1 / 4.7 %, FD 0.120 / 0.129)
    # As a user runs it on another host (4 December afternoon): FD 0.078, unsure 6.9 %, 1,319 s wall (over 20 min)
    # Screened on 4 December evening (seed 0), not adopted: penalty_every=4 clusters=60 ema_half_life=500 (0.61
    # of the step time; FD 0.080, unsure 6.8 % over ten draws, against the preset's 0.085 and 6.6 %), and
    # penalty_every=8 d_width=24 with the same (FD 0.081, unsure 7.3 %). Since 4 December evening, by a rule
    # written before its runs: the DCGAN preset's penalties (R1 = R2 = 0.1 on every 8th step), 60 clusters,
    # EMA half-life 500: FD 0.089 / 0.076 and unsure 5.8 / 6.0 % over ten draws on seeds 0 / 1; as a user runs
    # it 844 s wall (the previous preset 1,319 s on that host), FD 0.084 and unsure 6.9 % over ten draws.
    # Screened on 4 December night, not adopted: g_width=24 (unsure 6.3 / 7.0 %) and d_width=32 for 6,000
    # steps (6.0 / 6.3 %). Since then, by a rule written before its runs: run F's loss on the 16-wide critic,
    # the non-saturating loss with lazy R1 (gamma 0.5 on every 4th step, no R2): FD 0.078 / 0.074 and unsure
    # 4.5 / 5.6 % over ten draws on seeds 0 / 1 (the rpgan recipe's 5.8 / 6.0 %), 1,192 / 1,202 CPU s
    # (as a user runs it: 809 s wall, FD 0.076, unsure 4.6 %). Measured beside, not adopted: d_width=32 for 6,000
    # steps reads 3.6 % unsure over ten draws (real digits 3.6 %) but FD 0.122 over ten draws (> 0.111)
    # Screened on 4 December late night, not adopted (unsure over ten draws, seeds 0 / 1, against 4.5 / 5.6 %):
    # d_width=24 (5.3 / 5.1 %), clusters=100 (5.9 / 6.5 %), mixing=0.5 (5.2 / 5.6 %), r1_gamma=0.1 (4.5 / 4.8 %,
    # but FD 0.102 / 0.122 over ten draws: a stricter critic trades recall for clean digits); measured beside:
    # r1_gamma=0.1 d_width=24 reads 4.1 / 3.7 % unsure but FD 0.152 / 0.108 over ten draws. Screened on 5 December,
    # not adopted: that with d_augment=translation (recall 0.00: per-image shifts blind the minibatch std) and with
    # augment_groups=true as well (FD 0.22 / 0.21, unsure 5.9 / 8.8 %). Since 5 December, by a rule written before
    # its runs: ema_half_life=1000 (was 500): unsure 3.7 / 4.4 % and FD 0.098 / 0.083 over ten draws on seeds 0 / 1;
    # as a user runs it 761 s wall, FD 0.091 (0.104 over ten draws), unsure 4.2 % (4.2 % over ten draws)
    # Since 5 December night ("CU3"): the cluster conditions the 7-px styles alone and they read nothing else
    # (cluster_until=7, coarse_z=false), 10,000 steps. The fine source (14 and 28 px) sets the stroke width at the
    # 14-px crossover on four seeds (slope 0.51-0.62 against 0.17-0.22), the mix keeps the coarse class in 91 %;
    # FD 0.087-0.108 and unsure 2.8-3.9 % over ten draws; recall 0.52-0.66 (E1000: 0.74-0.76). As a user runs it
    # (two threads): 984 s wall, FD 0.099 over ten draws (0.108 on one), unsure 2.8 %, identical to the screen's
    "style-mnist": {
        **_BASE,
        "data": "mnist",
        "size": 28,
        "z_dim": 64,  # z₀ picks the cluster, z₁… go to the mapping network
        "w_dim": 64,
        "mapping_depth": 4,
        "noise_from": 7,
        "g_width": 16,
        "width_doubling": True,  # 16 channels at 28 px, 32 at 14, 64 at 7
        "d_width": 16,
        "d_mbstd": 4,
        "clusters": 60,
        "cluster_space": "tsne",
        "cluster_blocks": True,  # batches in blocks of 4 digits of one cluster: the mbstd groups
        "objective": "non-saturating",  # with lazy R1: γ = 0.5 on every 4th critic step, weighted by 4
        "r1_gamma": 0.5,
        "r1_every": 4,
        "critic_mixing": True,
        "lr_g": 5e-4,
        "lr_d": 5e-4,
        "batch": 32,
        "steps": 10000,  # since 5 December night (8,000 until then), with the coarse rows' split below
        "lr_schedule": "linear",  # lr decays linearly to 0 over the second half
        "ema_half_life": 1000.0,  # since 5 December (500, the DCGAN preset's, until then): fewer malformed digits
        "cluster_until": 7,  # the 7-px block alone reads the cluster (the coarse styles)...
        "coarse_z": False,  # ...and nothing else: the finer rows (14 and 28 px) draw every variation within it
        "eval_every": 500,
        "checkpoint_every": 500,
    },
    "style-quick": {
        **_BASE,
        "steps": 40,
        "g_width": 8,
        "d_width": 8,
        "z_dim": 8,
        "w_dim": 8,
        "batch": 16,
        "log_every": 10,
        "eval_every": 20,
        "checkpoint_every": 20,
    },
}

HELD_OUT = 500  # digits held out of training, for the distances


def synthesis_widths(cfg: Config) -> int | dict[int, int]:
    """The synthesis blocks' channels: ``g_width`` everywhere, or with ``width_doubling`` g_width at full
    size and twice as many at each halving (at most 256), like the critic's."""
    if not cfg.width_doubling:
        return cfg.g_width
    r, widths = cfg.size, {}
    while True:
        widths[r] = min(cfg.g_width * (cfg.size // r), 256)
        if r == start_resolution(cfg.size):
            return widths
        r //= 2


# -- data adapter ----------------------------------------------------------------------------------------


def load_digits(size: int = 16) -> Tensor:
    """The 1,797 scikit-learn digits (8 × 8, values 0..16) as (N, 1, size, size) in [-1, 1], bilinear."""
    from sklearn.datasets import load_digits as sk_digits

    x = torch.as_tensor(sk_digits().images, dtype=torch.float32)[:, None] / 8.0 - 1.0  # (N, 1, 8, 8)
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(-1, 1)
    return x


@dataclass
class StyleData:
    """Training and held-out digits, (N, 1, S, S) in [-1, 1]; with ``clusters`` their cluster ids (N,)
    and (M,) (:func:`divergan.data.clusters.cluster_dataset`, found without labels)."""

    train: Tensor
    held_out: Tensor
    train_ids: Tensor | None = None
    held_out_ids: Tensor | None = None

    is_image = True

    @property
    def dim(self) -> int:
        return int(self.train[0].numel())


def load_data(
    cfg: Config, rng: torch.Generator, cluster_ids: tuple[Tensor, Tensor | None] | None = None
) -> StyleData:
    """The run's digits: scikit-learn's (1,797; 500 held out by a permutation drawn from ``rng``) or the
    MNIST 5k at 28 px (4,500 training, 500 held out: the fixed split of the DCGAN ``mnist`` presets).
    With ``clusters``, their cluster ids: ``cluster_ids`` (as a checkpoint saved them) or clustered now."""
    if cfg.data == "mnist":
        from divergan.data.images import mnist

        ds = mnist(size=cfg.size)
        assert ds.held_out is not None
        data = StyleData(train=ds.points, held_out=ds.held_out)
    else:
        digits = load_digits(cfg.size)
        perm = torch.randperm(len(digits), generator=rng)
        data = StyleData(train=digits[perm[HELD_OUT:]], held_out=digits[perm[:HELD_OUT]])
    if cfg.clusters and cluster_ids is not None:
        data.train_ids, data.held_out_ids = cluster_ids
    elif cfg.clusters:  # self-conditioning: k-means on the pixels or their t-SNE map; no label is read
        from divergan.data.base import Dataset
        from divergan.data.clusters import cluster_dataset

        images = Dataset(
            name=cfg.data,
            dim=data.dim,
            points=data.train,
            shape=tuple(data.train.shape[1:]),
            held_out=data.held_out,
        )
        clustered = cluster_dataset(images, cfg.clusters, cfg.seed, cfg.cluster_space)
        data.train_ids, data.held_out_ids = clustered.labels, clustered.held_out_labels
    return data


# -- the Game ----------------------------------------------------------------------------------------------


def real_outputs(objective: Objective, D: nn.Module, real: Tensor) -> Tensor | None:
    """V(real) without gradient for a generator loss that reads it (``mmd-gan``), else None."""
    if not objective.generator_uses_real:
        return None
    with torch.no_grad():
        return D(real)


def mixed_styles(
    G: StyleGenerator,
    z: Tensor,
    mixing: float,
    rng: torch.Generator,
    update_w_avg: bool = True,
    c: Tensor | None = None,
) -> Tensor:
    """ws for a training batch: a random ``mixing`` fraction of rows take w(z₂) from a random crossover on.

    The random draws (which rows, z₂, the crossovers) come from ``rng`` on the CPU and move to z's device.
    A self-conditioned generator mixes within a row's cluster ``c`` (default: z's own, from z₀), as
    StyleGAN2-ADA mixes within a class (with ``cluster_until`` the finer rows of z₂ are w(z₂, ∅) as ever).
    """
    if G.clusters and c is None:
        c = G.cluster_of(z)
    ws = G.styles(z, update_w_avg=update_w_avg, c=c)  # (B, num_ws, w_dim)
    B, device = z.shape[0], z.device
    mix = (torch.rand(B, generator=rng) < mixing).to(device)  # (B,)
    if mix.any():
        ws2 = G.styles(torch.randn(B, G.z_dim, generator=rng).to(device), c=c)  # (B, num_ws, w_dim)
        cut = torch.randint(1, G.num_ws, (B,), generator=rng).to(device)  # (B,) crossover rows
        rows = torch.arange(G.num_ws, device=device)[None, :] >= cut[:, None]  # (B, num_ws)
        ws = torch.where((rows & mix[:, None])[:, :, None], ws2, ws)
    return ws


def path_lengths(images: Tensor, ws: Tensor, noise: Tensor) -> Tensor:
    r"""StyleGAN2's path lengths ‖J_wᵀ y‖ of a batch, (B,): with g = ∂(Σ images · y)/∂ws (B, num_ws, w_dim)
    and y = ``noise`` (the caller draws y ~ N(0, I)/√(H·W)),

    .. math::

        \ell_b = \sqrt{\tfrac{1}{L} \textstyle\sum_{l=1}^{L} \sum_{j} g_{blj}^2},

    the root mean over the L rows of ws of each row's squared gradient norm. ``images`` must be computed
    from ``ws`` with gradients; the result keeps the graph (``create_graph``), so a penalty on it trains
    the generator (a double backward).
    """
    (grad,) = torch.autograd.grad((images * noise).sum(), ws, create_graph=True)
    return grad.square().sum(dim=2).mean(dim=1).sqrt()


def path_length_penalty(lengths: Tensor, mean: Tensor, decay: float = 0.01) -> tuple[Tensor, Tensor]:
    r"""(E_b (ℓ_b − a)², a) with a ← a + decay (mean_b ℓ_b − a) the running mean of the path lengths
    (StyleGAN2, Karras et al. 2020, eq. 4; decay 0.01): the penalty pulls every path length toward the
    same value, so that a fixed-size step in W changes the image by a fixed amount in any direction.
    As in StyleGAN2 the gradient also flows through a's new term. ``mean`` (0-dim) is not changed; the
    caller stores the returned a (detached).
    """
    a = mean.lerp(lengths.mean(), decay)
    return (lengths - a).square().mean(), a.detach()


INFO_CODES = 2  # fine_info: the numbers Q reads (InfoGAN's two continuous codes on MNIST)


def first_fine_row(G: StyleGenerator, fine_from: int = 0) -> int:
    """The first row of ws the fine terms vary: ``fine_from``, or (0) the finest block's first row."""
    return fine_from or G.crossover_row(G.synthesis.resolutions[-1])


class StyleGame:
    """The style generator's game: lazy R1 in the critic phase, style mixing in the generator phase.

    The critic phase draws real digits x and noise z; the generator phase draws fresh z (and the
    mixing's random numbers) and reads the critic phase's x where the objective's generator loss needs
    V(x). The critic's loss is the objective's: its ``divergence_estimate`` holds (before R1).
    """

    estimates_divergence = True

    # Self-conditioned (``clusters``): the critic reads the cluster ids; the critic phase draws the fakes
    # with the real batch's ids (drawn at the clusters' shares, as the images are), so one set of ids
    # serves both batches and the objective's penalty; the generator phase draws them from z₀ (with
    # ``cluster_blocks``, it reuses the critic batch's blocks of ids, so its fakes come in blocks too).

    def __init__(
        self,
        objective: Objective,
        G: StyleGenerator,
        D: nn.Module,
        data: StyleData,
        *,
        cfg: Config,
        rng: torch.Generator,
        device: torch.device,
    ) -> None:
        self.objective, self.G, self.D, self.data = objective, G, D, data
        self.batch, self.z_dim, self.rng, self.device = cfg.batch, cfg.z_dim, rng, device
        self.r1_gamma, self.r1_every, self.mixing = cfg.r1_gamma, cfg.r1_every, cfg.mixing
        self.critic_mixing = cfg.critic_mixing
        self.penalty_every = cfg.penalty_every
        self.pl_weight, self.pl_every = cfg.pl_weight, cfg.pl_every
        self.fine_diversity, self.fine_from = cfg.fine_diversity, cfg.fine_from
        self.fine_ratio: float | None = None  # the last mode-seeking ratio r, for the log
        self.fine_info, self.fine_info_noise = cfg.fine_info, cfg.fine_info_noise
        self.fine_r2: float | None = None  # the last InfoGAN term's R² = 1 − its value, for the log
        self.real: Tensor | None = None
        self.real_ids: Tensor | None = None
        # DiffAugment (``d_augment``): the critic sees T(x) and T(G(z)), T drawn per image from the run's
        # stream after the step's other draws (so a run without it keeps its random stream bit for bit)
        self.augment = DiffAugment(parse_policy(cfg.d_augment)) if cfg.d_augment else None
        # one T per minibatch-std group (``augment_groups``): the group's spread stays its images' own
        self.augment_group = cfg.d_mbstd if cfg.augment_groups else 1
        self.block = cfg.d_mbstd if cfg.cluster_blocks else 0
        if self.block:  # the training images sorted by cluster, and where each cluster starts
            ids = data.train_ids
            assert ids is not None
            self.by_cluster = torch.argsort(ids, stable=True)
            sizes = torch.bincount(ids, minlength=cfg.clusters)
            self.cluster_size, self.cluster_start = sizes, sizes.cumsum(0) - sizes

    def _noise(self) -> Tensor:
        return torch.randn(self.batch, self.z_dim, generator=self.rng).to(self.device)

    def transform(self, x: Tensor) -> Tensor:
        """T(x): DiffAugment with fresh parameters per image, or with ``augment_groups`` one draw for each
        group of g consecutive images (the critic's minibatch-std groups); x itself without ``d_augment``.

        Why groups: the minibatch standard deviation tells a block of one digit drawn four times from four
        different digits by their spread; shifted independently, four copies of one digit spread as much
        as four digits do (benchmarks/style_overfit.py's docs), and the layer goes blind to collapse."""
        if self.augment is None:
            return x
        n, (h, w), g = len(x), x.shape[-2:], self.augment_group
        g = g if n % g == 0 else 1  # per image (g = 1: DiffAugment's own draw) where groups do not fit
        params = self.augment.draw(n // g, h, w, self.rng)
        return self.augment.apply(x, {k: v.repeat_interleave(g, 0) for k, v in params.items()})

    def critic_on(self, c: Tensor | None):
        """The critic as a function of the images alone (for the penalties): D, or x ↦ D(x, c)."""
        return self.D if c is None else (lambda x, D=self.D, c=c: D(x, c))

    def _indices(self) -> Tensor:
        """(B,) training rows: uniform, or with ``cluster_blocks`` in blocks of g rows of one cluster (the
        block's cluster is a uniform image's, i.e. drawn at the clusters' shares; its g rows uniform within
        it), so every row is still a uniform training image."""
        n = len(self.data.train)
        if not self.block:
            return torch.randint(n, (self.batch,), generator=self.rng)
        firsts = torch.randint(
            n, (self.batch // self.block,), generator=self.rng
        )  # one uniform image a block
        k = self.data.train_ids[firsts].repeat_interleave(self.block)  # (B,) each block's cluster
        u = torch.rand(self.batch, generator=self.rng)
        offset = (u * self.cluster_size[k]).long().clamp_max(self.cluster_size[k] - 1)
        return self.by_cluster[self.cluster_start[k] + offset]

    def critic_batch(self) -> tuple[Tensor, Tensor | None, Tensor]:
        """(x, c, z): B training digits (B, 1, S, S), their cluster ids (B,) or None, noise (B, z_dim)."""
        idx = self._indices()
        self.real = self.data.train[idx].to(self.device)
        ids = self.data.train_ids
        self.real_ids = None if ids is None else ids[idx].to(self.device)
        return self.real, self.real_ids, self._noise()

    def generator_batch(self) -> tuple[Tensor, Tensor | None, Tensor]:
        """(x and c of the last critic batch, fresh noise z)."""
        if self.real is None:
            self.critic_batch()
        return self.real, self.real_ids, self._noise()

    def critic_loss(self, batch: tuple, step: int) -> tuple[Tensor, Tensor]:
        real, c, z = batch
        obj, D = self.objective, self.critic_on(c)
        with torch.no_grad():
            fake = self.critic_fakes(z, c)
        real, fake = self.transform(real), self.transform(fake)  # the penalties too see T(x)
        loss = obj.critic_loss(D(real), D(fake))
        game = loss.detach()
        if obj.penalty is not None and step % self.penalty_every == 0:  # lazy: every k-th step, weighted by k
            loss = loss + self.penalty_every * obj.penalty(D, real, fake)
        if self.r1_gamma > 0 and step % self.r1_every == 0:  # lazy R1: every k-th step, weighted by k
            loss = loss + r1_penalty(D, real, self.r1_gamma * self.r1_every)
        return loss, game

    def critic_fakes(self, z: Tensor, c: Tensor | None = None) -> Tensor:
        """The fakes the critic judges: G(z) (of clusters c), or with ``critic_mixing`` the same style
        mixing as the generator phase (a fraction ``mixing`` of the rows cross with w(z₂); StyleGAN2
        mixes in both phases), so that the critic judges the distribution the generator is trained to
        move. The running mean w̄ is updated by the generator phase only."""
        if not self.critic_mixing:
            return self.G(z, c=c)
        return self.G.synthesis(mixed_styles(self.G, z, self.mixing, self.rng, update_w_avg=False, c=c))

    @torch.no_grad()
    def after_critic_step(self) -> None:
        if self.objective.clip is not None:
            for p in self.D.parameters():
                p.clamp_(-self.objective.clip, self.objective.clip)

    def generator_loss(self, batch: tuple, step: int) -> Tensor:
        real, real_c, z = batch
        self.D.requires_grad_(False)  # only ∂/∂G is needed
        c = None
        if self.G.clusters:  # (B,) at the clusters' shares: from z₀, or the critic batch's blocks
            c = real_c if self.block else self.G.cluster_of(z)
        ws = mixed_styles(self.G, z, self.mixing, self.rng, c=c)
        if self.objective.generator_uses_real:  # V(T(x)) as the critic phase saw the real digits
            real = self.transform(real)
        loss = self.objective.generator_loss(
            real_outputs(self.objective, self.critic_on(real_c), real),
            self.critic_on(c)(self.transform(self.G.synthesis(ws))),  # T differentiable in G's images
        )
        if self.pl_weight > 0 and step % self.pl_every == 0:  # lazy: every k-th step, weighted by k
            loss = loss + self.pl_weight * self.pl_every * self.path_length_term(len(z))
        if self.fine_diversity > 0:
            loss = loss + self.fine_diversity * self.fine_diversity_term(len(z))
        if self.fine_info > 0:
            loss = loss + self.fine_info * self.fine_info_term(len(z))
        return loss

    def fine_info_term(self, batch: int) -> Tensor:
        r"""InfoGAN's term (Chen et al. 2016) on the finest block's styles, on half a batch of fresh latents.
        A fresh fine source z_a gives the image x that takes w(z) in every row before the finest block
        (``fine_from`` moves that row) and w_a = w(z_a) from it on (random noise, as in every image the
        critic judges; z_a in z's cluster, as the mixing regulariser mixes). The Q network ``G.info``
        reads two numbers from x, trained toward t = P w_a (:class:`~divergan.nn.stylegan.InfoHead`),
        standardised over the n pairs:

        .. math::

            \tilde t_{bk} = \frac{t_{bk} - \bar t_k}{s_k}, \qquad
            \text{term} = \frac{1}{n K} \sum_{b, k} \big(Q(x_b)_k - \tilde t_{bk}\big)^2 ,

        with t̄_k, s_k the mean and the (biased) standard deviation over the batch, so that the term is
        1 − R² of Q's reading: 1 for a Q that reads nothing (a constant at the mean), 0 for an exact one.
        Minimised by G and Q together, it is InfoGAN's bound on the information the image carries about
        the fine styles (a Gaussian Q of fixed variance). Unlike the mode-seeking term it is bounded: once
        the image shows t, it asks for no larger change. The ws are computed without gradient (the term
        trains the synthesis and Q, not the spread of w); nothing in it reads what the image shows.

        ``fine_info_noise`` = σ > 0 adds N(0, σ²) noise (from the run's stream) to the images Q reads. Without
        it a first screen's generators hid the code in changes of about 1 % of the pixel range, which Q read
        (R² 0.7–0.9) and nobody sees; a matched filter reads a change Δ through the noise at SNR ‖Δ‖/σ, so
        σ sets how large the change must be.
        """
        G, n = self.G, max(batch // 2, 2)
        z, za = (torch.randn(n, self.z_dim, generator=self.rng).to(self.device) for _ in range(2))
        c = G.cluster_of(z) if G.clusters else None  # (n,) z's cluster, shared by its fine source
        with torch.no_grad():
            w, wa = G.w(z, c), G.w(za, c)  # (n, w_dim) each
        fine = first_fine_row(G, self.fine_from)
        ws = w[:, None].repeat(1, G.num_ws, 1)  # (n, num_ws, w_dim)
        ws[:, fine:] = wa[:, None]
        t = G.info.codes_of(wa)  # (n, K)
        t = (t - t.mean(0)) / t.std(0, unbiased=False).clamp_min(1e-8)
        x = G.synthesis(ws)
        if self.fine_info_noise > 0:  # only a change well above the noise can carry the code
            x = x + self.fine_info_noise * torch.randn(x.shape, generator=self.rng).to(x)
        term = (G.info(x) - t).square().mean()
        self.fine_r2 = 1.0 - float(term.detach())
        return term

    def fine_diversity_term(self, batch: int) -> Tensor:
        r"""MSGAN's mode-seeking term (Mao et al. 2019) on the finest block's styles, on a quarter of a
        batch of fresh latents z (a quarter: the term then costs about a fifth of a step). Two fresh fine
        sources z_a, z_b give images x_a, x_b that share w(z) in every row before the finest block and
        take w_a = w(z_a), w_b = w(z_b) from it on (one random noise draw shared by the pair, so only the
        styles differ), and

        .. math::

            r = \frac{\operatorname{mean} |x_a - x_b|}{\operatorname{mean} |w_a - w_b|}, \qquad
            \text{term} = \frac{1}{r + 10^{-5}}.

        Minimising it asks the finest block's styles to change the image (a block that ignores its
        styles gives r = 0 and the largest term); the critic, which judges fakes style-mixed at that
        crossover as well (``critic_mixing``), keeps the change one a digit can have. The ws are computed
        without gradient, so the term trains the synthesis network's response to its styles and cannot
        raise r by shrinking the spread of w. Nothing in it reads what the change is. A self-conditioned
        generator draws z_a and z_b in z's cluster, as the mixing regulariser and ``critic_mixing`` mix
        within a cluster: the images the term shapes are then of the kind the critic judges (with fine
        sources of other clusters, which the critic never sees, the fine styles of a first screen learnt
        to flood such mixes with white). The noise is random, as in every image the critic judges, and
        shared within a pair: with the generator's one fixed "const" noise field, a fifth screen's toRGB
        styles learnt blobs that appear under that field only (62 % of const-noise images, 6 % of random
        ones), which the critic never sees. ``fine_from`` > 0 moves the crossover to that
        row (e.g. past the finest block's up-convolution, whose style selects among the coarser features).
        """
        G, n = self.G, max(batch // 4, 1)
        z, za, zb = (torch.randn(n, self.z_dim, generator=self.rng).to(self.device) for _ in range(3))
        c = G.cluster_of(z) if G.clusters else None  # (n,) z's cluster, shared by its fine sources
        with torch.no_grad():  # the ws are given: the term trains the synthesis, not the spread of w
            w, wa, wb = G.w(z, c), G.w(za, c), G.w(zb, c)  # (n, w_dim) each
        fine = first_fine_row(G, self.fine_from)
        ws = w[:, None].repeat(2, G.num_ws, 1)  # (2n, num_ws, w_dim)
        ws[:, fine:] = torch.cat([wa, wb])[:, None]
        x = G.synthesis(ws, "paired")  # x[i] and x[n + i]: one noise draw, two fine styles
        r = (x[:n] - x[n:]).abs().mean() / (wa - wb).abs().mean().clamp_min(1e-12)
        self.fine_ratio = float(r.detach())
        return 1.0 / (r + 1e-5)

    def path_length_term(self, batch: int) -> Tensor:
        """The path-length penalty on half a batch of fresh latents (StyleGAN2's pl_batch_shrink 2), with
        style mixing as in the main term; updates the generator's running mean ``pl_mean``."""
        G = self.G
        z = torch.randn(max(batch // 2, 1), self.z_dim, generator=self.rng).to(self.device)
        ws = mixed_styles(G, z, self.mixing, self.rng, update_w_avg=False)
        images = G.synthesis(ws)  # (B, C, H, W)
        H, W = images.shape[2:]
        y = torch.randn(images.shape, generator=self.rng).to(images) / (H * W) ** 0.5
        penalty, a = path_length_penalty(path_lengths(images, ws, y), G.pl_mean)
        G.pl_mean.copy_(a)
        return penalty

    def after_generator_backward(self) -> None:
        self.D.requires_grad_(True)

    def log_extras(self) -> dict[str, float]:
        extras = {} if self.fine_ratio is None else {"fine_ratio": self.fine_ratio}
        return extras | ({} if self.fine_r2 is None else {"fine_info_r2": self.fine_r2})


# -- figures and metrics -----------------------------------------------------------------------------------


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


def truncation_strip(
    G: StyleGenerator, z: Tensor, psis: list[float], centres: Tensor | None = None
) -> Tensor:
    """(len(z)·len(psis)) images: row i is z_i at every ψ (const noise), toward w̄ or the nearest centre."""
    with torch.no_grad():
        return torch.stack([G(z, psi=p, noise_mode="const", centres=centres) for p in psis], dim=1).flatten(
            0, 1
        )


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


@torch.no_grad()
def distances(G: StyleGenerator, held_out: Tensor, z: Tensor, psis=(0.0, 0.5, 0.7, 1.0)) -> dict[str, dict]:
    """W1, MMD (median bandwidth) and spread of G(z, ψ) against the held-out digits, per ψ."""
    out = {}
    for p in psis:
        x = G(z, psi=p)
        out[f"{p:g}"] = {"w1": w1(x, held_out), "mmd": mmd(x, held_out, "median"), "spread": _spread(x)}
    return out


# -- judged by the shipped digit classifier (data "mnist") ------------------------------------------------

#: ψ of the truncation table, 1 (the generator's own samples) first
TRUNCATION_PSIS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)
JUDGE_SAMPLES = 2000  # samples and real training digits per comparison, as the DCGAN mnist presets
#: centres of the multi-modal truncation: k-means of the generator's own w (fixed before any measurement,
#: and not a count of the data's classes: nothing about the digits is used to place them)
CENTRES = 64


@torch.no_grad()
def w_centres(G: StyleGenerator, k: int = CENTRES, n: int = 20000, seed: int = 3) -> Tensor:
    """K centres (k, w_dim) for multi-modal truncation (:func:`divergan.nn.stylegan.truncate`): k-means
    (scikit-learn: k-means++ seeding, Lloyd's iterations) of the mapping network's outputs w(z) for n
    latents z drawn with ``seed``. With k = 1 the centre is the sample mean of w: the one-centre trick's w̄
    computed over n latents instead of tracked during training."""
    from sklearn.cluster import KMeans

    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))
    device = next(G.parameters()).device
    w = G.w(z.to(device)).double().cpu().numpy()  # (n, w_dim)
    km = KMeans(n_clusters=k, n_init=1, random_state=seed).fit(w)
    return torch.as_tensor(km.cluster_centers_, dtype=torch.float32, device=device)


def ink_and_slant(x: Tensor) -> tuple[Tensor, Tensor]:
    r"""Two stroke statistics of (N, 1, H, W) images in [0, 1]: ink m = mean intensity (stroke width at a
    given shape) and slant = −μ₁₁/μ₀₂, the horizontal shift of the ink per row downward, from the image's
    second moments μ₁₁ = Σ I (c − c̄)(r − r̄) / Σ I and μ₀₂ = Σ I (r − r̄)² / Σ I (row r, column c; the
    deskewing shear of MNIST): positive for a digit leaning right (top to the right of its foot).

    >>> x = torch.zeros(1, 1, 5, 5); x[0, 0, range(5), [4, 3, 2, 1, 0]] = 1.0  # a "/" stroke
    >>> ink, slant = ink_and_slant(x); float(ink), float(slant)
    (0.2, 1.0)
    """
    img = x[:, 0].double()  # (N, H, W)
    H, W = img.shape[1:]
    mass = img.sum(dim=(1, 2)).clamp_min(1e-12)  # (N,)
    rows = torch.arange(H, dtype=img.dtype)[None, :, None]
    cols = torch.arange(W, dtype=img.dtype)[None, None, :]
    r_bar = (img * rows).sum(dim=(1, 2)) / mass  # (N,)
    c_bar = (img * cols).sum(dim=(1, 2)) / mass
    dr, dc = rows - r_bar[:, None, None], cols - c_bar[:, None, None]  # (N, H, 1), (N, 1, W)
    mu11 = (img * dr * dc).sum(dim=(1, 2)) / mass
    mu02 = (img * dr.square()).sum(dim=(1, 2)) / mass
    return img.mean(dim=(1, 2)), -mu11 / mu02.clamp_min(1e-12)


#: an image is "frame-heavy" when more than this share of its ink lies in its outer frame (:func:`frame_ink_share`)
FRAME_HEAVY = 0.1


def frame_ink_share(x: Tensor) -> Tensor:
    """The share of each (N, 1, H, W) image's ink (values in [0, 1]) that lies in its outer frame, H // 7
    pixels wide (4 at 28 px: MNIST centres each digit's 20 × 20 box in 28 × 28, so a digit puts little
    there; of the 5,000 MNIST digits 3.4 % have more than a tenth of their ink in it). 0 for a blank image.
    A blob in the background, which the stroke width would read as a wide stroke, puts ink there.

    >>> x = torch.zeros(2, 1, 28, 28); x[0, 0, 10:18, 13:15] = 1.0; x[1, 0, 0:4, 0:4] = 1.0
    >>> frame_ink_share(x).tolist()  # a centred stroke, a blob in the corner
    [0.0, 1.0]
    """
    f = max(x.shape[-1] // 7, 1)
    ink = x.double().sum(dim=(1, 2, 3))
    inner = x[:, :, f:-f, f:-f].double().sum(dim=(1, 2, 3))
    return torch.where(ink > 0, (ink - inner) / ink.clamp_min(1e-12), 0.0)


def frame_heavy(x: Tensor) -> float:
    """The share of images with more than :data:`FRAME_HEAVY` of their ink in the outer frame."""
    return float((frame_ink_share(x) > FRAME_HEAVY).double().mean())


def stroke_width(x: Tensor, threshold: float = 0.5) -> Tensor:
    r"""The mean stroke width of (N, 1, H, W) images in [0, 1], in pixels: the ink A = Σ I over the number
    of strokes crossed by the rows and the columns,

    .. math::

        t = A \,/\, (R_h + R_v),

    where R_h (R_v) counts the runs of inked pixels (I ≥ ``threshold``) along every row (column). A
    horizontal or vertical bar of length L and width t gives L t / (L + t) (t for L ≫ t): a long stroke is
    crossed once per unit of its length, so ink per crossing is its width (twice the area over the
    city-block perimeter; a diagonal stroke reads 1/√2 of its width). Unlike the mean ink it does not grow
    with the length of the strokes (a 0 and a 1 of one pen have one width). An image without a pixel at
    the threshold (no stroke) gives 0.

    >>> x = torch.zeros(1, 1, 12, 12); x[0, 0, 1:11, 4:7] = 1.0  # a 10 × 3 bar
    >>> float(stroke_width(x))  # 30 / (10 + 3)
    2.3076923076923075
    """
    img = x[:, 0].double()  # (N, H, W)
    ink = img >= threshold
    pad_h = F.pad(ink, (1, 0))  # (N, H, W + 1): a background pixel before each row
    pad_v = F.pad(ink, (0, 0, 1, 0))  # (N, H + 1, W): before each column
    runs_h = (pad_h[:, :, 1:] & ~pad_h[:, :, :-1]).sum(dim=(1, 2))  # (N,) background -> ink along rows
    runs_v = (pad_v[:, 1:, :] & ~pad_v[:, :-1, :]).sum(dim=(1, 2))
    runs = (runs_h + runs_v).double()
    return torch.where(runs > 0, img.sum(dim=(1, 2)) / runs.clamp_min(1), 0.0)


def slope(y: Tensor, x: Tensor) -> tuple[float, float]:
    r"""(β, σ_β): the least-squares slope β = cov(y, x) / var(x) of y on x (both (N,)) and its standard
    error σ_β = sd(y − βx) / (sd(x) √(N − 2)). With y a mix's statistic and x a source's, β = 1 when the
    mix copies the source's value, 0 when it does not follow it; a source the mix was not made from gives
    β about 0 within a few σ_β (the level of chance).

    >>> x = torch.tensor([0.0, 1.0, 2.0, 3.0])
    >>> slope(2 * x + 1, x), slope(torch.ones(4), x)
    ((2.0, 0.0), (0.0, 0.0))
    """
    x, y = x.double() - x.double().mean(), y.double() - y.double().mean()
    beta = (x * y).sum() / x.square().sum().clamp_min(1e-300)
    resid = y - beta * x
    se = (resid.square().sum() / max(len(x) - 2, 1)).sqrt() / x.square().sum().clamp_min(1e-300).sqrt()
    return float(beta), float(se)


def _corr(a: Tensor, b: Tensor) -> float:
    """Pearson correlation of two (N,) samples."""
    a, b = a.double() - a.double().mean(), b.double() - b.double().mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-300))


def _unit(x: Tensor) -> Tensor:
    """Generator outputs in [−1, 1] (and a little beyond: the skip sum is linear) -> [0, 1] images."""
    return ((x.float() + 1) / 2).clamp(0, 1)


@torch.no_grad()
def _draw(G: StyleGenerator, z: Tensor, chunk: int = 500, **kw: Any) -> Tensor:
    """G(z, **kw) in chunks of ``chunk`` rows, [0, 1] images; ``z2`` in kw is split alongside z."""
    z2 = kw.pop("z2", None)
    parts = []
    for i in range(0, len(z), chunk):
        extra = {"z2": z2[i : i + chunk]} if z2 is not None else {}
        parts.append(_unit(G(z[i : i + chunk], **extra, **kw)))
    return torch.cat(parts)


@torch.no_grad()
def mixing_measure(G: StyleGenerator, net: Any, resolution: int, n: int = 1000, seed: int = 1) -> dict:
    """Style mixing at ``resolution``: the coarse source z₁ sets the rows before that block, the fine
    source z₂ the block and all above it (const noise, ψ = 1). With the classifier ``net``:

    - ``keeps_coarse_class``: share of mixes whose class is the coarse source's;
    - ``takes_fine_class``: share whose class is the fine source's; ``sources_agree``: share of pairs
      whose two sources already have one class (the chance level of both);
    - ``ink_corr_fine`` / ``ink_corr_coarse``: correlation over pairs of the mix's ink with the fine /
      the coarse source's ink; ``slant_corr_fine`` / ``slant_corr_coarse`` the same for slant
      (:func:`ink_and_slant`), ``width_corr_*`` for the stroke width (:func:`stroke_width`);
    - ``width_slope_fine`` / ``width_slope_coarse``: the slope β of the mix's stroke width on the fine /
      the coarse source's (:func:`slope`; 1: the mix copies that source's width, 0: it does not follow
      it), with its standard error ``width_slope_se``; ``width_slope_null`` the slope on a fine source
      the mix was not made from (the pairs' fine sources shifted by one), the level of chance; the same
      ``slant_slope_*`` for the slant. "The fine source sets the stroke width" is width_slope_fine >
      width_slope_coarse (the fine source has the larger say) with width_slope_fine above 3 standard
      errors (above chance);
    - ``frame_heavy``: the share of mixes with more than a tenth of their ink in the outer frame
      (:func:`frame_heavy`; ``frame_heavy_coarse`` of their coarse sources): a guard on the width, which
      reads a background blob as a wide stroke;
    - ``control_change``: the largest pixel difference between the coarse source and its mix with itself
      (z₂ = z₁), which must be 0.
    """
    from divergan.metrics.images import extract

    rng = torch.Generator().manual_seed(seed)
    z1, z2 = torch.randn(n, G.z_dim, generator=rng), torch.randn(n, G.z_dim, generator=rng)
    coarse, fine = _draw(G, z1, noise_mode="const"), _draw(G, z2, noise_mode="const")
    row = G.crossover_row(resolution)
    mixed = _draw(G, z1, z2=z2, crossover=row, noise_mode="const")
    itself = _draw(G, z1, z2=z1, crossover=row, noise_mode="const")
    label = {k: extract(v, net)[1][:, 0].argmax(-1) for k, v in (("c", coarse), ("f", fine), ("m", mixed))}
    stats = {k: ink_and_slant(v) for k, v in (("c", coarse), ("f", fine), ("m", mixed))}
    width = {k: stroke_width(v) for k, v in (("c", coarse), ("f", fine), ("m", mixed))}
    other = torch.roll(torch.arange(n), 1)  # the fine source of another pair
    width_fine, width_se = slope(width["m"], width["f"])
    slant_fine, slant_se = slope(stats["m"][1], stats["f"][1])
    return {
        "resolution": resolution,
        "crossover_row": row,
        "pairs": n,
        "keeps_coarse_class": float((label["m"] == label["c"]).double().mean()),
        "takes_fine_class": float((label["m"] == label["f"]).double().mean()),
        "sources_agree": float((label["c"] == label["f"]).double().mean()),
        "ink_corr_fine": _corr(stats["m"][0], stats["f"][0]),
        "ink_corr_coarse": _corr(stats["m"][0], stats["c"][0]),
        "slant_corr_fine": _corr(stats["m"][1], stats["f"][1]),
        "slant_corr_coarse": _corr(stats["m"][1], stats["c"][1]),
        "width_corr_fine": _corr(width["m"], width["f"]),
        "width_corr_coarse": _corr(width["m"], width["c"]),
        "width_slope_fine": width_fine,
        "width_slope_se": width_se,
        "width_slope_coarse": slope(width["m"], width["c"])[0],
        "width_slope_null": slope(width["m"], width["f"][other])[0],
        "slant_slope_fine": slant_fine,
        "slant_slope_se": slant_se,
        "slant_slope_coarse": slope(stats["m"][1], stats["c"][1])[0],
        "slant_slope_null": slope(stats["m"][1], stats["f"][1][other])[0],
        "width_fine_mean": float(width["f"].mean()),
        "width_fine_sd": float(width["f"].std()),
        "frame_heavy": frame_heavy(mixed),
        "frame_heavy_coarse": frame_heavy(coarse),
        "control_change": float((itself - coarse).abs().max()),
    }


@torch.no_grad()
def row_measure(G: StyleGenerator, net: Any, n: int = 1000, seed: int = 1) -> list[dict]:
    """Which rows of ws carry what: for each row l, the mix takes that one row from z₂ and every other
    row from z₁ (the pairs of :func:`mixing_measure`, const noise, ψ = 1). Per row: ``keeps_class``,
    the share of mixes with z₁'s class, ``ink_corr`` / ``slant_corr``, the correlations of the mix's
    ink and slant with z₂'s, ``width_slope`` / ``slant_slope`` (:func:`slope` of the mix's on z₂'s),
    and ``change``, the root-mean-square pixel change of the mix from z₁'s image over that
    between z₂'s and z₁'s images. A row whose style the synthesis ignores gives keeps_class 1, change 0
    and the correlations and slopes about 0 (the mix is z₁'s image)."""
    from divergan.metrics.images import extract

    rng = torch.Generator().manual_seed(seed)
    z1, z2 = torch.randn(n, G.z_dim, generator=rng), torch.randn(n, G.z_dim, generator=rng)
    base, other = _draw(G, z1, noise_mode="const"), _draw(G, z2, noise_mode="const")
    label1 = extract(base, net)[1][:, 0].argmax(-1)
    ink2, slant2 = ink_and_slant(other)
    width2 = stroke_width(other)
    full = (other - base).square().mean().sqrt()
    ws1, ws2 = G.styles(z1), G.styles(z2)  # (n, num_ws, w_dim)
    out = []
    for row in range(G.num_ws):
        ws = ws1.clone()
        ws[:, row] = ws2[:, row]
        mixed = torch.cat([_unit(G.synthesis(ws[i : i + 500], "const")) for i in range(0, n, 500)])
        ink, slant = ink_and_slant(mixed)
        out.append(
            {
                "row": row,
                "keeps_class": float((extract(mixed, net)[1][:, 0].argmax(-1) == label1).double().mean()),
                "ink_corr": _corr(ink, ink2),
                "slant_corr": _corr(slant, slant2),
                "width_slope": slope(stroke_width(mixed), width2)[0],
                "slant_slope": slope(slant, slant2)[0],
                "change": float((mixed - base).square().mean().sqrt() / full.clamp_min(1e-12)),
            }
        )
    return out


@torch.no_grad()
def truncation_measure(
    G: StyleGenerator,
    net: Any,
    real_features: Tensor,
    psis=TRUNCATION_PSIS,
    n: int = JUDGE_SAMPLES,
    seed: int = 2,
    centres: Tensor | None = None,
) -> list[dict]:
    """Per ψ: precision and recall (k = 3, Kynkäänniemi et al. 2019) of n samples G(z, ψ) (the same z for
    every ψ, random noise) against the real features, FD, the classes' KL to uniform, and the mean ink.
    Truncated toward the running mean w̄, or toward the nearest of ``centres`` (multi-modal).

    Since the same z are read at every ψ, a change of precision between two ψ is a paired difference of
    per-sample indicators, and so is a change of recall (of the real digits' indicators): each row after the
    first carries the standard errors of both changes from the previous row ("precision_se_step",
    "recall_se_step") and from the first row ("precision_se_first", "recall_se_first"),
    :func:`divergan.metrics.features.paired_difference_se`."""
    from divergan.metrics.features import (
        class_histogram_metrics,
        frechet_distance_from_features,
        paired_difference_se,
        precision_recall_density_coverage,
    )
    from divergan.metrics.images import extract

    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(seed))
    rows, hits = [], []
    for psi in psis:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the same per-pixel noise at every ψ
            x = _draw(G, z, psi=psi, centres=centres)
        feats, logits = extract(x, net)
        pr = precision_recall_density_coverage(real_features, feats, k_pr=3, k_dc=5, hits=True)
        hits.append((pr["precision_hits"], pr["recall_hits"]))
        row = {
            "psi": psi,
            "precision": pr["precision"],
            "recall": pr["recall"],
            "density": pr["density"],
            "coverage": pr["coverage"],
            "fd": frechet_distance_from_features(real_features, feats),
            "kl_uniform": class_histogram_metrics(logits[:, 0].argmax(-1), 10)["kl_uniform"],
            "ink": float(ink_and_slant(x)[0].mean()),
        }
        if len(hits) > 1:
            for name, i in (("precision", 0), ("recall", 1)):
                row[f"{name}_se_step"] = paired_difference_se(hits[-2][i], hits[-1][i])
                row[f"{name}_se_first"] = paired_difference_se(hits[0][i], hits[-1][i])
        rows.append(row)
    return rows


UNSURE = 0.5  # a sample whose most likely class the digit classifier gives less than this is "unsure"


def unsure_share(logits: Tensor) -> float:
    """The share of images whose top class probability under the digit classifier is below ``UNSURE``;
    logits (N, 1, 10) as :func:`divergan.metrics.images.extract` returns them."""
    return float((logits[:, 0].softmax(-1).amax(-1) < UNSURE).double().mean())


def clean_measure(fake: Tensor, fake_logits: Tensor, real: Tensor, real_logits: Tensor) -> dict[str, float]:
    """Empty and malformed samples, against the real digits: ``empty``, the samples with fewer inked
    pixels (≥ 0.5) than half the sparsest real digit's; ``unsure`` / ``real_unsure``, the share of
    samples / real digits whose top class probability under the digit classifier is below 0.5 (a blotch
    or a shape between classes, which a real digit rarely is); ``real_frame_heavy``, the share of real
    digits with more than a tenth of their ink in the outer frame (:func:`frame_heavy`, the reference of
    the mixes' own share). Images (N, 1, H, W) in [0, 1], logits (N, 1, 10) as
    :func:`divergan.metrics.images.extract` returns them."""
    inked, real_inked = (fake >= 0.5).flatten(1).sum(1), (real >= 0.5).flatten(1).sum(1)
    return {
        "empty": int((inked < real_inked.min() / 2).sum()),
        "real_min_inked": int(real_inked.min()),
        "unsure": unsure_share(fake_logits),
        "real_unsure": unsure_share(real_logits),
        "real_frame_heavy": frame_heavy(real),
    }


def judge_reals(data: StyleData, g: torch.Generator) -> Tensor:
    """The judge's 2,000 training digits in [0, 1]: the first of a permutation drawn from ``g``."""
    return _unit(data.train[torch.randperm(len(data.train), generator=g)[:JUDGE_SAMPLES]])


@torch.no_grad()
def truncation_readings(G: StyleGenerator, net: Any, real_features: Tensor) -> dict:
    """The judge's two truncation tables: toward w̄, and toward the nearest of the generator's own w centres."""
    return {
        "truncation": truncation_measure(G, net, real_features),
        "truncation_multimodal": truncation_measure(G, net, real_features, centres=w_centres(G)),
    }


@torch.no_grad()
def judge(G: StyleGenerator, data: StyleData, *, seed: int = 0) -> dict:
    """The generator's own samples (ψ = 1, random noise) judged as the DCGAN ``mnist`` presets are
    (:func:`divergan.metrics.images.image_metrics`: 2,000 samples against 2,000 training digits in the
    shipped digit classifier's features), then truncation and style mixing (above)."""
    from divergan.metrics.images import extract, image_metrics, resolve_feature_net

    net = resolve_feature_net("digits")
    g = torch.Generator().manual_seed(seed)
    real = judge_reals(data, g)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        fake = _draw(G, torch.randn(JUDGE_SAMPLES, G.z_dim, generator=g))
    direct = image_metrics(real, fake, features=net, seed=seed)
    ink, slant = ink_and_slant(fake)
    real_ink, real_slant = ink_and_slant(real)
    real_features, real_logits = extract(real, net)
    direct.update(
        ink=float(ink.mean()),
        slant_sd=float(slant.std()),
        real_ink=float(real_ink.mean()),
        real_slant_sd=float(real_slant.std()),
        **clean_measure(fake, extract(fake, net)[1], real, real_logits),
    )
    return {
        "direct": direct,
        **truncation_readings(G, net, real_features),
        "centres": CENTRES,
        "mixing": [mixing_measure(G, net, r) for r in G.synthesis.resolutions[1:]],
        "rows": row_measure(G, net),
    }


def _own_random_state(device: torch.device):
    """The generator's per-pixel noise draws from torch's global stream: inside this, a hook's draws
    are undone on exit (the CPU's and ``device``'s states), so a resumed run continues bit for bit."""
    return torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])


# -- the App: what the loop calls -----------------------------------------------------------------------


class StyleApp(App):
    """The style-based generator on the one loop (see the module docstring)."""

    name = "style"

    def check(self, cfg: Config, *, generator: nn.Module | None = None, critic: nn.Module | None = None):
        if generator is not None or critic is not None:
            raise UserError("the style application builds its own networks: do not pass generator/critic")
        if cfg.data not in ("digits", "mnist"):
            raise UserError(f"the style application knows data 'digits' and 'mnist' only, got {cfg.data!r}")
        sizes = (8, 16, 32) if cfg.data == "digits" else (28, 32)
        if cfg.size not in sizes:
            raise UserError(
                f"size must be {' or '.join(map(str, sizes))} for the style application on {cfg.data}, "
                f"got {cfg.size}"
            )
        r0 = start_resolution(cfg.size)
        allowed = [r0 * 2**i for i in range(5)]
        if cfg.noise_from not in allowed:
            raise UserError(
                f"noise_from must be a resolution {', '.join(map(str, allowed[:3]))}, ..., {allowed[-1]}, "
                f"got {cfg.noise_from}"
            )
        if cfg.fine_from:  # rows of ws: 2 at r₀, then 3 per doubling (2 without the skip toRGBs)
            rows = 2 + (3 if cfg.g_skip else 2) * round(math.log2(cfg.size / r0))
            if cfg.fine_from >= rows:
                raise UserError(
                    f"fine_from must lie in 1..{rows - 1} (the rows of ws; 0: the finest block's first), "
                    f"got {cfg.fine_from}"
                )
        if cfg.cluster_until:
            below = [r0 * 2**i for i in range(round(math.log2(cfg.size / r0)))]  # every block but the last
            if not cfg.clusters:
                raise UserError("cluster_until conditions the coarse styles on the cluster: set clusters > 0")
            if cfg.cluster_until not in below:
                raise UserError(
                    f"cluster_until must be a block below the output size, {', '.join(map(str, below))} px; "
                    f"got {cfg.cluster_until}"
                )
            if cfg.fine_diversity or cfg.fine_info:
                raise UserError(
                    "cluster_until does not combine with fine_diversity or fine_info (on the style-mnist preset, "
                    "which sets cluster_until=7 coarse_z=false, add cluster_until=0 coarse_z=true)"
                )
        if dist.world_size() > 1:
            raise UserError("the style application trains in one process (not under torchrun)")
        objective = get_objective(cfg.objective, **cfg.objective_params)
        if not objective.needs_critic:
            raise UserError(f"objective {cfg.objective!r} has no critic; the style generator needs one")
        if cfg.penalty_every > 1 and objective.penalty is None:
            raise UserError(
                f"penalty_every schedules the objective's penalty; {cfg.objective!r} has none "
                "(the style game's lazy R1 is r1_every)"
            )
        if cfg.clusters and objective.critic_outputs != 1:
            raise UserError(f"clusters needs a critic with one output; objective {cfg.objective!r} has more")
        if cfg.clusters and cfg.z_dim < 2:
            raise UserError(
                "clusters takes the latent's first coordinate for the cluster: z_dim must be >= 2"
            )
        return objective

    def build(
        self,
        cfg: Config,
        *,
        generator: nn.Module | None = None,
        critic: nn.Module | None = None,
        cluster_ids: tuple[Tensor, Tensor | None] | None = None,
    ) -> Parts:
        objective = self.check(cfg, generator=generator, critic=critic)
        torch.manual_seed(cfg.seed)
        rng = torch.Generator().manual_seed(cfg.seed)
        data = load_data(cfg, rng, cluster_ids)
        G, _ = self.generator(cfg)
        D = StyleCritic(
            cfg.size,
            1,
            cfg.d_width,
            objective.critic_outputs,
            mbstd_group=cfg.d_mbstd,
            equalized=cfg.equalized,
            clusters=cfg.clusters,
        )
        if cfg.clusters:  # the generator draws each cluster at its share of the training images
            from divergan.data.clusters import cluster_frequencies

            G.set_cluster_shares(cluster_frequencies(data.train_ids, cfg.clusters))
        betas = (cfg.beta1, cfg.beta2)
        kind = objective.optimizer if cfg.optimizer == "auto" else cfg.optimizer
        # equalised layers carry the mapping network's factor themselves (lr_mul), so one learning rate
        mapping_lr = cfg.lr_g * (1.0 if cfg.equalized else cfg.lr_mapping_factor)
        groups = [
            {"params": G.synthesis.parameters(), "lr": cfg.lr_g},
            {"params": G.mapping.parameters(), "lr": mapping_lr},
            *([{"params": G.info.parameters(), "lr": cfg.lr_g}] if hasattr(G, "info") else []),
        ]
        if kind == "rmsprop":
            opt_g: torch.optim.Optimizer = torch.optim.RMSprop(groups)
            opt_d: torch.optim.Optimizer = torch.optim.RMSprop(D.parameters(), lr=cfg.lr_d)
        else:
            opt_g = torch.optim.Adam(
                groups,
                betas=betas,
                eps=cfg.adam_eps,
            )
            opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=betas, eps=cfg.adam_eps)
        return Parts(
            dataset=data,  # type: ignore[arg-type]
            objective=objective,
            generator=G,
            critic=D,
            ema=copy.deepcopy(G).requires_grad_(False),
            opt_g=opt_g,
            opt_d=opt_d,
            ratio=None,
            rng=rng,
        )

    def generator(self, cfg: Config) -> tuple[nn.Module, int | None]:
        G = StyleGenerator(
            cfg.z_dim,
            cfg.w_dim,
            cfg.size,
            1,
            synthesis_widths(cfg),
            cfg.mapping_depth,
            noise_from=cfg.noise_from,
            equalized=cfg.equalized,
            mapping_lr_mul=cfg.lr_mapping_factor if cfg.equalized else 1.0,
            skip=cfg.g_skip,
            clusters=cfg.clusters,
            info_codes=INFO_CODES if cfg.fine_info > 0 else 0,
            cluster_until=cfg.cluster_until,
            coarse_z=cfg.coarse_z,
        )
        if cfg.pl_weight > 0:  # the path lengths' running mean, checkpointed with G (resume is exact)
            G.register_buffer("pl_mean", torch.zeros(()))
        return G, cfg.z_dim

    def step_flops(self, cfg: Config) -> float:
        return 0.0

    def describe(self, cfg: Config) -> str:
        return "style"

    def game(
        self, cfg: Config, parts: Parts, G: nn.Module, D: nn.Module | None, *, device, timer
    ) -> StyleGame:
        return StyleGame(
            parts.objective,
            G,  # type: ignore[arg-type]
            D,  # type: ignore[arg-type]
            parts.dataset,  # type: ignore[arg-type]
            cfg=cfg,
            rng=parts.rng,
            device=device,
        )

    def ema_buffers(self, parts: Parts) -> list[str]:
        # the truncation trick's w̄ (and the path lengths' running mean) are the generator's, not averages
        G = parts.generator
        return [
            "mapping.w_avg",
            *(["mapping.w_avg_c", "cluster_cdf"] if G.clusters else []),  # type: ignore[union-attr]
            *(["pl_mean"] if hasattr(G, "pl_mean") else []),
        ]

    def ready_ema(self, cfg: Config, parts: Parts, step: int) -> None:
        pass  # no batch norm

    @torch.no_grad()
    def interval_metrics(self, cfg: Config, parts: Parts, device: torch.device, done: int) -> dict:
        """W1 of EMA samples to the held-out digits (latents of their own, seeded by the step; the
        per-pixel noise's draws are undone, so evaluating never shifts the training's random stream)."""
        held = parts.dataset.held_out  # type: ignore[attr-defined]
        z = torch.randn(len(held), cfg.z_dim, generator=torch.Generator().manual_seed(done))
        with _own_random_state(device):
            x = parts.ema(z.to(device)).float().cpu()
        out = {"w1": w1(x, held)}
        if cfg.data == "mnist":  # the digit classifier's FD and class balance against the held-out digits
            from divergan.metrics.images import image_metrics

            m = image_metrics(_unit(held), _unit(x), kid_subsets=10, kid_subset_size=len(held))
            out.update(fd=m["fd"], kl_uniform=m["kl_uniform"])
        return out

    def tb_view(self, parts: Parts) -> None:
        return None  # the samples come from tb_images

    @torch.no_grad()
    def tb_images(self, cfg: Config, parts: Parts, step: int) -> dict[str, tuple[Tensor, int]]:
        """64 EMA samples from the checkpoint grid's fixed latents."""
        z = torch.randn(64, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 12345))
        device = next(parts.ema.parameters()).device
        with _own_random_state(device):
            return {"samples": (parts.ema(z.to(device)).float().cpu(), 8)}

    @torch.no_grad()
    def grid(self, cfg: Config, parts: Parts, path: Path, step: int) -> None:
        """An 8×8 grid of EMA samples from fixed latents (the same at every checkpoint)."""
        from divergan.figures.grids import save_grid

        z = torch.randn(64, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 12345))
        device = next(parts.ema.parameters()).device
        with _own_random_state(device):
            save_grid(parts.ema(z.to(device)).float().cpu(), path, nrow=8, scale=4)

    def finish(self, cfg: Config, run: Path, parts: Parts, train_seconds: float, timer: Any) -> dict:
        """The figures (mixing grids, truncation strip, samples) and the final distances (fixed latents)."""
        from divergan.figures.grids import save_grid

        ema: StyleGenerator = parts.ema  # type: ignore[assignment]
        data: StyleData = parts.dataset  # type: ignore[assignment]
        fixed = torch.Generator().manual_seed(12345)
        z_rows, z_cols = (
            torch.randn(5, cfg.z_dim, generator=fixed),
            torch.randn(6, cfg.z_dim, generator=fixed),
        )
        resolutions = ema.synthesis.resolutions
        if cfg.plot:
            for res in resolutions[1:]:
                grid = mixing_grid(ema, z_rows, z_cols, ema.crossover_row(res))
                save_grid(grid, run / f"mixing-{res}.png", nrow=7, scale=4)
            psis = [i / 8 for i in range(9)]
            save_grid(truncation_strip(ema, z_rows, psis), run / "truncation.png", nrow=len(psis), scale=4)
        with torch.no_grad():
            samples = ema(torch.randn(64, cfg.z_dim, generator=fixed))
            if cfg.plot:
                save_grid(samples, run / "samples.png", nrow=8, scale=4)
            by_psi = distances(
                ema, data.held_out, torch.randn(len(data.held_out), cfg.z_dim, generator=fixed)
            )
        floor = data.train[: len(data.held_out)]
        judged = judge(ema, data) if cfg.data == "mnist" else {}
        results = {
            "steps": cfg.steps,
            "sampler": "direct",
            "train_seconds": train_seconds,
            "seconds": train_seconds,
            "by_psi": by_psi,
            "real": {
                "w1": w1(floor, data.held_out),
                "mmd": mmd(floor, data.held_out, "median"),
                "spread": _spread(floor),
            },
            "num_ws": ema.num_ws,
            "variation": variation_sources(ema),
            "crossover_rows": {str(r): ema.crossover_row(r) for r in resolutions},
            **judged,
        }
        (run / "final_metrics.json").write_text(json.dumps(results, indent=2) + "\n")
        if cfg.tensorboard:
            from divergan.figures.tensorboard import write_hparams

            write_hparams(run, cfg.to_json(), {"by_psi": by_psi})
        return results

    def evaluate(self, cfg: Config, parts: Parts, log_ratio=None) -> tuple[dict, dict[str, Tensor]]:
        """Distances of the EMA's samples to the held-out digits: ψ = 1 (``direct``) and truncated ψ."""
        data: StyleData = parts.dataset  # type: ignore[assignment]
        z = torch.randn(len(data.held_out), cfg.z_dim, generator=parts.rng)
        by_psi = distances(parts.ema, data.held_out, z)  # type: ignore[arg-type]
        return {"direct": by_psi["1"], **{f"psi={p}": m for p, m in by_psi.items() if p != "1"}}, {}


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
        f"files: {run / 'samples.png'}, truncation.png, mixing-*.png (one per crossover), final_metrics.json"
    )
    if "direct" in final:
        d = final["direct"]
        lines.append(
            f"digit classifier, {d['num_fake']} samples vs {d['num_real']} training digits: FD {d['fd']:.3f}, "
            f"class KL to uniform {d['kl_uniform']:.3f}, precision {d['precision']:.3f}, recall {d['recall']:.3f}"
        )
        lines.append(
            "truncation ψ:  "
            + "  ".join(
                f"{t['psi']:g}: P {t['precision']:.3f} R {t['recall']:.3f}" for t in final["truncation"]
            )
        )
        for m in final["mixing"]:
            lines.append(
                f"mixing at {m['resolution']} px: keeps the coarse class {100 * m['keeps_coarse_class']:.1f}% "
                f"(fine class {100 * m['takes_fine_class']:.1f}%, sources agree {100 * m['sources_agree']:.1f}%); "
                f"ink corr fine/coarse {m['ink_corr_fine']:.2f}/{m['ink_corr_coarse']:.2f}, "
                f"slant {m['slant_corr_fine']:.2f}/{m['slant_corr_coarse']:.2f}"
            )
    return "\n".join(lines)


#: the App :func:`divergan.apps.app_for` gives for ``app = "style"``
APP = StyleApp()
