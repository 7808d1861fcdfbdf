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

_PEOPLE = (
    "SELECT p.id, p.target_group, p.birth_date, p.birth_year, p.commune_code FROM person p "
    "WHERE p.created_at < :cutoff"
)
_FLAGS = "SELECT f.person_id, group_concat(f.flag) FROM person_flag f GROUP BY f.person_id"
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
    flags = {pid: ",".join(sorted(f.split(","))) for pid, f in raw.execute(_FLAGS).fetchall()}
    exams = raw.execute(_EXAMS, {"start": year_start.isoformat(), "end": as_of.isoformat()}).fetchall()
    exams.sort(key=lambda r: (r[3], r[2]))
    h = hashlib.sha256(repr(exams).encode())
    latest_ytd: dict[str, tuple] = {}
    latest_month: dict[str, tuple] = {}
    month_iso = month_start.isoformat()
    for pid, day, version, exam_id, payer in exams:
        day = str(day)
        key = (day, version, exam_id, payer)
        if pid not in latest_ytd or key > latest_ytd[pid]:
            latest_ytd[pid] = key
        if day >= month_iso and (pid not in latest_month or key > latest_month[pid]):
            latest_month[pid] = key
    people = raw.execute(_PEOPLE, {"cutoff": _cutoff(as_of).isoformat(sep=" ")}).fetchall()
    people.sort()
    h.update(repr(people).encode())
    h.update(repr(sorted(flags.items())).encode())

    groups = {g: Counts() for g in GROUPS}
    total = Counts()
    priority = {k: Counts() for k, _ in PRIORITY}
    not_resident = no_group = reclassified = 0
    # A person's groups depend only on these facts: worked out once per combination (a few hundred of them).
    cache: dict[tuple, tuple[str, frozenset[str], str]] = {}
    as_md, need_md = as_of.strftime("%m-%d"), need_on.strftime("%m-%d")
    for pid, stored, birth_date, birth_year, commune in people:
        if commune is not None and commune != station_commune:
            not_resident += 1
            continue
        age: int | None
        age_need: int | None
        if birth_date:
            born = int(str(birth_date)[:4])
            md = str(birth_date)[5:10]
            age, age_need = as_of.year - born - (md > as_md), need_on.year - born - (md > need_md)
        elif birth_year:
            age, age_need = as_of.year - birth_year, need_on.year - birth_year
        else:
            age = age_need = None
        old = age is not None and age >= ELDERLY_AGE
        old_need = age_need is not None and age_need >= ELDERLY_AGE
        f = flags.get(pid, "")
        facts = (stored, f, old, old_need, commune)
        known = cache.get(facts)
        if known is None:
            split = f.split(",") if f else []
            island = island_commune(commune)
            prio = priority_of(split, ELDERLY_AGE if old else None, island)
            need = classify(stored, priority_of(split, ELDERLY_AGE if old_need else None, island))
            known = cache[facts] = (classify(stored, prio), prio, need)
        group, prio, need_group = known
        if stored is None:
            no_group += 1
        elif stored != group:
            reclassified += 1
        groups[need_group].next_year_need += 1
        total.next_year_need += 1
        ytd = latest_ytd.get(pid)
        month = latest_month.get(pid)
        src_ytd = (funding.parse(ytd[3]) or defaults[group]) if ytd is not None else None
        src_month = (funding.parse(month[3]) or defaults[group]) if month is not None else None
        buckets = [groups[group], total]
        if group == "a":
            buckets += [priority[k] for k in prio]
        for c in buckets:
            c.managed += 1
            if src_ytd is not None:
                c.examined_ytd += 1
                c.funding_ytd[src_ytd] += 1
            if src_month is not None:
                c.examined_month += 1
                c.funding_month[src_month] += 1
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
