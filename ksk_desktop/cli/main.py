"""Entry point of ``ksk``: global options, sub-commands, and one-line errors with non-zero exit codes.

Other packages add command groups through the ``ksk.cli`` entry-point group (each entry is a function
``register(subparsers, common)``), so this core package never imports them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import entry_points
from pathlib import Path

from ksk_desktop import __version__
from ksk_desktop.cli import (
    admin_cmds,
    cccd_cmds,
    classify_cmds,
    consent_cmds,
    exam_cmds,
    icd_cmds,
    person_cmds,
    print_cmds,
    register_cmds,
    schedule_cmds,
    station_cmds,
)
from ksk_desktop.cli.hints import error_line
from ksk_desktop.errors import KskError


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
    exam_cmds.register(sub, common)
    for ep in entry_points(group="ksk.cli"):
        ep.load()(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
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
    except Exception as exc:  # a bug: say so in one line, without data (messages may carry personal data)
        print(
            f"Lỗi không mong đợi ({type(exc).__name__}). Mọi thay đổi dở dang đã được hủy; hãy báo cho bộ phận hỗ trợ.",
            file=sys.stderr,
        )
        logging.getLogger("ksk").debug("unexpected error", exc_info=True)
        return 70
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
