"""Exam days at a site and their slots.

A day has opening hours (``"07:30-11:30,13:30-16:30"``, local wall clock) cut into slots of ``slot_minutes``;
each slot takes ``capacity_per_slot`` people, by default the site's capacity per hour × slot length / 60.

A day is read as a ``DayInfo`` (a frozen dataclass, ``ksk_desktop.shapes``); what a reader did not ask for
(the site, the counts, the slots) is None and left out of its JSON, so ``ksk day … --json`` keeps its keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ksk_desktop.dates import show_date
from ksk_desktop.db.models import ExamDay, Site, Slot
from ksk_desktop.errors import InvalidInput, NotFound, Remedy
from ksk_desktop.ids import new_id
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling import sync_items, sync_payload
from ksk_desktop.scheduling.errors import DateInPast, DayOverCapacity, SiteCapacityMissing
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape, optional
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc, nfkc

DEFAULT_HOURS = "07:30-11:30,13:30-16:30"
DEFAULT_SLOT_MINUTES = 30
MORNING_ENDS = "12:00"  # a slot starting before noon is a morning slot
_RANGE = re.compile(
    r"([0-9]{1,2})[:hH.]([0-9]{2})\s*[-–—]\s*([0-9]{1,2})[:hH.]([0-9]{2})"
)  # in full, on NFKC text


def _minutes(h: str, m: str) -> int:
    hours, minutes = int(h), int(m)
    if hours > 23 or minutes > 59:
        raise InvalidInput(f"Giờ {h}:{m} không hợp lệ.")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_hours(hours: str) -> list[tuple[int, int]]:
    """``"07:30-11:30,13:30-16:30"`` → [(450, 690), (810, 990)] (minutes after midnight, ordered, disjoint)."""
    spans = []
    for part in (hours or "").split(","):
        part = part.strip()
        if not part:
            continue
        m = _RANGE.fullmatch(nfkc(part))
        if not m:
            raise InvalidInput(f"Khung giờ {part!r} không hợp lệ (ví dụ 07:30-11:30,13:30-16:30).")
        start, end = _minutes(m[1], m[2]), _minutes(m[3], m[4])
        if end <= start:
            raise InvalidInput(f"Khung giờ {part!r}: giờ kết thúc phải sau giờ bắt đầu.")
        spans.append((start, end))
    if not spans:
        raise InvalidInput("Chưa có giờ làm việc của ngày khám (ví dụ 07:30-11:30,13:30-16:30).")
    spans.sort()
    for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
        if s2 < e1:
            raise InvalidInput(f"Các khung giờ chồng lên nhau ({_clock(s2)} trước {_clock(e1)}).")
    return spans


def format_hours(spans: list[tuple[int, int]]) -> str:
    return ",".join(f"{_clock(a)}-{_clock(b)}" for a, b in spans)


def slot_times(hours: str, slot_minutes: int) -> list[tuple[str, str]]:
    """The (start, end) of each slot; every span must divide into whole slots."""
    if not isinstance(slot_minutes, int) or not 5 <= slot_minutes <= 240:
        raise InvalidInput("Độ dài mỗi ca khám phải từ 5 đến 240 phút.")
    out = []
    for start, end in parse_hours(hours):
        if (end - start) % slot_minutes:
            raise InvalidInput(
                f"Khung giờ {_clock(start)}-{_clock(end)} không chia đều thành các ca {slot_minutes} "
                "phút: sửa giờ hoặc độ dài ca."
            )
        out += [(_clock(t), _clock(t + slot_minutes)) for t in range(start, end, slot_minutes)]
    return out


@dataclass(frozen=True)
class SlotInfo(Shape):
    id: str
    start: str  # HH:MM, local wall clock
    end: str
    capacity: int


@dataclass(frozen=True)
class DayInfo(Shape):
    """An exam day; the site, the counts, the slots and the lock's effect only where the reader asked."""

    id: str
    site_id: str
    date: str  # ISO date
    opening_hours: str  # "07:30-11:30,13:30-16:30"
    slot_minutes: int
    capacity_per_slot: int
    team_note: str | None
    locked: bool
    version: int
    site_name: str | None = optional()
    site_kind: str | None = optional()
    mobile: bool | None = optional()
    booked: int | None = optional()  # places taken
    capacity: int | None = optional()  # places in all its slots
    free: int | None = optional()
    slots: list[SlotInfo] | None = optional()  # a day just added
    appointments_changed: int | None = optional()  # a day just locked or unlocked


