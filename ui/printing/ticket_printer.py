"""Queue tickets go straight to this computer's ticket printer (a small thermal or A5 printer chosen once, in
"Máy in phiếu", and remembered on this device): no dialog per ticket. When no printer has been chosen, or the one
chosen is not there any more, the person is told so in Vietnamese and offered to choose one.
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
from PySide6.QtWidgets import QMessageBox, QWidget

from ksk_desktop.printing import jobs
from ksk_desktop.printing.output import PdfDocument
from ksk_desktop.station import device
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.messages import show_error
from ui.printing.pdf_print import PdfPages, PrintError, paint, prepare


def system_printer(name: str) -> QPrinter | None:
    """The installed printer called *name*, or None when the system has no such printer now."""
    info = QPrinterInfo.printerInfo(name)
    if info.isNull():
        return None
    return QPrinter(info, QPrinter.PrinterMode.HighResolution)


def system_printer_names() -> list[str]:
    return list(QPrinterInfo.availablePrinterNames())


#: Replaceable (tests put a PDF-writing QPrinter here): the printer of a name, and the names there are.
find_printer: Callable[[str], QPrinter | None] = system_printer
printer_names: Callable[[], list[str]] = system_printer_names


def print_document(printer: QPrinter, document: PdfDocument) -> int:
    """Print *document* on *printer* at its own paper size; returns the pages printed (PrintError if not)."""
    pages = PdfPages(document)
    try:
        prepare(printer, pages)
        return paint(printer, pages)
    finally:
        pages.close()


def missing_printer_text(name: str | None) -> str:
    if not name:
        return (
            "Máy này chưa chọn máy in phiếu số thứ tự. Chọn máy in (máy in nhiệt hoặc máy in khổ A5) một lần, "
            "các phiếu sau sẽ in thẳng ra máy đó."
        )
    return (
        f"Không thấy máy in phiếu “{name}” trên máy này: máy in đã tắt, rút cáp hay đổi tên? "
        "Bật lại máy in rồi in lại, hoặc chọn máy in khác."
    )


class TicketPrinter:
    """Prints the tickets of one desk. *choose* opens the "Máy in phiếu" setting (then calls back with the
    settings saved, or None if the person closed it); *declined* is told when the person chose not to."""

    def __init__(
        self,
        parent: QWidget,
        choose: Callable[[Callable[[device.DeviceSettings | None], None]], None],
        declined: Callable[[], None] | None = None,
    ) -> None:
        self.parent = parent
        self.choose = choose
        self.declined = declined
        self.task: ops.Task | None = None
        self.printed: list[int] = []  # pages of each ticket printed (tests and the status line read it)
        self.question: QMessageBox | None = None

    def print_ticket(self, ctx: StationSession, checkin: dict) -> ops.Task | None:
        """Make the ticket of *checkin* (``CheckIn.to_json()``) on the worker and print it on this device's
        ticket printer; without one, ask to choose it first. Returns the task making the ticket, if started."""
        name = device.load(ctx.paths).ticket_printer
        if not name or find_printer(name) is None:
            self._ask_to_choose(ctx, checkin, name)
            return None
        appointment_id = checkin["appointment"]["id"]
        self.task = ops.run_in_background(
            lambda: jobs.ticket_document(ctx, appointment_id),
            lambda document: self._print(ctx, checkin, name, document),
            lambda exc: show_error(self.parent, "Không in được phiếu số thứ tự", exc),
            context=self.parent,
        )
        return self.task

    def _print(self, ctx: StationSession, checkin: dict, name: str, document: PdfDocument) -> None:
        printer = find_printer(name)
        if printer is None:  # unplugged while the ticket was made
            self._ask_to_choose(ctx, checkin, name)
            return
        try:
            self.printed.append(print_document(printer, document))
        except (PrintError, OSError) as exc:
            show_error(
                self.parent, "Không in được phiếu số thứ tự", exc if isinstance(exc, PrintError) else str(exc)
            )

    def _ask_to_choose(self, ctx: StationSession, checkin: dict, name: str | None) -> None:
        if self.question is not None and shiboken6.isValid(self.question) and self.question.isVisible():
            return  # already asking (a second check-in while the question is open)
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Chưa in được phiếu số thứ tự",
            missing_printer_text(name),
            QMessageBox.StandardButton.NoButton,
            self.parent,
        )
        box.setObjectName("ticketPrinterMissing")
        choose = box.addButton("Chọn máy in…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Để sau", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(choose)

        def answered(_result: int) -> None:
            self.question = None
            if box.clickedButton() is not choose:
                if self.declined is not None:
                    self.declined()
                return

            def chosen(settings: device.DeviceSettings | None) -> None:
                if settings is not None and settings.ticket_printer:
                    self.print_ticket(ctx, checkin)  # the ticket that was waiting
                elif self.declined is not None:
                    self.declined()

            self.choose(chosen)

        box.finished.connect(answered)
        box.finished.connect(box.deleteLater)
        self.question = box
        box.open()
