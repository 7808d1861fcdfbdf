"""The live board of an exam day (waiting, in exam, done, no-show) and the steps the exam rooms take:
call a person in, send them back to the queue, record them examined (the exam module calls ``mark_examined``).

The board is a ``DeskBoard`` (a frozen dataclass, ``ksk_desktop.shapes``) of ``AppointmentRow`` dicts (see
``day_schedule``); its ``to_json()`` is ``ksk schedule board --json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ksk_desktop.dates import show_date
from ksk_desktop.db.models import ExamDay
from ksk_desktop.scheduling import appointments as appts
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.calling import room_name
from ksk_desktop.scheduling.day_schedule import AppointmentRow, appointment_rows
from ksk_desktop.scheduling.errors import InvalidStatus
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape
from ksk_desktop.station.session import StationSession

COLUMNS = {
    "expected": st.EXPECTED,
    "waiting": (st.CHECKED_IN,),
    "in_exam": (st.IN_EXAM,),
    "done": (st.EXAMINED,),
    "no_show": (st.NO_SHOW,),
}


@dataclass(frozen=True)
class BoardCounts(Shape):
    expected: int
    waiting: int
    in_exam: int
    done: int
    no_show: int
    total: int  # everyone booked that day (at the site)


@dataclass(frozen=True)
class DeskBoard(Shape):
    """A day's people by column (the keys of ``COLUMNS``)."""

    date: str  # ISO date
    site_id: str | None  # None: every site
    expected: list[AppointmentRow]  # booked, not come yet, in slot order
    waiting: list[AppointmentRow]  # checked in, by queue number
    in_exam: list[AppointmentRow]
    done: list[AppointmentRow]
    no_show: list[AppointmentRow]
    counts: BoardCounts

    def column(self, name: str) -> list[AppointmentRow]:
        """The rows of the column *name* (a key of ``COLUMNS``)."""
        if name not in COLUMNS:
            raise KeyError(name)
        rows: list[AppointmentRow] = getattr(self, name)
        return rows


def board(ctx: StationSession, day: date | None = None, site_id: str | None = None) -> DeskBoard:
    """The day's people by column: ``waiting`` (checked in, by queue number), ``in_exam``, ``done``,
    ``no_show``, and ``expected`` (booked, not come yet), with counts. Not audited: it refreshes all day."""
    ctx.require(Perm.CHECKIN)
    day = day or ctx.clock.today()
    with ctx.read() as s:
        rows = appointment_rows(s, day, site_id)
    columns: dict[str, list[AppointmentRow]] = {}
    for column, states in COLUMNS.items():
        items = [r for r in rows if r["status"] in states]
        if column in ("waiting", "in_exam", "done"):
            items.sort(key=lambda r: r["queue_no"] or 0)
        columns[column] = items
    counts = BoardCounts(**{c: len(items) for c, items in columns.items()}, total=len(rows))
    return DeskBoard(date=day.isoformat(), site_id=site_id, **columns, counts=counts)


def start_exam(ctx: StationSession, appointment_id: str, *, room: str | None = None) -> dict:
    """Call a waiting person into the exam room (checked_in → in_exam); *room* names the room, for the waiting
    room's screen (``calling.now_calling``)."""
    ctx.require(Perm.CHECKIN)
    room = room_name(room)
    with ctx.write() as s:
        appt = appts.load(s, appointment_id)
        appts.check_step(appt, st.IN_EXAM, "gọi vào khám")
        appts.change(
            ctx,
            s,
            appt,
            "appointment.start_exam",
            {"room": room} if room else None,
            status=st.IN_EXAM,
            called_at=ctx.clock.utcnow(),
            room=room,
        )
        return appts.to_json(s, appt)


def return_to_queue(ctx: StationSession, appointment_id: str) -> dict:
    """Send a person called in back to the waiting list (in_exam → checked_in), keeping their number."""
    ctx.require(Perm.CHECKIN)
    with ctx.write() as s:
        appt = appts.load(s, appointment_id)
        if appt.status != st.IN_EXAM:
            raise InvalidStatus(
                f"Lịch hẹn đang ở trạng thái “{st.LABELS[appt.status]}”, không trả về hàng chờ được."
            )
        appts.change(ctx, s, appt, "appointment.requeue", status=st.CHECKED_IN, called_at=None, room=None)
        return appts.to_json(s, appt)


def mark_no_show(ctx: StationSession, appointment_id: str, *, today: date | None = None) -> dict:
    """Record one expected person absent (scheduled/notified → no_show) on their exam day or later; if they come
    after all, the desk takes them as a walk-in. End-of-day reconciliation does this for everyone still expected."""
    ctx.require(Perm.CHECKIN)
    today = today or ctx.clock.today()
    with ctx.write() as s:
        appt = appts.load(s, appointment_id)
        day = s.get_one(ExamDay, appt.day_id)
        if day.exam_date > today:
            raise InvalidStatus(
                f"Lịch hẹn là ngày {show_date(day.exam_date)}, chưa đến ngày: chưa ghi nhận vắng mặt được."
            )
        appts.check_step(appt, st.NO_SHOW, "ghi nhận vắng mặt")
        appts.change(ctx, s, appt, "appointment.no_show", status=st.NO_SHOW)
        return appts.to_json(s, appt)


def mark_examined(ctx: StationSession, appointment_id: str) -> dict:
    """Record the person examined (checked_in or in_exam → examined); called by the exam module."""
    ctx.require(Perm.EXAM_WRITE)
    with ctx.write() as s:
        appt = appts.load(s, appointment_id)
        appts.check_step(appt, st.EXAMINED, "ghi nhận đã khám")
        appts.change(ctx, s, appt, "appointment.examined", status=st.EXAMINED)
        return appts.to_json(s, appt)
