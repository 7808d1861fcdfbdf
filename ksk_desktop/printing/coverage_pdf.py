"""The coverage report of a year (A4 portrait): people managed, examined, the rate, and those not examined yet
(booked or not) by target group and by hamlet, with the totals — the figures ``coverage.coverage`` computes and
the Báo cáo page shows, on paper for the station head to sign."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, LongTable, Paragraph, Spacer, Table

from ksk_desktop.people.persons import target_group_labels
from ksk_desktop.printing.call_list_pdf import natural_order
from ksk_desktop.printing.formats import dmy, place_date
from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import GRID, PLAIN, StationHeader, admin_header, build, para, styles

MARGINS = (18 * mm, 15 * mm, 12 * mm, 16 * mm)
HEAD = ["Số người", "Đã khám", "Tỷ lệ (%)", "Chưa khám", "– đã có lịch", "– chưa có lịch"]
NUMBERS = ("total", "examined", "rate", "not_examined", "booked", "not_booked")


def _n(value: Any) -> str:
    """``12345`` → ``12.345``; a rate ``87.5`` → ``87,5``."""
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return f"{value:,}".replace(",", ".")


def _table(first: str, rows: list[tuple[str, dict]], totals: dict, width: float, st: dict) -> LongTable:
    head = [Paragraph(h, st["head_cell"]) for h in [first, *HEAD]]
    body: list[list[Any]] = [
        [Paragraph(label, st["cell"]), *(_n(r[k]) for k in NUMBERS)] for label, r in rows
    ]
    body.append([Paragraph("<b>Tổng cộng</b>", st["cell"]), *(_n(totals[k]) for k in NUMBERS)])
    widths = [None, 20 * mm, 20 * mm, 20 * mm, 21 * mm, 21 * mm, 23 * mm]
    widths[0] = width - sum(w for w in widths if w)
    table = LongTable([head, *body], colWidths=widths, repeatRows=1)
    table.setStyle(
        [
            *GRID,
            ("FONTSIZE", (0, 0), (-1, -1), st["cell"].fontSize),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
            ("FONTNAME", (1, -1), (-1, -1), st["bold"].fontName),
        ]
    )
    return table


def coverage_pdf(
    path: PdfTarget, data: dict, station: Any, as_of: date, *, journal: Path | None = None
) -> int:
    """Write the coverage report of ``coverage.coverage(ctx, year)`` (figures as of *as_of*) to *path*;
    returns the number of pages."""
    header = StationHeader.of(station)
    st = styles(9)
    width = A4[0] - MARGINS[0] - MARGINS[1]
    labels = target_group_labels()
    year, totals = data["year"], data["totals"]
    groups = [
        (f"Nhóm {r['group']}: {labels[r['group']]}" if r["group"] in labels else r["group_label"], r)
        for r in data["by_group"]
    ]
    hamlets = [  # Thôn 2 before Thôn 10; the people with no hamlet last
        (r["hamlet_label"], r)
        for r in sorted(
            data["by_hamlet"], key=lambda r: (r["hamlet"] is None, natural_order(r["hamlet"] or ""))
        )
    ]
    story: list[Flowable] = [
        admin_header(header, width, st),
        Spacer(1, 5 * mm),
        para(f"BÁO CÁO KẾT QUẢ KHÁM SỨC KHỎE ĐỊNH KỲ NĂM {year}", st["title"]),
        para(f"Số liệu đến ngày {dmy(as_of)}", st["subtitle"]),
        para(
            f"Tổng số người dân do trạm quản lý: {_n(totals['total'])}; đã khám: {_n(totals['examined'])} "
            f"({_n(totals['rate'])}%); chưa khám: {_n(totals['not_examined'])}, trong đó "
            f"{_n(totals['booked'])} người đã có lịch khám.",
            st["body"],
        ),
        para("I. Theo nhóm đối tượng", st["heading"]),
        _table("Nhóm đối tượng", groups, totals, width, st),
        para("II. Theo thôn / tổ dân phố", st["heading"]),
        _table("Thôn / tổ dân phố", hamlets, totals, width, st),
        Spacer(1, 3 * mm),
        para(
            "“Đã có lịch”: chưa khám nhưng đã được hẹn ngày khám. Người chưa ghi thôn hoặc chưa phân nhóm có "
            "dòng riêng: không ai bị bỏ sót.",
            st["small"],
        ),
        Spacer(1, 6 * mm),
    ]
    sign = Table(
        [
            [
                para("NGƯỜI LẬP BIỂU", st["center_bold"]),
                para(place_date(header.place, as_of), st["center_italic"]),
            ],
            [para("(ký, ghi rõ họ tên)", st["center_italic"]), para("TRƯỞNG TRẠM", st["center_bold"])],
            ["", para("(ký, ghi rõ họ tên, đóng dấu)", st["center_italic"])],
        ],
        colWidths=[width / 2, width / 2],
    )
    sign.setStyle(PLAIN)
    story.append(sign)
    title = f"Báo cáo khám sức khỏe năm {year}"
    return write_pdf(
        path, lambda out: build(out, story, pagesize=A4, margins=MARGINS, title=title), journal=journal
    )
