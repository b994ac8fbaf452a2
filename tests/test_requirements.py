"""A missing test dependency is a skip on a developer's machine and a failure under CI (conftest.require)."""

from __future__ import annotations

import pytest


def test_missing_dependency_skips_locally_and_fails_in_ci(monkeypatch, require):
    require(True, "present")  # nothing happens
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no font"):
        require(False, "no font")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"no font \(CI is set"):
        require(False, "no font")
