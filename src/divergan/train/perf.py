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
