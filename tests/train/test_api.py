"""The Python API: divergan.fit on tensors, Datasets, DataLoaders and names, with the user's own
networks; divergan.load_generator for every kind of run; bad arguments are one clear exception."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import divergan
from divergan.cli import main
from divergan.errors import UserError

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = dict(steps=6, batch=32, g_width=16, d_width=16, g_depth=1, d_depth=1, eval_samples=50)
TINY |= dict(tensorboard=False, threads=1, checkpoint_every=3, log_every=3, eval_every=3)


def _blob(n: int = 200) -> torch.Tensor:
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(0)) * 0.1 + torch.tensor([1.0, -1.0])


class MyGenerator(nn.Module):
    def __init__(self, z_dim: int = 3) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(z_dim, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, z):
        return self.net(z)


class MyCritic(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 8), nn.LeakyReLU(0.2), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


def test_import_divergan_stays_light():
    code = (
        "import sys, divergan; assert 'torch' not in sys.modules; divergan.fit; assert 'torch' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_fit_a_tensor_returns_a_run_the_cli_can_read(tmp_path, capsys):
    run = divergan.fit(_blob(), out=tmp_path / "r", z_dim=2, **TINY)
    assert run.folder == tmp_path / "r" and run.metrics["steps"] == 6 and "w1" in run.metrics["direct"]
    assert isinstance(run.generator, nn.Module) and run.generator.z_dim == 2
    x = run.generator(torch.randn(5, run.generator.z_dim))
    assert x.shape == (5, 2) and not x.requires_grad
    cfg = json.loads((run.folder / "config.json").read_text())
    assert cfg["data"].endswith("data.npy") and np.load(cfg["data"]).shape == (200, 2)
    # an ordinary run folder: eval reads it, load_generator gives the same network
    assert main(["eval", str(run.folder), "--json"]) == 0
    capsys.readouterr()
    again = divergan.load_generator(run.folder)
    z = torch.randn(7, 2)
    torch.testing.assert_close(again(z), run.generator(z), rtol=0, atol=0)


def test_fit_a_dataloader_and_a_dataset_give_the_same_run(tmp_path):
    x = _blob()
    a = divergan.fit(TensorDataset(x), out=tmp_path / "a", **TINY)
    b = divergan.fit(DataLoader(TensorDataset(x), batch_size=64), out=tmp_path / "b", **TINY)
    c = divergan.fit(x.numpy(), out=tmp_path / "c", **TINY)
    z = torch.randn(9, 2)
    assert torch.equal(a.generator(z), b.generator(z)) and torch.equal(a.generator(z), c.generator(z))


def test_fit_with_the_users_own_networks(tmp_path, capsys):
    g, d = MyGenerator(3), MyCritic()
    run = divergan.fit(_blob(), generator=g, critic=d, out=tmp_path / "r", z_dim=3, **TINY)
    assert isinstance(run.generator, MyGenerator) and run.generator.z_dim == 3
    assert run.generator is not g
    loaded = divergan.load_generator(run.folder, module=MyGenerator(3))
    z = torch.randn(4, 3)
    torch.testing.assert_close(loaded(z), run.generator(z), rtol=0, atol=0)
    # the folder holds weights, not code: without a module it says what to do
    with pytest.raises(UserError, match="fresh instance"):
        divergan.load_generator(run.folder)
    assert main(["sample", str(run.folder), "--n", "3", "--out", str(tmp_path / "s.npy")]) == 2
    assert "load_generator" in capsys.readouterr().err
    with pytest.raises(UserError, match="does not match"):
        divergan.load_generator(run.folder, module=MyGenerator(4))


def test_fit_images_with_labels_conditional(tmp_path):
    g = torch.Generator().manual_seed(0)
    images = torch.rand(64, 1, 16, 16, generator=g)
    labels = torch.arange(64) % 4
    tiny = TINY | dict(g_width=4, d_width=4, z_dim=8)
    run = divergan.fit(images, labels=labels, out=tmp_path / "r", conditional=True, **tiny)
    with np.load(json.loads((run.folder / "config.json").read_text())["data"]) as npz:
        assert npz["images"].shape == (64, 1, 16, 16) and npz["labels"].tolist() == labels.tolist()
    x = run.generator(torch.randn(3, 8), torch.tensor([0, 1, 2]))
    assert x.shape == (3, 1, 16, 16)


def test_fit_by_dataset_name(tmp_path):
    run = divergan.fit("ring8", out=tmp_path / "r", **TINY)
    assert run.metrics["direct"]["modes"] >= 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(data=torch.randn(10, 2), stepz=3), "unknown config key 'stepz'"),
        (dict(data=torch.randn(10, 2, 3, 4, 5)), "got shape"),
        (dict(data=torch.full((10, 2), float("nan"))), "NaN"),
        (dict(data=torch.rand(10, 1, 8, 8) * 3), r"\[0, 1\]"),
        (dict(data=torch.randn(10, 2), labels=torch.zeros(9, dtype=torch.long)), "labels"),
        (dict(data={"x": 1}), "data must be"),
        (dict(data=torch.randn(10, 2), generator=MyGenerator(2)), "pass critic="),
        (dict(data=torch.randn(10, 2), generator=MyGenerator(3), critic=MyCritic()), r"shape \(2, 2\)"),
        (dict(data=torch.randn(10, 3), generator=MyGenerator(2), critic=MyCritic(), z_dim=2), r"to \(B, 3\)"),
        (dict(data=torch.randn(10, 2), generator=MyGenerator(2), critic=nn.Linear(2, 1), z_dim=2), r"\(B,\)"),
        (dict(data=torch.randn(10, 2), generator="G"), "nn.Module"),
        (dict(data=torch.randn(10, 2), objective="nope"), "unknown objective"),
        (dict(data=torch.randn(10, 2), app="glyphs"), "the glyphs application has its own"),
    ],
)
def test_bad_arguments_are_one_clear_exception(tmp_path, kwargs, match):
    with pytest.raises(UserError, match=match):
        divergan.fit(out=tmp_path / "r", **(TINY | kwargs))
    assert not (tmp_path / "r").exists()  # nothing left behind


def test_load_generator_of_app_runs(tmp_path, capsys):
    style = tmp_path / "style"
    assert (
        main(["train", "--preset", "style-quick", "--steps", "2", "--set", "size=8", "--out", str(style)])
        == 0
    )
    capsys.readouterr()
    g = divergan.load_generator(style)
    assert g.z_dim == 8 and g(torch.randn(2, 8)).shape == (2, 1, 8, 8)
    with pytest.raises(UserError, match="not a divergan run folder"):
        divergan.load_generator(tmp_path)
    # the apps are runs of the one loop: eval reads them
    assert main(["eval", str(style)]) == 0
    # a run of the former style trainer (its own config class, final networks only) still loads; the
    # commands that need its optimizers say so in one line
    from divergan.train import checkpoint as ckpt

    old = tmp_path / "old"
    (old / "checkpoints").mkdir(parents=True)
    legacy = {"data": "digits", "size": 8, "z_dim": 8, "w_dim": 8, "width": 8, "mapping_depth": 3, "steps": 2}
    (old / "config.json").write_text(json.dumps(legacy))
    tensors, _ = ckpt.load(ckpt.latest(style))
    kept = {k: v for k, v in tensors.items() if k.split(".")[0] in ("G", "EMA", "D")}
    ckpt.save(ckpt.checkpoint_path(old, 2), kept, {"step": 2, "final": True, "config": legacy})
    assert all(divergan.load_generator(old).state_dict()[k].equal(g.state_dict()[k]) for k in g.state_dict())
    capsys.readouterr()
    assert main(["eval", str(old)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "older application trainer" in err[0] and "load_generator" in err[0]
