"""The training loop: alternating critic and generator updates (Garcia, §1).

Phases of every step, in order: k critic updates, k′ generator updates — the losses of both come from
the run's :mod:`Game <divergan.train.game>` (the objective's losses, penalty and clipping; MIX+GAN's
mixed payoffs) —, one finiteness check (:mod:`divergan.train.health`), the EMA of the generator
(:mod:`divergan.train.ema`), then the interval hooks: :func:`log_and_evaluate` (``metrics.jsonl``,
mode metrics, TensorBoard, the caller's ``on_eval``), :func:`checkpoint_and_grids` and
:func:`stop_on_signal`, each reading a :class:`LoopState`. After the last step: the ratio critic for a
density-ratio sampler (:mod:`divergan.train.sampling`), final metrics for the direct and the chosen
sampler, plots. The loop never branches on the objective's name: it uses only the
:class:`Objective`'s fields.

What a kind of run builds, evaluates and draws beyond these phases is its :class:`App`: this module's
own (``PLAIN``, below) for the trainer's networks and data, or an application's from
:mod:`divergan.apps` (paired glyph translation, the style generator), passed to :func:`train` and
:func:`load_run` by the caller; this module never imports the applications.

Networks come from the data (``arch = "auto"``): an MLP for flat vectors, a DCGAN
(:mod:`divergan.nn.dcgan`) for images. A critic whose outputs depend on the whole batch (batch norm)
is called on real and fake batches separately (:func:`critic_outputs`); the generator's EMA gets
fresh batch-norm statistics before it is sampled (:func:`ready_ema`). Image runs also write sample
grids at every checkpoint and, at the end, a latent interpolation and a latent-arithmetic figure.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm import tqdm

from divergan.data import get_dataset
from divergan.data.base import Dataset
from divergan.data.clusters import (
    cluster_dataset,
    cluster_frequencies,
    critic_features,
    recluster,
    with_cluster_ids,
)
from divergan.errors import Interrupted, UserError
from divergan.figures.tensorboard import run_writer, write_hparams
from divergan.nn import MLP
from divergan.nn.augment import DiffAugment, parse_policy
from divergan.nn.dcgan import SIZES, DCGANCritic, DCGANGenerator, init_weights, recalibrate_batchnorm
from divergan.nn.remedies import remedy_options, toy_networks
from divergan.objectives import Objective, get_objective
from divergan.threads import threads_for
from divergan.train import checkpoint as ckpt
from divergan.train import devices, dist
from divergan.train.config import Config
from divergan.train.ema import ema_beta, ema_update
from divergan.train.game import batch_dependent, critic_outputs, make_game  # noqa: F401 - re-exported
from divergan.train.game import call as _call
from divergan.train.health import TrainingDiverged, check_finite  # noqa: F401 - TrainingDiverged re-exported
from divergan.train.mixture import MixtureCritic, MixtureGenerator
from divergan.train.perf import PhaseTimer, adam, compiled, step_flops
from divergan.train.sampling import draw, fit_ratio_critic, ratio_critic

#: in a run folder trained with the user's own networks: their class names (the code is never saved)
USER_NETWORKS = "user_networks.json"


@dataclass
class Parts:
    """Everything a run builds from its config."""

    dataset: Dataset
    objective: Objective
    generator: nn.Module
    critic: nn.Module | None
    ema: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer | None
    ratio: MLP | None
    rng: torch.Generator  # data and noise


def build_networks(cfg: Config, dataset: Dataset, objective: Objective) -> tuple[nn.Module, nn.Module | None]:
    """The generator and critic (None for critic-free objectives) that ``cfg.arch`` picks for the data.

    ``auto``: DCGAN for images, MLP for flat vectors. An MLP on images works on flattened pixels. The
    DCGAN critic's normalisation (``d_norm = "auto"``) is per-sample layer norm when the objective has a
    penalty (a gradient penalty is per sample), batch norm otherwise (DCGAN).
    """
    arch = cfg.arch if cfg.arch != "auto" else ("dcgan" if dataset.is_image else "mlp")
    outputs = getattr(objective, "critic_outputs", 1)
    classes = None
    if cfg.conditioned:
        if dataset.num_classes is None:
            raise UserError(
                f"conditional=true needs labelled data (a folder's sub-folders are its classes); {dataset.name} "
                "has no labels: add --set conditional=false (or use --preset mnist-unconditional)"
            )
        if arch != "dcgan":
            raise UserError("conditional=true needs arch=dcgan (image data)")
        classes = dataset.num_classes
    if arch == "dcgan":
        if not dataset.is_image:
            raise UserError(f"arch=dcgan needs image data; {dataset.name} holds flat vectors")
        channels, height, width = dataset.shape  # type: ignore[misc]
        if height != width or height not in SIZES:
            raise UserError(
                f"DCGAN networks take square images of side {', '.join(map(str, SIZES))}; "
                f"{dataset.name} has {height}x{width} (set data.size=N)"
            )
        shares = cluster_frequencies(dataset.labels, classes) if cfg.clusters else None  # type: ignore[arg-type]
        g = DCGANGenerator(
            cfg.z_dim,
            height,
            channels,
            cfg.g_width,
            num_classes=classes,
            label_shares=shares,
            cells=cfg.g_cells,
        )
        init_weights(g)
        d = None
        if objective.needs_critic:
            norm = cfg.d_norm if cfg.d_norm != "auto" else ("layer" if objective.penalty else "batch")
            d = DCGANCritic(
                height, channels, cfg.d_width, norm, outputs, classes, pack=cfg.pack, mbstd=cfg.d_mbstd
            )
            init_weights(d)
        return g, d
    k = cfg.mix_components
    if k > 1 and (dataset.is_image or dist.world_size() > 1 or cfg.z_dim < 2):
        raise UserError(
            "mix_components > 1 (MIX+GAN) takes MLPs on flat data in one process, with z_dim >= 2 "
            "(one latent coordinate picks the component)"
        )
    z_dim = cfg.z_dim - 1 if k > 1 else cfg.z_dim
    gs, ds = toy_networks(
        k, z_dim, dataset.dim, outputs, critic=objective.needs_critic, **remedy_options(cfg)
    )
    if k > 1:  # MIX+GAN (Zhang lecture notes): K generators against K critics, train/mixture.py
        return MixtureGenerator(gs, z_dim), MixtureCritic(ds) if ds else None
    g, d = gs[0], (ds[0] if ds else None)
    if dataset.is_image:  # pixels as flat vectors
        g = nn.Sequential(g, nn.Unflatten(1, dataset.shape))
        d = nn.Sequential(nn.Flatten(1), d) if d is not None else None
    return g, d


def user_networks(
    cfg: Config, dataset: Dataset, objective: Objective, g: nn.Module | None, d: nn.Module | None
) -> tuple[nn.Module, nn.Module | None]:
    """Check a user's generator (z (B, z_dim) -> x (B, *shape)) and critic (x -> (B,) or (B, K)) on
    two samples; raises UserError naming the first mismatch."""
    if g is None:
        raise UserError("a critic was given without a generator: pass generator= too")
    if objective.needs_critic and d is None:
        raise UserError(
            f"objective {objective.name!r} trains a critic: pass critic= too (or neither network)"
        )
    if not objective.needs_critic and d is not None:
        raise UserError(f"objective {objective.name!r} is critic-free: do not pass a critic")
    if cfg.conditioned or cfg.mix_components > 1:
        raise UserError(
            "your own networks train unconditional, single-generator runs (conditional=false, mix_components=1)"
        )
    shape = tuple(dataset.shape or (dataset.dim,))
    with torch.no_grad():
        try:
            x = g(torch.zeros(2, cfg.z_dim))
        except Exception as exc:
            raise UserError(
                f"the generator fails on z of shape (2, {cfg.z_dim}) (z_dim={cfg.z_dim}): {exc}"
            ) from None
        if not isinstance(x, Tensor) or tuple(x.shape) != (2, *shape):
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise UserError(
                f"the generator must map z (B, {cfg.z_dim}) to (B, {', '.join(map(str, shape))}), got {got}"
            )
        if d is not None:
            try:
                t = d(dataset.sample(2, torch.Generator().manual_seed(0)))
            except Exception as exc:
                raise UserError(
                    f"the critic fails on data of shape (2, {', '.join(map(str, shape))}): {exc}"
                ) from None
            k = objective.critic_outputs
            want = (2,) if k == 1 else (2, k)
            if not isinstance(t, Tensor) or tuple(t.shape) != want:
                got = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise UserError(
                    f"the critic must map x (B, {', '.join(map(str, shape))}) to scores of shape "
                    f"{'(B,)' if k == 1 else f'(B, {k})'} for objective {objective.name!r}, got {got}"
                )
    return g, d


def check(
    cfg: Config,
    *,
    generator: nn.Module | None = None,
    critic: nn.Module | None = None,
    cluster_ids: tuple[Tensor, Tensor | None] | None = None,
) -> tuple[Dataset, Objective, nn.Module, nn.Module | None]:
    """The dataset, objective and networks of ``cfg`` (seeded); raises UserError where they do not fit.

    The first half of :func:`build`, without the optimizers: ``divergan train`` calls it to fail on a
    bad config before it makes a run folder (torch's first optimizer imports its compiler, seconds).
    ``cluster_ids``: (training ids, held-out ids) of a self-conditioned run, as saved in its checkpoint,
    used instead of clustering the images again (the t-SNE map takes seconds).
    """
    torch.manual_seed(cfg.seed)
    dataset = get_dataset(cfg.data, **cfg.data_params)
    if cfg.clusters and cluster_ids is not None:
        dataset = with_cluster_ids(dataset, cfg.clusters, *cluster_ids)
    elif cfg.clusters:
        dataset = cluster_dataset(dataset, cfg.clusters, cfg.seed, cfg.cluster_space)
    objective = get_objective(cfg.objective, **cfg.objective_params)
    if generator is None and critic is None:
        g, d = build_networks(cfg, dataset, objective)
    else:
        g, d = user_networks(cfg, dataset, objective, generator, critic)
    if cfg.d_augment and not (dataset.is_image and objective.needs_critic):
        raise UserError(
            f"d_augment transforms the images a critic sees; {dataset.name} holds flat vectors"
            if not dataset.is_image
            else f"d_augment transforms the images a critic sees; objective {cfg.objective!r} has no critic"
        )
    if dataset.is_image and cfg.sampler != "direct":
        raise UserError(f"sampler {cfg.sampler!r} is for flat data; image runs use --sampler direct")
    for name, scheduled in [
        ("penalty_every", cfg.penalty_every > 1),
        ("penalty_until", cfg.penalty_until < 1),
    ]:
        if scheduled and (objective.penalty is None or cfg.mix_components > 1):
            raise UserError(
                f"{name} schedules the objective's penalty; {cfg.objective!r} has none"
                if objective.penalty is None
                else f"{name} is not read by MIX+GAN (mix_components > 1): use 1"
            )
    if cfg.recluster_every and not isinstance(d, DCGANCritic):
        raise UserError(
            "recluster_every clusters the DCGAN critic's features; this run has none "
            "(an objective with a critic and the built-in networks)"
        )
    if cfg.d_norm == "spectral" and not isinstance(d, DCGANCritic):
        raise UserError(
            "d_norm=spectral normalises the DCGAN critic's weights; this run has none "
            "(it needs image data, an objective with a critic and the built-in networks)"
        )
    return dataset, objective, g, d


def build(
    cfg: Config,
    *,
    generator: nn.Module | None = None,
    critic: nn.Module | None = None,
    cluster_ids: tuple[Tensor, Tensor | None] | None = None,
) -> Parts:
    """Networks, optimizers and RNG for ``cfg`` (seeded, so two builds are identical).

    ``generator`` / ``critic``: a user's own networks instead of the ones ``cfg.arch`` builds (both, or
    the generator alone with a critic-free objective); they are checked on a batch of the data.
    ``cluster_ids``: see :func:`check`.
    """
    dataset, objective, g, d = check(cfg, generator=generator, critic=critic, cluster_ids=cluster_ids)
    kind = objective.optimizer if cfg.optimizer == "auto" else cfg.optimizer

    def optimizer(params, lr: float) -> torch.optim.Optimizer:
        if kind == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        if cfg.fused_adam:  # torch's fused kernel (train/perf.py): round-off only, so opt-in
            return adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.adam_eps)
        return torch.optim.Adam(params, lr=lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.adam_eps)

    ratio = None
    if cfg.sampler != "direct":
        ratio = ratio_critic(dataset.dim, cfg.ratio_width, cfg.ratio_fourier, cfg.ratio_fourier_scale)
    return Parts(
        dataset=dataset,
        objective=objective,
        generator=g,
        critic=d,
        ema=copy.deepcopy(g).requires_grad_(False).eval(),
        opt_g=optimizer(g.parameters(), cfg.lr_g),
        opt_d=optimizer(d.parameters(), cfg.lr_d) if d is not None else None,
        ratio=ratio,
        rng=torch.Generator().manual_seed(cfg.seed),
    )


def device_of(net: nn.Module) -> torch.device:
    """The device of a network's parameters (CPU for a network without any)."""
    return next(iter(net.parameters()), torch.empty(0)).device


