"""The project's shape: required top-level files, package data, and imports pointing down only."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What each layer may import from the project's own packages (ARCHITECTURE.md).
ALLOWED = {
    "nakyma": {"nakyma"},
    "pipelines": {"nakyma", "pipelines"},
    "web": {"nakyma", "pipelines", "web"},
}


def test_top_level_layout() -> None:
    for name in (
        "pyproject.toml",
        "nakyma",
        "pipelines",
        "models",
        "web",
        "tests",
        "benchmarks",
        "README.md",
        "Makefile",
        ".ci/run",
        ".env.example",
    ):
        assert (ROOT / name).exists(), name


def test_distribution_declares_packages_and_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = set(config["tool"]["setuptools"]["packages"])
    assert {"nakyma", "pipelines", "web"} <= packages
    data = config["tool"]["setuptools"]["package-data"]
    assert "*.html" in data["web.templates"]
    assert data["web.static.vendor"] == ["*"]
    assert config["project"]["requires-python"] == ">=3.11"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_down_only(layer: str) -> None:
    offenders = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        if path == ROOT / "nakyma" / "cli.py":
            continue  # the one top-floor module that wires everything together
        bad = _imports(path) - ALLOWED[layer]
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


def test_static_assets_are_vendored_not_linked() -> None:
    for template in (ROOT / "web" / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "cdn" not in text.lower(), template.name
        assert "https://" not in text, template.name
