"""Parsing the keyword parameters of registry entries (datasets, objectives), from numbers or strings.

Both helpers raise :class:`~divergan.errors.UserError` with one line naming the entry, e.g.
``objective 'wgan-gp': weight must lie in [0, inf], got -1``.
"""

from __future__ import annotations

import math
from typing import Any

from divergan.errors import UserError


def take(kind: str, name: str, given: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Merge ``given`` over ``defaults`` (None means "use the default"); reject unknown keys.

    >>> take("dataset", "swissroll", {"noise": None}, {"noise": 0.25})
    {'noise': 0.25}
    """
    given = {k: v for k, v in given.items() if v is not None}
    extra = sorted(set(given) - set(defaults))
    if extra:
        takes = ", ".join(defaults) if defaults else "no parameters"
        raise UserError(f"{kind} {name!r} takes no parameter {', '.join(extra)} (it takes: {takes})")
    return {**defaults, **given}


def number(
    kind: str,
    name: str,
    key: str,
    value: Any,
    lo: float = -math.inf,
    hi: float = math.inf,
    *,
    open_: bool = False,
    integer: bool = False,
) -> float:
    """A finite float in [lo, hi] ((lo, hi) if ``open_``; a whole number if ``integer``).

    >>> number("objective", "wgan-gp", "weight", "10", 0)
    10.0
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{kind} {name!r}: {key} must be a number, got {value!r}") from None
    inside = (lo < x < hi) if open_ else (lo <= x <= hi)
    if not math.isfinite(x) or not inside or (integer and x != int(x)):
        lb, rb = ("(", ")") if open_ else ("[", "]")
        what = "a whole number" if integer else "a number"
        raise UserError(f"{kind} {name!r}: {key} must be {what} in {lb}{lo:g}, {hi:g}{rb}, got {value!r}")
    return x
