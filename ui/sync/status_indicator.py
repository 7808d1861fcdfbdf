"""The status-bar sync indicator: pending count and last success, or the error, or the rejected items.

It only displays what the controller reports; clicking it opens the "Đồng bộ" page.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from ksk_desktop.clock import SYSTEM_CLOCK, to_vietnam
from ksk_desktop.dates import hhmm
from ksk_desktop.outbox.sync_state import SyncStatus
from ui.i18n import format_number
from ui.sync.sync_controller import SyncController

GREY, GREEN, BLUE, ORANGE, RED = "#5f6368", "#1b6e2e", "#1a5fb4", "#b35c00", "#b3261e"


def when_text(iso: str | None, today: date) -> str:
    """``14:05`` on *today*, ``25/11 14:05`` another day (the wall clock in Vietnam) of a stored UTC moment."""
    if not iso:
        return ""
    moment = to_vietnam(datetime.fromisoformat(iso.rstrip("Z")))
    clock = hhmm(moment)
    return clock if moment.date() == today else f"{moment.day:02d}/{moment.month:02d} {clock}"


def full_when_text(iso: str | None) -> str:
    """``05/12/2026 14:05`` (Vietnam's wall clock) of a stored UTC moment: the date always."""
    if not iso:
        return ""
    moment = to_vietnam(datetime.fromisoformat(iso.rstrip("Z")))
    return f"{moment.day:02d}/{moment.month:02d}/{moment.year} {hhmm(moment)}"


def short_error(error: str) -> str:
    """The first clause of the worker's error, as the rest of a sentence after "Lỗi: "."""
    first = error.split(" (")[0].split(". ")[0].rstrip(".")
    return (first[:1].lower() + first[1:])[:70] if first else "không rõ"


def describe(status: SyncStatus | None, today: date) -> tuple[str, str, str]:
    """(text, colour, tooltip) for a status as ``sync_state.status`` gives it (with ``running`` set); *today*:
    the session clock's."""
    if status is None:
        return "", GREY, ""
    pending, parked = status.pending, status.parked
    last = when_text(status.last_success_at, today)
    tip = [
        f"Máy chủ: {status.hub_url or 'chưa đăng ký'}",
        f"Chờ gửi: {format_number(pending)}",
        f"Bị từ chối: {format_number(parked)}",
        f"Lần thành công gần nhất: {last or 'chưa có'}",
    ]
    if status.last_error:
        tip.append(f"Lỗi gần nhất: {status.last_error}")
    if status.hub_alert:
        tip.insert(0, f"CẢNH BÁO của máy chủ về nhật ký truy cập: {status.hub_alert}")
    tooltip = "\n".join(tip + ["Bấm để mở trang Đồng bộ."])
    if not status.enrolled:
        return "Chưa đăng ký máy chủ", GREY, tooltip
    if status.hub_alert:  # before anything else: evidence that the audit trail was tampered with
        return "Cảnh báo: máy chủ thấy nhật ký truy cập bị can thiệp", RED, tooltip
    if status.running:
        return f"Đồng bộ: đang gửi… ({format_number(pending)} chờ gửi)", BLUE, tooltip
    if status.last_error:
        return f"Lỗi: {short_error(status.last_error)}", RED, tooltip
    if parked:
        return f"{format_number(parked)} mục bị từ chối", ORANGE, tooltip
    text = f"Đồng bộ: {format_number(pending)} chờ gửi"
    if last:
        text += f" · lần cuối {last}"
    return text, GREEN if pending == 0 else BLUE, tooltip


class SyncStatusIndicator(QPushButton):
    """A flat button in the status bar; ``clicked`` is connected by the window to open the sync page."""

    def __init__(self, controller: SyncController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("syncIndicator")
        self.setFlat(True)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.controller = controller
        self.colour = GREY
        controller.status_changed.connect(self.show_status)
        controller.running_changed.connect(self._running)
        self.show_status(None)

    def show_status(self, status: SyncStatus | None) -> None:
        session = self.controller.session
        text, colour, tooltip = describe(status, (session.clock if session else SYSTEM_CLOCK).today())
        self.colour = colour
        self.setText(text)
        self.setToolTip(tooltip)
        self.setStyleSheet(f"QPushButton#syncIndicator {{ color: {colour}; border: none; padding: 0 8px; }}")
        self.setVisible(bool(text))

    def _running(self, running: bool) -> None:
        status = self.controller.last_status
        if status is not None:
            self.show_status(status.with_running(running))
