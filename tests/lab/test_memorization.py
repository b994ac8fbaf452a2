"""memorization: a memoriser fools the small critic while missing most modes; a visible law does not."""

from __future__ import annotations

import pytest

from divergan.lab import memorization as me
from divergan.lab.base import Context

EPS = 0.05


@pytest.mark.slow
def test_memoriser_fools_small_critic(quick_result):
    r = quick_result("memorization")
    assert r["holds"] and all(r["measured"]["checks"].values())
    m = r["measured"]
    floor = m["noise_floor_d_nn"]
    star = m["m_star"]
    assert star["d_nn"] <= floor + EPS and star["mode_fraction"] <= 0.25
    # m* is the first m that fools: every smaller m did not
    assert all(row["d_nn"] > floor + EPS for row in m["memoriser"] if row["m"] < star["m"])
    assert m["half_modes_d_nn"] >= floor + EPS


@pytest.mark.slow
def test_negative_control_half_modes_law_in_the_memorisers_place(tmp_path):
    """A generator the critic can see (the data restricted to x < 0) is never 'fooling'."""
    ctx = Context(quick=True, seed=0, out=tmp_path)

    def half_law(m, n, g):
        data = me.gaussian_mixture("grid3600", me.grid_modes(me.np.linspace(-1, 1, me.SIDE).tolist()), me.STD)
        out = data.sample(4 * n, g)
        return out[out[:, 0] < 0][:n]

    ev = me.evaluate(ctx, memorised=(400, 1600), n_eval=2000, repeats=1, memoriser=half_law)
    assert not ev["checks"]["fooled_at_some_m"]
    assert ev["holds"] is False
