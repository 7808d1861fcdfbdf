"""Printing as a station service, for the CLI and the app: check the permission and the destination, load what
is printed, write the PDF atomically, and audit the print (counts only, never names)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ksk_desktop.errors import NotFound, Remedy
from ksk_desktop.printing.call_list_pdf import call_list_pdf, pick_hamlet
from ksk_desktop.printing.coverage_pdf import coverage_pdf
from ksk_desktop.printing.formats import dmy
from ksk_desktop.printing.output import PdfDocument, PdfTarget, check_destination, to_memory
from ksk_desktop.printing.schedule_pdf import day_schedule_pdf, schedule_rows
from ksk_desktop.printing.ticket_pdf import queue_ticket_pdf
from ksk_desktop.scheduling import appointments as appts
from ksk_desktop.scheduling import coverage
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


def _day_schedule(ctx: StationSession, day: date, target: PdfTarget, site_id: str | None) -> tuple[int, int]:
    ctx.require(Perm.PRINT)
    schedule = _schedule_of(ctx, day, site_id)
    pages = day_schedule_pdf(target, schedule, station_info(ctx), journal=ctx.paths.pending)
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
    return pages, rows


def print_day_schedule(ctx: StationSession, day: date, dest: Path, *, site_id: str | None = None) -> Printed:
    """The day schedule of *day* (every site, or *site_id*) to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    return Printed(dest, *_day_schedule(ctx, day, dest, site_id))


def day_schedule_document(ctx: StationSession, day: date, *, site_id: str | None = None) -> PdfDocument:
    """The day schedule of *day* in memory (for the app's print preview); audited like a printed file."""
    data, (pages, rows) = to_memory(lambda stream: _day_schedule(ctx, day, stream, site_id))
    return PdfDocument(data, pages, rows, f"Lịch khám ngày {dmy(day)}")


def _call_list(ctx: StationSession, day: date, hamlet: str, target: PdfTarget) -> tuple[int, int]:
    ctx.require(Perm.PRINT)
    schedule = _schedule_of(ctx, day, None)
    name, rows = pick_hamlet(schedule, hamlet)
    pages = call_list_pdf(target, schedule, name, station_info(ctx), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(
            s,
            "print.calllist",
            "exam_day",
            None,
            {"date": day.isoformat(), "hamlet": name, "rows": len(rows), "pages": pages},
        )
    return pages, len(rows)


def print_call_list(ctx: StationSession, day: date, hamlet: str, dest: Path) -> Printed:
    """The call list of *hamlet* on *day* to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    return Printed(dest, *_call_list(ctx, day, hamlet, dest))


def call_list_document(ctx: StationSession, day: date, hamlet: str) -> PdfDocument:
    """The call list of *hamlet* on *day* in memory (for the app's print preview)."""
    data, (pages, rows) = to_memory(lambda stream: _call_list(ctx, day, hamlet, stream))
    return PdfDocument(data, pages, rows, f"Danh sách mời khám ngày {dmy(day)}")


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


def _ticket(ctx: StationSession, appointment_id: str, target: PdfTarget) -> tuple[int, int]:
    ctx.require(Perm.PRINT)
    data = ticket_data(ctx, appointment_id)
    pages = queue_ticket_pdf(target, data, station_info(ctx), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(
            s,
            "print.ticket",
            "appointment",
            data["appointment"]["id"],
            {"queue_no": data["queue_no"], "pages": pages},
        )
    return pages, data["queue_no"]


def print_ticket(ctx: StationSession, appointment_id: str, dest: Path) -> Printed:
    """Reprint the queue ticket of a checked-in appointment to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    pages, _queue_no = _ticket(ctx, appointment_id, dest)
    return Printed(dest, pages, 1)


def ticket_document(ctx: StationSession, appointment_id: str) -> PdfDocument:
    """The queue ticket of a checked-in appointment in memory, for the desk's ticket printer."""
    data, (pages, queue_no) = to_memory(lambda stream: _ticket(ctx, appointment_id, stream))
    return PdfDocument(data, pages, 1, f"Phiếu số thứ tự {queue_no}")


def _coverage(ctx: StationSession, year: int, target: PdfTarget) -> tuple[int, int]:
    ctx.require(Perm.PRINT)
    data = coverage.coverage(ctx, year)  # REPORT_READ
    pages = coverage_pdf(target, data, station_info(ctx), ctx.clock.today(), journal=ctx.paths.pending)
    people = data["totals"]["total"]
    with ctx.write() as s:
        ctx.audit(s, "print.coverage", "report", None, {"year": year, "people": people, "pages": pages})
    return pages, people


def print_coverage(ctx: StationSession, year: int, dest: Path) -> Printed:
    """The coverage report of *year* (by target group and by hamlet) to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    return Printed(dest, *_coverage(ctx, year, dest))


def coverage_document(ctx: StationSession, year: int) -> PdfDocument:
    """The coverage report of *year* in memory (for the app's print preview)."""
    data, (pages, people) = to_memory(lambda stream: _coverage(ctx, year, stream))
    return PdfDocument(data, pages, people, f"Báo cáo khám sức khỏe năm {year}")