def sample_labels(cfg: Config, parts: Parts, n: int, generator: torch.Generator) -> Tensor | None:
    """Classes for n conditional samples, uniform over the classes (clusters: at their frequencies in the
    training set); None for an unconditional run."""
    if not cfg.conditioned:
        return None
    if cfg.clusters:
        weights = cluster_frequencies(parts.dataset.labels, cfg.clusters)  # type: ignore[arg-type]
        return torch.multinomial(weights, n, replacement=True, generator=generator)
    return torch.randint(parts.dataset.num_classes, (n,), generator=generator)  # type: ignore[arg-type]


def set_clusters(parts: Parts, labels: Tensor, held_out: Tensor | None) -> None:
    """Make ``labels`` (and the held-out rows' ``held_out``) the training images' cluster ids: written into
    the dataset's own tensors (the batches read them there) and the generators' cluster shares."""
    data = parts.dataset
    data.labels.copy_(labels)  # type: ignore[union-attr]
    if held_out is not None and data.held_out_labels is not None:
        data.held_out_labels.copy_(held_out)
    shares = cluster_frequencies(data.labels, data.num_classes).float()  # type: ignore[arg-type]
    for g in (parts.generator, parts.ema):
        if getattr(g, "label_shares", None) is not None:
            g.label_shares.copy_(shares)


