"""lab/base.py: one rule for every experiment, holds = all(measured['checks']), failing sub-claims listed."""

from __future__ import annotations

import json

import pytest

from divergan.lab.base import Experiment, run_experiment


def _experiment(body: dict) -> Experiment:
    return Experiment(name="fake", title="fake", claim="a fake claim (1)", measure=lambda ctx: dict(body))


def _body(**checks: bool) -> dict:
    return {"measured": {"checks": checks}, "expected": {}, "tolerance": {}}


def test_holds_when_every_check_holds(tmp_path):
    r = run_experiment(_experiment(_body(a=True, b=True)), quick=True, out=tmp_path)
    assert r["holds"] is True and r["failing"] == []
    assert json.loads((tmp_path / "result.json").read_text())["holds"] is True


def test_one_failing_check_makes_holds_false_and_is_named(tmp_path):
    """The negative control of the rule itself: a single false sub-claim is never dropped."""
    r = run_experiment(_experiment(_body(a=True, b=False, c=True)), quick=True, out=tmp_path)
    assert r["holds"] is False and r["failing"] == ["b"]
    written = json.loads((tmp_path / "result.json").read_text())
    assert written["holds"] is False and written["failing"] == ["b"]


@pytest.mark.parametrize(
    "body",
    [
        {**_body(a=True), "holds": True},  # an experiment may not state its own verdict
        {"measured": {}, "expected": {}, "tolerance": {}},  # no checks
        _body(),  # empty checks: nothing would be claimed
    ],
    ids=["own-holds", "no-checks", "empty-checks"],
)
def test_results_without_checks_or_with_their_own_holds_are_rejected(tmp_path, body):
    with pytest.raises(TypeError):
        run_experiment(_experiment(body), quick=True, out=tmp_path)
