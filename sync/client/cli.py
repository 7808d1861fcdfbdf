"""``ksk sync enroll|run|status|parked|retry|dismiss|acknowledge``: the station's side of sync on the command line.

Registered through the ``ksk.cli`` entry-point group, so the core CLI never imports this package.
"""

from __future__ import annotations

import argparse
import signal
import threading

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.outbox import sync_state
from ksk_desktop.station.session import StationSession

EXIT_INCOMPLETE = 75  # EX_TEMPFAIL: the hub could not be reached for every item; run again later
EXIT_REFUSED = 6  # the hub refused this device, or its certificate did not verify: a person must act


def _enroll(ctx: StationSession, args: argparse.Namespace) -> int:
    from sync.client.enrolment import enroll_station

    result = enroll_station(ctx, args.hub, args.code, pin=args.pin, ca_file=args.ca_file)
    emit(
        args,
        result,
        f"Đã đăng ký trạm {result['station_code']} với máy chủ {result['hub_url']} "
        f"(thiết bị {result['device_id']}).",
    )
    return 0


def _run(ctx: StationSession, args: argparse.Namespace) -> int:
    from sync.client.worker import SyncWorker, WorkerConfig

    config = WorkerConfig(
        batch_size=args.batch_size,
        backoff_base_s=args.backoff_base,
        max_failures=args.max_failures if args.once else None,
        idle_interval_s=args.interval,
        pull=not args.no_pull,
    )
    worker = SyncWorker(ctx, config=config)
    previous = {}
    if threading.current_thread() is threading.main_thread():

        def stop(_signum, _frame) -> None:  # noqa: ANN001
            worker.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, stop)
    try:
        if args.once:
            report = worker.run_once()
        else:
            worker.run_forever()
            report = None
    finally:
        worker.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    status = sync_state.status(ctx)
    data = {"report": report.to_json() if report else None, "status": status}
    if report is None:
        emit(args, data, "Đã dừng đồng bộ.")
        return 0
    human = (
        f"Đã gửi: {report.accepted} mới, {report.duplicate} trùng (đã có ở máy chủ), {report.rejected} bị từ chối. "
        f"Nhận về: {report.pulled} thay đổi, {report.received} mục của các máy khác trong trạm. Còn chờ: {status.pending}, bị từ chối chờ xử lý: {status.parked}."
    )
    if report.elsewhere:
        human += f"\nĐã có hồ sơ ở trạm khác (chờ chuyển giao): {report.elsewhere}."
    if report.error:
        human += f"\nLỗi: {report.error}"
    emit(args, data, human)
    if report.refused:
        return EXIT_REFUSED
    return 0 if report.complete else EXIT_INCOMPLETE


def _status(ctx: StationSession, args: argparse.Namespace) -> int:
    st = sync_state.status(ctx)
    human = "\n".join(
        [
            f"Máy chủ: {st.hub_url or 'chưa đăng ký'}",
            f"Chờ gửi: {st.pending}   Bị từ chối: {st.parked}   Đã gửi: {st.sent}"
            + (f"   Có hồ sơ ở trạm khác: {st.elsewhere}" if st.elsewhere else ""),
            f"Lần đồng bộ thành công gần nhất: {st.last_success_at or 'chưa có'}",
            f"Lỗi gần nhất: {st.last_error or 'không có'}",
        ]
    )
    for d in st.devices:
        mark = " (máy này)" if d["this_device"] else ""
        gone = ", đã thu hồi" if d["revoked"] else ""
        human += f"\nMáy {d['device_id']}{mark}: liên lạc gần nhất {d['last_seen_at'] or 'chưa có'}{gone}"
    if st.received_waiting or st.conflicts:
        human += f"\nMục của máy khác chờ dữ liệu liên quan: {st.received_waiting}   Thay đổi song song: {st.conflicts}"
    if st.hub_alert:
        human += f"\nCẢNH BÁO của máy chủ về nhật ký truy cập ({st.hub_alert_at}): {st.hub_alert}"
    emit(args, st, human)
    return 0


