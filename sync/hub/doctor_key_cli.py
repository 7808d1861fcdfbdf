"""``ksk hub doctor-key list|approve``: the hub administrator reviews the stations' signing keys — doctors' and
heads' (``role`` ``head``: they sign reports) — and approves them.

Approving a key says: this station's doctor (name, licence number) or head (name, role) holds this key — checked
with the station (ideally the key id read out by its holder from ``ksk exam keys``). Exams signed with it and held
meanwhile are then forwarded to the health record; reports signed with it are accepted when the station sends them
again.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ksk_desktop.cli.io import emit
from sync.hub.server import open_store


def _list(args: argparse.Namespace) -> int:
    from sync.hub import doctor_keys

    store = open_store(args)
    try:
        with store.session() as s:
            rows = doctor_keys.list_keys(s, args.station, pending=args.pending)
    finally:
        store.close()
    lines = [
        f"{r['key_id']}  {r['station_code']}  {r['full_name']} ({r['username']}, CCHN {r['licence_no'] or '-'})"
        + ("  trưởng trạm" if r["role"] == "head" else "")
        + ("" if r["legacy_exams"] is None else f"  khóa cũ, {r['legacy_exams']} phiếu")
        + ("  đã xác nhận" if r["approved_at"] else "  CHỜ XÁC NHẬN")
        for r in rows
    ]
    emit(args, rows, "\n".join(lines) or "Không có khóa ký nào.")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import InvalidInput
    from sync.hub import doctor_keys

    store = open_store(args)
    try:
        with store.session(write=True) as s:
            result = doctor_keys.approve(
                s, args.key_id.strip().lower(), args.station, store.clock(), args.note
            )
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    finally:
        store.close()
    emit(
        args,
        result,
        f"Đã xác nhận khóa ký {result['key_id']} của trạm {result['station_code']}; "
        f"{result['released']} phiếu khám đang giữ được chuyển tiếp.",
    )
    return 0


def register(
    cmds: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    grp = cmds.add_parser(
        "doctor-key", parents=[common], help="khóa ký của bác sĩ, trưởng trạm: xem, xác nhận"
    )
    sub = grp.add_subparsers(dest="doctor_key_cmd", metavar="LỆNH")
    sub.required = True
    p = sub.add_parser("list", parents=[common], help="các khóa ký đã đăng ký và việc xác nhận")
    db_arg(p)
    p.add_argument("--station", help="chỉ một trạm")
    p.add_argument("--pending", action="store_true", help="chỉ các khóa chờ xác nhận")
    p.set_defaults(handler=_list)
    p = sub.add_parser(
        "approve",
        parents=[common],
        help="xác nhận khóa ký (sau khi kiểm tra họ tên, vai trò, số CCHN của bác sĩ)",
    )
    db_arg(p)
    p.add_argument("key_id", help="mã khóa (32 ký tự, như trong danh sách của lệnh doctor-key list)")
    p.add_argument("--station", help="mã trạm (bắt buộc khi khóa chưa được đăng ký)")
    p.add_argument("--note", help="ghi chú (ai đã kiểm tra, bằng cách nào)")
    p.set_defaults(handler=_approve)
