"""``ksk hub moh-cert|moh-status|moh-resume`` and the ``--moh-*`` options of ``ksk hub serve`` (QĐ 1551).

The agent account's password never goes on the command line: ``KSK_MOH_PASSWORD`` or ``--moh-secret-file``
(a private file whose first line is the password).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from ksk_desktop.cli.io import emit
from ksk_desktop.errors import InvalidInput, KskError
from sync.hub.server import in_session


def add_serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--moh-url", help="máy chủ dữ liệu Bộ Y tế (sandbox hoặc chính thức) để đẩy hồ sơ QĐ 1551")
    p.add_argument("--moh-account", help="tài khoản liên thông của cơ sở (mật khẩu: KSK_MOH_PASSWORD)")
    p.add_argument("--moh-secret-file", type=Path, help="tệp riêng chứa mật khẩu tài khoản liên thông")
    p.add_argument(
        "--moh-receiver-cert", type=Path, help="chứng thư số của bên nhận (kiểm tra chữ ký trả lời)"
    )
    p.add_argument("--moh-retry-s", type=float, default=2.0, help="thời gian chờ thử lại đầu tiên (giây)")
    p.add_argument("--moh-workers", type=int, default=4, help="số yêu cầu gửi song song (mặc định 4)")


def moh_settings(args: argparse.Namespace) -> dict | None:
    """What ``serve`` needs to start the Ministry forwarder, or None without ``--moh-url``."""
    if not args.moh_url:
        return None
    if not args.moh_account:
        raise KskError("Thiếu --moh-account (tài khoản liên thông của cơ sở).")
    if args.moh_secret_file:
        try:
            password = args.moh_secret_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as exc:
            raise KskError("Không đọc được tệp mật khẩu tài khoản liên thông.") from exc
    else:
        password = os.environ.get("KSK_MOH_PASSWORD", "")
    if not password:
        raise KskError("Thiếu mật khẩu tài khoản liên thông: đặt KSK_MOH_PASSWORD hoặc --moh-secret-file.")
    if args.moh_workers < 1:
        raise KskError("--moh-workers phải từ 1 trở lên.")
    return {
        "url": args.moh_url,
        "account": args.moh_account,
        "password": password,
        "receiver_cert": args.moh_receiver_cert.read_bytes() if args.moh_receiver_cert else None,
        "retry_s": args.moh_retry_s,
        "workers": args.moh_workers,
    }


def _cert(args: argparse.Namespace) -> int:
    from sync.hub import mohqueue, stations

    try:
        pem = Path(args.pem).read_bytes()
    except OSError as exc:
        raise InvalidInput("Không đọc được tệp chứng thư số.") from exc

    def register_cert(s, now):  # noqa: ANN001, ANN202
        if stations.get(s, args.station) is None:
            raise KskError(f"Trạm {args.station} chưa được đăng ký ở máy chủ.")
        return mohqueue.register_cert(s, args.station, pem, now)

    info = in_session(args, register_cert, write=True)
    emit(args, info, f"Đã đăng ký chứng thư số cơ sở cho trạm {args.station}: {info['subject']}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from sync.hub import mohqueue

    data = in_session(args, lambda s, now: mohqueue.status(s, now, args.station))
    c = data["counts"]
    lines = [
        f"Gửi Bộ Y tế: chờ gửi {c['pending']}, chờ đồng ý {c['waiting']}, đã nhận {c['accepted']}, "
        f"trùng 6 tháng {c['duplicate']}, cần sửa {c['parked']}, dừng do chữ ký {c['stopped']}; "
        f"quá hạn 24 giờ {data['overdue']}"
    ]
    lines += [f"TRẠM {x['station_code']} ĐÃ DỪNG GỬI: {x['reason']}" for x in data["stopped_stations"]]
    lines += [
        f"  {r['station_code']} phiếu {r['exam_id']}: {r['state']}{' QUÁ HẠN' if r['overdue'] else ''}"
        f" (hạn {r['deadline']}) {r['res_code'] or ''} {r['message'] or ''}".rstrip()
        for r in data["items"]
    ]
    emit(args, data, "\n".join(lines))
    return 0


def _resume(args: argparse.Namespace) -> int:
    from sync.hub import mohqueue

    n = in_session(args, lambda s, now: mohqueue.resume_station(s, args.station, now), write=True)
    emit(
        args,
        {"station_code": args.station, "requeued": n},
        f"Đã cho trạm {args.station} gửi lại ({n} hồ sơ).",
    )
    return 0


def register(
    cmds: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    db_arg: Callable[[argparse.ArgumentParser], None],
) -> None:
    p = cmds.add_parser(
        "moh-cert", parents=[common], help="đăng ký chứng thư số cơ sở của một trạm (QĐ 1551)"
    )
    db_arg(p)
    p.add_argument("station", help="mã trạm")
    p.add_argument("pem", help="tệp chứng thư số PEM của cơ sở")
    p.set_defaults(handler=_cert)
    p = cmds.add_parser("moh-status", parents=[common], help="tình trạng gửi hồ sơ lên Bộ Y tế, hạn 24 giờ")
    db_arg(p)
    p.add_argument("--station", help="chỉ một trạm")
    p.set_defaults(handler=_status)
    p = cmds.add_parser(
        "moh-resume",
        parents=[common],
        help="cho trạm gửi lại sau khi đã sửa lỗi chữ ký (PS_SIGNATURE_INVALID)",
    )
    db_arg(p)
    p.add_argument("station", help="mã trạm")
    p.set_defaults(handler=_resume)
