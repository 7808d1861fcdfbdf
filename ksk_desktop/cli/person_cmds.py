"""``ksk person add|show|count``: the person record (search and import come with the citizen list)."""

from __future__ import annotations

import argparse
from datetime import date

from .. import persons
from ..errors import InvalidInput
from .io import emit, login


def _parse_date(text: str) -> date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            from datetime import datetime

            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise InvalidInput(f"Ngày {text!r} không hợp lệ (dùng dd/mm/yyyy).")


def _add(args: argparse.Namespace) -> int:
    sex = {"nam": "M", "m": "M", "nữ": "F", "nu": "F", "f": "F"}.get((args.sex or "").strip().lower()) if args.sex else None
    if args.sex and sex is None:
        raise InvalidInput("Giới tính phải là Nam hoặc Nữ.")
    data = persons.PersonInput(
        full_name=args.name, personal_id=args.personal_id, old_id=args.old_id,
        birth_date=_parse_date(args.dob) if args.dob else None, birth_year=args.birth_year, sex=sex,
        permanent_address=args.address, current_address=args.address, hamlet=args.hamlet, phone=args.phone,
        insurance_no=args.insurance_no, target_group=args.group, flags=args.flag or [],
    )
    ctx = login(args)
    try:
        from ..station import station_info

        data.commune_code = station_info(ctx).commune_code
        person = persons.create_person(ctx, data)
    finally:
        ctx.close()
    emit(args, person, f"Đã thêm {person['name']} (mã {person['id']}).")
    return 0


def _show(args: argparse.Namespace) -> int:
    ctx = login(args)
    try:
        person = persons.get_person(ctx, args.id)
    finally:
        ctx.close()
    emit(args, person)
    return 0


def _search(args: argparse.Namespace) -> int:
    ctx = login(args)
    try:
        rows = persons.search(ctx, args.query, args.limit, args.year)
    finally:
        ctx.close()
    lines = [f"{r['personal_id'] or '-':<12}  {r['name']:<28} {r['dob'] or r['birth_year'] or '':<10} "
             f"{'Nam' if r['sex'] == 'M' else 'Nữ' if r['sex'] == 'F' else '':<3} {r['hamlet'] or ''}" for r in rows]
    emit(args, rows, "\n".join(lines) if lines else "Không tìm thấy ai.")
    return 0


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..importer import import_people

    ctx = login(args)
    try:
        result = import_people(ctx, Path(args.file), args.mapping,
                               report_path=Path(args.report) if args.report else None)
    finally:
        ctx.close()
    human = (f"Đã nhập {Path(args.file).name}: {result.created} người mới, {result.updated} cập nhật, "
             f"{result.unchanged} không đổi, {result.rejected} dòng bị loại ({result.seconds} giây).")
    if result.report:
        human += f"\nDòng bị loại và lý do: {result.report}"
    emit(args, result.to_json(), human)
    return 0


def _preview(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..importer import preview

    data = preview(Path(args.file), args.mapping, rows=args.rows)
    lines = [f"{h!r} → {f}" for h, f in data["mapping"].items()]
    lines += [f"dòng {r['row']}: " + (r["person"]["full_name"] if r["ok"] else "LỖI " + r["reason"]) for r in data["rows"]]
    emit(args, data, "\n".join(lines))
    return 0


def _count(args: argparse.Namespace) -> int:
    ctx = login(args)
    try:
        n = persons.count_people(ctx)
    finally:
        ctx.close()
    emit(args, {"count": n}, str(n))
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    person = sub.add_parser("person", parents=[common], help="người dân").add_subparsers(dest="person_cmd", metavar="LỆNH")
    person.required = True
    p = person.add_parser("add", parents=[common], help="thêm một người")
    p.add_argument("--name", required=True, help="họ và tên")
    p.add_argument("--personal-id", help="số định danh cá nhân (12 chữ số)")
    p.add_argument("--old-id", help="số CMND cũ (9 chữ số)")
    p.add_argument("--dob", help="ngày sinh dd/mm/yyyy")
    p.add_argument("--birth-year", type=int, help="năm sinh (khi không rõ ngày)")
    p.add_argument("--sex", help="Nam / Nữ")
    p.add_argument("--address")
    p.add_argument("--hamlet", help="thôn / tổ dân phố")
    p.add_argument("--phone")
    p.add_argument("--insurance-no", help="số thẻ BHYT")
    p.add_argument("--group", help="nhóm đối tượng a, b, c, d, đ")
    p.add_argument("--flag", action="append", help="diện ưu tiên (lặp lại được)")
    p.set_defaults(handler=_add)
    p = person.add_parser("show", parents=[common], help="xem một người (có ghi nhật ký truy cập)")
    p.add_argument("id")
    p.set_defaults(handler=_show)
    p = person.add_parser("search", parents=[common], help="tìm người: tên không dấu, số định danh (hoặc 4–6 số cuối), "
                          "CMND cũ, điện thoại, số thẻ BHYT")
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--year", type=int, help="chỉ người sinh năm này")
    p.set_defaults(handler=_search)
    p = person.add_parser("import", parents=[common], help="nhập danh sách từ .xlsx hoặc .csv")
    p.add_argument("file")
    p.add_argument("--mapping", help='ghép cột: JSON {"Tên cột": "trường"} hoặc đường dẫn tệp JSON')
    p.add_argument("--report", help="nơi ghi báo cáo dòng bị loại (.xlsx); mặc định cạnh tệp nguồn")
    p.set_defaults(handler=_import)
    p = person.add_parser("preview", parents=[common], help="xem trước cách đọc tệp (không ghi gì)")
    p.add_argument("file")
    p.add_argument("--mapping")
    p.add_argument("--rows", type=int, default=10)
    p.set_defaults(handler=_preview)
    p = person.add_parser("count", parents=[common], help="số người trong danh sách")
    p.set_defaults(handler=_count)
