"""The planner: spread a population over the exam days and slots of a date range, never over capacity.

Who: people of the campaign's target groups (or a narrower choice of groups, priority flags and hamlets), by
default only those not examined this year, and never someone who already has an appointment in the campaign
that the planner may not move.

Where and when, deterministically:

* the elderly (flag, or 60+ this year), people with disabilities and people with merit are placed first, in morning
  slots (filled from the first slot on), so they keep their place when there is not room for everyone; then
  everyone else, afternoons first, then the morning from its last slot backwards;
* within each of those, people are taken hamlet by hamlet (Vietnamese order), then in list order, and each day
  takes a share in proportion to its free places: the campaign is spread over its days rather than piled onto
  the first ones, and a hamlet's people come on the same or neighbouring days, so its head can call them
  together (a second pass without shares places anyone the shares left out);
* pupils (group b, 6–17 this year) go to days at school sites, and only they do (ages count by birth year in
  the campaign year, as schools enrol: the same on every day, whatever range is planned);
* a slot never takes more people than its capacity (places already taken count).

Re-planning: the planner may move only appointments that are still ``scheduled``, not locked, on an open
(unlocked, not past) day of the range, of people in the chosen population. By default it leaves them where they
are while they keep the rules (priority people in the morning, pupils at school), places whoever has no
appointment yet in the places left, and moves only those that break a rule — so planning again after adding
days or people changes nobody's time needlessly, and planning twice changes nothing. With ``rebalance`` it
releases all of them and spreads everyone again (same inputs, same placement). Locked and notified, checked-in
(…) appointments and locked days never move. A released appointment whose person no longer fits is cancelled,
and said so. A person whose last appointment was a no-show gets a new one pointing back to it.

Speed: set-based reads, placement in memory (``scheduling.placement``), and driver-level ``executemany`` writes
(``scheduling.plan_write``) — 40,000 people in a few seconds on a 100,000-person station. The answer's shapes
are in ``scheduling.plan_result``.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ksk_desktop.dates import show_date
from ksk_desktop.db.engine import driver
from ksk_desktop.db.models import Campaign
from ksk_desktop.errors import InvalidInput, NotFound, Remedy
from ksk_desktop.ids import new_ids
from ksk_desktop.people.persons import FLAGS, TARGET_GROUPS
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.campaigns import parse_groups
from ksk_desktop.scheduling.days import MORNING_ENDS
from ksk_desktop.scheduling.examined import examined_ids_sql
from ksk_desktop.scheduling.placement import (
    Candidate,
    DayRoom,
    SlotRoom,
    assign,
    copy_days,
    fill,
    place,
    streams,
    unplaced_all,
)
from ksk_desktop.scheduling.plan_result import Placement, PlanResult, Unplaced
from ksk_desktop.scheduling.plan_write import write_plan
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import collation_key

PRIORITY_FLAGS = ("elderly", "disabled", "merit")
ELDERLY_AGE = 60
PUPIL_AGES = (6, 17)


@dataclass
class Population:
    """Who to plan (like the people list's filter): groups (empty: the campaign's), all of the given priority
    flags, any of the given hamlets, and by default only people not examined this year."""

    groups: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    hamlets: set[str] = field(default_factory=set)
    not_examined_this_year: bool = True

    def check(self) -> None:
        if set(self.groups) - set(TARGET_GROUPS):
            raise InvalidInput("Nhóm đối tượng phải là a, b, c, d hoặc đ.")
        if set(self.flags) - set(FLAGS):
            raise InvalidInput(
                f"Diện ưu tiên không hợp lệ: {', '.join(sorted(set(self.flags) - set(FLAGS)))}."
            )

    def to_json(self) -> dict:
        return {
            "groups": sorted(self.groups, key=TARGET_GROUPS.index),
            "flags": sorted(self.flags),
            "hamlets": sorted(self.hamlets),
            "not_examined_this_year": self.not_examined_this_year,
        }


def age_in(year: int, birth_year: int | None) -> int | None:
    """Age in *year* counted by birth year, as schools enrol (grade 1 the year a child turns 6) and as the
    campaign's lists are drawn up: the same for every day of the campaign, whatever the range planned."""
    return year - birth_year if birth_year else None


def _in(name: str, values: list, params: dict) -> str:
    marks = []
    for i, v in enumerate(values):
        params[f"{name}{i}"] = v
        marks.append(f":{name}{i}")
    return ", ".join(marks)


