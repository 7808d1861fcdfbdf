"""The figures behind the Báo cáo page's charts and the coverage report's pictures (issue 14 §3): the year's
coverage (``scheduling.coverage``) with, month by month, how many people were examined for the first time that
year and how many in all by the month's end, against the year's target.

The target is the city plan's (Kế hoạch 2026, Phụ lục II, item 16): 100 % of the people on the station's list
examined before 15/12. "Examined" is the one rule of ``scheduling.examined``, and a person counts in the month of
their first examination of the year, so the last month's running total equals the coverage's examined total.
Qt-free: the page fetches this on the worker, the PDF draws it with reportlab.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import text

from ksk_desktop.scheduling import coverage
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

TARGET_RATE = 100.0  # % of the people managed, before 15/12 (city plan, Phụ lục II item 16)
TARGET_DAY = (12, 15)
MONTH_LABELS = tuple(f"T{m}" for m in range(1, 13))


def _first_examined_sql() -> str:
    """Each person's first examination date of the year bound to ``:y`` (the rule of ``scheduling.examined``)."""
    return (
        "SELECT pid, min(day) AS first FROM ("
        "SELECT a.person_id AS pid, d.exam_date AS day FROM appointment a JOIN campaign c ON c.id = a.campaign_id "
        "JOIN exam_day d ON d.id = a.day_id WHERE a.status = 'examined' AND c.year = :y "
        "UNION ALL SELECT e.person_id, e.exam_date FROM exam_version e WHERE e.status = 'signed' "
        "AND e.exam_date BETWEEN :y || '-01-01' AND :y || '-12-31'"
        ") WHERE pid IN (SELECT id FROM person) GROUP BY pid"
    )


def by_month(ctx: StationSession, year: int, today: date | None = None) -> list[dict[str, Any]]:
    """Twelve months: people first examined in the month, and the running total at its end (``None`` for a month
    still to come)."""
    ctx.require(Perm.REPORT_READ)
    with ctx.read() as s:
        rows = s.execute(text(f"SELECT first FROM ({_first_examined_sql()})"), {"y": year}).scalars().all()
    counts = [0] * 12
    for first in rows:
        day = first if isinstance(first, date) else date.fromisoformat(str(first)[:10])
        month = 1 if day.year < year else 12 if day.year > year else day.month
        counts[month - 1] += 1
    last = 12 if today is None or today.year > year else (0 if today.year < year else today.month)
    out, running = [], 0
    for m in range(1, 13):
        running += counts[m - 1]
        out.append(
            {
                "month": m,
                "label": MONTH_LABELS[m - 1],
                "examined": counts[m - 1],
                "cumulative": running if m <= last or counts[m - 1] else None,
            }
        )
    return out


def chart_data(ctx: StationSession, year: int) -> dict[str, Any]:
    """``coverage.coverage(ctx, year)`` plus ``months`` (:func:`by_month`), ``target`` (people to examine this year)
    and ``target_rate`` — what the page's table and charts and the printed report show."""
    data = coverage.coverage(ctx, year)
    data["months"] = by_month(ctx, year, ctx.clock.today())
    data["target_rate"] = TARGET_RATE
    data["target"] = round(data["totals"]["total"] * TARGET_RATE / 100)
    data["target_day"] = date(year, *TARGET_DAY).isoformat()
    return data
