"""Experiment topology: KL ⇒ JS ⇔ TV ⇒ W, the converses fail; tolerances pinned here, not read back."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import xlogy

from divergan.lab import topology

LOG2 = math.log(2)
#: scipy quad asked for 1e-10 absolute error; 1e-7 leaves room for the library's own JS quadrature
QUAD = 1e-7
EXACT = 1e-9


def test_topologies(quick_result):
    r = quick_result("topology")
    assert r["holds"] and all(r["measured"]["checks"].values())
    seqs = r["sequences"]
    for row in seqs["dirac"]:
        assert abs(row["w"] - 1 / row["n"]) <= EXACT
        for v in row["js"].values():
            assert v["lower"] - QUAD <= v["value"] <= v["upper"] + QUAD
    # the unsmoothed limit: at r = 40 the sandwich pins JS to log 2 within 1e-87
    assert all(abs(v - LOG2) <= QUAD for v in r["measured"]["a_js_at_r_40"])
    # at ε = 1e-3 and n ≤ 64 (r ≥ 15.6, lower bound log 2 − 4e-14) likewise
    assert all(abs(v - LOG2) <= QUAD for v in r["measured"]["a_js_at_smallest_eps"][:7])
    for row in seqs["shifted_normal"]:
        assert abs(row["w_quad"] - 1 / row["n"]) <= QUAD
        assert abs(row["kl_quad"] - 0.5 / row["n"] ** 2) <= QUAD
        assert abs(row["kl_library"] - row["kl_quad"]) <= QUAD
    for row in seqs["atom_in_normal"]:
        n = row["n"]
        assert math.isinf(row["kl"]) and abs(row["tv"] - 1 / n) <= EXACT
        # hand formula: the atom contributes (1/2n) log 2, the continuous part the rest
        js = (
            0.5 / n * LOG2
            + 0.5 * float(xlogy(1 - 1 / n, (1 - 1 / n) / (1 - 0.5 / n)))
            - 0.5 * math.log(1 - 0.5 / n)
        )
        assert abs(row["js"] - js) <= EXACT
    assert all(abs(w - 1) <= EXACT for w in r["measured"]["e_w"])


def test_negative_control_theta_blind_js_fails():
    """The old construction (JS of a fixed pair, n and ε never enter) breaks the sandwich and the limit."""
    ev = topology.evaluate(
        [1, 4, 16, 64], [1.0, 0.01], 20, np.random.default_rng(0), js_fn=topology.theta_blind_js
    )
    assert not ev["checks"]["a_js_within_sandwich"]
    assert not ev["checks"]["a_js_to_0_as_n_grows"]
    assert ev["holds"] is False


def test_negative_control_escaping_mass_is_not_w_convergent():
    """Feeding (e)'s law to the W → 0 reading: W stays 1 although TV = 1/n."""
    rows = [topology.escaping_mass(n) for n in (2, 8, 64)]
    assert all(abs(r["w"] - 1) <= EXACT for r in rows) and rows[-1]["tv"] < 0.02


def test_sandwich_is_tight_enough_to_separate():
    """The bounds themselves: at r = 0.1 the upper bound is < 0.03, at r = 20 the lower is log 2 − 1e-21."""
    lo, hi = topology.js_sandwich(0.1)
    assert hi < 0.03
    lo, hi = topology.js_sandwich(20.0)
    assert LOG2 - lo < 1e-20
