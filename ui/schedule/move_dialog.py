"""Move one appointment to another slot, on the same day or another open day (the core refuses a full slot or
a past day, and locks a moved appointment so re-planning never undoes it). The days and their slots are read
on the worker thread."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtWidgets import QComboBox, QLabel, QWidget

from ksk_desktop.scheduling import appointments, day_schedule, days
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.i18n import format_date
from ui.messages import error_text
from ui.task_dialog import FormError, TaskDialog


class MoveDialog(TaskDialog):
    """``result_value`` is the moved appointment (dict) once accepted."""

    changes = Changes.APPOINTMENTS | Changes.OUTBOX

    def __init__(self, session: StationSession, appointment: dict, parent: QWidget | None = None) -> None:
        super().__init__("Chuyển ca khám", parent, submit_text="Chuyển", busy_text="Đang chuyển…")
        self.session = session
        self.appointment = appointment
        self.form.addRow("Người hẹn:", QLabel(appointment["name"], self))
        self.form.addRow("Đang hẹn:", QLabel(f"{appointment['start']}–{appointment['end']}", self))
        self.day_combo = QComboBox(self)
        self.day_combo.setObjectName("moveDay")
        self.slot_combo = QComboBox(self)
        self.slot_combo.setObjectName("moveSlot")
        self.form.addRow("Sang ngày:", self.day_combo)
        self.form.addRow("Sang ca:", self.slot_combo)
        self.days: dict[str, days.DayInfo] = {}
        self.load_task: ops.Task | None = None
        self.day_combo.currentIndexChanged.connect(self._load_slots)
        self.resize(480, self.sizeHint().height())
        today = session.clock.today()
        self.load_task = ops.run_in_background(
            lambda: days.list_days(session, date_from=today),
            self._show_days,
            lambda exc: self.error_label.show_message(error_text(exc)),
            context=self,
        )

    @property
    def loading(self) -> bool:
        return self.load_task is not None and not self.load_task.done

    def _show_days(self, upcoming: list[days.DayInfo]) -> None:
        self.day_combo.blockSignals(True)
        for d in upcoming:
            if d.locked and d.id != self.appointment["day_id"]:
                continue
            self.days[d.id] = d
            self.day_combo.addItem(
                f"{format_date(date.fromisoformat(d.date))} — {d.site_name} (còn {d.free}/{d.capacity})",
                d.id,
            )
        self.day_combo.setCurrentIndex(max(0, self.day_combo.findData(self.appointment["day_id"])))
        self.day_combo.blockSignals(False)
        self._load_slots()

    def _load_slots(self) -> None:
        self.slot_combo.clear()
        day = self.days.get(self.day_combo.currentData())
        if day is None:
            return
        ctx, when, site_id = self.session, date.fromisoformat(day.date), day.site_id
        self.load_task = ops.run_in_background(  # slot times and places only: no one's details, not audited
            lambda: day_schedule.day_schedule(ctx, when, site_id, record=False),
            lambda schedule: self._show_slots(day, schedule),
            lambda exc: self.error_label.show_message(error_text(exc)),
            context=self,
        )

    def _show_slots(self, day: days.DayInfo, schedule: day_schedule.DaySchedule) -> None:
        if self.day_combo.currentData() != day.id:
            return  # another day was chosen meanwhile
        self.slot_combo.clear()
        for d in schedule.days:
            if d.day_id != day.id:
                continue
            for slot in d.slots:
                free = slot.capacity - slot.booked
                mark = (
                    " — ca hiện tại"
                    if slot.slot_id == self.appointment["slot_id"]
                    else (" — đã đủ người" if free <= 0 else "")
                )
                self.slot_combo.addItem(
                    f"{slot.start}–{slot.end} (còn {max(0, free)}/{slot.capacity}){mark}",
                    slot.slot_id,
                )

    def prepare(self) -> Callable[[], dict]:
        slot_id = self.slot_combo.currentData()
        if slot_id is None:
            raise FormError("Chọn ca khám muốn chuyển sang.")
        if slot_id == self.appointment["slot_id"]:
            raise FormError("Đây là ca đang hẹn: chọn ca khác.")
        ctx, appointment_id = self.session, self.appointment["appointment_id"]
        return lambda: appointments.move_appointment(ctx, appointment_id, slot_id)
