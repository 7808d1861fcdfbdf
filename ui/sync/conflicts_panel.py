"""The conflicts to look at, on the "Đồng bộ" page (docs/multi-device.md §4): two devices of the station changed
the same record offline; the version that lost is kept and listed here (what, from which device, when, the kept
values in words) until someone marks it "Đã xem" (audited). Read and marked on the database worker."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.outbox import sync_conflicts
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.messages import error_text
from ui.widgets import ERROR_STYLE, OK_STYLE, MessageLabel, heading, paragraph

COLUMNS = ("Loại", "Hồ sơ", "Từ máy", "Lúc", "Phiên bản bị thay (được giữ lại)")


class ConflictsPanel(QWidget):
    def __init__(self, session: Callable[[], StationSession | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.rows: list[dict] = []
        self.load_task: ops.Task | None = None
        self.seen_task: ops.Task | None = None
        self._again = False  # a reload asked while one was on its way (its answer may predate the change)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = heading("Thay đổi song song cần xem", 2, self)
        title.setToolTip(
            "Hai máy của trạm đã sửa cùng một hồ sơ khi không có mạng. Mọi máy giữ cùng một phiên bản; phiên bản "
            "bị thay được giữ lại ở đây để người có trách nhiệm xem và sửa lại nếu cần."
        )
        layout.addWidget(title)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("syncConflicts")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(True)
        self.table.setMaximumHeight(200)
        self.table.itemSelectionChanged.connect(self.update_buttons)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.empty_label = paragraph("Không có thay đổi song song nào cần xem.", self, muted=True)
        self.seen_button = QPushButton("Đã xem", self)
        self.seen_button.setToolTip("Bỏ khỏi danh sách (vẫn lưu trong dữ liệu; được ghi vào nhật ký)")
        self.seen_button.clicked.connect(self.mark_selected_seen)
        row.addWidget(self.empty_label, 1)
        row.addWidget(self.seen_button)
        layout.addLayout(row)
        self.message = MessageLabel(self)
        layout.addWidget(self.message)
        self.table.hide()  # until there is something to look at
        self.seen_button.hide()
        self.hide()
        self.update_buttons()

    def clear(self) -> None:
        self.rows = []
        self.table.setRowCount(0)
        self.table.hide()
        self.seen_button.hide()
        self.empty_label.show()
        self.hide()
        self.message.clear_message()
        self.update_buttons()

    def reload(self) -> None:
        ctx = self.session()
        if ctx is None or ctx.closing:
            return
        if self.load_task is not None and not self.load_task.done:
            self._again = True
            return
        self._again = False
        self.load_task = ops.run_in_background(
            lambda: sync_conflicts.review(ctx), self._loaded, self._failed, context=self
        )

    def _loaded(self, rows: list[dict]) -> None:
        if self.session() is None:
            return
        if self._again:
            self.reload()
        self.rows = rows
        self.table.setRowCount(0)
        for r in rows:
            n = self.table.rowCount()
            self.table.insertRow(n)
            values = [r["kind_label"], r["what"], r["device"] or "máy này", r["when"], r["lost_text"]]
            for col, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, r["id"])
                item.setToolTip(f"{value}\n{r['detail']}" if col == len(values) - 1 else value)
                self.table.setItem(n, col, item)
        self.table.resizeRowsToContents()
        self.empty_label.setVisible(not rows)
        self.table.setVisible(bool(rows))
        self.seen_button.setVisible(bool(rows))
        # Shown while there is something to look at, or to say the last one was marked (the page fits a small
        # laptop's screen when there is nothing).
        self.setVisible(bool(rows) or self.message.isVisibleTo(self))
        self.update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.message.show_message(error_text(exc), ERROR_STYLE)

    def selected(self) -> int | None:
        model = self.table.selectionModel()
        picked = model.selectedRows() if model is not None else []
        if not picked:
            return None
        item = self.table.item(picked[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def update_buttons(self) -> None:
        ctx = self.session()
        busy = self.seen_task is not None and not self.seen_task.done
        self.seen_button.setEnabled(
            ctx is not None and ctx.can(Perm.SYNC_MANAGE) and self.selected() is not None and not busy
        )

    def mark_selected_seen(self) -> None:
        ctx, conflict_id = self.session(), self.selected()
        if ctx is None or conflict_id is None or (self.seen_task is not None and not self.seen_task.done):
            return

        def done(result: dict) -> None:
            self.message.show_message(
                f"Đã đánh dấu đã xem ({result['seen_by']}, {result['seen_at']}).", OK_STYLE
            )
            self.update_buttons()
            self.reload()

        def failed(exc: BaseException) -> None:
            self.message.show_message(error_text(exc), ERROR_STYLE)
            self.update_buttons()

        self.seen_task = ops.run_in_background(
            lambda: sync_conflicts.mark_seen(ctx, conflict_id),
            done,
            failed,
            context=self,
            changes=Changes.SYNC,
        )
        self.update_buttons()
