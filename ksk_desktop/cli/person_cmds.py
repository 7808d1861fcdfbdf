"""``ksk person add|show|count``: the person record (search and import come with the citizen list)."""

from __future__ import annotations

import argparse
import contextlib
from datetime import date

from ksk_desktop.cli.io import emit, session_command
from ksk_desktop.errors import InvalidInput
from ksk_desktop.people import persons
from ksk_desktop.station.session import StationSession


def _parse_date(text: str) -> date:
    from ksk_desktop.dates import parse_date

    with contextlib.suppress(ValueError):
        return parse_date(text)
    raise InvalidInput(f"Ngày {text!r} không hợp lệ (dùng dd/mm/yyyy).")


def _sex(text: str | None) -> str | None:
    if not text:
        return None
    sex = persons.sex_code(text)
    if sex is None:
        raise InvalidInput("Giới tính phải là Nam hoặc Nữ.")
    return sex


def _add(ctx: StationSession, args: argparse.Namespace) -> int:
    sex = _sex(args.sex)
    data = persons.PersonInput(
        full_name=args.name,
        personal_id=args.personal_id,
        old_id=args.old_id,
        birth_date=_parse_date(args.dob) if args.dob else None,
        birth_year=args.birth_year,
        sex=sex,
        permanent_address=args.address,
        current_address=args.address,
        hamlet=args.hamlet,
        phone=args.phone,
        insurance_no=args.insurance_no,
        target_group=args.group,
        flags=args.flag or [],
    )
    person = persons.create_person(ctx, data)  # in the station's commune
    emit(args, person, f"Đã thêm {person.name} (mã {person.id}).")
    return 0


def _show(ctx: StationSession, args: argparse.Namespace) -> int:
    person = persons.get_person(ctx, args.id)
    emit(args, person)
    return 0


