r"""Many toy GANs of one MLP architecture trained at once: stacked parameters and ``torch.func.vmap``.

A sweep is a grid of configurations (seeds × objectives × hyper-parameters). Models that differ only
in *vectorisable* fields (:data:`VECTOR_FIELDS`: the seed, learning rates, Adam's betas, the EMA
half-life and its ramp-up) form one **group**: their parameters are stacked along a new leading model axis M
(``torch.func.stack_module_state``), every forward pass is one ``vmap(functional_call)`` over that axis,
and the optimizer state is stacked too, updated by the few lines of Adam / RMSProp below on (M, ...)
tensors with per-model learning rates and betas of shape (M, 1, ..., 1). Objectives differ in their
losses, so each objective (with its parameters, and any other non-vectorisable field) is its own group.

Each model is the ordinary trainer's run of its configuration, vectorised:

* parameters are initialised by :func:`divergan.train.loop.build` (same seed → same initial weights);
* data and noise come from the model's own ``torch.Generator`` seeded like the trainer's, drawn in the
  trainer's order (critic phase: real, noise; generator phase: real, noise), on the CPU;
* the penalty's random ε (the trainer draws them from the global RNG after ``build``) come from a copy of
  that global stream per model; the sweep forms the interpolates x̂ = ε x + (1 − ε) G(z) itself and hands
  x̂ to the objective's penalty as both batches, so the penalty's own interpolation is the identity
  (an interpolation penalty such as WGAN-GP's); a penalty on the batches themselves (R1/R2 of
  ``rpgan``, ``Objective.penalty_on == "batches"``) gets the real and fake batches and draws nothing;
* per-model losses are ``vmap`` of the Game's loss functions (:func:`~divergan.train.game.game_critic_loss`,
  :func:`~divergan.train.game.game_generator_loss`, the ones :class:`~divergan.train.game.PlainGame`
  calls, as is its weight clipping :func:`~divergan.train.game.clip_critic`); the gradient of their sum with
  respect to the stacked parameters is, slice by slice, each model's own gradient (the models share no
  parameter), and the penalty is a batch mean so it is multiplied by M to become the sum of the models'.

Hence a sweep's model equals the ordinary ``divergan train`` run of its configuration up to float
rounding (batched and single matrix products round differently), and a sweep of one model is the same
code path as a sweep of many (``tests/train/test_sweep.py`` checks both). Final metrics are those of the
trainer's :func:`~divergan.train.loop.evaluate` for the direct sampler, on the EMA generator.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import Tensor
from torch.func import functional_call, stack_module_state, vmap

from divergan.errors import UserError
from divergan.train import devices
from divergan.train.config import Config, apply_overrides
from divergan.train.ema import ema_beta, ema_lerp
from divergan.train.game import clip_critic, game_critic_loss, game_generator_loss
from divergan.train.loop import Parts, _lr_factor, build, evaluate

#: fields that may differ between the models of one vmapped group
VECTOR_FIELDS = ("seed", "lr_g", "lr_d", "beta1", "beta2", "ema_half_life", "ema_rampup")
#: fields that fix the architecture and the data: one value for the whole sweep
ARCHITECTURE_FIELDS = (
    "data",
    "data_params",
    "z_dim",
    "g_width",
    "g_depth",
    "d_width",
    "d_depth",
    "d_fourier",
    "d_fourier_scale",
)
#: the final metrics each row of results.jsonl carries (the direct sampler's)
METRICS = ("modes", "high_quality", "reverse_kl", "w1", "mmd")


# --- the grid -------------------------------------------------------------------------------------------
def parse_seeds(text: str) -> list[int]:
    """``"0-3"`` -> [0, 1, 2, 3]; ``"0,5,7"`` -> [0, 5, 7]; ranges and lists may mix (``"0-2,9"``)."""
    seeds: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, dash, hi = part.partition("-")
        try:
            values = range(int(lo), int(hi) + 1) if dash else [int(part)]
        except ValueError:
            raise UserError(f"--seeds takes numbers and ranges like 0-3,7, got {text!r}") from None
        if dash and int(hi) < int(lo):
            raise UserError(f"--seeds range {part!r} is empty")
        seeds.extend(values)
    if any(s < 0 for s in seeds):
        raise UserError(f"--seeds must not be negative, got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise UserError(f"--seeds repeats a seed: {text!r}")
    return seeds


def parse_axes(objectives: str | None, seeds: str | None, sets: Sequence[str]) -> tuple[dict, list[str]]:
    """The grid's axes (name -> list of string values) and the shared ``key=value`` overrides.

    A ``--set key=a,b`` with a comma is an axis; without one it is shared by every model.
    """
    axes: dict[str, list[str]] = {}
    shared: list[str] = []
    if objectives is not None:
        names = [o.strip() for o in objectives.split(",") if o.strip()]
        if not names:
            raise UserError("--objectives needs at least one objective name")
        if len(set(names)) != len(names):
            raise UserError(f"--objectives repeats a name: {objectives!r}")
        axes["objective"] = names
    if seeds is not None:
        axes["seed"] = [str(s) for s in parse_seeds(seeds)]
    for item in sets:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UserError(f"--set takes key=value or key=v1,v2,..., got {item!r}")
        if key in axes:
            raise UserError(f"--set {key}: this axis is given twice")
        values = [v.strip() for v in value.split(",")]
        if len(values) == 1:
            shared.append(f"{key}={values[0]}")
            continue
        if any(not v for v in values) or len(set(values)) != len(values):
            raise UserError(f"--set {key}: the values must be distinct and non-empty, got {value!r}")
        axes[key] = values
    return axes, shared


def _item(key: str, value: str) -> str:
    return f"{key}={value}"


def expand(base: Config, axes: dict[str, list[str]]) -> list[tuple[dict[str, Any], Config]]:
    """Every point of the grid: (its axis values as typed numbers/strings, its validated Config).

    Raises:
        UserError: a bad value, a varied architecture field, or the objective varied with its own
            parameters inconsistently (each configuration is validated by building it).
    """
    names = list(axes)
    for name in names:
        if name in ARCHITECTURE_FIELDS or name.startswith("data."):
            raise UserError(f"a sweep trains one architecture on one dataset: {name} cannot vary")
        if name in ("sampler", "device", "amp", "steps"):
            raise UserError(f"{name} is shared by every model of a sweep: give one value")
    points = []
    for combo in itertools.product(*(axes[n] for n in names)):
        cfg = copy.deepcopy(base)
        cfg.data_params = dict(base.data_params)
        cfg.objective_params = dict(base.objective_params)
        items = []
        for name, value in zip(names, combo, strict=True):
            if name == "objective":
                cfg.objective, cfg.objective_params = value, {}
            else:
                items.append(_item(name, value))
        cfg = apply_overrides(cfg, items)
        typed = {}
        for name in names:
            if name.startswith("objective."):
                typed[name] = cfg.objective_params[name.partition(".")[2]]
            else:
                typed[name] = getattr(cfg, name)
        points.append((typed, cfg))
    return points


def _group_key(cfg: Config) -> str:
    d = cfg.to_json()
    for name in VECTOR_FIELDS:
        d.pop(name)
    return json.dumps(d, sort_keys=True)


# --- vectorised optimizers on stacked (M, ...) tensors --------------------------------------------------
def _per_model(values: Sequence[float], like: Tensor) -> Tensor:
    """(M,) numbers as a (M, 1, ..., 1) tensor that broadcasts against ``like`` (M, ...)."""
    t = torch.tensor(values, dtype=like.dtype, device=like.device)
    return t.reshape((len(values),) + (1,) * (like.dim() - 1))


@dataclass
class StackedAdam:
    """Adam (Kingma & Ba 2015) without weight decay, per model; ε is one value for the group.

    m ← β₁ m + (1 − β₁) g,  v ← β₂ v + (1 − β₂) g²,
    θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    with lr, β₁, β₂ of shape (M,) (one per model), applied to stacked tensors (M, ...).
    """

    lr: list[float]
    beta1: list[float]
    beta2: list[float]
    eps: float = 1e-8
    step_count: int = 0
    state: dict[str, tuple[Tensor, Tensor]] = field(default_factory=dict)

    @torch.no_grad()
    def step(self, params: dict[str, Tensor], grads: dict[str, Tensor], factor: float = 1.0) -> None:
        self.step_count += 1
        t = self.step_count
        for name, p in params.items():
            g = grads[name]
            m, v = self.state.setdefault(name, (torch.zeros_like(p), torch.zeros_like(p)))
            b1, b2 = _per_model(self.beta1, p), _per_model(self.beta2, p)
            lr = _per_model([x * factor for x in self.lr], p)
            m.lerp_(g, 1 - b1)
            v.mul_(b2).add_((1 - b2) * g * g)
            denom = (v.sqrt() / (1 - b2**t).sqrt()).add_(self.eps)
            p.sub_(lr / (1 - b1**t) * m / denom)


@dataclass
class StackedRMSprop:
    """RMSProp with torch.optim.RMSprop's defaults (α = 0.99, eps 1e-8), per model learning rates.

    s ← α s + (1 − α) g²,  θ ← θ − lr · g / (√s + ε).
    """

    lr: list[float]
    alpha: float = 0.99
    eps: float = 1e-8
    state: dict[str, Tensor] = field(default_factory=dict)

    @torch.no_grad()
    def step(self, params: dict[str, Tensor], grads: dict[str, Tensor], factor: float = 1.0) -> None:
        for name, p in params.items():
            g = grads[name]
            s = self.state.setdefault(name, torch.zeros_like(p))
            s.mul_(self.alpha).addcmul_(g, g, value=1 - self.alpha)
            lr = _per_model([x * factor for x in self.lr], p)
            p.sub_(lr * g / (s.sqrt() + self.eps))


# --- one vmapped group ----------------------------------------------------------------------------------
class _Stack:
    """Stacked parameters (M, ...) of M copies of one module, and the vmapped forward pass."""

    def __init__(self, modules: Sequence[torch.nn.Module], device: torch.device) -> None:
        params, buffers = stack_module_state(list(modules))
        self.params = {k: v.detach().to(device).requires_grad_(True) for k, v in params.items()}
        self.buffers = {k: v.to(device) for k, v in buffers.items()}
        self.base = copy.deepcopy(modules[0]).to("meta")
        call = lambda p, b, x: functional_call(self.base, (p, b), (x,))  # noqa: E731
        self._vcall = vmap(call)

    def __call__(self, x: Tensor, params: dict[str, Tensor] | None = None) -> Tensor:
        """x (M, B, ...) -> outputs (M, B, ...), model i applied to x[i]."""
        return self._vcall(self.params if params is None else params, self.buffers, x)

    def flat(self, m: int) -> Callable[[Tensor], Tensor]:
        """A critic on (M·B, ...) rows: block i of B rows goes through model i; (M·B, ...) out."""

        def critic(x: Tensor) -> Tensor:
            out = self(x.reshape(m, -1, *x.shape[1:]))
            return out.reshape(-1, *out.shape[2:])

        return critic


def _finite_rows(*values: Tensor) -> Tensor:
    """(M,) True where every value of model i is finite."""
    ok = torch.ones(values[0].shape[0], dtype=torch.bool, device=values[0].device)
    for v in values:
        ok &= torch.isfinite(v.reshape(v.shape[0], -1)).all(dim=1)
    return ok


def _grad_norms(grads: dict[str, Tensor]) -> Tensor:
    """(M,) per-model global gradient norms."""
    sq = sum(g.reshape(g.shape[0], -1).pow(2).sum(dim=1) for g in grads.values())
    return sq.sqrt()


class Group:
    """The models of one group: same objective and non-vectorised fields, trained in lockstep."""

    def __init__(self, cfgs: list[Config], device: torch.device) -> None:
        self.cfgs = cfgs
        self.device = device
        self.parts: list[Parts] = []
        self.eps_rngs: list[torch.Generator] = []
        for cfg in cfgs:
            parts = build(cfg)  # seeds the global RNG and initialises exactly as the trainer does
            self.parts.append(parts)
            self.eps_rngs.append(torch.Generator().set_state(torch.get_rng_state()))
        first, cfg = self.parts[0], cfgs[0]
        self.objective = first.objective
        self.G = _Stack([p.generator for p in self.parts], device)
        self.D = _Stack([p.critic for p in self.parts], device) if first.critic is not None else None
        self.ema = {k: v.detach().clone() for k, v in self.G.params.items()}
        kind = self.objective.optimizer if cfg.optimizer == "auto" else cfg.optimizer

        def optimizer(lrs: list[float]):
            if kind == "rmsprop":
                return StackedRMSprop(lrs)
            return StackedAdam(lrs, [c.beta1 for c in cfgs], [c.beta2 for c in cfgs], cfgs[0].adam_eps)

        self.opt_g = optimizer([c.lr_g for c in cfgs])
        self.opt_d = optimizer([c.lr_d for c in cfgs]) if self.D is not None else None
        self.diverged: list[str | None] = [None] * len(cfgs)
        self._vmap_losses = True

    def _losses(self, fn: Callable[[Tensor, Tensor], Tensor], a: Tensor, b: Tensor) -> Tensor:
        """(M,) per-model losses fn(a[i], b[i]): one vmap, or a loop over the models for a loss with
        data-dependent Python control flow, which vmap cannot trace (the MMD losses, fgan-jeffrey)."""
        if self._vmap_losses:
            try:
                return vmap(fn)(a, b)
            except RuntimeError as exc:
                if "vmap" not in str(exc):
                    raise
                self._vmap_losses = False
        return torch.stack([fn(x, y) for x, y in zip(a, b, strict=True)])

    @property
    def m(self) -> int:
        return len(self.cfgs)

    def _draw(self) -> tuple[Tensor, Tensor]:
        """Per model, from its own generator: real (B, d) then noise (B, z); stacked (M, B, ·)."""
        cfg = self.cfgs[0]
        real, noise = [], []
        for parts in self.parts:
            real.append(parts.dataset.sample(cfg.batch, parts.rng))
            noise.append(torch.randn(cfg.batch, cfg.z_dim, generator=parts.rng))
        return torch.stack(real).to(self.device), torch.stack(noise).to(self.device)

    def _penalty(self, real: Tensor, fake: Tensor) -> Tensor:
        """Σ over models of the objective's penalty at x̂ = ε real + (1 − ε) fake, ε per sample; or, for a
        penalty on the batches themselves (R1/R2, ``penalty_on="batches"``), at the real and fake batches."""
        if self.objective.penalty_on == "batches":
            flat = (-1, *real.shape[2:])
            return self.m * self.objective.penalty(
                self.D.flat(self.m), real.reshape(flat), fake.reshape(flat)
            )
        b = real.shape[1]
        shape = (b,) + (1,) * (real.dim() - 2)
        eps = torch.stack([torch.rand(shape, generator=g) for g in self.eps_rngs]).to(real)  # (M, B, 1)
        x_hat = (eps * real + (1 - eps) * fake).reshape(-1, *real.shape[2:])  # (M·B, d)
        return self.m * self.objective.penalty(self.D.flat(self.m), x_hat, x_hat)

    def _check(self, step: int, name: str, loss: Tensor, grads: dict[str, Tensor]) -> None:
        ok = _finite_rows(loss, _grad_norms(grads))
        for i in torch.nonzero(~ok).flatten().tolist():
            if self.diverged[i] is None:
                self.diverged[i] = f"{name} became non-finite at step {step}"

    def train_step(self, step: int) -> None:
        """One step of the trainer's loop for every model: critic phase, generator phase, EMA."""
        cfg, obj = self.cfgs[0], self.objective
        factor = _lr_factor(cfg, step)
        b = cfg.batch
        if self.D is not None:
            for _ in range(cfg.critic_steps):
                real, z = self._draw()
                with torch.no_grad():
                    fake = self.G(z)
                t = self.D(torch.cat([real, fake], dim=1))  # (M, 2B) or (M, 2B, K)
                loss = self._losses(partial(game_critic_loss, obj), t[:, :b], t[:, b:])  # (M,)
                total = loss.sum()
                if obj.penalty is not None:
                    total = total + self._penalty(real, fake)
                grads = dict(
                    zip(self.D.params, torch.autograd.grad(total, list(self.D.params.values())), strict=True)
                )
                self._check(step + 1, "loss_d", loss, grads)
                self.opt_d.step(self.D.params, grads, factor)
                clip_critic(obj, self.D.params.values())
        for _ in range(cfg.generator_steps):
            real, z = self._draw()
            fake = self.G(z)
            if obj.sample_loss is not None:
                loss = self._losses(lambda x, y: game_generator_loss(obj, None, None, x, y), real, fake)
            else:
                with torch.no_grad():
                    t_real = self.D(real)
                loss = self._losses(partial(game_generator_loss, obj), t_real, self.D(fake))
            grads = dict(
                zip(self.G.params, torch.autograd.grad(loss.sum(), list(self.G.params.values())), strict=True)
            )
            self._check(step + 1, "loss_g", loss, grads)
            self.opt_g.step(self.G.params, grads, factor)
        betas = [ema_beta(c.ema_half_life, c.ema_rampup, step) for c in self.cfgs]
        for name, p in self.G.params.items():
            ema_lerp([self.ema[name]], [p], _per_model(betas, p))

    def generator_params(self, i: int, ema: bool = True) -> dict[str, Tensor]:
        """Model i's (EMA) generator parameters as CPU tensors, named like the trainer's modules."""
        source = self.ema if ema else self.G.params
        return {k: v[i].detach().cpu().clone() for k, v in source.items()}

    def critic_params(self, i: int) -> dict[str, Tensor]:
        return {k: v[i].detach().cpu().clone() for k, v in self.D.params.items()} if self.D else {}

    def results(self) -> list[dict[str, Any]]:
        """The trainer's final metrics (direct sampler) for every model; None for a diverged one."""
        out = []
        for i, (cfg, parts) in enumerate(zip(self.cfgs, self.parts, strict=True)):
            if self.diverged[i] is not None:
                out.append({k: None for k in METRICS} | {"diverged": self.diverged[i]})
                continue
            parts.ema.load_state_dict({**parts.ema.state_dict(), **self.generator_params(i)}, strict=True)
            metrics, _ = evaluate(cfg, parts)
            direct = metrics["direct"]
            out.append({k: direct.get(k) for k in METRICS} | {"diverged": None})
        return out


