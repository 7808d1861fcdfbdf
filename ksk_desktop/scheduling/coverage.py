"""Coverage of a year: who has been examined, who is booked, and who has not been examined yet — by hamlet and
target group, with the list of those not examined and an .xlsx export. Nobody is left out: people with no
hamlet or no group are counted under their own heading.

"Examined this year" is the rule of :mod:`ksk_desktop.scheduling.examined`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from ksk_desktop.errors import InvalidInput
from ksk_desktop.people.persons import TARGET_GROUPS, sex_label
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.examined import examined_ids_sql
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import collation_key

NO_HAMLET = ""  # filter value for people with no hamlet recorded
NO_HAMLET_LABEL = "(chưa ghi thôn / tổ dân phố)"
NO_GROUP_LABEL = "(chưa phân nhóm)"
_BOOKED = tuple(x for x in st.ACTIVE if x != st.EXAMINED)


def _examined(year_param: str = ":y") -> str:
    return examined_ids_sql(year_param)


def _booked() -> str:
    return (
        "SELECT a.person_id FROM appointment a JOIN campaign c ON c.id = a.campaign_id "
        f"WHERE a.status IN ({st.sql_list(_BOOKED)}) AND c.year = :y"
    )


def _check_year(year: int) -> None:
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(f"Năm {year!r} không hợp lệ.")


def _group_key(g: str | None) -> int:
    return TARGET_GROUPS.index(g) if g in TARGET_GROUPS else len(TARGET_GROUPS)


def _rate(done: int, total: int) -> float:
    return round(100 * done / total, 1) if total else 0.0


def coverage(ctx: StationSession, year: int) -> dict:
    """Counts by hamlet × group, by hamlet, by group and in total: people, examined, not examined, of whom
    booked and not yet booked, and the examined rate (%)."""
    ctx.require(Perm.REPORT_READ)
    _check_year(year)
    with ctx.read() as s:
        rows = s.execute(
            text(
                f"SELECT p.hamlet, p.target_group, count(*), sum(p.id IN ({_examined()})), "
                f"sum(p.id IN ({_booked()}) AND p.id NOT IN ({_examined()})) FROM person p GROUP BY 1, 2"
            ),
            {"y": year},
        ).all()
    cells = []
    for hamlet, group, total, examined, booked in rows:
        examined, booked = examined or 0, booked or 0
        cells.append(
            {
                "hamlet": hamlet,
                "hamlet_label": hamlet or NO_HAMLET_LABEL,
                "group": group,
                "group_label": group or NO_GROUP_LABEL,
                "total": total,
                "examined": examined,
                "not_examined": total - examined,
                "booked": booked,
                "not_booked": total - examined - booked,
                "rate": _rate(examined, total),
            }
        )
    cells.sort(key=lambda c: (c["hamlet"] is None, collation_key(c["hamlet"] or ""), _group_key(c["group"])))

    def roll(key: str) -> list[dict]:
        out: dict = {}
        for c in cells:
            r = out.setdefault(
                c[key],
                {
                    key: c[key],
                    f"{key}_label": c[f"{key}_label"],
                    "total": 0,
                    "examined": 0,
                    "not_examined": 0,
                    "booked": 0,
                    "not_booked": 0,
                },
            )
            for k in ("total", "examined", "not_examined", "booked", "not_booked"):
                r[k] += c[k]
        for r in out.values():
            r["rate"] = _rate(r["examined"], r["total"])
        return list(out.values())

    by_group = sorted(roll("group"), key=lambda r: _group_key(r["group"]))
    totals = {
        k: sum(c[k] for c in cells) for k in ("total", "examined", "not_examined", "booked", "not_booked")
    }
    totals["rate"] = _rate(totals["examined"], totals["total"])
    return {"year": year, "totals": totals, "by_hamlet": roll("hamlet"), "by_group": by_group, "cells": cells}


def _not_examined_sql(hamlet: str | None, group: str | None, params: dict) -> str:
    where = [f"p.id NOT IN ({_examined()})"]
    if hamlet is not None:
        if hamlet == NO_HAMLET:
            where.append("p.hamlet IS NULL")
        else:
            where.append("p.hamlet = :hamlet")
            params["hamlet"] = hamlet
    if group is not None:
        if group == "":
            where.append("p.target_group IS NULL")
        else:
            where.append("p.target_group = :group")
            params["group"] = group
    return (
        "SELECT p.id, p.full_name, p.birth_date, p.birth_year, p.sex, p.personal_id, p.hamlet, p.target_group, "
        "p.phone, (SELECT d.exam_date || ' ' || sl.start_time FROM appointment a JOIN campaign c ON c.id = a.campaign_id "
        "JOIN exam_day d ON d.id = a.day_id JOIN slot sl ON sl.id = a.slot_id WHERE a.person_id = p.id AND c.year = :y "
        f"AND a.status IN ({st.sql_list(_BOOKED)}) ORDER BY d.exam_date LIMIT 1) AS booked "
        "FROM person p WHERE "
        + " AND ".join(where)
        + " ORDER BY p.hamlet IS NULL, p.hamlet, p.sort_key, p.id"
    )


def _row(r) -> dict:  # noqa: ANN001 - a result row
    booked_date, _sp, booked_time = (r.booked or "").partition(" ")
    return {
        "person_id": r.id,
        "name": r.full_name,
        "dob": r.birth_date,
        "birth_year": r.birth_year,
        "sex": r.sex,
        "personal_id": r.personal_id,
        "hamlet": r.hamlet,
        "group": r.target_group,
        "phone": r.phone,
        "booked_date": booked_date or None,
        "booked_start": booked_time or None,
    }


def not_examined(
    ctx: StationSession,
    year: int,
    *,
    hamlet: str | None = None,
    group: str | None = None,
    offset: int = 0,
    limit: int = 1000,
) -> dict:
    """A page of the people not examined in *year* (optionally of one hamlet — ``NO_HAMLET`` for none — or
    group), by hamlet then name, each with their booked day and time if they have one."""
    ctx.require(Perm.REPORT_READ)
    _check_year(year)
    params: dict = {"y": year}
    sql = _not_examined_sql(hamlet, group, params)
    with ctx.read() as s:
        total = s.scalar(text(f"SELECT count(*) FROM ({sql})"), params)
        rows = s.execute(text(sql + " LIMIT :lim OFFSET :off"), {**params, "lim": limit, "off": offset}).all()
    if rows:  # names, personal IDs and phones read in bulk: audited with the filter and the count
        with ctx.write() as s:
            ctx.audit(
                s,
                "coverage.read",
                "person",
                None,
                {
                    "year": year,
                    "hamlet": hamlet,
                    "group": group,
                    "offset": offset,
                    "limit": limit,
                    "rows": len(rows),
                },
            )
    return {"year": year, "total": total, "offset": offset, "rows": [_row(r) for r in rows]}


def _iter_not_examined(s: Session, year: int):  # noqa: ANN202 - a generator of rows
    params: dict = {"y": year}
    yield from (_row(r) for r in s.execute(text(_not_examined_sql(None, None, params)), params))


def export_xlsx(
    ctx: StationSession, year: int, dest: Path, progress: Callable[[int, int], None] | None = None
) -> dict:
    """Write the coverage (sheet "Tổng hợp") and everyone not examined (sheet "Chưa khám") to an .xlsx file;
    the export is audited. Returns the totals and the file name."""
    from ksk_desktop.fsio import write_private
    from ksk_desktop.xlsx.writer import Cell, Workbook

    summary = coverage(ctx, year)
    wb = Workbook()

    def bold(values: list) -> list:
        return [Cell(v, bold=True) for v in values]

    t = summary["totals"]
    with wb.sheet("Tổng hợp") as ws:
        ws.append([Cell(f"ĐỘ BAO PHỦ KHÁM SỨC KHỎE NĂM {year}", title=True)])
        ws.append(
            bold(
                [
                    "Thôn / Tổ dân phố",
                    "Nhóm đối tượng",
                    "Số người",
                    "Đã khám",
                    "Chưa khám",
                    "Đã có lịch",
                    "Chưa có lịch",
                    "Tỷ lệ đã khám (%)",
                ]
            )
        )
        counts = ("total", "examined", "not_examined", "booked", "not_booked", "rate")
        for c in summary["cells"]:
            ws.append([c["hamlet_label"], c["group_label"], *(c[k] for k in counts)])
        ws.append(bold(["Tổng cộng", "", *(t[k] for k in counts)]))

    total = t["not_examined"]
    n = 0
    with wb.sheet("Chưa khám") as ws:
        ws.append([Cell(f"DANH SÁCH CHƯA KHÁM NĂM {year} ({total} người)", title=True)])
        ws.append(
            bold(
                [
                    "STT",
                    "Họ và tên",
                    "Ngày sinh",
                    "Năm sinh",
                    "Giới tính",
                    "Số định danh cá nhân",
                    "Thôn / Tổ dân phố",
                    "Nhóm đối tượng",
                    "Số điện thoại",
                    "Ngày hẹn",
                    "Giờ hẹn",
                ]
            )
        )
        with ctx.read() as s:
            for r in _iter_not_examined(s, year):
                n += 1
                ws.append(
                    [
                        n,
                        r["name"],
                        date.fromisoformat(r["dob"]) if r["dob"] else None,
                        r["birth_year"],
                        sex_label(r["sex"]),
                        r["personal_id"],
                        r["hamlet"] or NO_HAMLET_LABEL,
                        r["group"] or NO_GROUP_LABEL,
                        r["phone"],
                        date.fromisoformat(r["booked_date"]) if r["booked_date"] else None,
                        r["booked_start"],
                    ]
                )
                if progress and n % 5000 == 0:
                    progress(n, total)
    dest = write_private(Path(dest), wb.to_bytes(), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(s, "coverage.export", "person", None, {"file": dest.name, "year": year, "not_examined": n})
    return {"file": str(dest), "year": year, "totals": t, "rows": n}
