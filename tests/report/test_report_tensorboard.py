"""TensorBoard event files: the scalars of metrics.jsonl, pictures and critic histograms at the evaluation
interval; no effect on the run's numbers; a resume appends and hides what came after its checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from divergan.report.plots import image_grid
from divergan.train import checkpoint as ckpt
from divergan.train import train


def events(run: Path) -> EventAccumulator:
    acc = EventAccumulator(str(run / "tb"), size_guidance={"scalars": 0, "images": 0, "histograms": 0})
    acc.Reload()
    return acc


def logged(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def assert_scalars_equal_the_log(run: Path) -> None:
    acc, rows = events(run), logged(run)
    for key in ("loss_d", "loss_g", "divergence_estimate", "grad_norm_d", "grad_norm_g", "modes"):
        got = [(e.step, e.value) for e in acc.Scalars(key)]
        want = [(r["step"], float(np.float32(r[key]))) for r in rows if key in r]
        assert got == want, key


def test_scalars_are_the_log_and_pictures_come_at_the_evaluation_interval(finished_run):
    run, _ = finished_run
    assert_scalars_equal_the_log(run)
    acc = events(run)
    assert [e.step for e in acc.Images("samples")] == [20, 40]
    assert all(e.width > 100 and e.height > 100 for e in acc.Images("samples"))
    for tag in ("critic/real", "critic/fake"):
        hist = acc.Histograms(tag)
        assert [h.step for h in hist] == [20, 40]
        assert all(h.histogram_value.num == 500 for h in hist)  # POINTS critic outputs each


def test_tensorboard_does_not_change_the_run(tmp_path, finished_run, short_config):
    run, final = finished_run
    off = train(short_config("tensorboard=false", "plot=false"), tmp_path / "off", progress=False)
    assert not (tmp_path / "off" / "tb").exists()
    assert {k: v for k, v in off.items() if "seconds" not in k} == {
        k: v for k, v in final.items() if "seconds" not in k
    }
    a, _ = ckpt.load(ckpt.latest(run))
    b, _ = ckpt.load(ckpt.latest(tmp_path / "off"))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_resume_appends_and_tolerates_a_torn_event_file(tmp_path, short_config):
    run = tmp_path / "run"
    cfg = short_config("steps=20", "log_every=5", "eval_every=10", "checkpoint_every=10", "plot=false")
    train(cfg, run, progress=False)
    # as if killed after step 20 but before its checkpoint: the last event cut short
    ckpt.checkpoint_path(run, 20).unlink()
    (run / "final_metrics.json").unlink()
    (first,) = [p for p in (run / "tb").iterdir() if not p.name.endswith(".hparams")]
    first.write_bytes(first.read_bytes()[:-7])
    train(cfg, run, resume=True, progress=False)
    assert len([p for p in (run / "tb").iterdir() if not p.name.endswith(".hparams")]) == 2
    assert_scalars_equal_the_log(run)  # steps 15, 20 once each: the old file's are hidden
    assert [e.step for e in events(run).Images("samples")] == [10, 20]


def test_image_grid_tiles_and_maps_tanh_range_to_unit_interval():
    x = torch.stack([torch.full((3, 4, 5), v) for v in (-1.0, 0.0, 1.0)])  # (3, C=3, H=4, W=5)
    grid = image_grid(x, columns=2, pad=1)
    assert grid.shape == (3, 2 * 5 + 1, 2 * 6 + 1)
    assert torch.equal(grid[:, 1:5, 1:6], torch.zeros(3, 4, 5))  # -1 -> 0
    assert torch.equal(grid[:, 1:5, 7:12], torch.full((3, 4, 5), 0.5))  # 0 -> 0.5
    assert torch.equal(grid[:, 6:10, 1:6], torch.ones(3, 4, 5))  # 1 -> 1
    assert torch.equal(grid[:, 6:10, 7:12], torch.ones(3, 4, 5))  # the empty cell is white padding
    x = torch.rand(5, 7, 7, generator=torch.Generator().manual_seed(0))  # (N, H, W) in [0, 1]: kept
    gray = image_grid(x)
    assert gray.shape == (1, 7 + 4, 5 * 9 + 2)
    assert torch.equal(gray[0, 2:9, 2:9], x[0]) and torch.equal(gray[0, 2:9, 38:45], x[4])


def test_image_samples_are_logged_as_a_grid(tmp_path):
    """Any generator whose samples are (N, C, H, W) gets an image grid, and the critic's histograms."""
    from types import SimpleNamespace

    from divergan.report.tensorboard import IMAGES, RunWriter

    def images(n, generator):
        return torch.rand(n, 3, 8, 8, generator=generator) * 2 - 1  # (n, C, H, W) in [-1, 1]

    generator = lambda z: torch.tanh(z[:, :192].reshape(-1, 3, 8, 8))  # noqa: E731
    parts = SimpleNamespace(
        dataset=SimpleNamespace(dim=192, sample=images),
        ema=generator,
        generator=generator,
        critic=lambda x: x.mean(dim=(1, 2, 3)),  # (n,)
    )
    writer = RunWriter(tmp_path / "tb", 0, seed=0, z_dim=200)
    writer.log({"step": 7, "loss_d": 0.5}, parts)
    writer.close()
    acc = EventAccumulator(str(tmp_path / "tb"), size_guidance={"images": 0, "histograms": 0})
    acc.Reload()
    (picture,) = acc.Images("samples")
    assert (picture.step, picture.width, picture.height) == (7, 8 * 10 + 2, 8 * 10 + 2)  # 64 = 8 x 8 tiles
    assert [h.histogram_value.num for h in acc.Histograms("critic/real")] == [IMAGES]
    assert [(e.step, e.value) for e in acc.Scalars("loss_d")] == [(7, 0.5)]
