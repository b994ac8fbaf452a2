"""One config system: --print-config, --config FILE (a run folder's config.json too), --help-config."""

from __future__ import annotations

import dataclasses
import json

import pytest
from safetensors.torch import load_file

from divergan.cli import main
from divergan.train import Config
from divergan.train.config import HELP, help_config
from divergan.train.runs import new_run_folder, next_run_folder

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ["--preset", "quick", "--quiet", "--set", "steps=12", "--set", "eval_samples=60", "--set", "threads=1"]
TINY += ["--set", "tensorboard=false", "--set", "sampler=direct", "--set", "checkpoint_every=6"]


def test_print_config_is_the_full_resolved_config(capsys):
    assert (
        main(
            ["train", "--preset", "wgan-gp-toy", "--steps", "5", "--set", "objective=hinge", "--print-config"]
        )
        == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {f.name for f in dataclasses.fields(Config)}
    assert printed["steps"] == 5 and printed["objective"] == "hinge" and printed["objective_params"] == {}
    assert printed["data"] == "wgan-gp-25gaussians"


def test_help_config_lists_every_key_with_its_meaning(capsys):
    assert set(HELP) == {f.name for f in dataclasses.fields(Config)}  # none missing, none stale
    assert all(text.strip() for text in HELP.values())
    assert main(["train", "--help-config"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == len(HELP) and out == help_config() + "\n"
    assert all(line.split()[0] in HELP for line in lines)


def test_config_file_of_a_run_gives_the_same_run_bit_for_bit(tmp_path, capsys):
    first, again = tmp_path / "a", tmp_path / "b"
    assert main(["train", *TINY, "--out", str(first)]) == 0
    assert main(["train", "--config", str(first / "config.json"), "--quiet", "--out", str(again)]) == 0
    assert (first / "config.json").read_text() == (again / "config.json").read_text()
    a = load_file(str(first / "checkpoints" / "step-00000012.safetensors"))
    b = load_file(str(again / "checkpoints" / "step-00000012.safetensors"))
    assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)
    # --set applies on top of the file: another seed is another run (negative control)
    other = tmp_path / "c"
    assert (
        main(["train", "--config", str(first / "config.json"), "--quiet", "--seed", "1", "--out", str(other)])
        == 0
    )
    c = load_file(str(other / "checkpoints" / "step-00000012.safetensors"))
    ema = [k for k in a if k.startswith("EMA.")]
    assert ema and not all(a[k].equal(c[k]) for k in ema)
    capsys.readouterr()


@pytest.mark.parametrize(
    "content, match",
    [("[1, 2]", "JSON object"), ("{nope", "unreadable"), ('{"stepz": 3}', "unknown keys: stepz")],
)
def test_bad_config_files_are_one_error_line(tmp_path, capsys, content, match):
    path = tmp_path / "c.json"
    path.write_text(content)
    assert main(["train", "--config", str(path), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and match in err[0]
    assert not (tmp_path / "r").exists()


def test_config_and_preset_together_are_refused(tmp_path, capsys):
    path = tmp_path / "c.json"
    path.write_text(json.dumps(Config().to_json()))
    assert main(["train", "--config", str(path), "--preset", "quick", "--print-config"]) == 2
    assert "not both" in capsys.readouterr().err


def test_run_folder_naming_lives_in_the_library(tmp_path):
    assert next_run_folder(tmp_path, "x").name == "00000-x"
    (tmp_path / "00004-y").mkdir()
    (tmp_path / "00004-y" / "f").write_text("")
    assert next_run_folder(tmp_path, "x").name == "00005-x"
    from divergan.errors import UserError

    with pytest.raises(UserError, match="not empty"):
        new_run_folder(tmp_path / "00004-y", "x")
    assert new_run_folder(None, "z", root=tmp_path).name == "00005-z"
