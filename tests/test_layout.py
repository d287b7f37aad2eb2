"""The project's shape: required top-level files, package data, imports pointing down only,
no import cycles and no overlong functions."""

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
    # Every code package is shipped: a package left out installs without its modules.
    code_packages = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for layer in ("nakyma", "pipelines", "web")
        for init in (ROOT / layer).rglob("__init__.py")
    }
    assert code_packages - packages == set()


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


# --- import cycles -------------------------------------------------------------------------

PACKAGES = ("nakyma", "pipelines", "web")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules(root: Path) -> dict[str, Path]:
    return {
        _module_name(path, root): path
        for package in PACKAGES
        if (root / package).is_dir()
        for path in sorted((root / package).rglob("*.py"))
    }


def _type_checking_only(tree: ast.AST) -> set[ast.AST]:
    """Import nodes under `if TYPE_CHECKING:`: they never run, so they make no cycle."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for stmt in node.body:
                skipped.update(ast.walk(stmt))
    return skipped


def _import_edges(path: Path, root: Path, modules: set[str]) -> set[str]:
    """Project modules that `path` imports anywhere: at the top, inside functions or classes."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_only(tree)
    here = _module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x / from .x import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # "from a.b import c" imports a.b.c when c is a module, else a name of a.b.
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                targets.add(sub if sub in modules else base)
    found = set()
    for target in targets:
        while target and target not in modules:  # "nakyma.x.y" where only "nakyma.x" is ours
            target = target.rpartition(".")[0]
        if target and target != here:
            found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = _project_modules(root)
    return {name: _import_edges(path, root, set(modules)) for name, path in modules.items()}


def test_no_import_cycles_not_even_through_function_local_imports() -> None:
    graph = _import_graph()
    assert len(graph) > 40 and "nakyma.db" in graph["nakyma.phenomena"]
    assert _cycles(graph) == []


def test_the_cycle_check_sees_function_local_and_relative_imports(tmp_path: Path) -> None:
    package = tmp_path / "nakyma"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from nakyma import b\n")
    (package / "b.py").write_text("def later():\n    from nakyma.a import thing\n")
    (package / "sub" / "__init__.py").write_text("from . import c\n")
    (package / "sub" / "c.py").write_text(
        "import typing\nif typing.TYPE_CHECKING:\n    from nakyma.sub import d\n"
    )
    (package / "sub" / "d.py").write_text("from ..sub.c import x\n")
    graph = _import_graph(tmp_path)
    assert graph["nakyma.b"] == {"nakyma.a"}
    assert graph["nakyma.sub"] == {"nakyma.sub.c"}
    assert graph["nakyma.sub.d"] == {"nakyma.sub.c"}
    assert _cycles(graph) == [["nakyma.a", "nakyma.b"]]


# --- function length ---------------------------------------------------------------------

MAX_FUNCTION_LINES = 120


def _long_functions(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length})")
    return found


def test_no_function_over_120_lines_outside_tests() -> None:
    paths = [
        path
        for folder in (*PACKAGES, "benchmarks", "models")
        if (ROOT / folder).is_dir()
        for path in sorted((ROOT / folder).rglob("*.py"))
    ]
    assert len(paths) > 40
    assert _long_functions(paths) == []


def test_static_assets_are_vendored_not_linked() -> None:
    for template in (ROOT / "web" / "templates").glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "cdn" not in text.lower(), template.name
        assert "https://" not in text, template.name
