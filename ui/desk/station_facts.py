"""The compact header of the "Hôm nay" page: the station, the people it serves, what waits to be sent to the
city hub, and who is working — real facts read from the core."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.outbox import sync_state
from ksk_desktop.people.persons import count_people
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.lifecycle import station_info
from ksk_desktop.station.session import CurrentUser, StationSession
from ui.i18n import format_number
from ui.widgets import heading


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
    box = sync_state.status(ctx)  # the same counts as the Đồng bộ page and ``ksk sync status``
    return TodayFacts(station.name, station.code, station.commune_code, people, box.pending, box.parked)


class Card(QFrame):
    """A small titled box with one value and a line of detail."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("card")
        self.setStyleSheet(
            "QFrame#card { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        self.title_label = QLabel(title, self)
        self.title_label.setStyleSheet("color: #5f6368;")
        self.value_label = heading("—", 2, self)
        self.value_label.setWordWrap(True)
        self.value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = QLabel("", self)
        self.detail_label.setWordWrap(True)
        self.detail_label.setStyleSheet("color: #5f6368;")
        layout.addWidget(self.title_label)
        layout.addWidget(self.value_label)
        layout.addWidget(self.detail_label)

    def set(self, value: str, detail: str = "") -> None:
        self.value_label.setText(value)
        self.detail_label.setText(detail)
        self.detail_label.setVisible(bool(detail))


class FactsHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        self.station_card = Card("Trạm y tế", self)
        self.people_card = Card("Người dân trong danh sách", self)
        self.outbox_card = Card("Chờ gửi lên máy chủ thành phố", self)
        self.user_card = Card("Người đang làm việc", self)
        row.addWidget(self.station_card, 2)
        row.addWidget(self.people_card, 1)
        row.addWidget(self.outbox_card, 1)
        row.addWidget(self.user_card, 1)

    def cards(self) -> tuple[Card, ...]:
        return (self.station_card, self.people_card, self.outbox_card, self.user_card)

    def clear(self) -> None:
        for card in self.cards():
            card.set("—")

    def show_user(self, user: CurrentUser) -> None:
        self.user_card.set(user.full_name, f"{user.role_label} · tên đăng nhập: {user.username}")

    def show_facts(self, facts: TodayFacts) -> None:
        commune = commune_by_code(facts.commune_code)
        commune_text = f"{commune.name} (mã {facts.commune_code})" if commune else f"mã {facts.commune_code}"
        self.station_card.set(
            facts.station_name, f"Mã trạm: {facts.station_code} · Xã/phường: {commune_text}"
        )
        if facts.people is None:
            self.people_card.set("—", "Tài khoản của bạn không có quyền xem danh sách người dân.")
        else:
            self.people_card.set(format_number(facts.people), "người dân thuộc trạm quản lý")
        parked = (
            f"{format_number(facts.outbox_parked)} mục bị giữ lại, cần kiểm tra"
            if facts.outbox_parked
            else "Không có mục nào bị giữ lại"
        )
        self.outbox_card.set(f"{format_number(facts.outbox_pending)} mục", parked)
