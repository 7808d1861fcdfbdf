"""What the station head sets for a year's reports, per target group: the unit price of one exam (VND), which the
annual report multiplies by next year's need for the cost estimate, and the funding source counted for an exam
that names none. Changing them needs the head's report permission and is audited with the old and new values."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.db.models import ReportGroupSetting
from ksk_desktop.errors import InvalidInput
from ksk_desktop.reports import funding
from ksk_desktop.reports.target_groups import GROUPS
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

MAX_UNIT_PRICE = 100_000_000  # VND: far above any exam's price, below what an INTEGER column holds


def check_year(year: object) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise InvalidInput(f"Năm {year!r} không hợp lệ.")
    return year


def read(s: Session, year: int) -> dict[str, dict]:
    """``{group: {"unit_price": int|None, "funding": key, "funding_set": bool}}`` for *year*."""
    rows = {r.grp: r for r in s.scalars(select(ReportGroupSetting).where(ReportGroupSetting.year == year))}
    out = {}
    for g in GROUPS:
        r = rows.get(g)
        out[g] = {
            "unit_price": r.unit_price if r else None,
            "funding": (r.funding if r and r.funding else funding.DEFAULT_BY_GROUP[g]),
            "funding_set": bool(r and r.funding),
        }
    return out


def get(ctx: StationSession, year: int) -> dict[str, dict]:
    ctx.require(Perm.REPORT_READ)
    check_year(year)
    with ctx.read() as s:
        return read(s, year)


def set_group(
    ctx: StationSession,
    year: int,
    group: str,
    *,
    unit_price: int | None = None,
    funding_source: str | None = None,
) -> dict[str, dict]:
    """Set the unit price and/or default funding source of *group* in *year* (None keeps a value). Only the
    station head (the role that signs the reports) may. Returns the year's settings."""
    ctx.require(Perm.REPORT_SUBMIT)
    check_year(year)
    if group not in GROUPS:
        raise InvalidInput(f"Nhóm đối tượng {group!r} không có trong kế hoạch (a, b, c, d, đ).")
    if unit_price is not None and (
        isinstance(unit_price, bool)
        or not isinstance(unit_price, int)
        or not 0 <= unit_price <= MAX_UNIT_PRICE
    ):
        raise InvalidInput(f"Đơn giá phải là số đồng từ 0 đến {MAX_UNIT_PRICE:,}.".replace(",", "."))
    if funding_source is not None and funding_source not in funding.LABELS:
        raise InvalidInput(
            "Nguồn kinh phí phải là một trong: " + ", ".join(f"{k} ({v})" for k, v in funding.SOURCES) + "."
        )
    with ctx.write() as s:
        row = s.get(ReportGroupSetting, (year, group))
        old = {"unit_price": row.unit_price, "funding": row.funding} if row else None
        if row is None:
            row = ReportGroupSetting(
                year=year, grp=group, set_by=ctx.user.username, set_at=ctx.clock.utcnow()
            )
            s.add(row)
        if unit_price is not None:
            row.unit_price = unit_price
        if funding_source is not None:
            row.funding = funding_source
        row.set_by, row.set_at = ctx.user.username, ctx.clock.utcnow()
        s.flush()
        ctx.audit(
            s,
            "report.setting",
            "report_group_setting",
            f"{year}/{group}",
            {"old": old, "new": {"unit_price": row.unit_price, "funding": row.funding}},
        )
        return read(s, year)
