"""``ksk station cert …`` and ``ksk user cert import``: the QĐ 1551 signing certificates of the station.

A password or PIN never goes on the command line (it would stay in the shell's history and the process list):
it comes from ``--cert-password-stdin`` (one line, after the login password if both are on stdin) or the
``KSK_CERT_PASSWORD`` environment variable, else a prompt.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, read_secret, session_command
from ksk_desktop.errors import InvalidInput
from ksk_desktop.station.session import StationSession


def _secret(args: argparse.Namespace, what: str) -> str:
    return read_secret(
        args, env="KSK_CERT_PASSWORD", stdin_flag="cert_password_stdin", prompt=f"{what}: ", what=what
    )


def _read_p12(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InvalidInput("Không đọc được tệp chứng thư số.") from exc


def _summary(info: dict) -> str:
    return f"{info['subject']} (hết hạn {info['not_after'][:10]}, SHA-256 {info['sha256'][:16]}…)"


def _station_import(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.moh1551 import station_certs

    if bool(args.facility) == bool(args.pkcs11):
        raise InvalidInput("Chọn một: --facility TỆP.p12 hoặc --pkcs11 THƯ_VIỆN --token NHÃN.")
    if args.facility:
        info = station_certs.import_facility_p12(
            ctx, _read_p12(args.facility), _secret(args, "mật khẩu tệp .p12")
        )
    else:
        if not args.token:
            raise InvalidInput("Thiếu --token NHÃN của thiết bị ký số.")
        info = station_certs.import_facility_pkcs11(
            ctx, args.pkcs11, args.token, _secret(args, "mã PIN thiết bị ký số"), args.key_label
        )
    emit(args, info, "Đã nhập chứng thư số của cơ sở: " + _summary(info))
    return 0


def _station_show(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.moh1551 import station_certs

    with ctx.read() as s:
        data = station_certs.show(s)
    lines = ["Cơ sở: " + (_summary(data["facility"]) if data["facility"] else "chưa có chứng thư số")]
    lines += [f"Bác sĩ {d['username']}: {_summary(d)}" for d in data["doctors"]]
    emit(args, data, "\n".join(lines))
    return 0


def _user_import(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.moh1551 import station_certs

    info = station_certs.import_doctor_p12(
        ctx, args.name, _read_p12(args.file), _secret(args, "mật khẩu tệp .p12 của bác sĩ")
    )
    emit(args, {"username": args.name, **info}, f"Đã nhập chứng thư số của {args.name}: " + _summary(info))
    return 0


def _secret_option() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--cert-password-stdin",
        action="store_true",
        help="đọc mật khẩu .p12 / mã PIN từ stdin (sau mật khẩu đăng nhập); hoặc đặt KSK_CERT_PASSWORD",
    )
    return p


def register_station(station: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``ksk station cert import|show`` under the ``station`` command."""
    cert = station.add_parser("cert", parents=[common], help="chứng thư số ký hồ sơ gửi Bộ Y tế (QĐ 1551)")
    cmds = cert.add_subparsers(dest="cert_cmd", metavar="LỆNH")
    cmds.required = True
    p = cmds.add_parser("import", parents=[common, _secret_option()], help="nhập chứng thư số của cơ sở")
    p.add_argument("--facility", type=Path, metavar="TỆP.p12", help="tệp PKCS#12 (.p12/.pfx) của cơ sở")
    p.add_argument("--pkcs11", metavar="THƯ_VIỆN", help="thư viện PKCS#11 của USB token (.dll/.so)")
    p.add_argument("--token", metavar="NHÃN", help="nhãn của USB token")
    p.add_argument("--key-label", metavar="NHÃN", help="nhãn khóa trên token (khi token có nhiều khóa)")
    p.set_defaults(handler=session_command(_station_import))
    p = cmds.add_parser("show", parents=[common], help="xem chứng thư số của cơ sở và của các bác sĩ")
    p.set_defaults(handler=session_command(_station_show))


def register_user(user: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """``ksk user cert import USER FILE.p12``."""
    cert = user.add_parser("cert", parents=[common], help="chứng thư số của bác sĩ (ký kết luận khám)")
    cmds = cert.add_subparsers(dest="cert_cmd", metavar="LỆNH")
    cmds.required = True
    p = cmds.add_parser("import", parents=[common, _secret_option()], help="nhập tệp .p12 của bác sĩ")
    p.add_argument("name", help="tên đăng nhập của bác sĩ")
    p.add_argument("file", type=Path, metavar="TỆP.p12")
    p.set_defaults(handler=session_command(_user_import))
