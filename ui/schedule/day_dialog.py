"""Add an exam day: site, date, opening hours, slot length and people per slot (by default the site's capacity
an hour × the slot length). A date in the past or a site with no capacity gets the core's message and a way
out: a button that takes today, or one that sets the day's own capacity."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLineEdit, QPushButton, QSpinBox, QWidget

from ksk_desktop.errors import KskError
from ksk_desktop.scheduling import days, sites
from ksk_desktop.scheduling.errors import DateInPast, SiteCapacityMissing
from ksk_desktop.station.session import StationSession
from ui.changes import Changes
from ui.i18n import DATE_FORMAT, format_date, format_number
from ui.messages import error_text
from ui.task_dialog import FormError, TaskDialog
from ui.widgets import MUTED_STYLE, MessageLabel


def to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def date_edit(value: date, parent: QWidget) -> QDateEdit:
    edit = QDateEdit(parent)
    edit.setCalendarPopup(True)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setDate(to_qdate(value))
    return edit


class DayDialog(TaskDialog):
    changes = Changes.SCHEDULE
    """``result_value`` is the new day (dict, with its slots) once accepted."""

    def __init__(
        self,
        session: StationSession,
        site_list: list[sites.SiteInfo],
        parent: QWidget | None = None,
        site_id: str | None = None,
        day: date | None = None,
    ) -> None:
        super().__init__("Thêm ngày khám", parent, submit_text="Thêm ngày khám", busy_text="Đang lưu…")
        self.session = session
        self.sites = {s.id: s for s in site_list}
        self.site_combo = QComboBox(self)
        self.site_combo.setObjectName("daySite")
        for s in site_list:
            cap = f"{s.capacity_per_hour} người/giờ" if s.capacity_per_hour else "chưa đặt công suất"
            self.site_combo.addItem(f"{s.name} ({sites.KIND_LABELS[s.kind]}, {cap})", s.id)
        if site_id:
            self.site_combo.setCurrentIndex(max(0, self.site_combo.findData(site_id)))
        self.date_edit = date_edit(day or session.clock.today(), self)
        self.date_edit.setObjectName("dayDate")
        self.hours_edit = QLineEdit(days.DEFAULT_HOURS, self)
        self.hours_edit.setToolTip(
            "Các khung giờ làm việc, cách nhau bằng dấu phẩy, ví dụ 07:30-11:30,13:30-16:30"
        )
        self.slot_spin = QSpinBox(self)
        self.slot_spin.setRange(5, 240)
        self.slot_spin.setSingleStep(5)
        self.slot_spin.setSuffix(" phút")
        self.slot_spin.setValue(days.DEFAULT_SLOT_MINUTES)
        self.capacity_spin = QSpinBox(self)
        self.capacity_spin.setObjectName("dayCapacity")
        self.capacity_spin.setRange(0, 1000)
        self.capacity_spin.setSuffix(" người/ca")
        self.capacity_spin.setSpecialValueText("Theo công suất điểm khám")
        self.team_edit = QLineEdit(self)
        self.team_edit.setPlaceholderText("ví dụ: BS. An, ĐD. Bình, ĐD. Chi")
        self.summary_label = MessageLabel(self, MUTED_STYLE)
        self.summary_label.setObjectName("daySummary")
        self.form.addRow("Điểm khám:", self.site_combo)
        self.form.addRow("Ngày khám:", self.date_edit)
        self.form.addRow("Giờ làm việc:", self.hours_edit)
        self.form.addRow("Mỗi ca:", self.slot_spin)
        self.form.addRow("Số người mỗi ca:", self.capacity_spin)
        self.form.addRow("Đội khám:", self.team_edit)
        self.form.addRow("", self.summary_label)

        # The way out of the last error, if it has one (below the red message).
        self.choice_row = QWidget(self)
        row = QHBoxLayout(self.choice_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.choice_button = QPushButton(self.choice_row)
        self.choice_button.setObjectName("dayChoice")
        self.choice_button.clicked.connect(self._take_choice)
        row.addWidget(self.choice_button)
        row.addStretch(1)
        self.outer.insertWidget(self.outer.indexOf(self.error_label) + 1, self.choice_row)
        self.choice_row.hide()
        self._choice: Callable[[], None] | None = None

        for signal in (
            self.site_combo.currentIndexChanged,
            self.hours_edit.textChanged,
            self.slot_spin.valueChanged,
            self.capacity_spin.valueChanged,
        ):
            signal.connect(self._update_summary)
        self.date_edit.dateChanged.connect(self._clear_choice)
        self._update_summary()
        self.resize(560, self.sizeHint().height())

    # -- what the day will hold ---------------------------------------------------------------------------------
    def site(self) -> dict | None:
        return self.sites.get(self.site_combo.currentData())

    def default_capacity(self) -> int:
        """People per slot at the city's default of 40 an hour."""
        return max(1, sites.DEFAULT_CAPACITY_PER_HOUR * self.slot_spin.value() // 60)

    def _update_summary(self) -> None:
        site = self.site()
        self._clear_choice()
        try:
            n = len(days.slot_times(self.hours_edit.text(), self.slot_spin.value()))
        except KskError as exc:
            self.summary_label.show_message(exc.message)
            return
        per_slot = self.capacity_spin.value()
        if not per_slot and site and site.capacity_per_hour:
            per_slot = max(1, site.capacity_per_hour * self.slot_spin.value() // 60)
        if not per_slot:
            self.summary_label.show_message(
                f"{n} ca; điểm khám này chưa đặt công suất: hãy ghi số người mỗi ca."
            )
            return
        self.summary_label.show_message(f"{n} ca × {per_slot} người = {format_number(n * per_slot)} người.")

    # -- errors and their choices ----------------------------------------------------------------------------------
    def _clear_choice(self) -> None:
        self._choice = None
        self.choice_row.hide()

    def _offer(self, text: str, action: Callable[[], None]) -> None:
        self.choice_button.setText(text)
        self._choice = action
        self.choice_row.show()

    def _take_choice(self) -> None:
        action = self._choice
        self._clear_choice()
        self.error_label.clear_message()
        if action is not None:
            action()

    def failed(self, exc: BaseException) -> None:
        self.error_label.show_message(error_text(exc))
        if isinstance(exc, DateInPast):
            today = self.session.clock.today()
            self._offer(
                f"Dùng ngày hôm nay ({format_date(today)})", lambda: self.date_edit.setDate(to_qdate(today))
            )
        elif isinstance(exc, SiteCapacityMissing):
            n = self.default_capacity()
            self._offer(
                f"Ghi {n} người/ca cho ngày này (40 người/giờ)", lambda: self.capacity_spin.setValue(n)
            )
            self.capacity_spin.setFocus()

    def prepare(self) -> Callable[[], dict]:
        self._clear_choice()
        site = self.site()
        if site is None:
            raise FormError("Chưa có điểm khám nào: hãy thêm điểm khám trước.")
        ctx = self.session
        kwargs = {
            "site_id": site.id,
            "day": from_qdate(self.date_edit.date()),
            "hours": self.hours_edit.text(),
            "slot_minutes": self.slot_spin.value(),
            "capacity_per_slot": self.capacity_spin.value() or None,
            "team_note": self.team_edit.text().strip() or None,
        }
        return lambda: days.add_day(ctx, **kwargs)
