"""Check-in at the desk, from what was scanned, typed or picked to the answer on screen.

The core decides (``ksk_desktop.scheduling.checkin``); this turns its typed errors into choices: someone not on
today's list can be taken as a walk-in (a stranger is registered first, with the scan dialog), a full day can be
overridden by whoever may manage schedules, someone already examined is only shown, a day whose desk runs on
another device of the station can be taken over by the head (then the check-in is tried again). Nothing is dropped: a scan
that arrives while another is being handled waits its turn.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ksk_desktop.scheduling import appointments, checkin, desk_owner
from ksk_desktop.scheduling.errors import AlreadyExamined, DayOverCapacity, DeskElsewhere, NotOnTodaysList
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.desk.result_panel import Choice, ResultPanel
from ui.desk.walk_in import register_stranger
from ui.dialog_owner import DialogOwner
from ui.messages import error_text
from ui.people.registration_dialog import ScanResultDialog

UNKNOWN_CODE = (
    "Không nhận ra “{value}”: nhập mã lịch hẹn trên phiếu hẹn, số CCCD (12 chữ số) hoặc CMND (9 chữ số); "
    "người không mang thẻ thì tìm theo họ tên ở ô bên dưới."
)


class DeskContext:
    """What the flow needs from the page: the session, the desk's clock, the chosen site and exam day."""

    def __init__(
        self,
        session: Callable[[], StationSession | None],
        now: Callable[[], datetime],
        site_id: Callable[[], str | None],
        day_id: Callable[[], str | None],
    ) -> None:
        self.session = session
        self.now = now
        self.site_id = site_id
        self.day_id = day_id


def _said(exc: NotOnTodaysList | AlreadyExamined) -> str:
    """The core's message, which names no one, after who it is about (kept apart so no log ever has it)."""
    return f"{exc.who}: {exc.message}" if exc.who else exc.message


