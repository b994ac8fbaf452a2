"""Sample-quality metrics: pure math on samples (mode coverage, W1, MMD) and a registry by name.

The names below are loaded on first use (PEP 562): W1 needs POT and the estimators, which a training
run imports only when it evaluates.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from divergan.metrics.distances import mmd, w1
    from divergan.metrics.modes import mode_metrics, nearest_modes
    from divergan.metrics.registry import BASE, Metric, evaluate, get_metric, names

_WHERE = {
    **dict.fromkeys(["mmd", "w1"], "divergan.metrics.distances"),
    **dict.fromkeys(["mode_metrics", "nearest_modes"], "divergan.metrics.modes"),
    **dict.fromkeys(["BASE", "Metric", "evaluate", "get_metric", "names"], "divergan.metrics.registry"),
}

__all__ = ["BASE", "Metric", "evaluate", "get_metric", "mmd", "mode_metrics", "names", "nearest_modes", "w1"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
