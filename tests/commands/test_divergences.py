"""``divergan divergences`` and ``divergan divergence``: every name reachable, exact values, one-line errors."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from divergan.cli import main
from divergan.divergences import Normal, f_divergence, names, wasserstein


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_listing_names_every_divergence_with_f_fstar_and_gf(capsys):
    code, out, _ = run(capsys, "divergences", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    for name in names():
        assert {"f", "f*", "g_f"} <= set(rows[name]), name
    for ipm in ("wasserstein-1", "wasserstein-2", "sliced-wasserstein", "mmd", "energy", "kolmogorov"):
        assert ipm in rows
    code, out, _ = run(capsys, "divergences")
    assert code == 0 and "js-pi" in out and "g_f(v)" in out


@pytest.mark.parametrize("name", names())
def test_every_f_divergence_is_reachable_and_exact(capsys, name):
    extra = {"alpha": ["--alpha", "0.3"], "js-pi": ["--pi", "0.2"]}.get(name, [])
    code, out, err = run(
        capsys, "divergence", name, "--p", "normal:0,1", "--q", "normal:0.5,1.3", "--json", *extra
    )
    assert code == 0, err
    obj = json.loads(out)
    params = {"alpha": {"alpha": 0.3}, "js-pi": {"pi": 0.2}}.get(name, {})
    expected = f_divergence(name, Normal((0.0,), (1.0,)), Normal((0.5,), (1.3,)), **params)
    assert obj["divergence"] == name
    assert obj["value"] == pytest.approx(expected, rel=1e-4)
    assert obj["method"]


def test_infinity_is_printed_as_json_infinity(capsys):
    code, out, _ = run(
        capsys, "divergence", "kl", "--p", "discrete:0.5,0.5,0", "--q", "discrete:0,0.5,0.5", "--json"
    )
    assert code == 0
    assert '"value": Infinity' in out
    assert json.loads(out)["value"] == math.inf


def test_plain_output_names_the_method(capsys):
    code, out, _ = run(capsys, "divergence", "tv", "--p", "discrete:0.1,0.9", "--q", "discrete:0.6,0.4")
    assert code == 0
    assert out.splitlines()[0] == "tv(P||Q) = 0.5"
    assert "method: exact sum" in out


def test_wasserstein_between_known_laws_is_exact(capsys):
    code, out, _ = run(
        capsys, "divergence", "wasserstein-2", "--p", "normal:0,1", "--q", "normal:1,2", "--json"
    )
    assert code == 0
    assert json.loads(out)["value"] == pytest.approx(
        wasserstein(Normal((0.0,), (1.0,)), Normal((1.0,), (2.0,)), 2)
    )


def test_sample_files_give_estimates_that_say_how(capsys, tmp_path):
    rng = np.random.default_rng(123)  # not measure's seed 0, which would redraw these very points
    a, b = tmp_path / "a.npy", tmp_path / "b.csv"
    np.save(a, rng.normal(0, 1, size=(1500, 1)))
    np.savetxt(b, rng.normal(10, 1, size=(1500, 1)), delimiter=",")
    code, out, err = run(capsys, "divergence", "wasserstein-1", "--p", str(a), "--q", str(b), "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["value"] == pytest.approx(10.0, abs=0.15)
    assert "transport" in obj["method"].lower() or "pot" in obj["method"].lower()
    code, out, err = run(capsys, "divergence", "kl", "--p", str(a), "--q", "normal:0,1", "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert "samples drawn from normal:0,1" in obj["method"]
    assert abs(obj["value"]) < 0.15


BAD = [
    (["divergence", "kl", "--p", "normal:0", "--q", "normal:0,1"], "MU,SIGMA"),
    (["divergence", "kl", "--p", "cauchy:0,1", "--q", "normal:0,1"], "unknown scheme"),
    (["divergence", "kl", "--p", "normal:0,0", "--q", "normal:0,1"], "sigma"),
    (["divergence", "kl", "--p", "normal:0,-2", "--q", "normal:0,1"], "sigma"),
    (["divergence", "kl", "--p", "discrete:-0.1,1.1", "--q", "discrete:0.5,0.5"], ">= 0"),
    (["divergence", "kl", "--p", "discrete:0.3,0.3", "--q", "discrete:0.5,0.5"], "sum to 1"),
    (["divergence", "kl", "--p", "discrete:0.5,0.5", "--q", "discrete:0.2,0.3,0.5"], "length"),
    (["divergence", "js-pi", "--pi", "1.5", "--p", "normal:0,1", "--q", "normal:0,1"], "pi"),
    (["divergence", "js-pi", "--pi", "0", "--p", "normal:0,1", "--q", "normal:0,1"], "pi"),
    (["divergence", "alpha", "--alpha", "1", "--p", "normal:0,1", "--q", "normal:0,1"], "alpha"),
    (["divergence", "kl", "--pi", "0.3", "--p", "normal:0,1", "--q", "normal:0,1"], "pi"),
    (["divergence", "nope", "--p", "normal:0,1", "--q", "normal:0,1"], "unknown divergence"),
    (["divergence", "kl", "--p", "/no/such/file.npy", "--q", "normal:0,1"], "file.npy"),
    (["divergence", "js", "--p", "normal:0;0,1;1", "--q", "normal:1;0,1;1"], "no closed form"),
    (["divergence", "kl", "--p", "normal:0;0,1;1", "--q", "normal:0,1"], "dimension"),
    (["divergence", "kl", "--p", "normal:0,1"], "--q"),
    (["divergence", "js-pi", "--pi", "abc", "--p", "normal:0,1", "--q", "normal:0,1"], "invalid float"),
    (["nosuchcommand"], "invalid choice"),
]


@pytest.mark.parametrize("argv,match", BAD, ids=[" ".join(a[:4]) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, match):
    code, _out, err = run(capsys, *argv)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert match in lines[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("content", [b"", b"not,numbers\nat,all\n", b"1.0,nan\n2.0,3.0\n"])
def test_bad_sample_files(capsys, tmp_path, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, _, err = run(capsys, "divergence", "kl", "--p", str(path), "--q", "normal:0,1")
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_console_entry_point_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "divergan", "divergence", "kl", "--p", "normal:0,0", "--q", "normal:0,1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "divergan", "divergence", "gan", "--p", "normal:0,1", "--q", "normal:0,1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0
    assert float(proc.stdout.splitlines()[0].split("=")[1]) == pytest.approx(-math.log(4), rel=1e-6)


def test_neural_net_divergence_is_reachable(capsys, tmp_path):
    rng = np.random.default_rng(7)
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    np.save(a, rng.normal(0, 1, size=(400, 2)))
    np.save(b, rng.normal(3, 1, size=(400, 2)))
    code, out, err = run(capsys, "divergence", "nn-divergence", "--p", str(a), "--q", str(b), "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert 0.5 < obj["value"] <= 1.0  # well-separated clouds: a sigmoid critic nearly separates them
    assert "d_NN" in obj["method"]
