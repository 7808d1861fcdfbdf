"""The live board of the day: counters, a status filter, the table, and the steps on the selected person
(check in, call in, back to the queue, examined, absent). Steps the user may not take are hidden."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.scheduling import status as st
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui.desk.board_model import APPOINTMENT_ID_ROLE, FILTERS, NAME, BoardModel
from ui.flow_layout import flow_row, labelled
from ui.i18n import format_number

#: Counter key → label, in the order shown.
COUNTERS = {
    "booked": "Đã hẹn",
    "expected": "Chưa đến",
    "waiting": "Chờ khám",
    "in_exam": "Đang khám",
    "done": "Đã khám",
    "no_show": "Vắng mặt",
    "free": "Còn trống",
}

#: Step → (button text, statuses it applies to, permission needed).
ACTIONS: dict[str, tuple[str, tuple[str, ...], Perm]] = {
    "checkin": ("Tiếp đón", st.EXPECTED, Perm.CHECKIN),
    "start_exam": ("Gọi vào khám", (st.CHECKED_IN,), Perm.CHECKIN),
    "requeue": ("Trả về hàng chờ", (st.IN_EXAM,), Perm.CHECKIN),
    "examined": ("Đã khám xong", (st.CHECKED_IN, st.IN_EXAM), Perm.EXAM_WRITE),
    "no_show": ("Vắng mặt", st.EXPECTED, Perm.CHECKIN),
    "open_exam": ("Mở phiếu khám", (st.CHECKED_IN, st.IN_EXAM, st.EXAMINED), Perm.VITALS_WRITE),
}


class Counter(QFrame):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskCounter")
        self.setStyleSheet(
            "QFrame#deskCounter { background: white; border: 1px solid #d5dbe3; border-radius: 6px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(0)
        self.value_label = QLabel("—", self)
        font = self.value_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.6)
        self.value_label.setFont(font)
        self.value_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title_label = QLabel(title, self)
        title_label.setStyleSheet("color: #5f6368;")
        title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.value_label)
        layout.addWidget(title_label)


class BoardPanel(QWidget):
    #: (step, appointment id) asked for on the selected row.
    action_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        self.counters: dict[str, Counter] = {key: Counter(title, self) for key, title in COUNTERS.items()}
        layout.addWidget(flow_row(self, *self.counters.values()))  # two rows on a narrow screen

        self.filter_combo = QComboBox(self)
        for label, columns in FILTERS.items():
            self.filter_combo.addItem(label, columns)
        self.filter_combo.currentIndexChanged.connect(self._filter_changed)
        self.buttons: dict[str, QPushButton] = {}
        for key, (text, _states, _perm) in ACTIONS.items():
            button = QPushButton(text, self)
            button.setObjectName(f"board_{key}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _=False, k=key: self.request(k))
            self.buttons[key] = button
        bar = QHBoxLayout()  # the step buttons wrap under each other on a narrow screen
        bar.addWidget(labelled(self, "Xem:", self.filter_combo), 0, Qt.AlignmentFlag.AlignTop)
        bar.addWidget(flow_row(self, *self.buttons.values(), align_right=True), 1)
        layout.addLayout(bar)

        self.model = BoardModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("deskBoard")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(False)
        header = self.table.horizontalHeader()
        # Sized to the contents once, when the first rows arrive: measuring every refresh would cost the GUI thread
        # time that a keyboard-wedge scan arriving meanwhile cannot spare.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self._sized = False
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.table, 1)
        self.allowed: set[str] = set(ACTIONS)
        self._busy = False
        self._update_buttons()

    # -- session and data ------------------------------------------------------------------------------------
    def set_session(self, session: StationSession | None) -> None:
        self.allowed = {
            k for k, (_t, _s, perm) in ACTIONS.items() if session is not None and session.can(perm)
        }
        for key, button in self.buttons.items():
            button.setVisible(key in self.allowed)
        if session is None:
            self.set_data([], {})
        self._update_buttons()

    def set_data(self, rows: list[dict], counts: dict[str, int]) -> None:
        """Replace the rows, keeping the selected person selected and the scroll position."""
        chosen = self.selected_id()
        scroll = self.table.verticalScrollBar().value()
        self.model.set_rows(rows)
        if rows and not self._sized:
            self._sized = True
            for column in range(self.model.columnCount()):
                if column != NAME:
                    self.table.resizeColumnToContents(column)
        self.select(chosen)
        self.table.verticalScrollBar().setValue(scroll)
        for key, counter in self.counters.items():
            counter.value_label.setText(format_number(counts[key]) if key in counts else "—")
        self._update_buttons()

    def select(self, appointment_id: str | None) -> bool:
        row = self.model.row_of(appointment_id) if appointment_id else -1
        if row < 0:
            self.table.clearSelection()
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.scrollTo(index)
        return True

    def selected_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(APPOINTMENT_ID_ROLE) if rows else None

    def selected_row(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_data(rows[0].row()) if rows else None

    def _filter_changed(self) -> None:
        chosen = self.selected_id()
        self.model.set_filter(self.filter_combo.currentData())
        self.select(chosen)
        self._update_buttons()

    def set_filter(self, label: str) -> None:
        self.filter_combo.setCurrentIndex(list(FILTERS).index(label))

    # -- steps -------------------------------------------------------------------------------------------------
    def request(self, key: str) -> None:
        row = self.selected_row()
        if row is None or key not in self.allowed or row["status"] not in ACTIONS[key][1]:
            return
        self.action_requested.emit(key, row["appointment_id"])

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.selected_row()
        for key, button in self.buttons.items():
            button.setEnabled(not self._busy and row is not None and row["status"] in ACTIONS[key][1])
