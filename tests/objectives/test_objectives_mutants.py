"""Checks written against mutation testing of ``divergan.objectives`` (docs/testing.md, "Mutation testing").

Each test pins a value that a surviving mutant changed: a builder's listed row, an error message that
names the objective and the key, a parameter's range end, a default argument, the estimate that
``divergence_estimate`` returns for a given critic loss. Expected values are derived by hand in the
comments (or, for the listing rows, are the stored rows that ``divergan objectives`` prints).

The f-GAN builders are made at import time (``OBJECTIVES`` holds one per table entry); the tests
below call ``registry._fgan_builder`` afresh, so that a change inside the builder is seen.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from divergan.commands import catalog
from divergan.divergences import TABLE
from divergan.divergences import get as get_fdiv
from divergan.errors import UserError
from divergan.objectives import (
    conjugate_of_activation,
    get_objective,
    gradient_norms,
    gradient_penalty,
    interpolate,
    js_pi_discriminator_loss,
    js_pi_generator_loss,
    log_density_ratio,
    log_ratio_by_bisection,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    minimax_generator_loss,
    mmd_gan_generator_loss,
    mmd_sample_loss,
    names,
    r1_penalty,
    r2_penalty,
    registry,
    zero_centred_penalty,
)
from divergan.objectives.losses import fgan_generator_loss

F64 = torch.float64


def _fresh(name: str, **params):
    """The objective built now (f-GAN builders made afresh, not the ones made at import)."""
    if name.startswith("fgan-"):
        return registry._fgan_builder(name.removeprefix("fgan-"))(**params)
    return get_objective(name, **params)


def _row(obj) -> dict:
    """The listing row of ``divergan objectives`` (the fields of ``catalog.objective_rows``)."""
    return {
        "name": obj.name,
        "formula": obj.formula,
        "divergence": obj.divergence,
        "critic": obj.needs_critic,
        "optimizer": obj.optimizer,
        "params": dict(obj.params),
    }


# --- what the listing prints -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", names())
def test_each_builder_makes_the_row_the_listing_prints(name):
    """The stored rows are what ``divergan objectives`` prints without torch (tests/test_startup.py keeps
    them equal to the registry); a builder that changes a formula, a text, an optimizer or a recorded
    parameter differs from its row. Fails e.g. if wgan's optimizer became "adam"."""
    (stored,) = [r for r in catalog.stored()["OBJECTIVES"] if r["name"] == name]
    assert _row(_fresh(name)) == stored


def test_formulas_print_non_default_parameters():
    lsgan = get_objective("lsgan", a=-1, b=2, c=0.5)
    tr, tf = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -2.0])
    # ½ mean((V − 2)²) + ½ mean((V + 1)²) = ½·(1 + 1)/2 + ½·(1 + 1)/2; generator ½ mean((V − ½)²)
    assert float(lsgan.critic_loss(tr, tf)) == 1.0
    assert float(lsgan.generator_loss(None, tf)) == pytest.approx(0.5 * (0.25 + 6.25) / 2)
    assert lsgan.formula == (
        "critic: min ½E_r (V − 2)² + ½E_g (V − -1)²;  generator: min ½E_z (V(G(z)) − 0.5)²"
    )
    assert get_objective("wgan", clip=0.05).formula.startswith(
        "critic: max_V E_r V − E_g V, weights clipped to [−0.05, 0.05];"
    )
    assert get_objective("wgan-gp", weight=2).formula.startswith(
        "critic: max_V E_r V − E_g V − 2·E (‖∇V(x̂)‖₂"
    )
    js = get_objective("js-pi", pi=0.25)
    assert js.formula == (
        "critic: max_V 0.25·E_r log σ(V) + 0.75·E_g log(1 − σ(V));  generator: min 0.75·E_z log(1 − σ(V(G(z))))"
    )
    h = -0.25 * math.log(0.25) - 0.75 * math.log(0.75)  # H(¼) = 0.562335...
    assert f"I(X; Z) − {h:.6g} at" in js.divergence and "0.562335" in js.divergence
    rp = get_objective("rpgan", r1=3, r2=0.5)
    assert " + 3/2·E_r ‖∇V‖² + 0.5/2·E_g ‖∇V‖²;" in rp.formula
    saddle = _fresh("fgan-kl", generator="saddle")
    assert saddle.formula.endswith("generator: min −E_z f*(g_f(V(G(z))))")
    assert _fresh("fgan-kl").formula.endswith("generator: min −E_z g_f(V(G(z)))")
    assert registry._fgan_builder("kl").__doc__ == "f-GAN on the 'kl' entry of the f-divergence table."