# -- the plan -----------------------------------------------------------------------------------------------------
def plan(
    ctx: StationSession,
    campaign_id: str,
    date_from: date,
    date_to: date,
    *,
    site_id: str | None = None,
    population: Population | None = None,
    dry_run: bool = False,
    rebalance: bool = False,
    today: date | None = None,
) -> PlanResult:
    """Plan (or with ``dry_run`` only preview) the campaign's appointments over the open exam days from
    *date_from* to *date_to* (optionally at one site). The result lists who was placed where and who did not
    fit, with the reason. ``rebalance`` also spreads again the appointments the planner may move. A commit is
    one transaction: appointments, their outbox items and one audit event."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    population = population or Population()
    population.check()
    if date_to < date_from:
        raise InvalidInput(f"Ngày kết thúc {show_date(date_to)} trước ngày bắt đầu {show_date(date_from)}.")
    today = today or ctx.clock.today()
    started = time.perf_counter()
    if dry_run:
        with ctx.read() as s:
            result, _work = _compute(
                s, campaign_id, date_from, date_to, site_id, population, today, rebalance
            )
    else:
        with ctx.write() as s:
            result, work = _compute(s, campaign_id, date_from, date_to, site_id, population, today, rebalance)
            write_plan(ctx, s, result, work)
    result.dry_run = dry_run
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _raw(s: Session, sql: str, params: dict | None = None) -> list[tuple]:
    """Plain tuples straight from the driver: 100,000 rows without per-row SQLAlchemy work."""
    return driver(s.connection().connection).execute(sql, params or {}).fetchall()


def _compute(
    s: Session,
    campaign_id: str,
    date_from: date,
    date_to: date,
    site_id: str | None,
    population: Population,
    today: date,
    rebalance: bool,
) -> tuple[PlanResult, dict]:
    campaign = s.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"Không tìm thấy đợt khám {campaign_id}.")
    campaign_groups = parse_groups(json.loads(campaign.target_groups))
    groups = parse_groups(sorted(population.groups)) if population.groups else campaign_groups
    outside = [g for g in groups if g not in campaign_groups]
    if outside:
        raise InvalidInput(f"Đợt khám {campaign.name} không có nhóm {', '.join(outside)}.")

    day_rows = _open_days(s, date_from, date_to, site_id, today)
    open_days = {d.id: d.kind for d in day_rows}

    # People of the population (one pass over the person table).
    params: dict = {}
    where = []
    if len(groups) < len(TARGET_GROUPS) or population.groups:
        where.append(f"p.target_group IN ({_in('g', groups, params)})")
    # else: a campaign for every group is for everyone, people with no group yet included
    for i, flag in enumerate(sorted(population.flags)):
        where.append(f"EXISTS (SELECT 1 FROM person_flag f WHERE f.person_id = p.id AND f.flag = :f{i})")
        params[f"f{i}"] = flag
    if population.hamlets:
        where.append(f"p.hamlet IN ({_in('h', sorted(population.hamlets), params)})")
    rows = _raw(
        s,
        "SELECT p.id, p.full_name, p.hamlet, p.target_group, p.birth_year "
        "FROM person p" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY p.sort_key",
        params,
    )
    examined: set = set()
    if population.not_examined_this_year:
        examined = {r[0] for r in _raw(s, examined_ids_sql(), {"y": campaign.year})}
    priority_ids = {
        r[0]
        for r in _raw(
            s, f"SELECT DISTINCT person_id FROM person_flag WHERE flag IN ({st.sql_list(PRIORITY_FLAGS)})"
        )
    }

    # The campaign's appointments: the planner may move only scheduled, unlocked ones on an open day of the range;
    # anyone with another active appointment stays out of this plan.
    active: dict[str, tuple] = {}
    no_shows: dict[str, tuple] = {}
    for a in _raw(
        s,
        "SELECT a.id, a.person_id, a.status, a.locked, a.day_id, a.slot_id, a.version, d.exam_date "
        "FROM appointment a JOIN exam_day d ON d.id = a.day_id "
        f"WHERE a.campaign_id = :c AND a.status IN ({st.sql_list((*st.ACTIVE, st.NO_SHOW))})",
        {"c": campaign_id},
    ):
        if a[2] == st.NO_SHOW:
            if a[1] not in no_shows or no_shows[a[1]][2] < a[7]:
                no_shows[a[1]] = (a[0], a[6], a[7])
        else:
            active[a[1]] = a
    day_params: dict = {}
    slot_starts = (
        dict(
            _raw(
                s,
                f"SELECT id, start_time FROM slot WHERE day_id IN ({_in('d', list(open_days), day_params)})",
                day_params,
            )
        )
        if active
        else {}
    )

    people: list[Candidate] = []
    already = n_examined = 0
    low, high = PUPIL_AGES
    campaign_year = campaign.year
    for pid, name, hamlet, group, year in rows:
        if pid in examined:
            n_examined += 1
            continue
        held = active.get(pid)
        if held is not None and not (held[2] == st.SCHEDULED and not held[3] and held[4] in open_days):
            already += 1
            continue
        age = campaign_year - year if year else None
        pupil = group == "b" and age is not None and low <= age <= high
        prio = pid in priority_ids or (age is not None and age >= ELDERLY_AGE)
        movable, keep = None, False
        if held is not None:
            movable = (held[0], held[6], held[5])
            # Without rebalancing, an appointment that still keeps the rules stays where it is.
            fits = (slot_starts.get(held[5], "") < MORNING_ENDS or not prio) and (
                open_days[held[4]] == "school"
            ) == pupil
            keep = fits and not rebalance
        ns = no_shows.get(pid) if held is None else None
        people.append(Candidate(pid, name, hamlet, group, prio, pupil, movable, ns[:2] if ns else None, keep))
    ranks: dict[str | None, int] = {
        h: i for i, h in enumerate(sorted({p.hamlet for p in people if p.hamlet}, key=collation_key))
    }
    last = len(ranks)
    people.sort(key=lambda p: ranks.get(p.hamlet, last))  # stable: list order within a hamlet

    # Free places: what is booked now, less the appointments released (rebalancing) for placing again.
    days = _load_slots(s, day_rows, Counter(p.movable[2] for p in people if p.movable and rebalance))
    placed: dict[str, tuple[DayRoom, SlotRoom]] = {}
    unplaced: list[Unplaced] = []
    if rebalance:
        # Who gets a place is decided first, those who had one before newcomers (nobody who has a time loses it
        # to someone new); then they are all spread afresh in the usual order, so rebalancing twice changes
        # nothing.
        # When the mornings cannot take every priority person, those who already had a morning keep theirs: a
        # person newly recorded as a priority does not push another out into the afternoon.
        had_morning = {
            p.id
            for p in people
            if p.priority and p.movable and slot_starts.get(p.movable[2], "") < MORNING_ENDS
        }
        final = copy_days(days)
        # (Only the choice puts them first; the spreading below keeps the usual order, so that it is stable.)
        assign(days, sorted(people, key=lambda p: p.id not in had_morning), placed, unplaced, rebalance=True)
        chosen = set(placed)
        placed = {}
        for stream, stream_days in streams(final):
            left = place(
                stream_days,
                [p for p in people if p.pupil == stream and p.id in chosen and not p.any_slot],
                placed,
            )
            # those who took any place in the first round take one again (so do any left: it cannot happen)
            left += [p for p in people if p.pupil == stream and p.id in chosen and p.any_slot]
            left = fill(stream_days, left, placed, morning=False) if left else left
            unplaced += unplaced_all(left, stream, stream_days)
        days = final
    else:
        assign(days, people, placed, unplaced, rebalance=False)
    where_is = {x.id: (d, x) for d in days for x in d.slots}

    placements = []
    fresh = iter(new_ids(len(placed)))  # ascending UUIDv7, made in one call for a 40,000-person plan
    for p in people:
        if p.keep:
            day, slot = where_is[p.held[2]]
        elif p.id in placed:
            day, slot = placed[p.id]
        else:
            continue
        if p.movable:
            action = "unchanged" if p.movable[2] == slot.id else "moved"
            appt_id = p.movable[0]
        else:
            action, appt_id = "new", next(fresh)
        placements.append(
            Placement(
                appt_id,
                p.id,
                day.id,
                slot.id,
                day.date,
                slot.start,
                slot.end,
                day.site_id,
                action,
                p.priority,
                p.pupil,
            )
        )
    by_id = {p.id: p for p in people}
    for u in unplaced:
        m = by_id[u.person_id].movable
        if m:
            u.cancelled_appointment_id = m[0]
            u.reason += " Lịch hẹn cũ đã được hủy."
    summary = [
        {
            "day_id": d.id,
            "date": d.date,
            "site_id": d.site_id,
            "site_name": d.site_name,
            "kind": d.kind,
            "capacity": d.capacity,
            "booked_before": d.booked_before,
            "placed": d.placed,
            "free_after": d.room,
        }
        for d in days
    ]
    result = PlanResult(
        campaign_id,
        date_from,
        date_to,
        site_id,
        False,
        population.to_json(),
        summary,
        placements,
        unplaced,
        already,
        n_examined,
        rebalance=rebalance,
    )
    return result, {"people": by_id, "campaign": campaign}


def _open_days(s: Session, date_from: date, date_to: date, site_id: str | None, today: date) -> Sequence[Row]:
    """Exam days of the range that can take people: not past, not locked, at an active site."""
    start = max(date_from, today)
    params = {"a": start.isoformat(), "b": date_to.isoformat()}
    site_clause = ""
    if site_id:
        site_clause = " AND d.site_id = :site"
        params["site"] = site_id
        if not s.execute(text("SELECT 1 FROM site WHERE id = :site"), {"site": site_id}).first():
            raise NotFound(f"Không tìm thấy điểm khám {site_id}.")
    rows = s.execute(
        text(
            "SELECT d.id, d.exam_date, d.site_id, x.name, x.kind FROM exam_day d JOIN site x ON x.id = d.site_id "
            f"WHERE d.exam_date BETWEEN :a AND :b AND d.locked = 0 AND x.active = 1{site_clause} "
            "ORDER BY d.exam_date, x.kind != 'station', x.name, d.id"
        ),
        params,
    ).all()
    if not rows:
        span = f"{show_date(date_from)}–{show_date(date_to)}"
        if date_to < today:
            raise InvalidInput(
                f"Khoảng ngày {span} đã qua: chỉ xếp lịch từ hôm nay ({show_date(today)}) trở đi."
            )
        raise InvalidInput(
            f"Không có ngày khám nào còn mở (chưa khóa, chưa qua) trong khoảng {span}"
            + (" tại điểm khám đã chọn" if site_id else "")
            + ": hãy thêm ngày khám.",
            remedy=Remedy.ADD_EXAM_DAY,
        )
    return rows


def _load_slots(s: Session, rows: Sequence[Row], released: Counter) -> list[DayRoom]:
    """The open days with each slot's free places (places taken now, less the released appointments)."""
    ids = [r.id for r in rows]
    params: dict = {}
    marks = _in("d", ids, params)
    booked: dict[str, int] = dict(
        s.execute(
            text(
                f"SELECT slot_id, count(*) FROM appointment WHERE day_id IN ({marks}) "
                f"AND status IN ({st.sql_list(st.OCCUPYING)}) GROUP BY slot_id"
            ),
            params,
        ).all()
    )
    by_day: dict[str, list[SlotRoom]] = {d: [] for d in ids}
    totals: dict[str, list[int]] = {d: [0, 0] for d in ids}
    for sid, day_id, start, end, capacity in s.execute(
        text(
            f"SELECT id, day_id, start_time, end_time, capacity FROM slot WHERE day_id IN ({marks}) "
            "ORDER BY day_id, seq"
        ),
        params,
    ):
        used = booked.get(sid, 0) - released.get(sid, 0)
        by_day[day_id].append(SlotRoom(sid, start, end, max(0, capacity - used)))
        totals[day_id][0] += capacity
        totals[day_id][1] += used
    days = []
    for r in rows:
        day = DayRoom(r, by_day[r.id])
        day.capacity, day.booked_before = totals[r.id]
        days.append(day)
    return days


