"""The "Hôm nay" page: real facts about the station today, read from the core."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ksk_desktop import outbox
from ksk_desktop.communes import commune_by_code
from ksk_desktop.persons import count_people
from ksk_desktop.security.roles import Perm
from ksk_desktop.session import StationSession
from ksk_desktop.station import station_info

from .. import ops
from ..i18n import format_long_date, format_number
from ..messages import error_text
from ..widgets import ErrorLabel, heading, paragraph


@dataclass(frozen=True)
class TodayFacts:
    station_name: str
    station_code: str
    commune_code: str
    people: int | None  # None: this user may not see the list
    outbox_pending: int
    outbox_parked: int


def load_facts(ctx: StationSession) -> TodayFacts:
    """Runs on the worker thread."""
    station = station_info(ctx)
    people = count_people(ctx) if ctx.can(Perm.PERSON_READ) else None
    with ctx.read() as s:
        box = outbox.counts(s)
    return TodayFacts(station.name, station.code, station.commune_code, people,
                      box.get("pending", 0) + box.get("in_flight", 0), box.get("parked", 0))


class Card(QFrame):
    """A titled box with one large value and a line of detail."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet("QFrame#card { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        self.title_label = QLabel(title, self)
        self.title_label.setStyleSheet("color: #5f6368;")
        self.value_label = heading("—", 1, self)
        self.value_label.setWordWrap(True)
        self.value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = paragraph("", self)
        layout.addWidget(self.title_label)
        layout.addWidget(self.value_label)
        layout.addWidget(self.detail_label)
        layout.addStretch(1)

    def set(self, value: str, detail: str = "") -> None:
        self.value_label.setText(value)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))


class TodayPage(QWidget):
    refreshed = Signal()

    def __init__(self, session: StationSession | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.facts: TodayFacts | None = None
        self.task: ops.Task | None = None
        self._task_session: StationSession | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(14)
        layout.addWidget(heading("Hôm nay", 1))
        self.date_label = paragraph("", self)
        layout.addWidget(self.date_label)

        grid = QGridLayout()
        grid.setSpacing(14)
        self.station_card = Card("Trạm y tế", self)
        self.people_card = Card("Người dân trong danh sách", self)
        self.outbox_card = Card("Chờ gửi lên máy chủ thành phố", self)
        self.user_card = Card("Người đang làm việc", self)
        grid.addWidget(self.station_card, 0, 0, 1, 2)
        grid.addWidget(self.people_card, 1, 0)
        grid.addWidget(self.outbox_card, 1, 1)
        grid.addWidget(self.user_card, 2, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)

        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        row = QHBoxLayout()
        self.refresh_button = QPushButton("Làm mới", self)
        self.refresh_button.clicked.connect(self.refresh)
        self.updated_label = paragraph("", self, muted=True)
        row.addWidget(self.refresh_button)
        row.addWidget(self.updated_label, 1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.set_session(session)

    def set_session(self, session: StationSession | None) -> None:
        self.session = session
        if session is None:  # locked: forget what was shown
            self.facts = None
            for card in (self.station_card, self.people_card, self.outbox_card, self.user_card):
                card.set("—")
            self.updated_label.clear()
            self.refresh_button.setEnabled(False)
            return
        user = session.user
        self.user_card.set(user.full_name, f"{user.role_label} · tên đăng nhập: {user.username}")
        self.refresh_button.setEnabled(True)
        self.refresh()

    def refresh(self) -> None:
        self.date_label.setText(format_long_date(date.today()))
        ctx = self.session
        if ctx is None or (self.task is not None and not self.task.done and self._task_session is ctx):
            return
        self._task_session = ctx
        self.error_label.clear_message()
        self.refresh_button.setEnabled(False)
        self.task = ops.run_in_background(lambda: load_facts(ctx), lambda facts: self._show(ctx, facts),
                                          lambda exc: self._failed(ctx, exc), context=self)

    def _show(self, ctx: StationSession, facts: TodayFacts) -> None:
        if ctx is not self.session:
            return  # locked (or re-logged) meanwhile
        self.facts = facts
        self.refresh_button.setEnabled(True)
        commune = commune_by_code(facts.commune_code)
        commune_text = f"{commune.name} (mã {facts.commune_code})" if commune else f"mã {facts.commune_code}"
        self.station_card.set(facts.station_name, f"Mã trạm: {facts.station_code} · Xã/phường: {commune_text}")
        if facts.people is None:
            self.people_card.set("—", "Tài khoản của bạn không có quyền xem danh sách người dân.")
        else:
            self.people_card.set(format_number(facts.people), "người dân thuộc trạm quản lý")
        parked = (f"{format_number(facts.outbox_parked)} mục bị giữ lại, cần kiểm tra"
                  if facts.outbox_parked else "Không có mục nào bị giữ lại")
        self.outbox_card.set(f"{format_number(facts.outbox_pending)} mục", parked)
        self.updated_label.setText(f"Cập nhật lúc {datetime.now().strftime('%H:%M')}")
        self.refreshed.emit()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.refresh_button.setEnabled(True)
        self.error_label.show_message(error_text(exc))
        self.refreshed.emit()
