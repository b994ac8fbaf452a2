"""The ``mnist`` presets end to end: wall time, peak memory and the image metrics; writes docs/benchmarks.md.

Each preset runs as a user runs it, ``divergan train --preset NAME`` in a child process (its peak RSS
from ``wait4``), then its ``final_metrics.json`` becomes a row of the table. The final sample grid,
interpolation and latent arithmetic of each are copied to docs/images/ (``PRESET-samples.png``, …;
with ``--set`` options only ``PRESET-KEY-VALUE-samples.png``). Rows of earlier invocations (another preset,
or other ``--set`` options) stay in the table; a rerun of the same preset and options replaces its row.

    .venv/bin/python benchmarks/mnist_preset.py --presets mnist,mnist-unconditional
    .venv/bin/python benchmarks/mnist_preset.py --presets mnist-unconditional --set pack=2
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _doc import ROOT, machine, write_section

IMAGES = ROOT / "docs" / "images"
RESULTS = ROOT / "benchmarks" / "results" / "mnist_preset.json"


def stem(name: str, extra: list[str]) -> str:
    """The figures' file stem: the preset, then each ``--set KEY=VALUE`` as ``-KEY-VALUE``."""
    return name + "".join("-" + a.replace("=", "-") for a in extra if a != "--set")


def run_preset(name: str, extra: list[str]) -> dict:
    """Train one preset in a child process; its final metrics, wall seconds and peak RSS (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        cmd = [str(Path(sys.executable).with_name("divergan")), "train", "--preset", name, "--out", str(run)]
        cmd += ["--quiet", *extra]
        t0 = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own resource usage
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"error: {' '.join(cmd)} failed")
        final = json.loads((run / "final_metrics.json").read_text())
        IMAGES.mkdir(parents=True, exist_ok=True)
        for figure in ("samples", "interpolation", "arithmetic") if not extra else ("samples",):
            shutil.copyfile(run / f"{figure}.png", IMAGES / f"{stem(name, extra)}-{figure}.png")
    return {
        "preset": name,
        "extra": extra,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,  # the child's own CPU time (user + sys)
        "train_s": final["train_seconds"],
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "metrics": final["direct"],
        "machine": machine(),
    }


def table(rows: list[dict]) -> str:
    head = (
        "| preset | wall s (training) | CPU s | peak RSS MiB | classes 0–9 of the samples | KL to uniform "
        "| requested class recognised | FD | KID | precision / recall | density / coverage "
        "| NN distance samples / held-out (ratio) | copies |"
    )
    out = [head, "|" + "---|" * 13]
    for r in rows:
        m = r["metrics"]
        acc = f"{100 * m['label_accuracy']:.1f}%" if "label_accuracy" in m else "—"
        name = r["preset"] + (" " + " ".join(r["extra"]) if r["extra"] else "")
        cpu = f"{r['cpu_s']:.0f}" if "cpu_s" in r else "—"
        out.append(
            f"| `{name}` | {r['wall_s']:.0f} ({r['train_s']:.0f}) | {cpu} | {r['peak_rss_mib']:.0f} "
            f"| {', '.join(map(str, m['class_histogram']))} | {m['kl_uniform']:.3f} | {acc} "
            f"| {m['fd']:.3f} | {m['kid_mean']:.4f} ± {m['kid_std']:.4f} "
            f"| {m['precision']:.3f} / {m['recall']:.3f} | {m['density']:.3f} / {m['coverage']:.3f} "
            f"| {m['nn_fake_median']:.2f} / {m['nn_held_out_median']:.2f} ({m['memorisation_ratio']:.2f}) "
            f"| {100 * m['copy_fraction']:.2f}% |"
        )
    real = rows[0]["metrics"]["real_class_histogram"]
    out += [
        "",
        f"{rows[0]['metrics']['num_fake']:,} EMA samples per run against {rows[0]['metrics']['num_real']:,} "
        f"training digits, whose classes are {', '.join(map(str, real))}. CPU s: the child process's "
        "user + sys time (— where not recorded). Machine, per row:",
        "",
        *[
            f"- `{r['preset']}{' ' + ' '.join(r['extra']) if r['extra'] else ''}`: {r['machine']}"
            for r in rows
        ],
    ]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--presets", default="mnist,mnist-unconditional", help="comma-separated preset names")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to every run")
    args = ap.parse_args()
    extra = [a for kv in args.set for a in ("--set", kv)]
    rows = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    for name in args.presets.split(","):
        row = run_preset(name, extra)
        print(json.dumps(row), flush=True)
        same = [i for i, r in enumerate(rows) if (r["preset"], r["extra"]) == (name, extra)]
        if same:
            rows[same[0]] = row
        else:
            rows.append(row)
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    write_section("mnist-preset", table(rows))


if __name__ == "__main__":
    main()
