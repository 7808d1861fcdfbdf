"""The waiting room's "now calling" screen ("Màn hình gọi số"), opened from Hôm nay: the number called last and
its room in large type ("Mời số 12 — Phòng khám 1"), the others still in an exam room, and the next numbers.

It goes on a second screen (a TV) when there is one, full screen; otherwise it is a window the person can move
and make full screen (F11 or a double click; Esc leaves it). It follows the desk: every operation that changes
appointments (the board's "Gọi vào khám") is announced on ``ui.ops.hub`` and the screen reads again; a timer
reads too, for calls made elsewhere on this station (the command line).

It shows numbers and rooms only, never a name or initials (``ksk_desktop.scheduling.calling``): the screen faces
the whole waiting room of a commune where people know each other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QMouseEvent, QResizeEvent, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ksk_desktop.scheduling import calling
from ksk_desktop.scheduling.calling import NowCalling
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.messages import error_text

REFRESH_MS = 5_000
FLASH_MS = 4_000  # a new call stands out this long
UPCOMING = 6
BACKGROUND = "#0d3b66"
FLASH = "#f4d35e"

CARES = Changes.APPOINTMENTS | Changes.SCHEDULE


def _label(parent: QWidget, name: str, color: str = "white") -> QLabel:
    label = QLabel("", parent)
    label.setObjectName(name)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setStyleSheet(f"color: {color}; background: transparent;")
    label.setWordWrap(True)
    return label


class CallDisplay(QWidget):
    """One screen. *session*, *today* and *site* say what to show (the desk's session, date and site)."""

    def __init__(
        self,
        session: Callable[[], StationSession | None],
        today: Callable[[], date],
        site: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("callDisplay")
        self.setWindowTitle("Màn hình gọi số — KSK Desktop")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._session, self._today, self._site = session, today, site
        self.data: NowCalling | None = None
        self.task: ops.Task | None = None
        self._again = False
        self._last_call: tuple[int, str | None] | None = None

        self.frame = QFrame(self)
        self.frame.setObjectName("callFrame")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.frame)
        box = QVBoxLayout(self.frame)
        box.setContentsMargins(40, 24, 40, 24)
        self.invite_label = _label(self.frame, "callInvite")
        self.number_label = _label(self.frame, "callNumber")
        self.room_label = _label(self.frame, "callRoom")
        self.others_label = _label(self.frame, "callOthers", "#d7e3f0")
        box.addWidget(self.invite_label)
        box.addWidget(self.number_label, 3)
        box.addWidget(self.room_label, 1)
        box.addWidget(self.others_label)
        line = QFrame(self.frame)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #5c7fa3;")
        box.addWidget(line)
        bottom = QHBoxLayout()
        self.next_title = _label(self.frame, "callNextTitle", "#d7e3f0")
        self.next_title.setText("Số tiếp theo:")
        self.next_label = _label(self.frame, "callNext")
        bottom.addWidget(self.next_title)
        bottom.addWidget(self.next_label, 1)
        box.addLayout(bottom, 1)
        self.note_label = _label(self.frame, "callNote", "#d7e3f0")
        box.addWidget(self.note_label)

        self.flash_timer = QTimer(self)
        self.flash_timer.setSingleShot(True)
        self.flash_timer.setInterval(FLASH_MS)
        self.flash_timer.timeout.connect(lambda: self._paint(False))
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        QShortcut(QKeySequence(Qt.Key.Key_F11), self, self.toggle_full_screen)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.showNormal)
        ops.hub().changed.connect(self._changed)
        if parent is not None:  # the app's window closing (log out, quit) takes the screen with it
            parent.window().installEventFilter(self)
        self._paint(False)
        self._show(None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Close and watched is not self:
            self.close()
        return False

    # -- placing -------------------------------------------------------------------------------------------------
    def present(self) -> None:
        """Show it: full screen on a second screen when there is one, else a window beside the app."""
        here = self.parentWidget().screen() if self.parentWidget() is not None else self.screen()
        others = [s for s in QGuiApplication.screens() if s is not here]
        if others:
            self.setScreen(others[0])
            self.setGeometry(others[0].geometry())
            self.showFullScreen()
        else:
            room = here.availableGeometry()
            self.resize(min(960, room.width() * 2 // 3), min(600, room.height() * 2 // 3))
            self.show()
        self.timer.start()
        self.refresh()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self.toggle_full_screen()
        event.accept()

    # -- reading -------------------------------------------------------------------------------------------------
    def _changed(self, changes: Changes) -> None:
        if changes & CARES:
            self.refresh()

    def refresh(self) -> None:
        ctx = self._session()
        if ctx is None:
            self._show(None)
            return
        if self.task is not None and not self.task.done:
            self._again = True  # the answer on its way may predate the change
            return
        self._again = False
        day, site = self._today(), self._site()
        self.task = ops.run_in_background(
            lambda: calling.now_calling(ctx, day, site, upcoming=UPCOMING),
            self._read,
            self._failed,
            context=self,
        )

    def _read(self, data: NowCalling) -> None:
        self._show(data)
        if self._again:
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.note_label.setText(error_text(exc))
        if self._again:
            self.refresh()

    # -- showing -------------------------------------------------------------------------------------------------
    def _show(self, data: NowCalling | None) -> None:
        self.data = data
        current = data.current if data is not None else None
        if current is None:
            self.invite_label.setText("")
            self.number_label.setText("—")
            self.room_label.setText("Xin vui lòng chờ gọi số")
        else:
            self.invite_label.setText("MỜI SỐ")
            self.number_label.setText(str(current.queue_no))
            self.room_label.setText(current.room or "vào phòng khám")
            call = (current.queue_no, current.called_at)
            if self._last_call is not None and call != self._last_call:
                self._paint(True)
                self.flash_timer.start()
            self._last_call = call
        others = data.called[1:] if data is not None else []
        self.others_label.setText(
            "Đang khám: " + ", ".join(f"số {c.queue_no}" + (f" ({c.room})" if c.room else "") for c in others)
            if others
            else ""
        )
        upcoming = data.upcoming if data is not None else []
        self.next_label.setText("   ".join(str(n) for n in upcoming) or "—")
        if data is None:
            self.note_label.setText("Màn hình tạm dừng (máy đang khóa).")
        else:
            self.note_label.setText(
                f"{data.waiting} người đang chờ. Xin giữ phiếu số thứ tự và chờ đến lượt."
                if data.waiting
                else ""
            )
        self._fit_fonts()

    def call_text(self) -> str:
        """What the screen says, as one line (``Mời số 12 — Phòng khám 1``), for tests and screen readers."""
        current = self.data.current if self.data is not None else None
        if current is None:
            return "Chưa gọi số nào"
        return f"Mời số {current.queue_no}" + (f" — {current.room}" if current.room else "")

    def _paint(self, flash: bool) -> None:
        colour = FLASH if flash else "white"
        self.frame.setStyleSheet(f"QFrame#callFrame {{ background: {BACKGROUND}; }}")
        self.number_label.setStyleSheet(f"color: {colour}; background: transparent;")
        self.room_label.setStyleSheet(f"color: {colour}; background: transparent;")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_fonts()

    def _fit_fonts(self) -> None:
        """Type sized to the window: the number fills about a third of its height."""
        h = max(self.height(), 300)
        for label, share, bold in (
            (self.invite_label, 0.06, True),
            (self.number_label, 0.30, True),
            (self.room_label, 0.09, True),
            (self.others_label, 0.04, False),
            (self.next_title, 0.045, False),
            (self.next_label, 0.08, True),
            (self.note_label, 0.035, False),
        ):
            font = QFont(label.font())
            font.setPixelSize(max(12, int(h * share)))
            font.setBold(bold)
            label.setFont(font)

    def closeEvent(self, event) -> None:  # noqa: ANN001, N802 - Qt's name and event type
        self.timer.stop()
        super().closeEvent(event)
