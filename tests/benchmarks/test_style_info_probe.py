"""benchmarks/style_info_probe.py: what the fine_info term's Q reads, on a tiny run, with a cut-off control."""

from __future__ import annotations

import pytest
import torch

from divergan import apps
from divergan.train.config import apply_overrides


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("style_info_probe") as module:
        yield module


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("probe") / "run"
    over = ["steps=2", "size=8", "threads=1", "tensorboard=false", "fine_info=1"]
    apps.train(apply_overrides(apps.preset("style-quick"), over), out, progress=False)
    return out


def test_corr_by_hand():
    from divergan.apps.style import _corr  # the probe's correlation

    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert _corr(a, 2 * a + 1) == pytest.approx(1.0)
    assert _corr(a, -a) == pytest.approx(-1.0)
    assert _corr(a, torch.tensor([1.0, -1.0, -1.0, 1.0])) == pytest.approx(0.0)


def test_the_probe_reads_a_run_and_a_cut_off_finest_block_changes_nothing(bench, run, monkeypatch):
    r = bench.probe(run, 64)
    assert r["change"] > 0 and len(r["r2"]) == len(r["corr_width"]) == len(r["corr_ink"]) == 2
    assert all(v <= 1 for v in r["r2"])
    load = apps.load_run

    def cut(folder):  # the EMA generator's styles no longer depend on w (in any row)
        cfg, parts, meta, app = load(folder)
        syn = parts.ema.synthesis
        with torch.no_grad():
            for layer in [*(m for convs in syn.convs for m in convs), *syn.torgbs]:
                layer.conv.affine.weight.zero_()
        return cfg, parts, meta, app

    monkeypatch.setattr(apps, "load_run", cut)
    assert bench.probe(run, 64)["change"] == 0.0  # the control: nothing to see, nothing changes


def test_a_run_without_the_term_is_one_error(bench, tmp_path):
    from divergan.errors import UserError

    out = tmp_path / "plain"
    over = ["steps=2", "size=8", "threads=1", "tensorboard=false"]
    apps.train(apply_overrides(apps.preset("style-quick"), over), out, progress=False)
    with pytest.raises(UserError, match="not a style run trained with fine_info > 0"):
        bench.probe(out, 8)
