"""Train a glyph preset and record what docs/applications.md shows: the judge's reading, L1, SSIM, time.

    OMP_NUM_THREADS=1 python benchmarks/apps_glyphs.py glyphs [--set key=value ...] [--figure NAME]

Runs ``divergan train --preset PRESET --set threads=1`` in a child process (its CPU time, user + sys,
is the idle-machine equivalent of the wall time when it runs on one thread), then writes
benchmarks/results/apps_glyphs-PRESET.json with the held-out metrics per target font: the glyph judge's
accuracy on the generated glyphs beside the real target glyphs and the source glyphs, L1 and SSIM of
the model and of the source-glyph baseline; ``--figure NAME`` copies the run's heldout.png to
docs/applications/NAME.png. ``--tag TAG`` writes apps_glyphs-PRESET-TAG.json instead (a screen run with
``--set``: the preset's own results stay); ``--rescore --out RUN --times CPU,WALL --judged`` records a run
trained outside (e.g. ``divergan train`` under ``/usr/bin/time``) from its final_metrics.json;
``--trajectory --out RUN --times CPU,WALL`` records a run stopped before its end (a screen cut at the
step where the preset's own trajectory is known): the judge's reading per font and the held-out L1 at
every evaluation interval of its metrics.jsonl, and their mean over ``--window A,B`` (steps A..B);
``--outline --out RUN`` trains nothing and measures the run's generated held-out glyphs beside the real
target and the source glyphs: total variation (:func:`divergan.apps.glyphs.total_variation`, l1: the ink
outline's length per neighbour pair), inked pixels (> 0) and grey pixels (|x| < 0.5), per target font
(apps_glyphs-PRESET-TAG-outline.json).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def held_out_translation(run: Path):
    """The run's glyph data and its latest generator's translation of the held-out pairs (one thread)."""
    import torch

    from divergan.api import load_generator
    from divergan.apps.glyphs import load_data, translate
    from divergan.train.runs import run_config

    torch.set_num_threads(1)
    data = load_data(run_config(run))
    return data, translate(load_generator(run), data.held_out)


def rejudge(run: Path) -> dict | None:
    """The shipped judge's scores (:func:`divergan.apps.glyphs.judge_scores`) of the run's latest generator
    on its held-out characters."""
    from divergan.apps.glyphs import judge_scores

    data, out = held_out_translation(run)
    return judge_scores(data.held_out, out, data.sources)


def outline(run: Path) -> dict:
    """Per target font of a run: the outline (l1 total variation), ink share and grey share of its
    generated held-out glyphs, the real target glyphs and the source glyphs."""
    from divergan.apps.glyphs import total_variation

    data, out = held_out_translation(run)
    pairs = data.held_out
    rows = {}
    for k, font in enumerate(pairs.targets):
        m = pairs.category == k
        images = {"generated": out[m], "real_target": pairs.target[m], "source": pairs.source[m]}
        rows[font] = {
            name: {
                "outline": round(float(total_variation(x, "l1")), 4),
                "ink": round(float((x > 0).float().mean()), 4),
                "grey": round(float((x.abs() < 0.5).float().mean()), 4),
            }
            for name, x in images.items()
        }
    return rows


def trajectory(run: Path, window: tuple[int, int]) -> dict:
    """The interval rows of a run's metrics.jsonl that carry the judge's reading: per row the step, the
    held-out L1 and the reading per font; and the mean reading per font over the steps in ``window``."""
    rows = []
    for line in (run / "metrics.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        judged = {k.removeprefix("heldout_judge_"): v for k, v in r.items() if k.startswith("heldout_judge_")}
        if judged:
            rows.append({"step": r["step"], "heldout_l1": r.get("heldout_l1"), "judge": judged})
    inside = [r for r in rows if window[0] <= r["step"] <= window[1]]
    fonts = sorted({f for r in rows for f in r["judge"]})
    mean = {f: sum(r["judge"][f] for r in inside) / len(inside) for f in fonts} if inside else {}
    return {"rows": rows, "window": list(window), "window_mean_judge": mean, "last_step": rows[-1]["step"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("preset")
    ap.add_argument("--set", action="append", default=[], dest="sets")
    ap.add_argument("--out", type=Path, default=None, help="run folder (default runs/bench-PRESET)")
    ap.add_argument("--figure", default=None)
    ap.add_argument(
        "--tag",
        default="",
        help="results file apps_glyphs-PRESET-TAG.json (e.g. a screen run with --set): the preset's own stays",
    )
    ap.add_argument(
        "--judged",
        action="store_true",
        help="with --rescore: take the judge's reading from the run's final_metrics.json (no re-rendering)",
    )
    ap.add_argument(
        "--rescore",
        action="store_true",
        help="train nothing: judge the existing run folder --out again with the current judge (keeps the times)",
    )
    ap.add_argument(
        "--times",
        default=None,
        metavar="CPU,WALL",
        help="with --rescore: the run's CPU and wall seconds, measured outside (e.g. a run trained in parts)",
    )
    ap.add_argument(
        "--trajectory",
        action="store_true",
        help="train nothing: record the per-interval judge readings of a run --out stopped before its end",
    )
    ap.add_argument("--window", default="5000,7250", help="with --trajectory: steps A,B to average over")
    ap.add_argument(
        "--outline",
        action="store_true",
        help="train nothing: outline, ink and grey share of the held-out glyphs of run --out (generated, real, source)",
    )
    args = ap.parse_args()
    name = f"apps_glyphs-{args.preset}" + (f"-{args.tag}" if args.tag else "")
    out = args.out or ROOT / "runs" / ("bench-" + name.removeprefix("apps_glyphs-"))
    if args.outline:
        if not args.out:
            ap.error("--outline needs --out RUN")
        result = {
            "preset": args.preset,
            "tag": args.tag,
            "run": args.out.name,
            "per_target": outline(args.out),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{name}-outline.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        return
    if args.trajectory:
        if not args.out or not args.times:
            ap.error("--trajectory needs --out RUN and --times CPU,WALL")
        cpu, wall = (float(t) for t in args.times.split(","))
        lo, hi = (int(t) for t in args.window.split(","))
        result = {
            "preset": args.preset,
            "tag": args.tag,
            "sets": args.sets,
            "stopped": True,
            "trajectory": trajectory(args.out, (lo, hi)),
            "cpu_seconds": cpu,
            "wall_seconds": wall,
            "load_average_at_end": os.getloadavg()[0],
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(json.dumps({k: v for k, v in result.items() if k != "trajectory"}, indent=2))
        print(json.dumps(result["trajectory"]["window_mean_judge"]))
        return
    if args.rescore and args.times:
        cpu, wall = (float(t) for t in args.times.split(","))
    elif args.rescore:
        old = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
        wall, cpu = old["wall_seconds"], old["cpu_seconds"]
    else:
        if out.exists():
            shutil.rmtree(out)
        cmd = [sys.executable, "-m", "divergan", "train", "--preset", args.preset, "--out", str(out)]
        for item in ["threads=1", "tensorboard=false", *args.sets]:
            cmd += ["--set", item]
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env)
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = round(usage.ru_utime + usage.ru_stime, 1)
    final = json.loads((out / "final_metrics.json").read_text(encoding="utf-8"))
    # the current judge on the run's latest generator, or (--judged) the reading the run wrote at its end
    judge = final.get("heldout_judge") if args.judged else rejudge(out)
    rows = {}
    for font, m in final["heldout"]["per_target"].items():
        j = (judge or {}).get(font)
        rows[font] = {
            "judge_generated": j and j["generated"],
            "judge_real_target": j and j["real_target"],
            "judge_source": j and j["source"],
            "l1": m["model"]["l1"],
            "l1_source": m["baseline_source"]["l1"],
            "ssim": m["model"]["ssim"],
            "ssim_source": m["baseline_source"]["ssim"],
            "n": m["n"],
        }
    result = {
        "preset": args.preset,
        "tag": args.tag,
        "sets": args.sets,
        "steps": final["steps"],
        "source": final["source"],
        "heldout_characters": final["heldout_characters"],
        "per_target": rows,
        "cpu_seconds": cpu,
        "wall_seconds": round(wall, 1),
        "train_seconds": round(final["train_seconds"], 1),
        "load_average_at_end": os.getloadavg()[0],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.figure:
        shutil.copy(out / "heldout.png", ROOT / "docs" / "applications" / f"{args.figure}.png")


if __name__ == "__main__":
    main()
