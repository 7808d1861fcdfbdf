"""``ksk hub serve|station|enroll-code|handover|stats|devices|revoke|doctor-key|fingerprint``: run and
administer the reference city hub.

Registered through the ``ksk.cli`` entry-point group, so the core CLI never imports this package.
"""

from __future__ import annotations

import argparse
import os

from sync.fhir.codes import CCCD_SYSTEM
from sync.hub.server import db_url, open_store


def _emit(args: argparse.Namespace, data: object, human: str) -> None:
    from ksk_desktop.cli.io import emit

    emit(args, data, human)


def _serve(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import KskError
    from sync.hub import moh_cli
    from sync.hub.server import serve

    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise KskError("Máy chủ cần các gói fastapi và uvicorn: pip install 'ksk-desktop[hub]'.") from None

    if args.fhir_max_entries < 1:
        raise KskError("--fhir-max-entries phải từ 1 trở lên.")
    if not _is_uri(args.fhir_personal_id_system):
        raise KskError(
            "--fhir-personal-id-system phải là một URI (ví dụ http://fhir.hl7.org.vn/core/sid/cccd)."
        )
    if args.enroll_per_minute < 0 or args.auth_failures_per_minute < 0:
        raise KskError("Giới hạn số yêu cầu mỗi phút phải từ 0 trở lên (0: không giới hạn).")
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
        fhir_personal_id_system=args.fhir_personal_id_system,
        enroll_per_minute=args.enroll_per_minute,
        auth_failures_per_minute=args.auth_failures_per_minute,
        moh=moh_cli.moh_settings(args),
    )
    return 0


def _is_uri(text: str) -> bool:
    scheme, sep, rest = text.partition(":")
    return bool(sep and rest and scheme.isascii() and scheme[:1].isalpha()) and not any(
        c.isspace() for c in text
    )


MAX_CODE_DAYS = 90  # a code is meant for a device being set up this week, not a standing pass


def _admin(args: argparse.Namespace, action):  # noqa: ANN001, ANN202
    """Run ``action(store)`` and turn the hub's refusals into the CLI's errors (one line, non-zero exit)."""
    from ksk_desktop.errors import InvalidInput, NotFound
    from sync.hub.store import HubError
    from sync.hub.store import NotFound as HubNotFound

    store = open_store(args)
    try:
        return action(store)
    except HubNotFound as exc:
        raise NotFound(exc.message) from None
    except HubError as exc:
        raise InvalidInput(exc.message) from None
    finally:
        store.close()


def _station_add(args: argparse.Namespace) -> int:
    info = _admin(
        args,
        lambda store: store.add_station(
            args.station, args.commune, name=args.name, facilities=args.facility or []
        ),
    )
    _emit(
        args,
        info,
        f"Đã đăng ký trạm {info['station_code']} (xã/phường {', '.join(info['commune_codes'])}). "
        f"Tạo mã đăng ký cho từng máy: ksk hub enroll-code --station {info['station_code']}",
    )
    return 0


def _emit_rows(args: argparse.Namespace, rows: list[dict], line, empty: str) -> int:  # noqa: ANN001
    """A listing: the rows as JSON, or one line each (*empty* when there are none)."""
    _emit(args, rows, "\n".join(line(r) for r in rows) or empty)
    return 0


def _station_list(args: argparse.Namespace) -> int:
    return _emit_rows(
        args,
        _admin(args, lambda store: store.stations()),
        lambda r: (
            f"{r['station_code']}  {', '.join(r['commune_codes'])}  {r['name'] or ''}  "
            f"({r['devices']} thiết bị)"
        ),
        "Chưa có trạm nào được đăng ký.",
    )


def _handover_list(args: argparse.Namespace) -> int:
    return _emit_rows(
        args,
        _admin(args, lambda store: store.handovers(everything=args.all)),
        lambda r: (
            f"#{r['id']}  người {r['person_id']}: {r['from_station'] or '?'} → {r['to_station']}  "
            f"[{r['state']}]"
        ),
        "Không có yêu cầu chuyển giao nào đang chờ.",
    )


def _handover_release(args: argparse.Namespace) -> int:
    done = _admin(args, lambda store: store.release_handover(args.id))
    _emit(args, done, f"Đã chuyển giao người {done['person_id']} cho trạm {done['to_station']}.")
    return 0


def _handover_refuse(args: argparse.Namespace) -> int:
    done = _admin(args, lambda store: store.refuse_handover(args.id))
    _emit(args, done, f"Đã từ chối yêu cầu chuyển giao #{done['id']}.")
    return 0


def _handover_move(args: argparse.Namespace) -> int:
    done = _admin(args, lambda store: store.move_person(args.person, args.to, args.commune))
    _emit(args, done, f"Đã chuyển giao người {done['person_id']} cho trạm {done['to_station']}.")
    return 0


