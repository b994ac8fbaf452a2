"""The training loop: alternating critic and generator updates (seed 001, §1), one readable function.

Phases of every step, in order: k critic updates (penalty and weight clipping as the objective says),
k′ generator updates, the EMA of the generator, then — at their intervals — logging to
``metrics.jsonl``, mode metrics, checkpoints. After the last step: the ratio critic for a density-ratio
sampler (:mod:`divergan.train.sampling`), final metrics for the direct and the chosen sampler, plots.
The loop never branches on the objective's name: it uses only the :class:`Objective`'s fields.
"""

from __future__ import annotations

import copy
import json
import math
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor
from tqdm import tqdm

from divergan.data import get_dataset
from divergan.data.base import Dataset
from divergan.errors import Interrupted, UserError
from divergan.metrics import mode_metrics
from divergan.metrics.distances import mmd, w1
from divergan.nn import MLP
from divergan.objectives import Objective, get_objective
from divergan.train import checkpoint as ckpt
from divergan.train.config import Config
from divergan.train.perf import PhaseTimer, compiled
from divergan.train.sampling import draw, fit_ratio_critic, ratio_critic


class TrainingDiverged(UserError):
    """A loss or gradient became NaN/Inf; the last good checkpoint is left as it was."""


@dataclass
class Parts:
    """Everything a run builds from its config."""

    dataset: Dataset
    objective: Objective
    generator: MLP
    critic: MLP | None
    ema: MLP
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer | None
    ratio: MLP | None
    rng: torch.Generator  # data and noise


def build(cfg: Config) -> Parts:
    """Networks, optimizers and RNG for ``cfg`` (seeded, so two builds are identical)."""
    torch.manual_seed(cfg.seed)
    dataset = get_dataset(cfg.data, **cfg.data_params)
    objective = get_objective(cfg.objective, **cfg.objective_params)
    g = MLP(cfg.z_dim, dataset.dim, cfg.g_width, cfg.g_depth, "relu")
    d = None
    if objective.needs_critic:
        outputs = getattr(objective, "critic_outputs", 1)
        d = MLP(
            dataset.dim,
            outputs,
            cfg.d_width,
            cfg.d_depth,
            "leaky_relu",
            cfg.d_fourier,
            cfg.d_fourier_scale,
            squeeze=True,
        )
    kind = objective.optimizer if cfg.optimizer == "auto" else cfg.optimizer

    def optimizer(params, lr: float) -> torch.optim.Optimizer:
        if kind == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2))

    ratio = None
    if cfg.sampler != "direct":
        ratio = ratio_critic(dataset.dim, cfg.ratio_width, cfg.ratio_fourier, cfg.ratio_fourier_scale)
    return Parts(
        dataset=dataset,
        objective=objective,
        generator=g,
        critic=d,
        ema=copy.deepcopy(g).requires_grad_(False),
        opt_g=optimizer(g.parameters(), cfg.lr_g),
        opt_d=optimizer(d.parameters(), cfg.lr_d) if d is not None else None,
        ratio=ratio,
        rng=torch.Generator().manual_seed(cfg.seed),
    )


def _total_norm(tensors: list[Tensor]) -> Tensor:
    """‖(t₁, …, t_n)‖₂ of all entries together, a 0-dim tensor (0 for an empty list); one fused kernel."""
    if not tensors:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(tensors)


def _check(step: int, values: list[tuple[str, Tensor]]) -> None:
    """One finiteness test for all of a step's losses and norms; names the first that is not finite."""
    if values and not bool(torch.isfinite(torch.stack([v.float() for _, v in values])).all()):
        name, value = next((n, float(v)) for n, v in values if not math.isfinite(float(v)))
        raise TrainingDiverged(f"{name} became {value} at step {step}; earlier checkpoints are intact")


def _lr_factor(cfg: Config, step: int) -> float:
    """constant, or linear decay to 0 over the second half of training."""
    if cfg.lr_schedule == "linear" and cfg.steps:
        return min(1.0, 2.0 * (1.0 - step / cfg.steps))
    return 1.0


