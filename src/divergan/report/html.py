"""One self-contained HTML page about a run folder or a sweep folder: ``divergan report FOLDER``.

The page holds everything it shows: pictures are PNGs inlined as base64 ``data:`` URIs, the style sheet
is inline, there is no script and no external URL, so the file can be mailed or archived alone. Every
string that comes from a config, a metrics file or a file name is HTML-escaped.

A **run folder** (it has ``config.json``) gives, headline first: the final metrics (one row per sampler,
the generator's own ``direct`` samples first); the latest samples of the generator itself (for 1-D and
2-D data a scatter of EMA samples over the critic's contours at the newest checkpoint, for images the
run's ``samples.png`` grid); the curves of ``metrics.jsonl`` (losses, the divergence estimate −loss_d,
gradient norms, then every other logged number — mode coverage, image metrics, whatever the run logs);
earlier samples (one scatter per older kept checkpoint, and every other PNG the run folder holds); and
last the configuration, folded in a ``<details>`` element. A run still in progress (no
``final_metrics.json``, a last line of ``metrics.jsonl`` cut short) is reported as far as it got.

A **sweep folder** (it has ``sweep.json`` or ``results.jsonl``) gives the grid, one table row per
trained configuration (its parameters and final metrics), and a plot of each metric per configuration.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

from divergan import __version__
from divergan.errors import UserError

#: at most this many checkpoints are drawn, the newest
CHECKPOINT_PICTURES = 6
#: at most this many PNG files of the run folder are inlined, and none larger than this
RUN_PICTURES = 48
PICTURE_BYTES = 8 * 1024 * 1024
#: keys of metrics.jsonl drawn in the training-curves panels; the others go to "metrics over time"
TRAINING_KEYS = ("loss_d", "loss_g", "divergence_estimate", "grad_norm_d", "grad_norm_g")
NOT_PLOTTED = ("step", "seconds")

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; background: #fff; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 1.8em; }
table { border-collapse: collapse; margin: .6em 0; font-size: .92em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: .4em; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; text-align: center; }
.note { color: #8a5a00; } .status { font-size: 1.05em; }
code { background: #f5f5f5; padding: 0 .2em; }
"""


# -- reading the folder: every failure is one UserError line ----------------------------------------------


#: the picture shown as a run's latest samples, the first of these the run folder holds
HEADLINES = ("samples.png", "heldout.png")


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise UserError(f"cannot read {path}: {reason}") from None


def read_json(path: Path) -> Any:
    """The JSON value in ``path``; an unreadable or invalid file is a UserError."""
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path} is not valid JSON: {exc}") from None


def read_jsonl(path: Path) -> tuple[list[dict], int]:
    """The JSON objects of a JSON-lines file and how many lines were skipped (cut short by a kill, or not
    an object). A missing file is no rows."""
    if not path.exists():
        return [], 0
    rows, skipped = [], 0
    for line in _read_text(path).splitlines():
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if isinstance(row, dict):
            rows.append(row)
        else:
            skipped += 1
    return rows, skipped


def folder_kind(folder: Path) -> str:
    """``"sweep"`` (sweep.json or results.jsonl), ``"run"`` (config.json), or a UserError."""
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    if (folder / "sweep.json").is_file() or (folder / "results.jsonl").is_file():
        return "sweep"
    if (folder / "config.json").is_file():
        return "run"
    raise UserError(
        f"{folder} is neither a divergan run folder (no config.json) nor a sweep folder "
        "(no sweep.json or results.jsonl)"
    )


