"""Identities every f-divergence of the table must satisfy (GAN analysis slides, eqs. 3-6), table-driven.

Each test runs over every entry, plus the parameterised families at several parameters, so adding an
entry to the table is covered automatically.
"""

from __future__ import annotations

import math

import pytest
import torch

from divergan.divergences import TABLE, get, names
from divergan.divergences.table import lambertw_exp
from divergan.errors import UserError

F64 = torch.float64
CASES = (
    [(n, {}) for n in names()]
    + [("alpha", {"alpha": a}) for a in (-1.5, 0.3, 2.0, 3.0)]
    + [("js-pi", {"pi": p}) for p in (0.1, 0.99)]
)
IDS = [n + "".join(f"-{k}={v}" for k, v in p.items()) for n, p in CASES]
U = torch.logspace(-3, 3, 61, dtype=F64)  # ratios p/q from 1e-3 to 1e3


def _entry(name: str, params: dict):
    return get(name, **params)


@pytest.fixture(params=CASES, ids=IDS)
def fdiv(request):
    name, params = request.param
    return _entry(name, params)


def test_table_lists_every_required_divergence():
    required = {
        "kl",
        "reverse-kl",
        "pearson",
        "neyman",
        "squared-hellinger",
        "js",
        "gan",
        "tv",
        "jeffrey",
        "alpha",
        "js-pi",
    }
    assert required <= set(TABLE)


def test_f_at_one(fdiv):
    # f(1) = 0 for every entry but gan, whose D_f = 2 JS − log 4 equals −log 4 at P = Q.
    expected = -math.log(4) if fdiv.name == "gan" else 0.0
    assert fdiv.f_at_1 == pytest.approx(expected, abs=1e-12)


def test_f_is_convex(fdiv):
    # midpoint convexity on a dense grid: f((a+b)/2) <= (f(a) + f(b))/2
    a, b = U[:-2], U[2:]
    mid = (a + b) / 2
    assert torch.all(fdiv.f(mid) <= (fdiv.f(a) + fdiv.f(b)) / 2 + 1e-12)


def test_f_prime_is_the_derivative(fdiv):
    u = torch.logspace(-2, 2, 41, dtype=F64).requires_grad_(True)
    (grad,) = torch.autograd.grad(fdiv.f(u).sum(), u)
    mask = (u - 1).abs() > 1e-6  # tv has a kink at 1
    torch.testing.assert_close(grad[mask], fdiv.f_prime(u.detach())[mask], rtol=1e-9, atol=1e-9)


def test_fenchel_young_inequality_and_equality(fdiv):
    # f(u) + f*(t) >= u t for every t in dom f*, with equality at t = f'(u)   (GAN analysis slides, eq. 4)
    t_star = fdiv.f_prime(U)
    inside = fdiv.in_domain(t_star) | (fdiv.name == "tv")
    gap = fdiv.f(U) + fdiv.f_star(t_star) - U * t_star
    torch.testing.assert_close(gap[inside], torch.zeros_like(gap[inside]), rtol=0, atol=1e-8)
    t = fdiv.activation(torch.linspace(-6, 6, 49, dtype=F64))
    grid_gap = fdiv.f(U)[:, None] + fdiv.f_star(t)[None, :] - U[:, None] * t[None, :]
    assert torch.all(grid_gap >= -1e-10)


def test_conjugate_is_the_supremum(fdiv):
    # f*(t) = sup_u {t u − f(u)}: check against a brute-force maximum on a fine grid of u
    u = torch.logspace(-6, 6, 200_001, dtype=F64)
    t = fdiv.activation(torch.linspace(-3, 3, 13, dtype=F64))
    brute = torch.stack([(ti * u - fdiv.f(u)).max() for ti in t])
    # the grid lower-bounds the sup; u ∈ [0, ∞) also allows the endpoint u = 0: −f(0)
    brute = torch.maximum(brute, torch.full_like(brute, -fdiv.f0))
    exact = fdiv.f_star(t)
    assert torch.all(brute <= exact + 1e-9)
    torch.testing.assert_close(brute, exact, rtol=1e-4, atol=1e-4)


def test_activation_lands_inside_the_domain(fdiv):
    v = torch.linspace(-30, 30, 601, dtype=F64)
    t = fdiv.activation(v)
    assert torch.all(fdiv.in_domain(t))
    assert torch.all(torch.isfinite(fdiv.f_star(t)))


def test_limits_at_zero_and_infinity(fdiv):
    small = torch.tensor(1e-80, dtype=F64)
    big = torch.tensor(1e80, dtype=F64)
    if math.isfinite(fdiv.f0):
        assert float(fdiv.f(small)) == pytest.approx(fdiv.f0, abs=1e-4)
    else:
        assert float(fdiv.f(small)) > 20
    if math.isfinite(fdiv.slope_inf):
        assert float(fdiv.f(big) / big) == pytest.approx(fdiv.slope_inf, abs=1e-4)
    else:
        assert float(fdiv.f(big) / big) > 20


def test_f_prime_at_one_matches_the_anchor_table():
    # docs/protocols.md's f-GAN table (scaled for js: ½ of the table's 2·JS row, still 0)
    expected = {
        "kl": 1.0,
        "reverse-kl": -1.0,
        "pearson": 0.0,
        "neyman": 0.0,
        "squared-hellinger": 0.0,
        "js": 0.0,
        "gan": -math.log(2),
        "tv": 0.0,
        "jeffrey": 0.0,
        "alpha": 0.0,
        "js-pi": 0.0,
    }
    for name, value in expected.items():
        assert get(name).f_prime_at_1 == pytest.approx(value, abs=1e-12), name


