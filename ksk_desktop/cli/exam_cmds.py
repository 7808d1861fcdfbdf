"""``ksk exam …`` (import, list, show, sign, verify, amend, keys, form) and ``ksk followup …`` (list, done)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from ksk_desktop.cli.io import emit, read_secret, session_command, user_password
from ksk_desktop.errors import InvalidInput
from ksk_desktop.station.session import StationSession


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InvalidInput(f"Không tìm thấy tệp {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"Không đọc được tệp JSON {path.name}: {exc}.") from None


def _set_value(text: str) -> tuple[str, Any]:
    """``field=value``: the value as JSON when it reads as JSON (numbers, true/false, null, lists), else text."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput(f"--set {text!r}: dùng dạng TRƯỜNG=GIÁ_TRỊ, ví dụ weight_kg=62.")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


def _dmy(iso: str | None) -> str:
    from ksk_desktop.dates import show_date

    return show_date(iso)


def _exam_import(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import records

    doc = records.import_exam(ctx, _read_json(args.file))
    emit(args, doc, doc["id"])
    return 0


def _exam_list(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.cli.schedule_cmds import parse_date
    from ksk_desktop.exams import records

    rows = records.list_exams(
        ctx,
        person_id=args.person,
        exam_date=parse_date(args.date) if args.date else None,
        status=args.status,
        limit=args.limit,
    )
    lines = [
        f"{r['id']}  v{r['version']}  {_dmy(r['exam_date'])}  {r['full_name']}  {r['form']}  {r['status']}"
        f"  loại {r['health_class'] or '-'}"
        for r in rows
    ]
    emit(args, rows, "\n".join(lines) or "Chưa có phiếu khám nào.")
    return 0


def _exam_show(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import records

    emit(args, records.get_exam(ctx, args.id, args.version))
    return 0


def _exam_sign(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import signing

    # The doctor's signing key opens with their own password: the one this command logged in with. Their QĐ 1551
    # certificate (if the station has one) opens with the same password unless another is given.
    cert_password = None
    if args.cert_password_stdin or os.environ.get("KSK_CERT_PASSWORD"):
        cert_password = read_secret(
            args,
            env="KSK_CERT_PASSWORD",
            stdin_flag="cert_password_stdin",
            prompt="Mật khẩu chứng thư số: ",
            what="mật khẩu chứng thư số",
        )
    doc = signing.sign(ctx, args.id, user_password(args), cert_password=cert_password)
    emit(
        args,
        doc,
        f"Đã ký phiếu khám {doc['id']} (phiên bản {doc['version']}, loại sức khỏe {doc['health_class']}).\n"
        f"Mã xác thực: {signing.verify_qr_text(doc)}",
    )
    return 0


def _exam_verify(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import signing

    result = signing.verify_qr(ctx, args.qr_text)
    emit(
        args,
        result,
        f"Chữ ký hợp lệ: phiếu khám {result['exam_id']} phiên bản {result['version']}, ngày "
        f"{_dmy(result['exam_date'])}, ký bởi {result['signer_name']}.",
    )
    return 0


def _exam_amend(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import amendments

    changes = dict(_set_value(item) for item in args.set or [])
    if not changes:
        raise InvalidInput("Phiếu điều chỉnh cần ít nhất một --set TRƯỜNG=GIÁ_TRỊ.")
    doc = amendments.amend(
        ctx, args.id, args.reason, changes, confirm=args.confirm or [], password=user_password(args)
    )
    emit(
        args,
        doc,
        f"Đã ký phiếu điều chỉnh: phiếu khám {doc['id']} phiên bản {doc['version']} "
        f"(điều chỉnh phiên bản {doc['amends_version']}).",
    )
    return 0


def _exam_keys(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import keys

    rows = keys.public_keys(ctx)
    emit(
        args,
        rows,
        "\n".join(
            f"{k['key_id']}  {k['username']}  {k['full_name']}  Ed25519 {k['public_key']}"
            + ("" if k["active"] else "  (đã thay)")
            for k in rows
        )
        or "Chưa có khóa ký nào (khóa được tạo khi bác sĩ ký lần đầu).",
    )
    return 0


def _exam_form(args: argparse.Namespace) -> int:
    from ksk_desktop.exams import forms

    if not args.form:
        emit(args, forms.available())
        return 0
    emit(args, forms.load_form(args.form, args.version).to_json())
    return 0


def _exam_export_1551(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.moh1551.export import export

    # --json names the file's format here (as the command line of QĐ 1551 tools does); the summary is then
    # printed as JSON too. --xml (the default) writes XML.
    as_json = bool(getattr(args, "json", False))
    if as_json and args.xml:
        raise InvalidInput("Chọn một định dạng: --json hoặc --xml.")
    result = export(ctx, args.id, Path(args.output), "json" if as_json else "xml")
    human = f"Đã ghi tệp {result['file']} (MA_LK {result['ma_lk']}, chưa ký số)."
    if result["warnings"]:
        human += "\nLưu ý: " + "; ".join(result["warnings"]) + "."
    emit(args, result, human)
    return 0


def _followup_list(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.cli.schedule_cmds import parse_date
    from ksk_desktop.exams import followups

    rows = followups.list_followups(
        ctx,
        due_before=parse_date(args.due_before) if args.due_before else None,
        status=args.status,
        person_id=args.person,
    )
    lines = [
        f"{r['id']}  hạn {_dmy(r['due_date'])}  {r['full_name']}  {r['kind_label']}  {r['status']}"
        for r in rows
    ]
    emit(args, rows, "\n".join(lines) or "Không có mục theo dõi nào.")
    return 0


def _followup_done(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.exams import followups

    row = followups.mark_done(ctx, args.id)
    emit(args, row, f"Đã xong: {row['kind_label']} của {row['full_name']}.")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    grp = sub.add_parser("exam", parents=[common], help="phiếu khám sức khỏe").add_subparsers(
        dest="exam_cmd", metavar="LỆNH"
    )
    grp.required = True
    p = grp.add_parser("import", parents=[common], help="nhập một phiếu khám (bản nháp) từ tệp JSON")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=session_command(_exam_import))
    p = grp.add_parser("list", parents=[common], help="danh sách phiếu khám (phiên bản mới nhất)")
    p.add_argument("--person", help="mã người")
    p.add_argument("--date", help="ngày khám dd/mm/yyyy")
    p.add_argument("--status", choices=("draft", "signed"))
    p.add_argument("--limit", type=int, default=1000)
    p.set_defaults(handler=session_command(_exam_list))
    p = grp.add_parser("show", parents=[common], help="nội dung một phiếu khám (JSON)")
    p.add_argument("id")
    p.add_argument("--version", type=int, help="phiên bản (mặc định: mới nhất)")
    p.set_defaults(handler=session_command(_exam_show))
    p = grp.add_parser(
        "sign", parents=[common], help="bác sĩ ký phiếu khám (khóa ký mở bằng mật khẩu của chính bác sĩ)"
    )
    p.add_argument("id")
    p.add_argument(
        "--cert-password-stdin",
        action="store_true",
        help="mật khẩu chứng thư số QĐ 1551 của bác sĩ, nếu khác mật khẩu đăng nhập (hoặc KSK_CERT_PASSWORD)",
    )
    p.set_defaults(handler=session_command(_exam_sign))
    p = grp.add_parser("verify", parents=[common], help="kiểm tra mã QR xác thực trên phiếu kết quả")
    p.add_argument("qr_text")
    p.set_defaults(handler=session_command(_exam_verify))
    p = grp.add_parser(
        "amend", parents=[common], help="phiếu điều chỉnh một phiếu đã ký (phiên bản mới, có lý do)"
    )
    p.add_argument("id")
    p.add_argument("--reason", required=True, help="lý do điều chỉnh")
    p.add_argument("--set", action="append", metavar="TRƯỜNG=GIÁ_TRỊ", help="giá trị mới (lặp lại được)")
    p.add_argument("--confirm", action="append", metavar="TRƯỜNG", help="xác nhận giá trị bất thường")
    p.set_defaults(handler=session_command(_exam_amend))
    p = grp.add_parser(
        "export-1551",
        parents=[common],
        help="tệp KHAMSUCKHOE (QĐ 1551) của một phiếu đã ký, đã kiểm tra theo bộ dữ liệu",
    )
    p.add_argument("id")
    p.add_argument("--xml", action="store_true", help="tệp XML (mặc định); --json: tệp JSON")
    p.add_argument("-o", "--output", required=True, help="tệp cần ghi")
    p.set_defaults(handler=session_command(_exam_export_1551))
    p = grp.add_parser("keys", parents=[common], help="khóa công khai Ed25519 của các bác sĩ")
    p.set_defaults(handler=session_command(_exam_keys))
    p = grp.add_parser("form", parents=[common], help="định nghĩa mẫu phiếu khám (adult, child, elderly)")
    p.add_argument("form", nargs="?")
    p.add_argument("--version", type=int)
    p.set_defaults(handler=_exam_form)

    grp = sub.add_parser(
        "followup", parents=[common], help="theo dõi sau khám (tăng huyết áp, đái tháo đường…)"
    )
    grp = grp.add_subparsers(dest="followup_cmd", metavar="LỆNH")
    grp.required = True
    p = grp.add_parser("list", parents=[common], help="các mục theo dõi theo hạn")
    p.add_argument("--due-before", help="hạn trước ngày dd/mm/yyyy")
    p.add_argument("--status", choices=("open", "done"), default="open")
    p.add_argument("--person", help="mã người")
    p.set_defaults(handler=session_command(_followup_list))
    p = grp.add_parser("done", parents=[common], help="đánh dấu đã xong một mục theo dõi")
    p.add_argument("id")
    p.set_defaults(handler=session_command(_followup_done))