def priority_of(s: Session, person_id: str, year: int) -> tuple[bool, bool]:
    """(priority, pupil) of one person in a campaign *year*, by the planner's rules."""
    row = s.execute(
        text("SELECT target_group, birth_date, birth_year FROM person WHERE id = :p"), {"p": person_id}
    ).first()
    if row is None:
        raise NotFound(f"Không tìm thấy người có mã {person_id}.")
    age = age_in(year, row.birth_year)
    flagged = s.execute(
        text(
            f"SELECT 1 FROM person_flag WHERE person_id = :p AND flag IN "
            f"({st.sql_list(PRIORITY_FLAGS)}) LIMIT 1"
        ),
        {"p": person_id},
    ).first()
    pupil = row.target_group == "b" and age is not None and PUPIL_AGES[0] <= age <= PUPIL_AGES[1]
    return bool(flagged) or (age is not None and age >= ELDERLY_AGE), pupil


def day_rooms(s: Session, day_ids: list[str]) -> list[DayRoom]:
    """Free places of these days (in the given order), for placing a few people by the planner's rules."""
    if not day_ids:
        return []
    params: dict = {}
    rows = s.execute(
        text(
            "SELECT d.id, d.exam_date, d.site_id, x.name, x.kind FROM exam_day d JOIN site x ON x.id = d.site_id "
            f"WHERE d.id IN ({_in('d', day_ids, params)})"
        ),
        params,
    ).all()
    order = {d: i for i, d in enumerate(day_ids)}
    return _load_slots(s, sorted(rows, key=lambda r: order[r.id]), Counter())