# --- errors name the objective and the key ---------------------------------------------------------------
@pytest.mark.parametrize("name", names())
def test_an_unknown_parameter_is_refused_naming_the_objective_and_what_it_takes(name):
    defaults = {
        "lsgan": "a, b, c",
        "wgan": "clip",
        "wgan-gp": "weight",
        "mmd": "bandwidths",
        "mmd-gan": "features, bandwidths, clip",
        "js-pi": "pi",
        "rpgan": "r1, r2",
        "non-saturating": "r1, r2",
        "fgan-alpha": "generator, alpha",
        "fgan-js-pi": "generator, pi",
    }
    takes = defaults.get(name, "generator" if name.startswith("fgan-") else "no parameters")
    with pytest.raises(UserError) as info:
        _fresh(name, bogus=1)
    assert str(info.value) == f"objective {name!r} takes no parameter bogus (it takes: {takes})"


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("wgan", {"clip": 0}, "objective 'wgan': clip must be a number in (0, inf), got 0"),
        ("wgan-gp", {"weight": -1}, "objective 'wgan-gp': weight must be a number in [0, inf], got -1"),
        ("lsgan", {"c": "x"}, "objective 'lsgan': c must be a number, got 'x'"),
        (
            "lsgan",
            {"a": 2, "b": 2},
            "objective 'lsgan': the fake label a and the real label b must differ, both are 2",
        ),
        ("js-pi", {"pi": 1}, "objective 'js-pi': pi must be a number in (0, 1), got 1"),
        ("rpgan", {"r1": -1}, "objective 'rpgan': r1 must be a number in [0, inf], got -1"),
        ("rpgan", {"r2": "inf"}, "objective 'rpgan': r2 must be a number in [0, inf], got 'inf'"),
        (
            "mmd-gan",
            {"features": 4097},
            "objective 'mmd-gan': features must be a number in [1, 4096], got 4097",
        ),
        ("mmd-gan", {"features": 2.5}, "objective 'mmd-gan': features must be a whole number, got 2.5"),
        ("mmd-gan", {"clip": -0.5}, "objective 'mmd-gan': clip must be a number in [0, inf], got -0.5"),
        (
            "mmd",
            {"bandwidths": "1,x"},
            "objective 'mmd': bandwidths must be positive numbers or 'median', got '1,x'",
        ),
        (
            "mmd-gan",
            {"bandwidths": [1.0, 0.0]},
            "objective 'mmd-gan': bandwidths must be positive numbers or 'median', got [1.0, 0.0]",
        ),
        (
            "mmd",
            {"bandwidths": []},
            "objective 'mmd': bandwidths must be positive numbers or 'median', got []",
        ),
        ("mmd", {"bandwidths": 3}, "objective 'mmd': bandwidths must be positive numbers or 'median', got 3"),
        (
            "fgan-kl",
            {"generator": "both"},
            "objective 'fgan-kl': generator must be one of alt, saddle, got 'both'",
        ),
        ("fgan-alpha", {"alpha": "x"}, "objective 'fgan-alpha': alpha must be a number, got 'x'"),
    ],
)
def test_bad_values_name_the_objective_the_key_and_the_range(name, params, message):
    with pytest.raises(UserError) as info:
        _fresh(name, **params)
    assert str(info.value) == message


def test_unknown_objective_lists_every_name():
    with pytest.raises(UserError) as info:
        get_objective("nope")
    assert str(info.value) == f"unknown objective 'nope'; choose from {', '.join(names())}"


# --- range ends and defaults -----------------------------------------------------------------------------
def test_range_ends_that_are_allowed():
    assert get_objective("wgan-gp", weight=0).params == {"weight": 0.0}  # [0, inf]: 0 allowed
    assert get_objective("wgan", clip=1e-9).clip == 1e-9  # (0, inf): anything above 0
    assert get_objective("mmd-gan", features=4096).critic_outputs == 4096
    assert get_objective("mmd-gan", features="1").critic_outputs == 1
    assert get_objective("js-pi", pi=1e-6).params == {"pi": 1e-6}
    assert get_objective("rpgan", r1=0, r2=0).params == {"r1": 0.0, "r2": 0.0}


