"""``divergan train / sample / eval / objectives`` as a user runs them, bad input included."""

from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest

from divergan.cli import main
from divergan.objectives import names as objective_names

QUICK = ["--preset", "quick", "--quiet", "--set", "steps=30"]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "r"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["train", *QUICK, "--set", "sampler=mh", "--out", str(folder)]) == 0
    (folder.parent / "stdout.txt").write_text(out.getvalue())
    return folder


def summary_numbers(line: str) -> dict[str, str]:
    """The numbers of one 'sampler …' summary line as printed, by name."""
    return dict(re.findall(r"(modes|high-quality|reverse KL|W1|MMD|acceptance) +([-\d.]+%?)", line))


def test_train_prints_a_summary_and_sampler(trained, capsys):
    final = json.loads((trained / "final_metrics.json").read_text())
    assert final["sampler"] == "mh" and final["steps"] == 30
    text = (trained.parent / "stdout.txt").read_text()
    lines = {m.group(1): m.group(0) for m in re.finditer(r"^sampler (\w+) .*$", text, re.M)}
    assert set(lines) == {"direct", "mh"}, text
    for sampler in ("direct", "mh"):  # each printed number is the saved one, rounded as displayed
        saved = final[sampler]
        expected = {
            "modes": str(saved["modes"]),
            "high-quality": f"{100 * saved['high_quality']:.1f}%",
            "reverse KL": f"{saved['reverse_kl']:.3f}",
            "W1": f"{saved['w1']:.4f}",
            "MMD": f"{saved['mmd']:.4f}",
        }
        if sampler == "mh":
            expected["acceptance"] = f"{100 * saved['acceptance']:.1f}%"
        assert summary_numbers(lines[sampler]) == expected
    assert 0 < final["mh"]["acceptance"] <= 1 and final["mh"]["mh_steps"] == 20


def test_no_preset_defaults_to_a_post_hoc_sampler():
    from divergan.train.config import PRESETS, preset

    assert all(preset(name).sampler == "direct" for name in PRESETS)


def test_sample_writes_n_samples_in_data_units(trained, tmp_path, capsys):
    out = tmp_path / "s.npy"
    code, text, err = run(capsys, "sample", str(trained), "--n", "37", "--out", str(out), "--seed", "3")
    assert code == 0, err
    x = np.load(out)
    assert x.shape == (37, 2) and np.isfinite(x).all()
    assert "sampler direct" in text  # the generator's own samples, even for a run trained with mh
    again = tmp_path / "t.npy"
    assert main(["sample", str(trained), "--n", "37", "--out", str(again), "--seed", "3"]) == 0
    assert np.array_equal(np.load(again), x)
    filtered = tmp_path / "mh.npy"
    code, text, err = run(
        capsys, "sample", str(trained), "--n", "37", "--out", str(filtered), "--sampler", "mh"
    )
    assert code == 0 and "sampler mh" in text, err


