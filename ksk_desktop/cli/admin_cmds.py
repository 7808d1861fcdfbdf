"""``ksk user …``, ``ksk audit verify``, ``ksk db check``, ``ksk backup …``: running the station safely."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksk_desktop.cli.io import emit, new_password, paths_of, read_secret, session_command, user_password
from ksk_desktop.errors import InvalidInput
from ksk_desktop.security.roles import ROLE_LABELS, Role
from ksk_desktop.station import audit, backup, security_policy, users
from ksk_desktop.station.dbcheck import check_database


# -- users ----------------------------------------------------------------------------------------
def _user_add(ctx, args) -> int:
    row = users.add_user(
        ctx, args.name, args.role, new_password(args), args.full_name or "", args.licence or ""
    )
    emit(
        args,
        {"ok": True, **row.to_json()},
        f"Đã thêm người dùng {row.username} ({ROLE_LABELS[Role(row.role)]}).",
    )
    return 0


def _user_list(ctx, args) -> int:
    rows = users.list_users(ctx)
    lines = [
        f"{r.username:<16} {ROLE_LABELS[Role(r.role)]:<20} {'hoạt động' if r.active else 'vô hiệu'}"
        f"{' (đang bị khóa)' if r.locked else ''}  {r.full_name}"
        for r in rows
    ]
    emit(args, [r.to_json() for r in rows], "\n".join(lines))
    return 0


def _user_edit(ctx, args) -> int:
    if args.full_name is None and args.licence is None:
        raise InvalidInput("Chọn điều cần sửa: --full-name và/hoặc --licence.")
    row = users.edit_user(ctx, args.name, full_name=args.full_name, licence_no=args.licence)
    emit(args, {"ok": True, **row.to_json()}, f"Đã sửa thông tin người dùng {row.username}.")
    return 0


def _user_passwd(ctx, args) -> int:
    # For one's own password, the login password given to this command is the proof of the current one.
    current = user_password(args) if args.name.strip().lower() == ctx.user.username else None
    users.change_password(ctx, args.name, new_password(args), current)
    emit(args, {"ok": True, "username": args.name}, f"Đã đổi mật khẩu của {args.name}.")
    return 0


def _user_active(active: bool):
    def run(ctx, args) -> int:
        users.set_active(ctx, args.name, active)
        emit(
            args,
            {"ok": True, "username": args.name, "active": active},
            f"Đã {'kích hoạt' if active else 'vô hiệu hóa'} {args.name}.",
        )
        return 0

    return run


def _user_reset(args: argparse.Namespace) -> int:
    from ksk_desktop.station.lifecycle import reset_password_with_recovery

    key = read_secret(
        args,
        env="KSK_RECOVERY_KEY",
        stdin_flag="recovery_key_stdin",
        prompt="Khóa khôi phục: ",
        what="khóa khôi phục",
    )
    reset_password_with_recovery(paths_of(args), key, args.name, new_password(args))
    emit(
        args, {"ok": True, "username": args.name}, f"Đã đặt lại mật khẩu cho {args.name} bằng khóa khôi phục."
    )
    return 0


def _user_unlock(ctx, args) -> int:
    users.unlock(ctx, args.name)
    emit(args, {"ok": True, "username": args.name}, f"Đã mở khóa {args.name}.")
    return 0


def _policy(ctx, args) -> int:
    changes = (args.max_failures, args.lockout_minutes, args.idle_minutes)
    if any(v is not None for v in changes):
        policy = security_policy.change_policy(
            ctx,
            max_failures=args.max_failures,
            lockout_minutes=args.lockout_minutes,
            idle_lock_minutes=args.idle_minutes,
        )
    else:
        policy = security_policy.current_policy(ctx)
    emit(
        args,
        policy.to_json(),
        f"Khóa tài khoản sau {policy.max_failures} lần sai trong {policy.lockout_minutes} phút; "
        f"tự khóa màn hình sau {policy.idle_lock_minutes} phút không thao tác.",
    )
    return 0


# -- audit and database checks --------------------------------------------------------------------
def _audit_verify(ctx, args) -> int:
    report = audit.verify_and_record(ctx)
    if report.ok:
        human = f"Nhật ký truy cập toàn vẹn: {report.events} sự kiện, đầu chuỗi #{report.head_seq}."
    else:
        human = f"NHẬT KÝ BỊ CAN THIỆP: sự kiện đầu tiên sai là #{report.first_bad_seq}: {report.problem}."
    if report.hub_alert:
        human += (
            f"\nCẢNH BÁO CỦA MÁY CHỦ: {report.hub_alert} (ghi nhận bằng: ksk sync acknowledge --reason …)"
        )
    emit(args, report.to_json(), human)
    return 0 if report.ok and not report.hub_alert else 11


def _audit_searched(ctx, args) -> int:
    result = audit.who_searched(ctx, args.query)
    lines = [f"#{e['seq']} {e['at']} {e['actor']} {e['action']}" for e in result["events"]]
    human = f"Dấu vân tay {result['query']['fingerprint']}: {len(lines)} sự kiện." + "".join(
        "\n" + line for line in lines
    )
    emit(args, result, human)
    return 0


def _db_check(ctx, args) -> int:
    result = check_database(ctx)
    lines = [f"{'OK ' if c['ok'] else 'LỖI'} {c['name']}: {c['detail']}" for c in result["checks"]]
    emit(args, result, "\n".join(lines))
    return 0 if result["ok"] else 12


# -- backups --------------------------------------------------------------------------------------
def _backup_create(ctx, args) -> int:
    info = backup.create_backup(ctx, Path(args.file))
    emit(
        args,
        {"ok": True, **info.to_json()},
        f"Đã tạo và kiểm tra bản sao lưu {info.path} ({info.size // 1024} KB, {info.persons} người).",
    )
    return 0


def _backup_restore(args: argparse.Namespace) -> int:
    paths = paths_of(args)
    if getattr(args, "user", None):
        password = read_secret(
            args, env="KSK_PASSWORD", stdin_flag="password_stdin", prompt="Mật khẩu: ", what="mật khẩu"
        )
        result = backup.restore_backup(paths, Path(args.file), username=args.user, password=password)
    else:
        key = read_secret(
            args,
            env="KSK_RECOVERY_KEY",
            stdin_flag="recovery_key_stdin",
            prompt="Khóa khôi phục: ",
            what="khóa khôi phục",
        )
        result = backup.restore_backup(paths, Path(args.file), recovery_key=key)
    human = f"Đã khôi phục {result['persons']} người vào {result['restored']}."
    if result["replaced"]:
        human += f"\nDữ liệu cũ được giữ lại tại {result['replaced']}."
    emit(args, {"ok": True, **result}, human)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    newpw = argparse.ArgumentParser(add_help=False)
    newpw.add_argument(
        "--new-password-stdin",
        action="store_true",
        help="đọc mật khẩu mới từ stdin (sau mật khẩu đăng nhập nếu dùng cả --password-stdin); "
        "hoặc đặt KSK_NEW_PASSWORD",
    )

    user = sub.add_parser("user", parents=[common], help="quản lý người dùng").add_subparsers(
        dest="user_cmd", metavar="LỆNH"
    )
    user.required = True
    from ksk_desktop.cli import moh1551_cmds

    moh1551_cmds.register_user(user, common)
    p = user.add_parser("add", parents=[common, newpw], help="thêm người dùng")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--full-name")
    p.add_argument("--licence", help="số chứng chỉ hành nghề (bác sĩ: cần để ký phiếu khám)")
    p.set_defaults(handler=session_command(_user_add))
    p = user.add_parser("edit", parents=[common], help="sửa họ tên, số chứng chỉ hành nghề")
    p.add_argument("name")
    p.add_argument("--full-name")
    p.add_argument("--licence", help="số chứng chỉ hành nghề (chuỗi rỗng: xóa)")
    p.set_defaults(handler=session_command(_user_edit))
    p = user.add_parser("list", parents=[common], help="danh sách người dùng")
    p.set_defaults(handler=session_command(_user_list))
    p = user.add_parser("passwd", parents=[common, newpw], help="đổi mật khẩu")
    p.add_argument("name")
    p.set_defaults(handler=session_command(_user_passwd))
    for name, active, text in (("enable", True, "kích hoạt"), ("disable", False, "vô hiệu hóa")):
        p = user.add_parser(name, parents=[common], help=f"{text} tài khoản")
        p.add_argument("name")
        p.set_defaults(handler=session_command(_user_active(active)))
    p = user.add_parser(
        "reset", parents=[common, newpw], help="đặt lại mật khẩu bằng khóa khôi phục (khi quên mọi mật khẩu)"
    )
    p.add_argument("name")
    p.add_argument(
        "--recovery-key-stdin", action="store_true", help="đọc khóa khôi phục từ dòng đầu của stdin"
    )
    p.set_defaults(handler=_user_reset)
    p = user.add_parser("unlock", parents=[common], help="mở khóa tài khoản bị khóa do nhập sai mật khẩu")
    p.add_argument("name")
    p.set_defaults(handler=session_command(_user_unlock))

    p = sub.add_parser("security", parents=[common], help="chính sách khóa tài khoản và tự khóa màn hình")
    p.add_argument("--max-failures", type=int, help="số lần nhập sai trước khi khóa tài khoản (mặc định 5)")
    p.add_argument("--lockout-minutes", type=int, help="thời gian khóa tài khoản, phút (mặc định 15)")
    p.add_argument(
        "--idle-minutes", type=int, help="tự khóa màn hình sau số phút không thao tác (mặc định 10)"
    )
    p.set_defaults(handler=session_command(_policy))

    aud = sub.add_parser("audit", parents=[common], help="nhật ký truy cập").add_subparsers(
        dest="audit_cmd", metavar="LỆNH"
    )
    aud.required = True
    aud.add_parser("verify", parents=[common], help="kiểm tra chuỗi băm của nhật ký").set_defaults(
        handler=session_command(_audit_verify, record=False)
    )
    p = aud.add_parser(
        "searched",
        parents=[common],
        help="ai đã tìm, lọc hoặc xuất danh sách theo nội dung này (nhật ký chỉ giữ dấu vân tay của nó)",
    )
    p.add_argument("query", help="nội dung tìm kiếm cần tra (họ tên, số định danh, số điện thoại…)")
    p.set_defaults(handler=session_command(_audit_searched))

    db = sub.add_parser("db", parents=[common], help="cơ sở dữ liệu").add_subparsers(
        dest="db_cmd", metavar="LỆNH"
    )
    db.required = True
    db.add_parser(
        "check", parents=[common], help="kiểm tra toàn vẹn, phiên bản lược đồ, nhật ký"
    ).set_defaults(handler=session_command(_db_check, record=False))

    bk = sub.add_parser("backup", parents=[common], help="sao lưu và khôi phục").add_subparsers(
        dest="backup_cmd", metavar="LỆNH"
    )
    bk.required = True
    p = bk.add_parser("create", parents=[common], help="tạo bản sao lưu mã hóa (được kiểm tra ngay)")
    p.add_argument("file")
    p.set_defaults(handler=session_command(_backup_create))
    p = bk.add_parser(
        "restore",
        parents=[common],
        help="khôi phục bằng khóa khôi phục (KSK_RECOVERY_KEY, --recovery-key-stdin hoặc nhập) "
        "hoặc bằng mật khẩu quản trị viên (--user)",
    )
    p.add_argument("file")
    p.add_argument("--recovery-key-stdin", action="store_true", help="đọc khóa khôi phục từ stdin")
    p.set_defaults(handler=_backup_restore)
