"""A main-window page that reads its data when it is first shown, and again when an operation changed what it
shows — at once if it is on screen, else the next time it is shown. A page that is never opened never queries.

Subclasses set ``cares`` (the :class:`ui.changes.Changes` they show), implement ``session_changed`` (reset the
widgets for the new session or for none — no database work there) and ``reload`` (start reading in the
background, through ``ui.ops``). The dialogs a page opens go through its ``dialogs`` owner
(:class:`ui.dialog_owner.DialogOwner`): they are closed before the page gets another session or none.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QWidget

from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.dialog_owner import DialogOwner


class LazyPage(QWidget):
    cares: Changes = Changes.NONE

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.stale = True  # what is on screen may be out of date: read again when shown
        self.loads = 0  # how many times the page started reading (tests, measurements)
        self.dialogs = DialogOwner()  # the dialogs this page opened, closed at a lock
        ops.hub().changed.connect(self._on_changes)

    # -- for subclasses ------------------------------------------------------------------------------------
    def session_changed(self, session: StationSession | None) -> None:
        """Reset the widgets for *session* (None: locked, forget everything). No database work here."""

    def reload(self, changes: Changes) -> None:
        """Read (in the background) what the page shows; *changes* says what changed (everything at first)."""

    def close_dialogs(self) -> None:
        """Close every dialog the page opened (the station is being locked or left); pages with dialogs owned
        by their parts close those too."""
        self.dialogs.close_all()

    # -- machinery --------------------------------------------------------------------------------------------
    def set_session(self, session: StationSession | None) -> None:
        self.close_dialogs()  # none of them may outlive the session it was opened with
        self.session = session
        self.stale = True
        self.session_changed(session)
        if session is not None and self.isVisible():
            self.load_now()

    def load_now(self, changes: Changes | None = None) -> None:
        if self.session is None:
            return
        self.stale = False
        self.loads += 1
        self.reload(Changes.everything() if changes is None else changes)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self.stale and self.session is not None:
            self.load_now()

    def _on_changes(self, changes: Changes) -> None:
        if self.session is None or not (changes & self.cares):
            return
        if self.isVisible():
            self.loads += 1
            self.reload(changes & self.cares)
        else:
            self.stale = True
