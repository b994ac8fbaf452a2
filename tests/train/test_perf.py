"""Speed helpers: the phase timer, torch.compile's fallback, and the constant-slope leaky ReLU."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from divergan.nn import MLP
from divergan.nn.mlp import LeakyReLU
from divergan.objectives.penalties import gradient_penalty
from divergan.train import apply_overrides, preset, train
from divergan.train.perf import PhaseTimer, adam, compiled


def test_timer_sums_calls_and_prints_a_table():
    timer = PhaseTimer()
    for _ in range(3):
        with timer("a"):
            pass
    timer.add("b", 2.0)
    assert timer.calls == {"a": 3, "b": 1} and timer.seconds["b"] == 2.0
    table = timer.table(4.0)
    assert table.splitlines()[0].split() == ["phase", "seconds", "share", "calls", "ms/call"]
    assert " 50.0%" in table.splitlines()[1] and table.splitlines()[1].startswith("b")
    assert "(other)" in table and table.splitlines()[-1].split() == ["total", "4.000"]


def test_a_disabled_timer_records_nothing():
    timer = PhaseTimer(enabled=False)
    with timer("a"):
        pass
    timer.add("b", 1.0)
    assert timer.seconds == {} and timer.calls == {}


def test_compile_off_returns_the_module_itself():
    net = nn.Linear(2, 3)
    assert compiled(net, False) is net


def test_compile_failing_at_first_call_falls_back_to_eager(monkeypatch, capsys):
    def broken(module, **kwargs):
        def fn(x):
            raise RuntimeError("no compiler here\nmore detail")

        return fn

    monkeypatch.setattr(torch, "compile", broken)
    net = nn.Linear(2, 3)
    fn = compiled(net, True)
    x = torch.randn(4, 2)
    assert torch.equal(fn(x), net(x)) and torch.equal(fn(x), net(x))
    err = capsys.readouterr().err
    assert err.count("warning: torch.compile failed (no compiler here)") == 1


def test_compile_unavailable_falls_back_to_eager(monkeypatch, capsys):
    def unavailable(module, **kwargs):
        raise RuntimeError("unsupported platform")

    monkeypatch.setattr(torch, "compile", unavailable)
    net = nn.Linear(2, 3)
    assert compiled(net, True) is net
    assert "torch.compile unavailable" in capsys.readouterr().err


def test_a_run_with_failing_compile_equals_the_eager_run(tmp_path, monkeypatch):
    cfg = [
        "steps=6",
        "plot=false",
        "eval_samples=100",
        "sampler=direct",
        "threads=1",
        "g_width=16",
        "d_width=16",
    ]
    eager = train(apply_overrides(preset("quick"), cfg), tmp_path / "a", progress=False)
    monkeypatch.setattr(
        torch, "compile", lambda module, **kw: lambda x: (_ for _ in ()).throw(RuntimeError("x"))
    )
    fallback = train(apply_overrides(preset("quick"), [*cfg, "compile=true"]), tmp_path / "b", progress=False)
    assert fallback["direct"] == eager["direct"]


def test_constant_slope_leaky_relu_is_bitwise_nn_leaky_relu():
    x = torch.randn(1000, dtype=torch.float64, requires_grad=True)
    ours, ref = LeakyReLU(0.2)(x), nn.LeakyReLU(0.2)(x)
    assert ours.dtype == torch.float64 and torch.equal(ours, ref)
    (g1,) = torch.autograd.grad(ours.sum(), x)
    (g2,) = torch.autograd.grad(ref.sum(), x)
    assert torch.equal(g1, g2)


def test_gradient_penalty_parameter_gradients_are_unchanged_and_skip_the_forward_pass():
    torch.manual_seed(0)
    ours = MLP(2, 1, 64, 3, "leaky_relu", squeeze=True)
    ref = MLP(2, 1, 64, 3, "leaky_relu", squeeze=True)
    ref.load_state_dict(ours.state_dict())
    for i, layer in enumerate(ref.net):
        if isinstance(layer, LeakyReLU):
            ref.net[i] = nn.LeakyReLU(0.2)
    real, fake, eps = torch.randn(32, 2), torch.randn(32, 2), torch.rand(32)
    grads = []
    for net in (ours, ref):
        loss = gradient_penalty(net, real, fake, weight=1.0, epsilon=eps)
        params = list(net.parameters())
        got = torch.autograd.grad(loss, params, allow_unused=True)
        grads.append([torch.zeros_like(p) if g is None else g for g, p in zip(got, params, strict=True)])
    for a, b in zip(*grads, strict=True):
        assert torch.equal(a, b)  # (the first bias: None here, a tensor of zeros pushed back there)
    # ∇ₓV no longer depends on x through the activations: the penalty's graph skips the forward pass
    x = torch.randn(8, 2, requires_grad=True)
    (g,) = torch.autograd.grad(ours(x).sum(), x, create_graph=True)
    assert torch.autograd.grad(g.sum(), x, allow_unused=True)[0] is None


def test_threads_is_validated_and_restored(tmp_path):
    from divergan.errors import UserError

    with pytest.raises(UserError, match="threads"):
        apply_overrides(preset("quick"), ["threads=-1"])
    before = torch.get_num_threads()
    cfg = apply_overrides(
        preset("quick"), ["steps=3", "plot=false", "eval_samples=100", "threads=1", "sampler=direct"]
    )
    train(cfg, tmp_path / "r", progress=False)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("sampler", ["direct", "drs"])
def test_a_direct_sampler_run_fits_no_ratio_critic(tmp_path, sampler):
    """The default preset's direct sampler needs no density ratio: no ratio critic is built, fitted or
    saved (the end of a run does only what its sampler needs); a density-ratio sampler fits one."""
    from divergan.train import checkpoint as ckpt

    cfg = apply_overrides(
        preset("default"),
        ["steps=3", "plot=false", "tensorboard=false", "eval_samples=100", "threads=1", "ratio_steps=3"],
    )
    cfg.sampler = sampler
    timer = PhaseTimer()
    train(cfg, tmp_path / "r", progress=False, timer=timer)
    tensors, _ = ckpt.load(ckpt.latest(tmp_path / "r"))
    fitted = "final: ratio critic" in timer.seconds
    saved = any(k.startswith("R.") for k in tensors)
    assert (fitted, saved) == ((False, False) if sampler == "direct" else (True, True))


def _adam_trajectories(
    lr_fused: float, steps: int = 50
) -> tuple[list[torch.Tensor], list[torch.Tensor], float]:
    g = torch.Generator().manual_seed(0)
    start = [torch.randn(64, 32, generator=g), torch.randn(32, generator=g)]
    grads = [[torch.randn_like(s) for s in start] for _ in range(steps)]
    fused = [s.clone().requires_grad_(True) for s in start]
    plain = [s.clone().requires_grad_(True) for s in start]
    opt_f = adam(fused, lr=lr_fused, betas=(0.5, 0.9))
    opt_p = torch.optim.Adam(plain, lr=1e-2, betas=(0.5, 0.9))
    assert opt_f.defaults["fused"] is True and not opt_p.defaults["fused"]
    for step_grads in grads:
        for f, p, gr in zip(fused, plain, step_grads, strict=True):
            f.grad, p.grad = gr.clone(), gr.clone()
        opt_f.step()
        opt_p.step()
    # round-off: each step may differ by a few float32 ulps of the parameter (|p| < 5 here), and
    # such differences add up over the steps; far below one step's size (about lr = 1e-2)
    bound = steps * 8 * torch.finfo(torch.float32).eps * 5.0
    return [f.detach() for f in fused], [p.detach() for p in plain], bound


def test_fused_adam_is_torch_adam_to_round_off():
    fused, plain, bound = _adam_trajectories(lr_fused=1e-2)
    assert max(float((f - p).abs().max()) for f, p in zip(fused, plain, strict=True)) <= bound
    # negative control: a learning rate 1 % off is far outside that bound
    fused, plain, bound = _adam_trajectories(lr_fused=1.01e-2)
    assert max(float((f - p).abs().max()) for f, p in zip(fused, plain, strict=True)) > 10 * bound


def test_adam_falls_back_where_torch_has_no_fused_kernel(monkeypatch):
    real_adam = torch.optim.Adam

    def no_fused(params, **kwargs):
        if kwargs.get("fused"):
            raise RuntimeError("`fused=True` requires all the params to be floating point Tensors")
        return real_adam(params, **kwargs)

    monkeypatch.setattr(torch.optim, "Adam", no_fused)
    opt = adam([nn.Parameter(torch.zeros(3))], lr=1e-3, betas=(0.5, 0.9))
    assert isinstance(opt, real_adam) and not opt.defaults["fused"]
