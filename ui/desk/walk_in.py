"""A stranger at the desk: register them from their card with the scan dialog (the same form, checks and
consent as anywhere else in the app), then hand their new id back so they can be taken as a walk-in."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from ksk_desktop.station.session import StationSession
from ui.dialog_owner import DialogOwner
from ui.people.registration_dialog import ScanResultDialog

#: Dialog states in which the card's holder is on the station's list.
REGISTERED = ("created", "existing", "saved", "differences")


def register_stranger(
    ctx: StationSession,
    payload: str,
    parent: QWidget,
    on_done: Callable[[str | None], None],
    owner: DialogOwner,
) -> ScanResultDialog:
    """Open the registration dialog for *payload* as *owner*'s ``"walk-in"``; when it closes,
    ``on_done(person id or None)``."""
    dialog = ScanResultDialog(ctx, payload, parent)
    dialog.setWindowTitle("Đăng ký người khám ngoài lịch — KSK Desktop")

    def finished(done: ScanResultDialog, _result: int) -> None:
        reg = done.registration
        on_done(reg.person_id if reg is not None and done.state in REGISTERED else None)

    return owner.open("walk-in", dialog, finished)
