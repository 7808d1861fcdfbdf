"""The figures every report of the city plan is made of, computed from the people list and the signed exams.

One pass over the list and one over the year's signed exams (about 100,000 and 40,000 rows on a large ward):

- **managed** — on the station's list on the reference day (recorded by then) and resident: the person's commune is
  the station's (or not recorded, for people registered here). People with another commune (moved away, handed
  over) are counted apart (``not_resident``), never silently dropped;
- the person's **group** on the reference day by the plan's precedence (``reports.target_groups``);
- **examined in the month** / **examined this year** — distinct managed people with a signed exam (any version)
  dated in the month / from 1 January to the reference day;
- the **funding source** of each examined person: their latest signed exam of the period names it, else the
  head's default for the group (``reports.funding``);
- **next year's need** — everyone managed on the reference day, in the group they will be in on 31 December of
  next year (age counted that day): each resident is due one exam a year (Chỉ thị 17/CT-TTg, the plan's aim of
  100 %). This definition is the software's, stated in the footnotes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from ksk_desktop.clock import VIETNAM
from ksk_desktop.reports import funding
from ksk_desktop.reports.target_groups import (
    ELDERLY_AGE,
    GROUPS,
    PRIORITY,
    classify,
    island_commune,
    priority_of,
)


def _elderly_on(year: str, month_day: str) -> str:
    """SQL: whether the person is 60 or older on the day of *year* and *month_day* (``MM-DD``) bound there."""
    return (
        f"(CASE WHEN p.birth_date IS NOT NULL THEN {year} - CAST(substr(p.birth_date, 1, 4) AS INTEGER) "
        f"- (substr(p.birth_date, 6, 5) > {month_day}) WHEN p.birth_year IS NOT NULL THEN {year} - p.birth_year "
        f"END) >= {ELDERLY_AGE}"
    )


#: Each person on the list by the cut-off with the facts their groups depend on: recorded group, commune, 60 or
#: older on the reference day and on next year's, and their flags.
_PEOPLE = (
    f"SELECT p.id, p.target_group, p.commune_code, coalesce({_elderly_on(':y', ':md')}, 0), "
    f"coalesce({_elderly_on(':ny', ':nmd')}, 0), "
    "(SELECT group_concat(f.flag) FROM person_flag f WHERE f.person_id = p.id) "
    "FROM person p WHERE p.created_at < :cutoff"
)
#: Answered from the index ``ix_exam_version_report`` alone (migration 0012), the exam documents unread.
PAYER = "json_extract(document, '$.values.\"admin.payer\"')"
_EXAMS = (
    f"SELECT person_id, exam_date, version, exam_id, {PAYER} FROM exam_version "
    "WHERE status = 'signed' AND exam_date BETWEEN :start AND :end"
)


def rate(done: int, total: int) -> float:
    """Examined ÷ managed, in per cent with one decimal (0.0 for nobody managed)."""
    return round(100 * done / total, 1) if total else 0.0


@dataclass
class Counts:
    managed: int = 0
    examined_month: int = 0
    examined_ytd: int = 0
    next_year_need: int = 0
    funding_month: dict[str, int] = field(default_factory=funding.empty)
    funding_ytd: dict[str, int] = field(default_factory=funding.empty)

    def as_json(self, *, with_need: bool = True, with_funding: bool = True) -> dict:
        out: dict = {
            "managed": self.managed,
            "examined_month": self.examined_month,
            "examined_ytd": self.examined_ytd,
            "rate": rate(self.examined_ytd, self.managed),
        }
        if with_need:
            out["next_year_need"] = self.next_year_need
        if with_funding:
            out["funding_month"] = dict(self.funding_month)
            out["funding_ytd"] = dict(self.funding_ytd)
        return out


@dataclass
class Figures:
    groups: dict[str, Counts]
    total: Counts
    priority: dict[str, Counts]
    not_resident: int
    no_recorded_group: int
    reclassified: int
    data_version: dict


_NONE = object()  # no exam in the period (a payer may be None: an exam that names none)


def _cutoff(as_of: date) -> datetime:
    """Naive UTC of midnight after *as_of* in Vietnam."""
    return datetime.combine(as_of + timedelta(days=1), time(0), VIETNAM).astimezone(UTC).replace(tzinfo=None)


def compute(
    s: Session,
    *,
    station_commune: str,
    as_of: date,
    month_start: date,
    need_on: date,
    defaults: dict[str, str],
) -> Figures:
    """The figures on day *as_of* (the month's or the year's end, or today for a period not over yet):
    "examined in the month" counts exams from *month_start*; the need groups people as on *need_on*;
    *defaults* maps a group to the funding source of an exam that names none."""
    year_start = date(as_of.year, 1, 1)
    raw = s.connection().connection  # the driver's own cursor: 140,000 rows without an ORM row each
    exams = raw.execute(_EXAMS, {"start": year_start.isoformat(), "end": as_of.isoformat()}).fetchall()
    exams.sort(key=lambda r: (r[3], r[2]))
    h = hashlib.sha256(repr(exams).encode())
    latest: dict[str, list] = {}  # person → [latest exam this year, latest exam this month]
    month_iso = month_start.isoformat()
    for pid, day, version, exam_id, payer in exams:
        day = str(day)
        key = (day, version, exam_id, payer)
        got = latest.setdefault(pid, [None, None])
        if got[0] is None or key > got[0]:
            got[0] = key
        if day >= month_iso and (got[1] is None or key > got[1]):
            got[1] = key
    seen = {pid: (y[3] if y else _NONE, m[3] if m else _NONE) for pid, (y, m) in latest.items()}
    params = {
        "cutoff": _cutoff(as_of).isoformat(sep=" "),
        "y": as_of.year,
        "md": as_of.strftime("%m-%d"),
        "ny": need_on.year,
        "nmd": need_on.strftime("%m-%d"),
    }
    people = raw.execute(_PEOPLE, params).fetchall()
    people.sort()
    h.update(repr(people).encode())
    # Count people by the facts their figures depend on (a few hundred combinations on a ward), then work
    # each combination out once.
    tally: Counter = Counter()
    not_seen = (_NONE, _NONE)
    for pid, stored, commune, old, old_need, flags in people:
        tally[(stored, commune, old, old_need, flags, seen.get(pid, not_seen))] += 1

    groups = {g: Counts() for g in GROUPS}
    total = Counts()
    priority = {k: Counts() for k, _ in PRIORITY}
    not_resident = no_group = reclassified = 0
    for (stored, commune, old, old_need, flags, (payer_ytd, payer_month)), n in tally.items():
        if commune is not None and commune != station_commune:
            not_resident += n
            continue
        split = flags.split(",") if flags else []
        island = island_commune(commune)
        prio = priority_of(split, ELDERLY_AGE if old else None, island)
        group = classify(stored, prio)
        need_group = classify(stored, priority_of(split, ELDERLY_AGE if old_need else None, island))
        if stored is None:
            no_group += n
        elif stored != group:
            reclassified += n
        groups[need_group].next_year_need += n
        total.next_year_need += n
        src_ytd = None if payer_ytd is _NONE else (funding.parse(payer_ytd) or defaults[group])
        src_month = None if payer_month is _NONE else (funding.parse(payer_month) or defaults[group])
        buckets = [groups[group], total]
        if group == "a":
            buckets += [priority[k] for k in prio]
        for c in buckets:
            c.managed += n
            if src_ytd is not None:
                c.examined_ytd += n
                c.funding_ytd[src_ytd] += n
            if src_month is not None:
                c.examined_month += n
                c.funding_month[src_month] += n
    return Figures(
        groups=groups,
        total=total,
        priority=priority,
        not_resident=not_resident,
        no_recorded_group=no_group,
        reclassified=reclassified,
        data_version={
            "people": len(people),
            "signed_exam_versions": len(exams),
            "digest": h.hexdigest(),
        },
    )
