"""The "Hôm nay" page: the station's facts in a compact header and, on an exam day, the desk — check-in by scan,
code or name with the queue number shown big, walk-ins, the live board of the day, and the end of the day.

Every rule is the core's (``ksk_desktop.scheduling``); all of its calls run off the GUI thread (``ui.ops``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.dates import show_date
from ksk_desktop.people import persons
from ksk_desktop.scheduling import board
from ksk_desktop.security.roles import Perm
from ksk_desktop.station import device
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.desk.board_panel import BoardPanel
from ui.desk.call_display import CallDisplay
from ui.desk.checkin_flow import CheckinFlow, DeskContext
from ui.desk.checkin_panel import CheckinPanel
from ui.desk.desk_data import DeskSnapshot, load_desk
from ui.desk.device_dialog import open_device_dialog
from ui.desk.reconcile_dialog import EndOfDayDialog
from ui.desk.station_facts import FactsHeader, TodayFacts, load_facts
from ui.i18n import format_long_date
from ui.lazy_page import LazyPage
from ui.messages import error_text, show_error
from ui.printing.ticket_printer import TicketPrinter
from ui.widgets import ErrorLabel, heading, paragraph

BOARD_REFRESH_MS = 5_000
SEARCH_LIMIT = 20

#: Board step → core call (the check-in step goes through the check-in flow instead).
STEPS: dict[str, Callable[[StationSession, str], dict]] = {
    "start_exam": board.start_exam,
    "requeue": board.return_to_queue,
    "examined": board.mark_examined,
}


#: What the header cards show, and what the board shows.
FACTS_CHANGES = Changes.PEOPLE | Changes.OUTBOX | Changes.SYNC | Changes.STATION
BOARD_CHANGES = Changes.APPOINTMENTS | Changes.SCHEDULE | Changes.PEOPLE | Changes.EXAMS


class TodayPage(LazyPage):
    cares = FACTS_CHANGES | BOARD_CHANGES

    refreshed = Signal()  # the station facts were read (or failed)
    desk_refreshed = Signal()  # the desk's board was read (or failed)
    open_schedule = Signal()  # "go to Lịch khám"
    open_person = Signal(str)  # a person's record, from the desk
    exam_requested = Signal(str, str)  # (person id, appointment id): open the exam form on the Khám page

    def __init__(self, session: StationSession | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts: TodayFacts | None = None
        self.snapshot: DeskSnapshot | None = None
        self.task: ops.Task | None = None
        self.board_task: ops.Task | None = None
        self.step_task: ops.Task | None = None
        self.search_task: ops.Task | None = None
        self._task_session: StationSession | None = None
        self._facts_again = False
        self._board_again = False
        self._select_after: str | None = None
        self.site_id: str | None = None
        self.call_display: CallDisplay | None = None  # checked with shiboken6.isValid: it deletes itself
        self.tickets = TicketPrinter(self, self._choose_device, declined=self._tickets_declined)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(10)
        top = QHBoxLayout()
        top.addWidget(heading("Hôm nay", 1))
        self.date_label = paragraph("", self)
        top.addWidget(self.date_label, 1)
        self.site_label = QLabel("Điểm khám:", self)
        self.site_combo = QComboBox(self)
        self.site_combo.setObjectName("deskSite")
        self.site_combo.currentIndexChanged.connect(self._site_changed)
        self.end_day_button = QPushButton("Kết thúc ngày…", self)
        self.end_day_button.setObjectName("endOfDay")
        self.end_day_button.setAutoDefault(False)
        self.end_day_button.clicked.connect(self.open_end_of_day)
        self.refresh_button = QPushButton("Làm mới", self)
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh)
        for w in (self.site_label, self.site_combo, self.end_day_button, self.refresh_button):
            top.addWidget(w)
        layout.addLayout(top)

        self.header = FactsHeader(self)
        self.station_card, self.people_card = self.header.station_card, self.header.people_card
        self.outbox_card, self.user_card = self.header.outbox_card, self.header.user_card
        layout.addWidget(self.header)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)

        self.stack = QStackedWidget(self)
        self.no_day = self._no_day_panel()
        self.desk = QSplitter(Qt.Orientation.Horizontal, self.stack)
        self.checkin_panel = CheckinPanel(self.desk)
        self.checkin_panel.setMinimumWidth(320)
        self.board_panel = BoardPanel(self.desk)
        self.desk.addWidget(self.checkin_panel)
        self.desk.addWidget(self.board_panel)
        self.desk.setStretchFactor(1, 1)
        self.desk.setSizes([420, 800])
        self.stack.addWidget(self.no_day)
        self.stack.addWidget(self.desk)
        layout.addWidget(self.stack, 1)
        self.updated_label = paragraph("", self, muted=True)
        layout.addWidget(self.updated_label)

        self.flow = CheckinFlow(
            DeskContext(lambda: self.session, self.local_now, lambda: self.site_id, self._day_id),
            self.checkin_panel.result,
            self,
            open_person=self.open_person.emit,
        )
        self.flow.changed.connect(self.refresh_board)
        self.flow.checked_in.connect(self._checked_in)
        self.checkin_panel.code_entered.connect(self._code_entered)
        self.checkin_panel.search_changed.connect(self._search)
        self.checkin_panel.person_chosen.connect(self._person_chosen)
        self.checkin_panel.print_requested.connect(self.print_ticket)
        self.checkin_panel.device_requested.connect(lambda: self._choose_device(None))
        self.checkin_panel.display_requested.connect(self.open_call_display)
        self.board_panel.action_requested.connect(self._step)
        QShortcut(QKeySequence("F2"), self, lambda: self.checkin_panel.code_edit.setFocus())
        QShortcut(QKeySequence("F3"), self, lambda: self.checkin_panel.search_edit.setFocus())
        self.timer = QTimer(self)
        self.timer.setInterval(BOARD_REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self._show_snapshot(None)
        self.set_session(session)

    def _no_day_panel(self) -> QWidget:
        panel = QFrame(self)
        panel.setObjectName("noExamDay")
        panel.setStyleSheet(
            "QFrame#noExamDay { background: #f1f4f8; border: 1px solid #d5dbe3; border-radius: 8px; }"
        )
        box = QVBoxLayout(panel)
        box.setContentsMargins(20, 16, 20, 16)
        self.no_day_label = heading("Hôm nay không có ngày khám", 2, panel)
        self.no_day_label.setObjectName("noExamDayTitle")
        self.no_day_text = paragraph("", panel)
        self.schedule_button = QPushButton("Mở trang Lịch khám", panel)
        self.schedule_button.setObjectName("openSchedule")
        self.schedule_button.clicked.connect(self.open_schedule)
        box.addWidget(self.no_day_label)
        box.addWidget(self.no_day_text)
        row = QHBoxLayout()
        row.addWidget(self.schedule_button)
        row.addStretch(1)
        box.addLayout(row)
        box.addStretch(1)
        return panel

    # -- session ----------------------------------------------------------------------------------------------
    def close_dialogs(self) -> None:
        super().close_dialogs()
        self.flow.dialogs.close_all()  # a stranger's registration

    def session_changed(self, session: StationSession | None) -> None:
        self.board_panel.set_session(session)
        self.flow.waiting.clear()
        self.checkin_panel.result.clear()
        self.checkin_panel.clear_inputs()
        if session is None:  # locked: forget what was shown
            self.timer.stop()
            self.facts = None
            self.header.clear()
            self._show_snapshot(None)
            self.updated_label.clear()
            self.refresh_button.setEnabled(False)
            return
        self.header.show_user(session.user)
        self.checkin_panel.set_allowed(session.can(Perm.CHECKIN), session.can(Perm.PERSON_READ))
        self.checkin_panel.set_printing(session.can(Perm.PRINT))
        self._show_device(device.load(session.paths))
        self.refresh_button.setEnabled(True)
        self.timer.start()

    def reload(self, changes: Changes) -> None:
        if changes & FACTS_CHANGES:
            self.refresh_facts()
        if changes & BOARD_CHANGES:
            self.refresh_board()

    @property
    def has_exam_day(self) -> bool:
        return self.snapshot is not None and self.snapshot.has_day

    def accepts_scans(self) -> bool:
        """Whether a scan should check someone in here (an exam day today and a user who may check in)."""
        return self.session is not None and self.has_exam_day and self.session.can(Perm.CHECKIN)

    def handle_scan(self, payload: str) -> None:
        """A scan (wedge, serial scanner or camera) while the desk is on screen."""
        self.flow.scan(payload)

    def local_now(self) -> datetime:
        """The wall clock in Vietnam by the session's clock (a test freezes the session's clock)."""
        return (self.session.clock if self.session is not None else SYSTEM_CLOCK).local_now()

    # -- reading -----------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """ "Làm mới": read the facts and the board again."""
        self.load_now()

    def refresh_facts(self) -> None:
        self.date_label.setText(format_long_date(self.local_now().date()))
        ctx = self.session
        if ctx is None:
            return
        if self.task is not None and not self.task.done and self._task_session is ctx:
            self._facts_again = True  # the answer on its way may predate the change
            return
        self._facts_again = False
        self._task_session = ctx
        self.error_label.clear_message()
        self.refresh_button.setEnabled(False)
        self.task = ops.run_in_background(
            lambda: load_facts(ctx),
            lambda facts: self._show_facts(ctx, facts),
            lambda exc: self._facts_failed(ctx, exc),
            context=self,
        )

    def _show_facts(self, ctx: StationSession, facts: TodayFacts) -> None:
        if ctx is not self.session:
            return  # locked (or re-logged) meanwhile
        self.facts = facts
        self.refresh_button.setEnabled(True)
        self.header.show_facts(facts)
        self.refreshed.emit()
        if self._facts_again:
            self.refresh_facts()

    def _facts_failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.refresh_button.setEnabled(True)
        self.error_label.show_message(error_text(exc))
        self.refreshed.emit()

    def _tick(self) -> None:
        if self.isVisible() and self.session is not None:
            self.refresh_board()

    def refresh_board(self) -> None:
        ctx = self.session
        if ctx is None:
            return
        if self.board_task is not None and not self.board_task.done:
            self._board_again = True  # once the current read is back
            return
        if not ctx.can(Perm.CHECKIN):
            self._show_snapshot(DeskSnapshot(self.local_now().date(), [], None))
            return
        today, site_id = self.local_now().date(), self.site_id
        self.board_task = ops.run_in_background(
            lambda: load_desk(ctx, today, site_id),
            lambda snap: self._board_read(ctx, snap),
            lambda exc: self._board_failed(ctx, exc),
            context=self,
        )

    def _board_read(self, ctx: StationSession, snapshot: DeskSnapshot) -> None:
        if ctx is self.session:
            self._show_snapshot(snapshot)
            self.updated_label.setText(f"Cập nhật lúc {self.local_now():%H:%M:%S}")
        self._board_done()

    def _board_failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is self.session:
            self.error_label.show_message(error_text(exc))
        self._board_done()

    def _board_done(self) -> None:
        self.desk_refreshed.emit()
        if self._board_again:
            self._board_again = False
            self.refresh_board()

    def _show_snapshot(self, snapshot: DeskSnapshot | None) -> None:
        self.snapshot = snapshot
        has_day = snapshot is not None and snapshot.has_day
        self.stack.setCurrentWidget(self.desk if has_day else self.no_day)
        self.end_day_button.setVisible(has_day)
        self.site_combo.blockSignals(True)
        self.site_combo.clear()
        for d in snapshot.days if snapshot else []:
            self.site_combo.addItem(f"{d.site_name} ({d.booked}/{d.capacity})", d.site_id)
        if has_day:
            self.site_id = snapshot.site_id
            self.site_combo.setCurrentIndex(max(0, self.site_combo.findData(snapshot.site_id)))
        self.site_combo.blockSignals(False)
        several = snapshot is not None and len(snapshot.days) > 1
        self.site_combo.setVisible(several)
        self.site_label.setVisible(several)
        if not has_day:
            self.board_panel.set_data([], {})
            if snapshot is None:
                self.no_day_label.setText("Đang đọc lịch khám hôm nay…")
                self.no_day_text.clear()
            elif self.session is not None and not self.session.can(Perm.CHECKIN):
                self.no_day_label.setText("Tài khoản của bạn không có quyền tiếp đón.")
                self.no_day_text.clear()
            else:
                self.no_day_label.setText("Hôm nay không có ngày khám")
                self.no_day_text.setText(
                    f"Hôm nay ({show_date(snapshot.today)}) không có ngày khám nào tại trạm "
                    "hay điểm khám lưu động. Thêm ngày khám và xếp lịch ở trang Lịch khám; "
                    "quét thẻ CCCD ở đây vẫn mở hồ sơ người dân."
                )
            self.schedule_button.setVisible(snapshot is not None)
            return
        self.board_panel.set_data(snapshot.rows, snapshot.counts)
        if self._select_after and self.board_panel.select(self._select_after):
            self._select_after = None

    def _site_changed(self) -> None:
        site_id = self.site_combo.currentData()
        if site_id and site_id != self.site_id:
            self.site_id = site_id
            self.refresh_board()

    def _day_id(self) -> str | None:
        day = self.snapshot.day if self.snapshot is not None else None
        return day.day_id if day is not None else None

    # -- check-in ------------------------------------------------------------------------------------------------
    def _code_entered(self, text: str) -> None:
        self.checkin_panel.code_edit.clear()
        self.flow.scan(text)

    def _person_chosen(self, person_id: str) -> None:
        self.checkin_panel.clear_inputs()
        self.flow.person(person_id)

    def _search(self, query: str) -> None:
        ctx = self.session
        if ctx is None or not ctx.can(Perm.PERSON_READ):
            return
        if len(query) < 2:
            self.checkin_panel.show_results(query, [])
            return
        self.search_task = ops.run_in_background(
            lambda: persons.search(ctx, query, limit=SEARCH_LIMIT, record=False),
            lambda people: self.checkin_panel.show_results(query, people),
            lambda exc: self.checkin_panel.result.show_error(error_text(exc), "Không tìm được"),
            context=self,
        )

    def _checked_in(self, data: dict) -> None:
        self._select_after = data["appointment"]["id"]
        self.checkin_panel.code_edit.setFocus()
        if self.checkin_panel.auto_print_check.isChecked() and self.checkin_panel.printing_available:
            self.print_ticket()

    def print_ticket(self) -> ops.Task | None:
        """The ticket of the check-in shown, straight to this computer's ticket printer (asks for one if none)."""
        data = self.checkin_panel.result.checkin
        if self.session is None or data is None:
            return None
        return self.tickets.print_ticket(self.session, data)  # shows any failure itself

    # -- this computer: ticket printer, room, the waiting room's screen ---------------------------------------------
    def _show_device(self, settings: device.DeviceSettings) -> None:
        self.checkin_panel.show_device(settings.ticket_printer, settings.call_room)

    def _choose_device(self, then: Callable[[device.DeviceSettings | None], None] | None) -> None:
        """ "Máy in phiếu…": this computer's ticket printer and room; ``then(saved settings or None)``."""
        if self.session is None:
            return

        def closed(settings: device.DeviceSettings | None) -> None:
            if settings is not None:
                self._show_device(settings)
            if then is not None:
                then(settings)

        open_device_dialog(self.session.paths, self, closed)

    def _tickets_declined(self) -> None:
        """No ticket printer for now: stop printing after each check-in rather than ask every time."""
        self.checkin_panel.auto_print_check.setChecked(False)

    def open_call_display(self) -> CallDisplay | None:
        """ "Màn hình gọi số": the waiting room's screen (brought forward if already open)."""
        if self.session is None:
            return None
        if self.call_display is not None and shiboken6.isValid(self.call_display):
            self.call_display.raise_()
            self.call_display.activateWindow()
            return self.call_display
        display = CallDisplay(
            lambda: self.session, lambda: self.local_now().date(), lambda: self.site_id, self
        )
        self.call_display = display
        display.present()
        return display

    # -- board steps ---------------------------------------------------------------------------------------------
    def _step(self, key: str, appointment_id: str) -> None:
        ctx = self.session
        if ctx is None or (self.step_task is not None and not self.step_task.done):
            return
        if key == "checkin":
            self._select_after = appointment_id
            self.flow.appointment(appointment_id)
            return
        if key == "open_exam":
            row = self.board_panel.selected_row()
            if row is not None and row.get("appointment_id") == appointment_id:
                self.exam_requested.emit(row["person_id"], appointment_id)
            return
        today = self.local_now().date()
        fn: Callable[[], dict]
        if key == "no_show":
            fn = lambda: board.mark_no_show(ctx, appointment_id, today=today)  # noqa: E731
        elif key == "start_exam":
            # The room this desk calls into, for the waiting room's screen.
            room = device.load(ctx.paths).call_room
            fn = lambda: board.start_exam(ctx, appointment_id, room=room)  # noqa: E731
        else:
            step = STEPS[key]
            fn = lambda: step(ctx, appointment_id)  # noqa: E731
        self._select_after = appointment_id
        self.board_panel.set_busy(True)
        self.step_task = ops.run_in_background(
            fn,
            lambda _r: self._step_done(),
            self._step_failed,
            context=self,
            changes=Changes.APPOINTMENTS | Changes.OUTBOX,
        )

    def _step_done(self) -> None:
        self.board_panel.set_busy(False)  # the board refreshes from the step's changes

    def _step_failed(self, exc: BaseException) -> None:
        self.board_panel.set_busy(False)
        show_error(self, "Không thực hiện được", exc)
        self.refresh_board()

    # -- end of the day ------------------------------------------------------------------------------------------
    def open_end_of_day(self) -> None:
        snap, ctx = self.snapshot, self.session
        if ctx is None or snap is None or not snap.has_day:
            return
        expected = [r for r in snap.rows if r["_column"] == "expected"]
        unfinished = sum(r["_column"] in ("waiting", "in_exam") for r in snap.rows)
        day = snap.day
        dialog = EndOfDayDialog(
            ctx,
            snap.today,
            snap.site_id,
            day.site_name if day else "",
            expected,
            unfinished,
            self.local_now,
            self,
        )
        self.dialogs.open("end of day", dialog)

    @property
    def end_of_day(self) -> EndOfDayDialog | None:
        return self.dialogs.get("end of day")
