"""``ksk transfer export|import``: a station's items between its devices on a USB stick, with no hub
(``sync.client.transfer``; docs/multi-device.md §6)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.station.session import StationSession


def _export(ctx: StationSession, args: argparse.Namespace) -> int:
    from sync.client import transfer

    done = transfer.export(ctx, Path(args.output), since=args.since, for_device=args.for_device)
    emit(
        args,
        done.to_json(),
        f"Đã ghi {done.items} mục vào tệp trao đổi {done.path} (mã hóa cho trạm, ký bởi máy này).",
    )
    return 0


def _import(ctx: StationSession, args: argparse.Namespace) -> int:
    from sync.client import transfer

    result = transfer.import_file(ctx, Path(args.file))
    emit(
        args,
        result,
        f"Đã nhận tệp trao đổi: {result['applied']} mục áp dụng, {result['repeated']} mục đã có, "
        f"{result['waiting']} mục chờ dữ liệu liên quan, {result['refused']} mục không nhận.",
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``transfer`` command group (idempotent)."""
    if "transfer" in sub.choices:
        return
    grp = sub.add_parser(
        "transfer", parents=[common], help="tệp trao đổi giữa các máy của trạm (không cần mạng)"
    )
    cmds = grp.add_subparsers(dest="transfer_cmd", metavar="LỆNH")
    cmds.required = True
    p = cmds.add_parser("export", parents=[common], help="ghi dữ liệu của máy này ra tệp .ksktx")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--for", dest="for_device", metavar="MÃ_MÁY", help="cho máy này (phần chưa gửi cho nó)"
    )
    which.add_argument("--since", type=int, metavar="VỊ_TRÍ", help="các mục sau vị trí này (0: tất cả)")
    p.add_argument("-o", "--output", required=True, help="tệp .ksktx sẽ ghi")
    p.set_defaults(handler=session_command(_export))
    p = cmds.add_parser("import", parents=[common], help="nhận tệp .ksktx của một máy khác của trạm")
    p.add_argument("file", help="tệp .ksktx")
    p.set_defaults(handler=session_command(_import))
