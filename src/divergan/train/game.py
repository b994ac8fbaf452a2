r"""The GAN math of a training step, apart from the loop (stylegan2-ada's ``loss.accumulate_gradients``
split): a **Game** turns a batch into the critic's loss and the generator's loss; the loop only draws
batches, steps optimizers, keeps the EMA and runs its interval hooks.

* :class:`PlainGame` — one generator G against one critic D, unconditional or class-conditional:

      critic:     L_D(D(x), D(G(z))) [+ penalty(D, x, G(z)) on the global batch]   then clipping
      generator:  L_G(D(x) if the objective reads it, D(G(z)))   or   L(x, G(z)) without a critic

  A batch-dependent critic (batch norm) is called on real and fake batches separately
  (:func:`~divergan.train.loop.critic_outputs`). Under torchrun every rank holds the global batch and
  keeps its slice (:mod:`divergan.train.dist`); the penalty is computed on the global batch. With
  ``penalty_every = k`` (lazy regularisation) the penalty term is k·penalty on steps 0, k, 2k, … and
  absent on the others; with ``penalty_stop = s`` it is absent from step s on (the run ends unpenalised).
  With ``augment`` (DiffAugment, :mod:`divergan.nn.augment`) every input of the critic is T(x) for a
  random differentiable T drawn per sample from the run's generator: real and fake in the critic
  phase (the penalty on the transformed inputs), fake (and real, if read) in the generator phase:

      critic:     L_D(D(T(x)), D(T(G(z)))) [+ penalty(D, T(x), T(G(z)))]
      generator:  L_G(D(T(x)) if read, D(T(G(z))))        gradients reach G through T
* :class:`MixtureGame` — MIX+GAN's mixed payoffs of K generators against K critics
  (:mod:`divergan.train.mixture`), with the entropy bonuses.

Both take the loop's phase timer, so ``--profile`` names the same phases.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn

from divergan.nn.augment import DiffAugment
from divergan.objectives import Objective
from divergan.train import dist
from divergan.train.mixture import MixtureGenerator, entropy
from divergan.train.mixture import critic_loss as mixture_critic_loss
from divergan.train.mixture import generator_loss as mixture_generator_loss


def call(net: nn.Module, x: Tensor, y: Tensor | None) -> Tensor:
    """net(x), or net(x, y) for a conditional network."""
    return net(x) if y is None else net(x, y)


def critic_outputs(
    D: nn.Module, real: Tensor, fake: Tensor, y: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """(D(real), D(fake)): one pass over cat([real, fake]), or two when D's outputs depend on the batch.

    With batch norm a joint pass would normalise real and fake images by shared statistics, unlike
    the generator step's pass over fakes alone; separate passes keep each batch homogeneous.
    ``y`` (conditional) labels both batches.
    """
    if batch_dependent(D):
        return call(D, real, y), call(D, fake, y)
    n = real.shape[0]
    t = call(D, torch.cat([real, fake]), None if y is None else torch.cat([y, y]))  # (2B,) or (2B, K)
    return t[:n], t[n:]


def batch_dependent(net: nn.Module | None) -> bool:
    """Whether a critic's outputs depend on the whole batch (batch norm); read on the network itself,
    not on a DistributedDataParallel wrapper (which does not forward plain attributes)."""
    return bool(getattr(dist.unwrap(net), "batch_dependent", False))


def game_critic_loss(objective: Objective, t_real: Tensor, t_fake: Tensor) -> Tensor:
    """The critic's loss of the game on its outputs T(x), T(G(z)) (penalty excluded: what the
    objective's ``divergence_estimate`` reads). The trainer's Games and the vmapped sweep call this."""
    return objective.critic_loss(t_real, t_fake)


def game_generator_loss(
    objective: Objective,
    t_real: Tensor | None,
    t_fake: Tensor | None,
    real: Tensor | None = None,
    fake: Tensor | None = None,
) -> Tensor:
    """The generator's loss of the game: L_G(T(x), T(G(z))) — T(x) is passed on only to an objective
    that reads it (``mmd-gan``) —, or without a critic the sample loss L(x, G(z)) on the samples
    flattened to (B, d)."""
    if objective.sample_loss is not None:
        return objective.sample_loss(real.flatten(1), fake.flatten(1))  # type: ignore[union-attr]
    return objective.generator_loss(t_real if objective.generator_uses_real else None, t_fake)


@torch.no_grad()
def clip_critic(objective: Objective, params) -> None:
    """WGAN weight clipping of the critic's parameters to [−c, c], if the objective asks for it."""
    if objective.clip is not None:
        for p in params:
            p.clamp_(-objective.clip, objective.clip)


def _no_timer(name: str):
    from contextlib import nullcontext

    return nullcontext()


