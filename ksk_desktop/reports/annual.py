"""The annual report of the city plan (Phụ lục II: "trước 30/9 hằng năm báo cáo số liệu, lập dự toán cho năm
tiếp theo"): the year's figures per target group so far, next year's need and its cost estimate — the need times
the unit price per group the head sets (``reports.settings``)."""

from __future__ import annotations

from datetime import date

from ksk_desktop.errors import InvalidInput
from ksk_desktop.reports import funding, settings
from ksk_desktop.reports.figures import compute
from ksk_desktop.reports.monthly import FORMAT, definitions, shape, station_facts
from ksk_desktop.reports.target_groups import GROUPS
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession


def build(ctx: StationSession, year: int) -> dict:
    """The annual report of *year*, as on today while the year runs (as on 31/12 after it)."""
    ctx.require(Perm.REPORT_READ)
    settings.check_year(year)
    today = ctx.clock.today()
    if date(year, 1, 1) > today:
        raise InvalidInput(f"Năm {year} chưa đến: chưa có số liệu để báo cáo.")
    as_of = min(date(year, 12, 31), today)
    with ctx.read() as s:
        facts = station_facts(s)
        prices = settings.read(s, year)
        defaults = {g: v["funding"] for g, v in prices.items()}
        fig = compute(
            s,
            station_commune=facts["commune_code"],
            as_of=as_of,
            month_start=date(year, 1, 1),
            need_on=date(year + 1, 12, 31),
            defaults=defaults,
        )
    body = shape(fig)
    missing = [g for g in GROUPS if prices[g]["unit_price"] is None]
    total_cost = 0
    for row in body["groups"]:
        price = prices[row["group"]]["unit_price"]
        row["unit_price"] = price
        row["cost"] = None if price is None else price * row["next_year_need"]
        total_cost += row["cost"] or 0
    body["total"]["cost"] = None if missing else total_cost
    notes = definitions(as_of.strftime("%d/%m/%Y"), year + 1)
    notes.append(
        f"Dự toán kinh phí năm {year + 1} = nhu cầu khám × đơn giá một lượt khám của nhóm, do Trưởng trạm đặt"
        + (f"; chưa đặt đơn giá cho nhóm {', '.join(missing)} nên chưa tính tổng." if missing else ".")
    )
    return {
        "format": FORMAT,
        "kind": "annual",
        "year": year,
        **facts,
        "period_start": date(year, 1, 1).isoformat(),
        "as_of": as_of.isoformat(),
        "partial": as_of < date(year, 12, 31),
        "need_year": year + 1,
        "generated_at": ctx.clock.now().isoformat(timespec="seconds"),
        **body,
        "prices_missing": missing,
        "funding_sources": [{"key": k, "label": v} for k, v in funding.SOURCES],
        "funding_defaults": defaults,
        "definitions": notes,
        "data_version": fig.data_version,
    }