# --- the sweep ------------------------------------------------------------------------------------------
def groups_of(cfgs: Sequence[Config]) -> list[list[int]]:
    """Indices of the models of each group, in first-appearance order."""
    groups: dict[str, list[int]] = {}
    for i, cfg in enumerate(cfgs):
        groups.setdefault(_group_key(cfg), []).append(i)
    return list(groups.values())


def check(cfgs: Sequence[Config]) -> None:
    """One architecture and dataset; direct sampler only; every configuration valid; and only what the
    vmapped step trains as the ordinary trainer does: single MLP generators and critics on flat data,
    unconditional (a MIX+GAN mixture, class labels or image networks are another game: refused)."""
    if not cfgs:
        raise UserError("the sweep grid is empty")
    first = cfgs[0].to_json()
    for cfg in cfgs:
        refused = [
            (cfg.mix_components > 1, "mix_components > 1 (MIX+GAN)"),
            (cfg.conditional, "conditional=true"),
            (cfg.clusters > 0, "clusters (a cluster-conditional DCGAN)"),
            (cfg.arch == "dcgan", "arch=dcgan"),
            (bool(cfg.app), f"the {cfg.app} application"),
            (bool(cfg.d_augment), "d_augment (augmentation of image critics)"),
            (cfg.d_norm == "spectral", "d_norm=spectral (a DCGAN critic's normalisation)"),
            (cfg.penalty_every > 1, "penalty_every > 1 (lazy penalties)"),
            (cfg.penalty_until < 1, "penalty_until < 1 (penalties for part of the run)"),
        ]
        for hit, what in refused:
            if hit:
                raise UserError(
                    f"a sweep vectorises plain MLP GANs only and cannot train {what}; use divergan train"
                )
    from divergan.data import get_dataset

    base = cfgs[0]
    if get_dataset(base.data, **base.data_params).is_image:
        raise UserError(
            f"a sweep vectorises plain MLP GANs on flat data only; {base.data} holds images: use divergan train"
        )
    for cfg in cfgs:
        d = cfg.to_json()
        for name in ARCHITECTURE_FIELDS:
            if d[name] != first[name]:
                raise UserError(f"a sweep trains one architecture on one dataset: {name} cannot vary")
        if cfg.sampler != "direct":
            raise UserError("a sweep reports the direct sampler only: use sampler=direct")
        if (cfg.pack, cfg.g_norm, cfg.d_maxout, cfg.d_mbstd, cfg.g_cells) != (1, "none", 0, 0, 0):
            raise UserError(
                "a sweep trains plain MLPs: use divergan train for pack, g_norm, d_maxout, d_mbstd, g_cells"
            )
        cfg.validate()


