"""The commune's list of people, filtered and paged in list order (given name first, Vietnamese collation),
so that a 100,000-person list is shown a page at a time and never loaded whole."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from ksk_desktop.errors import InvalidInput
from ksk_desktop.people import search as finder
from ksk_desktop.people.persons import FLAGS, TARGET_GROUPS, sex_label
from ksk_desktop.scheduling.examined import examined_ids_sql
from ksk_desktop.security.roles import Perm
from ksk_desktop.station import audit
from ksk_desktop.station.session import StationSession

SEARCH_CAP = 1000  # a typed query narrows the list to at most this many best matches
EXAM_STATUSES = {"examined": "Đã khám", "scheduled": "Đã hẹn, chưa khám", "not_yet": "Chưa khám, chưa hẹn"}
_EXAMINED = f"p.id IN ({examined_ids_sql(':exam_year')})"
_SCHEDULED = (
    "EXISTS (SELECT 1 FROM appointment a JOIN campaign c ON c.id = a.campaign_id WHERE a.person_id = p.id "
    "AND c.year = :exam_year AND a.status IN ('scheduled', 'notified', 'checked_in', 'in_exam'))"
)


@dataclass
class ListFilter:
    query: str = ""
    groups: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    hamlet: str | None = None
    birth_year: int | None = None
    exam_status: str | None = None  # examined | scheduled | not_yet, in the campaigns of exam_year
    exam_year: int | None = None  # default: this year

    def check(self) -> None:
        if self.groups - set(TARGET_GROUPS):
            raise InvalidInput("Nhóm đối tượng phải là a, b, c, d hoặc đ.")
        if self.exam_status not in (None, *EXAM_STATUSES):
            raise InvalidInput(
                "Tình trạng khám phải là examined (đã khám), scheduled (đã hẹn) hoặc not_yet (chưa khám)."
            )
        if self.flags - set(FLAGS):
            raise InvalidInput(f"Diện ưu tiên không hợp lệ: {', '.join(sorted(self.flags - set(FLAGS)))}.")


def _where(flt: ListFilter, s: Session, today: date) -> tuple[str, dict, list[str] | None]:
    """SQL conditions and parameters; with a query, also the ranked ids it matched (their order is kept).
    *today* (the session clock's) gives the default exam year."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if flt.groups:
        names = [f":g{i}" for i in range(len(flt.groups))]
        clauses.append(f"p.target_group IN ({', '.join(names)})")
        params.update({f"g{i}": g for i, g in enumerate(sorted(flt.groups))})
    for i, flag in enumerate(sorted(flt.flags)):
        clauses.append(f"EXISTS (SELECT 1 FROM person_flag f WHERE f.person_id = p.id AND f.flag = :f{i})")
        params[f"f{i}"] = flag
    if flt.hamlet:
        clauses.append("p.hamlet = :hamlet")
        params["hamlet"] = flt.hamlet
    if flt.birth_year is not None:
        clauses.append("p.birth_year = :year")
        params["year"] = flt.birth_year
    if flt.exam_status is not None:
        params["exam_year"] = flt.exam_year or today.year
        clauses.append(
            {
                "examined": _EXAMINED,
                "scheduled": f"NOT {_EXAMINED} AND {_SCHEDULED}",
                "not_yet": f"NOT {_EXAMINED} AND NOT {_SCHEDULED}",
            }[flt.exam_status]
        )
    ranked = None
    if flt.query.strip():
        ranked = finder.search_ids(s, flt.query, SEARCH_CAP, today=today)
        clauses.append("p.id IN (SELECT value FROM json_each(:ranked))")
        params["ranked"] = json.dumps(ranked)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params, ranked


def count(ctx: StationSession, flt: ListFilter) -> int:
    ctx.require(Perm.PERSON_READ)
    flt.check()
    with ctx.read() as s:
        where, params, _ranked = _where(flt, s, ctx.clock.today())
        return s.execute(text(f"SELECT count(*) FROM person p{where}"), params).scalar_one()


def page(ctx: StationSession, flt: ListFilter, offset: int, limit: int, *, record: bool = True) -> list[dict]:
    """Rows *offset* … *offset + limit* of the filtered list (search matches keep their ranking). A page that
    holds anyone is a read of personal data: audited (``person.list``: filter, offset, rows) unless *record* is
    off for a caller that audits the whole read itself (the export)."""
    rows = _page(ctx, flt, offset, limit)
    if record and rows:
        with ctx.write() as s:
            ctx.audit(
                s,
                "person.list",
                "person",
                None,
                {"filter": filter_details(ctx, flt), "offset": offset, "limit": limit, "rows": len(rows)},
            )
    return rows


def _page(ctx: StationSession, flt: ListFilter, offset: int, limit: int) -> list[dict]:
    ctx.require(Perm.PERSON_READ)
    flt.check()
    with ctx.read() as s:
        where, params, ranked = _where(flt, s, ctx.clock.today())
        if ranked is not None:
            allowed = set(s.execute(text(f"SELECT p.id FROM person p{where}"), params).scalars())
            ids = [pid for pid in ranked if pid in allowed][offset : offset + limit]
        else:
            ids = list(
                s.execute(
                    text(f"SELECT p.id FROM person p{where} ORDER BY p.sort_key LIMIT :lim OFFSET :off"),
                    {**params, "lim": limit, "off": offset},
                ).scalars()
            )
        return finder.load_rows(s, ids)


def hamlets(ctx: StationSession) -> list[tuple[str, int]]:
    """The hamlets on the list with how many people each, in Vietnamese order."""
    from ksk_desktop.text import collation_key

    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        rows = s.execute(
            text("SELECT hamlet, count(*) FROM person WHERE hamlet IS NOT NULL GROUP BY hamlet")
        ).all()
    return sorted(((h, n) for h, n in rows), key=lambda r: collation_key(r[0]))


EXPORT_COLUMNS = (
    ("Họ và tên", "name"),
    ("Ngày sinh", "dob"),
    ("Năm sinh", "birth_year"),
    ("Giới tính", "sex"),
    ("Số định danh cá nhân", "personal_id"),
    ("Số CMND", "old_id"),
    ("Thôn / Tổ dân phố", "hamlet"),
    ("Số điện thoại", "phone"),
    ("Số thẻ BHYT", "insurance_no"),
    ("Nhóm đối tượng", "groups"),
    ("Diện ưu tiên", "flags"),
)
FLAG_LABELS = {
    "elderly": "Người cao tuổi",
    "merit": "Người có công",
    "poor": "Hộ nghèo",
    "near_poor": "Hộ cận nghèo",
    "disabled": "Người khuyết tật",
    "chronic": "Bệnh mạn tính",
    "remote_area": "Vùng khó khăn / hải đảo",
}


def filter_details(ctx: StationSession, flt: ListFilter) -> dict:
    """The filter as the audit trail keeps it: the choices as made, the typed query only as a fingerprint (it
    may be a name, a personal ID or a phone: ``audit.typed_query``)."""
    return {
        "query": audit.typed_query(ctx, flt.query),
        "groups": sorted(flt.groups),
        "flags": sorted(flt.flags),
        "hamlet": flt.hamlet,
        "birth_year": flt.birth_year,
        "exam_status": flt.exam_status,
        "exam_year": flt.exam_year,
    }


def export_xlsx(ctx: StationSession, flt: ListFilter, dest: Path, progress=None) -> int:  # noqa: ANN001
    """Write the filtered list to an .xlsx (what is on screen, all pages), built in memory and written private
    (0600); the export is audited with its filter and row count. Returns the number of people."""
    from ksk_desktop.fsio import write_private
    from ksk_desktop.xlsx.writer import Cell, Workbook

    ctx.require(Perm.PERSON_READ)
    total = count(ctx, flt)
    wb = Workbook()
    n = 0
    with wb.sheet("Danh sách") as ws:
        ws.append([Cell(f"DANH SÁCH NGƯỜI DÂN ({total} người)", title=True)])
        ws.append([Cell(label, bold=True) for label, _key in (("STT", None), *EXPORT_COLUMNS)])
        for offset in range(0, total, 2000):
            for row in page(ctx, flt, offset, 2000, record=False):  # the export is audited as one event below
                n += 1
                values: list[Any] = [n]
                for _label, key in EXPORT_COLUMNS:
                    v: Any = row.get(key)
                    if key == "dob" and v:
                        v = date.fromisoformat(v)
                    elif key == "sex":
                        v = sex_label(v)
                    elif key == "groups":
                        v = ", ".join(v)
                    elif key == "flags":
                        v = ", ".join(FLAG_LABELS.get(f, f) for f in v)
                    values.append(v)
                ws.append(values)
            if progress:
                progress(n, total)
    dest = write_private(Path(dest), wb.to_bytes(), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(
            s,
            "person.export",
            "person",
            None,
            {"file": dest.name, "count": n, "filter": filter_details(ctx, flt)},
        )
    return n
