"""Core messages make sense in both faces: they say what to do, never which ``ksk`` command does it; the
command line adds its own command at its edge (``ksk_desktop.cli.hints``)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.cli.hints import COMMANDS, error_line
from ksk_desktop.errors import InvalidInput, KskError, Remedy

ROOT = Path(__file__).resolve().parent.parent
COMMAND = re.compile(r"\bksk [a-z]|--[a-z][a-z-]+ [A-ZĐ]")  # `ksk day add`, `--capacity-per-slot N`
#: The command line itself may name its commands.
CLI_EDGE = ("ksk_desktop/cli/", "sync/client/cli.py", "sync/hub/cli.py")


def message_strings(path: Path) -> list[tuple[int, str]]:
    """The string constants of *path* (f-string parts too), without docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def commands_in_core_messages(root: Path = ROOT) -> list[str]:
    found = []
    for package in ("ksk_desktop", "sync"):
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name.startswith(CLI_EDGE) or "/migrations/" in name:
                continue
            found += [f"{name}:{n}: {text}" for n, text in message_strings(path) if COMMAND.search(text)]
    return found


def test_no_core_message_names_a_command_line_command():
    assert commands_in_core_messages() == []


def test_the_checker_sees_a_planted_command(tmp_path):
    core = tmp_path / "ksk_desktop" / "scheduling"
    core.mkdir(parents=True)
    (tmp_path / "sync").mkdir()
    (core / "bad.py").write_text(
        '"""Docstrings may name ``ksk day add``."""\n'
        "def f(day):\n"
        '    raise ValueError(f"Ngày {day} chưa có: thêm ngày khám (ksk day add).")\n'
    )
    assert commands_in_core_messages(tmp_path) == [
        "ksk_desktop/scheduling/bad.py:3:  chưa có: thêm ngày khám (ksk day add)."
    ]


def test_every_remedy_has_its_command_at_the_cli_edge():
    assert set(COMMANDS) == set(Remedy)


@pytest.mark.parametrize(
    "message, remedy, line",
    [
        ("Hôm nay không có ngày khám nào: thêm ngày khám trước.", Remedy.ADD_EXAM_DAY, "… (ksk day add)."),
        ("Chưa đăng ký", Remedy.ENROL_SYNC, "Chưa đăng ký (ksk sync enroll)"),
        ("Không có lịch hẹn này.", None, "Không có lịch hẹn này."),
    ],
)
def test_the_cli_puts_its_command_before_the_full_stop(message, remedy, line):
    expected = line.replace("…", message.removesuffix(".")) if line.startswith("…") else line
    assert error_line(InvalidInput(message, remedy=remedy)) == expected
    assert KskError(message, remedy=remedy).message == message  # what the app shows: no command


def test_the_command_line_adds_its_command(tmp_path):
    out = run_ksk("--user", ADMIN, "station", data_dir=tmp_path / "empty", password=ADMIN_PASSWORD)
    assert out.returncode == 3 and len(out.stderr.strip().splitlines()) == 1
    assert out.stderr.startswith("Lỗi: Chưa có trạm nào")
    assert out.stderr.rstrip().endswith(
        "Hãy thiết lập trạm mới hoặc tạo trạm mẫu (ksk init, hoặc ksk demo cho trạm mẫu)."
    )
