"""The exam form's sections as a list on the left and one page on the right: fourteen sections read as a list,
where a row of fourteen tabs needed scroll arrows on a laptop screen.

It answers the part of ``QTabWidget``'s interface the form uses (``addTab``, ``tabText``, ``setCurrentIndex``,
``currentChanged``…), so the form is built the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

LIST_WIDTH = 170

LIST_STYLE = """
QListWidget#sectionList { background: #f5f7fa; border: 1px solid #d5dbe3; border-radius: 4px; outline: 0; }
QListWidget#sectionList::item { padding: 5px 8px; }
QListWidget#sectionList::item:selected { background: #1a5fb4; color: white; }
"""


class SectionPages(QWidget):
    currentChanged = Signal(int)  # noqa: N815 - QTabWidget's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(8)
        self.list = QListWidget(self)
        self.list.setObjectName("sectionList")
        self.list.setStyleSheet(LIST_STYLE)
        self.list.setFixedWidth(LIST_WIDTH)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget(self)
        row.addWidget(self.list)
        row.addWidget(self.stack, 1)
        self.list.hide()  # until there are sections (no empty box before an exam is open)
        self.list.currentRowChanged.connect(self._row_changed)

    # -- QTabWidget's interface, as the form uses it ---------------------------------------------------------------
    def addTab(self, page: QWidget, title: str) -> int:  # noqa: N802
        item = QListWidgetItem(title)
        item.setSizeHint(QSize(0, self.fontMetrics().height() + 12))
        self.list.addItem(item)
        self.list.show()
        return self.stack.addWidget(page)

    def setTabToolTip(self, index: int, text: str) -> None:  # noqa: N802
        item = self.list.item(index)
        if item is not None:
            item.setToolTip(f"{item.text()} — {text}")

    def tabText(self, index: int) -> str:  # noqa: N802
        item = self.list.item(index)
        return item.text() if item is not None else ""

    def count(self) -> int:
        return self.stack.count()

    def widget(self, index: int) -> QWidget | None:
        return self.stack.widget(index)

    def removeTab(self, index: int) -> None:  # noqa: N802
        page = self.stack.widget(index)
        if page is not None:
            self.stack.removeWidget(page)
        self.list.takeItem(index)
        self.list.setVisible(self.list.count() > 0)

    def currentIndex(self) -> int:  # noqa: N802
        return self.list.currentRow()

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        return self.stack.currentWidget()

    def setCurrentIndex(self, index: int) -> None:  # noqa: N802
        if index != self.list.currentRow():
            self.list.setCurrentRow(index)
        else:
            self.stack.setCurrentIndex(index)

    def _row_changed(self, row: int) -> None:
        if 0 <= row < self.stack.count():
            self.stack.setCurrentIndex(row)
        self.currentChanged.emit(row)


def scrolling(page: QWidget) -> QScrollArea:
    """*page* in a frameless scroll area (a section's page never sets the form's minimum size)."""
    scroll = QScrollArea(page.parentWidget())
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(page)
    return scroll