class PlainGame:
    """One generator against one critic (or none, for a sample loss); conditional when labels are given.

    Args:
        objective: the objective's pure losses, penalty and clipping.
        G, D: the networks as the loop holds them (DDP-wrapped under torchrun; D None if critic-free).
        g_forward, d_forward: the forwards used for gradients (``torch.compile``d or the networks).
        freeze_d: switch off the critic's weight gradients in the generator phase (one process only:
            DDP expects every parameter to get a gradient).
        timer: the loop's phase timer (``timer(name)`` is a context manager).
        real_batch: () -> the global real batch (B, *shape) and its classes (or None), on the device.
        noise: n -> noise (n, z_dim) on the device; both draw from the run's data stream.
        batch: the global batch size B.
        augment: DiffAugment's transforms of the critic's inputs (None: the inputs as they are).
        draws: the generator the augmentation's per-sample parameters come from (the run's data
            stream, saved in checkpoints: a resumed run draws the same transforms).
        penalty_every: lazy regularisation (StyleGAN2, Karras et al. 2020): the objective's penalty
            only in the critic updates of steps 0, k, 2k, … and multiplied by k there, so that its
            average weight per step is unchanged while its cost (a double backward for R1/R2 and
            the gradient penalty) is paid once every k steps; 1: every step.

    Every Game has this interface, which is all the loop calls: ``critic_batch()``,
    ``critic_loss(batch, step) -> (loss, game_value)``, ``after_critic_step()``, ``generator_batch()``,
    ``generator_loss(batch, step)``, ``after_generator_backward()``, ``log_extras()`` and the flag
    ``estimates_divergence`` (the applications' Games are in :mod:`divergan.apps`).
    """

    estimates_divergence = True  # the critic loss is the objective's own: its divergence_estimate holds

    def __init__(
        self,
        objective: Objective,
        G: nn.Module,
        D: nn.Module | None,
        *,
        g_forward: Callable | None = None,
        d_forward: Callable | None = None,
        freeze_d: bool = False,
        timer: Callable = _no_timer,
        real_batch: Callable[[], tuple[Tensor, Tensor | None]] | None = None,
        noise: Callable[[int], Tensor] | None = None,
        batch: int = 0,
        augment: DiffAugment | None = None,
        draws: torch.Generator | None = None,
        penalty_every: int = 1,
        penalty_stop: int | None = None,
    ) -> None:
        if penalty_every < 1:
            raise ValueError(f"penalty_every must be at least 1, got {penalty_every}")
        if penalty_stop is not None and penalty_stop < 0:
            raise ValueError(f"penalty_stop must be a step number >= 0, got {penalty_stop}")
        if augment is not None and draws is None:
            raise ValueError("augment needs the generator its parameters are drawn from (draws=)")
        self.objective, self.G, self.D = objective, G, D
        self.augment, self.draws = augment, draws
        self.g_forward = g_forward or G
        self.d_forward = d_forward or D
        self.freeze_d = freeze_d
        self.timer = timer
        self.real_batch, self.noise, self.batch = real_batch, noise, batch
        self.penalty_every, self.penalty_stop = penalty_every, penalty_stop

    def transform(self, x: Tensor, global_batch: bool = True) -> Tensor:
        """T(x): the augmentation with fresh parameters per sample (x itself without augmentation).

        ``global_batch``: x is the global batch; else x is this rank's slice of one, and the parameters
        are drawn for the global batch B and sliced alike, so every rank consumes the same draws.
        """
        if self.augment is None:
            return x
        n = x.shape[0] if global_batch else self.batch
        params = self.augment.draw(n, x.shape[-2], x.shape[-1], self.draws)  # type: ignore[arg-type]
        if not global_batch:
            params = {k: dist.local(v) for k, v in params.items()}  # type: ignore[misc]
        return self.augment.apply(x, params)

    def critic_batch(self) -> tuple[Tensor, Tensor | None, Tensor]:
        """The global batch of one critic update: real (B, *shape), classes (B,) or None, noise (B, z_dim)."""
        real_all, y_all = self.real_batch()  # type: ignore[misc]
        return real_all, y_all, self.noise(self.batch)  # type: ignore[misc]

    def generator_batch(self) -> tuple[Tensor, Tensor | None, Tensor]:
        """This rank's slice of a fresh global batch: real, classes or None, noise."""
        real_all, y_all = self.real_batch()  # type: ignore[misc]  # drawn even when unused: same random stream
        return dist.local(real_all), dist.local(y_all), dist.local(self.noise(self.batch))  # type: ignore[misc]

    def penalty_due(self, step: int) -> bool:
        """Whether the critic loss of ``step`` carries the penalty (weighted by ``penalty_every``): lazy
        regularisation puts it on every k-th step, and none from ``penalty_stop`` on."""
        return step % self.penalty_every == 0 and (self.penalty_stop is None or step < self.penalty_stop)

    def critic_loss(self, batch: tuple, step: int) -> tuple[Tensor, Tensor]:
        """(loss with the penalty, the objective's critic loss alone, detached) on the global batch
        (real_all (B, *shape), classes y_all (B,) or None, noise z_all (B, z_dim)); this rank's slice."""
        real_all, y_all, z_all = batch
        obj, timer = self.objective, self.timer
        with timer("generator forward (critic phase)"), torch.no_grad():
            fake_all = call(dist.unwrap(self.G), z_all, y_all)  # same classes as real
        if self.augment is not None:
            with timer("augmentation"):
                real_all, fake_all = self.transform(real_all), self.transform(fake_all)  # T(x), T(G(z))
        real, fake, y = dist.local(real_all), dist.local(fake_all), dist.local(y_all)  # rank's slice
        with timer("critic forward"):
            t_real, t_fake = critic_outputs(self.D, real, fake, y)  # (B/W,) or (B/W, K) each
            loss = game_critic_loss(obj, t_real, t_fake)
            game = loss.detach()  # without the penalty: what divergence_estimate reads
        if obj.penalty is not None and self.penalty_due(step):  # global batch, by every rank (dist doc)
            with timer("gradient penalty (forward, input gradient)"):
                net = dist.unwrap(self.D)
                critic = net if y_all is None else (lambda x, y=y_all, net=net: net(x, y))
                loss = loss + self.penalty_every * obj.penalty(critic, real_all, fake_all)
        return loss, game

    def after_critic_step(self) -> None:
        """WGAN weight clipping, if the objective asks for it."""
        clip_critic(self.objective, self.D.parameters())

    def generator_loss(self, batch: tuple, step: int) -> Tensor:
        """The generator's loss on this rank's slice (real (B/W, *shape), classes y or None, noise z).

        Leaves the critic's weights without gradient until :meth:`after_generator_backward`.
        """
        real, y, z = batch
        obj = self.objective
        fake = call(self.g_forward, z, y)
        if obj.sample_loss is not None:
            return game_generator_loss(obj, None, None, real, fake)
        if self.freeze_d:
            self.D.requires_grad_(False)  # only ∂/∂G is needed: no critic weight gradients
        t_real = None
        if obj.generator_uses_real:
            with torch.no_grad():
                t_real = call(self.d_forward, self.transform(real, global_batch=False), y)
        fake = self.transform(fake, global_batch=False)  # T(G(z)), differentiable in G(z)
        return game_generator_loss(obj, t_real, call(self.d_forward, fake, y))

    def after_generator_backward(self) -> None:
        if self.freeze_d:
            self.D.requires_grad_(True)

    def log_extras(self) -> dict[str, float]:
        return {}


