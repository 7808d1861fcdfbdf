"""The queue ticket of a check-in, through the printing module's audited job (``printing.jobs.print_ticket``:
permission, the ticket PDF, an audit event) and the app's PDF output (``ui.pdf_output.save_pdf``: where to save,
atomic write, Vietnamese errors, open in the viewer that prints it)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ksk_desktop.printing import jobs
from ksk_desktop.station.session import StationSession
from ui import ops, pdf_output


def ticket_name(checkin: dict) -> str:
    return f"phieu-so-thu-tu-{checkin['queue_no']}-{checkin['appointment']['date']}.pdf"


def print_ticket(parent: QWidget, ctx: StationSession, checkin: dict) -> ops.Task | None:
    """Write the ticket of *checkin* (``CheckIn.to_json()``) where the person chooses, in the background, and
    open it; the task (its ``result`` is the saved path), or None if cancelled (a failure is shown)."""
    appointment_id = checkin["appointment"]["id"]
    return pdf_output.save_pdf(
        parent, ticket_name(checkin), lambda tmp: jobs.print_ticket(ctx, appointment_id, tmp)
    )
