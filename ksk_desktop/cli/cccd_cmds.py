"""``ksk cccd parse --jsonl``: parse CCCD / căn cước QR payloads, one JSON string per line (no database)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from ksk_desktop.errors import InvalidInput

# A line longer than this cannot be a QR payload; it is reported without being decoded.
_MAX_LINE_CHARS = 1_000_000


def parse_line(line: str) -> dict[str, Any]:
    """One JSONL input line → the output object. Never raises for bad input."""
    from ksk_desktop.cccd import InvalidCccdPayload, parse_cccd
    from ksk_desktop.clock import SYSTEM_CLOCK  # no session here: the system clock, today in Vietnam

    if not line.strip():
        return {"ok": False, "error": "Dòng trống (mỗi dòng phải là một chuỗi JSON chứa nội dung mã QR)."}
    if len(line) > _MAX_LINE_CHARS:
        return {"ok": False, "error": "Dòng quá dài, không phải mã QR căn cước."}
    try:
        raw = json.loads(line)
    except (ValueError, RecursionError):
        return {"ok": False, "error": "Dòng không phải JSON hợp lệ (mỗi dòng phải là một chuỗi JSON)."}
    if not isinstance(raw, str):
        return {"ok": False, "error": "Mỗi dòng phải là một chuỗi JSON chứa nội dung mã QR."}
    try:
        return parse_cccd(raw, today=SYSTEM_CLOCK.today()).to_json()
    except InvalidCccdPayload as exc:
        return {"ok": False, "error": exc.message}


def run_jsonl(stdin: TextIO, stdout: TextIO) -> int:
    """Stream lines in → objects out, exactly one answer per input line so the two can be zipped."""
    for line in stdin:
        stdout.write(json.dumps(parse_line(line), ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _parse(args: argparse.Namespace) -> int:
    if not args.jsonl:
        raise InvalidInput("Dùng: ksk cccd parse --jsonl (mỗi dòng stdin là một chuỗi JSON).")
    # Surrogates from JSON escapes such as "\ud800" must not crash the writer.
    stdin = open(sys.stdin.fileno(), encoding="utf-8", errors="replace", closefd=False)
    stdout = open(sys.stdout.fileno(), "w", encoding="utf-8", errors="replace", closefd=False)
    try:
        return run_jsonl(stdin, stdout)
    finally:
        stdout.flush()


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    cccd = sub.add_parser("cccd", parents=[common], help="mã QR căn cước (CCCD)").add_subparsers(
        dest="cccd_cmd", metavar="LỆNH"
    )
    cccd.required = True
    p = cccd.add_parser(
        "parse", parents=[common], help="đọc nội dung mã QR căn cước (không cần cơ sở dữ liệu)"
    )
    p.add_argument(
        "--jsonl",
        action="store_true",
        help="mỗi dòng stdin là một chuỗi JSON; mỗi dòng stdout là một đối tượng JSON",
    )
    p.set_defaults(handler=_parse)
