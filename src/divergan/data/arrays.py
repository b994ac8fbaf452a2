"""User data from files: ``.npy`` or ``.csv`` arrays of shape (N, d), loaded as a finite :class:`Dataset`.

Every problem with a file is a :class:`~divergan.errors.UserError` with a one-line message naming the
file: missing, a folder, empty, unreadable, non-numeric, NaN or Inf, not 1- or 2-dimensional, no rows
or no columns. A 1-D array of N numbers is read as N points on the line, shape (N, 1). A ``.csv`` is
comma-separated numbers, one sample a row; a first row that is not all numbers is taken as a header;
blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import torch

from divergan.data.base import Dataset
from divergan.errors import UserError

#: file name endings :func:`load_array` reads
EXTENSIONS: tuple[str, ...] = (".npy", ".csv")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _read_npy(path: Path) -> np.ndarray:
    fmt = np.lib.format
    try:
        with path.open("rb") as fh:
            version = fmt.read_magic(fh)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            _, _, dtype = read_header(fh)
    except (ValueError, OSError, EOFError):
        raise UserError(f"{path}: not a readable .npy file (no valid NUMPY header)") from None
    if dtype.hasobject:  # would need pickle: refused on purpose
        raise UserError(f"{path}: not a numeric .npy array (it holds Python objects, which are not loaded)")
    if dtype == np.bool_ or not (np.issubdtype(dtype, np.integer) or np.issubdtype(dtype, np.floating)):
        raise UserError(f"{path}: expected numbers, got an array of dtype {dtype}")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise UserError(
            f"{path}: not a readable .npy file, truncated or corrupt ({_one_line(exc)})"
        ) from None


def _data_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) for every line that is not blank or a # comment."""
    return [
        (i, line)
        for i, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _is_numeric_row(line: str) -> bool:
    try:
        [float(field) for field in line.split(",")]
    except ValueError:
        return False
    return True


def _diagnose_csv(path: Path, lines: list[tuple[int, str]]) -> UserError:
    """The first bad row of a CSV that numpy could not parse, as a one-line error."""
    width = len(lines[0][1].split(","))
    for number, line in lines:
        fields = line.split(",")
        for field in fields:
            try:
                float(field)
            except ValueError:
                return UserError(f"{path}: line {number}: non-numeric value {field.strip()!r}")
        if len(fields) != width:
            return UserError(f"{path}: line {number}: {len(fields)} columns, expected {width}")
    return UserError(f"{path}: not a table of comma-separated numbers")


def _read_csv(path: Path) -> np.ndarray:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: not a readable text file ({_one_line(exc)})") from None
    lines = _data_lines(text)
    if lines and not _is_numeric_row(lines[0][1]):
        lines = lines[1:]  # a header row
    if not lines:
        raise UserError(f"{path}: no data rows")
    body = "\n".join(line for _, line in lines)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.loadtxt(io.StringIO(body), delimiter=",", ndmin=2, dtype=np.float64)
    except ValueError:
        raise _diagnose_csv(path, lines) from None


def load_array(path: str | Path, dtype: type = np.float32) -> Dataset:
    """Load (N, d) float data from a ``.npy`` or ``.csv`` file as a finite dataset.

    Args:
        path: the file.
        dtype: the points' dtype (float64 keeps a sample's values exactly, as estimators need).

    Returns:
        A :class:`Dataset` named after the file, with ``points`` of shape (N, d) of ``dtype``;
        ``sample(n, generator)`` draws rows uniformly with replacement.

    Raises:
        UserError: with a one-line message naming the file, for any problem with it.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in EXTENSIONS:
        raise UserError(f"{p}: unsupported file type {suffix or '(none)'!r}; use {' or '.join(EXTENSIONS)}")
    if not p.exists():
        raise UserError(f"{p}: no such file")
    if not p.is_file():
        raise UserError(f"{p}: not a file")
    if p.stat().st_size == 0:
        raise UserError(f"{p}: empty file")
    arr = _read_npy(p) if suffix == ".npy" else _read_csv(p)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise UserError(
            f"{p}: expected a 2-D array (N, d), got shape {tuple(arr.shape)}; flatten samples first"
        )
    if arr.shape[0] == 0:
        raise UserError(f"{p}: no rows (shape {tuple(arr.shape)})")
    if arr.shape[1] == 0:
        raise UserError(f"{p}: no columns (shape {tuple(arr.shape)})")
    with np.errstate(over="ignore"):
        values = arr.astype(dtype)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(arr[row, col]) else f"Inf (or a value too large for {np.dtype(dtype).name})"
        raise UserError(f"{p}: contains {what} at row {row}, column {col}")
    points = torch.from_numpy(np.ascontiguousarray(values))
    return Dataset(name=str(p), dim=int(points.shape[1]), points=points)
