"""Experiment 3: seed 001 Lemmas 2.1-2.2, L ≡ 0 at D ≡ ½ and L ≡ 2 log 2 at a perfect D; ∇_θ L = 0."""

from __future__ import annotations

import math

import pytest


@pytest.mark.slow
def test_confused_and_perfect_discriminators_stop_the_generator(quick_result):
    r = quick_result("perfect-discriminator")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    path = r["path"]
    assert all(abs(v) <= tol["L"] for v in path["confused"]["L"])
    assert all(abs(v - 2 * math.log(2)) <= tol["L"] for v in path["perfect"]["L"])
    assert m["confused_grad_ratio"] <= tol["grad_ratio"]
    assert m["perfect_grad_ratio"] <= tol["grad_ratio"]
    # the critics are what the lemmas assume, and the generator really moved
    assert m["confused_max_abs_D_minus_half"] < 0.01
    assert m["perfect_min_D_real"] > 0.999 and m["perfect_max_D_fake"] < 1e-3
    assert m["max_mean_displacement"] > 0.1
    # an informative critic's L does change along the same path
    lo, hi = m["informative_L_range"]
    assert hi - lo > 10 * tol["L"]
    assert (r["_out"] / "perfect_discriminator.png").stat().st_size > 0


def test_loss_at_constant_critics():
    import torch

    from divergan.lab.perfect_discriminator import loss_l

    x, fake = torch.randn(8, 2, dtype=torch.float64), torch.randn(8, 2, dtype=torch.float64)
    # D ≡ ½ (V ≡ 0): L = 0 exactly (Lemma 2.1)
    assert abs(float(loss_l(x, fake, lambda t: torch.zeros(len(t), dtype=t.dtype)))) < 1e-15

    # D = 1 on x, 0 on fake (V = ±40): L = 2 log 2 up to e^−40 (Lemma 2.2)
    def perfect(t):
        return torch.full((len(t),), 40.0 if t is x else -40.0, dtype=t.dtype)

    assert abs(float(loss_l(x, fake, perfect)) - 2 * math.log(2)) < 1e-15
