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


# -- the GUI goes through the core's permission-checked functions ----------------------------------------------
# Every capability exists once, in the core, behind its permission check and its audit record; the GUI calls
# that function and shows what it returns. So ui/ opens no transaction of its own (no ``with ctx.read()`` /
# ``ctx.write()``), touches no SQLAlchemy and no ORM model, calls none of the core's helpers that work inside a
# caller's transaction (any core function taking a raw SQLAlchemy ``Session``, e.g. ``audit.verify``,
# ``audit.append``, ``outbox.counts``), and does not reach into the session's key-slot file (``.keystore``:
# lock-out policy, unlocking, passwords). No ui module needs an exception to these rules.
UI_FORBIDDEN_MODULES = ("sqlalchemy", "ksk_desktop.db")


def module_name(path: Path, root: Path) -> str:
    name = ".".join(path.relative_to(root).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _takes_a_session(fn: ast.FunctionDef) -> bool:
    args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs
    return any(
        a.annotation is not None and ast.unparse(a.annotation).strip("'\"").split(".")[-1] == "Session"
        for a in args
    )


def transaction_helpers(core: str = "ksk_desktop") -> set[str]:
    """Dotted names of the core's module-level functions that work inside a caller's transaction."""
    found = set()
    for path in (ROOT / core).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found |= {
            f"{module_name(path, ROOT)}.{node.name}"
            for node in tree.body
            if isinstance(node, ast.FunctionDef) and _takes_a_session(node)
        }
    return found


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name → dotted core name, from the file's imports (at any depth)."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    names[a.asname] = a.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def bypasses(package: str = "ui", helpers: set[str] | None = None) -> list[str]:
    """Every place in *package* that goes around the core's permission-checked functions."""
    helpers = transaction_helpers() if helpers is None else helpers
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        aliases = _aliases(tree)
        for node in ast.walk(tree):
            where = f"{name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = (
                    [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                )
                found += [
                    f"{where}: imports {m}"
                    for m in modules
                    if any(m == f or m.startswith(f + ".") for f in UI_FORBIDDEN_MODULES)
                ]
            elif isinstance(node, ast.With):
                for item in node.items:
                    call = item.context_expr
                    if (
                        isinstance(call, ast.Call)
                        and isinstance(call.func, ast.Attribute)
                        and call.func.attr in ("read", "write")
                        and not call.args
                    ):
                        found.append(f"{where}: opens a transaction ({ast.unparse(call)})")
            elif isinstance(node, ast.Attribute) and node.attr == "keystore":
                found.append(f"{where}: reaches into {ast.unparse(node)}")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                target = aliases.get(node.value.id)
                if target and f"{target}.{node.attr}" in helpers:
                    found.append(f"{where}: calls the transaction helper {target}.{node.attr}")
            elif isinstance(node, ast.Name) and aliases.get(node.id) in helpers:
                found.append(f"{where}: calls the transaction helper {aliases[node.id]}")

    def line(finding: str) -> tuple[str, int]:
        file, number, _rest = finding.split(":", 2)
        return file, int(number)

    return sorted(set(found), key=line)


def test_ui_goes_through_the_cores_permission_checked_functions():
    assert bypasses("ui") == []


def test_the_core_helpers_are_found():
    helpers = transaction_helpers()
    assert {"ksk_desktop.station.audit.verify", "ksk_desktop.station.audit.append"} <= helpers
    assert {"ksk_desktop.outbox.counts", "ksk_desktop.people.persons.insert_rows"} <= helpers
    assert "ksk_desktop.station.audit.verify_and_record" not in helpers  # the checked one is for everyone


def test_checker_sees_a_bypass(tmp_path, monkeypatch):
    # The audit check as Quản trị once did it: straight to audit.verify, unchecked and unrecorded.
    pkg = tmp_path / "fakeui"
    pkg.mkdir()
    (pkg / "tools.py").write_text(
        "from sqlalchemy import select\n"
        "from ksk_desktop.db.models import AuditEvent\n"
        "from ksk_desktop.station import audit\n"
        "from ksk_desktop.outbox import counts as outbox_counts\n"
        "def check_audit(ctx):\n"
        "    with ctx.read() as s:\n"
        "        return audit.verify(s, ctx.read_anchor())\n"
        "def idle(ctx):\n"
        "    ctx.keystore.set_policy(None)\n"
        "    return outbox_counts\n"
        "def fine(ctx, f):\n"
        "    with open(f) as fh:\n"
        "        return audit.verify_and_record(ctx), fh.read()\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    helpers = {"ksk_desktop.station.audit.verify", "ksk_desktop.outbox.counts"}
    assert bypasses("fakeui", helpers) == [
        "fakeui/tools.py:1: imports sqlalchemy",
        "fakeui/tools.py:2: imports ksk_desktop.db.models",
        "fakeui/tools.py:6: opens a transaction (ctx.read())",
        "fakeui/tools.py:7: calls the transaction helper ksk_desktop.station.audit.verify",
        "fakeui/tools.py:9: reaches into ctx.keystore",
        "fakeui/tools.py:10: calls the transaction helper ksk_desktop.outbox.counts",
    ]


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
    assert oversized_modules(ROOT, OWN_PACKAGES, MAX_MODULE_LINES) == []


def test_size_check_sees_a_long_module(tmp_path):
    (tmp_path / "fakepkg").mkdir()
    (tmp_path / "fakepkg" / "long.py").write_text("x = 1\n" * 601)
    (tmp_path / "fakepkg" / "short.py").write_text("x = 1\n" * 600)
    assert oversized_modules(tmp_path, ("fakepkg",), 600) == ["fakepkg/long.py (601 lines)"]
