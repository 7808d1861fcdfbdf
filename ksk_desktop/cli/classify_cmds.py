"""``ksk classify --json``: one JSON object of measurements on stdin → the classification object on stdout.

Needs no database and no login. Unreadable JSON or values end with a one-line Vietnamese message on stderr and a
non-zero exit code (through ``main``'s handling of :class:`~ksk_desktop.errors.KskError`).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ksk_desktop.errors import InvalidInput

# A measurement object is a few hundred bytes; anything this large is not one.
_MAX_INPUT_CHARS = 1_000_000


def read_measurements(stdin: TextIO) -> dict[str, Any]:
    """The single JSON object on *stdin*, or :class:`InvalidInput` with a Vietnamese message."""
    text = stdin.read(_MAX_INPUT_CHARS + 1)
    if len(text) > _MAX_INPUT_CHARS:
        raise InvalidInput("Đầu vào quá lớn: cần một đối tượng JSON số đo.")
    if not text.strip():
        raise InvalidInput("Không có dữ liệu: đưa một đối tượng JSON số đo vào stdin.")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        where = f" (dòng {exc.lineno}, cột {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise InvalidInput(f"Đầu vào không phải JSON hợp lệ{where}.") from None
    if not isinstance(data, dict):
        raise InvalidInput("Đầu vào phải là MỘT đối tượng JSON {…} chứa các số đo.")
    return data


def run(stdin: TextIO, stdout: TextIO) -> int:
    from ksk_desktop.clinical import classify

    result = classify(read_measurements(stdin))
    stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    stdout.flush()
    return 0


def _classify(args: argparse.Namespace) -> int:
    if not getattr(args, "json", False):
        raise InvalidInput("Dùng: ksk classify --json (stdin là một đối tượng JSON số đo).")
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    try:
        return run(stdin, stdout)
    finally:
        stdout.flush()


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "classify",
        parents=[common],
        help="phân loại sức khỏe QĐ 1613, BMI, huyết áp, z-score WHO từ số đo (không cần cơ sở dữ liệu)",
    )
    p.set_defaults(handler=_classify)
