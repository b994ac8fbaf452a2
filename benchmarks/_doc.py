"""What every benchmark script shares: writing its section of docs/benchmarks.md, and the machine line."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
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


@contextlib.contextmanager
def user_errors():
    """Inside this block a :class:`divergan.errors.UserError` (a folder that is not a run, a flag that does not
    fit) ends the script as the CLI ends: one ``error: ...`` line on stderr and exit status 2, no traceback."""
    from divergan.errors import UserError

    try:
        yield
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def machine(load: bool = True) -> str:
    """One line: processor, CPUs, torch version and (unless ``load`` is false: a table of earlier runs, whose
    loads are in their rows) the load average when the measurement finished."""
    where = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}"
    if not load:
        return where
    one, five, fifteen = os.getloadavg()
    return f"{where}, load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1 / 5 / 15 min) when it finished"


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


def add_label_option(ap, default: str = "") -> None:
    """``--label NAME``, once per run and in the runs' order: the one way the scripts that read several runs
    name their rows (``default``, if given, says what a run without labels is called)."""
    ap.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="NAME",
        help="a name for each run, in order: --label A --label B"
        + (f" (default: {default})" if default else ""),
    )


def run_labels(runs: list[Path], labels: list[str], default_to_names: bool = False) -> list[str]:
    """One label per run; with none given and ``default_to_names``, the folders' names. Any other count is a
    user's mistake (a :class:`divergan.errors.UserError`)."""
    from divergan.errors import UserError

    if not labels and default_to_names:
        return [run.name for run in runs]
    if len(labels) != len(runs):
        raise UserError(f"give one --label per run: {len(runs)} runs, {len(labels)} labels")
    return list(labels)


def parse_seeds(text: str) -> list[int]:
    """``--seeds``: a range ``0-9`` or a list ``0,3,5``."""
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(s) for s in text.split(",")]


def run_train(args: list[str]) -> dict:
    """``divergan train ARGS --quiet`` in a child process, measured by itself: wall seconds, the child's
    own CPU seconds (user + sys) and peak RSS (MiB), the load average when it started. A failed run ends
    the benchmark with one ``error:`` line."""
    cmd = [str(Path(sys.executable).with_name("divergan")), "train", *args, "--quiet"]
    load = os.getloadavg()
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"error: {' '.join(cmd)} failed")
    return {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "load_at_start": list(load),
    }