def _moh_status(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.moh1551 import status

    data = status.station_status(ctx)
    lines = [f"Hồ sơ gửi Bộ Y tế: cần xử lý {data['to_fix']}, quá hạn 24 giờ {data['overdue']}"]
    lines += [
        f"  phiếu {i['exam_id']} (MA_LK {i['ma_lk']}): {i['label']}{' — QUÁ HẠN' if i['overdue'] else ''}"
        f", hạn {i['deadline']}" + (f" — {i['res_code']}: {i['message']}" if i["message"] else "")
        for i in data["items"]
        if i["to_fix"] or i["overdue"] or i["state"] not in status.DONE
    ]
    emit(args, data, "\n".join(lines))
    return 0


def _acknowledge(ctx: StationSession, args: argparse.Namespace) -> int:
    result = sync_state.acknowledge_hub_alert(ctx, args.reason)
    emit(args, result, "Đã ghi nhận cảnh báo của máy chủ; cảnh báo không còn hiển thị.")
    return 0


def _parked(ctx: StationSession, args: argparse.Namespace) -> int:
    rows = sync_state.parked(ctx)
    emit(
        args,
        rows,
        "\n".join(f"{r['item_id']}  {r['kind']}  {r['entity_id']}: {r['reason']}" for r in rows)
        or "Không có mục nào bị từ chối.",
    )
    return 0


def _retry(ctx: StationSession, args: argparse.Namespace) -> int:
    result = sync_state.retry(ctx, args.item_id)
    emit(args, result, "Đã đưa mục trở lại hàng chờ gửi.")
    return 0


def _dismiss(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.outbox import sync_review

    result = sync_review.dismiss(ctx, args.item_id, args.reason)
    emit(args, result, "Đã bỏ qua mục này: sẽ không gửi lên máy chủ.")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``sync`` command group, and ``transfer`` with it (idempotent: a second registration changes
    nothing)."""
    from sync.client import transfer_cli

    transfer_cli.register(sub, common)
    if "sync" in sub.choices:
        return
    grp = sub.add_parser("sync", parents=[common], help="đồng bộ với máy chủ thành phố")
    cmds = grp.add_subparsers(dest="sync_cmd", metavar="LỆNH")
    cmds.required = True
    p = cmds.add_parser("enroll", parents=[common], help="đăng ký trạm với máy chủ bằng mã một lần")
    p.add_argument("--hub", required=True, help="địa chỉ máy chủ (https://…)")
    p.add_argument("--code", required=True, help="mã đăng ký một lần do quản trị máy chủ cấp")
    p.add_argument("--pin", help="ghim chứng chỉ máy chủ: dấu vân tay SHA-256 (hex)")
    p.add_argument("--ca-file", help="tệp CA (PEM) để xác minh chứng chỉ máy chủ")
    p.set_defaults(handler=session_command(_enroll))
    p = cmds.add_parser("run", parents=[common], help="gửi hàng chờ và nhận thay đổi")
    p.add_argument("--once", action="store_true", help="chạy một lượt rồi dừng (mặc định: chạy liên tục)")
    p.add_argument("--batch-size", type=int, default=200, help="số mục mỗi lần gửi (mặc định 200)")
    p.add_argument(
        "--max-failures", type=int, default=6, help="số lần lỗi liên tiếp trước khi dừng lượt (--once)"
    )
    p.add_argument(
        "--backoff-base",
        type=float,
        default=2.0,
        help="giây chờ sau lần lỗi đầu (tăng gấp đôi, tối đa 10 phút)",
    )
    p.add_argument("--interval", type=float, default=60.0, help="giây nghỉ giữa các lượt khi chạy liên tục")
    p.add_argument("--no-pull", action="store_true", help="chỉ gửi, không nhận thay đổi")
    p.set_defaults(handler=session_command(_run, record=False))
    p = cmds.add_parser(
        "status", parents=[common], help="số mục chờ gửi, bị từ chối, lần thành công và lỗi gần nhất"
    )
    p.set_defaults(handler=session_command(_status, record=False))
    p = cmds.add_parser(
        "moh-status", parents=[common], help="hồ sơ gửi Bộ Y tế (QĐ 1551): cần sửa, quá hạn 24 giờ"
    )
    p.set_defaults(handler=session_command(_moh_status, record=False))
    p = cmds.add_parser("parked", parents=[common], help="các mục bị máy chủ từ chối và lý do")
    p.set_defaults(handler=session_command(_parked, record=False))
    p = cmds.add_parser("retry", parents=[common], help="đưa một mục bị từ chối trở lại hàng chờ")
    p.add_argument("item_id")
    p.set_defaults(handler=session_command(_retry))
    p = cmds.add_parser("dismiss", parents=[common], help="bỏ qua một mục bị từ chối (không gửi), ghi lý do")
    p.add_argument("item_id")
    p.add_argument("--reason", required=True, help="lý do bỏ qua (ít nhất 3 ký tự)")
    p.set_defaults(handler=session_command(_dismiss))
    p = cmds.add_parser(
        "acknowledge",
        parents=[common],
        help="ghi nhận cảnh báo của máy chủ về nhật ký truy cập (đã xem xét), ghi lý do",
    )
    p.add_argument("--reason", required=True, help="đã xem xét thế nào (ít nhất 3 ký tự)")
    p.set_defaults(handler=session_command(_acknowledge))
