"""The run page leads with its headline: final metrics (the generator's own samples first), then the
latest samples of the generator; the configuration comes last, folded."""

from __future__ import annotations

import re
import shutil

from divergan.report import html
from divergan.train import checkpoint as ckpt


def order(page: str, *titles: str) -> list[int]:
    return [page.index(f"<h2>{t}</h2>") for t in titles]


def test_final_metrics_and_latest_samples_come_first_and_the_config_is_folded(finished_run):
    run, _ = finished_run
    page = html.report(run)
    places = order(
        page, "Final metrics", "Latest samples", "Training curves", "Samples over time", "Configuration"
    )
    assert places == sorted(places)
    status = page.index('<p class="status">')
    assert status < places[0]
    # the sampler table lists the generator's own samples first
    table = page[places[0] : places[1]]
    rows = re.findall(r"<tr><td>([^<]*)</td>", table)
    assert rows[0] == "direct"  # the first table after the heading is the per-sampler one
    # the headline picture is the newest checkpoint's, and it is not repeated further down
    newest = ckpt.list_checkpoints(run)[-1]
    step = int(re.search(r"(\d+)", newest.stem).group(1))
    headline = page[places[1] : places[2]]
    assert f"<figcaption>EMA samples and critic at step {step}</figcaption>" in headline
    assert page.count(f"<figcaption>EMA samples and critic at step {step}</figcaption>") == 1
    # the configuration: one <details> element that holds the whole table
    folded = page[places[4] :]
    assert folded.startswith("<h2>Configuration</h2><details><summary>")
    assert "<td>non-saturating</td>" in folded[: folded.index("</details>")]


def test_an_image_run_leads_with_its_samples_grid(finished_run, tmp_path, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(finished_run[0], run)
    monkeypatch.setattr(html, "checkpoint_pictures", lambda run, config: ([], []))  # as for images
    page = html.report(run)
    latest = page[page.index("<h2>Latest samples</h2>") : page.index("<h2>Training curves</h2>")]
    assert latest.count("<img ") == 1 and "<figcaption>samples.png</figcaption>" in latest
    assert page.count("<figcaption>samples.png</figcaption>") == 1
    (run / "samples.png").unlink()
    page = html.report(run)
    latest = page[page.index("<h2>Latest samples</h2>") : page.index("<h2>Training curves</h2>")]
    assert "<img " not in latest and "no samples to show yet" in latest