def test_js_pi_at_one_half_is_js():
    js, half = get("js"), get("js-pi", pi=0.5)
    t = js.activation(torch.linspace(-5, 5, 11, dtype=F64))
    torch.testing.assert_close(js.f(U), half.f(U))
    torch.testing.assert_close(js.f_star(t), half.f_star(t))
    torch.testing.assert_close(js.activation(t), half.activation(t))


def test_lambert_w_solves_its_equation_and_has_the_right_gradient():
    x = torch.tensor([-30.0, -2.0, 0.0, 1.0, 5.0, 50.0, 700.0, 5000.0], dtype=F64, requires_grad=True)
    w = lambertw_exp(x)
    torch.testing.assert_close(w + torch.log(w), x.detach(), rtol=1e-12, atol=1e-12)
    (g,) = torch.autograd.grad(w.sum(), x)
    torch.testing.assert_close(g, (w / (1 + w)).detach())


@pytest.mark.parametrize(
    "name,params",
    [
        ("nope", {}),
        ("js-pi", {"pi": 0.0}),
        ("js-pi", {"pi": 1.5}),
        ("alpha", {"alpha": 1.0}),
        ("alpha", {"alpha": 0.0}),
        ("alpha", {"alpha": math.nan}),
        ("kl", {"pi": 0.3}),
    ],
)
def test_bad_names_and_parameters_are_user_errors(name, params):
    with pytest.raises(UserError):
        get(name, **params)


def test_every_entry_is_complete(fdiv):
    """The fields the CLI, the objectives and the samplers read: a name that finds the entry again, the
    three formulas as text, a description, the fused conjugate and (where f' is invertible) the ratio."""
    assert get(fdiv.name, **fdiv.params).name == fdiv.name
    assert set(fdiv.formulas) == {"f", "f*", "g_f"} and all(
        isinstance(s, str) and s for s in fdiv.formulas.values()
    )
    assert isinstance(fdiv.description, str) and fdiv.description
    # a fused conjugate everywhere but α-divergences with α > 1 (callers then compose f* and g_f)
    assert (fdiv.conjugate_of_activation is None) == (fdiv.name == "alpha" and fdiv.params["alpha"] > 1)
    assert (fdiv.log_ratio is not None) == fdiv.invertible == (fdiv.name != "tv")


def test_fused_conjugate_is_the_conjugate_of_the_activation(fdiv):
    """conjugate_of_activation(v) = f*(g_f(v)) on a grid of critic outputs (it only fuses the two)."""
    if fdiv.conjugate_of_activation is None:
        pytest.skip("no fused conjugate for this entry (see test_every_entry_is_complete)")
    v = torch.linspace(-4.0, 4.0, 81, dtype=torch.float64)
    torch.testing.assert_close(
        fdiv.conjugate_of_activation(v), fdiv.f_star(fdiv.activation(v)), rtol=1e-9, atol=1e-9
    )


def test_log_ratio_inverts_f_prime(fdiv):
    """At the optimal critic T = f'(p/q) (GAN analysis slides, eq. 6): u = exp(log_ratio(v)) solves f'(u) = g_f(v)."""
    if not fdiv.invertible:
        pytest.skip("f' is a step function (tv): no ratio from a critic value")
    v = torch.linspace(-3.0, 3.0, 61, dtype=torch.float64)
    u = torch.exp(fdiv.log_ratio(v))
    ok = (u > 1e-8) & (u < 1e8)
    assert int(ok.sum()) >= 30
    torch.testing.assert_close(fdiv.f_prime(u[ok]), fdiv.activation(v)[ok], rtol=1e-6, atol=1e-8)


def test_in_domain_respects_open_and_closed_ends(fdiv):
    lo, hi = fdiv.domain
    closed_lo, closed_hi = fdiv.domain_closed
    inner = 0.5 * (lo + hi) if math.isfinite(lo + hi) else (hi - 1 if math.isfinite(hi) else 0.0)
    assert bool(fdiv.in_domain(torch.tensor([inner], dtype=torch.float64)))
    for end, closed, outside in ((lo, closed_lo, lo - 1), (hi, closed_hi, hi + 1)):
        if math.isfinite(end):
            assert bool(fdiv.in_domain(torch.tensor([end], dtype=torch.float64))) == closed
            assert not bool(fdiv.in_domain(torch.tensor([outside], dtype=torch.float64)))
    both = fdiv.in_domain(torch.tensor([inner, hi + 1 if math.isfinite(hi) else inner], dtype=torch.float64))
    assert bool(both[0]) and bool(both[1]) == (not math.isfinite(hi))


def test_tv_between_multivariate_normals_is_refused_with_the_reason():
    from divergan.divergences import Normal, f_divergence

    p, q = Normal((0.0, 0.0), (1.0, 1.0)), Normal((1.0, 0.0), (1.0, 1.0))
    with pytest.raises(
        UserError, match=r"^no closed form for tv between n-D Gaussians; pass samples to estimate it$"
    ):
        f_divergence("tv", p, q)


def test_the_upper_end_of_dom_f_star_is_the_slope_of_f_at_infinity(fdiv):
    """sup dom f* = lim_{u→∞} f'(u) = lim f(u)/u for these f (f* is finite below the asymptotic slope and
    +inf above it); checked against f' itself at a large u."""
    hi = fdiv.domain[1]
    assert hi == fdiv.slope_inf
    if math.isfinite(hi):
        slope = float(fdiv.f_prime(torch.tensor([1e12], dtype=torch.float64)))
        assert slope == pytest.approx(hi, abs=1e-5)
