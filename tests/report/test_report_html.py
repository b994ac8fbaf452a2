"""``divergan report``: one self-contained page for a finished run, a run in progress and a sweep; every
string escaped; bad input is one line and exit 2."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from divergan.cli import main
from divergan.report.html import report, write_report
from divergan.train import checkpoint as ckpt

HOSTILE = "<script>alert('x')</script>"


def images(page: str) -> list[Image.Image]:
    """Every <img> of the page, decoded; each must be an inline PNG."""
    sources = re.findall(r"<img [^>]*src=\"([^\"]*)\"", page)
    out = []
    for src in sources:
        assert src.startswith("data:image/png;base64,"), src[:40]
        im = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1], validate=True)))
        im.load()
        out.append(im)
    return out


def assert_self_contained(page: str) -> None:
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"(src|href)=\"(?!data:)", page)
    assert "http://" not in page and "https://" not in page and "url(" not in page


def copy(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to


def test_finished_run_page(finished_run):
    run, final = finished_run
    page = report(run)
    assert_self_contained(page)
    assert "finished: 40 steps" in page
    for title in (
        "Configuration",
        "Training curves",
        "Metrics over time",
        "Samples over time",
        "Final metrics",
    ):
        assert f"<h2>{title}</h2>" in page
    kept = len(ckpt.list_checkpoints(run))
    pngs = sorted(p.name for p in run.glob("*.png"))
    assert pngs == ["curves.png", "samples.png"]
    # training curves, metrics over time, one scatter per checkpoint, the run's own PNGs
    assert len(images(page)) == 2 + kept + len(pngs)
    assert page.count("<figcaption>EMA samples and critic at step") == kept
    assert f'<td class="num">{final["direct"]["modes"]}</td>' in page
    assert f"{final['direct']['w1']:.4g}" in page
    assert "<td>non-saturating</td>" in page  # the configuration table


def test_every_string_is_escaped(finished_run, tmp_path):
    run = copy(finished_run[0], tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    config["objective_params"] = {"note": HOSTILE}
    (run / "config.json").write_text(json.dumps(config))
    with open(run / "metrics.jsonl", "a") as fh:
        fh.write(json.dumps({"step": 41, "<img src=x onerror=alert(1)>": 1.0}) + "\n")
    final = json.loads((run / "final_metrics.json").read_text())
    final["sampler"] = '"><b>bold</b>'
    (run / "final_metrics.json").write_text(json.dumps(final))
    (run / 'a <i>"b".png').write_bytes((run / "samples.png").read_bytes())
    page = report(run)
    assert_self_contained(page)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    assert "&quot;&gt;&lt;b&gt;bold&lt;/b&gt;" in page and "<b>" not in page
    assert "a &lt;i&gt;&quot;b&quot;.png" in page and "<i>" not in page


def test_a_run_in_progress(finished_run, tmp_path):
    run = copy(finished_run[0], tmp_path / "run")
    (run / "final_metrics.json").unlink()
    for png in run.glob("*.png"):
        png.unlink()
    ckpt.checkpoint_path(run, 40).unlink()
    lines = (run / "metrics.jsonl").read_text().splitlines()[:3]
    (run / "metrics.jsonl").write_text("\n".join(lines) + '\n{"step": 40, "loss_d": 0.')
    (run / "half.png").write_bytes(
        (tmp_path / "run" / "checkpoints" / "step-00000020.safetensors").read_bytes()[:100]
    )
    page = report(run)
    assert_self_contained(page)
    assert "logged up to step 30 of 40" in page
    assert "1 incomplete or malformed line(s) skipped" in page
    assert "no final_metrics.json yet" in page and "<h2>Final metrics</h2>" in page
    assert "half.png skipped: not a readable PNG" in page
    assert len(images(page)) == 2 + 1  # curves, metrics over time (step 20), the checkpoint at 20


def test_a_run_that_has_just_started(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"data": "grid25", "steps": 100}))
    page = report(run)
    assert "no metrics logged yet" in page and "no checkpoint yet" in page
    assert images(page) == []


def test_a_sweep_folder(tmp_path):
    sweep = tmp_path / "sweep"
    sweep.mkdir()
    grid = {"objective": ["wgan-gp", HOSTILE], "lr_g": [1e-4, 2e-4], "steps": 100}
    (sweep / "sweep.json").write_text(json.dumps(grid))
    rows = [
        {"objective": o, "lr_g": lr, "seed": 0, "direct": {"modes": m, "w1": w}}
        for (o, lr), m, w in zip(
            [(o, lr) for o in grid["objective"] for lr in grid["lr_g"]], [25, 24, 19, 8], [0.1, 0.2, 0.3, 0.9]
        )
    ]
    (sweep / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"objective": "hin')
    page = report(sweep)
    assert_self_contained(page)
    assert "4 configuration(s) trained" in page and "1 incomplete or malformed line(s) skipped" in page
    assert "<th>direct.modes</th>" in page and "<th>direct.w1</th>" in page
    assert page.count('<tr><td class="num">') == 4  # one row per configuration, numbered
    assert "&lt;script&gt;" in page and "<script" not in page
    (plot,) = images(page)
    assert plot.width > 300


def test_cli_writes_the_page_and_reports_where(finished_run, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(finished_run[0]), "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report: {out}"
    assert out.read_text().startswith("<!DOCTYPE html>")
    run = copy(finished_run[0], tmp_path / "run")
    assert write_report(run) == run / "report.html" and (run / "report.html").is_file()


def bad_folders(tmp_path: Path) -> dict[str, Path]:
    cases = {}
    for name, files in {
        "empty": {},
        "invalid-json": {"config.json": b"{not json"},
        "not-an-object": {"config.json": b"[1, 2]"},
        "not-utf8": {"config.json": b"\xff\xfe\x00{"},
        "bad-final": {"config.json": b"{}", "final_metrics.json": b'{"steps": '},
        "bad-sweep": {"sweep.json": b'{"grid": '},
    }.items():
        folder = tmp_path / name
        folder.mkdir()
        for fname, data in files.items():
            (folder / fname).write_bytes(data)
        cases[name] = folder
    cases["missing"] = tmp_path / "nowhere"
    cases["a-file"] = tmp_path / "invalid-json" / "config.json"
    return cases


@pytest.mark.parametrize(
    "case",
    ["empty", "invalid-json", "not-an-object", "not-utf8", "bad-final", "bad-sweep", "missing", "a-file"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, case):
    folder = bad_folders(tmp_path)[case]
    assert main(["report", str(folder), "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_an_unwritable_out_is_one_line_and_exit_2(finished_run, tmp_path, capsys):
    assert main(["report", str(finished_run[0]), "--out", str(tmp_path / "no" / "such" / "r.html")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot write")