# -- small HTML pieces ---------------------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escaped text of any value (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def fmt(value: Any) -> str:
    """A value as escaped table text: 4 significant digits for floats, JSON for lists and mappings."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return esc(f"{value:.4g}") if math.isfinite(value) else esc(value)
    if isinstance(value, dict | list):
        return esc(json.dumps(value, sort_keys=True))
    return esc(value)


def table(header: list[Any], rows: list[list[Any]]) -> str:
    """A plain HTML table; every cell escaped, numbers right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{fmt(v)}</td>' if _is_number(v) else f"<td>{fmt(v)}</td>" for v in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def png_uri(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def figure_uri(fig) -> str:
    """A matplotlib figure as a PNG data URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return png_uri(buffer.getvalue())


def picture(uri: str, caption: str, width: int | None = None) -> str:
    style = f' style="width:{int(width)}px"' if width else ""
    return f'<figure><img src="{uri}" alt="{esc(caption)}"{style}><figcaption>{esc(caption)}</figcaption></figure>'


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level with dotted keys: {"a": {"b": 1}} -> {"a.b": 1}."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value} if prefix else {}


def page(title: str, sections: list[str]) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1>" + "\n".join(sections) + f"<footer><p><small>divergan {esc(__version__)}"
        "</small></p></footer></body></html>\n"
    )


# -- figures ----------------------------------------------------------------------------------------------


def series(rows: list[dict], key: str) -> tuple[list[float], list[float]]:
    """(steps, values) of ``key`` over the rows that hold a finite number for it."""
    pts = [
        (r["step"], r[key])
        for r in rows
        if _is_number(r.get(key)) and _is_number(r.get("step")) and math.isfinite(r[key])
    ]
    return [p[0] for p in pts], [p[1] for p in pts]


def curves_figure(rows: list[dict], panels: list[tuple[str, tuple[str, ...], bool]]) -> str | None:
    """One row of panels (title, keys, log-scale) of values against the step; None if nothing to draw."""
    from matplotlib.figure import Figure

    panels = [p for p in panels if any(series(rows, k)[0] for k in p[1])]
    if not panels:
        return None
    columns = min(3, len(panels))
    lines = -(-len(panels) // columns)
    fig = Figure(figsize=(4.0 * columns, 3.0 * lines), dpi=90)
    axes = fig.subplots(lines, columns, squeeze=False)
    for ax in axes.flat[len(panels) :]:
        ax.axis("off")
    for ax, (title, keys, log) in zip(axes.flat, panels):
        for key in keys:
            steps, values = series(rows, key)
            if steps:
                ax.plot(steps, values, marker="." if len(steps) < 30 else None, label=key)
        if log and all(v > 0 for k in keys for v in series(rows, k)[1]):
            ax.set_yscale("log")
        ax.set_title(title.replace("$", r"\$"), fontsize=10)
        ax.set_xlabel("step")
        if len(keys) > 1:
            ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return figure_uri(fig)


def checkpoint_pictures(run: Path, config: dict) -> tuple[list[str], list[str]]:
    """For 1-D and 2-D data: EMA samples (the same noise for every checkpoint) and data over the critic's
    contours, one picture per kept checkpoint (the newest ``CHECKPOINT_PICTURES``). Returns (figures,
    notes); a checkpoint that cannot be read is a note, not a failure of the page."""
    from divergan.train import checkpoint as ckpt

    paths = ckpt.list_checkpoints(run)[-CHECKPOINT_PICTURES:]
    if not paths:
        return [], ["no checkpoint yet: no samples drawn from the networks"]
    if config.get("app"):  # an application's run: its pictures are the PNGs it saves
        return [], []
    import torch

    from divergan.report.plots import samples_figure
    from divergan.train.config import Config
    from divergan.train.loop import build, restore

    try:
        cfg = Config.from_json(config)
        parts = build(cfg)
    except UserError as exc:
        return [], [f"the networks could not be rebuilt from config.json: {exc}"]
    if parts.dataset.dim > 2:  # pictures of high-dimensional runs are the PNGs the run saves
        return [], []
    n = min(cfg.eval_samples, 2000)
    real = parts.dataset.sample(n, torch.Generator().manual_seed(0))
    z = torch.randn(n, cfg.z_dim, generator=torch.Generator().manual_seed(1))
    figures, notes = [], []
    for path in paths:
        try:
            tensors, meta = ckpt.load(path)
            restore(parts, tensors, meta)
        except (UserError, OSError, KeyError) as exc:
            notes.append(f"{path.name} skipped: {exc}")
            continue
        with torch.no_grad():
            fig = samples_figure(
                real, parts.ema(z), parts.critic, f"step {meta['step']}", size=4.2, dpi=80, resolution=120
            )
        figures.append(picture(figure_uri(fig), f"EMA samples and critic at step {meta['step']}"))
    return figures, notes


def folder_pictures(
    folder: Path, exclude: tuple[str, ...] = ("tb", "checkpoints"), include: tuple[str, ...] | None = None
) -> tuple[list[str], list[str]]:
    """Every PNG under ``folder`` (sorted by path, not under ``exclude``; only the relative paths in
    ``include`` if given), inlined; a file that is not a complete PNG (still being written, say) is a
    note."""
    from PIL import Image

    paths = sorted(
        p
        for p in folder.rglob("*.png")
        if p.is_file()
        and p.relative_to(folder).parts[0] not in exclude
        and (include is None or str(p.relative_to(folder)) in include)
    )
    notes = []
    if len(paths) > RUN_PICTURES:
        notes.append(f"{len(paths)} PNG files: showing the last {RUN_PICTURES}")
        paths = paths[-RUN_PICTURES:]
    figures = []
    for path in paths:
        name = str(path.relative_to(folder))
        try:
            data = path.read_bytes()
            if len(data) > PICTURE_BYTES:
                notes.append(f"{name} skipped: larger than {PICTURE_BYTES // 2**20} MiB")
                continue
            with Image.open(io.BytesIO(data)) as im:
                if im.format != "PNG":
                    raise ValueError("not a PNG")
                im.load()
                width = im.width
        except (OSError, ValueError, SyntaxError) as exc:
            notes.append(f"{name} skipped: not a readable PNG ({exc})")
            continue
        figures.append(picture(png_uri(data), name, width=min(width, 1100)))
    return figures, notes


def _notes(notes: list[str]) -> str:
    return "".join(f'<p class="note">{esc(n)}</p>' for n in notes)


# -- pages ------------------------------------------------------------------------------------------------


def run_page(run: Path) -> str:
    """The report of one run folder (finished or in progress)."""
    config = read_json(run / "config.json")
    if not isinstance(config, dict):
        raise UserError(f"{run / 'config.json'} must hold a JSON object")
    rows, skipped = read_jsonl(run / "metrics.jsonl")
    final_path = run / "final_metrics.json"
    final = read_json(final_path) if final_path.exists() else None
    if final is not None and not isinstance(final, dict):
        raise UserError(f"{final_path} must hold a JSON object")
    steps = config.get("steps")
    last = max((r["step"] for r in rows if _is_number(r.get("step"))), default=0)
    if final is not None:
        status = f"finished: {esc(final.get('steps', steps))} steps"
    else:
        status = f"in progress or stopped: logged up to step {esc(last)} of {esc(steps)} (no final_metrics.json yet)"
    sections = [f'<p class="status">{status} — folder <code>{esc(run)}</code></p>']
    if skipped:
        sections.append(_notes([f"metrics.jsonl: {skipped} incomplete or malformed line(s) skipped"]))

    # the headline first: final metrics and the generator's latest samples; the configuration last, folded
    sections.append("<h2>Final metrics</h2>")
    if final is None:
        sections.append(_notes(["the run has not finished: no final_metrics.json yet"]))
    else:
        plain = [[k, v] for k, v in final.items() if not isinstance(v, dict)]
        groups = {k: v for k, v in final.items() if isinstance(v, dict)}
        if groups:
            columns = list(dict.fromkeys(c for g in groups.values() for c in flatten(g)))
            body = [[name, *(flatten(g).get(c) for c in columns)] for name, g in groups.items()]
            sections.append(table(["", *columns], body))
        if plain:
            sections.append(table(["key", "value"], plain))

    figures, notes = checkpoint_pictures(run, config)
    shown: tuple[str, ...] = ()  # the run's own PNG shown as the headline (not repeated below)
    sections.append("<h2>Latest samples</h2>")
    if figures:  # 1-D and 2-D runs: the EMA generator's own samples at the newest checkpoint
        sections.append(figures.pop())
    elif not notes and (headline := [n for n in HEADLINES if (run / n).is_file()]):
        shown = tuple(
            headline[:1]
        )  # image runs: the EMA generator's grid (glyphs: the held-out translations)
        latest, more = folder_pictures(run, include=shown)
        sections.append("".join(latest) + _notes(more))
    else:
        sections.append(_notes(notes or ["no samples to show yet"]))

    sections.append("<h2>Training curves</h2>")
    training = curves_figure(
        rows,
        [
            ("losses", ("loss_d", "loss_g"), False),
            (
                "divergence estimate (the divergence the critic's loss bounds; docs/training.md)",
                ("divergence_estimate",),
                False,
            ),
            ("gradient norms", ("grad_norm_d", "grad_norm_g"), True),
        ],
    )
    sections.append(picture(training, "training curves") if training else _notes(["no metrics logged yet"]))

    others = [
        k
        for k in dict.fromkeys(k for r in rows for k in r)
        if k not in TRAINING_KEYS + NOT_PLOTTED and any(_is_number(r.get(k)) for r in rows)
    ]
    if others:
        sections.append("<h2>Metrics over time</h2>")
        uri = curves_figure(rows, [(k, (k,), False) for k in others])
        if uri:
            sections.append(picture(uri, "metrics over time: " + ", ".join(others)))
        latest = {k: v for r in rows for k, v in r.items() if k in others}  # the last value of each
        sections.append(table(["metric", "latest value"], [[k, latest.get(k)] for k in others]))

    sections.append("<h2>Samples over time</h2>")
    pictures, more = folder_pictures(run, exclude=("tb", "checkpoints", *shown))
    sections.append("".join(figures) + _notes(notes))
    if pictures or more:
        sections.append("<h3>Pictures saved by the run</h3>" + "".join(pictures) + _notes(more))
    if not figures and not pictures:
        sections.append(_notes(["no earlier samples to show"]))

    sections.append(
        "<h2>Configuration</h2>"
        f"<details><summary>{len(config)} settings (config.json)</summary>"
        + table(["key", "value"], [[k, v] for k, v in config.items()])
        + "</details>"
    )
    return page(f"divergan report: {run.resolve().name}", sections)


def _parameter_names(grid: Any) -> set[str]:
    names = set()
    for key in flatten(grid) if isinstance(grid, dict) else {}:
        names.add(key)
        names.add(key.rsplit(".", 1)[-1])
    return names


def sweep_page(folder: Path) -> str:
    """The report of a sweep folder: the grid, the results table, each metric per configuration."""
    from matplotlib.figure import Figure

    grid = read_json(folder / "sweep.json") if (folder / "sweep.json").is_file() else None
    results, skipped = read_jsonl(folder / "results.jsonl")
    sections = [
        f'<p class="status">sweep — {len(results)} configuration(s) trained — folder <code>{esc(folder)}</code></p>'
    ]
    if skipped:
        sections.append(_notes([f"results.jsonl: {skipped} incomplete or malformed line(s) skipped"]))
    sections.append("<h2>Grid</h2>")
    if grid is None:
        sections.append(_notes(["no sweep.json"]))
    elif isinstance(grid, dict):
        sections.append(table(["key", "values"], [[k, v] for k, v in grid.items()]))
    else:
        sections.append(f"<pre>{esc(json.dumps(grid, indent=2))}</pre>")

    sections.append("<h2>Results</h2>")
    if not results:
        sections.append(_notes(["no configuration has finished yet (results.jsonl is empty or missing)"]))
        return page(f"divergan sweep report: {folder.resolve().name}", sections)
    flat = [flatten(r) for r in results]
    columns = list(dict.fromkeys(c for r in flat for c in r))
    sections.append(
        table(["#", *columns], [[i + 1, *(r.get(c) for c in columns)] for i, r in enumerate(flat)])
    )

    params = _parameter_names(grid)
    metrics = [
        c
        for c in columns
        if c not in params
        and c.rsplit(".", 1)[-1] not in params
        and not c.startswith(("params.", "config."))
        and any(_is_number(r.get(c)) for r in flat)
    ][:9]
    if metrics:
        columns_ = min(3, len(metrics))
        lines = -(-len(metrics) // columns_)
        fig = Figure(figsize=(4.0 * columns_, 3.0 * lines), dpi=90)
        axes = fig.subplots(lines, columns_, squeeze=False)
        for ax in axes.flat[len(metrics) :]:
            ax.axis("off")
        for ax, key in zip(axes.flat, metrics):
            pts = [(i + 1, r[key]) for i, r in enumerate(flat) if _is_number(r.get(key))]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "o")
            ax.set_title(key.replace("$", r"\$"), fontsize=10)
            ax.set_xlabel("configuration #")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        sections.append(picture(figure_uri(fig), "each metric per configuration (# as in the table)"))
    return page(f"divergan sweep report: {folder.resolve().name}", sections)


def report(folder: Path) -> str:
    """The HTML page for a run folder or a sweep folder (detected by its files)."""
    folder = Path(folder)
    return sweep_page(folder) if folder_kind(folder) == "sweep" else run_page(folder)


def write_report(folder: Path, out: Path | None = None) -> Path:
    """Write :func:`report` to ``out`` (default ``FOLDER/report.html``); returns the path."""
    folder = Path(folder)
    out = Path(out) if out is not None else folder / "report.html"
    if out.parent != Path() and not out.parent.is_dir():
        raise UserError(f"cannot write {out}: no folder {out.parent}")
    text = report(folder)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {out}: {exc.strerror or exc}") from None
    return out