def test_eval_json(trained, capsys):
    code, out, err = run(capsys, "eval", str(trained), "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["step"] == 30 and obj["sampler"] == "mh"
    assert json.loads(run(capsys, "eval", str(trained), "--json")[1]) == obj  # the same numbers again
    # fresh samples of the same generator as the training's final evaluation: the fraction of
    # high-quality samples agrees within sampling noise (500 samples each: 4.5 binomial standard errors of a difference)
    final = json.loads((trained / "final_metrics.json").read_text())
    for sampler in ("direct", "mh"):
        a, b = obj[sampler], final[sampler]
        assert a.keys() == b.keys()
        p = (a["high_quality"] + b["high_quality"]) / 2
        assert abs(a["high_quality"] - b["high_quality"]) <= 4.5 * (2 * p * (1 - p) / 500) ** 0.5 + 1e-9


def test_objectives_lists_every_objective_with_a_formula(capsys):
    code, out, _ = run(capsys, "objectives", "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["name"] for r in rows] == objective_names()
    assert all(r["formula"] and r["divergence"] for r in rows)


def test_user_data_file(tmp_path, capsys):
    data = tmp_path / "pts.csv"
    np.savetxt(data, np.random.default_rng(0).normal(size=(300, 3)), delimiter=",")
    code, out, err = run(capsys, "train", *QUICK, "--data", str(data), "--out", str(tmp_path / "u"))
    assert code == 0, err
    assert "modes" not in out.splitlines()[2]  # no known modes for user data: W1 and MMD only


def test_resume_refuses_to_change_the_run(trained, capsys):
    code, _, err = run(capsys, "train", "--resume", str(trained), "--objective", "wgan")
    assert code == 2 and "cannot change --objective" in err


BAD = [
    (["train", "--objective", "nope"], "unknown objective"),
    (["train", "--preset", "nope"], "unknown preset"),
    (["train", "--set", "nope=1"], "unknown config key"),
    (["train", "--set", "steps=abc"], "whole number"),
    (["train", "--steps", "-5"], "must not be negative"),
    (["train", "--steps", "x"], "invalid int"),
    (["train", "--data", "/nonexistent/data.npy"], "data.npy"),
    (["train", "--data", "nope"], "unknown dataset"),
    (["train", "--set", "objective.pi=2", "--objective", "js-pi"], "pi"),
    (["train", "--resume", "/nonexistent/run"], "not a divergan run folder"),
    (["sample", "/nonexistent/run", "--n", "3", "--out", "x.npy"], "not a divergan run folder"),
    (["sample", "/nonexistent/run", "--n", "0", "--out", "x.npy"], "at least 1"),
    (["eval", "/nonexistent/run"], "not a divergan run folder"),
]


@pytest.mark.parametrize("argv,match", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2(capsys, tmp_path, monkeypatch, argv, match):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, *argv)
    assert code == 2, err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and match in err
    assert not (tmp_path / "runs").exists()  # nothing was created for a refused run


@pytest.mark.parametrize("content", [b"", b"a,b\nc,d\n", b"1,2\nnan,3\n", b"1,2\n3\n"])
def test_bad_data_files(tmp_path, capsys, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, _, err = run(capsys, "train", *QUICK, "--data", str(path), "--out", str(tmp_path / "r"))
    assert code == 2 and err.startswith("error: ") and "bad.csv" in err


def test_existing_folder_is_never_overwritten(trained, capsys):
    before = sorted(p.name for p in trained.rglob("*"))
    code, _, err = run(capsys, "train", *QUICK, "--out", str(trained))
    assert code == 2 and "already exists" in err
    assert sorted(p.name for p in trained.rglob("*")) == before


def test_truncated_checkpoint_is_a_clean_error(tmp_path, capsys):
    folder = tmp_path / "r"
    assert main(["train", *QUICK, "--out", str(folder)]) == 0
    capsys.readouterr()
    latest = sorted((folder / "checkpoints").iterdir())[-1]
    latest.write_bytes(latest.read_bytes()[:100])
    code, _, err = run(capsys, "eval", str(folder))
    assert code == 2 and "cannot read checkpoint" in err
    latest.write_bytes(b"\x80\x04\x95 a pickle, not a checkpoint")
    code, _, err = run(capsys, "sample", str(folder), "--n", "2", "--out", str(tmp_path / "x.npy"))
    assert code == 2 and err.startswith("error: ")


def test_foreign_safetensors_file_is_refused(tmp_path, capsys):
    import torch
    from safetensors.torch import save_file

    folder = tmp_path / "r"
    assert main(["train", *QUICK, "--out", str(folder)]) == 0
    capsys.readouterr()
    latest = sorted((folder / "checkpoints").iterdir())[-1]
    save_file({"weight": torch.zeros(2)}, str(latest), metadata={"format": "someone-else"})
    code, _, err = run(capsys, "eval", str(folder))
    assert code == 2 and "not a divergan checkpoint" in err


def test_profile_prints_the_phase_table_and_changes_no_result(tmp_path, capsys):
    sets = ["--set", "plot=false", "--set", "eval_samples=300"]
    code, _, err = run(capsys, "train", *QUICK, *sets, "--out", str(tmp_path / "a"), "--profile")
    assert code == 0, err
    table = err[err.index("where the time went") :].splitlines()
    assert table[1].split() == ["phase", "seconds", "share", "calls", "ms/call"]
    phases = {line.split("  ")[0].strip() for line in table[2:]}
    assert {"critic forward", "critic backward", "generator step", "EMA", "logging and evaluation"} <= phases
    assert table[-1].startswith("total")
    code, _, err = run(capsys, "train", *QUICK, *sets, "--out", str(tmp_path / "b"))
    assert code == 0 and "where the time went" not in err
    a, b = (json.loads((tmp_path / r / "final_metrics.json").read_text()) for r in "ab")
    assert a["direct"] == b["direct"] and a[a["sampler"]] == b[b["sampler"]]


def test_train_help_names_every_preset(capsys, monkeypatch):
    """The --preset help is built from the registries, so a preset added to either is listed."""
    from divergan.apps import APP_PRESETS
    from divergan.train.config import PRESETS

    monkeypatch.setenv("COLUMNS", "1000")  # no wrapping (argparse breaks lines at hyphens)
    with pytest.raises(SystemExit) as done:
        main(["train", "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    missing = [name for name in [*PRESETS, *APP_PRESETS] if f"{name}," not in text and f"{name})" not in text]
    assert not missing and "style-mnist" in APP_PRESETS
