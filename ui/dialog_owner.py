"""The dialogs a page opens with ``open()`` (window-modal or modeless), owned so that nothing calls a deleted one.

A finished dialog is deleted (``deleteLater``), and Qt deletes it too with its parent. A page that kept a plain
Python reference and later asked it ``isVisible()`` raised ``RuntimeError: Internal C++ object already deleted``:
on the second scan, the second person card, and in the middle of a lock (the page never forgot its data). An
owner holds at most one dialog per kind, forgets it as soon as it finishes or is destroyed, never hands out a
deleted one (``shiboken6.isValid``), and closes them all when the station is locked or left. Every dialog it
opens is kept on the screen (``ui.screen_fit``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QDialog

from ui.screen_fit import fit_to_screen

log = logging.getLogger(__name__)

D = TypeVar("D", bound=QDialog)


def alive(dialog: QDialog | None) -> bool:
    """*dialog* still exists on the C++ side (it may be hidden)."""
    return dialog is not None and shiboken6.isValid(dialog)


def close_dialog(dialog: QDialog, closer: Callable[[QDialog], None] | None = None) -> None:
    """Close *dialog* now, whatever it is doing: with *closer* if given (e.g. cancel its long work first), else
    ``done(Rejected)`` — which a dialog's own ``reject()`` may refuse while busy, but a lock may not wait."""
    if not alive(dialog) or not dialog.isVisible():
        return
    if closer is not None:
        closer(dialog)
    else:
        dialog.done(QDialog.DialogCode.Rejected)


class DialogOwner:
    """At most one open dialog per kind (``"card"``, ``"scan"``…), each deleted when it finishes."""

    def __init__(self) -> None:
        self._dialogs: dict[str, QDialog] = {}
        self._closers: dict[str, Callable[[QDialog], None]] = {}

    def get(self, kind: str) -> QDialog | None:
        """The open dialog of *kind*, or None (never one that finished or was deleted)."""
        dialog = self._dialogs.get(kind)
        if dialog is not None and not alive(dialog):
            del self._dialogs[kind]
            return None
        return dialog

    def is_open(self, kind: str) -> bool:
        dialog = self.get(kind)
        return dialog is not None and dialog.isVisible()

    def kinds(self) -> list[str]:
        """The kinds with an open dialog."""
        return [kind for kind in list(self._dialogs) if self.get(kind) is not None]

    def open(
        self,
        kind: str,
        dialog: D,
        on_finished: Callable[[D, int], None] | None = None,
        closer: Callable[[D], None] | None = None,
    ) -> D:
        """Show *dialog* (``open()``) as the one of *kind*, closing the previous one; it is forgotten when it
        finishes (after *on_finished(dialog, result)*) and deleted then. *closer* closes it at a lock (default:
        ``done(Rejected)``)."""
        self.adopt(kind, dialog, on_finished, closer)
        fit_to_screen(dialog)
        dialog.open()
        return dialog

    def adopt(
        self,
        kind: str,
        dialog: D,
        on_finished: Callable[[D, int], None] | None = None,
        closer: Callable[[D], None] | None = None,
    ) -> D:
        """Own *dialog*, already opened by someone else (e.g. ``ui.messages.ask``), as :meth:`open` would."""
        if self.get(kind) is not dialog:
            self.close(kind)
        self._dialogs[kind] = dialog
        if closer is not None:
            self._closers[kind] = closer  # type: ignore[assignment]
        else:
            self._closers.pop(kind, None)

        def finished(result: int) -> None:
            self._forget(kind, dialog)
            try:
                if on_finished is not None:
                    on_finished(dialog, result)
            finally:
                dialog.deleteLater()

        dialog.finished.connect(finished)
        # Deleted without finishing (its parent went first): forget it all the same. The slot must not touch it.
        dialog.destroyed.connect(lambda *_args: self._forget(kind, dialog))
        return dialog

    def close(self, kind: str) -> None:
        """Close the dialog of *kind*, if one is open."""
        dialog = self.get(kind)
        self._dialogs.pop(kind, None)
        closer = self._closers.pop(kind, None)
        if dialog is None:
            return
        if dialog.isVisible():
            close_dialog(dialog, closer)
        else:  # hidden without finishing: nobody will show it again
            dialog.deleteLater()

    def close_all(self) -> None:
        """Close every open dialog (the station is being locked or left); one that fails does not stop the rest."""
        for kind in list(self._dialogs):
            try:
                self.close(kind)
            except Exception:
                log.exception("a dialog failed to close; the others are closed all the same")

    def _forget(self, kind: str, dialog: QDialog) -> None:
        if self._dialogs.get(kind) is dialog:
            del self._dialogs[kind]
            self._closers.pop(kind, None)
