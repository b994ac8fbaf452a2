"""TensorBoard event files beside ``metrics.jsonl``: ``tensorboard --logdir runs/``.

What a run writes under ``RUN/tb/`` (config field ``tensorboard``, on by default):

- every ``log_every`` steps: the scalars of the ``metrics.jsonl`` row, under the same names;
- every ``eval_every`` steps (and at the last step): a picture of the samples — for (N, C, H, W)
  samples a grid of 64 images, otherwise a scatter of data and EMA samples over the critic's contours
  (:func:`divergan.report.plots.samples_figure`) — and histograms of the critic's outputs T(x) on real
  and on generated points, ``critic/real`` and ``critic/fake``.

Those pictures draw their noise and data from a generator of their own (seeded by the step), never from
the training's random streams, so a run with TensorBoard on is bit-identical to one with it off.

A resumed run appends a new event file to the same folder and asks TensorBoard (``purge_step``) to hide
what an earlier file holds after the checkpoint it resumed from; the writer is flushed at each logging
interval, before a checkpoint at that step is written, so a SIGKILL loses nothing the checkpoint holds.
A file cut short by a kill is left as it is: TensorBoard reads up to the torn record.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

#: pictures of high-dimensional samples show this many of them
IMAGES = 64
#: scatter plots show at most this many points
POINTS = 500


class RunWriter:
    """The run's ``SummaryWriter`` and what the training loop logs through it.

    Args:
        folder: the event-file folder (``RUN/tb``).
        start: the step the run starts from (0, or a resumed run's checkpoint); events of older files
            in ``folder`` after it are hidden (a run restarted from scratch hides all of them).
        seed: the run's seed (the pictures' own random stream derives from it and the step).
        z_dim: the generator's noise dimension.
        title: a caption for the samples pictures.
    """

    def __init__(self, folder: Path, start: int, seed: int, z_dim: int, title: str = "") -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(folder), purge_step=start + 1, flush_secs=60)
        self.seed, self.z_dim, self.title = seed, z_dim, title

    def log(self, row: dict[str, Any], parts: Any = None) -> None:
        """The scalars of a ``metrics.jsonl`` row; with ``parts`` (the run's networks and data) also
        the samples picture and the critic histograms. Flushes, so a kill loses nothing logged."""
        step = int(row["step"])
        for key, value in row.items():
            if key != "step" and isinstance(value, int | float) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, step)
        if parts is not None:
            self.snapshot(step, parts)
        self.writer.flush()

    @torch.no_grad()
    def snapshot(self, step: int, parts: Any) -> None:
        """Samples of the EMA generator and histograms of T(real), T(G(z)), on a stream of their own."""
        from divergan.report.plots import image_grid, samples_figure

        rng = torch.Generator().manual_seed(self.seed * 1_000_003 + step + 17)
        data, ema = parts.dataset, parts.ema
        # a copy of the critic: a batch-norm critic would otherwise update its running statistics
        critic = copy.deepcopy(parts.critic) if parts.critic is not None else None
        critic = getattr(critic, "pointwise", critic)  # a packed critic: one output per point, V(x, …, x)
        n = IMAGES if data.dim > 64 else POINTS
        conditional = getattr(ema, "embed", None) is not None  # class-conditional networks take (x, y)
        real, y = data.sample_labeled(n, rng) if conditional else (data.sample(n, rng), None)
        call = lambda net, x: net(x) if y is None else net(x, y)  # noqa: E731
        fake = call(ema, torch.randn(n, self.z_dim, generator=rng))
        if fake.dim() >= 3:  # (N, C, H, W) or (N, H, W): images
            self.writer.add_image("samples", image_grid(fake[:IMAGES]), step)
        else:
            fig = samples_figure(
                real, fake, critic, f"{self.title} step {step}", size=5.0, dpi=80, resolution=64, compact=True
            )
            self.writer.add_figure("samples", fig, step, close=True)
        if critic is not None:  # T on real data and on the (EMA) generator's samples
            self.writer.add_histogram("critic/real", call(critic, real).float().flatten(), step)
            self.writer.add_histogram("critic/fake", call(critic, fake).float().flatten(), step)

    def close(self) -> None:
        self.writer.close()


def _is_rank_zero() -> bool:
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


@contextmanager
def run_writer(run: Path, cfg: Any, start: int) -> Iterator[RunWriter | None]:
    """A :class:`RunWriter` on ``run/tb`` for the config ``cfg``; ``None`` when ``cfg.tensorboard`` is
    off or this process is not rank 0 of a distributed job. Closed on exit, however the loop ends."""
    enabled = getattr(cfg, "tensorboard", False) and _is_rank_zero()
    title = f"{cfg.objective} on {cfg.data}"
    writer = RunWriter(run / "tb", start, cfg.seed, cfg.z_dim, title) if enabled else None
    try:
        yield writer
    finally:
        if writer is not None:
            writer.close()