def test_mmd_gan_clip_chooses_the_optimizer():
    clipped = get_objective("mmd-gan", clip=0.5)
    assert clipped.clip == 0.5 and clipped.optimizer == "rmsprop"
    free = get_objective("mmd-gan", clip=0)
    assert free.clip is None and free.optimizer == "adam"
    assert free.params == {"features": 16, "bandwidths": "1,2,4,8,16", "clip": 0.0}


def test_bandwidths_are_recorded_as_given():
    assert get_objective("mmd", bandwidths="median").params == {"bandwidths": "median"}
    assert get_objective("mmd", bandwidths=[0.5, 2]).params == {"bandwidths": "0.5,2"}
    assert get_objective("mmd").params == {}  # None: the estimator's default mixture, not recorded
    assert get_objective("mmd-gan", bandwidths="3").params["bandwidths"] == "3"


def test_mmd_bandwidths_reach_the_loss():
    x = torch.tensor([[0.0], [1.0]], dtype=F64)
    y = torch.tensor([[0.0], [3.0]], dtype=F64)
    obj = get_objective("mmd", bandwidths="1")
    # σ = 1: k(0,1) = e^{−1/2}, k(0,3) = e^{−9/2}, k(0,0) = 1, k(1,0) = e^{−1/2}, k(1,3) = e^{−2}
    kxx, kyy = math.exp(-0.5), math.exp(-4.5)
    kxy = (1 + math.exp(-4.5) + math.exp(-0.5) + math.exp(-2)) / 4
    expected = kxx + kyy - 2 * kxy
    assert float(obj.sample_loss(x, y)) == pytest.approx(expected, rel=1e-12)
    assert float(mmd_sample_loss(x, y, bandwidths=(1.0,))) == pytest.approx(expected, rel=1e-12)
    median = get_objective("mmd", bandwidths="median")
    # pooled points 0, 1, 0, 3: pair distances 0, 1, 1, 2, 3, 3; torch's median is the lower middle
    # value, 1, so σ = (½, 1, 2) × 1
    sig = (0.5, 1.0, 2.0)
    k = lambda d: sum(math.exp(-(d * d) / (2 * s * s)) for s in sig) / 3  # noqa: E731
    assert float(median.sample_loss(x, y)) == pytest.approx(
        k(1) + k(3) - 2 * (k(0) + k(3) + k(1) + k(2)) / 4, rel=1e-12
    )


def test_mmd_has_no_critic():
    obj = get_objective("mmd")
    t = torch.zeros(2)
    for loss in (obj.critic_loss, obj.generator_loss):
        with pytest.raises(RuntimeError) as info:
            loss(t, t)
        assert str(info.value) == "this objective is critic-free: use Objective.sample_loss"


def test_default_arguments_of_the_pure_losses():
    tr = torch.tensor([1.0, -0.5], dtype=F64)
    tf = torch.tensor([0.0, 2.0], dtype=F64)
    sp = torch.nn.functional.softplus
    # π = ½ by default: half of each minimax term
    assert float(js_pi_generator_loss(tr, tf)) == pytest.approx(0.5 * float(minimax_generator_loss(tr, tf)))
    assert float(js_pi_discriminator_loss(tr, tf)) == pytest.approx(
        0.5 * float(sp(-tr).mean() + sp(tf).mean()), rel=1e-15
    )
    # labels a = 0, b = 1 and target c = 1 by default
    assert float(lsgan_discriminator_loss(tr, tf)) == pytest.approx(
        0.5 * ((0.0**2 + 1.5**2) / 2) + 0.5 * ((0.0 + 4.0) / 2), rel=1e-15
    )
    assert float(lsgan_generator_loss(tr, tf)) == pytest.approx(0.5 * (1.0 + 1.0) / 2, rel=1e-15)
    # MMD-GAN: the default bandwidths are the estimator's mixture (0.1 .. 10), not MMD_GAN_BANDWIDTHS
    from divergan.estimators.mmd import mmd2

    feats_r, feats_f = tr.reshape(2, 1), tf.reshape(2, 1)
    assert float(mmd_gan_generator_loss(tr, tf)) == pytest.approx(float(mmd2(feats_r, feats_f)), rel=1e-15)


