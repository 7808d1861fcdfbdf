"""The follow-up list: open follow-up items of signed exams (person, kind, due date, note) by due date, only the
overdue ones on demand; "Đã xong" marks the chosen item done; "Mở phiếu khám" opens the exam it came from.
Reading and marking run on the worker thread (``ui.ops``)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.exams import followups
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.exam.display import iso_date
from ui.messages import error_text
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading

COLUMNS = ("Họ và tên", "Loại theo dõi", "Hạn", "Ghi chú")
ROW_DATA = Qt.ItemDataRole.UserRole
OVERDUE = QColor("#fce8e6")


class FollowupsView(QWidget):
    exam_requested = Signal(str)  # exam id
    refreshed = Signal()  # the list was read (or failed to be)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx: StationSession | None = None
        self.rows: list[dict] = []
        self.task: ops.Task | None = None
        self.done_task: ops.Task | None = None
        self._again = False
        self._done_message: str | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(heading("Theo dõi sau khám", 2, self))
        self.overdue_check = QCheckBox("Chỉ các mục quá hạn", self)
        self.overdue_check.setObjectName("overdueOnly")
        self.overdue_check.toggled.connect(lambda _on: self.refresh())
        top.addWidget(self.overdue_check)
        top.addStretch(1)
        self.refresh_button = QPushButton("Làm mới", self)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        top.addWidget(self.refresh_button)
        layout.addLayout(top)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("followupList")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.done_button = QPushButton("Đã xong", self)
        self.done_button.setObjectName("followupDone")
        self.open_button = QPushButton("Mở phiếu khám", self)
        for b in (self.done_button, self.open_button):
            b.setAutoDefault(False)
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.info_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.info_label)
        layout.addWidget(self.error_label)
        self.done_button.clicked.connect(self.mark_done)
        self.open_button.clicked.connect(self._open_exam)
        self.table.doubleClicked.connect(lambda _i: self._open_exam())

    def set_session(self, ctx: StationSession | None) -> None:
        self.ctx = ctx
        self.rows = []
        self.table.setRowCount(0)
        self.info_label.clear_message()
        self.error_label.clear_message()
        self.done_button.setVisible(ctx is not None and ctx.can(Perm.EXAM_WRITE))

    def refresh(self) -> None:
        ctx = self.ctx
        self.error_label.clear_message()
        if ctx is None:
            return
        if not ctx.can(Perm.HEALTH_READ):
            self.table.setRowCount(0)
            self.error_label.show_message("Tài khoản của bạn không xem được danh sách theo dõi sau khám.")
            return
        if self.task is not None and not self.task.done:
            self._again = True  # the answer on its way may predate what changed
            return
        self._again = False
        today, overdue_only = ctx.clock.today(), self.overdue_check.isChecked()
        self.task = ops.run_in_background(
            lambda: followups.list_followups(ctx, due_before=today if overdue_only else None),
            lambda rows: self._show(ctx, rows, today, overdue_only),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show(self, ctx: StationSession, rows: list[dict], today: date, overdue_only: bool) -> None:
        if ctx is not self.ctx:
            return
        if self._again:
            self.refresh()
        self.rows = rows
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            cells = (r["full_name"] or "", r["kind_label"], iso_date(r["due_date"]), r["note"] or "")
            overdue = date.fromisoformat(r["due_date"]) < today
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ROW_DATA, r["id"])
                if overdue:
                    item.setBackground(QBrush(OVERDUE))
                self.table.setItem(i, c, item)
        self.table.resizeColumnsToContents()
        self.info_label.show_message(
            self._done_message
            or f"{len(self.rows)} mục đang theo dõi" + (" đã quá hạn." if overdue_only else ".")
        )
        self._done_message = None
        self.refreshed.emit()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is self.ctx:
            self.error_label.show_message(error_text(exc))
            self.refreshed.emit()

    def selected(self) -> dict | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def mark_done(self) -> None:
        item, ctx = self.selected(), self.ctx
        if item is None or ctx is None:
            self.error_label.show_message("Chọn một mục trong danh sách trước.")
            return
        if self.done_task is not None and not self.done_task.done:
            return

        def done(_result: object) -> None:  # the list refreshes from the operation's changes
            self._done_message = f"Đã đánh dấu xong: {item['kind_label']} – {item['full_name']}."
            self.info_label.show_message(self._done_message)

        self.done_task = ops.run_in_background(
            lambda: followups.mark_done(ctx, item["id"]),
            done,
            lambda exc: self.error_label.show_message(error_text(exc)),
            context=self,
            changes=Changes.FOLLOWUPS | Changes.OUTBOX,
        )

    def _open_exam(self) -> None:
        item = self.selected()
        if item is not None:
            self.exam_requested.emit(item["exam_id"])
