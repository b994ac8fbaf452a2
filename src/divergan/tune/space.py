"""A search space: ``KEY=SPEC`` items for any key ``--set`` accepts, parsed and checked before any trial.

SPEC forms (``a`` and ``b`` are numbers, ``a < b``):

- ``log:a..b``   a number drawn log-uniformly from [a, b] (a > 0); a whole number for integer keys;
- ``float:a..b`` a number drawn uniformly from [a, b];
- ``int:a..b``   a whole number from a to b, both included;
- ``choice:x,y,z`` one of the listed values (strings, coerced to the key's type like ``--set``).

>>> p = parse_item("lr_d=log:1e-5..1e-3")
>>> p.key, p.kind, p.low, p.high
('lr_d', 'log', 1e-05, 0.001)
>>> parse_item("objective=choice:hinge,wgan-gp").choices
('hinge', 'wgan-gp')

This module does not import Optuna; :func:`suggest` takes an Optuna trial.
"""

from __future__ import annotations

import copy
import json
import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from divergan.errors import UserError
from divergan.train.config import Config, apply_overrides, field_types

KINDS = ("log", "float", "int", "choice")


@dataclass(frozen=True)
class Param:
    """One searched key: ``kind`` in KINDS, a range [low, high] or the choices."""

    key: str
    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def spec(self) -> str:
        """The item as it was written, normalised (``key=kind:...``)."""
        if self.kind == "choice":
            return f"{self.key}=choice:{','.join(self.choices)}"
        return f"{self.key}={self.kind}:{_num(self.low)}..{_num(self.high)}"


def _num(x: float | None) -> str:
    return str(int(x)) if x is not None and float(x).is_integer() and abs(x) < 1e15 else repr(x)


