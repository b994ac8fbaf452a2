"""The repository stands alone: no file points at notes or files outside it (the source notes by number,
a protocols file, a style guide, a shared folder), and every short citation name used for the source
notes resolves in docs/references.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("src", "tests", "docs", "benchmarks", "scripts")
TOP = ("README.md", "Makefile", "pyproject.toml", "CITATION.cff", "LICENSE")
# the patterns are assembled here so that this file does not match itself
OUTSIDE = re.compile("|".join([r"seeds? 0\d\d", "ANCH" + "ORS", "STY" + r"LE\.md", "sha" + "red/"]), re.I)
SKIP = {"__pycache__", ".pytest_cache", ".ruff_cache"}


def text_files() -> list[Path]:
    found = [ROOT / name for name in TOP if (ROOT / name).is_file()]
    for sub in SCANNED:
        for p in sorted((ROOT / sub).rglob("*")) if (ROOT / sub).is_dir() else []:
            if p.is_file() and not SKIP & set(p.parts) and p.resolve() != Path(__file__).resolve():
                found.append(p)
    return found


def hits(paths: list[Path]) -> list[str]:
    out = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):  # pictures, safetensors, npz
            continue
        for i, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                name = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
                out.append(f"{name}:{i}: {line.strip()[:120]}")
    return out


def test_no_file_points_outside_the_repository():
    assert len(text_files()) > 100  # the scan sees the tree (a wrong ROOT would pass vacuously)
    found = hits(text_files())
    assert not found, "cite by the short names of docs/references.md:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "see seed " + "001, Lemma 1.3",
        "(SEED 000 eq. 2)",
        "ANCH" + "ORS.md",
        "../STY" + "LE.md",
        "/work/sha" + "red/x",
    ],
)
def test_the_check_catches_each_pattern(tmp_path, line):
    """Negative control: a file with any of the patterns is reported."""
    bad, good = tmp_path / "bad.py", tmp_path / "good.py"
    bad.write_text(f"x = 1\n# {line}\n")
    good.write_text("# Garcia, Lemma 1.3; docs/protocols.md; seed 7, seeds 0-3\n")
    assert hits([bad, good]) == [f"{bad}:2: # {line}"]


CITATION = re.compile(
    r"\b([A-Z][A-Za-zäöüéńś-]+(?: et al\.| & [A-Z][A-Za-zäöüéńś-]+|, [A-Z][a-z]+ & [A-Z][a-zé]+)) \(?(\d{4})\b"
)


def test_every_cited_paper_resolves_in_references():
    """Each "Name et al. YYYY" / "A & B YYYY" the code and documents cite is listed in docs/references.md."""
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    missing = {}
    for p in text_files():
        if p.suffix not in (".py", ".md"):
            continue
        for m in CITATION.finditer(p.read_text(encoding="utf-8")):
            if f"{m[1]} {m[2]}" not in refs:
                missing.setdefault(f"{m[1]} {m[2]}", str(p.relative_to(ROOT)))
    assert not missing, f"add these to docs/references.md: {missing}"
    assert CITATION.search(
        "as in Lin et al. 2018 and Arjovsky & Bottou 2017"
    )  # the pattern matches citations


def test_the_source_notes_resolve_in_references():
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    for name in ("GAN analysis slides", "Garcia", "Zhang lecture notes", "Sun (PaperWeekly)"):
        assert f"**{name}**" in refs, name
    for name in ("Arjovsky & Bottou 2017", "Lin et al. 2018 (PacGAN)", "Naeem et al. 2020 (PRDC)"):
        assert f"**{name}" in refs, name
    assert (ROOT / "docs" / "protocols.md").is_file()