def save_checkpoint(
    run: Path,
    parts: Parts,
    cfg: Config,
    step: int,
    final: bool = False,
    rng: tuple[Tensor, Tensor] | None = None,
) -> Path:
    """Write the state at ``step``; ``rng`` (torch, data) overrides the current RNG states."""
    tensors = {**ckpt.module_tensors("G", parts.generator), **ckpt.module_tensors("EMA", parts.ema)}
    optim_meta = {}
    for name, module, opt in (("D", parts.critic, parts.opt_d), ("G", None, parts.opt_g)):
        if module is not None:
            tensors.update(ckpt.module_tensors(name, module))
        if opt is not None:
            opt_tensors, optim_meta[name] = ckpt.optimizer_tensors(f"opt_{name}", opt)
            tensors.update(opt_tensors)
    if final and parts.ratio is not None:
        tensors.update(ckpt.module_tensors("R", parts.ratio))
    tensors["rng.torch"], tensors["rng.data"] = rng or (torch.get_rng_state(), parts.rng.get_state())
    meta = {"step": step, "final": final, "optimizers": optim_meta, "config": cfg.to_json()}
    path = ckpt.checkpoint_path(run, step)
    ckpt.save(path, tensors, meta)
    ckpt.prune(run, cfg.keep_checkpoints)
    return path


def restore(parts: Parts, tensors: dict[str, Tensor], meta: dict, with_ratio: bool = False) -> int:
    """Load a checkpoint into ``parts``; returns the step to continue from.

    The ratio critic is loaded only for sampling (``with_ratio``): a resumed run fits a fresh one.
    """
    ckpt.restore_module("G", parts.generator, tensors)
    ckpt.restore_module("EMA", parts.ema, tensors)
    if parts.critic is not None:
        ckpt.restore_module("D", parts.critic, tensors)
        ckpt.restore_optimizer("opt_D", parts.opt_d, tensors, meta["optimizers"]["D"])
    ckpt.restore_optimizer("opt_G", parts.opt_g, tensors, meta["optimizers"]["G"])
    if with_ratio and parts.ratio is not None and any(k.startswith("R.") for k in tensors):
        ckpt.restore_module("R", parts.ratio, tensors)
    torch.set_rng_state(tensors["rng.torch"])
    parts.rng.set_state(tensors["rng.data"])
    return int(meta["step"])