# --- divergence estimates and density ratios ---------------------------------------------------------------
def test_divergence_estimate_of_each_game_at_a_given_critic_loss():
    loss = torch.tensor(0.3, dtype=F64)
    # minimax and non-saturating: JS = (log 4 − L)/2
    for name in ("minimax", "non-saturating"):
        assert float(get_objective(name).divergence_estimate(loss)) == pytest.approx((math.log(4) - 0.3) / 2)
    assert float(get_objective("hinge").divergence_estimate(loss)) == pytest.approx(1 - 0.15)  # 1 − L/2
    h = -0.2 * math.log(0.2) - 0.8 * math.log(0.8)
    assert float(get_objective("js-pi", pi=0.2).divergence_estimate(loss)) == pytest.approx(h - 0.3)
    for d in TABLE:
        assert float(_fresh(f"fgan-{d}").divergence_estimate(loss)) == pytest.approx(-0.3)
    for name in ("lsgan", "wgan", "wgan-gp", "mmd", "mmd-gan", "rpgan"):
        assert get_objective(name).divergence_estimate is None


def test_lsgan_density_ratio_by_hand():
    obj = get_objective("lsgan", a=-1, b=1)
    v = torch.tensor([0.0, 0.5, -1.0, -2.0], dtype=F64)
    # r = (v − a)/(b − v): 1, 3, 0 (log −inf), negative -> clamped to 0 (log −inf)
    out = obj.density_ratio(v)
    assert out[:2].tolist() == pytest.approx([0.0, math.log(3)])
    assert out[2] == -math.inf and out[3] == -math.inf
    assert get_objective("js-pi", pi=0.2).density_ratio(torch.tensor(0.0)).item() == pytest.approx(
        -math.log(0.25)  # v − log(π/(1−π)) at v = 0
    )
    v2 = torch.tensor([-3.0, 0.7])
    for name in ("minimax", "non-saturating"):
        assert torch.equal(get_objective(name).density_ratio(v2), v2)


def test_fields_the_trainer_reads():
    rp = get_objective("rpgan")
    assert rp.penalty_on == "batches" and rp.generator_uses_real and rp.optimizer == "adam"
    assert get_objective("rpgan", r1=0, r2=0).penalty is None
    assert get_objective("wgan-gp").penalty_on == "interpolates"
    gp = get_objective("wgan-gp")
    assert gp.optimizer == "adam" and gp.clip is None
    for name in ("minimax", "non-saturating", "lsgan", "wgan", "wgan-gp", "hinge", "js-pi"):
        assert get_objective(name).generator_uses_real is False
    assert get_objective("mmd-gan").generator_uses_real is True


# --- the f-GAN builder ------------------------------------------------------------------------------------
TR = torch.tensor([1.0, -0.5, 0.25], dtype=F64)
TF = torch.tensor([0.0, 2.0, -1.5], dtype=F64)


@pytest.mark.parametrize("div", list(TABLE))
def test_the_fgan_builder_wires_the_table_entry(div):
    """Critic loss −(E g_f(V_r) − E f*(g_f(V_f))), generators −E g_f(V_f) (alt) and −E f*(g_f(V_f))
    (saddle), from the table's own g_f and f* composed in float64; the density ratio is the entry's."""
    fd = get_fdiv(div)
    g = fd.activation
    fstar_g = lambda v: fd.f_star(g(v))  # noqa: E731
    tf = TF.clamp(max=1.0) if div == "tv" else TF
    alt, saddle = _fresh(f"fgan-{div}"), _fresh(f"fgan-{div}", generator="saddle")
    assert alt.name == saddle.name == f"fgan-{div}"
    critic = -(g(TR).mean() - fstar_g(tf).mean())
    for obj in (alt, saddle):
        assert float(obj.critic_loss(TR, tf)) == pytest.approx(float(critic), rel=1e-9, abs=1e-12)
        assert obj.generator_uses_real is False and obj.penalty is None and obj.clip is None
    assert float(alt.generator_loss(None, tf)) == pytest.approx(float(-g(tf).mean()), rel=1e-12)
    assert float(saddle.generator_loss(None, tf)) == pytest.approx(float(-fstar_g(tf).mean()), rel=1e-9)
    assert alt.params["generator"] == "alt" and saddle.params["generator"] == "saddle"
    ratio = log_density_ratio(fd)
    if ratio is None:
        assert alt.density_ratio is None
    else:
        assert torch.allclose(alt.density_ratio(TR), ratio(TR), rtol=1e-12, atol=0)


