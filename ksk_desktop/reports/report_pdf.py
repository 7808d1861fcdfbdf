"""A report as the PDF a Sở Y tế files (A4 landscape): the administrative header, title, unit, period, the
tables, the footnotes, the place and date and the signature blocks ("Người lập biểu", "Trưởng trạm")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, LongTable, Paragraph, Spacer, Table

from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import GRID, PLAIN, StationHeader, admin_header, build, para, styles
from ksk_desktop.reports.layout import Layout, TableSpec, number

MARGINS = (15 * mm, 15 * mm, 12 * mm, 14 * mm)
PAGE = landscape(A4)


def _table(spec: TableSpec, width: float, st: dict) -> LongTable:
    head = [Paragraph(h, st["head_cell"]) for h in spec.columns]
    body: list[list[Any]] = []
    last = len(spec.rows) - 1
    for i, row in enumerate(spec.rows):
        bold = spec.total_row and i == last
        label = f"<b>{row[1]}</b>" if bold else str(row[1])
        body.append([number(row[0]), Paragraph(label, st["cell"]), *(number(v) for v in row[2:])])
    widths = [w * width for w in spec.widths] if spec.widths else None
    table = LongTable([head, *body], colWidths=widths, repeatRows=1)
    style = [
        *GRID,
        ("FONTSIZE", (0, 0), (-1, -1), st["cell"].fontSize),
        ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
    ]
    if spec.total_row:
        style.append(("FONTNAME", (2, -1), (-1, -1), st["bold"].fontName))
    table.setStyle(style)
    return table


def write(path: PdfTarget, lay: Layout, station: Any, *, journal: Path | None = None) -> int:
    """Write the report laid out in *lay* for *station* (a ``{"name", "commune_code", "commune_name"}``) to
    *path*; returns the number of pages."""
    header = StationHeader.of(station)
    st = styles(9)
    width = PAGE[0] - MARGINS[0] - MARGINS[1]
    story: list[Flowable] = [
        admin_header(header, width, st),
        Spacer(1, 4 * mm),
        para(lay.title, st["title"]),
        para(lay.subtitle, st["subtitle"]),
        para(lay.unit, st["body"]),
        para(lay.period, st["body"]),
    ]
    for spec in lay.tables:
        story += [para(spec.heading, st["heading"]), _table(spec, width, st)]
    story += [Spacer(1, 3 * mm), para("Ghi chú:", st["heading"])]
    story += [para(f"({i}) {note}", st["small"]) for i, note in enumerate(lay.footnotes, start=1)]
    story.append(Spacer(1, 5 * mm))
    sign = Table(
        [
            ["", para(lay.place_date, st["center_italic"])],
            [para("NGƯỜI LẬP BIỂU", st["center_bold"]), para("TRƯỞNG TRẠM", st["center_bold"])],
            [
                para("(ký, ghi rõ họ tên)", st["center_italic"]),
                para("(ký, ghi rõ họ tên, đóng dấu)", st["center_italic"]),
            ],
        ],
        colWidths=[width / 2, width / 2],
    )
    sign.setStyle(PLAIN)
    story.append(sign)
    return write_pdf(
        path,
        lambda out: build(out, story, pagesize=PAGE, margins=MARGINS, title=lay.file_title),
        journal=journal,
    )
