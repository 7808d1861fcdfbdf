"""A stranger at the desk: register them from their card with the scan dialog (the same form, checks and
consent as anywhere else in the app), then hand their new id back so they can be taken as a walk-in."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ksk_desktop.station.session import StationSession
from ui.people.registration_dialog import ScanResultDialog

#: Dialog states in which the card's holder is on the station's list.
REGISTERED = ("created", "existing", "saved", "differences")


def register_stranger(
    ctx: StationSession, payload: str, parent: QWidget, on_done: Callable[[str | None], None]
) -> ScanResultDialog:
    """Open the registration dialog for *payload*; when it closes, ``on_done(person id or None)``."""
    dialog = ScanResultDialog(ctx, payload, parent)
    dialog.setWindowTitle("Đăng ký người khám ngoài lịch — KSK Desktop")

    def finished(_result: int) -> None:
        reg = dialog.registration
        person_id = reg.person_id if reg is not None and dialog.state in REGISTERED else None
        dialog.deleteLater()
        on_done(person_id)

    dialog.finished.connect(finished)
    dialog.open()
    return dialog
