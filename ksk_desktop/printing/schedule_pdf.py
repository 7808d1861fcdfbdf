"""The day schedule (A4 landscape): for each site open that day, its slots in order and, in each slot, one row
per appointment with a scannable Code128 of the appointment id."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, LongTable, PageBreak, Paragraph, Spacer

from ksk_desktop.people.persons import sex_label
from ksk_desktop.printing.codes import code128, code128_width
from ksk_desktop.printing.fonts import clean, markup
from ksk_desktop.printing.formats import birth, dmy, group_label
from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import GRID, StationHeader, admin_header, build, para, styles
from ksk_desktop.scheduling.day_schedule import DaySchedule, ScheduledDay

PAGE = landscape(A4)
MARGINS = (12 * mm, 10 * mm, 10 * mm, 14 * mm)
WIDEST_ID = (
    "abcdefab-cdef-abcd-efab-cdefabcdefab"  # letters only: no digit pairs packed, the widest a UUID prints
)
_SLOT_FILL = colors.Color(0.93, 0.95, 0.98)
_QUIET_STATUSES = ("scheduled", "notified")  # the expected states: nothing to add beside the name


def _columns(width: float) -> list[float]:
    code = code128_width(WIDEST_ID) + 2 * mm
    fixed = [8 * mm, 9 * mm, None, 19 * mm, 10 * mm, 30 * mm, 30 * mm, 22 * mm, code]
    name = width - sum(w for w in fixed if w)
    return [w if w else name for w in fixed]


@lru_cache(maxsize=256)
def _lines(text: str, width: float, style: ParagraphStyle) -> str:
    """*text* broken into lines that fit *width* (cell padding allowed for), as one plain cell string."""
    return "\n".join(simpleSplit(text, style.fontName, style.fontSize, width - 5))


def _fit(value: Any, width: float, style: ParagraphStyle) -> Any:
    """A plain string when it fits on one line, else a wrapping paragraph."""
    if not isinstance(value, str) or stringWidth(value, style.fontName, style.fontSize) <= width - 5:
        return value
    return Paragraph(markup(value), style)


def _site_story(
    day: ScheduledDay, date_iso: str, station: StationHeader, width: float, st: dict
) -> list[Flowable]:
    story: list[Flowable] = [
        admin_header(station, width, st),
        Spacer(1, 3 * mm),
        para("LỊCH KHÁM SỨC KHỎE", st["title"]),
        para(f"Ngày {dmy(date_iso)} — {day.site_name}", st["subtitle"]),
    ]
    facts = f"Đã hẹn {day.booked}/{day.capacity} người, {len(day.slots)} ca"
    if day.opening_hours:
        facts += f" ({day.opening_hours})"
    if day.team_note:
        facts += f". Đội khám: {day.team_note}"
    story += [para(facts + ".", st["body"]), Spacer(1, 2 * mm)]

    head = [
        "TT",
        "Số",
        "Họ và tên",
        "Ngày sinh",
        "Giới",
        "Thôn / tổ dân phố",
        "Nhóm đối tượng",
        "Điện thoại",
        "Mã lịch hẹn (quét để tiếp đón)",
    ]
    rows: list[list[Any]] = [[Paragraph(h, st["head_cell"]) for h in head]]
    style = list(GRID) + [
        ("FONTSIZE", (0, 0), (-1, -1), st["cell"].fontSize),
        ("ALIGN", (0, 1), (1, -1), "CENTER"),
        ("ALIGN", (3, 1), (4, -1), "CENTER"),
        ("ALIGN", (8, 1), (8, -1), "CENTER"),
    ]
    widths = _columns(width)
    style.append(("FONTSIZE", (6, 1), (6, -1), st["small"].fontSize))
    style.append(("LEADING", (6, 1), (6, -1), st["small"].leading))
    n = 0
    for slot in day.slots:
        r = len(rows)
        label = f"Ca {slot.start} – {slot.end}: đã hẹn {slot.booked}/{slot.capacity} người"
        if not slot.appointments:
            label += " (chưa có người hẹn)"
        rows.append([Paragraph(f"<b>{markup(label)}</b>", st["cell"])] + [""] * 8)
        style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), _SLOT_FILL)]
        for a in slot.appointments:
            n += 1
            name: Any = clean(a["name"])
            if a.get("status") not in _QUIET_STATUSES and a.get("status_label"):
                name = Paragraph(
                    f"{markup(name)}<br/><font size={st['small'].fontSize}><i>"
                    f"{markup(a['status_label'])}</i></font>",
                    st["cell"],
                )
            # Plain strings where they fit (a Paragraph per cell is most of the build time of a 400-row day).
            rows.append(
                [
                    str(n),
                    clean(a.get("queue_no") or ""),
                    _fit(name, widths[2], st["cell"]),
                    birth(a.get("dob"), a.get("birth_year")),
                    sex_label(a.get("sex")),
                    _fit(clean(a.get("hamlet")), widths[5], st["cell"]),
                    _lines(group_label(a.get("group")), widths[6], st["small"]),
                    clean(a.get("phone")),
                    code128(a["appointment_id"]),
                ]
            )
    table = LongTable(rows, colWidths=widths, repeatRows=1)
    table.setStyle(style)
    story.append(table)
    return story


def day_schedule_pdf(
    path: PdfTarget, schedule: DaySchedule, station: Any, *, journal: Path | None = None
) -> int:
    """Write the day schedule of ``day_schedule(...)`` to *path* (atomically); returns the number of pages.

    One section per site, each starting on a new page; the table header repeats on every page."""
    header = StationHeader.of(station)
    st = styles(8.5)
    width = PAGE[0] - MARGINS[0] - MARGINS[1]
    story: list[Flowable] = []
    for i, day in enumerate(schedule.days):
        if i:
            story.append(PageBreak())
        story += _site_story(day, schedule.date, header, width, st)
    if not story:
        story = [
            admin_header(header, width, st),
            para("LỊCH KHÁM SỨC KHỎE", st["title"]),
            para(f"Ngày {dmy(schedule.date)}: không có ngày khám nào.", st["subtitle"]),
        ]
    title = f"Lịch khám sức khỏe ngày {dmy(schedule.date)}"
    return write_pdf(
        path, lambda out: build(out, story, pagesize=PAGE, margins=MARGINS, title=title), journal=journal
    )


def schedule_rows(schedule: DaySchedule) -> int:
    """How many appointment rows the day schedule prints."""
    return sum(len(slot.appointments) for day in schedule.days for slot in day.slots)
