"""``divergan lab``: the listing, the error contract for unknown names, JSON output."""

from __future__ import annotations

import json

import pytest

from divergan import cli
from divergan.errors import UserError
from divergan.lab import get_experiment, names

ISSUE_ORDER = [
    "optimal-discriminator",
    "jsd-saturation",
    "perfect-discriminator",
    "fdiv-fits",
    "topology",
    "non-generalization",
    "nn-divergence-generalization",
    "memorization",
    "mixed-equilibrium",
    "mutual-information",
    "ipm-family",
    "moment-matching",
    "garcia-lemmas",
    "weight-clipping",
    "manifold-discriminator",
    "birthday-paradox",
    "vector-arithmetic",
]


def test_list_names_every_registered_experiment(capsys):
    assert cli.main(["lab", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == names()
    assert [n for n in ISSUE_ORDER if n in names()] == names()


def test_list_json(capsys):
    assert cli.main(["lab", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in rows] == names()
    # claims cite sources by short name (docs/references.md), never by an internal file number
    assert all("seed 00" not in r["claim"] for r in rows)
    assert all(any(c.isdigit() for c in r["claim"]) for r in rows)


def test_unknown_experiment_is_one_line_and_exit_2(capsys):
    assert cli.main(["lab", "no-such-experiment"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error: unknown experiment 'no-such-experiment'")
    with pytest.raises(UserError):
        get_experiment("no-such-experiment")


def test_json_output_is_the_written_result(tmp_path, capsys):
    assert cli.main(["lab", "garcia-lemmas", "--quick", "--json", "--out", str(tmp_path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    written = json.loads((tmp_path / "result.json").read_text())
    assert printed == written
    for key in ("claim", "measured", "expected", "holds", "failing", "tolerance", "seconds"):
        assert key in printed
    assert printed["quick"] is True and printed["seed"] == 0
    assert all((tmp_path / f).is_file() for f in printed["figures"])


def test_same_seed_same_result(tmp_path):
    from divergan.lab import run_experiment

    first = run_experiment(get_experiment("garcia-lemmas"), quick=True, seed=3, out=tmp_path / "a")
    second = run_experiment(get_experiment("garcia-lemmas"), quick=True, seed=3, out=tmp_path / "b")
    assert first["measured"] == second["measured"]


def test_human_summary(tmp_path, capsys):
    assert cli.main(["lab", "garcia-lemmas", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("garcia-lemmas: HOLDS") and "result.json" in out
