"""A day's schedule: each exam day of a date with its slots and the people booked in them (what the day
schedule, the call lists and the desk show).

One booked person is an ``AppointmentRow``, a TypedDict: the row goes out unchanged as JSON (``ksk schedule
show|board --json``) and readers extend it (the call list adds its hamlet group, the desk its board column),
so it stays a dict whose keys mypy checks in the core. The schedule around the rows (``DaySchedule``: days,
slots) is made of frozen dataclasses (``ksk_desktop.shapes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict

from sqlalchemy import text
from sqlalchemy.orm import Session

from ksk_desktop.clock import to_vietnam
from ksk_desktop.dates import hhmm
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.days import booked_by_slot
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station.session import StationSession

_ROWS = (
    "SELECT a.id, a.queue_no, a.status, a.priority, a.locked, a.walk_in, a.checked_in_at, a.slot_id, a.day_id, "
    "a.campaign_id, a.person_id, p.full_name, p.birth_date, p.birth_year, p.sex, p.hamlet, p.target_group, p.phone, "
    "p.personal_id, p.sort_key, s.start_time, s.end_time, x.name AS site_name "
    "FROM appointment a JOIN person p ON p.id = a.person_id JOIN slot s ON s.id = a.slot_id "
    "JOIN exam_day d ON d.id = a.day_id JOIN site x ON x.id = d.site_id "
)


class AppointmentRow(TypedDict):
    """One appointment of a day with its person, in the order of ``appointment_rows``."""

    appointment_id: str
    queue_no: int | None
    person_id: str
    name: str
    dob: str | None  # ISO date
    birth_year: int | None
    sex: str | None
    hamlet: str | None
    group: str | None  # target group
    phone: str | None
    personal_id: str | None
    flags: list[str]
    status: str
    status_label: str
    priority: bool
    locked: bool
    walk_in: bool
    checked_in_at: str | None  # HH:MM, local time
    slot_id: str
    day_id: str
    campaign_id: str
    start: str  # the slot's HH:MM
    end: str
    site_name: str


@dataclass(frozen=True)
class ScheduledSlot(Shape):
    slot_id: str
    start: str  # HH:MM, local wall clock
    end: str
    capacity: int
    booked: int
    appointments: list[AppointmentRow]


@dataclass(frozen=True)
class ScheduledDay(Shape):
    """One exam day of the date, at one site."""

    day_id: str
    site_id: str
    site_name: str
    site_kind: str
    mobile: bool
    opening_hours: str
    slot_minutes: int
    capacity_per_slot: int
    team_note: str | None
    locked: bool
    capacity: int
    booked: int
    free: int
    slots: list[ScheduledSlot]


@dataclass(frozen=True)
class DaySchedule(Shape):
    date: str  # ISO date
    days: list[ScheduledDay]  # the station first, then the other sites by name
    appointments: int


def _local_clock(utc_text: str | None) -> str | None:
    """``HH:MM`` local time of a stored naive-UTC timestamp."""
    if not utc_text:
        return None
    return hhmm(to_vietnam(datetime.fromisoformat(str(utc_text))))


def appointment_rows(
    s: Session, day: date, site_id: str | None = None, statuses: tuple[str, ...] = st.OCCUPYING
) -> list[AppointmentRow]:
    """The appointments of *day* (optionally at one site) with their people, in slot and queue order."""
    params: dict = {"d": day.isoformat()}
    where = f"d.exam_date = :d AND a.status IN ({st.sql_list(statuses)})"
    if site_id:
        where += " AND d.site_id = :site"
        params["site"] = site_id
    rows = s.execute(text(_ROWS + "WHERE " + where), params).all()
    flags: dict[str, list[str]] = {}
    if rows:
        for pid, flag in s.execute(
            text(
                "SELECT f.person_id, f.flag FROM person_flag f JOIN appointment a ON a.person_id = f.person_id "
                f"JOIN exam_day d ON d.id = a.day_id WHERE {where} ORDER BY f.flag"
            ),
            params,
        ):
            if flag not in flags.setdefault(pid, []):
                flags[pid].append(flag)
    out: list[AppointmentRow] = []
    for r in sorted(
        rows, key=lambda r: (r.start_time, r.queue_no is None, r.queue_no or 0, r.sort_key, r.id)
    ):
        out.append(
            {
                "appointment_id": r.id,
                "queue_no": r.queue_no,
                "person_id": r.person_id,
                "name": r.full_name,
                "dob": r.birth_date,
                "birth_year": r.birth_year,
                "sex": r.sex,
                "hamlet": r.hamlet,
                "group": r.target_group,
                "phone": r.phone,
                "personal_id": r.personal_id,
                "flags": flags.get(r.person_id, []),
                "status": r.status,
                "status_label": st.LABELS[r.status],
                "priority": bool(r.priority),
                "locked": bool(r.locked),
                "walk_in": bool(r.walk_in),
                "checked_in_at": _local_clock(r.checked_in_at),
                "slot_id": r.slot_id,
                "day_id": r.day_id,
                "campaign_id": r.campaign_id,
                "start": r.start_time,
                "end": r.end_time,
                "site_name": r.site_name,
            }
        )
    return out


def day_schedule(
    ctx: StationSession, day: date, site_id: str | None = None, *, record: bool = True
) -> DaySchedule:
    """Every exam day on *day*: its slots (time, capacity, booked) and, in each slot, the people booked
    (queue number, name, date of birth, sex, hamlet, group, phone, status). The read is audited."""
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        params: dict = {"d": day.isoformat()}
        site_clause = ""
        if site_id:
            site_clause = " AND d.site_id = :site"
            params["site"] = site_id
        days = s.execute(
            text(
                "SELECT d.id, d.site_id, x.name, x.kind, x.mobile, d.opening_hours, d.slot_minutes, d.capacity_per_slot, "
                "d.team_note, d.locked FROM exam_day d JOIN site x ON x.id = d.site_id "
                f"WHERE d.exam_date = :d{site_clause} ORDER BY x.kind != 'station', x.name"
            ),
            params,
        ).all()
        ids = [d.id for d in days]
        booked = booked_by_slot(s, ids)
        slots: dict[str, list[ScheduledSlot]] = {i: [] for i in ids}
        if ids:
            marks = ", ".join(f":i{n}" for n in range(len(ids)))
            for sid, day_id, start, end, capacity in s.execute(
                text(
                    f"SELECT id, day_id, start_time, end_time, capacity FROM slot WHERE day_id IN ({marks}) "
                    "ORDER BY day_id, seq"
                ),
                {f"i{n}": v for n, v in enumerate(ids)},
            ):
                slots[day_id].append(ScheduledSlot(sid, start, end, capacity, booked.get(sid, 0), []))
        by_slot = {x.slot_id: x for v in slots.values() for x in v}
        rows = appointment_rows(s, day, site_id)
        for r in rows:
            by_slot[r["slot_id"]].appointments.append(r)
    out_days = []
    for d in days:
        cap = sum(x.capacity for x in slots[d.id])
        used = sum(x.booked for x in slots[d.id])
        out_days.append(
            ScheduledDay(
                day_id=d.id,
                site_id=d.site_id,
                site_name=d.name,
                site_kind=d.kind,
                mobile=bool(d.mobile),
                opening_hours=d.opening_hours,
                slot_minutes=d.slot_minutes,
                capacity_per_slot=d.capacity_per_slot,
                team_note=d.team_note,
                locked=bool(d.locked),
                capacity=cap,
                booked=used,
                free=max(0, cap - used),
                slots=slots[d.id],
            )
        )
    if record:
        with ctx.write() as s:
            ctx.audit(
                s,
                "schedule.read",
                "exam_day",
                None,
                {"date": day.isoformat(), "site": site_id, "appointments": len(rows)},
            )
    return DaySchedule(date=day.isoformat(), days=out_days, appointments=len(rows))
