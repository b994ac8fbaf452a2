"""What a lab experiment is: a claim of the source notes, a function that measures it, and a result on disk.

An experiment's ``measure(ctx)`` returns a plain dict with at least ``measured`` (holding ``checks``,
a dict of named sub-claims → bool), ``expected`` and ``tolerance``. :func:`run_experiment` derives the
verdict by one rule for every experiment, ``holds = all(checks)``, lists the failing sub-claims under
``failing``, adds the claim, the options and the wall time, writes ``result.json`` beside the figures in
``ctx.out`` and returns it. An experiment does not return ``holds`` itself, so none can drop a sub-claim.
Figures are drawn on :class:`matplotlib.figure.Figure` objects directly (the Agg canvas, no pyplot
state), so experiments run headless and in parallel.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure


@dataclass(frozen=True)
class Context:
    """Options of one run: ``quick`` (≤ 60 s on 2 cores), the ``seed`` and the output folder."""

    quick: bool
    seed: int
    out: Path

    def generator(self, offset: int = 0) -> torch.Generator:
        """A fresh torch generator seeded by ``seed + offset`` (every stream is explicit)."""
        return torch.Generator().manual_seed(self.seed + offset)

    def rng(self, offset: int = 0) -> np.random.Generator:
        """A fresh numpy generator seeded by ``seed + offset``."""
        return np.random.default_rng(self.seed + offset)

    def save(self, fig: Figure, name: str) -> str:
        """Write ``fig`` as ``out/name`` (PNG; 90 dpi in quick mode, 160 otherwise); returns the file name."""
        self.out.mkdir(parents=True, exist_ok=True)
        fig.savefig(self.out / name, dpi=90 if self.quick else 160, bbox_inches="tight")
        return name


@dataclass(frozen=True)
class Experiment:
    """One theoretical claim, runnable.

    Attributes:
        name: registry name (``divergan lab NAME``).
        title: one line for ``divergan lab list``.
        claim: the statement, with the seed and the equation it comes from.
        measure: ``measure(ctx) -> dict`` with ``measured`` (including ``checks``: name -> bool),
            ``expected``, ``tolerance`` (and ``figures``, a list of file names in ``ctx.out``); no ``holds``.
    """

    name: str
    title: str
    claim: str
    measure: Callable[[Context], dict[str, Any]]


def plain(value: Any) -> Any:
    """Numbers, arrays and tensors as JSON-ready Python values (inf stays a float)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return plain(value.detach().cpu().tolist())
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value) if math.isfinite(value) or math.isinf(value) else None
    return value


def checks_of(body: dict[str, Any]) -> dict[str, bool]:
    """The named sub-claims of a ``measure`` result: ``body["measured"]["checks"]``.

    Raises:
        TypeError: when the result has no non-empty ``checks`` or returns its own ``holds`` (the verdict
            is derived here, by one rule, so that no sub-claim can be left out of it).
    """
    if "holds" in body:
        raise TypeError("measure() must not return 'holds': it is derived from measured['checks']")
    checks = body.get("measured", {}).get("checks") if isinstance(body.get("measured"), dict) else None
    if not isinstance(checks, dict) or not checks:
        raise TypeError("measure() must report measured['checks'], a non-empty dict of name -> bool")
    return {str(k): bool(v) for k, v in checks.items()}


def verdict(checks: dict[str, bool]) -> tuple[bool, list[str]]:
    """(holds, failing): the claim holds iff every sub-claim does; ``failing`` names those that do not."""
    failing = [name for name, ok in checks.items() if not ok]
    return not failing, failing


def run_experiment(
    experiment: Experiment, quick: bool = False, seed: int = 0, out: Path | None = None
) -> dict:
    """Run one experiment and write ``result.json`` (and its figures) to ``out``.

    Returns:
        The result: ``name``, ``claim``, ``measured``, ``expected``, ``holds`` (= every check holds),
        ``failing`` (the checks that do not), ``tolerance``, ``figures``, ``quick``, ``seed``, ``seconds``
        and whatever else the experiment reports.
    """
    out = Path(out) if out is not None else Path("runs") / "lab" / experiment.name
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(quick=quick, seed=seed, out=out)
    start = time.perf_counter()
    threads = torch.get_num_threads()
    # the lab's networks are tiny: one thread is faster than several fighting over shared cores
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):  # leave the caller's global stream untouched
            torch.manual_seed(seed)
            body = experiment.measure(ctx)
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - start
    holds, failing = verdict(checks_of(body))
    result = {
        "name": experiment.name,
        "claim": experiment.claim,
        **plain(body),
        "holds": holds,
        "failing": failing,
        "quick": quick,
        "seed": seed,
        "seconds": round(seconds, 3),
    }
    (out / "result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result
