"""The f-divergence table's display text against the listing ``divergan divergences`` prints
(docs/testing.md, "Mutation testing": the survivors of ``table.py`` were mostly changed formulas and
descriptions, which no numeric test reads)."""

from __future__ import annotations

import pytest

from divergan.commands import catalog
from divergan.divergences import PARAMETERS, TABLE, get


@pytest.mark.parametrize("name", list(TABLE))
def test_each_entry_prints_its_stored_row(name):
    """The stored rows are what the torch-free listing prints (tests/test_startup.py keeps them equal to
    the registry as a whole); here each entry is built afresh and compared field by field, so a
    changed formula or description names its entry. Fails e.g. if kl's f read "u log(u)"."""
    (row,) = [r for r in catalog.stored()["DIVERGENCES"] if r["name"] == name]
    fdiv = get(name)
    param = PARAMETERS.get(name)
    assert fdiv.name == name and row["kind"] == "f-divergence"
    assert row["parameter"] == (f"--{param[0]} (default {param[1]})" if param else "")
    assert {k: fdiv.formulas[k] for k in ("f", "f*", "g_f")} == {k: row[k] for k in ("f", "f*", "g_f")}
    assert fdiv.description == row["description"]