def train_sweep(
    cfgs: Sequence[Config], *, progress: Callable[[int, int], None] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Train every configuration, one vmapped group per objective; returns (rows, timing info).

    Row i holds model i's final metrics (:data:`METRICS`, the direct sampler on the EMA generator) and
    ``diverged`` (None, or which quantity became NaN/Inf and when).
    """
    check(cfgs)
    device = devices.resolve(cfgs[0].device)
    devices.check_amp(cfgs[0].amp, device)
    rows: list[dict[str, Any] | None] = [None] * len(cfgs)
    train_seconds = 0.0
    eval_seconds = 0.0
    for members in groups_of(cfgs):
        group = Group([cfgs[i] for i in members], device)
        t0 = time.perf_counter()
        steps = group.cfgs[0].steps
        with devices.autocast(group.cfgs[0].amp, device):
            for step in range(steps):
                group.train_step(step)
                if progress is not None:
                    progress(step + 1, steps)
        train_seconds += time.perf_counter() - t0
        t0 = time.perf_counter()
        for i, row in zip(members, group.results(), strict=True):
            rows[i] = row
        eval_seconds += time.perf_counter() - t0
    info = {"train_seconds": train_seconds, "eval_seconds": eval_seconds, "device": str(device)}
    return [r for r in rows if r is not None], info


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def table(axes: dict[str, list], rows: Sequence[dict[str, Any]]) -> str:
    """A Markdown table: one line per configuration, its axis values then its metrics."""
    names = list(axes)
    head = names + list(METRICS)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(k)) for k in head) + " |")
    return "\n".join(lines) + "\n"


def write(out: Path, base: Config, axes: dict[str, list], rows: Sequence[dict], info: dict) -> None:
    """``sweep.json`` (grid and shared config), ``results.jsonl`` (a row per model), ``table.md``."""
    out.mkdir(parents=True, exist_ok=True)
    sweep = {
        "axes": axes,
        "models": len(rows),
        "metrics": list(METRICS),
        "sampler": "direct",
        "config": base.to_json(),
        **info,
    }
    (out / "sweep.json").write_text(json.dumps(sweep, indent=2) + "\n")
    with open(out / "results.jsonl", "w") as fh:
        for row in rows:
            fh.write(json.dumps(row, allow_nan=False) + "\n")
    (out / "table.md").write_text(table(axes, rows))


def run_sweep(base: Config, axes: dict[str, list[str]], out: Path | None = None, **kw) -> list[dict]:
    """Expand the grid over ``base``, train it, and (if ``out``) write the sweep folder; returns the rows.

    Each row is ``{"index": i, <axis>: value, ..., "config": {...full config...}, <metrics>, "diverged"}``.
    """
    points = expand(base, axes)
    cfgs = [cfg for _, cfg in points]
    results, info = train_sweep(cfgs, **kw)
    rows = []
    for i, ((typed, cfg), result) in enumerate(zip(points, results, strict=True)):
        row = {"index": i, **typed, **{k: _json_number(v) for k, v in result.items()}}
        row["config"] = cfg.to_json()
        rows.append(row)
    typed_axes = {name: list(dict.fromkeys(t[name] for t, _ in points)) for name in axes}
    if out is not None:
        write(out, base, typed_axes, rows, info)
    return rows


def _json_number(value: Any) -> Any:
    """NaN/Inf metrics become None so results.jsonl stays strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
