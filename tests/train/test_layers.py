"""The package layers have no upward import (read from the source, every import, lazy ones included):

    divergences ← objectives/estimators/metrics ← nn/data ← figures ← train ← apps ← report ← commands

A package may import its own layer and those below it. Imports under ``if TYPE_CHECKING:`` are types
only (never run) and are not counted.
"""

from __future__ import annotations

import ast
from pathlib import Path

import divergan

LAYERS = [
    ["divergences"],
    ["objectives", "estimators", "metrics"],
    ["nn", "data"],
    ["figures"],
    ["train"],
    ["apps"],
    ["report"],
    ["commands"],
]
RANK = {package: i for i, packages in enumerate(LAYERS) for package in packages}
ROOT = Path(divergan.__file__).parent


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside ``if TYPE_CHECKING:`` blocks."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                inside.update(id(n) for n in ast.walk(stmt))
    return inside


def imported_packages(source: str, module: str) -> list[tuple[int, str]]:
    """(line, divergan sub-package) of every runtime import in ``source``, the module ``module``
    (dotted, e.g. ``divergan.train.loop``); relative imports are resolved."""
    tree = ast.parse(source)
    skip = _type_checking_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x / from ..train import y
                base = module.split(".")[: -node.level]
                names = [".".join([*base, node.module] if node.module else base)]
            elif node.module:
                names = [node.module]
            if names and names[0] == "divergan":  # from divergan import train
                names = [f"divergan.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "divergan" and len(parts) > 1:
                found.append((node.lineno, parts[1]))
    return found


def upward_imports(root: Path) -> list[str]:
    """Every import of a higher layer from a package of ``root`` (a ``divergan`` source tree)."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        package = rel.parts[0] if len(rel.parts) > 1 else None
        if package not in RANK:
            continue
        module = ".".join(["divergan", *rel.with_suffix("").parts])
        for line, target in sorted(imported_packages(path.read_text(encoding="utf-8"), module)):
            if target in RANK and RANK[target] > RANK[package]:
                bad.append(f"{rel}:{line}: {package} imports divergan.{target}")
    return bad


def test_no_package_imports_a_higher_layer():
    assert upward_imports(ROOT) == []


def test_every_layered_package_exists():
    assert all((ROOT / package / "__init__.py").is_file() for package in RANK)


def test_the_check_sees_an_upward_import(tmp_path):
    # negative controls: a lazy import inside a function, a relative one and "from divergan import x"
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "loop.py").write_text(
        "def f():\n    from divergan.report.html import write_report\n"
        "from ..apps import glyphs\nfrom divergan import commands\n"
    )
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "html.py").write_text(
        "import divergan.train.loop\nfrom divergan.apps import load_run\n"
    )
    assert upward_imports(tmp_path) == [
        "train/loop.py:2: train imports divergan.report",
        "train/loop.py:3: train imports divergan.apps",
        "train/loop.py:4: train imports divergan.commands",
    ]


def test_type_only_imports_are_not_counted(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "m.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from divergan.data.base import Dataset\n"
    )
    assert upward_imports(tmp_path) == []
    (tmp_path / "metrics" / "m.py").write_text("from divergan.data.base import Dataset\n")  # the control
    assert upward_imports(tmp_path) == ["metrics/m.py:1: metrics imports divergan.data"]
