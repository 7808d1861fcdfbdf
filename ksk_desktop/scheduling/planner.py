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

Speed: set-based reads, placement in memory, and driver-level ``executemany`` writes — 40,000 people in a few
seconds on a 100,000-person station.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Row, text
from sqlalchemy.orm import Session

from ksk_desktop.clock import utcnow
from ksk_desktop.db.bulk import insert_many
from ksk_desktop.db.engine import driver
from ksk_desktop.db.models import Appointment, Campaign
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.people.persons import FLAGS, TARGET_GROUPS
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling import sync_payload
from ksk_desktop.scheduling.campaigns import parse_groups
from ksk_desktop.scheduling.clock import local_today, show_date
from ksk_desktop.scheduling.days import MORNING_ENDS
from ksk_desktop.scheduling.examined import examined_ids_sql
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import collation_key

PRIORITY_FLAGS = ("elderly", "disabled", "merit")
ELDERLY_AGE = 60
PUPIL_AGES = (6, 17)

REASONS = {
    "no_school_day": "Học sinh (nhóm b, 6–17 tuổi) được khám tại trường: chưa có ngày khám tại điểm trường học "
    "trong khoảng ngày đã chọn.",
    "school_full": "Các ngày khám tại trường học trong khoảng ngày đã chọn đã kín chỗ.",
    "no_regular_day": "Chỉ có ngày khám tại trường học (dành cho học sinh) trong khoảng ngày đã chọn.",
    "no_morning_room": "Hết chỗ buổi sáng (người cao tuổi, người khuyết tật, người có công được xếp buổi sáng) "
    "trong khoảng ngày đã chọn.",
    "full": "Hết chỗ: các ngày khám trong khoảng ngày đã chọn đã kín.",
}


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


