"""What every printed page shares: the paragraph styles, the NĐ 30/2020 header (station on the left, the national
motto on the right), the footer with the printing time and "Trang x/y", and building a story into a file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.printing.fonts import BOLD, ITALIC, REGULAR, clean, markup, register_fonts
from ksk_desktop.printing.formats import printed_at
from ksk_desktop.printing.output import PdfTarget, reportlab_target


@dataclass(frozen=True)
class StationHeader:
    """The facts a printed header needs about the station."""

    name: str
    commune_code: str
    commune_name: str

    @classmethod
    def of(cls, station: Any) -> StationHeader:
        """From the ORM ``Station`` row of ``station_info(ctx)`` or a ``{"name", "commune_code", "commune_name"}``
        dict (the commune name is looked up in the catalogue when missing)."""
        get = station.get if isinstance(station, dict) else lambda key: getattr(station, key, None)
        code = clean(get("commune_code"))
        commune = clean(get("commune_name"))
        if not commune and code:
            found = commune_by_code(code)
            commune = found.name if found else ""
        return cls(clean(get("name")), code, commune)

    @property
    def place(self) -> str:
        """The place on the dated line: the commune without its kind ("Kiến Thụy"), else the city."""
        for kind in ("Xã ", "Phường ", "Đặc khu "):
            if self.commune_name.startswith(kind):
                return self.commune_name[len(kind) :]
        return self.commune_name or "Hải Phòng"


def styles(base: float = 9) -> dict[str, ParagraphStyle]:
    """Paragraph styles in Noto Sans around a body size of *base* points."""
    register_fonts()
    lead = base * 1.25
    return {
        "body": ParagraphStyle("body", fontName=REGULAR, fontSize=base, leading=lead),
        "small": ParagraphStyle("small", fontName=REGULAR, fontSize=base - 1.5, leading=(base - 1.5) * 1.2),
        "bold": ParagraphStyle("bold", fontName=BOLD, fontSize=base, leading=lead),
        "italic": ParagraphStyle("italic", fontName=ITALIC, fontSize=base, leading=lead),
        "center": ParagraphStyle(
            "center", fontName=REGULAR, fontSize=base, leading=lead, alignment=TA_CENTER
        ),
        "center_bold": ParagraphStyle(
            "center_bold", fontName=BOLD, fontSize=base, leading=lead, alignment=TA_CENTER
        ),
        "center_italic": ParagraphStyle(
            "center_italic", fontName=ITALIC, fontSize=base, leading=lead, alignment=TA_CENTER
        ),
        "right_italic": ParagraphStyle(
            "right_italic", fontName=ITALIC, fontSize=base, leading=lead, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle(
            "title",
            fontName=BOLD,
            fontSize=base + 5,
            leading=(base + 5) * 1.25,
            alignment=TA_CENTER,
            spaceBefore=2 * mm,
            spaceAfter=1 * mm,
        ),
        "subtitle": ParagraphStyle(
            "subtitle",
            fontName=REGULAR,
            fontSize=base + 1,
            leading=(base + 1) * 1.25,
            alignment=TA_CENTER,
            spaceAfter=2 * mm,
        ),
        "heading": ParagraphStyle(
            "heading",
            fontName=BOLD,
            fontSize=base + 1,
            leading=(base + 1) * 1.3,
            alignment=TA_LEFT,
            spaceBefore=2 * mm,
            spaceAfter=1 * mm,
        ),
        "cell": ParagraphStyle("cell", fontName=REGULAR, fontSize=base, leading=lead),
        "cell_bold": ParagraphStyle("cell_bold", fontName=BOLD, fontSize=base, leading=lead),
        "cell_center": ParagraphStyle(
            "cell_center", fontName=REGULAR, fontSize=base, leading=lead, alignment=TA_CENTER
        ),
        "head_cell": ParagraphStyle(
            "head_cell", fontName=BOLD, fontSize=base, leading=lead, alignment=TA_CENTER
        ),
    }


def para(text: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain *text* (NFC, escaped)."""
    return Paragraph(markup(text), style)


def admin_header(
    station: StationHeader, width: float, st: dict[str, ParagraphStyle], *, motto: bool = True
) -> Table:
    """The NĐ 30/2020 header: commune and station (upper case) on the left, the national motto on the right."""
    commune = f"UBND {station.commune_name.upper()}" if station.commune_name else ""
    left = [
        para(commune, st["center"]),
        Paragraph(f"<u>{markup(station.name.upper())}</u>", st["center_bold"]),
    ]
    if motto:
        right = [
            para("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", st["center_bold"]),
            Paragraph("<u>Độc lập - Tự do - Hạnh phúc</u>", st["center_bold"]),
        ]
        cells, widths = [[left, right]], [width * 0.42, width * 0.58]
    else:
        cells, widths = [[left]], [width]
    table = Table(cells, colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


PLAIN = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 0.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
    ]
)

GRID: list[tuple[Any, ...]] = [  # reportlab table commands
    ("FONTNAME", (0, 0), (-1, -1), REGULAR),
    ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
]


def _numbered_canvas(footer: Callable[[Canvas, int, int], None]) -> type[Canvas]:
    """A canvas that holds its pages until the end, so each footer can say "Trang x/y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's own page reset; not in its stubs

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                footer(self, number, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


def footer_drawer(
    page_width: float, margin: float, *, left: str | None = None, numbered: bool = True
) -> Callable[[Canvas, int, int], None]:
    """The footer: the printing time (or *left*) at the left, "Trang x/y" at the right, 8 mm from the bottom."""
    left_text = clean(left if left is not None else printed_at())

    def draw(canvas: Canvas, page: int, total: int) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7.5)
        canvas.drawString(margin, 8 * mm, left_text)
        if numbered:
            canvas.drawRightString(page_width - margin, 8 * mm, f"Trang {page}/{total}")
        canvas.restoreState()

    return draw


def build(
    path: PdfTarget,
    story: list[Flowable],
    *,
    pagesize: tuple[float, float],
    margins: tuple[float, float, float, float],
    title: str,
    footer: Callable[[Canvas, int, int], None] | None = None,
) -> int:
    """Lay *story* out into *path*, a file or a buffer (margins: left, right, top, bottom); returns the number of
    pages."""
    register_fonts()
    left, right, top, bottom = margins
    doc = SimpleDocTemplate(
        reportlab_target(path),
        pagesize=pagesize,
        leftMargin=left,
        rightMargin=right,
        topMargin=top,
        bottomMargin=bottom,
        title=clean(title),
        author="KSK Desktop",
        creator="KSK Desktop",
    )
    draw = footer or footer_drawer(pagesize[0], left)
    doc.build(story, canvasmaker=_numbered_canvas(draw))
    return doc.page
