"""A search's files: ``best_config.json``, ``trials.csv`` and ``report.html`` (written atomically, since
several workers may finish at once), and the text table.

The HTML page holds Optuna's plotly figures when plotly is installed; otherwise matplotlib figures
(the optimisation history, each parameter against the metric, the pruner's intermediate values)
embedded as PNG, and the table of trials.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from divergan.tune.search import _fmt, _seconds, best_config, best_trial


def _atomic_write(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as fh:
        fh.write(text)
        tmp = fh.name
    os.replace(tmp, path)


def sorted_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Completed trials best first, then pruned, running, failed (by number)."""
    trials = study.get_trials(deepcopy=False)
    sign = -1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1.0
    done = sorted(
        (t for t in trials if t.state == TrialState.COMPLETE and t.value is not None),
        key=lambda t: (sign * t.value, t.number),  # type: ignore[operator]
    )
    order = (TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING, TrialState.FAIL)
    rest = [t for s in order for t in trials if t.state == s]
    return done + rest


def _columns(trials: list[FrozenTrial]) -> list[str]:
    return list(dict.fromkeys(k for t in trials for k in t.params))


def text_table(trials: list[FrozenTrial], metric: str) -> str:
    keys = _columns(trials)
    header = ["trial", "state", metric, *keys, "seconds"]
    rows = [header]
    for t in trials:
        secs = _seconds(t)
        rows.append(
            [
                str(t.number),
                t.state.name.lower(),
                _fmt(t.value) if t.value is not None else "-",
                *(_fmt(t.params[k]) if k in t.params else "-" for k in keys),
                f"{secs:.1f}" if secs is not None else "-",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return (
        "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows) + "\n"
    )


def csv_text(study: optuna.Study, metric: str) -> str:
    """One row per trial, by number: state, value, last intermediate value, params, seconds, run, error."""
    trials = study.get_trials(deepcopy=False)
    keys = _columns(trials)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["number", "state", metric, "last_step", "last_intermediate", *keys, "seconds", "run", "error"]
    )
    for t in trials:
        last = max(t.intermediate_values) if t.intermediate_values else None
        secs = _seconds(t)
        w.writerow(
            [
                t.number,
                t.state.name,
                "" if t.value is None else repr(t.value),
                "" if last is None else last,
                "" if last is None else repr(t.intermediate_values[last]),
                *(t.params.get(k, "") for k in keys),
                "" if secs is None else f"{secs:.3f}",
                t.user_attrs.get("run", ""),
                t.user_attrs.get("error", ""),
            ]
        )
    return buf.getvalue()


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _matplotlib_figures(study: optuna.Study, metric: str) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trials = study.get_trials(deepcopy=False)
    done = [
        t for t in trials if t.state == TrialState.COMPLETE and t.value is not None and math.isfinite(t.value)
    ]
    out = []
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if done:
        xs, ys = [t.number for t in done], [t.value for t in done]
        best, run = [], None
        for y in ys:
            run = y if run is None else (max(run, y) if maximize else min(run, y))
            best.append(run)
        ax.plot(xs, ys, "o", label="completed trial")
        ax.step(xs, best, where="post", label="best so far")
        ax.legend()
    ax.set(xlabel="trial", ylabel=metric, title="optimisation history")
    out.append(_png(fig))
    plt.close(fig)
    keys = _columns(done)
    if keys:
        fig, axes = plt.subplots(
            1, len(keys), figsize=(3.4 * len(keys), 3), squeeze=False, sharey=True, layout="constrained"
        )
        for ax, key in zip(axes[0], keys, strict=True):
            pts = [(t.params[key], t.value) for t in done if key in t.params]
            xs: list = [p[0] for p in pts]
            label = key
            if all(isinstance(x, int | float) for x in xs):
                if getattr(done[0].distributions.get(key), "log", False):
                    xs, label = [math.log10(x) for x in xs], f"log10 {key}"
            else:
                xs = [str(x) for x in xs]
            ax.plot(xs, [p[1] for p in pts], "o", alpha=0.7)
            ax.set(xlabel=label, ylabel=metric if ax is axes[0][0] else "")
        fig.suptitle("each parameter against the metric (completed trials)")
        out.append(_png(fig))
        plt.close(fig)
    curves = [t for t in trials if t.intermediate_values]
    if curves:
        fig, ax = plt.subplots(figsize=(6, 3.5))
        for t in curves:
            steps = sorted(t.intermediate_values)
            style = {"color": "0.6", "lw": 1} if t.state == TrialState.PRUNED else {"lw": 1.5}
            ax.plot(steps, [t.intermediate_values[k] for k in steps], **style)
        ax.set(xlabel="step", ylabel=metric, title="values at each evaluation (grey: pruned)")
        out.append(_png(fig))
        plt.close(fig)
    return out


def _plotly_figures(study: optuna.Study) -> list[str]:
    from optuna import visualization as vis

    figs = [vis.plot_optimization_history(study), vis.plot_slice(study)]
    if any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        figs.append(vis.plot_intermediate_values(study))
    js: bool | str = True
    parts = []
    for fig in figs:
        parts.append(fig.to_html(full_html=False, include_plotlyjs=js))
        js = False  # plotly.js once, embedded: the page works without a network
    return parts


def html_page(study: optuna.Study, metric: str, direction: str) -> str:
    try:
        import plotly  # noqa: F401

        figures = _plotly_figures(study)
    except ImportError:
        figures = _matplotlib_figures(study, metric)
    from divergan.tune.search import summary

    best = best_trial(study)
    head = (
        f"best: trial {best.number}, {metric} {_fmt(best.value)}, "
        + ", ".join(f"{k}={_fmt(v)}" for k, v in best.params.items())
        if best is not None
        else "no completed trial yet"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>divergan tune: {html.escape(study.study_name)}</title>"
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto}pre{font-size:12px}</style>"
        f"</head><body><h1>divergan tune: {html.escape(study.study_name)}</h1>"
        f"<p>{html.escape(metric)} ({direction}); {html.escape(head)}</p>"
        + "".join(f"<div>{f}</div>" for f in figures)
        + f"<h2>trials</h2><pre>{html.escape(summary(study, metric, limit=10**6))}</pre></body></html>\n"
    )


def write(study: optuna.Study, out: Path, metric: str, direction: str) -> dict[str, Path]:
    """best_config.json (if a trial completed), trials.csv and report.html in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    best = best_trial(study)
    if best is not None:
        files["best_config"] = out / "best_config.json"
        _atomic_write(files["best_config"], json.dumps(best_config(best), indent=2) + "\n")
    files["trials"] = out / "trials.csv"
    _atomic_write(files["trials"], csv_text(study, metric))
    files["report"] = out / "report.html"
    _atomic_write(files["report"], html_page(study, metric, direction))
    return files
