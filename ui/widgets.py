"""Small shared widgets: the red error line, headings, read-only value labels, password fields."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFrame, QLabel, QLineEdit, QWidget

ERROR_STYLE = "color: #b3261e;"
OK_STYLE = "color: #1b6e2e;"
MUTED_STYLE = "color: #5f6368;"


class MessageLabel(QLabel):
    """A word-wrapped line that is hidden while empty, so it takes no room until there is something to say."""

    def __init__(self, parent: QWidget | None = None, style: str = "") -> None:
        super().__init__(parent)
        self.setStyleSheet(style)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str, style: str | None = None) -> None:
        if style is not None:
            self.setStyleSheet(style)
        self.setText(text)
        self.setVisible(bool(text))
        window = self.window()
        if text and isinstance(window, QDialog) and window.isVisible():
            fit_height(window)

    def clear_message(self) -> None:
        self.show_message("")


class ErrorLabel(MessageLabel):
    """A red message line (objectName ``errorLabel``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, ERROR_STYLE)
        self.setObjectName("errorLabel")


def fit_height(window: QWidget) -> None:
    """Grow a window so word-wrapped labels are not cut off (Qt sizes windows without height-for-width)."""
    layout = window.layout()
    if layout is None or window.isMaximized() or window.isFullScreen():
        return
    layout.activate()
    width = window.width()
    needed = (
        layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.totalSizeHint().height()
    )
    if needed > window.height():
        window.resize(width, needed)


def heading(text: str, level: int = 1, parent: QWidget | None = None) -> QLabel:
    """A bold title; level 1 for a page, 2 for a section."""
    label = QLabel(text, parent)
    font = label.font()
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * (1.5 if level == 1 else 1.15))
    label.setFont(font)
    return label


def paragraph(text: str, parent: QWidget | None = None, muted: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if muted:
        label.setStyleSheet(MUTED_STYLE)
    return label


def password_edit(placeholder: str = "", parent: QWidget | None = None) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


def separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line
