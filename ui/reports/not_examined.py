"""The people not yet examined this year behind one coverage figure (a hamlet, a group, both, or everyone), in
a lazy table: the core gives pages of them, each with the day and time booked if they have one."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ksk_desktop.scheduling import coverage
from ksk_desktop.session import StationSession

from ..i18n import format_date, format_number
from ..messages import error_text
from ..person_text import SEX_LABELS, birth_text
from ..schedule.table import RowsTable
from ..widgets import ErrorLabel, heading

PAGE_SIZE = 500
MAX_PAGES = 8
COLUMNS = ("STT", "Họ và tên", "Ngày sinh", "Giới", "Số định danh", "Thôn/Tổ", "Nhóm", "Điện thoại", "Lịch hẹn")
_Index = QModelIndex | QPersistentModelIndex


def booked_text(row: dict) -> str:
    if not row.get("booked_date"):
        return "Chưa có lịch"
    return f"{format_date(date.fromisoformat(row['booked_date']))} {row.get('booked_start') or ''}".strip()


def cell_text(n: int, row: dict, column: int) -> str:
    values = (str(n + 1), row["name"], birth_text(row.get("dob"), row.get("birth_year")),
              SEX_LABELS.get(row.get("sex") or "", ""), row.get("personal_id") or "",
              row.get("hamlet") or coverage.NO_HAMLET_LABEL, row.get("group") or "", row.get("phone") or "",
              booked_text(row))
    return values[column]


class NotExaminedModel(QAbstractTableModel):
    def __init__(self, session: StationSession, year: int, hamlet: str | None, group: str | None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.year, self.hamlet, self.group = session, year, hamlet, group
        self._pages: OrderedDict[int, list[dict]] = OrderedDict()
        first = self._fetch(0)
        self.total = first["total"]
        self._pages[0] = first["rows"]
        self.error: str | None = None

    def _fetch(self, number: int) -> dict:
        return coverage.not_examined(self.session, self.year, hamlet=self.hamlet, group=self.group,
                                     offset=number * PAGE_SIZE, limit=PAGE_SIZE)

    def row_data(self, row: int) -> dict | None:
        if not 0 <= row < self.total:
            return None
        number = row // PAGE_SIZE
        rows = self._pages.get(number)
        if rows is None:
            try:
                rows = self._fetch(number)["rows"]
            except Exception as exc:  # painting goes on with empty cells; the dialog shows why
                self.error = error_text(exc)
                return None
            self._pages[number] = rows
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
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

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    # RowsTable asks for whole rows
    def row(self, index: int) -> dict | None:
        return self.row_data(index)


class NotExaminedDialog(QDialog):
    def __init__(self, session: StationSession, year: int, hamlet: str | None, group: str | None, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Chưa khám năm {year} — {title}")
        layout = QVBoxLayout(self)
        self.error_label = ErrorLabel(self)
        self.model: NotExaminedModel | None = None
        try:
            self.model = NotExaminedModel(session, year, hamlet, group, self)
        except Exception as exc:
            self.error_label.show_message(error_text(exc))
        n = self.model.total if self.model else 0
        self.count_label = heading(f"{title}: {format_number(n)} người chưa khám năm {year}", 2, self)
        layout.addWidget(self.count_label)
        if self.model is not None:
            self.table = RowsTable(self.model, self)  # type: ignore[arg-type]
            self.table.setObjectName("notExaminedTable")
            for column, width in enumerate((60, 220, 95, 50, 120, 150, 50, 110)):
                self.table.setColumnWidth(column, width)
            layout.addWidget(self.table, 1)
        layout.addWidget(self.error_label)
        row = QHBoxLayout()
        row.addStretch(1)
        close = QPushButton("Đóng", self)
        close.clicked.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.resize(1100, 640)
