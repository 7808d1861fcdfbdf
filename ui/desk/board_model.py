"""The day's board as a table model: queue number, slot, name, birth year, hamlet, group, status; filtered by
status. A day holds a few hundred people, so the rows are kept whole and replaced at each refresh."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from ksk_desktop.people.persons import target_group_labels

COLUMNS = ("Số TT", "Ca khám", "Họ và tên", "Năm sinh", "Thôn/Tổ", "Nhóm", "Trạng thái")
QUEUE, SLOT, NAME, BIRTH, HAMLET, GROUP, STATUS = range(len(COLUMNS))

#: Filter choices: label → board columns shown (None: all).
FILTERS: dict[str, tuple[str, ...] | None] = {
    "Tất cả": None,
    "Chưa đến": ("expected",),
    "Đang chờ khám": ("waiting",),
    "Đang khám": ("in_exam",),
    "Đã khám": ("done",),
    "Vắng mặt": ("no_show",),
}

APPOINTMENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_ROLE = Qt.ItemDataRole.UserRole + 2

_COLOURS = {"waiting": "#e8f0fe", "in_exam": "#fff4e5", "done": "#e6f4ea", "no_show": "#fce8e6"}
_Index = QModelIndex | QPersistentModelIndex


def _birth_year(row: dict) -> str:
    if row.get("birth_year"):
        return str(row["birth_year"])
    dob = row.get("dob")
    return str(dob)[:4] if dob else ""


class BoardModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[dict] = []
        self._rows: list[dict] = []
        self._columns: tuple[str, ...] | None = None
        try:
            self._groups = target_group_labels()
        except Exception:  # noqa: BLE001 - labels are a nicety; the codes alone still work
            self._groups = {}
        self._queue_font = QFont()
        self._queue_font.setBold(True)
        self._queue_font.setPointSizeF(self._queue_font.pointSizeF() * 1.4)

    # -- data ------------------------------------------------------------------------------------------
    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self._all = list(rows)
        self._apply()
        self.endResetModel()

    def set_filter(self, columns: tuple[str, ...] | None) -> None:
        self.beginResetModel()
        self._columns = columns
        self._apply()
        self.endResetModel()

    def _apply(self) -> None:
        self._rows = [r for r in self._all if self._columns is None or r["_column"] in self._columns]

    def row_data(self, row: int) -> dict | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, appointment_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r["appointment_id"] == appointment_id), -1)

    def all_rows(self) -> list[dict]:
        return list(self._all)

    # -- Qt ----------------------------------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802 - Qt override
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_data(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(row, column)
        if role == APPOINTMENT_ID_ROLE:
            return row["appointment_id"]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole and column == GROUP and row.get("group"):
            return self._groups.get(row["group"])
        if role == Qt.ItemDataRole.FontRole and column == QUEUE:
            return self._queue_font
        if role == Qt.ItemDataRole.BackgroundRole and row["_column"] in _COLOURS:
            return QBrush(QColor(_COLOURS[row["_column"]]))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (QUEUE, SLOT, BIRTH, GROUP):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def cell_text(self, row: dict, column: int) -> str:
        if column == QUEUE:
            return str(row["queue_no"]) if row.get("queue_no") else ""
        if column == SLOT:
            return f"{row['start']}–{row['end']}" if row.get("start") else ""
        if column == NAME:
            return row["name"] + (" (ngoài lịch)" if row.get("walk_in") else "")
        if column == BIRTH:
            return _birth_year(row)
        if column == HAMLET:
            return row.get("hamlet") or ""
        if column == GROUP:
            return row.get("group") or ""
        if column == STATUS:
            return row["status_label"]
        return ""
