"""``ksk init``, ``ksk demo``, ``ksk station``: setting a station up and looking at it."""

from __future__ import annotations

import argparse
import sys

from ksk_desktop.cli.io import emit, login, paths_of, read_secret, session_command
from ksk_desktop.demo import seed
from ksk_desktop.errors import InvalidInput
from ksk_desktop.station.lifecycle import init_station, station_info
from ksk_desktop.station.session import StationSession


def _init(args: argparse.Namespace) -> int:
    paths = paths_of(args)
    password = read_secret(
        args,
        env="KSK_PASSWORD",
        stdin_flag="password_stdin",
        prompt="Mật khẩu quản trị viên: ",
        what="mật khẩu quản trị viên",
        confirm=True,
    )
    result = init_station(
        paths,
        station_code=args.station_code,
        commune_code=args.commune_code,
        admin_username=args.admin,
        admin_password=password,
        admin_full_name=args.admin_name or "",
        station_name=args.station_name or "",
    )
    emit(
        args,
        {
            "ok": True,
            "station_id": result.station_id,
            "data_dir": str(paths.root),
            "admin": args.admin.strip().lower(),
            "recovery_key": result.recovery_key,
        },
        "Đã thiết lập trạm.\n"
        f"Thư mục dữ liệu: {paths.root}\n\n"
        f"KHÓA KHÔI PHỤC (chỉ hiện MỘT lần — in ra và cất giữ an toàn):\n\n    {result.recovery_key}\n",
    )
    return 0


def _demo(args: argparse.Namespace) -> int:
    if args.people < 0 or args.people > 900_000:
        raise InvalidInput("--people phải từ 0 đến 900000.")
    paths = paths_of(args)

    def show(done: int, total: int) -> None:
        if not getattr(args, "json", False) and sys.stderr.isatty():
            print(f"\r  {done}/{total} người", end="", file=sys.stderr, flush=True)

    if paths.exists():
        if not getattr(args, "user", None):
            raise InvalidInput(
                f"Đã có trạm trong {paths.root}. Để thêm người mẫu, đăng nhập trưởng trạm hoặc quản trị viên: "
                "ksk --user TÊN demo --people N"
            )
        ctx = login(args)
        try:
            result = seed.seed_existing(ctx, args.people, args.seed)
        finally:
            ctx.close()
    else:
        result = seed.create_demo(paths, args.people, args.seed)
    data = {"ok": True, "data_dir": str(paths.root), **result.to_json()}
    human = (
        f"Đã thêm {result.people_added} người mẫu (tổng {result.total_people}) trong {result.seconds} giây."
    )
    if result.created_station:
        human = (
            f"Đã tạo trạm mẫu tại {paths.root}.\n{human}\n"
            f"Tài khoản mẫu: {', '.join(result.users)} — mật khẩu: {seed.DEMO_SECRET}"
        )
    emit(args, data, human)
    return 0


def _info(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.db import migrate
    from ksk_desktop.people import persons

    st = station_info(ctx)
    data = {
        "station_id": st.id,
        "code": st.code,
        "commune_code": st.commune_code,
        "name": st.name,
        "schema": migrate.head_revision(),
        "persons": persons.count_people(ctx),
        "user": ctx.user.username,
        "role": ctx.user.role.value,
        "data_dir": str(ctx.paths.root),
    }
    emit(args, data, "\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def _moh_settings(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.moh1551 import settings

    changes = {
        "ma_cskcb": args.ma_cskcb,
        "ma_gtin_cskcb": args.gtin,
        "province_code": args.province,
        "account_user": args.account,
    }
    if any(v is not None for v in changes.values()):
        password = None
        if args.account is not None:
            password = read_secret(
                args,
                env="KSK_MOH_PASSWORD",
                stdin_flag="moh_password_stdin",
                prompt="Mật khẩu tài khoản liên thông Bộ Y tế: ",
                what="mật khẩu tài khoản liên thông",
            )
        result = settings.update(ctx, **changes, account_password=password)
    else:
        result = settings.get(ctx)
    data = result.to_json()
    labels = {
        "ma_cskcb": "Mã cơ sở KCB (MA_CSKCB)",
        "ma_gtin_cskcb": "Mã định danh cơ sở (MA_GTIN_CSKCB)",
        "province_code": "Mã tỉnh (MATINH_CU_TRU)",
        "account_user": "Tài khoản liên thông",
        "account_password_set": "Đã lưu mật khẩu",
        "complete": "Đủ để lập tệp gửi Bộ Y tế",
    }
    emit(args, data, "\n".join(f"{labels[k]}: {'—' if v is None else v}" for k, v in data.items()))
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "init", parents=[common], help="thiết lập trạm mới (cơ sở dữ liệu mã hóa, quản trị viên đầu tiên)"
    )
    p.add_argument("--station-code", required=True, help="mã trạm y tế")
    p.add_argument("--commune-code", required=True, help="mã xã/phường/đặc khu (5 chữ số)")
    p.add_argument("--admin", required=True, help="tên đăng nhập của quản trị viên đầu tiên")
    p.add_argument("--admin-name", help="họ tên quản trị viên")
    p.add_argument("--station-name", help="tên trạm (mặc định: Trạm Y tế + tên xã)")
    p.set_defaults(handler=_init)

    p = sub.add_parser(
        "demo", parents=[common], help="tạo trạm mẫu với dữ liệu tổng hợp, hoặc thêm người mẫu"
    )
    p.add_argument("--people", type=int, default=5000, help="số người mẫu (mặc định 5000)")
    p.add_argument("--seed", type=int, default=2026, help="hạt giống ngẫu nhiên (mặc định 2026)")
    p.set_defaults(handler=_demo)

    p = sub.add_parser("station", parents=[common], help="thông tin trạm")
    p.set_defaults(handler=session_command(_info))
    from ksk_desktop.cli import moh1551_cmds

    station_sub = p.add_subparsers(dest="station_cmd", metavar="LỆNH")
    m = station_sub.add_parser(
        "moh-settings",
        parents=[common],
        help="mã cơ sở và tài khoản liên thông dữ liệu khám sức khỏe với Bộ Y tế (QĐ 1551); không tham số: xem",
    )
    m.add_argument("--ma-cskcb", help="mã cơ sở khám chữa bệnh, 5 ký tự")
    m.add_argument("--gtin", help="mã định danh cơ sở MA_GTIN_CSKCB, 13 chữ số (chuẩn GLN)")
    m.add_argument("--province", help="mã tỉnh MATINH_CU_TRU (Hải Phòng: 31)")
    m.add_argument(
        "--account",
        help="tên tài khoản liên thông (mật khẩu hỏi sau, hoặc KSK_MOH_PASSWORD / --moh-password-stdin)",
    )
    m.add_argument(
        "--moh-password-stdin", action="store_true", help="đọc mật khẩu tài khoản liên thông từ stdin"
    )
    m.set_defaults(handler=session_command(_moh_settings))
    moh1551_cmds.register_station(station_sub, common)
