"""Putting a PDF the core made (a ``PdfDocument``, in memory) on paper through Qt's printing.

**How.** The page is drawn by QtPdf — Google's PDFium inside Qt, shipped in PySide6-Addons, which the app already
needs for the webcam and serial scanners — so no new dependency and no temporary file: the bytes stay in a
``QBuffer``. Each page is rasterised at the printer's resolution (capped at 300 dpi, which a thermal ticket
printer's 203 dpi and an office laser's 300–600 dpi both take without visible loss) and painted at its true
size: the same way Chrome and most PDF viewers print a PDF. pypdfium2 would render with the same PDFium, but as
one more wheel to ship; Qt's own ``QPainter`` cannot replay a PDF's vector drawing, and neither can any renderer
on PyPI, so a raster is what every route gives. Where the printer is Qt's "Print to File (PDF)", it gets the
core's PDF itself, byte for byte: vector, searchable, exactly what ``ksk print …`` writes.

**Size.** The printer is set to the PDF's own page size and orientation (A4, A5, landscape A4, the 80 mm
ticket) with no margins of its own (the PDF has them). On smaller paper a page is shrunk to fit; on larger paper
it keeps its size (an 80 mm ticket is not blown up to A5), at the top, centred.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPaintEngine, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from ksk_desktop.errors import KskError
from ksk_desktop.fsio import atomic_write_bytes
from ksk_desktop.printing.output import PdfDocument

PRINT_DPI = 300  # most a page is rendered at for paper
PREVIEW_DPI = 120  # for the on-screen preview: sharp at 100 % zoom, light on memory for a 20-page schedule


class PrintError(KskError):
    """A document could not be put on the printer (in Vietnamese, ready to show)."""


class PdfPages:
    """A ``PdfDocument`` opened for drawing, from memory."""

    def __init__(self, document: PdfDocument) -> None:
        self.document = document
        self._buffer = QBuffer()
        self._buffer.setData(QByteArray(document.data))
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.pdf = QPdfDocument()
        self.pdf.load(self._buffer)
        if self.pdf.status() != QPdfDocument.Status.Ready or self.pdf.pageCount() < 1:
            raise PrintError("Không đọc được bản in vừa tạo (tệp PDF hỏng): hãy thử in lại.")

    @property
    def count(self) -> int:
        return self.pdf.pageCount()

    def points(self, page: int = 0) -> QSizeF:
        """The size of *page* (0-based) in points (1/72 inch)."""
        return self.pdf.pagePointSize(page)

    def render(self, page: int, dpi: float) -> QImage:
        """*page* (0-based) as an image at *dpi*, on white."""
        size = self.points(page)
        pixels = QSize(max(1, round(size.width() * dpi / 72)), max(1, round(size.height() * dpi / 72)))
        rendered = self.pdf.render(page, pixels)  # transparent where the page is blank
        image = QImage(rendered.size(), QImage.Format.Format_RGB888)  # no alpha: a quarter less memory
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.drawImage(0, 0, rendered)
        painter.end()
        return image

    def close(self) -> None:
        self.pdf.close()
        self._buffer.close()


def page_layout(pages: PdfPages) -> QPageLayout:
    """The first page's paper (a standard size when it is one) and orientation, with no margins."""
    size = pages.points(0)
    landscape = size.width() > size.height()
    portrait_size = QSizeF(size.height(), size.width()) if landscape else size
    page_size = QPageSize(portrait_size, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    orientation = QPageLayout.Orientation.Landscape if landscape else QPageLayout.Orientation.Portrait
    return QPageLayout(page_size, orientation, QMarginsF(0, 0, 0, 0))


def prepare(printer: QPrinter, pages: PdfPages) -> None:
    """Give *printer* the document's paper, orientation and job name (which names no one)."""
    printer.setDocName(pages.document.job_name)
    printer.setFullPage(True)
    # A printer that does not take the size (a roll printer with fixed forms) keeps its own paper: the page is
    # then shrunk to fit it, or placed at the top.
    printer.setPageLayout(page_layout(pages))


def writes_pdf_file(printer: QPrinter) -> bool:
    """Qt's "Print to File (PDF)" of every page: then the core's PDF itself is the best output."""
    return (
        printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
        and bool(printer.outputFileName())
        and printer.printRange() == QPrinter.PrintRange.AllPages
    )


def page_range(printer: QPrinter, count: int) -> range:
    """The 0-based pages to print: the range asked for in the print dialog, else all of them."""
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first, last = printer.fromPage(), printer.toPage() or count
        return range(max(0, first - 1), min(count, last))
    return range(count)


def paint(printer: QPrinter, pages: PdfPages) -> int:
    """Put *pages* on *printer* (a real printer, Qt's PDF output or the preview); returns the pages printed."""
    if writes_pdf_file(printer):
        atomic_write_bytes(Path(printer.outputFileName()), pages.document.data)
        return pages.count
    painter = QPainter()
    if not painter.begin(printer):
        name = printer.printerName() or "đã chọn"
        raise PrintError(
            f"Máy in “{name}” không nhận lệnh in: kiểm tra máy in đã bật, còn giấy và đã nối với máy tính."
        )
    engine = painter.paintEngine()
    preview = engine is not None and engine.type() == QPaintEngine.Type.Picture  # QPrintPreviewWidget records
    dpi = PREVIEW_DPI if preview else min(PRINT_DPI, max(printer.resolution(), 72))
    printed = 0
    try:
        for i, page in enumerate(page_range(printer, pages.count)):
            if i and not printer.newPage():
                raise PrintError("Máy in dừng giữa chừng: kiểm tra giấy rồi in lại.")
            painter.drawImage(_place(printer, pages.points(page)), pages.render(page, dpi))
            printed += 1
    finally:
        painter.end()
    return printed


def _place(printer: QPrinter, points: QSizeF) -> QRectF:
    """Where a page of *points* goes on the printer's page (device pixels): its true size, shrunk to fit."""
    natural = QSizeF(
        points.width() * printer.logicalDpiX() / 72, points.height() * printer.logicalDpiY() / 72
    )
    room = QSizeF(printer.width(), printer.height())
    scale = min(1.0, room.width() / natural.width(), room.height() / natural.height())
    size = natural * scale
    return QRectF((room.width() - size.width()) / 2, 0, size.width(), size.height())
