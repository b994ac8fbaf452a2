"""Latent cells (``g_cells = K``): the generator reads [z, one-hot of z's Voronoi cell], so it can jump at a
cell border where a network continuous in z cannot; checked against a brute-force nearest point, at a
border (with the plain MLP as the control), in the config's checks and through a short run."""

from __future__ import annotations

import pytest
import torch

from divergan.api import load_generator
from divergan.errors import UserError
from divergan.nn.remedies import LatentCells, generator_mlp
from divergan.train import apply_overrides, preset, train
from divergan.train.loop import check


def test_the_one_hot_names_the_nearest_point():
    cells = LatentCells(3, 7, seed=4)
    z = torch.randn(500, 3, generator=torch.Generator().manual_seed(0))
    out = cells(z)
    assert out.shape == (500, 3 + 7)
    torch.testing.assert_close(out[:, :3], z)  # z itself passes through
    nearest = [min(range(7), key=lambda k, row=row: float((row - cells.points[k]).norm())) for row in z]
    assert out[:, 3:].argmax(dim=1).tolist() == nearest
    assert torch.equal(out[:, 3:].sum(dim=1), torch.ones(500))  # one-hot
    assert len(set(nearest)) == 7  # the control: every cell is met, so a constant index would fail


def test_the_points_come_from_their_own_generator():
    """The cells do not consume the global RNG (network initialisation draws stay as they were)."""
    torch.manual_seed(0)
    a = LatentCells(2, 5, seed=1).points
    after = torch.rand(1)
    torch.manual_seed(0)
    b = LatentCells(2, 5, seed=1).points
    assert torch.equal(a, b) and torch.equal(after, torch.rand(1))
    assert not torch.equal(a, LatentCells(2, 5, seed=2).points)


def border_gap(g: torch.nn.Module, points: torch.Tensor, eps: float) -> float:
    """|g(m + eps n) - g(m - eps n)| across the bisector of the two points nearest the origin."""
    i, j = points.norm(dim=1).argsort()[:2].tolist()
    m, n = (points[i] + points[j]) / 2, (points[i] - points[j]) / (points[i] - points[j]).norm()
    with torch.no_grad():
        return float((g((m + eps * n)[None]) - g((m - eps * n)[None])).norm())


def test_the_generator_can_jump_at_a_cell_border_and_the_plain_one_cannot():
    torch.manual_seed(0)
    g = generator_mlp(2, 2, 32, 2, cells=6)
    points = g[0].points
    i, j = points.norm(dim=1).argsort()[:2].tolist()
    m = (
        points[i] + points[j]
    ) / 2  # on the bisector; the border of the two cells when no third point is nearer
    assert torch.cdist(m[None], points).argsort()[0, :2].sort().values.tolist() == sorted([i, j])
    gaps = [border_gap(g, points, eps) for eps in (1e-2, 1e-4, 1e-6)]
    assert min(gaps) > 1e-3 and gaps[-1] == pytest.approx(gaps[-2], rel=1e-2)  # a jump that does not shrink
    torch.manual_seed(0)
    plain = generator_mlp(2, 2, 32, 2)
    assert border_gap(plain, points, 1e-6) < 1e-4  # the control: continuous in z, the gap shrinks with eps


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["g_cells=1"], "g_cells must be 0"),
        (["g_cells=-2"], "g_cells must be 0"),
    ],
)
def test_bad_cell_settings_are_refused(overrides, message):
    with pytest.raises(UserError, match=message):
        apply_overrides(preset("quick"), overrides)


def test_the_applications_refuse_cells():
    from divergan import apps

    with pytest.raises(UserError, match="application does not read it"):
        apply_overrides(apps.preset("style-quick"), ["g_cells=8"])


def test_the_dcgan_generator_reads_the_cells_before_its_condition():
    """Its first layer takes z_dim + K (+ the class embedding) inputs; the one-hot is of z's nearest point."""
    from divergan.nn.dcgan import DCGANGenerator

    torch.manual_seed(0)
    g = DCGANGenerator(8, 16, 1, 8, num_classes=3, cells=5)
    assert g.net[0].in_channels == 8 + 5 + 16
    z = torch.randn(6, 8)
    seen = {}
    g.net.register_forward_pre_hook(lambda _m, args: seen.setdefault("x", args[0]))
    x = g(z, torch.tensor([0, 1, 2, 0, 1, 2]))
    assert x.shape == (6, 1, 16, 16)
    first = seen["x"][:, :, 0, 0]
    torch.testing.assert_close(first[:, :8], z)
    assert first[:, 8:13].argmax(1).tolist() == torch.cdist(z, g.cells.points).argmin(1).tolist()
    assert DCGANGenerator(8, 16, 1, 8).net[0].in_channels == 8  # the control: no cells, z alone


def test_a_sweep_refuses_cells_instead_of_ignoring_them():
    from divergan.train.sweep import check as check_sweep

    check_sweep([apply_overrides(preset("quick"), ["data=ring8"])])  # the control
    with pytest.raises(UserError, match="g_cells"):
        check_sweep([apply_overrides(preset("quick"), ["data=ring8", "g_cells=8"])])


def test_an_image_run_with_cells_trains_and_reloads(tmp_path):
    cfg = apply_overrides(preset("digits-quick"), ["g_cells=6", "steps=10", "checkpoint_every=10"])
    train(cfg, tmp_path / "run", progress=False)
    G = load_generator(tmp_path / "run")
    torch.testing.assert_close(G.cells.points, LatentCells(cfg.z_dim, 6).points)
    assert G(torch.randn(4, G.z_dim)).shape[0] == 4


def test_a_run_with_cells_trains_and_its_generator_reloads(tmp_path):
    cfg = apply_overrides(preset("quick"), ["data=ring8", "g_cells=16", "steps=20", "checkpoint_every=20"])
    check(cfg)
    train(cfg, tmp_path / "run", progress=False)
    G = load_generator(tmp_path / "run")
    assert isinstance(G[0], LatentCells) and G[0].points.shape == (16, 2)
    torch.testing.assert_close(G[0].points, LatentCells(2, 16).points)  # saved and restored alike
    x = G(torch.randn(64, G.z_dim))
    assert x.shape == (64, 2) and torch.isfinite(x).all()
