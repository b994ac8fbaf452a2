"""Speed helpers for the training loop: a phase timer for ``divergan train --profile`` and an optional,
fail-safe ``torch.compile``.

The timer only reads the clock around phases (CPU ops are synchronous, so wall time per phase is
exact); it never touches tensors or random numbers, so a profiled run gives the same results.

>>> timer = PhaseTimer()
>>> with timer("critic forward"):
...     pass
>>> timer.calls["critic forward"]
1
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import torch
from torch import Tensor, nn

_OFF = nullcontext()


class _Span:
    __slots__ = ("name", "t0", "timer")

    def __init__(self, timer: PhaseTimer, name: str) -> None:
        self.timer, self.name = timer, name

    def __enter__(self) -> None:
        self.t0 = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.timer.add(self.name, time.perf_counter() - self.t0)


class PhaseTimer:
    """Wall seconds and call counts per named phase; ``timer(name)`` is a context manager.

    A disabled timer (``PhaseTimer(enabled=False)``) hands out one shared no-op context.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def __call__(self, name: str):
        return _Span(self, name) if self.enabled else _OFF

    def add(self, name: str, seconds: float) -> None:
        """Record one call of ``name`` that took ``seconds`` (for phases timed by hand)."""
        if self.enabled:
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            self.calls[name] = self.calls.get(name, 0) + 1

    def table(self, total: float | None = None) -> str:
        """The phases by time spent: seconds, share of ``total`` (default: their sum), calls, ms per call."""
        total = total if total is not None else sum(self.seconds.values())
        width = max([len(n) for n in self.seconds] + [len("phase")])
        lines = [f"{'phase':<{width}}  {'seconds':>9}  {'share':>6}  {'calls':>7}  {'ms/call':>9}"]
        for name, sec in sorted(self.seconds.items(), key=lambda kv: -kv[1]):
            share = 100.0 * sec / total if total > 0 else 0.0
            calls = self.calls[name]
            lines.append(f"{name:<{width}}  {sec:9.3f}  {share:5.1f}%  {calls:7d}  {1000 * sec / calls:9.3f}")
        rest = total - sum(self.seconds.values())
        if rest > 0:
            lines.append(f"{'(other)':<{width}}  {rest:9.3f}  {100.0 * rest / total:5.1f}%")
        lines.append(f"{'total':<{width}}  {total:9.3f}")
        return "\n".join(lines)


class _CompiledOrEager:
    """Calls the compiled module; on the first error says so once and uses the eager module from then on."""

    def __init__(self, compiled: Callable[[Tensor], Tensor], eager: nn.Module) -> None:
        self.compiled: Callable[[Tensor], Tensor] | None = compiled
        self.eager = eager

    def __call__(self, x: Tensor) -> Tensor:
        if self.compiled is not None:
            try:
                return self.compiled(x)
            except Exception as exc:  # any compiler failure means: run eagerly
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                print(f"warning: torch.compile failed ({first}); running eagerly", file=sys.stderr)
                self.compiled = None
        return self.eager(x)


def forward_flops(net: nn.Module, *inputs: Tensor) -> tuple[float, Tensor]:
    """(matmul and convolution FLOPs of ``net(*inputs)``, its output), counted by hooks on its layers.

    ``nn.Linear``: 2·in·out per row; a convolution: 2·(weight entries) per output position
    (per input position for a transposed one). Elementwise work is not counted.
    """
    total = 0.0

    def hook(module: nn.Module, args: tuple, out: Tensor) -> None:
        nonlocal total
        weights = module.weight.numel()  # type: ignore[union-attr]
        if isinstance(module, nn.Linear):
            total += 2.0 * weights * (out.numel() // module.out_features)
        elif isinstance(module, nn.modules.conv._ConvTransposeNd):
            total += 2.0 * weights * (args[0].numel() // module.in_channels)
        else:  # a convolution
            total += 2.0 * weights * (out.numel() // module.out_channels)  # type: ignore[operator]

    kinds = (nn.Linear, nn.modules.conv._ConvNd)
    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, kinds)]
    try:
        out = net(*inputs)
    finally:
        for h in handles:
            h.remove()
    return total, out


def step_flops(cfg: Any, networks: Callable[[Any, Any, Any], tuple[nn.Module, nn.Module | None]]) -> float:
    """FLOPs of one generator iteration of ``cfg`` (0 if they cannot be counted), for the thread policy.

    ``networks(cfg, dataset, objective)`` builds (G, D) (``loop.build_networks``). Counted by
    :func:`forward_flops` on one forward pass of G and D for two samples, scaled: each critic step runs
    G on a batch and D on twice that, each generator step G and D on a batch, and a backward pass costs
    about twice its forward (3x in all). The global random state is left as it was.
    """
    from divergan.data import get_dataset
    from divergan.objectives import get_objective

    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            data = get_dataset(cfg.data, **cfg.data_params)
            g, d = networks(cfg, data, get_objective(cfg.objective, **cfg.objective_params))
            y = (torch.zeros(2, dtype=torch.long),) if cfg.conditioned else ()
            fg, fake = forward_flops(g.eval(), torch.randn(2, cfg.z_dim), *y)
            fd = forward_flops(d.eval(), fake, *y)[0] if d is not None else 0.0
    except Exception:  # a network this count does not know how to call: unknown
        return 0.0
    fg, fd = fg / 2, fd / 2
    critic = cfg.critic_steps * (fg + 2 * fd) if fd else 0.0
    return 3.0 * cfg.batch * (critic + cfg.generator_steps * (fg + fd))


def adam(params: Any, lr: float, betas: tuple[float, float], eps: float = 1e-8) -> torch.optim.Adam:
    """``torch.optim.Adam(params, lr, betas, eps)`` with torch's fused kernel (one pass over each parameter).

    The same update as the default implementation, which on the CPU runs about ten elementwise
    operations per parameter tensor: measured on the ``wgan-gp-toy`` critic (527k parameters, one
    thread) 0.33 ms per step against 1.6-3.0 ms (docs/benchmarks.md). The results agree to float
    round-off (the kernel orders its arithmetic differently), not bit for bit. Where torch has no
    fused kernel for the parameters (their device or dtype), the default implementation is used.
    """
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps, fused=True)
    except RuntimeError:  # fused=True needs floating-point parameters on a device with the kernel
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)


def compiled(module: nn.Module, enabled: bool) -> Callable[[Tensor], Tensor]:
    """``module``'s forward, through ``torch.compile`` if ``enabled``; falls back to eager on any failure.

    The compiled callable shares the module's parameters (state dicts and checkpoints are unchanged).
    Only first-order gradients go through it: never use it where a double backward is needed (the
    gradient penalty), which AOTAutograd does not support.
    """
    if not enabled:
        return module
    try:
        fn = torch.compile(module, dynamic=False)
    except Exception as exc:
        print(f"warning: torch.compile unavailable ({exc}); running eagerly", file=sys.stderr)
        return module
    return _CompiledOrEager(fn, module)
