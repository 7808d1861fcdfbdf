"""``ksk hub serve|enroll-code|stats|devices|revoke|fingerprint``: run and administer the reference city hub.

Registered through the ``ksk.cli`` entry-point group, so the core CLI never imports this package.
"""

from __future__ import annotations

import argparse
import os

from sync.hub.server import db_url


def _store(args: argparse.Namespace):  # noqa: ANN202
    from sync.hub.store import HubStore

    return HubStore(db_url(args.db))


def _emit(args: argparse.Namespace, data: object, human: str) -> None:
    from ksk_desktop.cli.io import emit

    emit(args, data, human)


def _serve(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import KskError
    from sync.hub.server import serve

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise KskError("Máy chủ cần các gói fastapi và uvicorn: pip install 'ksk-desktop[hub]'.") from None

    if args.fhir_max_entries < 1:
        raise KskError("--fhir-max-entries phải từ 1 trở lên.")
    serve(
        db_url(args.db),
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
        access_log=args.access_log,
        fhir_url=args.fhir_url,
        fhir_max_entries=args.fhir_max_entries,
        fhir_retry_s=args.fhir_retry_s,
    )
    return 0


MAX_CODE_DAYS = 90  # a code is meant for a device being set up this week, not a standing pass


def _enroll_code(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import InvalidInput
    from sync.hub.store import HubError

    if not 1 <= args.days <= MAX_CODE_DAYS:  # -3 made a code that had expired before it was shown
        raise InvalidInput(f"Số ngày hiệu lực của mã đăng ký phải từ 1 đến {MAX_CODE_DAYS}.")

    store = _store(args)
    try:
        code = store.new_enroll_code(args.station, args.days)
    except HubError as exc:
        raise InvalidInput(exc.message) from None
    finally:
        store.close()
    _emit(
        args,
        {"station_code": args.station, "code": code, "valid_days": args.days},
        f"Mã đăng ký một lần cho trạm {args.station} (hiệu lực {args.days} ngày): {code}",
    )
    return 0


def _stats(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        stats = store.stats()
    finally:
        store.close()
    lines = [
        f"Mục đã nhận: {stats['items']}",
        f"Người: {stats['persons']}",
        f"Hồ sơ đã gộp: {stats['merges']}",
        f"Thiết bị: {stats['devices']}",
        f"Cảnh báo nhật ký: {len(stats['audit_alerts'])}",
    ]
    lines += [
        f"  {station}: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        for station, kinds in sorted(stats["items_per_station"].items())
    ]
    fhir = stats["fhir"]
    lines.append(
        f"Hồ sơ sức khỏe (FHIR): chờ gửi {fhir['pending']}, đã gửi {fhir['sent']}, tạm dừng {fhir['parked']}, "
        f"chờ người dân đồng ý {fhir['waiting']}"
    )
    lines += [
        f"  #{p['id']} phiếu {p['exam_id']} v{p['version']}: {p['reason']}" for p in fhir["parked_items"]
    ]
    _emit(args, stats, "\n".join(lines))
    return 0


def _fhir_retry(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import InvalidInput, NotFound

    if args.id is None and not args.all:
        raise InvalidInput("Chọn --id N (một mục) hoặc --all (mọi mục đang tạm dừng).")
    store = _store(args)
    try:
        n = store.fhir_requeue(None if args.all else args.id)
    finally:
        store.close()
    if n == 0 and not args.all:
        raise NotFound(f"Không có mục tạm dừng #{args.id}.")
    _emit(args, {"requeued": n}, f"Đã đưa {n} mục trở lại hàng đợi gửi hồ sơ sức khỏe.")
    return 0


def _devices(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        rows = store.devices()
    finally:
        store.close()
    _emit(
        args,
        rows,
        "\n".join(
            f"{d['device_id']}  {d['station_code']}  {'THU HỒI' if d['revoked'] else 'hoạt động'}"
            for d in rows
        )
        or "Chưa có thiết bị nào.",
    )
    return 0


def _revoke(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import NotFound

    store = _store(args)
    try:
        found = store.revoke(args.device)
    finally:
        store.close()
    if not found:
        raise NotFound(f"Không có thiết bị {args.device}.")
    _emit(args, {"device_id": args.device, "revoked": True}, "Đã thu hồi quyền đồng bộ của thiết bị.")
    return 0


def _fingerprint(args: argparse.Namespace) -> int:
    from sync.hub.server import certificate_fingerprint

    fp = certificate_fingerprint(args.cert)
    _emit(args, {"sha256": fp}, f"SHA-256: {fp}\n(cho trạm: ksk sync enroll --pin {fp} …)")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``hub`` command group (idempotent: a second registration changes nothing)."""
    if "hub" in sub.choices:
        return
    grp = sub.add_parser("hub", parents=[common], help="máy chủ đồng bộ thành phố (bản tham chiếu)")
    cmds = grp.add_subparsers(dest="hub_cmd", metavar="LỆNH")
    cmds.required = True
    default_db = os.environ.get("KSK_HUB_DB", "hub.db")

    def db_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            default=default_db,
            help="URL SQLAlchemy (postgresql+psycopg://…) hoặc đường dẫn tệp SQLite (mặc định: KSK_HUB_DB hoặc hub.db)",
        )

    p = cmds.add_parser("serve", parents=[common], help="chạy máy chủ /api/v1")
    db_arg(p)
    p.add_argument("--host", default="127.0.0.1", help="địa chỉ lắng nghe (mặc định 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="cổng (0: chọn cổng trống)")
    p.add_argument("--ssl-certfile", help="chứng chỉ TLS (PEM) để phục vụ HTTPS")
    p.add_argument("--ssl-keyfile", help="khóa riêng TLS (PEM)")
    p.add_argument(
        "--access-log",
        action="store_true",
        help="ghi nhật ký truy cập (đường dẫn không chứa dữ liệu cá nhân)",
    )
    p.add_argument(
        "--fhir-url", help="chuyển phiếu khám đã ký sang máy chủ FHIR R4 này (ví dụ http://…/fhir/R4)"
    )
    p.add_argument(
        "--fhir-max-entries",
        type=int,
        default=8,
        help="số mục tối đa mỗi giao dịch FHIR (mặc định 8, giới hạn của Medplum)",
    )
    p.add_argument(
        "--fhir-retry-s", type=float, default=2.0, help="thời gian chờ thử lại đầu tiên (giây), tăng dần"
    )
    p.set_defaults(handler=_serve)
    p = cmds.add_parser("enroll-code", parents=[common], help="tạo mã đăng ký một lần cho một trạm")
    db_arg(p)
    p.add_argument("--station", required=True, help="mã trạm")
    p.add_argument("--days", type=int, default=7, help="số ngày hiệu lực, 1–90 (mặc định 7)")
    p.set_defaults(handler=_enroll_code)
    p = cmds.add_parser(
        "stats", parents=[common], help="số mục theo loại và theo trạm, số người, số hồ sơ đã gộp"
    )
    db_arg(p)
    p.set_defaults(handler=_stats)
    p = cmds.add_parser(
        "fhir-retry", parents=[common], help="gửi lại hồ sơ sức khỏe đang tạm dừng (sau khi sửa lỗi)"
    )
    db_arg(p)
    p.add_argument("--id", type=int, help="số của mục tạm dừng (xem ksk hub stats)")
    p.add_argument("--all", action="store_true", help="mọi mục đang tạm dừng")
    p.set_defaults(handler=_fhir_retry)
    p = cmds.add_parser("devices", parents=[common], help="các thiết bị đã đăng ký")
    db_arg(p)
    p.set_defaults(handler=_devices)
    p = cmds.add_parser("revoke", parents=[common], help="thu hồi quyền đồng bộ của một thiết bị")
    db_arg(p)
    p.add_argument("--device", required=True, help="mã thiết bị")
    p.set_defaults(handler=_revoke)
    p = cmds.add_parser(
        "fingerprint", parents=[common], help="dấu vân tay SHA-256 của chứng chỉ máy chủ (để trạm ghim)"
    )
    p.add_argument("--cert", required=True, help="tệp chứng chỉ PEM mà máy chủ dùng")
    p.set_defaults(handler=_fingerprint)
