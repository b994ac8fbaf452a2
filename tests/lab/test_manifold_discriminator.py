"""manifold-discriminator: two non-aligned curves in R¹⁰ are separated perfectly; aligned ones are not."""

from __future__ import annotations

import pytest

from divergan.lab import manifold_discriminator as md
from divergan.lab.base import Context


@pytest.mark.slow
def test_perfect_discriminator_for_non_aligned_curves(quick_result):
    r = quick_result("manifold-discriminator")
    assert r["holds"] and all(r["measured"]["checks"].values())
    m = r["measured"]
    assert m["min_distance"] > 0.05
    assert m["min_D_on_P"] >= 0.99 and m["max_D_on_Q"] <= 0.01 and m["held_out_accuracy"] == 1.0


@pytest.mark.slow
def test_negative_control_aligned_curves(tmp_path):
    """Q on P's own curve with density z³: same support, no perfect critic."""
    ctx = Context(quick=True, seed=0, out=tmp_path)
    curve = md.random_curve(100)
    ev = md.evaluate(ctx, curve, curve, 3, steps=500)
    assert not ev["checks"]["supports_apart"] and ev["min_distance"] < 0.01
    assert not ev["checks"]["perfect_on_held_out"]
    assert ev["holds"] is False
