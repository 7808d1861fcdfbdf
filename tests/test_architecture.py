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
