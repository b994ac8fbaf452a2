"""The applications' Games and hooks put their inputs on the networks' device (a ``meta`` device stands
in for a GPU: a tensor left on the CPU is seen by the spy networks), and evaluation returns CPU numbers."""

import torch
from torch import nn

from divergan.apps import glyphs, style
from divergan.data.glyphs import GlyphPairs
from divergan.objectives import get_objective
from divergan.train.config import Config

META = torch.device("meta")


class Spy(nn.Module):
    """A network on the meta device that records its inputs' devices and answers with CPU zeros."""

    def __init__(self, out_shape=None):
        super().__init__()
        self.p = nn.Parameter(torch.zeros(1, device="meta"))
        self.seen: list[torch.device] = []
        self.out_shape = out_shape

    def forward(self, x, *rest, **kw):
        self.seen += [t.device for t in (x, *rest) if isinstance(t, torch.Tensor)]
        return torch.zeros(self.out_shape or x.shape)


def pairs(n=6, size=8):
    return GlyphPairs("ab" * (n // 2), torch.rand(n, 1, size, size), torch.rand(n, 1, size, size),
                      torch.tensor([0, 1] * (n // 2)), ("x", "y"))  # fmt: skip


def test_glyph_batches_and_evaluation_go_to_the_generators_device():
    p = pairs()
    game = glyphs.PairedGame(get_objective("non-saturating"), Spy(), Spy(), p, batch=4,
                             rng=torch.Generator().manual_seed(0), device=META, l1_weight=1.0)  # fmt: skip
    s, y, c = game.critic_batch()
    assert {s.device, y.device, c.device} == {META}
    assert game.generator_batch()[0] is s  # the generator phase reuses the critic phase's pairs
    G = Spy()
    out = glyphs.translate(G, p)
    assert out.device.type == "cpu" and out.shape == p.source.shape and set(G.seen) == {META}
    # the control: a CPU network sees CPU inputs
    cpu = nn.Module()
    cpu.p = nn.Parameter(torch.zeros(1))
    cpu.forward = lambda s, c: (cpu.__dict__.setdefault("seen", []).append(s.device), torch.zeros(s.shape))[1]
    glyphs.translate(cpu, p)
    assert set(cpu.seen) == {torch.device("cpu")}


def test_style_batches_and_interval_metrics_go_to_the_emas_device():
    cfg = Config(app="style", batch=4, z_dim=3)
    data = style.StyleData(train=torch.rand(10, 1, 8, 8), held_out=torch.rand(5, 1, 8, 8))
    game = style.StyleGame(get_objective("non-saturating"), Spy(), Spy(), data, cfg=cfg,
                           rng=torch.Generator().manual_seed(0), device=META)  # fmt: skip
    real, ids, z = game.critic_batch()
    assert real.device == META and z.device == META and ids is None  # no clusters: no ids
    assert game.generator_batch()[-1].device == META
    ema = Spy(out_shape=(5, 1, 8, 8))
    parts = type("P", (), {"ema": ema, "dataset": data})()
    row = style.APP.interval_metrics(cfg, parts, META, 10)  # type: ignore[arg-type]
    assert set(ema.seen) == {META} and isinstance(row["w1"], float)