@dataclass(slots=True)
class Placement:
    appointment_id: str
    person_id: str
    day_id: str
    slot_id: str
    date: str
    start: str
    end: str
    site_id: str
    action: str  # new | moved | unchanged
    priority: bool
    pupil: bool

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Unplaced:
    person_id: str
    name: str
    hamlet: str | None
    group: str | None
    code: str
    reason: str
    cancelled_appointment_id: str | None = None  # a re-planned appointment that no longer fits

    def to_json(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass
class PlanResult:
    campaign_id: str
    date_from: date
    date_to: date
    site_id: str | None
    dry_run: bool
    population: dict
    days: list[dict]
    placed: list[Placement]
    unplaced: list[Unplaced]
    already_scheduled: int
    examined_this_year: int
    rebalance: bool = False
    seconds: float = 0.0

    @property
    def counts(self) -> dict[str, int]:
        actions = {"new": 0, "moved": 0, "unchanged": 0}
        for p in self.placed:
            actions[p.action] += 1
        return {
            "considered": len(self.placed) + len(self.unplaced),
            "placed": len(self.placed),
            **actions,
            "unplaced": len(self.unplaced),
            "cancelled": sum(1 for u in self.unplaced if u.cancelled_appointment_id),
            "already_scheduled": self.already_scheduled,
            "examined_this_year": self.examined_this_year,
        }

    def to_json(self) -> dict:
        reasons: dict[str, dict] = {}
        for u in self.unplaced:
            reasons.setdefault(u.code, {"reason": u.reason, "count": 0})["count"] += 1
        return {
            "campaign_id": self.campaign_id,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "site_id": self.site_id,
            "dry_run": self.dry_run,
            "rebalance": self.rebalance,
            "population": self.population,
            "counts": self.counts,
            "unplaced_reasons": reasons,
            "days": self.days,
            "placed": [p.to_json() for p in self.placed],
            "unplaced": [u.to_json() for u in self.unplaced],
            "seconds": self.seconds,
        }


# -- placement in memory ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class SlotRoom:
    id: str
    start: str
    end: str
    room: int


class DayRoom:
    """Free places of one exam day; priority people fill mornings forwards, others afternoons then mornings
    backwards, so the two meet in the morning only when the day is full."""

    def __init__(self, row, slots: list[SlotRoom]) -> None:  # noqa: ANN001 - a result row
        self.id, self.date, self.site_id, self.site_name, self.kind = row
        self.slots = slots
        self.morning = [x for x in slots if x.start < MORNING_ENDS]
        self.afternoon = [x for x in slots if x.start >= MORNING_ENDS]
        self.capacity = 0
        self.booked_before = 0
        self.placed = 0
        self.quota = 0
        self._fwd = 0
        self._back = len(self.morning) - 1
        self._aft = 0
        self.morning_room = sum(x.room for x in self.morning)
        self.afternoon_room = sum(x.room for x in self.afternoon)

    @property
    def room(self) -> int:
        return self.morning_room + self.afternoon_room

    def take_morning(self) -> SlotRoom:
        while self.morning[self._fwd].room == 0:
            self._fwd += 1
        slot = self.morning[self._fwd]
        slot.room -= 1
        self.morning_room -= 1
        return self._took(slot)

    def take_any(self) -> SlotRoom:
        if self.afternoon_room:
            while self.afternoon[self._aft].room == 0:
                self._aft += 1
            slot = self.afternoon[self._aft]
            self.afternoon_room -= 1
        else:
            while self.morning[self._back].room == 0:
                self._back -= 1
            slot = self.morning[self._back]
            self.morning_room -= 1
        slot.room -= 1
        return self._took(slot)

    def give_back(self, slot: SlotRoom) -> None:
        """A place taken before this plan is free again (its appointment moved)."""
        slot.room += 1
        if slot.start < MORNING_ENDS:
            self.morning_room += 1
        else:
            self.afternoon_room += 1
        self._fwd, self._back, self._aft = 0, len(self.morning) - 1, 0  # the free place may be behind them

    def _took(self, slot: SlotRoom) -> SlotRoom:
        self.placed += 1
        self.quota -= 1
        return slot


@dataclass(slots=True)
class _Person:
    id: str
    name: str
    hamlet: str | None
    group: str | None
    priority: bool
    pupil: bool
    movable: tuple | None = None  # (appointment id, version, slot id) of an appointment the planner may move
    no_show: tuple | None = None  # (appointment id, version) of the no-show this replaces
    keep: bool = False  # the movable appointment stays where it is
    any_slot: bool = False  # rebalancing found no place by the rules for this appointment: any place will do

    @property
    def held(self) -> tuple:
        """The movable appointment of someone whose appointment is kept, moved or cancelled."""
        assert self.movable is not None
        return self.movable


def _fill(
    days: list[DayRoom], people: list[_Person], placed: dict[str, tuple[DayRoom, SlotRoom]], morning: bool
) -> list[_Person]:
    """Place *people* in order, mornings only (priority) or anywhere; return those who found no room.

    First pass: each day takes a share of them in proportion to its free places (mornings, for priority people),
    which spreads them over the range in order; second pass: anyone left takes any place still free.
    """

    def room(d: DayRoom) -> int:
        return d.morning_room if morning else d.room

    free = sum(room(d) for d in days)
    for d in days:
        d.quota = room(d) if len(people) >= free else -(-room(d) * len(people) // free)
    for use_quota in (True, False):
        left = []
        i, n = 0, len(days)
        for p in people:
            while i < n and (room(days[i]) == 0 or (use_quota and days[i].quota <= 0)):
                i += 1
            if i == n:
                left.append(p)
                continue
            day = days[i]
            placed[p.id] = (day, day.take_morning() if morning else day.take_any())
        people = left
    return people


def new_ids(n: int):  # noqa: ANN201 - an iterator of str
    """*n* random (version 4) UUIDs from one read of the system's random source: a 40,000-person plan makes
    them in milliseconds instead of a quarter of a second."""
    raw = os.urandom(16 * n).hex()
    for i in range(0, 32 * n, 32):
        h = raw[i : i + 32]
        yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


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
    today = today or local_today()
    started = time.perf_counter()
    if dry_run:
        with ctx.read() as s:
            result, _work = _compute(
                s, campaign_id, date_from, date_to, site_id, population, today, rebalance
            )
    else:
        with ctx.write() as s:
            result, work = _compute(s, campaign_id, date_from, date_to, site_id, population, today, rebalance)
            _write(ctx, s, result, work)
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

    people: list[_Person] = []
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
        people.append(_Person(pid, name, hamlet, group, prio, pupil, movable, ns[:2] if ns else None, keep))
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
        final = _copy(days)
        _assign(days, people, placed, unplaced, rebalance=True)
        chosen = set(placed)
        placed = {}
        for stream, stream_days in _streams(final):
            left = _place(
                stream_days,
                [p for p in people if p.pupil == stream and p.id in chosen and not p.any_slot],
                placed,
            )
            # those who took any place in the first round take one again (so do any left: it cannot happen)
            left += [p for p in people if p.pupil == stream and p.id in chosen and p.any_slot]
            left = _fill(stream_days, left, placed, morning=False) if left else left
            unplaced += _unplaced_all(left, stream, stream_days)
        days = final
    else:
        _assign(days, people, placed, unplaced, rebalance=False)
    where_is = {x.id: (d, x) for d in days for x in d.slots}

    placements = []
    fresh = new_ids(len(placed))
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


def _streams(days: list[DayRoom]) -> tuple:
    """(pupils?, their days): pupils at school sites, everyone else at the other sites."""
    return ((True, [d for d in days if d.kind == "school"]), (False, [d for d in days if d.kind != "school"]))


def _copy(days: list[DayRoom]) -> list[DayRoom]:
    out = []
    for d in days:
        c = DayRoom(
            (d.id, d.date, d.site_id, d.site_name, d.kind),
            [SlotRoom(x.id, x.start, x.end, x.room) for x in d.slots],
        )
        c.capacity, c.booked_before = d.capacity, d.booked_before
        out.append(c)
    return out


def _assign(
    days: list[DayRoom], people: list[_Person], placed: dict, unplaced: list[Unplaced], *, rebalance: bool
) -> None:
    """Place those to move, then newcomers. Without rebalancing, "to move" means breaking a rule, and who finds
    no better place keeps their own; with it, every appointment the planner may move was given back, and who
    finds no place by the rules takes any (an appointment is cancelled only if no place at all is left)."""
    where_is = {x.id: (d, x) for d in days for x in d.slots}
    streams = _streams(days)
    for stream, stream_days in streams:
        movers = [p for p in people if p.pupil == stream and p.movable and not p.keep]
        left = _place(stream_days, movers, placed)
        if rebalance:
            for p in left:
                p.any_slot = True
            left = _fill(stream_days, left, placed, morning=False) if stream_days and left else left
            unplaced += _unplaced_all(left, stream, stream_days)
        else:
            for p in left:
                p.keep = True
    if not rebalance:  # the places of those who moved are free for newcomers
        for p in people:
            if p.movable and not p.keep and p.id in placed:
                day, slot = where_is[p.movable[2]]
                day.give_back(slot)
    for stream, stream_days in streams:
        fresh = [p for p in people if p.pupil == stream and not p.movable]
        left = _place(stream_days, fresh, placed)
        unplaced += _unplaced_all(left, stream, stream_days)


def _place(days: list[DayRoom], people: list[_Person], placed: dict) -> list[_Person]:
    """Priority people into mornings, then the others anywhere (afternoons first); returns who found no room."""
    if not days:
        return list(people)
    left = _fill(days, [p for p in people if p.priority], placed, morning=True)
    return left + _fill(days, [p for p in people if not p.priority], placed, morning=False)


def _unplaced_all(left: list[_Person], pupils: bool, days: list[DayRoom]) -> list[Unplaced]:
    """Those *left* without a place, each with the reason."""
    if not left:
        return []
    if not days:
        code = "no_school_day" if pupils else "no_regular_day"
        return [_unplaced(p, code) for p in left]
    if pupils:
        return [_unplaced(p, "school_full") for p in left]
    room = any(d.room for d in days)  # afternoons free but mornings full: say so to priority people
    return [_unplaced(p, "no_morning_room" if p.priority and room else "full") for p in left]


def _unplaced(p: _Person, code: str) -> Unplaced:
    return Unplaced(p.id, p.name, p.hamlet, p.group, code, REASONS[code])


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
            + ": hãy thêm ngày khám (ksk day add)."
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


def _write(ctx: StationSession, s: Session, result: PlanResult, work: dict) -> None:
    people: dict[str, _Person] = work["people"]
    now = utcnow()
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    user = ctx.user.username
    new_rows, moved, queued, ready = [], [], [], []
    year = work["campaign"].year
    updated = sync_payload.utc_text(stamp)
    rescheduled = []
    for p in result.placed:
        person = people[p.person_id]
        if p.action == "new":
            link = person.no_show[0] if person.no_show else None
            new_rows.append(
                {
                    "id": p.appointment_id,
                    "person_id": p.person_id,
                    "campaign_id": result.campaign_id,
                    "day_id": p.day_id,
                    "slot_id": p.slot_id,
                    "status": st.SCHEDULED,
                    "queue_no": None,
                    "priority": int(p.priority),
                    "locked": False,
                    "walk_in": False,
                    "rescheduled_from": link,
                    "note": None,
                    "checked_in_at": None,
                    "created_by": user,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            ready.append(
                {
                    "id": p.appointment_id,
                    "person_id": p.person_id,
                    "campaign_id": result.campaign_id,
                    "campaign_year": year,
                    "date": p.date,
                    "site_id": p.site_id,
                    "start": p.start,
                    "end": p.end,
                    "status": st.SCHEDULED,
                    "queue_no": None,
                    "priority": p.priority,
                    "walk_in": False,
                    "rescheduled_from": link,
                    "checked_in_at": None,
                    "updated_at": updated,
                    "version": 1,
                }
            )
            if person.no_show:
                rescheduled.append(person.no_show)
        elif p.action == "moved":
            version = person.held[1] + 1
            moved.append(
                {
                    "id": p.appointment_id,
                    "day": p.day_id,
                    "slot": p.slot_id,
                    "p": int(p.priority),
                    "v": version,
                    "now": stamp,
                }
            )
            queued.append(p.appointment_id)
    cancelled = []
    for u in result.unplaced:
        if u.cancelled_appointment_id:
            version = people[u.person_id].held[1] + 1
            cancelled.append(
                {
                    "id": u.cancelled_appointment_id,
                    "v": version,
                    "now": stamp,
                    "note": "Hủy khi xếp lại lịch: " + u.reason,
                }
            )
            queued.append(u.cancelled_appointment_id)
    if rescheduled:
        s.execute(
            text(
                "UPDATE appointment SET status = 'rescheduled', version = :v, updated_at = :now WHERE id = :id"
            ),
            [{"id": a, "v": v + 1, "now": stamp} for a, v in rescheduled],
        )
        queued += [a for a, _v in rescheduled]
    if cancelled:
        s.execute(
            text(
                "UPDATE appointment SET status = 'cancelled', note = :note, version = :v, updated_at = :now "
                "WHERE id = :id"
            ),
            cancelled,
        )
    if moved:
        s.execute(
            text(
                "UPDATE appointment SET day_id = :day, slot_id = :slot, priority = :p, version = :v, "
                "updated_at = :now WHERE id = :id"
            ),
            moved,
        )
    insert_many(s, Appointment.__table__, new_rows)
    sync_payload.queue(s, queued, ready)  # each with the appointment as now stored
    ctx.audit(
        s,
        "schedule.plan",
        "campaign",
        result.campaign_id,
        {
            "from": result.date_from.isoformat(),
            "to": result.date_to.isoformat(),
            "site": result.site_id,
            "population": result.population,
            "counts": result.counts,
            "new": [r["id"] for r in new_rows],
            "moved": [m["id"] for m in moved],
            "cancelled": [c["id"] for c in cancelled],
            "rescheduled": [a for a, _v in rescheduled],
        },
    )


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
