"""What every benchmark script shares: writing its section of docs/benchmarks.md, and the machine line."""

from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"


def write_section(name: str, body: str, heading: str | None = None, doc: Path = DOC) -> None:
    """Replace the text between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` of ``doc``
    (docs/benchmarks.md unless told).

    An absent section is appended, under ``heading`` if given.
    """
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    if begin not in text:
        text = text.rstrip("\n") + (f"\n\n{heading}" if heading else "") + f"\n\n{begin}\n{end}\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    doc.write_text(f"{head}{begin}\n{body}\n{end}{tail}")


def machine() -> str:
    """One line: processor, CPUs, torch version and the load average when the measurement finished."""
    load = os.getloadavg()
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min) when it finished"
    )


def load_jsonl(path: Path) -> list[dict]:
    """The rows of a results file (one JSON object per line); none if it does not exist yet."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def mean_sd(values: list[float], fmt: str) -> str:
    """``mean ± standard deviation`` in the format ``fmt`` ("—" for no values, ± 0 for one)."""
    if not values:
        return "—"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):{fmt}} ± {sd:{fmt}}"


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: a range ``0-9`` or a list ``0,3,5``."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]
