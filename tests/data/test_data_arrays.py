"""User arrays from .npy and .csv files, and one-line errors naming the file for bad ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from divergan.data import get_dataset, load_array
from divergan.errors import UserError


def test_npy_roundtrip_and_sampling(tmp_path):
    arr = np.arange(12, dtype=np.float64).reshape(6, 2)
    path = tmp_path / "x.npy"
    np.save(path, arr)
    d = load_array(path)
    assert d.dim == 2 and d.name == str(path) and d.modes is None
    assert torch.equal(d.points, torch.tensor(arr, dtype=torch.float32))
    s = d.sample(100, torch.Generator().manual_seed(0))
    assert s.shape == (100, 2) and {tuple(r) for r in s.tolist()} <= {tuple(r) for r in arr.tolist()}
    assert torch.equal(s, d.sample(100, torch.Generator().manual_seed(0)))
    assert get_dataset(str(path)).dim == 2


def test_integer_and_1d_arrays(tmp_path):
    np.save(tmp_path / "i.npy", np.array([[1, 2], [3, 4]], dtype=np.int64))
    assert load_array(tmp_path / "i.npy").points.dtype == torch.float32
    np.save(tmp_path / "v.npy", np.array([1.0, 2.0, 3.0]))
    assert load_array(tmp_path / "v.npy").points.shape == (3, 1)


def test_csv_with_header_comments_and_blank_lines(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("# made by hand\nx,y\n1,2\n\n3.5,-4e-1\n")
    d = load_array(path)
    assert d.points.tolist() == [[1.0, 2.0], [3.5, -0.4000000059604645]]
    single = tmp_path / "one.csv"
    single.write_text("7\n8\n9\n")
    assert load_array(single).points.shape == (3, 1)


BAD = [
    ("missing.npy", None, "no such file"),
    ("empty.csv", b"", "empty"),
    ("header_only.csv", b"a,b\n", "no data rows"),
    ("words.csv", b"1,2\n3,x\n", "line 2"),
    ("ragged.csv", b"1,2\n3,4,5\n", "line 2"),
    ("nan.csv", b"1,2\n3,nan\n", "NaN at row 1, column 1"),
    ("inf.csv", b"1,inf\n", "Inf"),
    ("huge.csv", b"1,1e300\n", "Inf"),
    ("garbage.npy", b"not numpy at all", "not a readable .npy"),
    ("data.txt", b"1,2\n", "unsupported file type"),
]


@pytest.mark.parametrize(("name", "content", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_files_raise_one_line_errors_naming_the_file(tmp_path, name, content, needle):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(UserError) as info:
        load_array(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg and needle in msg


@pytest.mark.parametrize(
    ("array", "needle"),
    [
        (np.zeros((0, 3)), "no rows"),
        (np.zeros((3, 0)), "no columns"),
        (np.zeros((2, 3, 4)), "expected a 2-D array"),
        (np.array(1.0), "expected a 2-D array"),
        (np.array([[1.0, np.inf]]), "Inf"),
        (np.array([[np.nan, 1.0]]), "NaN"),
        (np.array([["a", "b"]]), "expected numbers"),
        (np.array([[True, False]]), "expected numbers"),
        (np.array([[1 + 1j]]), "expected numbers"),
    ],
)
def test_bad_npy_contents(tmp_path, array, needle):
    path = tmp_path / "bad.npy"
    np.save(path, array)
    with pytest.raises(UserError) as info:
        load_array(path)
    assert needle in str(info.value) and str(path) in str(info.value) and "\n" not in str(info.value)


def test_object_arrays_are_refused_without_unpickling(tmp_path):
    path = tmp_path / "obj.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(UserError, match=r"not a numeric \.npy array"):
        load_array(path)


def test_a_folder_is_not_a_file(tmp_path):
    folder = tmp_path / "dir.npy"
    folder.mkdir()
    with pytest.raises(UserError, match="not a file"):
        load_array(folder)


def test_a_truncated_npy_file(tmp_path):
    path = tmp_path / "cut.npy"
    np.save(path, np.zeros((100, 3)))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(UserError, match="truncated or corrupt") as info:
        load_array(path)
    assert "\n" not in str(info.value) and str(path) in str(info.value)
