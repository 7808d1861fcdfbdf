"""The recovery key on an A5 sheet, to keep in the station's safe: made in memory only (the first-run dialog shows
it in the print preview; nothing is written to disk unless the person saves it), in the bundled monospace face
so that no character of the key can be misread."""

from __future__ import annotations

import io
import threading
from datetime import datetime
from typing import BinaryIO

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from ksk_desktop.printing.fonts import BOLD, REGULAR, clean, markup, register_fonts
from ksk_desktop.printing.formats import printed_at
from ksk_desktop.printing.output import PdfDocument, to_memory
from ksk_desktop.printing.page import styles
from ksk_desktop.resources import resource

MONO = "JetBrainsMono"
MARGIN = 14 * mm
#: The printer's queue (which others may see) names neither the station nor what the sheet is.
JOB_NAME = "KSK Desktop"
_mono_lock = threading.Lock()

ADVICE = (
    "Khóa này mở được toàn bộ dữ liệu của trạm và mọi bản sao lưu khi quên hết mật khẩu, hoặc khi khôi phục "
    "dữ liệu trên máy khác. Cất tờ giấy này trong tủ có khóa của trạm.",
    "Không chụp ảnh, không lưu trên máy tính, không gửi qua tin nhắn hay thư điện tử.",
    "Khi dùng: nhập đủ 30 ký tự; dấu gạch ngang có hay không đều được. Chữ số 0 và chữ O, số 1 và chữ I không "
    "dùng trong khóa.",
)


def _register_mono() -> None:
    with _mono_lock:
        if MONO not in pdfmetrics.getRegisteredFontNames():
            data = resource("fonts", "JetBrainsMono-Regular.ttf").read_bytes()
            pdfmetrics.registerFont(TTFont(MONO, io.BytesIO(data)))


def _render(out: BinaryIO, recovery_key: str, station: str, now: datetime | None) -> int:
    register_fonts()
    _register_mono()
    width, height = A5
    canvas = Canvas(out, pagesize=A5)
    canvas.setTitle("KSK Desktop")
    canvas.setAuthor("KSK Desktop")
    text_width = width - 2 * MARGIN
    sheet = styles(10)
    y = height - MARGIN

    def draw(text: str, style_name: str, gap: float = 3 * mm) -> None:
        nonlocal y
        para = Paragraph(text, sheet[style_name])
        _, h = para.wrap(text_width, height)
        y -= h
        para.drawOn(canvas, MARGIN, y)
        y -= gap

    canvas.setFont(BOLD, 15)
    canvas.drawCentredString(width / 2, y - 15, clean("KHÓA KHÔI PHỤC DỮ LIỆU TRẠM"))
    y -= 15 + 4 * mm
    if station.strip():
        canvas.setFont(REGULAR, 11)
        canvas.drawCentredString(width / 2, y - 11, clean(station.strip()))
        y -= 11 + 6 * mm

    groups = recovery_key.split("-")
    lines = ["-".join(groups[:3]), "-".join(groups[3:])] if len(groups) == 6 else [recovery_key]
    box_h = len(lines) * 24 + 10 * mm
    y -= box_h
    canvas.setLineWidth(1.2)
    canvas.roundRect(MARGIN, y, text_width, box_h, 4 * mm)
    canvas.setFont(MONO, 20)
    line_y = y + box_h - 5 * mm - 20
    for line in lines:
        canvas.drawCentredString(width / 2, line_y, line)
        line_y -= 24
    y -= 8 * mm

    for advice in ADVICE:
        draw(markup(f"• {advice}"), "body")
    y -= 4 * mm
    canvas.setFont(REGULAR, 10)
    for label in ("Người in:", "Người giữ khóa:", "Nơi cất:"):
        canvas.drawString(MARGIN, y - 10, clean(label))
        canvas.setDash(1, 2)
        canvas.line(MARGIN + 32 * mm, y - 11, width - MARGIN, y - 11)
        canvas.setDash()
        y -= 9 * mm
    canvas.setFont(REGULAR, 8)
    canvas.drawString(MARGIN, MARGIN / 2, clean(printed_at(now)))
    canvas.showPage()
    canvas.save()
    return 1


def recovery_key_document(recovery_key: str, station: str = "", now: datetime | None = None) -> PdfDocument:
    """The A5 sheet for *recovery_key* (``XXXXX-XXXXX-…``) of the station named *station*, in memory."""
    data, pages = to_memory(lambda out: _render(out, recovery_key, station, now))
    return PdfDocument(data=data, pages=pages, rows=0, job_name=JOB_NAME)