def recluster_images(cfg: Config, parts: Parts, step: int) -> float | None:
    """``recluster_every=n``: after every n-th step (not the last), the clusters of the training images again,
    by k-means on the critic's feature maps started at the current clusters (data/clusters.py); seeded
    by the run's seed and the step, so a resumed run re-clusters as the uninterrupted one did. Returns the
    share of training images whose cluster changed (None where no re-clustering was due)."""
    if not cfg.recluster_every or step % cfg.recluster_every or step >= cfg.steps:
        return None
    data = parts.dataset
    feats = critic_features(parts.critic, data.points)  # type: ignore[arg-type]
    held = critic_features(parts.critic, data.held_out) if data.held_out_labels is not None else None
    labels, held_labels = recluster(feats, data.labels, cfg.clusters, cfg.seed * 1_000_003 + step, held)  # type: ignore[arg-type]
    moved = float((labels != data.labels).double().mean())  # type: ignore[operator]
    set_clusters(parts, labels, held_labels)
    return moved


def sample_fake_labeled(
    cfg: Config, parts: Parts, n: int, generator: torch.Generator
) -> tuple[Tensor, Tensor | None]:
    """n samples (n, *shape) of the EMA generator and the classes asked for (None if unconditional);
    noise, then classes, from ``generator``."""
    z = torch.randn(n, cfg.z_dim, generator=generator)
    y = sample_labels(cfg, parts, n, generator)
    return _call(parts.ema, z, y), y


def sample_fake(cfg: Config, parts: Parts, n: int, generator: torch.Generator) -> Tensor:
    """n samples (n, *shape) of the EMA generator, noise (and classes) from ``generator``."""
    return sample_fake_labeled(cfg, parts, n, generator)[0]


def ready_ema(cfg: Config, parts: Parts, step: int) -> None:
    """Give the EMA generator batch-norm statistics of its own (a no-op without batch norm).

    Uses its own random stream, so that it never shifts the training's.
    """
    rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + step + 7)
    batch = max(cfg.batch, 64)
    device = device_of(parts.ema)  # drawn on the CPU (the same numbers everywhere), used on the EMA's device

    def inputs() -> tuple:
        z = torch.randn(batch, cfg.z_dim, generator=rng).to(device)
        y = sample_labels(cfg, parts, batch, rng)
        return (z,) if y is None else (z, y.to(device))

    recalibrate_batchnorm(parts.ema, inputs)


def _total_norm(tensors: list[Tensor]) -> Tensor:
    """‖(t₁, …, t_n)‖₂ of all entries together, a 0-dim tensor (0 for an empty list); one fused kernel."""
    if not tensors:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(tensors)


def _estimate(estimate: Callable[[Tensor], Tensor], game_d: Tensor) -> float:
    """The objective's divergence estimate from its critic loss (penalty excluded), averaged over ranks."""
    return float(estimate(torch.tensor(dist.mean(float(game_d)), dtype=torch.float64)))


def _lr_factor(cfg: Config, step: int) -> float:
    """constant, or linear decay to 0 after a fraction s = ``lr_decay_start`` of the T steps:
    min(1, (1 − t/T) / (1 − s)), which is min(1, 2(1 − t/T)) for the default s = ½."""
    if cfg.lr_schedule == "linear" and cfg.steps:
        return min(1.0, (1.0 - step / cfg.steps) / (1.0 - cfg.lr_decay_start))
    return 1.0


