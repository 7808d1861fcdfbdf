"""The people not yet examined this year behind one coverage figure (a hamlet, a group, both, or everyone), in
a lazy table: the core gives pages of them, each with the day and time booked if they have one."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ksk_desktop.people.persons import sex_label
from ksk_desktop.scheduling import coverage
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.i18n import format_date, format_number
from ui.messages import error_text
from ui.people.person_text import birth_text
from ui.schedule.table import RowsTable
from ui.widgets import ErrorLabel, heading

PAGE_SIZE = 500
MAX_PAGES = 8
COLUMNS = (
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Giới",
    "Số định danh",
    "Thôn/Tổ",
    "Nhóm",
    "Điện thoại",
    "Lịch hẹn",
)
_Index = QModelIndex | QPersistentModelIndex


def booked_text(row: dict) -> str:
    if not row.get("booked_date"):
        return "Chưa có lịch"
    return f"{format_date(date.fromisoformat(row['booked_date']))} {row.get('booked_start') or ''}".strip()


def cell_text(n: int, row: dict, column: int) -> str:
    values = (
        str(n + 1),
        row["name"],
        birth_text(row.get("dob"), row.get("birth_year")),
        sex_label(row.get("sex")),
        row.get("personal_id") or "",
        row.get("hamlet") or coverage.NO_HAMLET_LABEL,
        row.get("group") or "",
        row.get("phone") or "",
        booked_text(row),
    )
    return values[column]


class NotExaminedModel(QAbstractTableModel):
    """Pages are read on the worker thread (on 100,000 people a page far down the list takes seconds): a row not
    read yet shows "…" until its page arrives, and the window never freezes."""

    counted = Signal()  # the first page and the total have arrived (or failed: see ``error``)
    page_loaded = Signal(int)

    def __init__(
        self,
        session: StationSession,
        year: int,
        hamlet: str | None,
        group: str | None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.session, self.year, self.hamlet, self.group = session, year, hamlet, group
        self.total = 0
        self.ready = False
        self.error: str | None = None
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._pending: set[int] = set()
        self._request(0)

    def _request(self, number: int) -> None:
        if number in self._pending:
            return
        self._pending.add(number)
        ctx, year, hamlet, group = self.session, self.year, self.hamlet, self.group
        ops.run_in_background(
            lambda: coverage.not_examined(
                ctx, year, hamlet=hamlet, group=group, offset=number * PAGE_SIZE, limit=PAGE_SIZE
            ),
            lambda data: self._arrived(number, data),
            lambda exc: self._failed(number, exc),
            context=self,
        )

    def _arrived(self, number: int, data: dict) -> None:
        self._pending.discard(number)
        self._pages[number] = data["rows"]
        while len(self._pages) > MAX_PAGES:
            self._pages.popitem(last=False)
        if not self.ready:
            self.beginResetModel()
            self.total, self.ready = data["total"], True
            self.endResetModel()
            self.counted.emit()
        else:
            first = number * PAGE_SIZE
            last = min(self.total, first + PAGE_SIZE) - 1
            if last >= first:
                self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
        self.page_loaded.emit(number)

    def _failed(self, number: int, exc: BaseException) -> None:
        self._pending.discard(number)
        self.error = error_text(exc)
        if not self.ready:
            self.ready = True
            self.counted.emit()

    def is_loaded(self, row: int) -> bool:
        return row // PAGE_SIZE in self._pages

    def row_data(self, row: int) -> dict | None:
        """The row if its page is here; otherwise ``None`` and the page is asked for."""
        if not 0 <= row < self.total:
            return None
        number = row // PAGE_SIZE
        rows = self._pages.get(number)
        if rows is None:
            if self.error is None:
                self._request(number)
            return None
        self._pages.move_to_end(number)
        offset = row % PAGE_SIZE
        return rows[offset] if offset < len(rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self.total

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        row = self.row_data(index.row())
        return cell_text(index.row(), row, index.column()) if row else "…"

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    # RowsTable asks for whole rows
    def row(self, index: int) -> dict | None:
        return self.row_data(index)


class NotExaminedDialog(QDialog):
    def __init__(
        self,
        session: StationSession,
        year: int,
        hamlet: str | None,
        group: str | None,
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Chưa khám năm {year} — {title}")
        self.title, self.year = title, year
        layout = QVBoxLayout(self)
        self.count_label = heading(f"{title}: đang đếm…", 2, self)
        layout.addWidget(self.count_label)
        self.model = NotExaminedModel(session, year, hamlet, group, self)
        self.model.counted.connect(self._counted)
        self.table = RowsTable(self.model, self)  # type: ignore[arg-type]
        self.table.setObjectName("notExaminedTable")
        for column, width in enumerate((60, 220, 95, 50, 120, 150, 50, 110)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        row = QHBoxLayout()
        row.addStretch(1)
        close = QPushButton("Đóng", self)
        close.clicked.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.resize(1100, 640)

    def _counted(self) -> None:
        if self.model.error:
            self.error_label.show_message(self.model.error)
        self.count_label.setText(
            f"{self.title}: {format_number(self.model.total)} người chưa khám năm {self.year}"
        )
