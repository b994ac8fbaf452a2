"""benchmarks/style_tradeoff.py: which rows of fd_draws.json it plots, and the FD bound it draws."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def bench(benchmark_script):
    with benchmark_script("style_tradeoff") as module:
        yield module


def _row(fd: float, unsure: float) -> dict:
    return {"fd": {"mean": fd, "sd": 0.01}, "unsure": {"mean": unsure, "sd": 0.002}}


ROWS = {
    "style, E1000 (the preset with an EMA half-life of 1,000 steps), seed 0 (one thread)": _row(0.098, 0.037),
    "style, E1000, seed 1 (one thread)": _row(0.083, 0.044),
    "style, E1000R (a name that only starts like E1000), seed 0 (one thread)": _row(0.5, 0.5),
    "style-mnist (the preset since 5 December), seed 0, as a user runs it": _row(0.104, 0.042),
    "DCGAN mnist-unconditional, seed 0 (as a user runs it)": _row(0.074, 0.031),
}


def test_points_take_the_named_recipes_by_name_and_seed(bench):
    found = bench.points(ROWS, ("E1000",))
    assert [(p["recipe"], p["seed"], p["fd"]) for p in found] == [("E1000", 0, 0.098), ("E1000", 1, 0.083)]
    # the control: the longer name is its own recipe, and the preset's user run is no "style, NAME" row
    assert [p["recipe"] for p in bench.points(ROWS, ("E1000R",))] == ["E1000R"]
    assert bench.points(ROWS, ("style-mnist",)) == []


def test_the_fd_bound_is_one_and_a_half_dcgan_readings(bench):
    assert bench.fd_bound(ROWS) == pytest.approx(1.5 * 0.074)
    from divergan.errors import UserError

    with pytest.raises(UserError, match="no DCGAN mnist-unconditional row"):
        bench.fd_bound({k: v for k, v in ROWS.items() if not k.startswith("DCGAN")})
