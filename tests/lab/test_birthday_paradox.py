"""birthday-paradox: N̂ = −s(s − 1)/(2 log(1 − p̂)) recovers support sizes; a skewed law is not 'uniform N'."""

from __future__ import annotations

import math

import pytest
import torch

from divergan.lab import birthday_paradox as bp

FACTOR = 1.5


@pytest.mark.slow
def test_support_sizes(quick_result):
    r = quick_result("birthday-paradox")
    assert r["holds"] and all(r["measured"]["checks"].values())
    for row in r["measured"]["calibration"]:
        assert row["n"] / FACTOR <= row["estimate"] <= row["n"] * FACTOR
    assert 400 / FACTOR <= r["measured"]["memoriser"]["estimate"] <= 400 * FACTOR
    assert r["measured"]["data"]["estimate"] >= 4000


def test_estimator_is_exact_for_the_exact_collision_probability():
    # P(duplicate) for the uniform law on N points: 1 − ∏(1 − i/N); N̂ from it is N up to the exp approximation
    n, s = 400, 24
    p = 1 - math.prod(1 - i / n for i in range(s))
    assert abs(bp.support_estimate(p, s) / n - 1) < 0.02


def test_negative_control_skewed_law():
    """N = 1,600 points, one of them carrying half the mass: the test sees a far smaller support."""
    g = torch.Generator().manual_seed(0)
    atoms = torch.randn(1600, 8, generator=g, dtype=torch.float64)

    def draw(s):
        heavy = torch.rand(s, generator=g) < 0.5
        idx = torch.where(heavy, torch.zeros(s, dtype=torch.long), torch.randint(1600, (s,), generator=g))
        return atoms[idx]

    s = 47
    est = bp.support_estimate(bp.duplicate_rate(draw, s, 200, 1e-9), s)
    assert not bp.within(est, 1600)