@contextmanager
def _stop_on_signals():
    """SIGINT/SIGTERM set a flag the loop checks after each step (main thread only); restored after."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {
        s: signal.signal(s, lambda signum, frame: received.append(signum))
        for s in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _append(path: Path, row: dict) -> None:
    with open(path, "a") as fh:
        fh.write(json.dumps(row) + "\n")


def _truncate_metrics(path: Path, step: int) -> None:
    """On resume, drop log lines written after the checkpoint (they will be written again)."""
    if path.exists():
        rows = []
        for line in path.read_text().splitlines():
            try:
                if json.loads(line)["step"] <= step:
                    rows.append(line)
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a kill
        path.write_text("".join(r + "\n" for r in rows))


def train(
    cfg: Config, run: Path, *, resume: bool = False, progress: bool = True, timer: PhaseTimer | None = None
) -> dict:
    """Train per ``cfg`` into the run folder ``run``; returns the final metrics (also in final_metrics.json).

    ``timer`` (``--profile``) collects wall seconds per phase; it does not change any result.
    """
    cfg.validate()
    timer = timer or PhaseTimer(enabled=False)
    threads = torch.get_num_threads()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        return _train(cfg, run, resume, progress, timer)
    finally:
        torch.set_num_threads(threads)


def _train(cfg: Config, run: Path, resume: bool, progress: bool, timer: PhaseTimer) -> dict:
    run.mkdir(parents=True, exist_ok=True)
    parts = build(cfg)
    G, D, obj, data, rng = parts.generator, parts.critic, parts.objective, parts.dataset, parts.rng
    log_path = run / "metrics.jsonl"
    start = 0
    if resume and ckpt.list_checkpoints(run):
        ckpt.remove_partial(run)
        tensors, meta = ckpt.load(ckpt.latest(run))
        start = restore(parts, tensors, meta)
        _truncate_metrics(log_path, start)
    elif resume:  # killed before its first checkpoint: start over, from the same seed
        ckpt.remove_partial(run)
        log_path.write_text("")
    else:
        (run / "config.json").write_text(json.dumps(cfg.to_json(), indent=2) + "\n")
        log_path.write_text("")
    ema_beta = 0.5 ** (1.0 / cfg.ema_half_life) if cfg.ema_half_life > 0 else 0.0
    noise = lambda n: torch.randn(n, cfg.z_dim, generator=rng)  # noqa: E731
    t0 = time.perf_counter()
    bar = tqdm(
        range(start, cfg.steps),
        initial=start,
        total=cfg.steps,
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
        desc=f"{cfg.objective} on {cfg.data}",
    )
    B = cfg.batch
    # forwards through torch.compile if asked (eager where it fails); never where a double backward is needed
    g_forward = compiled(G, cfg.compile)
    d_forward = compiled(D, cfg.compile and obj.penalty is None) if D is not None else None
    loss_d = grad_d = torch.zeros(())
    health: list[tuple[str, Tensor]] = []  # this step's losses and norms, checked once at its end
    last_eval: dict = {}
    with _stop_on_signals() as received:
        for step in bar:
            for opt, base in ((parts.opt_g, cfg.lr_g), (parts.opt_d, cfg.lr_d)):
                if opt is not None:
                    for group in opt.param_groups:
                        group["lr"] = base * _lr_factor(cfg, step)
            # -- critic phase: k updates of max_D V(D, G) -----------------------------------------------
            if D is not None:
                with timer("data and noise"):  # in the order of one draw per critic step
                    draws = [(data.sample(B, rng), noise(B)) for _ in range(cfg.critic_steps)]
                with timer("generator forward (critic phase)"), torch.no_grad():
                    fakes = g_forward(torch.cat([z for _, z in draws])).split(B)  # k × (B, d), G is fixed
                for (real, _), fake in zip(draws, fakes, strict=True):
                    with timer("critic forward"):
                        t = d_forward(torch.cat([real, fake]))  # (2B,) or (2B, K): one pass over both
                        loss = obj.critic_loss(t[:B], t[B:])
                    if obj.penalty is not None:
                        with timer("gradient penalty (forward, input gradient)"):
                            loss = loss + obj.penalty(D, real, fake)
                    with timer("critic backward"):
                        parts.opt_d.zero_grad(set_to_none=True)
                        loss.backward()
                    with timer("critic optimizer step"):
                        grad_d = _total_norm([p.grad for p in D.parameters() if p.grad is not None])
                        parts.opt_d.step()
                        if obj.clip is not None:
                            with torch.no_grad():
                                for p in D.parameters():
                                    p.clamp_(-obj.clip, obj.clip)
                    loss_d = loss.detach()
                    health += [("loss_d", loss_d), ("grad_norm_d", grad_d)]
                health.append(("critic_parameters", _total_norm(list(D.parameters()))))
            # -- generator phase: k' updates of min_G ----------------------------------------------------
            for _ in range(cfg.generator_steps):
                with timer("data and noise"):
                    real = data.sample(B, rng)  # drawn even when unused: the random stream stays the same
                    z = noise(B)
                with timer("generator step"):
                    fake = g_forward(z)
                    if obj.sample_loss is not None:
                        loss = obj.sample_loss(real, fake)
                    else:
                        D.requires_grad_(False)  # only ∂/∂G is needed: no critic weight gradients
                        t_real = None
                        if obj.generator_uses_real:
                            with torch.no_grad():
                                t_real = d_forward(real)
                        loss = obj.generator_loss(t_real, d_forward(fake))
                    parts.opt_g.zero_grad(set_to_none=True)
                    loss.backward()
                    if D is not None:
                        D.requires_grad_(True)
                    grad_g = _total_norm([p.grad for p in G.parameters() if p.grad is not None])
                    parts.opt_g.step()
                loss_g = loss.detach()
                health += [("loss_g", loss_g), ("grad_norm_g", grad_g)]
            health.append(("generator_parameters", _total_norm(list(G.parameters()))))
            _check(step, health)
            health.clear()
            # -- EMA of the generator ----------------------------------------------------------------------
            with timer("EMA"), torch.no_grad():
                for p_ema, p in zip(parts.ema.parameters(), G.parameters(), strict=True):
                    p_ema.lerp_(p, 1.0 - ema_beta)
            # -- intervals: log, evaluate, checkpoint ----------------------------------------------------
            done = step + 1
            tic = time.perf_counter()
            if done % cfg.log_every == 0 or done == cfg.steps:
                row = {
                    "step": done,
                    "loss_d": float(loss_d),
                    "loss_g": float(loss_g),
                    "divergence_estimate": -float(loss_d),
                    "grad_norm_g": float(grad_g),
                    "grad_norm_d": float(grad_d),
                    "seconds": time.perf_counter() - t0,
                }
                if data.modes is not None and (done % cfg.eval_every == 0 or done == cfg.steps):
                    # a generator of its own, so evaluating never shifts the training's random stream
                    eval_rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + done)
                    with torch.no_grad():
                        z = torch.randn(cfg.eval_samples, cfg.z_dim, generator=eval_rng)
                        m = mode_metrics(parts.ema(z), data.modes, data.std)
                    last_eval = {
                        "modes": m["modes"],
                        "high_quality": m["high_quality"],
                        "reverse_kl": m["reverse_kl"],
                    }
                    row.update(last_eval)
                _append(log_path, row)
                bar.set_postfix(
                    {
                        "D": f"{float(loss_d):.3f}",
                        "G": f"{float(loss_g):.3f}",
                        **{k: f"{v:.3g}" for k, v in last_eval.items()},
                    }
                )
                timer.add("logging and evaluation", time.perf_counter() - tic)
            if done % cfg.checkpoint_every == 0 and done < cfg.steps:
                with timer("checkpoint"):
                    save_checkpoint(run, parts, cfg, done)
            if received:  # SIGINT/SIGTERM: save where we are and stop cleanly
                bar.close()
                path = save_checkpoint(run, parts, cfg, done)
                name = signal.Signals(received[0]).name
                raise Interrupted(
                    f"{name}: stopped after step {done}; saved {path}; continue with --resume {run}",
                    received[0],
                )
    bar.close()
    train_seconds = time.perf_counter() - t0
    # evaluation draws random numbers: keep the states of the end of training, so that a later
    # --resume with more steps continues exactly as an uninterrupted run would
    rng_at_end = (torch.get_rng_state(), parts.rng.get_state())
    final = finish(cfg, run, parts, train_seconds, timer)
    with timer("checkpoint"):
        save_checkpoint(run, parts, cfg, cfg.steps, final=True, rng=rng_at_end)
    return final


def evaluate(cfg: Config, parts: Parts, log_ratio=None) -> tuple[dict, dict[str, Tensor]]:
    """Metrics of the direct sampler and of ``cfg.sampler`` on ``cfg.eval_samples`` fresh samples."""
    data, rng = parts.dataset, parts.rng
    sample_fake = lambda n: parts.ema(torch.randn(n, cfg.z_dim, generator=rng))  # noqa: E731
    n_w1 = min(2000, cfg.eval_samples)  # exact OT is cubic: W1 and MMD on at most 2,000 points
    held_out = data.sample(n_w1, rng)
    results: dict = {}
    samples: dict[str, Tensor] = {}
    for method in dict.fromkeys(["direct", cfg.sampler]):
        x, info = draw(method, sample_fake, cfg.eval_samples, log_ratio, cfg.mh_steps)
        samples[method] = x
        metrics: dict = dict(info)
        if data.modes is not None:
            m = mode_metrics(x, data.modes, data.std)
            metrics.update(modes=m["modes"], high_quality=m["high_quality"], reverse_kl=m["reverse_kl"])
        metrics["w1"] = w1(x[:n_w1], held_out)
        metrics["mmd"] = mmd(x[:n_w1], held_out)
        results[method] = metrics
    return results, samples


def finish(
    cfg: Config, run: Path, parts: Parts, train_seconds: float, timer: PhaseTimer | None = None
) -> dict:
    """Calibrate the ratio critic (if a density-ratio sampler is used), evaluate, plot."""
    from divergan.report.plots import plot_run

    timer = timer or PhaseTimer(enabled=False)
    t0 = time.perf_counter()
    if parts.ratio is not None:
        tic = time.perf_counter()
        sample_fake = lambda n: parts.ema(torch.randn(n, cfg.z_dim, generator=parts.rng))  # noqa: E731
        fit_ratio_critic(
            parts.ratio,
            sample_fake,
            parts.dataset,
            steps=cfg.ratio_steps,
            batch=cfg.ratio_batch,
            lr=cfg.ratio_lr,
            generator=parts.rng,
        )
        timer.add("final: ratio critic", time.perf_counter() - tic)
    with timer("final: sampling and metrics"):
        metrics, samples = evaluate(cfg, parts, parts.ratio)
    results = {"steps": cfg.steps, "sampler": cfg.sampler, "train_seconds": train_seconds, **metrics}
    results["seconds"] = train_seconds + time.perf_counter() - t0
    (run / "final_metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    if cfg.plot:
        with timer("final: plots"):
            title = f"{cfg.objective} on {cfg.data}, sampler {cfg.sampler}"
            plot_run(run, parts.dataset, samples[cfg.sampler], parts.critic, title=title)
    return results


def load_run(run: Path) -> tuple[Config, Parts, dict]:
    """Rebuild a run from its folder: config.json and the latest checkpoint."""
    if not (run / "config.json").is_file():
        raise UserError(f"{run} is not a divergan run folder (no config.json)")
    try:
        cfg = Config.from_json(json.loads((run / "config.json").read_text()))
    except json.JSONDecodeError as exc:
        raise UserError(f"{run / 'config.json'} is not valid JSON: {exc}") from None
    parts = build(cfg)
    tensors, meta = ckpt.load(ckpt.latest(run))
    restore(parts, tensors, meta, with_ratio=True)
    return cfg, parts, meta
