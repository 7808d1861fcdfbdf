"""Printing as a station service, for the CLI and the app: check the permission and the destination, load what
is printed, write the PDF atomically, and audit the print (counts only, never names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ksk_desktop.errors import NotFound, Remedy
from ksk_desktop.printing.call_list_pdf import call_list_pdf, pick_hamlet
from ksk_desktop.printing.formats import dmy
from ksk_desktop.printing.output import check_destination
from ksk_desktop.printing.schedule_pdf import day_schedule_pdf, schedule_rows
from ksk_desktop.printing.ticket_pdf import queue_ticket_pdf
from ksk_desktop.scheduling import appointments as appts
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling.checkin import CheckIn, _person
from ksk_desktop.scheduling.day_schedule import DaySchedule, day_schedule
from ksk_desktop.scheduling.errors import InvalidStatus
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.lifecycle import station_info
from ksk_desktop.station.session import StationSession


@dataclass(frozen=True)
class Printed:
    """A PDF written: where, how many pages, how many rows (people) it lists."""

    path: Path
    pages: int
    rows: int

    def to_json(self) -> dict:
        return {"path": str(self.path), "pages": self.pages, "rows": self.rows}


def _schedule_of(ctx: StationSession, day: date, site_id: str | None) -> DaySchedule:
    schedule = day_schedule(ctx, day, site_id, record=False)  # the print's own audit event records the read
    if not schedule.days:
        where = " tại điểm khám đã chọn" if site_id else ""
        raise NotFound(f"Ngày {dmy(day)} không có ngày khám nào{where}: không có lịch để in.")
    return schedule


def print_day_schedule(ctx: StationSession, day: date, dest: Path, *, site_id: str | None = None) -> Printed:
    """The day schedule of *day* (every site, or *site_id*) to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    schedule = _schedule_of(ctx, day, site_id)
    pages = day_schedule_pdf(dest, schedule, station_info(ctx), journal=ctx.paths.pending)
    rows = schedule_rows(schedule)
    with ctx.write() as s:
        ctx.audit(
            s,
            "print.schedule",
            "exam_day",
            schedule.days[0].day_id if site_id else None,
            {
                "date": day.isoformat(),
                "site": site_id,
                "days": len(schedule.days),
                "rows": rows,
                "pages": pages,
            },
        )
    return Printed(dest, pages, rows)


def print_call_list(ctx: StationSession, day: date, hamlet: str, dest: Path) -> Printed:
    """The call list of *hamlet* on *day* to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    schedule = _schedule_of(ctx, day, None)
    name, rows = pick_hamlet(schedule, hamlet)
    pages = call_list_pdf(dest, schedule, name, station_info(ctx), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(
            s,
            "print.calllist",
            "exam_day",
            None,
            {"date": day.isoformat(), "hamlet": name, "rows": len(rows), "pages": pages},
        )
    return Printed(dest, pages, len(rows))


def ticket_data(ctx: StationSession, appointment_id: str) -> dict:
    """``CheckIn.to_json()`` of a checked-in appointment, to reprint its queue ticket (nothing is changed)."""
    ctx.require(Perm.CHECKIN)
    with ctx.read() as s:
        appt = appts.load(s, appointment_id)
        if appt.queue_no is None or appt.status not in (st.CHECKED_IN, st.IN_EXAM, st.EXAMINED):
            raise InvalidStatus(
                f"Lịch hẹn đang ở trạng thái “{st.LABELS[appt.status]}”, chưa tiếp đón nên chưa có "
                "số thứ tự: tiếp đón trước.",
                remedy=Remedy.CHECK_IN,
            )
        return CheckIn(
            "already_checked_in",
            appt.queue_no,
            appts.to_json(s, appt),
            _person(s, appt.person_id),
            "appointment",
        ).to_json()


def print_ticket(ctx: StationSession, appointment_id: str, dest: Path) -> Printed:
    """Reprint the queue ticket of a checked-in appointment to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    data = ticket_data(ctx, appointment_id)
    pages = queue_ticket_pdf(dest, data, station_info(ctx), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(
            s,
            "print.ticket",
            "appointment",
            data["appointment"]["id"],
            {"queue_no": data["queue_no"], "pages": pages},
        )
    return Printed(dest, pages, 1)
