"""The desk's input side: a field for an appointment code or CCCD number (typed or pasted, then Enter), a
search by name for someone without their card, the answer of the last check-in, and its queue ticket."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.desk.result_panel import ResultPanel
from ui.people.person_text import birth_text
from ui.widgets import heading

SEARCH_DELAY_MS = 250
PERSON_ID_ROLE = Qt.ItemDataRole.UserRole + 1


def person_line(p: dict) -> str:
    """One search result: name — birth — hamlet — last digits of the ID."""
    parts = [p["name"], birth_text(p.get("dob"), p.get("birth_year")), p.get("hamlet") or ""]
    if p.get("personal_id"):
        parts.append(f"…{p['personal_id'][-4:]}")
    return " — ".join(x for x in parts if x)


class ResultsList(QListWidget):
    """Search results: Enter (or a double click) checks the current person in."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.itemActivated.connect(lambda item: self.chosen.emit(item.data(PERSON_ID_ROLE)))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentItem() is not None:
            self.chosen.emit(self.currentItem().data(PERSON_ID_ROLE))
            return
        super().keyPressEvent(event)


class CheckinPanel(QWidget):
    code_entered = Signal(str)  # an appointment code, a CCCD number or a pasted QR payload
    search_changed = Signal(str)  # the name typed, after a pause
    person_chosen = Signal(str)  # a person picked from the search results
    print_requested = Signal()
    device_requested = Signal()  # "Máy in phiếu…": this computer's ticket printer and room
    display_requested = Signal()  # "Màn hình gọi số"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(heading("Tiếp đón", 2, self))
        self.code_edit = QLineEdit(self)
        self.code_edit.setObjectName("deskCode")
        self.code_edit.setPlaceholderText("Mã lịch hẹn hoặc số CCCD, rồi Enter")
        self.code_edit.setClearButtonEnabled(True)
        font = self.code_edit.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.code_edit.setFont(font)
        self.code_edit.returnPressed.connect(self._code_entered)
        layout.addWidget(self.code_edit)

        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("deskSearch")
        self.search_edit.setPlaceholderText("Không mang thẻ: tìm theo họ tên, năm sinh, số điện thoại…")
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(lambda _t: self._search_timer.start())
        self.search_edit.returnPressed.connect(self._search_enter)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(lambda: self.search_changed.emit(self.search_edit.text().strip()))
        layout.addWidget(self.search_edit)
        self.results = ResultsList(self)
        self.results.setObjectName("deskResults")
        self.results.setMaximumHeight(150)
        self.results.chosen.connect(self.person_chosen)
        self.results.hide()
        layout.addWidget(self.results)
        self.search_note = QLabel("", self)
        self.search_note.setStyleSheet("color: #5f6368;")
        self.search_note.hide()
        layout.addWidget(self.search_note)

        self.result = ResultPanel(self)
        layout.addWidget(self.result)
        row = QHBoxLayout()
        self.print_button = QPushButton("In phiếu số thứ tự", self)
        self.print_button.setObjectName("printTicket")
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_requested)
        self.auto_print_check = QCheckBox("Tự in phiếu sau mỗi lần tiếp đón", self)
        self.auto_print_check.setObjectName("autoPrint")
        row.addWidget(self.print_button)
        row.addWidget(self.auto_print_check)
        row.addStretch(1)
        layout.addLayout(row)
        device_row = QHBoxLayout()
        self.device_label = QLabel("", self)
        self.device_label.setObjectName("deviceSummary")
        self.device_label.setStyleSheet("color: #5f6368;")
        self.device_label.setWordWrap(True)
        self.device_button = QPushButton("Máy in phiếu…", self)
        self.device_button.setObjectName("deviceSettings")
        self.device_button.setAutoDefault(False)
        self.device_button.setToolTip("Máy in phiếu số thứ tự và phòng khám của máy tính này")
        self.device_button.clicked.connect(self.device_requested)
        self.display_button = QPushButton("Màn hình gọi số", self)
        self.display_button.setObjectName("openCallDisplay")
        self.display_button.setAutoDefault(False)
        self.display_button.setToolTip(
            "Cửa sổ lớn cho phòng chờ (màn hình thứ hai / TV): số đang gọi và phòng"
        )
        self.display_button.clicked.connect(self.display_requested)
        device_row.addWidget(self.device_label, 1)
        device_row.addWidget(self.device_button)
        device_row.addWidget(self.display_button)
        layout.addLayout(device_row)
        layout.addStretch(1)
        self.result.state_changed.connect(lambda _s: self._update_print())
        self.printing_available = False
        self._update_print()

    def _code_entered(self) -> None:
        text = self.code_edit.text().strip()
        if text:
            self.code_entered.emit(text)

    def _search_enter(self) -> None:
        """Enter in the search box: search now; a single result is checked in straight away."""
        self._search_timer.stop()
        if self.results.count() == 1 and self.results.isVisible():
            self.person_chosen.emit(self.results.item(0).data(PERSON_ID_ROLE))
        elif self.results.count() and self.results.isVisible():
            self.results.setFocus()
            self.results.setCurrentRow(0)
        else:
            self.search_changed.emit(self.search_edit.text().strip())

    def show_results(self, query: str, people: list[dict]) -> None:
        if query != self.search_edit.text().strip():
            return  # typed on meanwhile
        self.results.clear()
        for p in people:
            item = QListWidgetItem(person_line(p))
            item.setData(PERSON_ID_ROLE, p["id"])
            self.results.addItem(item)
        self.results.setVisible(bool(people))
        self.search_note.setText(
            ""
            if people or not query
            else "Không tìm thấy ai. Thử viết khác đi, hoặc quét thẻ CCCD để đăng ký người mới."
        )
        self.search_note.setVisible(bool(query) and not people)

    def clear_inputs(self) -> None:
        self.code_edit.clear()
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        self._search_timer.stop()
        self.results.clear()
        self.results.hide()
        self.search_note.hide()
        self.code_edit.setFocus()

    def set_printing(self, allowed: bool) -> None:
        """Show the ticket controls only to a user who may print."""
        self.printing_available = allowed
        self.print_button.setVisible(self.printing_available)
        self.auto_print_check.setVisible(self.printing_available)
        self._update_print()

    def _update_print(self) -> None:
        self.print_button.setEnabled(self.printing_available and self.result.checkin is not None)

    def show_device(self, printer: str | None, room: str | None) -> None:
        """The line saying where this computer's tickets print and which room its calls go to."""
        text = f"Máy in phiếu: {printer}" if printer else "Chưa chọn máy in phiếu"
        if room:
            text += f" · Gọi vào: {room}"
        self.device_label.setText(text)

    def set_allowed(self, checkin: bool, search: bool) -> None:
        self.code_edit.setEnabled(checkin)
        self.display_button.setVisible(checkin)
        self.search_edit.setVisible(checkin and search)
        if not (checkin and search):
            self.results.hide()
            self.search_note.hide()