class MixtureGame(PlainGame):
    """MIX+GAN: Σ_ij w_i u_j L(D_j, G_i) with entropy bonuses (one process, unconditional)."""

    estimates_divergence = False  # a mixed payoff with entropy terms: no divergence identity

    def __init__(
        self, objective: Objective, G: MixtureGenerator, D, *, entropy_weight: float, timer=_no_timer, **draw
    ):
        super().__init__(objective, G, D, timer=timer, **draw)
        self.entropy_weight = entropy_weight

    def critic_loss(self, batch: tuple, step: int) -> tuple[Tensor, Tensor]:
        real_all, _, z_all = batch
        timer = self.timer
        with timer("generator forward (critic phase)"), torch.no_grad():
            fake_all = self.G.every(z_all)  # every component: (K, B, d)
        with timer("critic forward"):  # Σ_ij w_i u_j L_D(D_j, G_i) + penalties − λ H(u)
            w = self.G.weights.detach()
            loss = mixture_critic_loss(self.objective, self.D, w, real_all, fake_all, self.entropy_weight)
        return loss, loss.detach()

    def after_critic_step(self) -> None:
        if self.objective.clip is not None:
            self.D.clip_(self.objective.clip)  # the critics' weights, not the mixture logits

    def generator_loss(self, batch: tuple, step: int) -> Tensor:
        real, _, z = batch
        fake = self.G.every(z)  # Σ_ij w_i u_j L_G(D_j, G_i) − λ H(w)
        return mixture_generator_loss(self.objective, self.G, self.D, real, fake, self.entropy_weight)

    def after_generator_backward(self) -> None:
        pass

    def log_extras(self) -> dict[str, float]:
        """H(w) / log K: 1 for uniform weights over the generators, 0 for one."""
        return {"mixture_entropy": float(entropy(self.G.logits.detach())) / math.log(len(self.G.components))}


def make_game(objective: Objective, G, D, *, mix_entropy: float, **plain) -> PlainGame:
    """The Game of the networks the config built: MIX+GAN for a mixture generator, else plain."""
    if isinstance(G, MixtureGenerator):
        draw = {k: plain[k] for k in ("timer", "real_batch", "noise", "batch") if k in plain}
        return MixtureGame(objective, G, D, entropy_weight=mix_entropy, **draw)
    return PlainGame(objective, G, D, **plain)
