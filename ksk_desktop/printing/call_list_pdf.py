"""The call list of one hamlet for its head (trưởng thôn): who is expected on the date, at what time and where,
with their phone number and a box to tick once they have been told (A4 portrait)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, Spacer

from ksk_desktop.errors import NotFound
from ksk_desktop.printing.fonts import clean, markup
from ksk_desktop.printing.formats import birth, dmy
from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import GRID, StationHeader, admin_header, build, para, styles
from ksk_desktop.scheduling.day_schedule import DaySchedule
from ksk_desktop.text import collation_key, fold, sort_key

MARGINS = (20 * mm, 15 * mm, 12 * mm, 16 * mm)
NO_HAMLET = "(chưa ghi thôn)"


def natural_order(name: str) -> list:
    """Hamlets in Vietnamese order with their numbers as numbers: Thôn 2 before Thôn 10."""
    return [int(part) if part.isdigit() else collation_key(part) for part in re.split(r"(\d+)", name)]


def hamlet_rows(schedule: DaySchedule) -> dict[str, list[dict]]:
    """The day's appointments grouped by hamlet (people with none under :data:`NO_HAMLET`), each group sorted by
    slot time, then by name in Vietnamese order (given name first)."""
    out: dict[str, list[dict]] = {}
    for day in schedule.days:
        for slot in day.slots:
            for a in slot.appointments:
                out.setdefault(clean(a.get("hamlet")) or NO_HAMLET, []).append(
                    {**a, "site_name": day.site_name}
                )
    for rows in out.values():
        rows.sort(key=lambda a: (a["start"], sort_key(a["name"]), a["appointment_id"]))
    return out


def pick_hamlet(schedule: DaySchedule, hamlet: str) -> tuple[str, list[dict]]:
    """The hamlet named *hamlet* (accents, case and spacing do not matter) and its rows; :class:`NotFound` naming
    the hamlets that do have appointments that day otherwise."""
    groups = hamlet_rows(schedule)
    wanted = fold(clean(hamlet))
    for name, rows in groups.items():
        if fold(name) == wanted:
            return name, rows
    known = ", ".join(sorted(groups, key=natural_order)) or "không có thôn nào"
    raise NotFound(
        f"Ngày {dmy(schedule.date)} không có ai ở “{clean(hamlet)}” có lịch khám. Các thôn / tổ dân "
        f"phố có lịch hôm đó: {known}."
    )


def call_list_pdf(
    path: PdfTarget, schedule: DaySchedule, hamlet: str, station: Any, *, journal: Path | None = None
) -> int:
    """Write the call list of *hamlet* on the schedule's date to *path* (atomically); returns the number of pages."""
    name, rows = pick_hamlet(schedule, hamlet)
    header = StationHeader.of(station)
    st = styles(10)
    width = A4[0] - MARGINS[0] - MARGINS[1]
    sites = {a["site_name"] for a in rows}
    story = [
        admin_header(header, width, st),
        Spacer(1, 4 * mm),
        para("DANH SÁCH MỜI KHÁM SỨC KHỎE", st["title"]),
        para(f"{name} — ngày {dmy(schedule.date)}", st["subtitle"]),
    ]
    if len(sites) == 1:
        story.append(
            para(
                f"Địa điểm khám: {next(iter(sites))}. Đề nghị mang theo căn cước công dân hoặc thẻ BHYT.",
                st["body"],
            )
        )
    else:
        story.append(
            para(
                "Đề nghị mang theo căn cước công dân hoặc thẻ BHYT; địa điểm khám ghi ở từng dòng.",
                st["body"],
            )
        )
    story.append(Spacer(1, 3 * mm))
    head = ["TT", "Giờ khám", "Họ và tên", "Ngày sinh", "Điện thoại", "Đã báo", "Ghi chú"]
    table_rows: list[list[Any]] = [[Paragraph(h, st["head_cell"]) for h in head]]
    for n, a in enumerate(rows, start=1):
        who = markup(a["name"])
        if len(sites) > 1:
            who += f"<br/><font size={st['small'].fontSize}>{markup(a['site_name'])}</font>"
        table_rows.append(
            [
                str(n),
                f"{a['start']}–{a['end']}",
                Paragraph(who, st["cell"]),
                birth(a.get("dob"), a.get("birth_year")),
                clean(a.get("phone")),
                "",
                "",
            ]
        )
    widths = [10 * mm, 24 * mm, None, 22 * mm, 25 * mm, 14 * mm, 28 * mm]
    widths[2] = width - sum(w for w in widths if w)
    table = LongTable(table_rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        list(GRID)
        + [
            ("FONTSIZE", (0, 0), (-1, -1), st["cell"].fontSize),
            ("ALIGN", (0, 1), (1, -1), "CENTER"),
            ("ALIGN", (3, 1), (3, -1), "CENTER"),
            ("TOPPADDING", (0, 1), (-1, -1), 4),
            ("BOTTOMPADDING", (0, 1), (-1, -1), 4),
        ]
    )
    story += [table, Spacer(1, 4 * mm), para(f"Tổng cộng: {len(rows)} người.", st["bold"]), Spacer(1, 6 * mm)]
    sign = LongTable(
        [
            [para("TRƯỞNG THÔN / TỔ TRƯỞNG", st["center_bold"]), para("TRƯỞNG TRẠM", st["center_bold"])],
            [
                para("(ký, ghi rõ họ tên)", st["center_italic"]),
                para("(ký, ghi rõ họ tên)", st["center_italic"]),
            ],
        ],
        colWidths=[width / 2, width / 2],
    )
    story.append(sign)
    title = f"Danh sách mời khám {name} ngày {dmy(schedule.date)}"
    return write_pdf(
        path, lambda out: build(out, story, pagesize=A4, margins=MARGINS, title=title), journal=journal
    )
