"""A page for a function not built yet: says so plainly and what it will do. Shows no data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QVBoxLayout, QWidget

from ksk_desktop.session import StationSession
from ui.widgets import heading, paragraph

NOT_YET = "Chức năng này chưa có trong phiên bản này."

#: What each future page will do, one sentence each.
PLANNED: dict[str, str] = {
}


class PlaceholderPage(QWidget):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.description = PLANNED[title]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.addWidget(heading(title, 1))
        box = QFrame(self)
        box.setObjectName("placeholderNote")
        box.setStyleSheet("QFrame#placeholderNote { background: #f1f4f8; border: 1px solid #d5dbe3; "
                          "border-radius: 8px; }")
        inner = QVBoxLayout(box)
        inner.setContentsMargins(20, 16, 20, 16)
        self.not_yet_label = heading(NOT_YET, 2, box)
        self.not_yet_label.setWordWrap(True)
        self.description_label = paragraph(self.description, box)
        inner.addWidget(self.not_yet_label)
        inner.addWidget(self.description_label)
        layout.addWidget(box)
        layout.addStretch(1)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)

    def text(self) -> str:
        return f"{self.not_yet_label.text()} {self.description_label.text()}"

    def set_session(self, session: StationSession | None) -> None:
        """Nothing to show yet, so nothing to refresh."""
