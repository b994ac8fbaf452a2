"""Devices: cpu equals the default on a CPU machine; an unavailable device or bf16 on CPU is one error line."""

from __future__ import annotations

import pytest
import torch

from divergan.cli import main
from divergan.errors import UserError
from divergan.train import checkpoint as ckpt
from divergan.train import devices

SMALL = ["--preset", "quick", "--data", "ring8", "--steps", "4", "--quiet", "--set", "eval_samples=100"]


def test_device_cpu_equals_the_default_when_no_accelerator_is_present(tmp_path, monkeypatch):
    """auto resolves to cpu without CUDA/MPS (made so here on any machine): the two runs are identical."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(devices, "_mps_available", lambda: False)
    assert main(["train", *SMALL, "--out", str(tmp_path / "a")]) == 0
    assert main(["train", *SMALL, "--device", "cpu", "--out", str(tmp_path / "b")]) == 0
    a, b = ckpt.load(ckpt.latest(tmp_path / "a"))[0], ckpt.load(ckpt.latest(tmp_path / "b"))[0]
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch):
    for cuda, mps, expected in [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")]:
        monkeypatch.setattr(torch.cuda, "is_available", lambda cuda=cuda: cuda)
        monkeypatch.setattr(devices, "_mps_available", lambda mps=mps: mps)
        assert devices.resolve("auto").type == expected


@pytest.mark.parametrize(
    "flags",
    [
        ["--device", "tpu"],
        ["--set", "amp=fp8"],
        ["--device", "cpu", "--set", "amp=bf16"],
        *([["--device", "cuda"]] if not torch.cuda.is_available() else []),
        *([["--device", "mps"]] if not devices._mps_available() else []),
    ],
)
def test_bad_or_missing_device_is_one_error_line(tmp_path, capsys, flags):
    assert main(["train", *SMALL, *flags, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not (tmp_path / "run").exists()


def test_resolve():
    assert devices.resolve("cpu") == torch.device("cpu")
    assert devices.resolve("auto").type in ("cpu", "cuda", "mps")
    with pytest.raises(UserError):
        devices.resolve("cuda:x")