def save_checkpoint(
    run: Path,
    parts: Parts,
    cfg: Config,
    step: int,
    final: bool = False,
    rng: tuple[Tensor, Tensor] | None = None,
    app: App | None = None,
) -> Path:
    """Write the state at ``step``; ``rng`` (torch, data) overrides the current RNG states."""
    (app or PLAIN).ready_ema(cfg, parts, step)
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
    if cfg.clusters:  # the clusters as trained on (re-clustered ones differ from the first)
        labels, held_out = dataset_cluster_ids(parts.dataset)
        tensors["clusters.labels"] = labels.clone()
        if held_out is not None:
            tensors["clusters.held_out"] = held_out.clone()
    meta = {"step": step, "final": final, "optimizers": optim_meta, "config": cfg.to_json()}
    path = ckpt.checkpoint_path(run, step)
    ckpt.save(path, tensors, meta)
    ckpt.prune(run, cfg.keep_checkpoints)
    return path


def dataset_cluster_ids(data: Any) -> tuple[Tensor, Tensor | None]:
    """(training ids, held-out ids) of a self-conditioned run's data: the trainer's Dataset holds them as
    its labels, the style application's data as ``train_ids`` / ``held_out_ids``."""
    if hasattr(data, "train_ids"):
        return data.train_ids, data.held_out_ids
    return data.labels, data.held_out_labels


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
    if "clusters.labels" in tensors and getattr(parts.dataset, "labels", None) is not None:  # the trainer's
        set_clusters(parts, tensors["clusters.labels"], tensors.get("clusters.held_out"))
    return int(meta["step"])


def open_run(cfg: Config, run: Path, parts: Parts, *, resume: bool, main: bool) -> int:
    """A new run writes config.json and an empty metrics.jsonl; a resumed one loads its latest checkpoint
    into ``parts`` and drops log lines and temporary files written after it. Returns the first step."""
    log_path = run / "metrics.jsonl"
    start = 0
    if resume and ckpt.list_checkpoints(run):
        dist.barrier()
        tensors, meta = ckpt.load(ckpt.latest(run))
        start = restore(parts, tensors, meta)
        dist.barrier()
        if main:
            ckpt.remove_partial(run)
            _truncate_metrics(log_path, start)
    elif resume and main:  # killed before its first checkpoint: start over, from the same seed
        ckpt.remove_partial(run)
        log_path.write_text("")
    elif main:
        (run / "config.json").write_text(json.dumps(cfg.to_json(), indent=2) + "\n")
        log_path.write_text("")
    return start


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
    cfg: Config,
    run: Path,
    *,
    resume: bool = False,
    progress: bool = True,
    timer: PhaseTimer | None = None,
    on_eval: Callable[[int, dict], None] | None = None,
    generator: nn.Module | None = None,
    critic: nn.Module | None = None,
    app: App | None = None,
) -> dict:
    """Train per ``cfg`` into the run folder ``run``; returns the final metrics (also in final_metrics.json).

    ``timer`` (``--profile``) collects wall seconds per phase; it does not change any result.
    ``generator`` / ``critic``: the user's own networks (see :func:`build`); the run folder then records
    their class names in ``user_networks.json``, and only :func:`divergan.load_generator` with a fresh
    instance reads its weights back. ``app``: what the run trains beyond the loop (its networks, data,
    Game, evaluation and figures); None is the trainer's own :class:`App` (an application's comes from
    :func:`divergan.apps.app_for`).

    ``on_eval(step, row)`` (rank 0) is called at each evaluation interval with that step's logged row
    (the mode metrics, where the data has modes). An exception it raises (a pruned search trial) stops
    the run after a checkpoint of that step is saved; the exception propagates.

    ``cfg.threads`` (if not 0) sets torch's CPU threads for the run, else :mod:`divergan.threads` picks
    them; the previous number is restored.
    """
    cfg.validate()
    app = app or PLAIN
    if cfg.app != app.name:
        raise UserError(f"config app {cfg.app!r} needs its own App (divergan.apps.app_for), got {app.name!r}")
    before = torch.get_num_threads()
    if threads := threads_for(cfg.threads, lambda: app.step_flops(cfg), before):  # threads.py
        torch.set_num_threads(threads)
    try:
        return _train(
            cfg,
            run,
            resume=resume,
            progress=progress,
            timer=timer or PhaseTimer(enabled=False),
            on_eval=on_eval,
            networks={"generator": generator, "critic": critic},
            app=app,
        )
    finally:
        dist.release()  # _train's DDP wrappers, and with them the process group, are gone by now
        torch.set_num_threads(before)


def _train(
    cfg: Config,
    run: Path,
    *,
    resume: bool,
    progress: bool,
    timer: PhaseTimer,
    on_eval: Callable[[int, dict], None] | None,
    networks: dict,
    app: App,
) -> dict:
    # -- set up: device, networks and optimizers, the run folder (or its checkpoint), the Game ------------
    dist.setup(cfg.device)
    device = dist.device_for(devices.resolve(cfg.device))
    devices.check_amp(cfg.amp, device)
    dist.check_batch(cfg.batch)
    main = dist.is_main()  # only rank 0 writes the run folder
    if main:
        run.mkdir(parents=True, exist_ok=True)
    parts = app.build(cfg, **networks)
    if main and any(networks.values()):
        (run / USER_NETWORKS).write_text(
            json.dumps({k: type(v).__name__ for k, v in networks.items() if v is not None}) + "\n"
        )
    sync_batchnorm(parts, device)
    _move(parts, device)
    G, D = dist.wrap(parts.generator, device), dist.wrap(parts.critic, device)
    base_lrs = _base_lrs(parts)  # as built: a checkpoint holds the rates of its step
    start = open_run(cfg, run, parts, resume=resume, main=main)
    game = app.game(cfg, parts, G, D, device=device, timer=timer)
    buffers = app.ema_buffers(parts)
    estimate = parts.objective.divergence_estimate if game.estimates_divergence else None
    t0 = time.perf_counter()
    bar = tqdm(
        range(start, cfg.steps),
        initial=start,
        total=cfg.steps,
        disable=not (progress and main),
        file=sys.stderr,
        dynamic_ncols=True,
        desc=app.describe(cfg),
    )
    # -- the steps: phases, the EMA, then the interval hooks ---------------------------------------------
    with (
        _stop_on_signals() as received,
        run_writer(run, cfg, start) as tb,
        devices.autocast(cfg.amp, device),
    ):
        state = LoopState(
            cfg, run, parts, game, device, main, timer, bar, tb, t0, estimate, received, on_eval, app
        )
        hooks = [log_and_evaluate, checkpoint_and_grids, stop_on_signal]
        for step in bar:
            _schedule(cfg, parts, base_lrs, step)
            stats = train_step(cfg, parts, game, G, D, step, timer)
            with timer("EMA"):
                ema_update(parts.ema, G, ema_beta(cfg.ema_half_life, cfg.ema_rampup, step), buffers)
            if (moved := recluster_images(cfg, parts, step + 1)) is not None:
                stats["clusters_moved"] = torch.tensor(moved)  # logged where the step is a log step
            for hook in hooks:
                hook(state, step + 1, stats)
    bar.close()
    train_seconds = time.perf_counter() - t0
    # -- the end: final metrics and figures, the final checkpoint -----------------------------------------
    # evaluation draws random numbers: keep the states of the end of training, so that a later
    # --resume with more steps continues exactly as an uninterrupted run would
    rng_at_end = (torch.get_rng_state(), parts.rng.get_state())
    dist.teardown(sync=True)
    if not main:
        return {}
    _move(parts, torch.device("cpu"))  # the ratio critic, sampling and evaluation run on the CPU
    final = app.finish(cfg, run, parts, train_seconds, timer)
    with timer("checkpoint"):
        save_checkpoint(run, parts, cfg, cfg.steps, final=True, rng=rng_at_end, app=app)
    return final


