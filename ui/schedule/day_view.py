"""One exam day: its slots and the people booked in each. From here an appointment moves to another slot or
day, is marked notified or cancelled; the day is locked or unlocked; the day schedule and a hamlet's call list
are printed. Reading the day is audited (it shows people's details), so it runs on the worker thread."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.people.persons import sex_label
from ksk_desktop.scheduling import appointments, day_schedule, days
from ksk_desktop.scheduling import status as st
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.dialog_owner import DialogOwner
from ui.i18n import format_long_date
from ui.messages import ask, error_text
from ui.people.person_text import birth_text
from ui.printing.preview import preview_document
from ui.schedule.move_dialog import MoveDialog
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading

APPOINTMENT_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ["Ca / STT", "Họ và tên", "Ngày sinh", "Giới", "Thôn/Tổ", "Điện thoại", "Trạng thái"]
NO_HAMLET = "(chưa ghi thôn/tổ)"
APPOINTMENT_CHANGES = Changes.APPOINTMENTS | Changes.OUTBOX
DAY_CHANGES = Changes.SCHEDULE | Changes.APPOINTMENTS | Changes.OUTBOX


class DayView(QDialog):
    changed = Signal()  # an appointment or the day changed (the pages learn it from the operation's changes)
    loaded = Signal()

    def __init__(self, session: StationSession, day: days.DayInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.day = day
        self.schedule: day_schedule.DaySchedule | None = None  # day_schedule() of the date and site
        self.day_data: day_schedule.ScheduledDay | None = None  # this day within it
        self.task: ops.Task | None = None
        self.dialogs = DialogOwner()  # the appointment being moved
        when = date.fromisoformat(day.date)
        self.setWindowTitle(f"Ngày khám {format_long_date(when)} — {day.site_name}")
        self.manage = session.can(Perm.SCHEDULE_MANAGE)
        self.printing = session.can(Perm.PRINT)
        outer = QVBoxLayout(self)
        outer.addWidget(heading(f"{format_long_date(when)} — {day.site_name}", 1, self))
        self.info_label = QLabel(self)
        self.info_label.setObjectName("dayInfo")
        outer.addWidget(self.info_label)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("dayTree")
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setColumnWidth(0, 120)
        self.tree.setColumnWidth(1, 220)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemActivated.connect(lambda *_: self.move_selected())
        outer.addWidget(self.tree, 1)

        actions = QHBoxLayout()
        self.move_button = QPushButton("Chuyển ca…", self)
        self.notify_button = QPushButton("Đã báo lịch", self)
        self.notify_button.setToolTip("Đánh dấu những người đã chọn là đã được báo ngày giờ khám")
        self.cancel_button = QPushButton("Hủy lịch hẹn…", self)
        self.lock_button = QPushButton(self)
        self.lock_button.setObjectName("lockDayButton")
        self.move_button.clicked.connect(self.move_selected)
        self.notify_button.clicked.connect(self.notify_selected)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.lock_button.clicked.connect(self.toggle_lock)
        for b in (self.move_button, self.notify_button, self.cancel_button, self.lock_button):
            b.setVisible(self.manage)
            actions.addWidget(b)
        actions.addStretch(1)
        self.capacity_spin = QSpinBox(self)
        self.capacity_spin.setObjectName("dayCapacitySpin")
        self.capacity_spin.setRange(1, 1000)
        self.capacity_spin.setSuffix(" người/ca")
        self.capacity_button = QPushButton("Đổi số người mỗi ca", self)
        self.capacity_button.clicked.connect(self.change_capacity)
        for w in (self.capacity_spin, self.capacity_button):
            w.setVisible(self.manage)
            actions.addWidget(w)
        outer.addLayout(actions)

        printing = QHBoxLayout()
        self.print_day_button = QPushButton("In lịch ngày", self)
        self.print_day_button.clicked.connect(self.print_day)
        self.hamlet_combo = QComboBox(self)
        self.hamlet_combo.setObjectName("callListHamlet")
        self.hamlet_combo.setMinimumContentsLength(16)
        self.print_calls_button = QPushButton("In danh sách gọi", self)
        self.print_calls_button.setToolTip("Danh sách người của thôn/tổ đã chọn, để trưởng thôn báo lịch")
        self.print_calls_button.clicked.connect(self.print_call_list)
        printing.addWidget(self.print_day_button)
        printing.addSpacing(16)
        printing.addWidget(QLabel("Thôn/Tổ:", self))
        printing.addWidget(self.hamlet_combo)
        printing.addWidget(self.print_calls_button)
        printing.addStretch(1)
        self.close_button = QPushButton("Đóng", self)
        self.close_button.clicked.connect(self.reject)
        printing.addWidget(self.close_button)
        for w in (self.print_day_button, self.hamlet_combo, self.print_calls_button):
            w.setVisible(self.printing)
        outer.addLayout(printing)
        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        outer.addWidget(self.status_label)
        outer.addWidget(self.error_label)
        self.resize(980, 700)
        self._update_buttons()
        self.reload()

    # -- reading ---------------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], changes: Changes = Changes.NONE
    ) -> None:
        self.error_label.clear_message()
        self.task = ops.run_in_background(fn, on_done, self._failed, context=self, changes=changes)
        self._update_buttons()

    def _failed(self, exc: BaseException) -> None:
        self.error_label.show_message(error_text(exc))
        self._update_buttons()

    def reload(self) -> None:
        ctx, when, site_id = self.session, date.fromisoformat(self.day.date), self.day.site_id
        self._run(lambda: day_schedule.day_schedule(ctx, when, site_id), self._show)

    def _show(self, schedule: day_schedule.DaySchedule) -> None:
        self.schedule = schedule
        self.day_data = next((d for d in schedule.days if d.day_id == self.day.id), None)
        self.tree.clear()
        d = self.day_data
        if d is None:
            self.info_label.setText("Ngày khám này không còn nữa.")
            self._update_buttons()
            self.loaded.emit()
            return
        self.day = replace(self.day, locked=d.locked)
        self.capacity_spin.setValue(d.capacity_per_slot)
        self.info_label.setText(
            f"Giờ làm việc {d.opening_hours}, ca {d.slot_minutes} phút, {d.capacity_per_slot} người/ca — "
            f"đã hẹn {d.booked}/{d.capacity}, còn trống {d.free}"
            + (" — ĐÃ KHÓA (xếp lịch lại không thay đổi ngày này)" if d.locked else "")
            + (f". Đội khám: {d.team_note}" if d.team_note else "")
        )
        hamlets: set[str] = set()
        for slot in d.slots:
            item = QTreeWidgetItem(
                self.tree, [f"{slot.start}–{slot.end}", f"{slot.booked}/{slot.capacity} người"]
            )
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            for a in slot.appointments:
                hamlets.add(a["hamlet"] or "")
                child = QTreeWidgetItem(
                    item,
                    [
                        str(a["queue_no"] or ""),
                        a["name"],
                        birth_text(a["dob"], a["birth_year"]),
                        sex_label(a["sex"]),
                        a["hamlet"] or "",
                        a["phone"] or "",
                        a["status_label"] + (" (khóa)" if a["locked"] else ""),
                    ],
                )
                child.setData(0, APPOINTMENT_ROLE, a)
            item.setExpanded(True)
        current = self.hamlet_combo.currentData()
        self.hamlet_combo.clear()
        for h in sorted(hamlets):
            self.hamlet_combo.addItem(h or NO_HAMLET, h)
        self.hamlet_combo.setCurrentIndex(max(0, self.hamlet_combo.findData(current)))
        self._update_buttons()
        self.loaded.emit()

    def appointment_items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            slot = self.tree.topLevelItem(i)
            out += [slot.child(j) for j in range(slot.childCount())]
        return out

    def selected(self) -> list[dict]:
        return [
            it.data(0, APPOINTMENT_ROLE) for it in self.tree.selectedItems() if it.data(0, APPOINTMENT_ROLE)
        ]

    def select_appointment(self, appointment_id: str) -> None:
        self.tree.clearSelection()
        for it in self.appointment_items():
            if it.data(0, APPOINTMENT_ROLE)["appointment_id"] == appointment_id:
                it.setSelected(True)
                self.tree.setCurrentItem(it)

    # -- changes ---------------------------------------------------------------------------------------------------
    def _changed(self, message: str) -> None:
        self.status_label.show_message(message)
        self.changed.emit()
        self.reload()

    def move_selected(self) -> MoveDialog | None:
        chosen = self.selected()
        if not self.manage or len(chosen) != 1 or self.busy:
            return None
        a = chosen[0]
        if a["status"] not in st.EXPECTED:
            self.error_label.show_message(
                f"Lịch hẹn đang ở trạng thái “{a['status_label']}”, không chuyển ca được."
            )
            return None

        def finished(dialog: MoveDialog, result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                moved = dialog.result_value
                self._changed(
                    f"Đã chuyển {a['name']} sang ca {moved['start']} ngày "
                    f"{format_long_date(date.fromisoformat(moved['date']))}."
                )

        return self.dialogs.open("move", MoveDialog(self.session, a, self), finished)

    @property
    def move_dialog(self) -> MoveDialog | None:
        return self.dialogs.get("move")

    def notify_selected(self) -> None:
        chosen = [a["appointment_id"] for a in self.selected()]
        if not self.manage or not chosen or self.busy:
            return
        ctx = self.session
        self._run(
            lambda: appointments.mark_notified(ctx, chosen),
            lambda n: self._changed(f"Đã đánh dấu {n} người là đã báo lịch."),
            APPOINTMENT_CHANGES,
        )

    def cancel_selected(self) -> None:
        chosen = self.selected()
        if not self.manage or len(chosen) != 1 or self.busy:
            return
        a, ctx = chosen[0], self.session

        def cancel() -> None:
            self._run(
                lambda: appointments.cancel_appointment(ctx, a["appointment_id"], "Hủy tại trang Lịch khám"),
                lambda _r: self._changed(f"Đã hủy lịch hẹn của {a['name']}."),
                APPOINTMENT_CHANGES,
            )

        ask(
            self,
            "Hủy lịch hẹn",
            f"Hủy lịch hẹn của {a['name']} ({a['start']})? Người này sẽ không còn trong danh sách của ngày.",
            cancel,
            "Hủy lịch hẹn",
        )

    def change_capacity(self) -> None:
        """A new capacity per slot for the day; refused (with the reason) if a slot already holds more people."""
        if not self.manage or self.busy or self.day_data is None:
            return
        ctx, day_id, n = self.session, self.day.id, self.capacity_spin.value()
        self._run(
            lambda: days.set_capacity(ctx, day_id, n),
            lambda r: self._changed(
                f"Ngày khám này nhận {r.capacity_per_slot} người mỗi ca ({r.capacity} chỗ)."
            ),
            DAY_CHANGES,
        )

    def toggle_lock(self) -> None:
        if not self.manage or self.busy:
            return
        ctx, day_id, lock = self.session, self.day.id, not self.day.locked
        self._run(
            lambda: days.lock_day(ctx, day_id, lock),
            lambda r: self._changed(
                ("Đã khóa" if lock else "Đã mở khóa") + f" ngày khám ({r.appointments_changed} lịch hẹn)."
            ),
            DAY_CHANGES,
        )

    # -- printing ----------------------------------------------------------------------------------------------------
    def print_day(self) -> ops.Task | None:
        """The day schedule of this day in the print preview (the printing module checks the right and audits)."""
        if not self.printing or self.day_data is None:
            return None
        from ksk_desktop.printing import jobs

        ctx, when, site_id = self.session, date.fromisoformat(self.day.date), self.day.site_id
        return preview_document(
            self,
            lambda: jobs.day_schedule_document(ctx, when, site_id=site_id),
            f"lich-kham-{self.day.date}.pdf",
        )

    def print_call_list(self) -> ops.Task | None:
        """The call list of the chosen hamlet on this date, for its head to tell everyone their time."""
        if not self.printing or self.day_data is None or self.hamlet_combo.currentIndex() < 0:
            return None
        from ksk_desktop.printing import jobs
        from ksk_desktop.printing.call_list_pdf import NO_HAMLET as PRINTED_NO_HAMLET

        hamlet = self.hamlet_combo.currentData() or PRINTED_NO_HAMLET
        ctx, when = self.session, date.fromisoformat(self.day.date)
        return preview_document(
            self,
            lambda: jobs.call_list_document(ctx, when, hamlet),
            f"danh-sach-goi-{self.day.date}.pdf",
        )

    # -- state -------------------------------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        chosen = self.selected()
        idle = not self.busy
        self.move_button.setEnabled(idle and len(chosen) == 1)
        self.cancel_button.setEnabled(idle and len(chosen) == 1)
        self.notify_button.setEnabled(idle and bool(chosen))
        self.lock_button.setEnabled(idle and self.day_data is not None)
        self.capacity_button.setEnabled(idle and self.day_data is not None)
        self.lock_button.setText("Mở khóa ngày" if self.day.locked else "Khóa ngày")
        loaded = idle and self.day_data is not None
        self.print_day_button.setEnabled(loaded)
        self.print_calls_button.setEnabled(loaded and self.hamlet_combo.count() > 0)

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()

    def done(self, result: int) -> None:
        self.dialogs.close_all()  # the move dialog goes with the day
        super().done(result)
