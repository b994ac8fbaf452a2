"""TensorBoard event files beside ``metrics.jsonl``: ``tensorboard --logdir runs/``.

What a run writes under ``RUN/tb/`` (config field ``tensorboard``, on by default):

- every ``log_every`` steps: the scalars of the ``metrics.jsonl`` row, under the same names;
- every ``eval_every`` steps (and at the last step): a picture of the samples — for (N, C, H, W)
  samples a grid of 64 images, otherwise a scatter of data and EMA samples over the critic's contours
  (:func:`divergan.figures.plots.samples_figure`) — and histograms of the critic's outputs T(x) on real
  and on generated points, ``critic/real`` and ``critic/fake``.

- once, when the writer opens: the run's configuration as text (tag ``config``, a JSON block);
- once, when the run has finished (:func:`write_hparams`, called after ``final_metrics.json`` is
  written): the configuration as hparams and the final metrics as their scalars (``final/<sampler>/<name>``),
  so TensorBoard's HPARAMS tab compares runs of one ``--logdir``.

Those pictures draw their noise and data from a generator of their own (seeded by the step), never from
the training's random streams, so a run with TensorBoard on is bit-identical to one with it off.

A resumed run appends a new event file to the same folder and asks TensorBoard (``purge_step``) to hide
what an earlier file holds after the checkpoint it resumed from; the writer is flushed at each logging
interval, before a checkpoint at that step is written, so a SIGKILL loses nothing the checkpoint holds.
A file cut short by a kill is left as it is: TensorBoard reads up to the torn record.
"""

from __future__ import annotations

import copy
import json
import math
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

    def __init__(
        self,
        folder: Path,
        start: int,
        seed: int,
        z_dim: int,
        title: str = "",
        config: dict[str, Any] | None = None,
    ) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(folder), purge_step=start + 1, flush_secs=60)
        self.seed, self.z_dim, self.title = seed, z_dim, title
        if config is not None:
            self.writer.add_text("config", config_text(config), start)

    def log(self, row: dict[str, Any], parts: Any = None, images: dict[str, tuple] | None = None) -> None:
        """The scalars of a ``metrics.jsonl`` row; with ``parts`` (the run's networks and data) also
        the samples picture and the critic histograms; ``images`` (name -> (images (N, C, H, W), columns),
        an application's pictures) as grids. Flushes, so a kill loses nothing logged."""
        step = int(row["step"])
        for key, value in row.items():
            if key != "step" and isinstance(value, int | float) and not isinstance(value, bool):
                self.writer.add_scalar(key, value, step)
        if parts is not None:
            self.snapshot(step, parts)
        if images:
            from divergan.figures.plots import image_grid

            for name, (pictures, columns) in images.items():
                self.writer.add_image(name, image_grid(pictures, columns=columns), step)
        self.writer.flush()

    @torch.no_grad()
    def snapshot(self, step: int, parts: Any) -> None:
        """Samples of the EMA generator and histograms of T(real), T(G(z)), on a stream of their own."""
        from divergan.figures.plots import image_grid, samples_figure

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
            self.writer.add_image("samples", figure_pixels(fig), step, dataformats="HWC")
        if critic is not None:  # T on real data and on the (EMA) generator's samples
            self.writer.add_histogram("critic/real", call(critic, real).float().flatten(), step)
            self.writer.add_histogram("critic/fake", call(critic, fake).float().flatten(), step)

    def close(self) -> None:
        self.writer.close()


def figure_pixels(fig: Any) -> Any:
    """A :class:`~matplotlib.figure.Figure` drawn on its own Agg canvas: (H, W, 3) uint8 (no pyplot)."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def config_text(config: dict[str, Any]) -> str:
    """The configuration as a Markdown code block (TensorBoard's text plugin renders Markdown)."""
    body = json.dumps(config, indent=2, sort_keys=True, default=str)
    return "\n".join("    " + line for line in body.splitlines())


def flat(value: Any, prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Nested mappings as one level: {"a": {"b": 1}} -> {"a.b": 1}; lists and tuples become strings."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flat(inner, f"{prefix}{key}{sep}", sep))
        return out
    return {prefix[: -len(sep)]: value}


def hparam_value(value: Any) -> bool | int | float | str:
    """What the hparams plugin accepts: bool, int, float, str (None and lists become text)."""
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, default=str)


def write_hparams(run: Path, config: dict[str, Any], final: dict[str, Any]) -> None:
    """The run's configuration as hparams and its final numeric metrics as the hparams' metrics, in
    ``run/tb``. Metrics are ``final/<key path>`` (e.g. ``final/direct/modes``); each is also written
    as a scalar at the run's last step, which is what the HPARAMS tab reads. They go to an event file of
    their own (name ending ``.hparams``) beside the training's. Only rank 0 writes."""
    if not _is_rank_zero():
        return
    from torch.utils.tensorboard import SummaryWriter
    from torch.utils.tensorboard.summary import hparams

    params = {k: hparam_value(v) for k, v in flat(config).items()}
    metrics = {
        f"final/{k}": float(v)
        for k, v in flat(final, sep="/").items()
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    }
    step = int(config.get("steps", 0) or 0)
    writer = SummaryWriter(str(run / "tb"), filename_suffix=".hparams")  # a file of its own
    try:
        exp, ssi, sei = hparams(params, metrics)
        for summary in (exp, ssi, sei):
            writer.file_writer.add_summary(summary, step)
        for key, value in metrics.items():
            writer.add_scalar(key, value, step)
    finally:
        writer.close()


def _is_rank_zero() -> bool:
    dist = torch.distributed
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


@contextmanager
def run_writer(run: Path, cfg: Any, start: int) -> Iterator[RunWriter | None]:
    """A :class:`RunWriter` on ``run/tb`` for the config ``cfg``; ``None`` when ``cfg.tensorboard`` is
    off or this process is not rank 0 of a distributed job. Closed on exit, however the loop ends."""
    enabled = getattr(cfg, "tensorboard", False) and _is_rank_zero()
    title = f"{cfg.objective} on {cfg.data}"
    config = cfg.to_json() if hasattr(cfg, "to_json") else None
    writer = RunWriter(run / "tb", start, cfg.seed, cfg.z_dim, title, config) if enabled else None
    try:
        yield writer
    finally:
        if writer is not None:
            writer.close()