def train_step(
    cfg: Config, parts: Parts, game: Any, G: nn.Module, D: nn.Module | None, step: int, timer: PhaseTimer
) -> dict[str, Tensor]:
    """One step: k critic updates, k′ generator updates (losses from the Game), one finiteness check.
    Returns the step's last losses, the critic's game value and the gradient norms (0-dim tensors)."""
    zero = torch.zeros(())
    stats = {"loss_d": zero, "loss_g": zero, "game_d": zero, "grad_d": zero, "grad_g": zero}
    health: list[tuple[str, Tensor]] = []  # this step's losses and norms, checked once at its end
    # -- critic phase: k updates of max_D V(D, G) ---------------------------------------------------------
    if D is not None:
        for _ in range(cfg.critic_steps):
            with timer("data and noise"):
                batch = game.critic_batch()  # the global batch: real, classes or None, noise
            loss, stats["game_d"] = game.critic_loss(batch, step)
            with timer("critic backward"):
                parts.opt_d.zero_grad(set_to_none=True)  # type: ignore[union-attr]
                loss.backward()
            with timer("critic optimizer step"):
                stats["grad_d"] = _total_norm([p.grad for p in D.parameters() if p.grad is not None])
                parts.opt_d.step()  # type: ignore[union-attr]
                game.after_critic_step()  # weight clipping, if any
            stats["loss_d"] = loss.detach()
            health += [("loss_d", stats["loss_d"]), ("grad_norm_d", stats["grad_d"])]
        health.append(("critic_parameters", _total_norm(list(D.parameters()))))
    # -- generator phase: k' updates of min_G ------------------------------------------------------------
    for _ in range(cfg.generator_steps):
        with timer("data and noise"):
            batch = game.generator_batch()  # this rank's slice
        with timer("generator step"):
            loss = game.generator_loss(batch, step)
            parts.opt_g.zero_grad(set_to_none=True)
            loss.backward()
            game.after_generator_backward()
            stats["grad_g"] = _total_norm([p.grad for p in G.parameters() if p.grad is not None])
            parts.opt_g.step()
        stats["loss_g"] = loss.detach()
        health += [("loss_g", stats["loss_g"]), ("grad_norm_g", stats["grad_g"])]
    health.append(("generator_parameters", _total_norm(list(G.parameters()))))
    check_finite(step, health)
    return stats


def _base_lrs(parts: Parts) -> list[list[float]]:
    """Each optimizer's learning rate per parameter group, as built from the config."""
    return [
        [g["lr"] for g in opt.param_groups] if opt is not None else [] for opt in (parts.opt_g, parts.opt_d)
    ]


def _schedule(cfg: Config, parts: Parts, base_lrs: list[list[float]], step: int) -> None:
    """Set every parameter group's learning rate to its base rate times the schedule's factor."""
    factor = _lr_factor(cfg, step)
    for opt, bases in zip((parts.opt_g, parts.opt_d), base_lrs):
        if opt is not None:
            for group, base in zip(opt.param_groups, bases):
                group["lr"] = base * factor


@dataclass
class LoopState:
    """What the interval hooks may read: the run, its parts and the loop's instruments. Hooks that draw
    pictures use :func:`cpu_view` (the networks may be on a GPU); evaluation moves its noise to
    ``device``."""

    cfg: Config
    run: Path
    parts: Parts
    game: Any
    device: torch.device
    main: bool  # rank 0 (only it writes the run folder)
    timer: PhaseTimer
    bar: Any
    tb: Any  # the TensorBoard writer, or None
    t0: float
    estimate: Callable[[Tensor], Tensor] | None  # the objective's divergence_estimate, where it holds
    received: list[int]  # signals received
    on_eval: Callable[[int, dict], None] | None = None
    app: App | None = None  # None: the trainer's own
    last_eval: dict = dataclasses.field(default_factory=dict)


def _due(done: int, every: int, steps: int) -> bool:
    return done % every == 0 or done == steps


