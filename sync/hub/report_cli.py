"""``ksk hub report monthly`` (the city's monthly report from the stations' submitted reports) and ``ksk hub viewer
add|list|disable`` (the Health Department's read-only accounts for the ``/reports`` page)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sync.hub.server import open_store


def _emit(args: argparse.Namespace, data: object, human: str) -> None:
    from ksk_desktop.cli.io import emit

    emit(args, data, human)


def _report_monthly(args: argparse.Namespace) -> int:
    from sync.hub import city_report

    store = open_store(args)
    try:
        with store.session() as s:
            report = city_report.monthly(s, args.month, store.clock())
    finally:
        store.close()
    t = report["total"]
    lines = [
        f"Tháng {report['month']}: {report['stations_submitted']}/{report['stations_registered']} trạm đã nộp; "
        f"quản lý {t['managed']}, đã khám lũy kế {t['examined_ytd']} ({t['rate']} %).",
        *(
            f"  nhóm {g['group']}: {g['managed']} quản lý, {g['examined_ytd']} đã khám ({g['rate']} %)"
            for g in report["groups"]
        ),
    ]
    unverified = [
        st["station_code"] for st in report["stations"] if st["submitted"] and not st["signature_verified"]
    ]
    if unverified:
        lines.append("Báo cáo chưa có chữ ký trưởng trạm xác minh được: " + ", ".join(unverified))
    if report["not_submitted_by_deadline"]:
        lines.append("Chưa nộp đúng hạn (ngày 15): " + ", ".join(report["not_submitted_by_deadline"]))
    _emit(args, report, "\n".join(lines))
    return 0


def _viewer_add(args: argparse.Namespace) -> int:
    from ksk_desktop.cli.io import new_password
    from sync.hub import viewers

    password = new_password(args)
    store = open_store(args)
    try:
        with store.session(write=True) as s:
            row = viewers.add(s, args.username, password, args.full_name or "", store.clock())
    finally:
        store.close()
    _emit(args, row, f"Đã tạo tài khoản xem báo cáo {row['username']}.")
    return 0


def _viewer_list(args: argparse.Namespace) -> int:
    from sync.hub import viewers

    store = open_store(args)
    try:
        with store.session() as s:
            rows = viewers.listing(s)
    finally:
        store.close()
    human = "\n".join(
        f"{r['username']} — {r['full_name']}{'' if r['active'] else ' (đã khóa)'}" for r in rows
    )
    _emit(args, rows, human or "Chưa có tài khoản xem báo cáo nào.")
    return 0


def _viewer_disable(args: argparse.Namespace) -> int:
    from sync.hub import viewers

    store = open_store(args)
    try:
        with store.session(write=True) as s:
            row = viewers.disable(s, args.username)
    finally:
        store.close()
    _emit(args, row, f"Đã khóa tài khoản {row['username']}.")
    return 0


def register(
    cmds: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    grp = cmds.add_parser(
        "report", parents=[common], help="báo cáo toàn thành phố từ báo cáo các trạm đã nộp"
    )
    sub = grp.add_subparsers(dest="hub_report_cmd", metavar="LỆNH")
    sub.required = True
    p = sub.add_parser("monthly", parents=[common], help="báo cáo tháng: theo nhóm, theo xã, trạm chưa nộp")
    db_arg(p)
    p.add_argument("--month", required=True, help="NNNN-TT")
    p.set_defaults(handler=_report_monthly)
    grp = cmds.add_parser("viewer", parents=[common], help="tài khoản Sở Y tế xem trang /reports (chỉ xem)")
    sub = grp.add_subparsers(dest="hub_viewer_cmd", metavar="LỆNH")
    sub.required = True
    p = sub.add_parser(
        "add", parents=[common], help="tạo tài khoản (mật khẩu qua KSK_NEW_PASSWORD hoặc stdin)"
    )
    db_arg(p)
    p.add_argument("username")
    p.add_argument("--full-name", help="họ tên, chức vụ")
    p.add_argument("--new-password-stdin", action="store_true", help="đọc mật khẩu từ stdin")
    p.set_defaults(handler=_viewer_add)
    p = sub.add_parser("list", parents=[common], help="các tài khoản xem báo cáo")
    db_arg(p)
    p.set_defaults(handler=_viewer_list)
    p = sub.add_parser("disable", parents=[common], help="khóa một tài khoản (đăng xuất mọi phiên)")
    db_arg(p)
    p.add_argument("username")
    p.set_defaults(handler=_viewer_disable)
