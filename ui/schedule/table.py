"""The table view used by the scheduling and report pages: whole rows, keyboard first, Enter opens."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from ui.schedule.rows_model import RowsModel


class RowsTable(QTableView):
    """Rows of a :class:`RowsModel`; Enter or a double click emits ``opened(row)``."""

    opened = Signal(object)  # the row: a dict or a typed row (ksk_desktop.shapes)

    def __init__(self, model: RowsModel, parent: QWidget | None = None, multi: bool = False) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
            if multi
            else QAbstractItemView.SelectionMode.SingleSelection
        )
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        header = self.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.doubleClicked.connect(self._open)
        self._fitted: dict[int, int] = {}  # column → its designed width (the least it gets)
        self._fit_limit = 0
        model.modelReset.connect(self._fit)

    def fit_columns(self, *columns: int, limit: int = 460) -> None:
        """Widen *columns* to their longest text (up to *limit* px) whenever the rows change: a site's or a
        group's name is not cut; the cell's tooltip shows a longer one whole."""
        self._fitted = {column: self.columnWidth(column) for column in columns}
        self._fit_limit = limit
        self._fit()

    def _fit(self) -> None:
        for column, least in self._fitted.items():
            self.resizeColumnToContents(column)
            self.setColumnWidth(column, min(max(self.columnWidth(column), least), self._fit_limit))

    @property
    def rows_model(self) -> RowsModel:
        return self.model()  # type: ignore[return-value]

    def current_row(self) -> dict | None:
        index = self.currentIndex()
        return self.rows_model.row(index.row()) if index.isValid() else None

    def selected_rows(self) -> list[dict]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [r for r in (self.rows_model.row(i) for i in rows) if r is not None]

    def select_first(self) -> None:
        if self.rows_model.rowCount():
            self.setCurrentIndex(self.rows_model.index(0, 0))
            self.selectRow(0)

    def _open(self, index: QModelIndex) -> None:
        row = self.rows_model.row(index.row())
        if row is not None:
            self.opened.emit(row)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self._open(self.currentIndex())
            return
        super().keyPressEvent(event)
