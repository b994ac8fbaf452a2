"""Parsing distribution specs: every malformed spec is a one-line UserError, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divergan.divergences import Discrete, Normal, parse_spec
from divergan.errors import UserError


def test_parse_good_specs():
    assert parse_spec("normal:0,1") == Normal((0.0,), (1.0,))
    assert parse_spec("normal:1;-2,0.5;3") == Normal((1.0, -2.0), (0.5, 3.0))
    assert parse_spec("discrete:0.2,0.8") == Discrete((0.2, 0.8))
    assert parse_spec(" NORMAL:0, 2 ".strip()) == Normal((0.0,), (2.0,))
    assert str(parse_spec("normal:1;2,3;4")) == "normal:1;2,3;4"


@pytest.mark.parametrize(
    "spec,match",
    [
        ("normal:0,0", "sigma must be > 0"),
        ("normal:0,-1", "sigma must be > 0"),
        ("normal:0", "MU,SIGMA"),
        ("normal:a,1", "not a number"),
        ("normal:0,inf", "finite"),
        ("normal:0;1,1", "coordinates"),
        ("discrete:0.5,0.6", "sum to 1"),
        ("discrete:-0.5,1.5", ">= 0"),
        ("discrete:x,y", "numbers"),
        ("discrete:nan,1", "finite"),
        ("cauchy:0,1", "unknown scheme"),
        ("0,1", "SCHEME:ARGS"),
        ("", "SCHEME:ARGS"),
    ],
)
def test_bad_specs(spec, match):
    with pytest.raises(UserError, match=match):
        parse_spec(spec)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fuzzed_specs_never_raise_anything_but_user_error(text):
    for spec in (text, "normal:" + text, "discrete:" + text):
        try:
            parse_spec(spec)
        except UserError as exc:
            assert "\n" not in str(exc)