@pytest.mark.parametrize(("div", "key", "value"), [("alpha", "alpha", 2.0), ("js-pi", "pi", 0.2)])
def test_the_fgan_builder_passes_the_family_parameter(div, key, value):
    obj = _fresh(f"fgan-{div}", **{key: str(value)})
    assert obj.params == {"generator": "alt", key: value}
    fd = get_fdiv(div, **{key: value})
    critic = -(fd.activation(TR).mean() - fd.f_star(fd.activation(TF)).mean())
    assert float(obj.critic_loss(TR, TF)) == pytest.approx(float(critic), rel=1e-9)
    default = _fresh(f"fgan-{div}")
    assert default.params[key] == 0.5
    assert float(default.critic_loss(TR, TF)) != pytest.approx(float(critic), rel=1e-6)


def test_fgan_generator_loss_by_name():
    act = lambda v: 2 * v  # noqa: E731
    conj = lambda v: v**2  # noqa: E731
    t = torch.tensor([1.0, 3.0])
    assert float(fgan_generator_loss("saddle", act, conj)(None, t)) == -5.0  # −mean(1, 9)
    assert float(fgan_generator_loss("alt", act, conj)(None, t)) == -4.0  # −mean(2, 6)


# --- fgan.py: the fall-backs when an entry has no closed form ---------------------------------------------
@pytest.mark.parametrize("div", ["kl", "pearson", "gan", "js", "squared-hellinger", "jeffrey"])
def test_fallbacks_equal_the_closed_forms(div):
    import dataclasses

    fd = get_fdiv(div)
    bare = dataclasses.replace(fd, conjugate_of_activation=None, log_ratio=None)
    v = torch.tensor([-1.5, -0.3, 0.0, 0.8, 1.5], dtype=F64)  # pearson: log(1 + v/2) finite for v > −2
    assert torch.allclose(conjugate_of_activation(bare)(v), fd.f_star(fd.activation(v)), rtol=1e-12)
    if fd.log_ratio is not None:
        assert torch.allclose(log_density_ratio(bare)(v), fd.log_ratio(v), rtol=1e-9, atol=1e-12)


def test_bisection_by_hand_and_at_its_ends():
    kl = get_fdiv("kl")  # f'(u) = log u + 1, so f'(e^s) = t at s = t − 1
    t = torch.tensor([-3.0, 0.0, 1.0, 2.5], dtype=F64)
    s = log_ratio_by_bisection(kl, t)
    assert s.dtype == F64 and torch.allclose(s, t - 1, atol=1e-12)
    t32 = torch.tensor([0.5], dtype=torch.float32)
    assert log_ratio_by_bisection(kl, t32).dtype == torch.float32
    # targets beyond f'(e^lo) = lo + 1 and f'(e^hi) = hi + 1 end at lo and hi
    far = torch.tensor([-100.0, 100.0], dtype=F64)
    assert log_ratio_by_bisection(kl, far).tolist() == pytest.approx([-60.0, 60.0], abs=1e-12)
    assert log_ratio_by_bisection(kl, far, lo=-5.0, hi=7.0).tolist() == pytest.approx([-5.0, 7.0], abs=1e-12)
    assert log_density_ratio(get_fdiv("tv")) is None


# --- penalties ----------------------------------------------------------------------------------------------
class _HalfSquare(nn.Module):
    """V(x) = ½ a‖x‖²: gradient a·x."""

    def __init__(self, a: float = 1.0):
        super().__init__()
        self.a = nn.Parameter(torch.tensor(a, dtype=F64))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.a * (x**2).flatten(1).sum(1)


