"""``ksk print schedule|calllist|ticket|slip|referral|coverage``: the day schedule, a hamlet's call list, a queue
ticket, a result slip, a referral slip and the year's coverage report as PDFs."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.cli.schedule_cmds import parse_date
from ksk_desktop.dates import show_date
from ksk_desktop.station.session import StationSession


def _done(args: argparse.Namespace, printed: object, what: str) -> int:
    data = printed.to_json()  # type: ignore[attr-defined]
    emit(args, data, f"Đã in {what}: {data['path']} ({data['pages']} trang, {data['rows']} người).")
    return 0


def _schedule(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.printing.jobs import print_day_schedule

    day = parse_date(args.date)
    return _done(
        args,
        print_day_schedule(ctx, day, Path(args.output), site_id=args.site),
        f"lịch khám ngày {show_date(day)}",
    )


def _calllist(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.printing.jobs import print_call_list

    day = parse_date(args.date)
    return _done(
        args,
        print_call_list(ctx, day, args.hamlet, Path(args.output)),
        f"danh sách mời khám ngày {show_date(day)}",
    )


def _ticket(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.printing.jobs import print_ticket

    return _done(args, print_ticket(ctx, args.appointment, Path(args.output)), "phiếu số thứ tự")


def _slip(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.printing.exam_jobs import print_result_slip

    return _done(args, print_result_slip(ctx, args.exam_id, Path(args.output)), "phiếu kết quả")


def _referral(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.printing.exam_jobs import print_referral

    return _done(args, print_referral(ctx, args.referral_id, Path(args.output)), "giấy chuyển tuyến")


def _coverage(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.printing.jobs import print_coverage

    return _done(args, print_coverage(ctx, args.year, Path(args.output)), f"báo cáo năm {args.year}")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    grp = sub.add_parser(
        "print",
        parents=[common],
        help="in ra PDF: lịch khám, danh sách mời, phiếu số thứ tự, phiếu kết quả, báo cáo",
    )
    cmds = grp.add_subparsers(dest="print_cmd", metavar="LỆNH")
    cmds.required = True
    p = cmds.add_parser(
        "schedule", parents=[common], help="lịch khám một ngày (A4 ngang, có mã vạch lịch hẹn)"
    )
    p.add_argument("--date", required=True, help="dd/mm/yyyy")
    p.add_argument("--site", help="chỉ một điểm khám (mã điểm khám)")
    p.add_argument("-o", "--output", required=True, help="tệp PDF cần tạo")
    p.set_defaults(handler=session_command(_schedule))
    p = cmds.add_parser("calllist", parents=[common], help="danh sách mời khám của một thôn / tổ dân phố")
    p.add_argument("--date", required=True, help="dd/mm/yyyy")
    p.add_argument("--hamlet", required=True, help="tên thôn / tổ dân phố (không cần dấu)")
    p.add_argument("-o", "--output", required=True, help="tệp PDF cần tạo")
    p.set_defaults(handler=session_command(_calllist))
    p = cmds.add_parser("ticket", parents=[common], help="in lại phiếu số thứ tự của người đã tiếp đón")
    p.add_argument("--appointment", required=True, help="mã lịch hẹn")
    p.add_argument("-o", "--output", required=True, help="tệp PDF cần tạo")
    p.set_defaults(handler=session_command(_ticket))
    p = cmds.add_parser(
        "slip", parents=[common], help="phiếu kết quả khám (A5, mã QR xác thực) của phiếu đã ký"
    )
    p.add_argument("exam_id")
    p.add_argument("-o", "--output", required=True, help="tệp PDF cần tạo")
    p.set_defaults(handler=session_command(_slip))
    p = cmds.add_parser(
        "coverage", parents=[common], help="báo cáo kết quả khám trong năm: theo nhóm đối tượng và theo thôn"
    )
    p.add_argument("--year", required=True, type=int)
    p.add_argument("-o", "--output", required=True, help="tệp PDF cần tạo")
    p.set_defaults(handler=session_command(_coverage))
    p = cmds.add_parser("referral", parents=[common], help="giấy chuyển tuyến")
    p.add_argument("referral_id")
    p.add_argument("-o", "--output", required=True, help="tệp PDF cần tạo")
    p.set_defaults(handler=session_command(_referral))