def _number(text: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--space {item!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise UserError(f"--space {item!r}: {text!r} is not a finite number")
    return value


def parse_item(item: str) -> Param:
    """Parse one ``KEY=SPEC``; raises UserError for a malformed item (the key is checked by :func:`check`)."""
    key, sep, spec = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UserError(f"--space takes KEY=SPEC (e.g. lr_d=log:1e-5..1e-3), got {item!r}")
    kind, sep, rest = spec.partition(":")
    kind = kind.strip()
    if not sep or kind not in KINDS:
        raise UserError(
            f"--space {item!r}: SPEC must be log:A..B, float:A..B, int:A..B or choice:X,Y,...; got {spec!r}"
        )
    if kind == "choice":
        choices = tuple(c.strip() for c in rest.split(","))
        if not rest.strip() or any(not c for c in choices):
            raise UserError(
                f"--space {item!r}: choice needs comma-separated values, e.g. choice:hinge,wgan-gp"
            )
        if len(set(choices)) != len(choices):
            raise UserError(f"--space {item!r}: a choice is listed twice")
        return Param(key, kind, choices=choices)
    lo_text, sep, hi_text = rest.partition("..")
    if not sep:
        raise UserError(f"--space {item!r}: a range is written A..B, e.g. {kind}:1..5")
    low, high = _number(lo_text.strip(), item), _number(hi_text.strip(), item)
    if not low < high:
        raise UserError(f"--space {item!r}: the range must have A < B")
    if kind == "log" and low <= 0:
        raise UserError(f"--space {item!r}: a log range must be positive")
    if kind == "int" and not (low.is_integer() and high.is_integer()):
        raise UserError(f"--space {item!r}: int ranges take whole numbers")
    return Param(key, kind, low, high)


def load_file(path: str | Path) -> list[str]:
    """``KEY=SPEC`` items from a JSON (or, if PyYAML is installed, YAML) file mapping keys to SPECs.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
    ...     _ = f.write('{"lr_d": "log:1e-5..1e-3", "critic_steps": "int:1..5"}')
    >>> load_file(f.name); os.unlink(f.name)
    ['lr_d=log:1e-5..1e-3', 'critic_steps=int:1..5']
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"--space-file: file not found: {p}")
    text = p.read_text()
    if p.suffix in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped]
        except ImportError:
            raise UserError("--space-file: YAML needs PyYAML (pip install pyyaml); or write JSON") from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UserError(f"--space-file: {p} is not valid YAML: {str(exc).splitlines()[0]}") from None
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"--space-file: {p} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or not data:
        raise UserError(f'--space-file: {p} must map keys to SPECs, e.g. {{"lr_d": "log:1e-5..1e-3"}}')
    items = []
    for key, spec in data.items():
        if isinstance(spec, list):  # a YAML/JSON list is a choice
            spec = "choice:" + ",".join(str(v) for v in spec)
        if not isinstance(spec, str):
            raise UserError(f"--space-file: {p}: the SPEC of {key!r} must be a string such as 'int:1..5'")
        items.append(f"{key}={spec}")
    return items


def _field_kind(key: str) -> Any:
    """int, float, bool or str for a Config field; None for objective.K / data.K parameters."""
    if key.startswith(("objective.", "data.")):
        return None
    types_ = field_types()
    if key not in types_ or key.endswith("_params"):
        keys = ", ".join(k for k in types_ if not k.endswith("_params"))
        raise UserError(f"--space: unknown config key {key!r}; keys are: {keys}, objective.NAME, data.NAME")
    kind = types_[key]
    return kind if kind in (int, float, bool, str) else typing.get_origin(kind)


def values(param: Param) -> list[str]:
    """The values checked before the search: both ends of a range, every choice."""
    if param.kind == "choice":
        return list(param.choices)
    cast = (lambda x: str(int(x))) if param.kind == "int" else repr
    return [cast(param.low), cast(param.high)]


def assign(base: Config, params: dict[str, Any]) -> Config:
    """A copy of ``base`` with ``params`` (key -> value) applied like ``--set``, validated.

    A new ``objective`` (or ``data``) drops the base's objective (data) parameters, as ``--objective``
    does, before any ``objective.K`` is set.
    """
    return apply_overrides(copy.deepcopy(base), [f"{k}={v}" for k, v in params.items()])


def check(params: list[Param], base: Config) -> None:
    """Every key is known, of a kind its SPEC can draw, and every end/choice is a valid value for it.

    Objective names (and their parameters) are checked by building the objective.
    """
    from divergan.objectives import get_objective

    seen: set[str] = set()
    for p in params:
        if p.key in seen:
            raise UserError(f"--space: {p.key} is given twice")
        seen.add(p.key)
        kind = _field_kind(p.key)
        if kind is int and p.kind == "float":
            raise UserError(f"--space {p.spec}: {p.key} is a whole number; use int:A..B or log:A..B")
        if kind in (bool, str) and p.kind != "choice":
            raise UserError(f"--space {p.spec}: {p.key} takes choice:X,Y,...")
        if kind is int and p.kind == "log" and not (p.low.is_integer() and p.high.is_integer()):  # type: ignore[union-attr]
            raise UserError(f"--space {p.spec}: {p.key} is a whole number; give whole-number ends")
        for value in values(p):
            try:
                cfg = assign(base, {p.key: value})
                if p.key == "objective" or p.key.startswith("objective."):
                    get_objective(cfg.objective, **cfg.objective_params)
            except UserError as exc:
                raise UserError(f"--space {p.spec}: {p.key}={value}: {exc}") from None


def suggest(trial: Any, params: list[Param], base: Config) -> dict[str, Any]:
    """Draw every parameter from an Optuna trial; returns key -> value (as ``--set`` would take it)."""
    out: dict[str, Any] = {}
    for p in params:
        kind = _field_kind(p.key)
        whole = kind is int or (kind is None and p.kind == "int")
        if p.kind == "choice":
            out[p.key] = trial.suggest_categorical(p.key, list(p.choices))
        elif whole:
            out[p.key] = trial.suggest_int(p.key, int(p.low), int(p.high), log=p.kind == "log")
        else:
            out[p.key] = trial.suggest_float(p.key, p.low, p.high, log=p.kind == "log")
    return out
