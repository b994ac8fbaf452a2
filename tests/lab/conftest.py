"""Run each lab experiment once per session at --quick size and share the result among its tests."""

from __future__ import annotations

import pytest

from divergan.lab import get_experiment, run_experiment


@pytest.fixture(scope="session")
def quick_result(tmp_path_factory):
    cache: dict[str, dict] = {}

    def run(name: str) -> dict:
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            cache[name] = run_experiment(get_experiment(name), quick=True, seed=0, out=out)
            cache[name]["_out"] = out
        return cache[name]

    return run
