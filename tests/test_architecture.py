"""The layers hold: glm_core (the core) imports neither Qt nor anything above it, cli (the command
line) imports no Qt and no app, nothing imports upward, and no two modules import each other in
a circle. Rank, low to high: glm_core top level, models, generation, project, cli, app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RANKS = {"glm_core": 0, "glm_core.models": 1, "glm_core.generation": 2, "glm_core.project": 3, "glm_core.engine": 4,
         "cli": 5, "app": 6}


def modules() -> dict[str, Path]:
    found = {}
    for package in ("glm_core", "cli", "app"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def rank(module: str) -> int:
    return max(r for prefix, r in RANKS.items() if module == prefix or module.startswith(prefix + "."))


def imports(path: Path, known, top_level_only: bool) -> set[str]:
    """The project modules `path` imports (at module level only, or anywhere), TYPE_CHECKING aside."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = list(tree.body) if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def test_nothing_imports_upward():
    known = modules()
    upward = [f"{module} imports {target}" for module, path in known.items()
              for target in imports(path, known, top_level_only=False) if rank(target) > rank(module)]
    assert upward == []


def test_no_import_circle():
    known = modules()
    graph = {module: imports(path, known, top_level_only=True) - {module} for module, path in known.items()}
    circles, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                circles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_core_and_the_command_line_import_no_qt():
    """Every module of glm_core and cli, imported in a fresh interpreter, pulls in no PySide6."""
    script = (
        "import importlib, pkgutil, sys\n"
        "for package in ('glm_core', 'cli'):\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'app', 'shiboken6'}))\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_few_modules_at_the_top_and_none_too_long():
    for package, most in (("app", 8), ("glm_core", 4)):
        top = sorted(p.name for p in (ROOT / package).glob("*.py"))
        assert len(top) <= most, top
    long = [f"{path.relative_to(ROOT)}: {n}" for path in modules().values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 420]
    assert long == []