def log_and_evaluate(state: LoopState, done: int, stats: dict[str, Tensor]) -> None:
    """Every ``log_every`` steps: the ``metrics.jsonl`` row (losses averaged over ranks, the divergence
    estimate, gradient norms, the Game's extras), every ``eval_every`` the App's evaluation of the EMA
    generator (mode metrics; an application's held-out numbers) and the TensorBoard pictures, then the
    caller's ``on_eval(step, row)``."""
    cfg, parts, timer = state.cfg, state.parts, state.timer
    app = state.app or PLAIN
    tic = time.perf_counter()
    if not _due(done, cfg.log_every, cfg.steps):
        return
    # the losses averaged over the ranks: a collective, so on every rank
    loss_d_mean, loss_g_mean = dist.mean(float(stats["loss_d"])), dist.mean(float(stats["loss_g"]))
    # the divergence the critic's loss bounds, where the objective has such an identity
    estimated = (
        {} if state.estimate is None else {"divergence_estimate": _estimate(state.estimate, stats["game_d"])}
    )
    if not state.main:
        return
    evaluating = _due(done, cfg.eval_every, cfg.steps)
    row = {
        "step": done,
        "loss_d": loss_d_mean,
        "loss_g": loss_g_mean,
        **estimated,
        "grad_norm_g": float(stats["grad_g"]),
        "grad_norm_d": float(stats["grad_d"]),
        "seconds": time.perf_counter() - state.t0,
    }
    row.update(state.game.log_extras())  # MIX+GAN: the mixture weights' entropy; glyphs: the L1 term
    if "clusters_moved" in stats:  # recluster_every: the share of training images that changed cluster
        row["clusters_moved"] = float(stats["clusters_moved"])
    if evaluating and (measured := app.interval_metrics(cfg, parts, state.device, done)):
        state.last_eval = measured
        row.update(measured)
    _append(state.run / "metrics.jsonl", row)
    if state.tb is not None:  # TensorBoard: the same scalars; pictures at the evaluation interval
        if evaluating:
            state.tb.log(row, app.tb_view(parts), app.tb_images(cfg, parts, done))
        else:
            state.tb.log(row)
    state.bar.set_postfix(
        {
            "D": f"{loss_d_mean:.3f}",
            "G": f"{loss_g_mean:.3f}",
            **{k: f"{v:.3g}" for k, v in state.last_eval.items()},
        }
    )
    timer.add("logging and evaluation", time.perf_counter() - tic)
    if state.on_eval is not None and evaluating:
        try:
            state.on_eval(done, dict(row))
        except BaseException:  # e.g. a pruned trial: leave a resumable run folder
            state.bar.close()
            save_checkpoint(state.run, parts, cfg, done, app=app)
            raise


def checkpoint_and_grids(state: LoopState, done: int, stats: dict[str, Tensor]) -> None:
    """Every ``checkpoint_every`` steps (before the last): a checkpoint, and the App's picture of the step
    (an image run's sample grid)."""
    cfg, app = state.cfg, state.app or PLAIN
    if state.main and done % cfg.checkpoint_every == 0 and done < cfg.steps:
        with state.timer("checkpoint"):
            save_checkpoint(state.run, state.parts, cfg, done, app=app)
        if cfg.plot:
            app.grid(cfg, state.parts, state.run / "samples" / f"step-{done:08d}.png", done)


def stop_on_signal(state: LoopState, done: int, stats: dict[str, Tensor]) -> None:
    """After SIGINT/SIGTERM: save where we are and stop cleanly (:class:`Interrupted`)."""
    if not state.received:
        return
    state.bar.close()
    path = (
        save_checkpoint(state.run, state.parts, state.cfg, done, app=state.app) if state.main else state.run
    )
    dist.teardown()
    name = signal.Signals(state.received[0]).name
    raise Interrupted(
        f"{name}: stopped after step {done}; saved {path}; continue with --resume {state.run}",
        state.received[0],
    )


def image_metrics_if_available(
    real: Tensor, fake: Tensor, dataset: Dataset, fake_labels: Tensor | None = None
) -> dict:
    """:func:`divergan.metrics.images.image_metrics` on [0, 1] images when that module is installed, else {}.

    ``fake_labels``: the classes a conditional generator was asked for (adds ``label_accuracy``).
    """
    import importlib.util

    if importlib.util.find_spec("divergan.metrics.images") is None:
        return {}
    from divergan.metrics.images import image_metrics  # type: ignore[import-not-found]

    stacked = dataset.shape is not None and dataset.shape[0] == 3 and dataset.num_classes == 1000
    if dataset.name not in ("mnist", "digits"):
        fake_labels = None  # the digit classifier's classes are those of the digit datasets only
    return image_metrics((real + 1) / 2, (fake + 1) / 2, stacked=stacked, fake_labels=fake_labels)


def evaluate_images(cfg: Config, parts: Parts) -> tuple[dict, dict[str, Tensor]]:
    """Image runs: the memorisation check (held-out data) and the image metrics (if available)."""
    from divergan.metrics.memorisation import memorisation

    data = parts.dataset
    with torch.no_grad():
        chunks = torch.arange(cfg.eval_samples).split(500)
        drawn = [sample_fake_labeled(cfg, parts, len(c), parts.rng) for c in chunks]
    x = torch.cat([images for images, _ in drawn])
    labels = torch.cat([y for _, y in drawn]) if cfg.conditional else None  # classes, not cluster ids
    metrics: dict = {"sampler": "direct"}
    if data.held_out is not None:
        metrics.update(memorisation((x + 1) / 2, (data.points + 1) / 2, (data.held_out + 1) / 2))
    n_real = min(cfg.eval_samples, len(data.points))
    real = data.points[torch.randperm(len(data.points), generator=parts.rng)[:n_real]]
    metrics.update(image_metrics_if_available(real, x, data, labels))
    return {"direct": metrics}, {"direct": x}


def sync_batchnorm(parts: Parts, device: torch.device) -> None:
    """Under torchrun, batch norm must see the global batch, as in one process: SyncBatchNorm on CUDA.

    Each process holds a slice of the global batch; a plain BatchNorm would normalise each slice by
    its own statistics, so N processes would no longer train the run of one. torch's SyncBatchNorm
    (which keeps the same parameters, so the optimizers stay valid) works on CUDA only: elsewhere a
    batch-norm network under torchrun is refused.
    """
    if dist.world_size() == 1:
        return
    nets = [("generator", parts.generator), ("critic", parts.critic)]
    with_bn = [name for name, net in nets if net is not None and _has_batchnorm(net)]
    if not with_bn:
        return
    if device.type != "cuda":
        raise UserError(
            f"the {' and '.join(with_bn)} use batch norm, which under torchrun needs CUDA (SyncBatchNorm) "
            "so that every process normalises by the global batch; train in one process, or use "
            "--set arch=mlp / --set d_norm=layer where that removes it"
        )
    parts.generator = nn.SyncBatchNorm.convert_sync_batchnorm(parts.generator)
    if parts.critic is not None:
        parts.critic = nn.SyncBatchNorm.convert_sync_batchnorm(parts.critic)


