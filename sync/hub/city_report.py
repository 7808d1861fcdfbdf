"""The city's monthly view at the hub: the latest submitted version of every registered station's monthly report,
added up per target group and for the city, each commune's rates, the lowest coverage first, the plan's Phụ lục
I figures beside the city's, and the stations that had not submitted by the 15th of the following month (the
deadline of the plan's Phụ lục II)."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.clock import VIETNAM
from ksk_desktop.errors import InvalidInput
from sync.hub import reports, stations
from sync.hub.reports import COUNTS, GROUPS, HubReport

DEADLINE_DAY = 15
PRIORITY_KEYS = ("elderly", "disabled", "poor_near_poor", "merit", "chronic", "remote_island")


@cache
def targets() -> dict:
    """Phụ lục I of the city plan (``resources/catalogs/city-plan-2026-targets.json``)."""
    from ksk_desktop.resources import read_text

    return json.loads(read_text("catalogs", "city-plan-2026-targets.json"))


def parse_month(month: str) -> tuple[int, int]:
    text = str(month).strip()
    if (
        len(text) != 7
        or text[4] != "-"
        or not (text[:4] + text[5:]).isdigit()
        or not 1 <= int(text[5:]) <= 12
    ):
        raise InvalidInput(f"Tháng {month!r} không hợp lệ: nhập theo dạng NNNN-TT, ví dụ 2026-11.")
    return int(text[:4]), int(text[5:])


def deadline_of(year: int, month: int) -> date:
    """The 15th of the month after (year, month)."""
    nxt = date(year, month, calendar.monthrange(year, month)[1]) + timedelta(days=1)
    return date(nxt.year, nxt.month, DEADLINE_DAY)


def _utc(day: date) -> datetime:
    """Naive UTC of midnight after *day* in Vietnam (the hub stores naive UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), VIETNAM).astimezone(UTC).replace(tzinfo=None)


def rate(done: int, total: int) -> float:
    return round(100 * done / total, 1) if total else 0.0


def _zero() -> dict:
    return dict.fromkeys(COUNTS, 0)


def _with_rate(row: dict) -> dict:
    return {**row, "rate": rate(row["examined_ytd"], row["managed"])}


def monthly(s: Session, month: str, now: datetime) -> dict:
    """The city report of ``YYYY-MM`` as the hub knows it at *now* (naive UTC)."""
    year, mo = parse_month(month)
    period = f"{year:04d}-{mo:02d}"
    deadline = deadline_of(year, mo)
    cutoff = _utc(deadline)
    latest_version = (
        select(
            HubReport.station_code,
            func.max(HubReport.version).label("v"),
            func.min(HubReport.received_at).label("first"),
        )
        .where(HubReport.kind == "monthly", HubReport.period == period)
        .group_by(HubReport.station_code)
        .subquery()
    )
    rows = s.execute(
        select(HubReport, latest_version.c.first)
        .join(
            latest_version,
            (HubReport.station_code == latest_version.c.station_code)
            & (HubReport.version == latest_version.c.v),
        )
        .where(HubReport.kind == "monthly", HubReport.period == period)
    ).all()
    got = {r.station_code: (r, first) for r, first in rows}
    city = {g: _zero() for g in GROUPS}
    total = _zero()
    prio = {k: {"managed": 0, "examined_month": 0, "examined_ytd": 0} for k in PRIORITY_KEYS}
    out_stations = []
    for st in stations.listing(s):
        code = st["station_code"]
        entry: dict = {
            "station_code": code,
            "name": st.get("name"),
            "commune_codes": st["commune_codes"],
            "commune_name": _commune_name(st["commune_codes"][0] if st["commune_codes"] else None),
        }
        found = got.get(code)
        if found is None:
            entry.update(submitted=False, on_time=False, flagged=now >= cutoff, version=None)
            out_stations.append(entry)
            continue
        report, first = found
        figures = json.loads(report.figures)
        groups = {g["group"]: {k: g[k] for k in COUNTS} for g in figures["groups"]}
        for g in GROUPS:
            for k in COUNTS:
                city[g][k] += groups[g][k]
                total[k] += groups[g][k]
        for p in figures.get("priority") or []:
            if p.get("key") in prio:
                for k in prio[p["key"]]:
                    prio[p["key"]][k] += int(p.get(k) or 0)
        entry.update(
            submitted=True,
            on_time=first < cutoff,
            flagged=first >= cutoff,
            version=report.version,
            reason=report.reason,
            signer_name=report.signer_name,
            signed_at=report.signed_at,
            **reports.signature_of(s, report),  # signed_by, signer_key_id, signature_verified
            received_at=report.received_at.isoformat() + "Z",
            first_received_at=first.isoformat() + "Z",
            groups=[{"group": g, **_with_rate(groups[g])} for g in GROUPS],
            total=_with_rate({k: sum(groups[g][k] for g in GROUPS) for k in COUNTS}),
        )
        out_stations.append(entry)
    submitted = [e for e in out_stations if e["submitted"]]
    plan = targets()
    return {
        "month": period,
        "deadline": deadline.isoformat(),
        "generated_at": now.isoformat(timespec="seconds") + "Z",
        "stations_registered": len(out_stations),
        "stations_submitted": len(submitted),
        "not_submitted_by_deadline": [e["station_code"] for e in out_stations if e["flagged"]],
        "groups": [
            {
                "group": g,
                **_with_rate(city[g]),
                "plan_target": plan["groups"][g]["total"],
                "plan_parts": plan["groups"][g]["parts"],
            }
            for g in GROUPS
        ],
        "total": {**_with_rate(total), "plan_population": plan["population"]},
        "priority": [
            {
                "key": k,
                **prio[k],
                "rate": rate(prio[k]["examined_ytd"], prio[k]["managed"]),
                "plan_target": plan["priority"].get(k),
            }
            for k in PRIORITY_KEYS
        ],
        "lowest": [
            {
                "station_code": e["station_code"],
                "commune_name": e["commune_name"],
                "rate": e["total"]["rate"],
                "managed": e["total"]["managed"],
                "examined_ytd": e["total"]["examined_ytd"],
            }
            for e in sorted(submitted, key=lambda e: (e["total"]["rate"], e["station_code"]))
        ],
        "stations": out_stations,
        "plan_source": plan["_source"],
    }


def _commune_name(code: str | None) -> str | None:
    commune = commune_by_code(code) if code else None
    return commune.name if commune else None
