"""Experiment 5: convergence in W without convergence in JS, TV or KL; KL ⇒ JS ⇔ TV ⇒ W."""

from __future__ import annotations

import math


def test_topologies(quick_result):
    r = quick_result("topology")
    assert r["holds"]
    m, tol = r["measured"], r["tolerance"]
    seqs = r["sequences"]
    for row in seqs["dirac"] + seqs["empirical_quantiles"]:
        assert abs(row["js"] - math.log(2)) <= tol and abs(row["tv"] - 1) <= tol and math.isinf(row["kl"])
    for row in seqs["dirac"]:
        assert abs(row["w"] - 1 / row["n"]) <= tol
    for row in seqs["shifted_normal"]:
        assert abs(row["kl"] - 0.5 / row["n"] ** 2) <= tol
    assert m["empirical_quantiles_w"][-1] < 0.01
    assert all(v <= tol for v in m["max_violation"].values())
