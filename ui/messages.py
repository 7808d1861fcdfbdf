"""Message boxes in Vietnamese, opened without a nested event loop (``open()``), and error texts."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ksk_desktop.errors import KskError
from ui.i18n import apply_button_texts

log = logging.getLogger(__name__)


def error_text(exc: BaseException) -> str:
    """The sentence to show for *exc*: the core's own Vietnamese message, or a plain one for a bug."""
    if isinstance(exc, KskError):
        return exc.message
    # Unexpected: no details on screen (they may carry personal data); the log keeps the traceback.
    log.error("unexpected error", exc_info=exc)
    return (
        f"Lỗi không mong đợi ({type(exc).__name__}). Mọi thay đổi dở dang đã được hủy; "
        "hãy báo cho bộ phận hỗ trợ."
    )


def _box(
    parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str, buttons: QMessageBox.StandardButton
) -> QMessageBox:
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    apply_button_texts(box)
    return box


def inform(parent: QWidget | None, title: str, text: str) -> QMessageBox:
    box = _box(parent, QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok)
    box.open()
    return box


def show_error(parent: QWidget | None, title: str, exc_or_text: BaseException | str) -> QMessageBox:
    text = exc_or_text if isinstance(exc_or_text, str) else error_text(exc_or_text)
    box = _box(parent, QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok)
    box.open()
    return box


def ask(
    parent: QWidget | None, title: str, text: str, on_yes: Callable[[], None], yes_text: str = "Đồng ý"
) -> QMessageBox:
    """Ask to confirm; *on_yes* runs only if the person confirms."""
    box = _box(
        parent,
        QMessageBox.Icon.Question,
        title,
        text,
        QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
    )
    box.button(QMessageBox.StandardButton.Ok).setText(yes_text)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def finished(result: int) -> None:
        if box.clickedButton() is box.button(QMessageBox.StandardButton.Ok):
            on_yes()

    box.finished.connect(finished)
    box.open()
    return box
