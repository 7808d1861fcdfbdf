"""The layers point down only: the core knows nothing of Qt, HTTP, the UI or sync."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
            elif (
                isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args
            ):
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    names.add(arg.value.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: set[str]) -> list[str]:
    return sorted(
        f"{f}: {', '.join(sorted(n & forbidden))}"
        for f, n in imported_modules(package).items()
        if n & forbidden
    )


def test_core_imports_no_qt_http_ui_or_sync():
    assert (
        offenders(
            "ksk_desktop",
            {"PySide6", "PyQt6", "PyQt5", "shiboken6", "ui", "sync", "requests", "httpx", "urllib3"},
        )
        == []
    )


def test_sync_imports_no_qt_or_ui():
    assert offenders("sync", {"PySide6", "PyQt6", "shiboken6", "ui"}) == []


def test_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    # Guard against a checker that can never fail: a planted import must be reported.
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "bad.py").write_text("from PySide6.QtCore import QObject\nimport requests\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert offenders("fakepkg", {"PySide6", "requests"}) == ["fakepkg/bad.py: PySide6, requests"]


def test_importing_every_core_module_loads_no_qt():
    code = (
        "import pkgutil, importlib, sys, ksk_desktop\n"
        "for m in pkgutil.walk_packages(ksk_desktop.__path__, 'ksk_desktop.'):\n"
        "    if '.migrations' in m.name: continue\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'ui', 'sync', 'requests'))\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


# -- import cycles ------------------------------------------------------------------------------------------------
OWN_PACKAGES = ("ksk_desktop", "sync", "ui")


def _module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Dotted module name → file, for every module of *packages* under *root* (a package is its __init__)."""
    mods: dict[str, Path] = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            mods[".".join(parts)] = path
    return mods


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """The modules of *mods* that module *name* imports, wherever the import statement is (a function-level
    import is a dependency too); imports only a type checker sees (``if TYPE_CHECKING:``) are left out."""

    def known(dotted: str) -> str | None:
        while dotted:
            if dotted in mods:
                return dotted
            dotted = dotted.rpartition(".")[0]
        return None

    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        targets: list[str | None] = []
        if isinstance(node, ast.Import):
            targets = [known(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name if path.name == "__init__.py" else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                base = f"{package}.{base}" if base else package
            # ``from a.b import c``: the submodule a.b.c when there is one, else a name of a.b.
            targets = [
                known(f"{base}.{a.name}") if f"{base}.{a.name}" in mods else known(base) for a in node.names
            ]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets = [known(node.args[0].value)]
        found.update(t for t in targets if t and t != name)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return found


def import_graph(root: Path, packages: tuple[str, ...]) -> dict[str, set[str]]:
    mods = _module_files(root, packages)
    return {name: _imports_of(name, path, mods) for name, path in mods.items()}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each group of modules that import one another in a circle (strongly connected, Tarjan), one cycle
    path per group: ``[a, b, c, a]``."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def strong(v: str) -> None:  # recursion depth is bounded by the module count (a few hundred)
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            strong(v)

    def path_in(group: set[str]) -> list[str]:
        start = min(group)
        came: dict[str, str] = {}
        todo = [start]
        while todo:  # breadth-first back to the start, inside the group
            v = todo.pop(0)
            for w in sorted(graph[v] & group):
                if w == start:
                    walk = [v]
                    while walk[-1] != start:
                        walk.append(came[walk[-1]])
                    return [start, *reversed(walk[:-1]), start] if v != start else [start, start]
                if w not in came:
                    came[w] = v
                    todo.append(w)
        return sorted(group)

    return sorted(path_in(g) for g in groups)


def test_no_import_cycles_among_the_modules():
    """Dependencies point one way inside the core, the sync code and the GUI: no module imports (even inside a
    function) a module that imports it back, directly or through others."""
    cycles = import_cycles(import_graph(ROOT, OWN_PACKAGES))
    assert cycles == [], "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_cycle_checker_sees_a_planted_cycle(tmp_path):
    pkg = tmp_path / "fakepkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from fakepkg.sub import b\n")
    (pkg / "sub" / "b.py").write_text("import importlib\n\ndef f():\n    from fakepkg import c\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nimport fakepkg.a as a\n")
    (pkg / "d.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fakepkg import e\n"
    )
    (pkg / "e.py").write_text(
        "from fakepkg import d\nfrom fakepkg import a\n"
    )  # no cycle: d's import is typing only
    graph = import_graph(tmp_path, ("fakepkg",))
    assert graph["fakepkg.sub.b"] == {"fakepkg.c"} and graph["fakepkg.d"] == set()
    assert import_cycles(graph) == [["fakepkg.a", "fakepkg.sub.b", "fakepkg.c", "fakepkg.a"]]
    (pkg / "c.py").write_text("")  # the cycle broken
    assert import_cycles(import_graph(tmp_path, ("fakepkg",))) == []


# -- module size --------------------------------------------------------------------------------------------------
MAX_MODULE_LINES = 600
# Being split on branch gui-writer; the lead removes these two at merge.
SIZE_ALLOW_LIST = {"ui/people/person_card.py", "ui/people/registration_dialog.py"}


def oversized_modules(root: Path, packages: tuple[str, ...], limit: int) -> list[str]:
    found = []
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > limit:
                found.append(f"{path.relative_to(root).as_posix()} ({n} lines)")
    return found


def test_no_module_over_600_lines():
    """A module a newcomer can read: split a bigger one by what its parts hold."""
    too_big = [
        m
        for m in oversized_modules(ROOT, OWN_PACKAGES, MAX_MODULE_LINES)
        if m.split(" ")[0] not in SIZE_ALLOW_LIST
    ]
    assert too_big == []


def test_size_check_sees_a_long_module(tmp_path):
    (tmp_path / "fakepkg").mkdir()
    (tmp_path / "fakepkg" / "long.py").write_text("x = 1\n" * 601)
    (tmp_path / "fakepkg" / "short.py").write_text("x = 1\n" * 600)
    assert oversized_modules(tmp_path, ("fakepkg",), 600) == ["fakepkg/long.py (601 lines)"]