class CheckinFlow(QObject):
    #: A check-in was recorded (or found): the ``CheckIn.to_json()`` dict.
    checked_in = Signal(dict)
    #: A check-in or walk-in failed: the board may be out of date (e.g. someone checked them in meanwhile).
    changed = Signal()
    busy_changed = Signal(bool)

    def __init__(
        self,
        desk: DeskContext,
        panel: ResultPanel,
        parent: QWidget,
        open_person: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.desk = desk
        self.panel = panel
        self.parent_widget = parent
        self.open_person = open_person
        self.task: ops.Task | None = None
        self.waiting: deque[tuple[str, str]] = deque()  # (kind, value) that came while busy
        self.dialogs = DialogOwner()  # a stranger's registration

    @property
    def walk_in_dialog(self) -> ScanResultDialog | None:
        return self.dialogs.get("walk-in")

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    # -- entry points ------------------------------------------------------------------------------------------
    def scan(self, text: str) -> None:
        """A wedge scan, a pasted payload or a typed code: an appointment barcode, a CCCD payload or ID number."""
        self._enqueue("scan", text.strip())

    def person(self, person_id: str) -> None:
        """Someone found by name (no card with them)."""
        self._enqueue("person", person_id)

    def appointment(self, appointment_id: str) -> None:
        """A row of the board that has not come yet."""
        self._enqueue("appointment", appointment_id)

    def _enqueue(self, kind: str, value: str) -> None:
        if not value:
            return
        self.waiting.append((kind, value))
        self._next()

    def _next(self) -> None:
        if self.busy or not self.waiting:
            return
        ctx = self.desk.session()
        if ctx is None:
            self.waiting.clear()
            return
        kind, value = self.waiting.popleft()
        if kind == "scan" and not checkin.is_desk_code(value):
            self.panel.show_error(UNKNOWN_CODE.format(value=value[:40]), "Không nhận ra mã")
            self._next()
            return
        today, site_id = self.desk.now().date(), self.desk.site_id()
        if kind == "scan":  # an appointment barcode, an ID number typed, or a CCCD payload
            work: Callable[[], Any] = lambda: checkin.checkin_scan(ctx, value, today=today, site_id=site_id)  # noqa: E731
        elif kind == "person":
            work = lambda: checkin.checkin_by_person(ctx, value, today=today, site_id=site_id)  # noqa: E731
        else:
            work = lambda: checkin.checkin_by_appointment(ctx, value, today=today)  # noqa: E731
        self.panel.show_busy()
        self._run(work, lambda exc: self._failed(exc, kind, value))

    def _run(self, work: Callable[[], Any], on_error: Callable[[BaseException], None]) -> None:
        self.busy_changed.emit(True)

        def done(result: checkin.CheckIn) -> None:
            self.busy_changed.emit(False)
            self._show(result)
            self._next()

        def failed(exc: BaseException) -> None:
            self.busy_changed.emit(False)
            on_error(exc)
            self._next()

        self.task = ops.run_in_background(
            work, done, failed, context=self, changes=Changes.APPOINTMENTS | Changes.OUTBOX
        )

    def _show(self, result: checkin.CheckIn) -> None:
        data = result.to_json()
        self.panel.show_checkin(data)  # the board learns of it from the check-in's changes (ui.changes)
        self.checked_in.emit(data)

    # -- problems and their choices ------------------------------------------------------------------------------
    def _failed(self, exc: BaseException, kind: str, value: str) -> None:
        ctx = self.desk.session()
        if isinstance(exc, NotOnTodaysList):
            self._not_on_list(exc, kind, value, ctx)
        elif isinstance(exc, DeskElsewhere):
            self._desk_elsewhere(exc, lambda: self._enqueue(kind, value))
        elif isinstance(exc, AlreadyExamined):
            choices = [Choice("Không tiếp đón", self.panel.clear, "choiceSkip")]
            if exc.person_id and self.open_person is not None:
                pid = exc.person_id
                choices.append(Choice("Xem hồ sơ", lambda: self._open(pid), "choiceOpen"))
            self.panel.show_choice("Đã khám trong năm", _said(exc) + " Không ghi nhận gì thêm.", choices)
        else:
            self.panel.show_error(error_text(exc))
        self.changed.emit()

    def _not_on_list(self, exc: NotOnTodaysList, kind: str, value: str, ctx: StationSession | None) -> None:
        skip = Choice("Không tiếp đón", self.panel.clear, "choiceSkip")
        if ctx is None or not ctx.can(Perm.CHECKIN):
            self.panel.show_error(_said(exc))
            return
        if exc.person_id:
            pid = exc.person_id
            self.panel.show_choice(
                "Không có trong danh sách hôm nay",
                _said(exc),
                [Choice("Tiếp nhận khám ngoài lịch", lambda: self.walk_in(pid), "choiceWalkIn"), skip],
            )
        elif kind == "scan" and not appointments.looks_like_id(value) and ctx.can(Perm.PERSON_WRITE):
            self.panel.show_choice(
                "Chưa có trong danh sách người dân",
                _said(exc),
                [Choice("Đăng ký và khám ngoài lịch", lambda: self._register(value), "choiceRegister"), skip],
            )
        else:
            self.panel.show_error(_said(exc), "Không có trong danh sách hôm nay")

    def walk_in(self, person_id: str, over_capacity: bool = False) -> None:
        ctx = self.desk.session()
        if ctx is None or self.busy:
            return
        day_id, now = self.desk.day_id(), self.desk.now()
        self.panel.show_busy("Đang xếp chỗ khám ngoài lịch…")
        self._run(
            lambda: checkin.walk_in(
                ctx, person_id, day_id=day_id, now=now, allow_over_capacity=over_capacity
            ),
            lambda exc: self._walk_in_failed(exc, person_id),
        )

    def _walk_in_failed(self, exc: BaseException, person_id: str) -> None:
        ctx = self.desk.session()
        if isinstance(exc, DayOverCapacity):
            choices = [Choice("Không tiếp nhận", self.panel.clear, "choiceSkip")]
            if ctx is not None and ctx.can(Perm.SCHEDULE_MANAGE):
                choices.insert(
                    0,
                    Choice(
                        "Khám vượt công suất", lambda: self.walk_in(person_id, True), "choiceOverCapacity"
                    ),
                )
            self.panel.show_choice("Hôm nay đã kín chỗ", exc.message, choices)
        elif isinstance(exc, AlreadyExamined):
            self._failed(exc, "person", person_id)
        elif isinstance(exc, DeskElsewhere):
            self._desk_elsewhere(exc, lambda: self.walk_in(person_id))
        else:
            self.panel.show_error(error_text(exc), "Chưa tiếp nhận được")
        self.changed.emit()

    def _desk_elsewhere(self, exc: DeskElsewhere, again: Callable[[], None]) -> None:
        ctx = self.desk.session()
        if ctx is None or not ctx.can(Perm.SCHEDULE_MANAGE):
            self.panel.show_error(exc.message + " Hãy báo trưởng trạm.", "Quầy do máy khác điều hành")
            return
        day_id = exc.day_id
        self.panel.show_choice(
            "Quầy do máy khác điều hành",
            exc.message,
            [
                Choice("Nhận quầy về máy này", lambda: self.take_desk(day_id, again), "choiceTakeDesk"),
                Choice("Không tiếp đón", self.panel.clear, "choiceSkip"),
            ],
        )

    def take_desk(self, day_id: str, again: Callable[[], None]) -> None:
        """The head moves the day's desk to this device, then the check-in is tried again."""
        ctx = self.desk.session()
        if ctx is None or self.busy:
            return
        self.panel.show_busy("Đang nhận quầy về máy này…")
        self.busy_changed.emit(True)

        def done(_result: dict) -> None:
            self.busy_changed.emit(False)
            again()

        def failed(exc: BaseException) -> None:
            self.busy_changed.emit(False)
            self.panel.show_error(error_text(exc), "Chưa nhận được quầy")
            self._next()

        self.task = ops.run_in_background(
            lambda: desk_owner.take_desk(ctx, day_id),
            done,
            failed,
            context=self,
            changes=Changes.SCHEDULE | Changes.OUTBOX,
        )

    def _register(self, payload: str) -> None:
        ctx = self.desk.session()
        if ctx is None:
            return
        self.panel.show_busy("Đăng ký người mới từ thẻ…")
        register_stranger(ctx, payload, self.parent_widget, self._registered, self.dialogs)

    def _registered(self, person_id: str | None) -> None:
        if person_id is None:
            self.panel.show_error(
                "Chưa đăng ký người này nên chưa tiếp nhận khám ngoài lịch.", "Chưa tiếp đón"
            )
            return
        self.walk_in(person_id)

    def _open(self, person_id: str) -> None:
        self.panel.clear()
        if self.open_person is not None:
            self.open_person(person_id)