def _has_batchnorm(net: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in net.modules())


def cpu_view(parts: Parts) -> Parts:
    """``parts`` for a hook that works on the CPU (TensorBoard pictures): the same object on a CPU run;
    otherwise CPU copies of the EMA generator and the critic (the training's networks stay where they are)."""
    if device_of(parts.ema).type == "cpu":
        return parts
    return dataclasses.replace(
        parts,
        ema=copy.deepcopy(parts.ema).cpu(),
        critic=copy.deepcopy(dist.unwrap(parts.critic)).cpu() if parts.critic is not None else None,
    )


def _move(parts: Parts, device: torch.device) -> None:
    """Networks (and so the optimizers' parameters) to ``device``; the optimizers' state follows."""
    for module in (parts.generator, parts.critic, parts.ema, parts.ratio):
        if module is not None:
            module.to(device)
    for opt in (parts.opt_g, parts.opt_d):
        for state in opt.state.values() if opt is not None else ():
            for key, value in state.items():
                if isinstance(value, Tensor) and key != "step":
                    state[key] = value.to(device)


def evaluate(cfg: Config, parts: Parts, log_ratio=None) -> tuple[dict, dict[str, Tensor]]:
    """Metrics of the direct sampler and of ``cfg.sampler`` on ``cfg.eval_samples`` fresh samples."""
    if parts.dataset.is_image:
        return evaluate_images(cfg, parts)
    from divergan.metrics.distances import mmd, w1
    from divergan.metrics.modes import mode_metrics

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
    from divergan.figures.plots import plot_run

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
    ready_ema(cfg, parts, cfg.steps)
    with timer("final: sampling and metrics"):
        metrics, samples = evaluate(cfg, parts, parts.ratio)
    results = {"steps": cfg.steps, "sampler": cfg.sampler, "train_seconds": train_seconds, **metrics}
    if parts.dataset.is_image and cfg.plot:
        results["latent_arithmetic"] = image_figures(cfg, parts, run)
    results["seconds"] = train_seconds + time.perf_counter() - t0
    (run / "final_metrics.json").write_text(json.dumps(results, indent=2) + "\n")
    if cfg.tensorboard:  # the config as hparams, the final metrics as their metrics
        write_hparams(run, cfg.to_json(), results)
    if cfg.plot and parts.dataset.is_image:
        from divergan.figures.plots import plot_curves

        rows = [json.loads(r) for r in (run / "metrics.jsonl").read_text().splitlines() if r]
        if rows:
            plot_curves(run / "curves.png", rows)
    elif cfg.plot:
        with timer("final: plots"):
            title = f"{cfg.objective} on {cfg.data}, the generator's own samples G(z)"
            plot_run(run, parts.dataset, samples["direct"], parts.critic, title=title)
    return results


def _generate(cfg: Config, parts: Parts, per: int = 1) -> Callable[[Tensor], Tensor]:
    """z (n, z_dim) -> EMA images on the CPU (z is moved to the EMA's device); a conditional run draws
    class (i // per) mod K for row i."""

    def generate(z: Tensor) -> Tensor:
        k = parts.dataset.num_classes
        device = device_of(parts.ema)
        y = torch.arange(len(z)) // per % k if cfg.conditioned else None  # type: ignore[operator]
        return _call(parts.ema, z.to(device), None if y is None else y.to(device)).float().cpu()

    return generate


@torch.no_grad()
def _sample_grid(cfg: Config, parts: Parts, path: Path, step: int) -> None:
    """An 8×8 grid of EMA samples from fixed latents (the same at every checkpoint)."""
    from divergan.figures.images import save_grid

    rng = torch.Generator().manual_seed(cfg.seed + 12345)
    z = torch.randn(64, cfg.z_dim, generator=rng)
    save_grid(_generate(cfg, parts)(z), path, nrow=8)


@torch.no_grad()
def image_figures(cfg: Config, parts: Parts, run: Path) -> dict[str, float]:
    """samples.png, interpolation.png and arithmetic.png of the final EMA generator."""
    from divergan.figures.images import interpolation, latent_arithmetic

    _sample_grid(cfg, parts, run / "samples.png", cfg.steps)
    _sample_grid(cfg, parts, run / "samples" / f"step-{cfg.steps:08d}.png", cfg.steps)
    rng = torch.Generator().manual_seed(cfg.seed + 54321)
    steps = 10  # a conditional run keeps one class along each interpolation strip
    interpolation(run / "interpolation.png", _generate(cfg, parts, per=steps), cfg.z_dim, rng, steps=steps)
    return latent_arithmetic(run / "arithmetic.png", _generate(cfg, parts), cfg.z_dim, rng)


def load_run(run: Path, app: App | None = None, checkpoint: Path | None = None) -> tuple[Config, Parts, dict]:
    """Rebuild a run from its folder: config.json and the latest checkpoint (or ``checkpoint``). An
    application's run needs its ``app`` (:func:`divergan.apps.load_run` picks it)."""
    if not (run / "config.json").is_file():
        raise UserError(f"{run} is not a divergan run folder (no config.json)")
    if (run / USER_NETWORKS).is_file():
        raise UserError(
            f"{run} was trained with your own networks, whose code a run folder does not hold: load it in "
            "Python with divergan.load_generator(RUN, module=<a fresh instance>)"
        )
    from divergan.train.runs import run_config

    cfg = run_config(run)
    app = app or PLAIN
    if cfg.app != app.name:
        raise UserError(f"{run} is a run of the {cfg.app!r} application: read it with divergan.apps.load_run")
    tensors, meta = ckpt.load(checkpoint or ckpt.latest(run))
    if cfg.clusters and "clusters.labels" in tensors:  # the ids it trained on: no clustering on load
        parts = app.build(cfg, cluster_ids=(tensors["clusters.labels"], tensors.get("clusters.held_out")))
    else:
        parts = app.build(cfg)
    restore(parts, tensors, meta, with_ratio=True)
    return cfg, parts, meta


