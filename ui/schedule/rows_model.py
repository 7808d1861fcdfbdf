"""A read-only table model over a short list of rows (campaigns, sites, days, a plan's results): dicts, or the
core's typed rows (``ksk_desktop.shapes``).

Each column is a title and a function from the row to its text. Lists here are at most a few thousand rows
(a plan's people who did not fit), so every row is kept; the people list has its own lazy model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the whole row (dict)

Column = tuple[str, Callable[[dict], Any]]
_Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    def __init__(
        self, columns: Sequence[Column], parent: QObject | None = None, centred: Sequence[int] = ()
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[dict] = []
        self._centred = set(centred)

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> dict | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def text(self, row: int, column: int) -> str:
        value = self.columns[column][1](self.rows[row])
        return "" if value is None else str(value)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.text(index.row(), index.column())
        if role == ROW_ROLE:
            return self.rows[index.row()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self._centred:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0] if 0 <= section < len(self.columns) else None
        return None