def test_zero_centred_penalty_sums_r1_and_r2_and_skips_a_zero_weight():
    real = torch.tensor([[3.0, 4.0], [0.0, 1.0]], dtype=F64)  # ‖x‖² = 25, 1: mean 13
    fake = torch.tensor([[1.0, 0.0], [2.0, 0.0]], dtype=F64)  # ‖x‖² = 1, 4: mean 2.5
    critic = _HalfSquare()

    def value(t: torch.Tensor) -> float:
        return float(t.detach())

    assert value(zero_centred_penalty(critic, real, fake, 2.0, 0.0)) == pytest.approx(13.0)  # γ/2 · 13
    assert value(zero_centred_penalty(critic, real, fake, 0.0, 4.0)) == pytest.approx(5.0)  # 2 · 2.5
    assert value(zero_centred_penalty(critic, real, fake, 2.0, 4.0)) == pytest.approx(18.0)
    zero = zero_centred_penalty(critic, real, fake, 0.0, 0.0)
    assert value(zero) == 0.0 and zero.device == real.device
    assert value(r1_penalty(critic, real)) == pytest.approx(6.5)  # γ = 1 by default
    assert value(r2_penalty(critic, fake)) == pytest.approx(1.25)
    # the rpgan objective's penalty uses its own weights
    rp = get_objective("rpgan", r1=2, r2=4)
    assert value(rp.penalty(critic, real, fake)) == pytest.approx(18.0)


def test_penalties_train_the_critic_and_gradient_norms_can_skip_the_graph():
    real = torch.tensor([[3.0, 4.0]], dtype=F64)
    critic = _HalfSquare(2.0)  # ‖∇V‖² = a²‖x‖² = 4·25, R1 = ½·a²·25; d/da = a·25 = 50
    for pen in (r1_penalty(critic, real), r2_penalty(critic, real)):
        (grad,) = torch.autograd.grad(pen, critic.a)
        assert float(grad) == pytest.approx(50.0)
    norms = gradient_norms(critic, real, create_graph=False)
    assert norms.tolist() == pytest.approx([10.0]) and norms.grad_fn is None
    assert gradient_norms(critic, real).grad_fn is not None  # create_graph=True by default


def test_interpolate_by_hand():
    real = torch.tensor([[1.0, 1.0], [2.0, 2.0]], dtype=F64)
    fake = torch.zeros(2, 2, dtype=F64)
    x = interpolate(real, fake, epsilon=torch.tensor([0.25, 1.0]))
    assert x.tolist() == [[0.25, 0.25], [2.0, 2.0]] and x.dtype == F64
    a = interpolate(real, fake, generator=torch.Generator().manual_seed(5))
    b = interpolate(real, fake, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b) and a.dtype == F64
    with pytest.raises(ValueError, match=r"real and fake batches differ in shape: \(2, 2\) vs \(2, 3\)"):
        interpolate(real, torch.zeros(2, 3))


def test_interpolation_draws_its_coefficients_from_the_generator_in_the_batch_dtype():
    """ε ~ U[0, 1] from the given generator, in the batches' dtype: the same numbers as drawing them here."""
    g = torch.Generator().manual_seed(0)
    real = torch.randn(4, 3, generator=g, dtype=F64)
    fake = torch.randn(4, 3, generator=g, dtype=F64)
    eps = torch.rand((4, 1), generator=torch.Generator().manual_seed(7), dtype=F64)
    x = interpolate(real, fake, generator=torch.Generator().manual_seed(7))
    assert torch.equal(x, eps * real + (1 - eps) * fake)
    # the penalty draws the same x̂: for V(x) = ½‖x‖², ‖∇V(x̂)‖ = ‖x̂‖
    critic = _HalfSquare()
    pen = gradient_penalty(critic, real, fake, weight=2.0, generator=torch.Generator().manual_seed(7))
    want = 2.0 * ((x.norm(dim=1) - 1) ** 2).mean()
    assert float(pen.detach()) == pytest.approx(float(want), rel=1e-12)


def test_mmd_gan_losses_read_each_sample_as_one_feature_vector():
    """Critic outputs (B, K) are B points of R^K (not B·K numbers); (B,) are B points of R."""
    from divergan.estimators.mmd import mmd2

    g = torch.Generator().manual_seed(1)
    tr, tf = torch.randn(5, 3, generator=g, dtype=F64), torch.randn(6, 3, generator=g, dtype=F64) + 0.5
    want = float(mmd2(tr, tf, bandwidths=(1.0, 2.0)))
    obj = get_objective("mmd-gan", bandwidths="1,2", features=3)
    assert float(obj.generator_loss(tr, tf)) == pytest.approx(want, rel=1e-12)
    assert float(obj.critic_loss(tr, tf)) == pytest.approx(-want, rel=1e-12)
    flat = float(mmd2(tr.reshape(-1, 1), tf.reshape(-1, 1), bandwidths=(1.0, 2.0)))
    assert abs(flat - want) > 1e-3  # the two readings differ on these numbers