class App:
    """What a kind of run trains, beyond the loop; this base class is the trainer's own (MLP/DCGAN
    networks on a dataset, :class:`~divergan.train.game.PlainGame` or MIX+GAN). The applications in
    :mod:`divergan.apps` subclass it: :func:`train` and :func:`load_run` take one.

    ``name`` is the config's ``app`` value. The loop calls :meth:`build` (networks, optimizers, data),
    :meth:`game` (the step's math and batches), :meth:`ema_buffers`, and in its hooks
    :meth:`interval_metrics`, :meth:`tb_view`, :meth:`grid`, :meth:`ready_ema` (before a checkpoint) and
    at the end :meth:`finish`; ``divergan sample`` and ``eval`` call :meth:`sample` and :meth:`evaluate`.
    """

    name = ""

    def check(self, cfg: Config, *, generator: nn.Module | None = None, critic: nn.Module | None = None):
        """Fail (UserError) on a config that cannot be trained, before any run folder is made."""
        return check(cfg, generator=generator, critic=critic)

    def build(
        self,
        cfg: Config,
        *,
        generator: nn.Module | None = None,
        critic: nn.Module | None = None,
        cluster_ids: tuple[Tensor, Tensor | None] | None = None,
    ) -> Parts:
        """The run's parts; ``cluster_ids``: a self-conditioned run's (training, held-out) ids, as saved in
        its checkpoint, used instead of clustering again."""
        return build(cfg, generator=generator, critic=critic, cluster_ids=cluster_ids)

    def step_flops(self, cfg: Config) -> float:
        """FLOPs of one generator iteration (0: unknown), for the thread policy."""
        return step_flops(cfg, build_networks)

    def describe(self, cfg: Config) -> str:
        return f"{cfg.objective} on {cfg.data}"

    def game(self, cfg: Config, parts: Parts, G: nn.Module, D: nn.Module | None, *, device, timer) -> Any:
        """The Game of the step: plain (or conditional) or MIX+GAN, drawing from the run's data stream."""
        data, rng = parts.dataset, parts.rng

        def real_batch() -> tuple[Tensor, Tensor | None]:
            """The global real batch (B, *shape) and its classes (conditional runs; else None), on device."""
            x, y = data.sample_labeled(cfg.batch, rng)
            return x.to(device), (y.to(device) if cfg.conditioned and y is not None else None)

        # torch.compile (eager where it fails) for unconditional forwards that need no double backward
        plain_d = D is not None and not (cfg.conditioned or batch_dependent(D))
        return make_game(
            parts.objective,
            G,
            D,
            mix_entropy=cfg.mix_entropy,
            g_forward=compiled(G, cfg.compile and not cfg.conditioned),
            d_forward=compiled(D, cfg.compile and parts.objective.penalty is None) if plain_d else D,
            # the generator phase needs no critic weight gradients; DDP expects every parameter to get one
            freeze_d=D is not None and dist.world_size() == 1,
            timer=timer,
            # the global batch is drawn on the CPU on every rank; each keeps its slice, on its device
            real_batch=real_batch,
            noise=lambda n: torch.randn(n, cfg.z_dim, generator=rng).to(device),
            batch=cfg.batch,
            penalty_every=cfg.penalty_every,
            penalty_stop=None if cfg.penalty_until >= 1 else math.ceil(cfg.penalty_until * cfg.steps),
            # DiffAugment of the critic's inputs, its per-sample draws from the same data stream
            **({"augment": DiffAugment(parse_policy(cfg.d_augment)), "draws": rng} if cfg.d_augment else {}),
        )

    def ema_buffers(self, parts: Parts) -> list[str]:
        """Buffers the EMA copies from the generator at every step (batch norm gets its own instead)."""
        return []

    def ready_ema(self, cfg: Config, parts: Parts, step: int) -> None:
        ready_ema(cfg, parts, step)

    def interval_metrics(self, cfg: Config, parts: Parts, device: torch.device, done: int) -> dict:
        """At each evaluation interval: the EMA generator's mode metrics where the data has modes."""
        data = parts.dataset
        if data.modes is None:
            return {}
        from divergan.metrics.modes import mode_metrics

        # a generator of its own, so evaluating never shifts the training's random stream
        eval_rng = torch.Generator().manual_seed(cfg.seed * 1_000_003 + done)
        ready_ema(cfg, parts, done)  # batch norm in G: standing statistics for the EMA
        with torch.no_grad():
            z = torch.randn(cfg.eval_samples, cfg.z_dim, generator=eval_rng).to(device)
            m = mode_metrics(parts.ema(z).float().cpu(), data.modes, data.std)
        return {"modes": m["modes"], "high_quality": m["high_quality"], "reverse_kl": m["reverse_kl"]}

    def tb_view(self, parts: Parts) -> Parts | None:
        """What TensorBoard's pictures read (CPU copies), or None for scalars only."""
        return cpu_view(parts)

    def tb_images(self, cfg: Config, parts: Parts, step: int) -> dict[str, tuple[Tensor, int]]:
        """Pictures for TensorBoard at an evaluation interval, name -> (images (N, C, H, W), columns)."""
        return {}

    def grid(self, cfg: Config, parts: Parts, path: Path, step: int) -> None:
        """The picture saved with a checkpoint: an image run's grid of EMA samples."""
        if parts.dataset.is_image:
            _sample_grid(cfg, parts, path, step)

    def finish(self, cfg: Config, run: Path, parts: Parts, train_seconds: float, timer: PhaseTimer) -> dict:
        return finish(cfg, run, parts, train_seconds, timer)

    def evaluate(self, cfg: Config, parts: Parts, log_ratio=None) -> tuple[dict, dict[str, Tensor]]:
        return evaluate(cfg, parts, log_ratio)

    def sample(self, cfg: Config, parts: Parts, n: int, rng: torch.Generator) -> Tensor:
        """n samples (n, *shape) of the EMA generator."""
        return sample_fake(cfg, parts, n, rng)

    def generator(self, cfg: Config) -> tuple[nn.Module, int | None]:
        """An untrained generator of ``cfg``'s shape (to load weights into) and its latent size (None:
        it takes no noise)."""
        cfg = dataclasses.replace(cfg, sampler="direct")  # no ratio critic is needed
        return build(cfg).ema, cfg.z_dim


#: the trainer's own App
PLAIN = App()