def _history(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.people.history import person_history

    h = person_history(ctx, args.id)
    lines = [
        f"{a['date']} {a['start']}–{a['end']}  {a['site']}  {a['campaign']}: {a['status_label']}"
        for a in h["appointments"]
    ] or ["Chưa có lịch hẹn."]
    if h["exams"] is None:
        lines.append("(Tài khoản này không được xem kết quả khám.)")
    else:
        lines += [
            f"{e['exam_date']}  khám {e['form_label']}: {e['status_label']}"
            + (f", loại {e['health_class']}" if e["health_class"] else "")
            for e in h["exams"]
        ] or ["Chưa có lần khám nào."]
    emit(args, h, "\n".join(lines))
    return 0


def _search(ctx: StationSession, args: argparse.Namespace) -> int:
    rows = persons.search(ctx, args.query, args.limit, args.year)
    lines = [
        f"{r['personal_id'] or '-':<12}  {r['name']:<28} {r['dob'] or r['birth_year'] or '':<10} "
        f"{persons.sex_label(r['sex']):<3} {r['hamlet'] or ''}"
        for r in rows
    ]
    emit(args, rows, "\n".join(lines) if lines else "Không tìm thấy ai.")
    return 0


def _import(ctx: StationSession, args: argparse.Namespace) -> int:
    from pathlib import Path

    from ksk_desktop.importer import import_people

    result = import_people(
        ctx, Path(args.file), args.mapping, report_path=Path(args.report) if args.report else None
    )
    human = (
        f"Đã nhập {Path(args.file).name}: {result.created} người mới, {result.updated} cập nhật, "
        f"{result.unchanged} không đổi, {result.rejected} dòng bị loại ({result.seconds} giây)."
    )
    if result.report:
        human += f"\nDòng bị loại và lý do: {result.report}"
    emit(args, result.to_json(), human)
    return 0


def _preview(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ksk_desktop.clock import SYSTEM_CLOCK
    from ksk_desktop.importer import preview

    data = preview(Path(args.file), args.mapping, rows=args.rows, today=SYSTEM_CLOCK.today())
    lines = [f"{h!r} → {f}" for h, f in data["mapping"].items()]
    if data["problem"]:
        lines.append(f"Cần xử lý: {data['problem']}")
    for r in data["rows"]:
        if "ok" not in r:
            lines.append(f"dòng {r['row']}: {r['cells']}")
        else:
            lines.append(
                f"dòng {r['row']}: " + (r["person"]["full_name"] if r["ok"] else "LỖI " + r["reason"])
            )
    emit(args, data, "\n".join(lines))
    return 0


def _filter(args: argparse.Namespace):
    from ksk_desktop.people.people_list import ListFilter

    group = {g.strip().lower() for g in (args.group or "").split(",") if g.strip()}
    return ListFilter(
        query=args.query or "",
        groups=group,
        flags=set(args.flag or []),
        hamlet=args.hamlet,
        birth_year=args.year,
        exam_status=args.status,
        exam_year=args.exam_year,
    )


def _list(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.people import people_list

    flt = _filter(args)
    total = people_list.count(ctx, flt)
    rows = people_list.page(ctx, flt, args.offset, args.limit)
    lines = [f"{r['name']:<28} {r['dob'] or r['birth_year'] or '':<10} {r['hamlet'] or ''}" for r in rows]
    emit(args, {"total": total, "offset": args.offset, "rows": rows}, "\n".join(lines + [f"({total} người)"]))
    return 0


def _export(ctx: StationSession, args: argparse.Namespace) -> int:
    from pathlib import Path

    from ksk_desktop.people import people_list

    n = people_list.export_xlsx(ctx, _filter(args), Path(args.file))
    emit(args, {"ok": True, "file": args.file, "count": n}, f"Đã xuất {n} người vào {args.file}.")
    return 0


def _edit(ctx: StationSession, args: argparse.Namespace) -> int:
    changes = {}
    for key, attr in (
        ("full_name", "name"),
        ("personal_id", "personal_id"),
        ("old_id", "old_id"),
        ("birth_year", "birth_year"),
        ("hamlet", "hamlet"),
        ("phone", "phone"),
        ("insurance_no", "insurance_no"),
        ("target_group", "group"),
        ("permanent_address", "address"),
        ("guardian_name", "guardian_name"),
        ("guardian_phone", "guardian_phone"),
    ):
        value = getattr(args, attr)
        if value is not None:
            changes[key] = value or None  # an empty string clears the field
    if args.dob is not None:
        changes["birth_date"] = _parse_date(args.dob) if args.dob else None
    if args.sex is not None:
        changes["sex"] = _sex(args.sex)
    person = persons.update_person(ctx, args.id, changes, args.flag, source="cli")
    emit(args, person, f"Đã lưu {person.name}.")
    return 0


def _duplicates(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.people import duplicates

    groups = duplicates.find(ctx)
    lines = [f"{g['reason']}: " + "; ".join(f"{p['name']} ({p['id']})" for p in g["people"]) for g in groups]
    emit(args, groups, "\n".join(lines) if lines else "Không có hồ sơ trùng.")
    return 0


def _merge(ctx: StationSession, args: argparse.Namespace) -> int:
    from ksk_desktop.people import duplicates

    result = duplicates.merge(ctx, args.keep, args.merged)
    emit(args, result, f"Đã gộp hồ sơ {args.merged} vào {args.keep}.")
    return 0


def _count(ctx: StationSession, args: argparse.Namespace) -> int:
    n = persons.count_people(ctx)
    emit(args, {"count": n}, str(n))
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    person = sub.add_parser("person", parents=[common], help="người dân").add_subparsers(
        dest="person_cmd", metavar="LỆNH"
    )
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
    p.set_defaults(handler=session_command(_add))
    p = person.add_parser("show", parents=[common], help="xem một người (có ghi nhật ký truy cập)")
    p.add_argument("id")
    p.set_defaults(handler=session_command(_show))
    p = person.add_parser("history", parents=[common], help="lịch hẹn và các lần khám của một người")
    p.add_argument("id")
    p.set_defaults(handler=session_command(_history))
    p = person.add_parser(
        "search",
        parents=[common],
        help="tìm người: tên không dấu, số định danh (hoặc 4–6 số cuối), CMND cũ, điện thoại, số thẻ BHYT",
    )
    p.add_argument("query")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--year", type=int, help="chỉ người sinh năm này")
    p.set_defaults(handler=session_command(_search))
    p = person.add_parser("import", parents=[common], help="nhập danh sách từ .xlsx hoặc .csv")
    p.add_argument("file")
    p.add_argument("--mapping", help='ghép cột: JSON {"Tên cột": "trường"} hoặc đường dẫn tệp JSON')
    p.add_argument("--report", help="nơi ghi báo cáo dòng bị loại (.xlsx); mặc định cạnh tệp nguồn")
    p.set_defaults(handler=session_command(_import))
    p = person.add_parser("preview", parents=[common], help="xem trước cách đọc tệp (không ghi gì)")
    p.add_argument("file")
    p.add_argument("--mapping")
    p.add_argument("--rows", type=int, default=10)
    p.set_defaults(handler=_preview)
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--query", help="tìm theo tên không dấu, số định danh, điện thoại…")
    filters.add_argument("--group", help="nhóm đối tượng, ví dụ a,b")
    filters.add_argument("--flag", action="append", help="diện ưu tiên (lặp lại được)")
    filters.add_argument("--hamlet", help="thôn / tổ dân phố")
    filters.add_argument("--year", type=int, help="năm sinh")
    filters.add_argument(
        "--status",
        choices=["examined", "scheduled", "not_yet"],
        help="tình trạng khám trong năm: đã khám, đã hẹn, chưa khám",
    )
    filters.add_argument("--exam-year", type=int, help="năm của tình trạng khám (mặc định năm nay)")
    p = person.add_parser("list", parents=[common, filters], help="danh sách (đã lọc), theo trang")
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--limit", type=int, default=100)
    p.set_defaults(handler=session_command(_list))
    p = person.add_parser("export", parents=[common, filters], help="xuất danh sách (đã lọc) ra .xlsx")
    p.add_argument("file")
    p.set_defaults(handler=session_command(_export))
    p = person.add_parser("edit", parents=[common], help="sửa thông tin một người (ghi nhật ký)")
    p.add_argument("id")
    for opt in (
        "--name",
        "--personal-id",
        "--old-id",
        "--dob",
        "--sex",
        "--hamlet",
        "--phone",
        "--insurance-no",
        "--group",
        "--address",
        "--guardian-name",
        "--guardian-phone",
    ):
        p.add_argument(opt)
    p.add_argument("--birth-year", type=int)
    p.add_argument("--flag", action="append", help="đặt lại toàn bộ diện ưu tiên (lặp lại được)")
    p.set_defaults(handler=session_command(_edit))
    p = person.add_parser("duplicates", parents=[common], help="tìm hồ sơ trùng")
    p.set_defaults(handler=session_command(_duplicates))
    p = person.add_parser("merge", parents=[common], help="gộp hồ sơ MERGED vào KEEP")
    p.add_argument("keep")
    p.add_argument("merged")
    p.set_defaults(handler=session_command(_merge))
    p = person.add_parser("count", parents=[common], help="số người trong danh sách")
    p.set_defaults(handler=session_command(_count))
