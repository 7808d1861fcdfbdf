"""The foot of a Quản trị settings panel: its save button on the left, and under it the line that says what saving
did (or why it could not)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui.widgets import MessageLabel


def add_save_row(
    parent: QWidget, layout: QVBoxLayout, text: str, on_save: Callable[[], object], result_name: str
) -> tuple[QPushButton, MessageLabel]:
    """Add the save button (*text*, clicking runs *on_save*) and the result line (object name *result_name*) to
    *layout*; returns both."""
    row = QHBoxLayout()
    button = QPushButton(text, parent)
    button.clicked.connect(on_save)
    row.addWidget(button)
    row.addStretch(1)
    layout.addLayout(row)
    result = MessageLabel(parent)
    result.setObjectName(result_name)
    layout.addWidget(result)
    return button, result
