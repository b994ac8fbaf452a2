"""What a newcomer reads first: the README (pictures, both install routes, the lab, the Python API),
LICENSE with the data's attribution, CITATION.cff, and links between the documents that resolve."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The body of the ``## title`` section (up to the next ``## ``)."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"no section '## {title}'"
    return match.group(1)


def test_readme_shows_pictures_near_the_top_and_every_one_exists():
    pictures = re.findall(r'<img src="([^"]+)"|!\[[^\]]*\]\(([^)]+\.png)\)', README)
    paths = [a or b for a, b in pictures]
    assert len(paths) >= 3
    for path in paths:
        assert (ROOT / path).is_file(), path
    top = README[: README.index("## Quick start")]
    assert "docs/images/grid25-samples.png" in top  # the main job's samples
    assert sum(p.startswith("docs/lab/") for p in re.findall(r'<img src="([^"]+)"', top)) >= 2
    # the headline picture is the generator's own samples, not a sampler's
    first = re.search(r'<img src="[^"]+" alt="([^"]+)"', README).group(1)
    assert "generator's own samples" in first


def test_quick_start_keeps_exactly_two_set_up_commands():
    body = section(README, "Quick start")
    block = re.search(r"```bash\n(.*?)```", body, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]
    assert commands == ["make demo", "make test"]


def test_pip_route_installs_the_cpu_wheel_first():
    body = section(README, "Quick start")
    lines = [line.strip() for line in re.findall(r"```bash\n(.*?)```", body, re.S)[1].splitlines()]
    cpu = "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu"
    assert cpu in lines
    editable = next(i for i, line in enumerate(lines) if line.startswith("pip install -e ."))
    assert lines.index(cpu) < editable
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH ?= 2.13.0" in makefile  # the README's pin is the Makefile's


def test_theory_lab_section_names_real_experiments():
    from divergan.lab import registry

    body = section(README, "Theory lab")
    assert "divergan lab list" in body and "--quick" in body
    named = set(re.findall(r"divergan lab ([a-z][a-z-]+) --quick", body))
    names = set(registry.names())
    assert named and named <= names, named - names


def test_python_api_section_shows_fit_and_load_generator():
    body = section(README, "Python API")
    assert "divergan.fit(" in body and "divergan.load_generator(" in body
    assert 'objective="non-saturating"' in body
    for attribute in ("run.folder", "run.metrics", "run.generator"):
        assert attribute in body


def test_relative_links_in_readme_and_docs_resolve():
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):  # http:, mailto:
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_license_is_mit_with_the_data_attribution():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    for needle in ("Yann LeCun", "Corinna Cortes", "CC BY-SA 3.0", "load_digits()", "UCI Machine Learning"):
        assert needle in text, needle
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "MIT"}


def test_citation_cff_is_valid_and_matches_the_package():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert {"message", "title", "authors"} <= cff.keys() and cff["authors"]
    assert str(cff["version"]) == project["version"] and cff["license"] == "MIT"
    for ref in cff.get("references", []):
        assert ref["title"] and ref["authors"] and isinstance(ref["year"], int)