def day_info(day: ExamDay, site: Site | None = None, booked: int | None = None, capacity: int = 0) -> DayInfo:
    """*day*, with its *site* if given, and its counts if *booked* is given (out of *capacity*)."""
    return DayInfo(
        id=day.id,
        site_id=day.site_id,
        date=day.exam_date.isoformat(),
        opening_hours=day.opening_hours,
        slot_minutes=day.slot_minutes,
        capacity_per_slot=day.capacity_per_slot,
        team_note=day.team_note,
        locked=day.locked,
        version=day.version,
        site_name=site.name if site is not None else None,
        site_kind=site.kind if site is not None else None,
        mobile=site.mobile if site is not None else None,
        booked=booked,
        capacity=capacity if booked is not None else None,
        free=max(0, capacity - booked) if booked is not None else None,
    )


def add_day(
    ctx: StationSession,
    *,
    site_id: str,
    day: date,
    hours: str = DEFAULT_HOURS,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
    capacity_per_slot: int | None = None,
    team_note: str | None = None,
    today: date | None = None,
) -> DayInfo:
    """Add an exam day with its slots (audited). Refuses a date in the past, a second day at the same site and
    date, and a site with no capacity when the day gives none."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    today = today or ctx.clock.today()
    if day < today:
        raise DateInPast(
            f"Ngày {show_date(day)} đã qua: chỉ thêm ngày khám từ hôm nay ({show_date(today)}) trở đi."
        )
    with ctx.write() as s:
        return insert_day(
            ctx,
            s,
            site_id=site_id,
            day=day,
            hours=hours,
            slot_minutes=slot_minutes,
            capacity_per_slot=capacity_per_slot,
            team_note=team_note,
        )


def insert_day(
    ctx: StationSession,
    s: Session,
    *,
    site_id: str,
    day: date,
    hours: str,
    slot_minutes: int,
    capacity_per_slot: int | None,
    team_note: str | None,
) -> DayInfo:
    """Insert a day and its slots in the caller's transaction (no date check: the demo adds a past day)."""
    site = s.get(Site, site_id)
    if site is None:
        raise NotFound(f"Không tìm thấy điểm khám {site_id}.")
    if not site.active:
        raise InvalidInput(f"Điểm khám {site.name} đã ngừng hoạt động.")
    times = slot_times(hours, slot_minutes)
    if capacity_per_slot is None:
        if not site.capacity_per_hour:
            raise SiteCapacityMissing(
                f"Điểm khám {site.name} chưa đặt công suất (người/giờ): đặt công suất cho điểm khám "
                "hoặc số người mỗi ca cho ngày khám.",
                remedy=Remedy.SET_CAPACITY,
            )
        capacity_per_slot = max(1, site.capacity_per_hour * slot_minutes // 60)
    if not isinstance(capacity_per_slot, int) or not 1 <= capacity_per_slot <= 1000:
        raise InvalidInput(f"Số người mỗi ca {capacity_per_slot!r} không hợp lệ (1–1000).")
    if s.scalar(select(ExamDay.id).where(ExamDay.site_id == site_id, ExamDay.exam_date == day)):
        raise InvalidInput(f"Điểm khám {site.name} đã có ngày khám {show_date(day)}.")
    now = ctx.clock.utcnow()
    row = ExamDay(
        id=new_id(),
        site_id=site_id,
        exam_date=day,
        opening_hours=format_hours(parse_hours(hours)),
        slot_minutes=slot_minutes,
        capacity_per_slot=capacity_per_slot,
        team_note=nfc(team_note) if team_note else None,
        locked=False,
        created_at=now,
        updated_at=now,
        version=1,
    )
    s.add(row)
    slots = [
        Slot(id=new_id(), day_id=row.id, seq=i, start_time=a, end_time=b, capacity=capacity_per_slot)
        for i, (a, b) in enumerate(times)
    ]
    s.add_all(slots)
    sync_items.queue_day(s, row)
    capacity = capacity_per_slot * len(slots)
    info = day_info(row, site, 0, capacity)
    ctx.audit(s, "exam_day.create", "exam_day", row.id, info.to_json())
    return replace(info, slots=[SlotInfo(x.id, x.start_time, x.end_time, x.capacity) for x in slots])


def booked_by_slot(s: Session, day_ids: list[str]) -> dict[str, int]:
    """Places taken in each slot of these days."""
    if not day_ids:
        return {}
    marks = ", ".join(f":d{i}" for i in range(len(day_ids)))
    rows = s.execute(
        text(
            f"SELECT slot_id, count(*) FROM appointment WHERE day_id IN ({marks}) "
            f"AND status IN ({st.sql_list(st.OCCUPYING)}) GROUP BY slot_id"
        ),
        {f"d{i}": d for i, d in enumerate(day_ids)},
    )
    return dict(rows.all())


def set_capacity(ctx: StationSession, day_id: str, capacity_per_slot: int) -> DayInfo:
    """Change a day's capacity per slot (audited); refused if a slot already holds more people than that."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    if not isinstance(capacity_per_slot, int) or not 1 <= capacity_per_slot <= 1000:
        raise InvalidInput(f"Số người mỗi ca {capacity_per_slot!r} không hợp lệ (1–1000).")
    with ctx.write() as s:
        day = s.get(ExamDay, day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {day_id}.")
        booked = booked_by_slot(s, [day.id])
        slots = list(s.scalars(select(Slot).where(Slot.day_id == day.id).order_by(Slot.seq)))
        over = [x for x in slots if booked.get(x.id, 0) > capacity_per_slot]
        if over:
            worst = max(over, key=lambda x: booked.get(x.id, 0))
            raise DayOverCapacity(
                f"Ngày {show_date(day.exam_date)}: ca {worst.start_time} đã có {booked[worst.id]} người, nhiều hơn "
                f"{capacity_per_slot} người/ca. Chuyển bớt lịch hẹn sang ca khác trước khi giảm công suất."
            )
        old = day.capacity_per_slot
        for x in slots:
            x.capacity = capacity_per_slot
        day.capacity_per_slot = capacity_per_slot
        day.version += 1
        day.updated_at = ctx.clock.utcnow()
        sync_items.queue_day(s, day)
        ctx.audit(s, "exam_day.capacity", "exam_day", day.id, {"old": old, "new": capacity_per_slot})
        return day_info(day, s.get(Site, day.site_id), sum(booked.values()), capacity_per_slot * len(slots))


def lock_day(ctx: StationSession, day_id: str, locked: bool = True) -> DayInfo:
    """Lock (or unlock) a day's plan: re-planning adds nobody to it and moves none of its appointments."""
    ctx.require(Perm.SCHEDULE_MANAGE)
    with ctx.write() as s:
        day = s.get(ExamDay, day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {day_id}.")
        day.locked = locked
        day.version += 1
        day.updated_at = ctx.clock.utcnow()
        sync_items.queue_day(s, day)
        n = set_locked(s, "day_id = :k", {"k": day.id}, locked, ctx.clock.utcnow())
        ctx.audit(
            s, "exam_day.lock" if locked else "exam_day.unlock", "exam_day", day.id, {"appointments": n}
        )
        return replace(day_info(day), appointments_changed=n)


def set_locked(s: Session, where: str, params: dict, locked: bool, now: datetime) -> int:
    """Lock or unlock the expected (scheduled/notified) appointments matching *where*; each change is versioned
    and queued for sync. Returns how many changed."""
    rows = s.execute(
        text(
            f"SELECT id, version FROM appointment WHERE {where} AND locked = :was "
            f"AND status IN ({st.sql_list(st.EXPECTED)})"
        ),
        {**params, "was": int(not locked)},
    ).all()
    if not rows:
        return 0
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    s.execute(
        text("UPDATE appointment SET locked = :l, version = version + 1, updated_at = :now WHERE id = :id"),
        [{"l": int(locked), "now": stamp, "id": r.id} for r in rows],
    )
    sync_payload.queue(s, [r.id for r in rows])
    return len(rows)


def get_day(ctx: StationSession, day_id: str) -> DayInfo:
    with ctx.read() as s:
        day = s.get(ExamDay, day_id)
        if day is None:
            raise NotFound(f"Không tìm thấy ngày khám {day_id}.")
        return with_counts(s, [day])[0]


def with_counts(s: Session, days: list[ExamDay]) -> list[DayInfo]:
    ids = [d.id for d in days]
    booked = booked_by_slot(s, ids)
    slots = (
        s.execute(select(Slot.day_id, Slot.id, Slot.capacity).where(Slot.day_id.in_(ids))).all()
        if ids
        else []
    )
    cap: dict[str, int] = {}
    used: dict[str, int] = {}
    for day_id, slot_id, capacity in slots:
        cap[day_id] = cap.get(day_id, 0) + capacity
        used[day_id] = used.get(day_id, 0) + booked.get(slot_id, 0)
    sites = (
        {x.id: x for x in s.scalars(select(Site).where(Site.id.in_({d.site_id for d in days})))}
        if days
        else {}
    )
    return [day_info(d, sites.get(d.site_id), used.get(d.id, 0), cap.get(d.id, 0)) for d in days]


def list_days(
    ctx: StationSession,
    date_from: date | None = None,
    date_to: date | None = None,
    site_id: str | None = None,
) -> list[DayInfo]:
    """Exam days (with capacity, places booked and free) in date order."""
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        q = select(ExamDay).order_by(ExamDay.exam_date, ExamDay.site_id)
        if date_from is not None:
            q = q.where(ExamDay.exam_date >= date_from)
        if date_to is not None:
            q = q.where(ExamDay.exam_date <= date_to)
        if site_id is not None:
            q = q.where(ExamDay.site_id == site_id)
        return with_counts(s, list(s.scalars(q)))