def _enroll_code(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import InvalidInput, NotFound

    if not 1 <= args.days <= MAX_CODE_DAYS:  # -3 made a code that had expired before it was shown
        raise InvalidInput(f"Số ngày hiệu lực của mã đăng ký phải từ 1 đến {MAX_CODE_DAYS}.")

    try:
        code = _admin(args, lambda store: store.new_enroll_code(args.station, args.days))
    except NotFound as exc:  # the station is not registered yet: say which command registers it
        raise NotFound(f"{exc.message.rstrip('.')} (ksk hub station add).") from None
    _emit(
        args,
        {"station_code": args.station, "code": code, "valid_days": args.days},
        f"Mã đăng ký một lần cho trạm {args.station} (hiệu lực {args.days} ngày): {code}",
    )
    return 0


def _stats(args: argparse.Namespace) -> int:
    store = open_store(args)
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
        f"chờ người dân đồng ý {fhir['waiting']}, chờ xác nhận khóa ký của bác sĩ {fhir['held']}"
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
    store = open_store(args)
    try:
        n = store.fhir_requeue(None if args.all else args.id)
    finally:
        store.close()
    if n == 0 and not args.all:
        raise NotFound(f"Không có mục tạm dừng #{args.id}.")
    _emit(args, {"requeued": n}, f"Đã đưa {n} mục trở lại hàng đợi gửi hồ sơ sức khỏe.")
    return 0


def _devices(args: argparse.Namespace) -> int:
    return _emit_rows(
        args,
        _admin(args, lambda store: store.devices()),
        lambda d: f"{d['device_id']}  {d['station_code']}  {'THU HỒI' if d['revoked'] else 'hoạt động'}",
        "Chưa có thiết bị nào.",
    )


def _revoke(args: argparse.Namespace) -> int:
    from ksk_desktop.errors import NotFound

    store = open_store(args)
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
    p.add_argument(
        "--fhir-personal-id-system",
        default=os.environ.get("KSK_FHIR_PERSONAL_ID_SYSTEM", CCCD_SYSTEM),
        help=(
            "hệ định danh (URI) của số định danh cá nhân/CCCD trên Patient "
            f"(mặc định: KSK_FHIR_PERSONAL_ID_SYSTEM hoặc {CCCD_SYSTEM})"
        ),
    )
    p.set_defaults(handler=_serve)
    from sync.hub import moh_cli

    moh_cli.add_serve_options(p)
    p.add_argument(
        "--enroll-per-minute",
        type=int,
        default=10,
        help="số lần đăng ký thiết bị tối đa mỗi phút từ một địa chỉ (mặc định 10; 0: không giới hạn)",
    )
    p.add_argument(
        "--auth-failures-per-minute",
        type=int,
        default=20,
        help="số lần xác thực sai tối đa mỗi phút từ một địa chỉ trước khi bị chặn tạm (mặc định 20)",
    )
    p = cmds.add_parser("station", parents=[common], help="sổ đăng ký các trạm (trước khi cấp mã đăng ký)")
    station_cmds = p.add_subparsers(dest="station_cmd", metavar="LỆNH")
    station_cmds.required = True
    p = station_cmds.add_parser(
        "add", parents=[common], help="đăng ký một trạm và các xã/phường trạm phục vụ"
    )
    db_arg(p)
    p.add_argument("--station", required=True, help="mã trạm (như trạm đã khai khi ksk init)")
    p.add_argument(
        "--commune",
        required=True,
        action="append",
        help="mã xã/phường trạm phục vụ (lặp lại nếu nhiều; mã đầu là xã của trạm)",
    )
    p.add_argument("--name", help="tên trạm")
    p.add_argument("--facility", action="append", help="mã cơ sở khám chữa bệnh (lặp lại nếu nhiều)")
    p.set_defaults(handler=_station_add)
    p = station_cmds.add_parser("list", parents=[common], help="các trạm đã đăng ký")
    db_arg(p)
    p.set_defaults(handler=_station_list)
    p = cmds.add_parser(
        "enroll-code", parents=[common], help="tạo mã đăng ký một lần cho một máy của trạm đã đăng ký"
    )
    db_arg(p)
    p.add_argument("--station", required=True, help="mã trạm (đã đăng ký: ksk hub station add)")
    p.add_argument("--days", type=int, default=7, help="số ngày hiệu lực, 1–90 (mặc định 7)")
    p.set_defaults(handler=_enroll_code)
    p = cmds.add_parser(
        "handover", parents=[common], help="chuyển giao người dân giữa các trạm (người chuyển xã)"
    )
    ho_cmds = p.add_subparsers(dest="handover_cmd", metavar="LỆNH")
    ho_cmds.required = True
    p = ho_cmds.add_parser("list", parents=[common], help="các yêu cầu chuyển giao đang chờ")
    db_arg(p)
    p.add_argument("--all", action="store_true", help="cả các yêu cầu đã xử lý")
    p.set_defaults(handler=_handover_list)
    p = ho_cmds.add_parser("release", parents=[common], help="đồng ý chuyển giao: người về trạm đã yêu cầu")
    db_arg(p)
    p.add_argument("id", type=int, help="số yêu cầu (xem ksk hub handover list)")
    p.set_defaults(handler=_handover_release)
    p = ho_cmds.add_parser("refuse", parents=[common], help="từ chối một yêu cầu chuyển giao")
    db_arg(p)
    p.add_argument("id", type=int, help="số yêu cầu")
    p.set_defaults(handler=_handover_refuse)
    p = ho_cmds.add_parser(
        "move", parents=[common], help="chuyển một người sang trạm khác (khi trạm đang quản lý đề nghị)"
    )
    db_arg(p)
    p.add_argument("--person", required=True, help="mã người ở máy chủ")
    p.add_argument("--to", required=True, help="mã trạm nhận")
    p.add_argument("--commune", help="xã/phường của trạm nhận (mặc định: xã của trạm)")
    p.set_defaults(handler=_handover_move)
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
    from sync.hub import doctor_key_cli

    doctor_key_cli.register(cmds, common, db_arg)
    moh_cli.register(cmds, common, db_arg)
    from sync.hub import report_cli

    report_cli.register(cmds, common, db_arg)
    p = cmds.add_parser(
        "fingerprint", parents=[common], help="dấu vân tay SHA-256 của chứng chỉ máy chủ (để trạm ghim)"
    )
    p.add_argument("--cert", required=True, help="tệp chứng chỉ PEM mà máy chủ dùng")
    p.set_defaults(handler=_fingerprint)
