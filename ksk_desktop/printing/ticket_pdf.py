"""The queue ticket handed out at check-in: an 80 mm receipt with the big queue number, the name, the slot, the
site and date, and the appointment's Code128 running down its right edge (a full id does not fit across 72 mm
of printable width at a scannable module size, so it stands on its side)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from ksk_desktop.people.persons import sex_label
from ksk_desktop.printing.codes import LabelledCode128
from ksk_desktop.printing.fonts import BOLD, REGULAR, clean, markup, register_fonts
from ksk_desktop.printing.formats import birth, dmy, printed_at
from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import StationHeader

WIDTH = 80 * mm
MARGIN = 4 * mm
BAR_HEIGHT = 10 * mm


def _style(name: str, size: float, font: str = REGULAR) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.2, alignment=TA_CENTER)


def _render(out: BinaryIO, checkin: dict, station: StationHeader) -> int:
    register_fonts()
    appt, person = checkin["appointment"], checkin["person"]
    code = LabelledCode128(appt["id"], height=BAR_HEIGHT, font_size=6)
    height = code.width + 2 * MARGIN
    text_width = WIDTH - 2 * MARGIN - code.height - 2 * mm
    canvas = Canvas(out, pagesize=(WIDTH, height))
    canvas.setTitle(clean(f"Phiếu số thứ tự {checkin['queue_no']}"))
    canvas.setAuthor("KSK Desktop")
    facts = " · ".join(
        x for x in (birth(person.get("dob"), person.get("birth_year")), sex_label(person.get("sex"))) if x
    )
    blocks = [
        (markup(station.name.upper()), _style("station", 8, BOLD)),
        ("SỐ THỨ TỰ KHÁM", _style("label", 9)),
        (markup(checkin["queue_no"]), _style("queue", 46, BOLD)),
        (markup(person.get("name") or appt.get("name")), _style("name", 12, BOLD)),
        (markup(facts), _style("facts", 9)),
        (markup(f"Ca khám {appt['start']} – {appt['end']}"), _style("slot", 11, BOLD)),
        (markup(f"Ngày {dmy(appt['date'])}"), _style("date", 10)),
        (markup(appt.get("site_name")), _style("site", 9)),
        (markup(printed_at()), _style("printed", 6.5)),
    ]
    y = height - MARGIN
    for text, style in blocks:
        para = Paragraph(text, style)
        _, h = para.wrap(text_width, height)
        y -= h + 1.2 * mm
        para.drawOn(canvas, MARGIN, y)
    # The barcode stands on its side along the right edge, reading upwards.
    canvas.saveState()
    canvas.translate(WIDTH - MARGIN, MARGIN)
    canvas.rotate(90)
    code.drawOn(canvas, 0, 0)
    canvas.restoreState()
    canvas.showPage()
    canvas.save()
    return 1


def queue_ticket_pdf(path: PdfTarget, checkin: dict, station: Any, *, journal: Path | None = None) -> int:
    """Write the queue ticket of ``CheckIn.to_json()`` to *path* (atomically); returns the number of pages (1)."""
    header = StationHeader.of(station)
    return write_pdf(path, lambda out: _render(out, checkin, header), journal=journal)
