"""Start-up stays light: listing commands and ``--help`` import no torch, and their torch-free rows equal
the registries' (divergan/commands/catalog.py). Speed itself is measured in benchmarks/, not here."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from divergan.cli import main
from divergan.commands import catalog

HEAVY = ("torch", "scipy", "matplotlib", "numpy", "ot", "tensorboard")

PROBE = """
import contextlib, io, json, sys
from divergan.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        status = main({argv!r})
    except SystemExit as exc:
        status = exc.code
print(json.dumps({{"status": status, "heavy": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


@pytest.mark.parametrize(
    "argv", [["--help"], ["objectives"], ["objectives", "--json"], ["divergences"], ["lab", "list"], []]
)
def test_listing_commands_import_no_torch(argv):
    code = PROBE.format(argv=argv, heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"status": 0, "heavy": []}


def test_the_probe_sees_torch_when_it_is_imported():
    """Negative control: a command that needs torch shows up as heavy."""
    code = PROBE.format(argv=["train", "--steps", "-1"], heavy=HEAVY)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "torch" in json.loads(out.strip().splitlines()[-1])["heavy"]


def test_import_divergan_imports_no_torch():
    code = f"import sys, divergan; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_stored_rows_equal_the_registries():
    """Fails when an objective, divergence or lab experiment changes without `python -m divergan.commands.catalog`."""
    stored, fresh = catalog.stored(), catalog.generate()
    for key in fresh:
        assert [r["name"] for r in stored[key]] == [r["name"] for r in fresh[key]], key
        assert stored[key] == fresh[key], f"{key} drifted: run python -m divergan.commands.catalog"


def test_drift_would_be_caught():
    fresh = catalog.generate()
    changed = json.loads(json.dumps(fresh))
    changed["OBJECTIVES"][0]["formula"] += " "
    assert changed != fresh
    assert json.loads(json.dumps(fresh)) == fresh  # the rows survive a JSON round trip (--json output)


def test_rendered_data_round_trips(tmp_path):
    rows = catalog.generate()
    namespace: dict = {}
    exec(catalog.render(rows), namespace)
    assert {k: namespace[k] for k in rows} == rows


def test_listings_print_the_rows(capsys):
    assert main(["objectives", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == catalog.stored()["OBJECTIVES"]
    assert main(["lab", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == catalog.stored()["LAB"]
    assert main(["divergences", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == catalog.stored()["DIVERGENCES"]
    assert main(["lab", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [r["name"] for r in catalog.stored()["LAB"]]


#: imports a training run needs only for its evaluation, plots and TensorBoard, never before its folder
LATE = ("ot", "scipy", "sklearn", "matplotlib", "tensorboard", "torch.utils.tensorboard", "torch._dynamo")

CONFIG_PROBE = """
import json, os, pathlib, sys
from divergan.cli import main
seen = []
write_text = pathlib.Path.write_text
def spy(self, *args, **kwargs):
    if self.name == "config.json" and not seen:
        seen.append(sorted(m for m in {late!r} if m in sys.modules))
        if {stop!r}:  # only the modules at config.json are asked for: end here, before the training
            print(json.dumps({{"status": None, "at_config": seen[0], "at_end": None}}), flush=True)
            os._exit(0)
    return write_text(self, *args, **kwargs)
pathlib.Path.write_text = spy
{before}
status = main({argv!r})
print(json.dumps({{"status": status, "at_config": seen[0] if seen else None,
                   "at_end": sorted(m for m in {late!r} if m in sys.modules)}}))
"""


def _config_probe(tmp_path, before: str = "", stop: bool = False) -> dict:
    argv = [
        "train",
        "--quiet",
        "--steps",
        "2",
        "--set",
        "threads=1",
        "--set",
        "eval_every=2",
        "--set",
        "eval_samples=250",
    ]
    argv += ["--out", str(tmp_path / "run")]
    code = CONFIG_PROBE.format(late=LATE, argv=argv, before=before, stop=stop)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_train_writes_config_json_before_the_heavy_imports(tmp_path):
    """The run folder and config.json come first: no POT, scipy, matplotlib, TensorBoard or torch's
    compiler (which torch's first optimizer imports) is loaded when config.json is written."""
    result = _config_probe(tmp_path)
    assert result["status"] == 0
    assert result["at_config"] == []
    # the probe sees them when they are loaded: the default run evaluates (W1: POT), plots, writes TensorBoard
    assert {"ot", "matplotlib", "torch.utils.tensorboard", "torch._dynamo"} <= set(result["at_end"])


def test_the_config_probe_sees_modules_loaded_before_config_json(tmp_path):
    """Negative control: a module imported before the run shows up at config.json."""
    result = _config_probe(tmp_path, before="import ot", stop=True)
    assert "ot" in result["at_config"]
