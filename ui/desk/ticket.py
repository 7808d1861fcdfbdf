"""The queue ticket of a check-in, through the printing module (``queue_ticket_pdf``) and the app's PDF output
(``ui.pdf_output.save_pdf``). Both belong to the printing work; until they are installed the desk hides its
ticket button rather than print something of its own."""

from __future__ import annotations

import importlib
import importlib.util

from PySide6.QtWidgets import QWidget

from ksk_desktop.session import StationSession
from ksk_desktop.station import station_info


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def printing_available() -> bool:
    if not (_has("ksk_desktop.printing.ticket_pdf") and _has("ui.pdf_output")):
        return False
    module = importlib.import_module("ksk_desktop.printing.ticket_pdf")
    return hasattr(module, "queue_ticket_pdf") and hasattr(importlib.import_module("ui.pdf_output"), "save_pdf")


def ticket_name(checkin: dict) -> str:
    return f"phieu-so-thu-tu-{checkin['queue_no']}-{checkin['appointment']['date']}.pdf"


def print_ticket(parent: QWidget, ctx: StationSession, checkin: dict) -> None:
    """Write the ticket of *checkin* (``CheckIn.to_json()``) where the person chooses, then open/print it."""
    from ksk_desktop.printing.ticket_pdf import queue_ticket_pdf

    from ..pdf_output import save_pdf

    station = station_info(ctx)
    save_pdf(parent, ticket_name(checkin), lambda path: queue_ticket_pdf(path, checkin, station))
