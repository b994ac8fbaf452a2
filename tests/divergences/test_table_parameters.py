"""A parametrised f-divergence is one table entry: its parameter and default are read from the entry."""

import pytest

from divergan.divergences import table
from divergan.errors import UserError


def test_the_parameters_come_from_the_entries():
    assert table.PARAMETERS == {"alpha": ("alpha", 0.5), "js-pi": ("pi", 0.5)}
    assert table.parameter("kl") is None
    assert table.get("alpha", alpha=2.0).name and table.get("js-pi", pi=0.2)
    with pytest.raises(UserError, match="takes no parameter alpha"):
        table.get("kl", alpha=2.0)  # the control: an entry without a parameter refuses one


def test_a_new_entry_brings_its_parameter(monkeypatch):
    def _tilted(beta: float = 2.0):
        return table.TABLE["alpha"](alpha=beta)

    monkeypatch.setitem(table.TABLE, "tilted", _tilted)
    assert table.parameter("tilted") == ("beta", 2.0)
    assert table.get("tilted", beta=3.0) is not None
    with pytest.raises(UserError, match="takes no parameter alpha"):
        table.get("tilted", alpha=3.0)

    def _two(a: float = 1.0, b: float = 2.0):  # negative control: not one parameter
        return table.TABLE["kl"]()

    monkeypatch.setitem(table.TABLE, "two", _two)
    with pytest.raises(TypeError, match="at most one parameter"):
        table.parameter("two")
