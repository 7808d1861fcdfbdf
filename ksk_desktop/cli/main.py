"""Entry point of ``ksk``: global options, sub-commands, and one-line errors with non-zero exit codes.

Other packages add command groups through the ``ksk.cli`` entry-point group (each entry is a function
``register(subparsers, common)``), so this core package never imports them.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from importlib.metadata import entry_points
from pathlib import Path

from ksk_desktop import __version__
from ksk_desktop.cli import (
    admin_cmds,
    catalog_cmds,
    cccd_cmds,
    classify_cmds,
    consent_cmds,
    exam_cmds,
    icd_cmds,
    moh_cmds,
    person_cmds,
    print_cmds,
    register_cmds,
    report_cmds,
    schedule_cmds,
    station_cmds,
)
from ksk_desktop.cli.hints import error_line
from ksk_desktop.cli.io import paths_of
from ksk_desktop.errors import KskError
from ksk_desktop.station import logfile

log = logging.getLogger("ksk")


def common_options() -> argparse.ArgumentParser:
    """Options accepted both before and after the sub-command (``ksk --json user list`` or ``ksk user list --json``)."""
    common = argparse.ArgumentParser(add_help=False)
    S = argparse.SUPPRESS
    common.add_argument(
        "--data-dir",
        type=Path,
        default=S,
        help="thư mục dữ liệu của trạm (mặc định: KSK_DATA_DIR hoặc thư mục người dùng)",
    )
    common.add_argument(
        "--user", default=S, help="tên đăng nhập (mật khẩu qua KSK_PASSWORD hoặc --password-stdin)"
    )
    common.add_argument(
        "--password-stdin", action="store_true", default=S, help="đọc mật khẩu từ dòng đầu của stdin"
    )
    common.add_argument("--json", action="store_true", default=S, help="in kết quả dạng JSON")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(prog="ksk", description="KSK Desktop — dòng lệnh", parents=[common])
    parser.add_argument("--version", action="version", version=f"ksk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="LỆNH")
    sub.required = True
    station_cmds.register(sub, common)
    admin_cmds.register(sub, common)
    person_cmds.register(sub, common)
    cccd_cmds.register(sub, common)
    classify_cmds.register(sub, common)
    consent_cmds.register(sub, common)
    register_cmds.register_cli(sub, common)
    schedule_cmds.register(sub, common)
    print_cmds.register(sub, common)
    icd_cmds.register(sub, common)
    catalog_cmds.register(sub, common)
    exam_cmds.register(sub, common)
    report_cmds.register(sub, common)
    moh_cmds.register(sub, common)
    for ep in entry_points(group="ksk.cli"):
        ep.load()(sub, common)
    return parser


def command_path(parser: argparse.ArgumentParser, argv: list[str]) -> str:
    """The sub-command names in *argv* (``person add``), never an argument's value: what the log file records."""
    names: list[str] = []
    tokens = list(argv)
    while True:
        sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
        name = next((t for t in tokens if sub is not None and t in sub.choices), None)
        if sub is None or name is None:
            return " ".join(names)
        names.append(name)
        tokens = tokens[tokens.index(name) + 1 :]
        parser = sub.choices[name]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    log_file = logfile.configure(paths_of(args))
    started = time.monotonic()
    code = _run(args, log_file)
    log.info("ksk %s: exit %d (%.1f s)", command_path(parser, argv), code, time.monotonic() - started)
    return code


def _run(args: argparse.Namespace, log_file: Path) -> int:
    try:
        result = args.handler(args)
    except KskError as exc:
        print(f"Lỗi: {error_line(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Đã hủy.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 141
    except Exception as exc:  # a bug: its type and place in one line; the traceback to the log
        logfile.log_unexpected(log, "unexpected error", (type(exc), exc, exc.__traceback__), file_only=True)
        print(
            f"Lỗi không mong đợi ({type(exc).__name__} tại {logfile.where(exc.__traceback__)}). Mọi thay đổi dở "
            f"dang đã được hủy; chi tiết ghi trong {log_file}; hãy báo cho bộ phận hỗ trợ.",
            file=sys.stderr,
        )
        return 70
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
