"""``divergan report FOLDER``: one self-contained HTML page about a run or a sweep."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="write one self-contained HTML page about a run or a sweep folder",
        description="Write an HTML report (configuration, curves, samples over time, final metrics) of a "
        "run folder, finished or in progress, or of a sweep folder. Pictures are inlined: the file stands alone.",
    )
    p.add_argument("folder", metavar="RUN", help="run folder (config.json) or sweep folder (sweep.json)")
    p.add_argument("--out", metavar="FILE.html", help="where to write the page (default: RUN/report.html)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from divergan.report.html import write_report

    out = write_report(Path(args.folder), Path(args.out) if args.out else None)
    print(f"report: {out}")
    return 0
