"""The answer to the last check-in, big enough to read from across the desk: the queue number, the name and the
slot; or a problem with the choices it leaves (register as a walk-in, open the record, let it be)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.people.person_text import birth_text
from ui.widgets import paragraph

HEADS = {
    "checked_in": "Đã tiếp đón",
    "already_checked_in": "Đã tiếp đón từ trước",
    "walk_in": "Đã tiếp nhận khám ngoài lịch",
}
STYLES = {
    "empty": "QFrame#deskResult { background: #f1f4f8; border: 1px solid #d5dbe3; border-radius: 8px; }",
    "busy": "QFrame#deskResult { background: #f1f4f8; border: 1px solid #d5dbe3; border-radius: 8px; }",
    "checked_in": "QFrame#deskResult { background: #e6f4ea; border: 2px solid #1b6e2e; border-radius: 8px; }",
    "choice": "QFrame#deskResult { background: #fff4e5; border: 2px solid #f0c36d; border-radius: 8px; }",
    "error": "QFrame#deskResult { background: #fce8e6; border: 2px solid #b3261e; border-radius: 8px; }",
}
HINT = (
    "Quét thẻ CCCD hoặc mã vạch trên phiếu hẹn, hoặc nhập mã rồi bấm Enter. Người không mang thẻ: tìm theo "
    "họ tên."
)


@dataclass(frozen=True)
class Choice:
    text: str
    run: Callable[[], None]
    name: str  # objectName of the button (tests and accessibility)


class ResultPanel(QFrame):
    """``state``: ``empty``, ``busy``, ``checked_in``, ``choice`` or ``error``."""

    state_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deskResult")
        self.state = "empty"
        self.checkin: dict | None = None
        self.choice_buttons: list[QPushButton] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(6)
        self.head_label = self._bold("resultHead", 1.2)
        row = QHBoxLayout()
        self.queue_label = self._bold("queueNumber", 4.5)
        self.queue_label.setWordWrap(False)
        self.queue_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.queue_label.setMinimumWidth(140)
        who = QVBoxLayout()
        self.name_label = self._bold("resultName", 1.6)
        self.slot_label = paragraph("", self)
        self.slot_label.setObjectName("resultSlot")
        who.addWidget(self.name_label)
        who.addWidget(self.slot_label)
        who.addStretch(1)
        row.addWidget(self.queue_label)
        row.addLayout(who, 1)
        self.text_label = paragraph("", self)
        self.text_label.setObjectName("resultText")
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.choice_row = QHBoxLayout()
        self.choice_row.addStretch(1)
        layout.addWidget(self.head_label)
        layout.addLayout(row)
        layout.addWidget(self.text_label)
        layout.addLayout(self.choice_row)
        self.clear()

    def _bold(self, name: str, scale: float) -> QLabel:
        label = QLabel("", self)
        label.setObjectName(name)
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * scale)
        label.setFont(font)
        label.setWordWrap(True)
        return label

    def _set(
        self, state: str, head: str, text: str = "", queue: str = "", name: str = "", slot: str = ""
    ) -> None:
        self.state = state
        self.setStyleSheet(STYLES[state])
        self.head_label.setText(head)
        self.queue_label.setText(queue)
        self.queue_label.setVisible(bool(queue))
        self.name_label.setText(name)
        self.name_label.setVisible(bool(name))
        self.slot_label.setText(slot)
        self.slot_label.setVisible(bool(slot))
        self.text_label.setText(text)
        self.text_label.setVisible(bool(text))
        self._set_choices([])
        self.state_changed.emit(state)

    def _set_choices(self, choices: list[Choice]) -> None:
        for b in self.choice_buttons:
            self.choice_row.removeWidget(b)
            b.deleteLater()
        self.choice_buttons = []
        for n, choice in enumerate(choices):
            button = QPushButton(choice.text, self)
            button.setObjectName(choice.name)
            button.setAutoDefault(True)
            button.setDefault(n == 0)
            button.clicked.connect(lambda _=False, c=choice: c.run())
            self.choice_row.addWidget(button)
            self.choice_buttons.append(button)
        if self.choice_buttons:
            self.choice_buttons[0].setFocus()

    # -- what to show ------------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.checkin = None
        self._set("empty", "Sẵn sàng tiếp đón", HINT)

    def show_busy(self, text: str = "Đang tra cứu…") -> None:
        self._set("busy", text)

    def show_checkin(self, checkin: dict) -> None:
        """A check-in as the core returned it (``CheckIn.to_json()``)."""
        self.checkin = checkin
        a, p = checkin["appointment"], checkin["person"]
        born = birth_text(p.get("dob"), p.get("birth_year"))
        who = p["name"] + (f" ({born})" if born else "")
        slot = f"Ca {a['start']}–{a['end']} · {a['site_name']}" + (
            f" · {p['hamlet']}" if p.get("hamlet") else ""
        )
        self._set(
            "checked_in", HEADS.get(checkin["status"], "Đã tiếp đón"), "", str(checkin["queue_no"]), who, slot
        )

    def show_choice(self, head: str, text: str, choices: list[Choice]) -> None:
        self.checkin = None
        self._set("choice", head, text)
        self._set_choices(choices)

    def show_error(self, text: str, head: str = "Chưa tiếp đón được") -> None:
        self.checkin = None
        self._set("error", head, text)

    def choice(self, name: str) -> QPushButton | None:
        return next((b for b in self.choice_buttons if b.objectName() == name), None)
