"""The print preview for slips, schedules and lists: Qt's ``QPrintPreviewDialog`` showing the core's PDF, with
"In…" (the system's print dialog: printer, copies, pages) and "Lưu PDF…" (the PDF itself, where the person
chooses). The document is made on the worker (the core reads, renders and audits the print); nothing is written
to disk unless the person saves it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog, QPrintPreviewWidget
from PySide6.QtWidgets import QDialogButtonBox, QHBoxLayout, QPushButton, QWidget

from ksk_desktop.printing.output import PdfDocument, save_document
from ui import ops
from ui.file_dialogs import ask_save_path, documents_folder, with_suffix
from ui.messages import error_text, show_error
from ui.printing.pdf_print import PdfPages, PrintError, paint, prepare
from ui.widgets import MessageLabel

SAVED_STYLE = "color: #1b6e2e;"


def ask_pdf_path(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(parent, "Lưu bản in thành tệp PDF", suggested, "Tệp PDF (*.pdf)", ".pdf")


#: Replaceable (tests): where "Lưu PDF…" saves.
choose_path: Callable[[QWidget, Path], Path | None] = ask_pdf_path


class PrintPreview(QPrintPreviewDialog):
    """The preview of one document. Deletes itself when closed; a page keeps no reference to it."""

    def __init__(self, document: PdfDocument, file_name: str, parent: QWidget | None = None) -> None:
        pages = PdfPages(document)
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        prepare(printer, pages)
        super().__init__(printer, parent)
        self.setObjectName("printPreview")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.pages, self.printer, self.file_name = pages, printer, file_name
        self.save_task: ops.Task | None = None
        self.setWindowTitle(f"Xem trước khi in — {document.job_name}")
        self.paintRequested.connect(self._paint)
        self.preview = self.findChild(QPrintPreviewWidget)

        self.print_button = QPushButton("In…", self)
        self.print_button.setObjectName("previewPrint")
        self.print_button.setDefault(True)
        self.print_button.clicked.connect(self.print_document)
        self.save_button = QPushButton("Lưu PDF…", self)
        self.save_button.setObjectName("previewSave")
        self.save_button.setAutoDefault(False)
        self.save_button.clicked.connect(self.save_pdf)
        self.message = MessageLabel(self)
        self.message.setObjectName("previewMessage")
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText("Đóng")
        close.setAutoDefault(False)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.setContentsMargins(8, 4, 8, 8)
        row.addWidget(self.message, 1)
        row.addWidget(buttons)
        layout = self.layout()
        if layout is not None:
            layout.addItem(row)
        self.finished.connect(lambda _r: self.pages.close())
        screen = (parent.screen() if parent is not None else None) or self.screen()
        room = screen.availableGeometry()
        self.resize(min(1100, int(room.width() * 0.9)), int(room.height() * 0.9))

    @property
    def page_count(self) -> int:
        """The pages the preview shows (0 until it has been drawn)."""
        return self.preview.pageCount() if self.preview is not None else 0

    def _paint(self, printer: QPrinter) -> None:
        try:
            paint(printer, self.pages)
        except PrintError as exc:
            show_error(self, "Không in được", exc)
        except OSError as exc:  # Qt's own "print to file" into a folder we may not write
            show_error(self, "Không in được", f"Không ghi được tệp: {exc.strerror or exc}.")

    def _print_action(self) -> QAction | None:
        text = QCoreApplication.translate("QPrintPreviewDialog", "Print")
        return next((a for a in self.findChildren(QAction) if a.text() == text), None)

    def print_document(self) -> None:
        """ "In…": the print dialog (printer, copies, pages), then the pages to the printer."""
        action = self._print_action()
        if action is not None:
            action.trigger()

    def save_pdf(self) -> ops.Task | None:
        """ "Lưu PDF…": the core's PDF, unchanged, where the person chooses (written on the worker)."""
        dest = choose_path(self, documents_folder() / self.file_name)
        if dest is None:
            return None
        dest = with_suffix(dest, ".pdf")
        document = self.pages.document
        self.save_button.setEnabled(False)

        def saved(_result: object) -> None:
            self.save_button.setEnabled(True)
            self.message.show_message(f"Đã lưu {dest.name} vào {dest.parent}.", SAVED_STYLE)

        def failed(exc: BaseException) -> None:
            self.save_button.setEnabled(True)
            self.message.show_message(f"Không lưu được tệp PDF: {error_text(exc)}", "color: #b3261e;")

        self.save_task = ops.run_in_background(
            lambda: save_document(document, dest), saved, failed, context=self
        )
        return self.save_task


def preview_document(parent: QWidget, make: Callable[[], PdfDocument], file_name: str) -> ops.Task:
    """Make the document on the worker (``make()`` calls the core), then open its preview over *parent*.

    The task's result is the ``PdfDocument``; the dialog is ``parent.findChild(PrintPreview)`` while open."""

    def opened(document: PdfDocument) -> None:
        try:
            dialog = PrintPreview(document, file_name, parent)
        except PrintError as exc:
            show_error(parent, "Không in được", exc)
            return
        dialog.open()

    return ops.run_in_background(
        make, opened, lambda exc: show_error(parent, "Không tạo được bản in", exc), context=parent
    )
