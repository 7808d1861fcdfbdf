"""The app's printing with real Qt parts (``ui.printing``): the core's PDFs made in memory, put on a real
``QPrinter`` writing a PDF file and read back with pdftotext and pdfinfo; the page drawn by QtPdf compared, pixel
by pixel, with the PDF it came from; the print preview with its page count, "Lưu PDF…" and its failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMarginsF, QRect
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from test_printing_schedule import pdf_pages, pdftotext
from test_printing_slips import STATION, exam, person, slip

from ksk_desktop.errors import NotFound
from ksk_desktop.printing import result_slips_pdf
from ksk_desktop.printing.output import PdfDocument, to_memory
from ui import ops
from ui.printing import preview as preview_module
from ui.printing.pdf_print import PdfPages, paint, prepare
from ui.printing.preview import PrintPreview, preview_document
from ui.printing.ticket_printer import print_document

NAMES = ("Nguyễn Thị Hường", "Trần Văn Bình", "Lê Thị Cúc")


def slips_document(count: int = 1) -> PdfDocument:
    """*count* slips of different people (the first is Nguyễn Thị Hường), one page each."""
    slips = [{**slip(), "person": person(NAMES[i])} for i in range(count)]
    slips[1:] = [{**s, "exam": exam(advice="Tái khám sau ba tháng.", referrals=[])} for s in slips[1:]]
    data, pages = to_memory(lambda stream: result_slips_pdf(stream, slips, STATION))
    return PdfDocument(data, pages, count, "Phiếu kết quả khám sức khỏe")


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def page_size_mm(path: Path) -> tuple[float, float]:
    import subprocess

    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    line = next(x for x in info.splitlines() if x.startswith("Page size:"))
    w, h = (float(v) for v in line.split()[2:5:2])  # "Page size: 419.528 x 595.276 pts (A5)"
    return w * 25.4 / 72, h * 25.4 / 72


def ink_box(image: QImage) -> QRect:
    """The bounding box of what is not white on *image*."""
    left, top, right, bottom = image.width(), image.height(), -1, -1
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            if QColor(image.pixel(x, y)).lightness() < 128:
                left, top, right, bottom = min(left, x), min(top, y), max(right, x), max(bottom, y)
    return QRect(left, top, right - left + 1, bottom - top + 1)


def difference(a: QImage, b: QImage) -> float:
    """Mean difference of lightness, 0–255, between two images of the same size (every 3rd pixel)."""
    assert a.size() == b.size()
    total = n = 0
    for y in range(0, a.height(), 3):
        for x in range(0, a.width(), 3):
            total += abs(QColor(a.pixel(x, y)).lightness() - QColor(b.pixel(x, y)).lightness())
            n += 1
    return total / n


@pytest.fixture
def parent(qtbot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def boxes() -> list[QMessageBox]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_a_printer_writing_a_pdf_gets_the_core_pdf_itself(qapp, tmp_path):
    document = slips_document()
    out = tmp_path / "in-ra.pdf"
    assert print_document(pdf_printer(out), document) == 1
    assert out.read_bytes() == document.data  # byte for byte: vector, searchable
    text = pdftotext(out)
    assert "PHIẾU KẾT QUẢ KHÁM SỨC KHỎE" in text and "Nguyễn Thị Hường" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in-ra.pdf"]  # no temporary file left


def marked_pages() -> PdfDocument:
    """Three A5 pages, each with a black block at its own place: a page printed in the wrong place, at the wrong
    scale or from the wrong page shows at once."""
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    def render(stream) -> int:  # noqa: ANN001 - a binary stream
        canvas = Canvas(stream, pagesize=A5)
        for i in range(3):
            canvas.rect((15 + 35 * i) * mm, (140 - 40 * i) * mm, 30 * mm, (20 + 10 * i) * mm, fill=1)
            canvas.drawString(15 * mm, 20 * mm, f"Trang {i + 1}")
            canvas.showPage()
        canvas.save()
        return 3

    data, pages = to_memory(render)
    return PdfDocument(data, pages, 0, "Thử")


def raster_print(document: PdfDocument, out: Path, first: int, last: int) -> PdfPages:
    """Print pages *first*–*last* (1-based) of *document* the way a real printer gets them; the output, opened."""
    printer = pdf_printer(out)
    pages = PdfPages(document)
    prepare(printer, pages)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)  # Qt's PDF printer then draws like a real one
    printer.setFromTo(first, last)
    assert paint(printer, pages) == last - first + 1
    pages.close()
    assert out.read_bytes() != document.data and pdf_pages(out) == last - first + 1
    return PdfPages(PdfDocument(out.read_bytes(), last - first + 1, 0, "x"))


def test_a_real_printer_gets_each_page_drawn_as_the_pdf_shows_it(qapp, tmp_path):
    """The raster path (what a USB printer gets): the right pages, at their place and true size, A5 paper."""
    document = marked_pages()
    printed = raster_print(document, tmp_path / "trang.pdf", 2, 3)
    w, h = page_size_mm(tmp_path / "trang.pdf")
    assert abs(w - 148) < 1 and abs(h - 210) < 1  # A5, as the document
    original = PdfPages(document)
    boxes_in = [ink_box(original.render(i, 60)) for i in range(3)]
    boxes_out = [ink_box(printed.render(i, 60)) for i in range(2)]
    for got, want in zip(boxes_out, boxes_in[1:], strict=True):
        assert all(abs(a - b) <= 2 for a, b in zip(got.getRect(), want.getRect(), strict=True)), (got, want)
    assert boxes_out[0] != boxes_in[0] and boxes_out[0] != boxes_in[2]
    original.close()
    printed.close()

    slips = slips_document(2)  # and a real slip: the same picture as its PDF
    printed = raster_print(slips, tmp_path / "phieu.pdf", 1, 1)
    original = PdfPages(slips)
    mine, theirs = printed.render(0, 60), original.render(0, 60)
    assert difference(mine, theirs) < 6
    own, got = ink_box(theirs), ink_box(mine)
    assert all(abs(a - b) <= 3 for a, b in zip(got.getRect(), own.getRect(), strict=True)), (got, own)
    original.close()
    printed.close()


def test_a_small_page_keeps_its_size_on_larger_paper(qapp, tmp_path):
    """An A5 slip on a printer that only has A4: printed at its true size at the top, not blown up."""
    document = slips_document()
    out = tmp_path / "a4.pdf"
    printer = pdf_printer(out)
    printer.setFullPage(True)
    printer.setPageLayout(
        QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait, QMarginsF())
    )
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(1, 1)
    pages = PdfPages(document)
    assert paint(printer, pages) == 1
    w, h = page_size_mm(out)
    assert abs(w - 210) < 1 and abs(h - 297) < 1
    out_pages = PdfPages(PdfDocument(out.read_bytes(), 1, 0, "x"))
    a4 = out_pages.render(0, 50)  # 50 dpi: 413 × 585 px
    slip_alone = pages.render(0, 50)
    box, own = ink_box(a4), ink_box(slip_alone)
    assert abs(box.width() - own.width()) <= 4  # true size (A4 is 1.41× wider: scaling up would show)
    assert box.bottom() < a4.height() * 0.75  # at the top
    assert abs((box.left() + box.right()) / 2 - a4.width() / 2) < 0.1 * a4.width()  # centred
    pages.close()
    out_pages.close()


def test_the_preview_shows_every_page_and_saves_the_pdf(qtbot, parent, monkeypatch, tmp_path):
    document = slips_document(3)
    asked: list[Path] = []

    def choose(_parent: QWidget, suggested: Path) -> Path:
        asked.append(suggested)
        return tmp_path / "phieu-ket-qua"  # typed without .pdf

    monkeypatch.setattr(preview_module, "choose_path", choose)
    task = preview_document(parent, lambda: document, "phieu-ket-qua-2026-11-20.pdf")
    qtbot.waitUntil(lambda: parent.findChild(PrintPreview) is not None, timeout=10_000)
    assert task.done and task.result is document
    dialog = parent.findChild(PrintPreview)
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.page_count == 3, timeout=10_000)
    assert dialog.print_button.text() == "In…" and dialog.save_button.text() == "Lưu PDF…"
    assert "Phiếu kết quả" in dialog.windowTitle()
    save = dialog.save_pdf()
    qtbot.waitUntil(lambda: save.done, timeout=10_000)
    assert asked[0].name == "phieu-ket-qua-2026-11-20.pdf"
    saved = tmp_path / "phieu-ket-qua.pdf"
    assert saved.read_bytes() == document.data and pdf_pages(saved) == 3
    assert dialog.message.text().startswith("Đã lưu phieu-ket-qua.pdf")
    monkeypatch.setattr(preview_module, "choose_path", lambda _p, _s: None)
    assert dialog.save_pdf() is None  # cancelled: nothing written
    monkeypatch.setattr(preview_module, "choose_path", lambda _p, _s: tmp_path / "khong-co" / "x.pdf")
    failed = dialog.save_pdf()
    qtbot.waitUntil(lambda: failed.done, timeout=10_000)
    assert "không tồn tại" in dialog.message.text() and dialog.save_button.isEnabled()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["phieu-ket-qua.pdf"]
    dialog.reject()
    qtbot.waitUntil(lambda: parent.findChild(PrintPreview) is None, timeout=5_000)  # it deletes itself


def test_a_document_that_cannot_be_made_is_explained(qtbot, parent):
    def make() -> PdfDocument:
        raise NotFound("Ngày 26/11/2026 không có ngày khám nào: không có lịch để in.")

    task = preview_document(parent, make, "x.pdf")
    qtbot.waitUntil(lambda: bool(boxes()), timeout=10_000)
    assert task.done and isinstance(task.error, NotFound)
    (box,) = boxes()
    assert box.windowTitle() == "Không tạo được bản in" and "không có ngày khám nào" in box.text()
    box.close()
    assert parent.findChild(PrintPreview) is None
    assert ops.pending_count() == 0


def save_from_preview(qtbot, parent: QWidget, dest: Path, monkeypatch) -> int:
    """For the pages' tests: wait for the print preview over *parent*, save its PDF to *dest* with "Lưu PDF…",
    check the preview showed every page of it, close it; returns the page count."""
    qtbot.waitUntil(lambda: parent.findChild(PrintPreview) is not None, timeout=15_000)
    dialog = parent.findChild(PrintPreview)
    monkeypatch.setattr(preview_module, "choose_path", lambda _p, _s: dest)
    save = dialog.save_pdf()
    qtbot.waitUntil(lambda: save.done and dialog.page_count > 0, timeout=15_000)
    pages = pdf_pages(dest)
    assert dialog.page_count == pages
    dialog.reject()
    qtbot.waitUntil(lambda: parent.findChild(PrintPreview) is None, timeout=5_000)
    return pages
