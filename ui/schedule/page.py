"""The "Lịch khám" page: exam days (with places booked and free), campaigns and sites, and the planner.

The head of the station (``Perm.SCHEDULE_MANAGE``) creates and changes; everyone else who may read the list
sees the same lists read-only. Every rule lives in ``ksk_desktop.scheduling``; this page only shows its lists
and opens the dialogs.
"""

from __future__ import annotations

from datetime import date, timedelta

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.people.persons import target_group_labels
from ksk_desktop.scheduling import campaigns, days, sites
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.i18n import format_long_date, format_number
from ui.lazy_page import LazyPage
from ui.messages import error_text
from ui.schedule.campaign_dialog import CampaignDialog, form_label
from ui.schedule.day_dialog import DayDialog, date_edit, from_qdate, to_qdate
from ui.schedule.day_view import DayView
from ui.schedule.plan_dialog import PlanDialog
from ui.schedule.rows_model import RowsModel
from ui.schedule.site_dialog import SiteDialog
from ui.schedule.table import RowsTable
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

NO_READ = "Tài khoản của bạn không có quyền xem lịch khám."
READ_ONLY = "Chỉ trưởng trạm lập và sửa lịch khám; bạn đang xem ở chế độ chỉ đọc."

DAY_COLUMNS = (
    ("Ngày", lambda d: format_long_date(date.fromisoformat(d.date))),
    ("Điểm khám", lambda d: d.site_name),
    ("Giờ làm việc", lambda d: d.opening_hours),
    ("Ca", lambda d: f"{d.slot_minutes} phút, {d.capacity_per_slot} người/ca"),
    ("Sức chứa", lambda d: format_number(d.capacity)),
    ("Đã hẹn", lambda d: format_number(d.booked)),
    ("Còn trống", lambda d: format_number(d.free)),
    ("Khóa", lambda d: "Đã khóa" if d.locked else ""),
)
CAMPAIGN_COLUMNS = (
    ("Năm", lambda c: c.year),
    ("Tên đợt khám", lambda c: c.name),
    ("Nhóm đối tượng", lambda c: ", ".join(c.groups)),
    ("Mẫu phiếu", lambda c: "; ".join(f"{g}: {form_label(f)}" for g, f in c.exam_forms.items())),
)
SITE_COLUMNS = (
    ("Tên điểm khám", lambda s: s.name),
    ("Loại", lambda s: sites.KIND_LABELS.get(s.kind, s.kind)),
    ("Lưu động", lambda s: "Có" if s.mobile else ""),
    ("Công suất", lambda s: f"{s.capacity_per_hour} người/giờ" if s.capacity_per_hour else "Chưa đặt"),
    ("Địa chỉ", lambda s: s.address or ""),
)


def _button_row(*buttons: QPushButton) -> QHBoxLayout:
    row = QHBoxLayout()
    for b in buttons:
        row.addWidget(b)
    row.addStretch(1)
    return row


def _day_range(today: date) -> tuple[date, date]:
    """The exam days listed by default: from today, half a year ahead."""
    return today, today + timedelta(days=180)


class SchedulePage(LazyPage):
    cares = Changes.SCHEDULE | Changes.APPOINTMENTS

    refreshed = Signal()  # the lists were read (or failed to be)
    dialog_opened = Signal(object)  # each dialog this page opens

    def __init__(self, session: StationSession | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task: ops.Task | None = None
        self.days_task: ops.Task | None = None
        self._again = False
        self.site_list: list[sites.SiteInfo] = []
        self.campaign_list: list[campaigns.CampaignInfo] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 20)
        top = QHBoxLayout()
        top.addWidget(heading("Lịch khám", 1, self))
        top.addStretch(1)
        self.plan_button = QPushButton("Lập lịch…", self)
        self.plan_button.setObjectName("planButton")
        self.plan_button.setToolTip("Chia người dân vào các ngày và ca khám (xem trước rồi mới ghi)")
        self.plan_button.clicked.connect(self.open_plan)
        top.addWidget(self.plan_button)
        layout.addLayout(top)
        self.read_only_label = paragraph(READ_ONLY, self, muted=True)
        self.no_read_label = paragraph(NO_READ, self)
        layout.addWidget(self.read_only_label)
        layout.addWidget(self.no_read_label)

        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)

        # exam days
        days_tab = QWidget(self)
        box = QVBoxLayout(days_tab)
        filters = QHBoxLayout()
        self._default_range = _day_range(SYSTEM_CLOCK.today())  # the session's today once there is one
        self.from_edit = date_edit(self._default_range[0], days_tab)
        self.to_edit = date_edit(self._default_range[1], days_tab)
        self.past_check = QCheckBox("Cả ngày đã qua", days_tab)
        filters.addWidget(QLabel("Từ ngày:", days_tab))
        filters.addWidget(self.from_edit)
        filters.addWidget(QLabel("đến:", days_tab))
        filters.addWidget(self.to_edit)
        filters.addWidget(self.past_check)
        filters.addStretch(1)
        box.addLayout(filters)
        self.days_model = RowsModel(DAY_COLUMNS, self, centred=(4, 5, 6))
        self.days_table = RowsTable(self.days_model, days_tab)
        self.days_table.setObjectName("daysTable")
        for column, width in enumerate((170, 200, 170, 170, 80, 80, 80)):
            self.days_table.setColumnWidth(column, width)
        self.days_table.fit_columns(1)  # Điểm khám: a site's name whole
        self.days_table.opened.connect(self.open_day)
        box.addWidget(self.days_table, 1)
        self.add_day_button = QPushButton("Thêm ngày khám…", days_tab)
        self.open_day_button = QPushButton("Xem ngày (Enter)", days_tab)
        self.add_day_button.clicked.connect(self.add_day)
        self.open_day_button.clicked.connect(lambda: self.open_day(self.days_table.current_row()))
        box.addLayout(_button_row(self.add_day_button, self.open_day_button))
        self.tabs.addTab(days_tab, "Ngày khám")
        for signal in (self.from_edit.dateChanged, self.to_edit.dateChanged, self.past_check.toggled):
            signal.connect(lambda *_: self.reload_days())

        # campaigns
        campaigns_tab = QWidget(self)
        box = QVBoxLayout(campaigns_tab)
        self.campaigns_model = RowsModel(CAMPAIGN_COLUMNS, self)
        self.campaigns_table = RowsTable(self.campaigns_model, campaigns_tab)
        self.campaigns_table.setObjectName("campaignsTable")
        for column, width in enumerate((60, 280, 130)):
            self.campaigns_table.setColumnWidth(column, width)
        self.campaigns_table.opened.connect(lambda c: self.open_plan(c.id))
        box.addWidget(self.campaigns_table, 1)
        self.add_campaign_button = QPushButton("Tạo đợt khám…", campaigns_tab)
        self.add_campaign_button.clicked.connect(self.add_campaign)
        box.addLayout(_button_row(self.add_campaign_button))
        labels = target_group_labels()
        box.addWidget(
            paragraph(
                "Nhóm đối tượng: " + "; ".join(f"{g} — {t}" for g, t in labels.items()),
                campaigns_tab,
                muted=True,
            )
        )
        self.tabs.addTab(campaigns_tab, "Đợt khám")

        # sites
        sites_tab = QWidget(self)
        box = QVBoxLayout(sites_tab)
        self.sites_model = RowsModel(SITE_COLUMNS, self)
        self.sites_table = RowsTable(self.sites_model, sites_tab)
        self.sites_table.setObjectName("sitesTable")
        for column, width in enumerate((240, 170, 80, 130)):
            self.sites_table.setColumnWidth(column, width)
        self.sites_table.fit_columns(0)
        self.sites_table.opened.connect(self.edit_site)
        box.addWidget(self.sites_table, 1)
        self.add_site_button = QPushButton("Thêm điểm khám…", sites_tab)
        self.edit_site_button = QPushButton("Sửa…", sites_tab)
        self.add_site_button.clicked.connect(self.add_site)
        self.edit_site_button.clicked.connect(lambda: self.edit_site(self.sites_table.current_row()))
        box.addLayout(_button_row(self.add_site_button, self.edit_site_button))
        self.tabs.addTab(sites_tab, "Điểm khám")

        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        self.set_session(session)

    # -- session ---------------------------------------------------------------------------------------------------
    @property
    def manage(self) -> bool:
        return self.session is not None and self.session.can(Perm.SCHEDULE_MANAGE)

    @property
    def dialog(self) -> QDialog | None:
        """The dialog this page has open (one at a time), or None."""
        return self.dialogs.get("dialog")

    def session_changed(self, session: StationSession | None) -> None:
        if session is not None:
            self._follow_today(session.clock.today())
        self.status_label.clear_message()
        self.error_label.clear_message()
        readable = session is not None and session.can(Perm.PERSON_READ)
        self.tabs.setVisible(readable)
        self.no_read_label.setVisible(session is not None and not readable)
        self.read_only_label.setVisible(readable and not self.manage)
        for w in (
            self.plan_button,
            self.add_day_button,
            self.add_campaign_button,
            self.add_site_button,
            self.edit_site_button,
        ):
            w.setVisible(self.manage)
        if not readable:  # locked (or no right to read): nothing stays on screen
            for model in (self.days_model, self.campaigns_model, self.sites_model):
                model.set_rows([])
            self.site_list, self.campaign_list = [], []

    def reload(self, changes: Changes) -> None:
        if changes & Changes.SCHEDULE:
            self.refresh()
        else:
            self.reload_days()

    def _follow_today(self, today: date) -> None:
        """Move the day filter to the session's today, unless someone has changed it."""
        shown = (from_qdate(self.from_edit.date()), from_qdate(self.to_edit.date()))
        if shown != self._default_range:
            return
        self._default_range = _day_range(today)
        for edit, value in zip((self.from_edit, self.to_edit), self._default_range, strict=True):
            edit.blockSignals(True)
            edit.setDate(to_qdate(value))
            edit.blockSignals(False)

    # -- lists ------------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the sites, the campaigns and the exam days (in the background; ``refreshed`` follows)."""
        ctx = self.session
        if ctx is None or not ctx.can(Perm.PERSON_READ):
            return
        if self.task is not None and not self.task.done:
            self._again = True  # the answer on its way may predate the change
            return
        self._again = False
        start, end = self._days_range()
        self.task = ops.run_in_background(
            lambda: (sites.list_sites(ctx), campaigns.list_campaigns(ctx), days.list_days(ctx, start, end)),
            lambda lists: self._show_lists(ctx, *lists),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show_lists(
        self,
        ctx: StationSession,
        site_list: list[sites.SiteInfo],
        campaign_list: list[campaigns.CampaignInfo],
        day_rows: list[days.DayInfo],
    ) -> None:
        if ctx is not self.session:
            return
        self.site_list, self.campaign_list = site_list, campaign_list
        self.sites_model.set_rows(self.site_list)
        self.campaigns_model.set_rows(self.campaign_list)
        self._show_days(day_rows)
        self.refreshed.emit()
        if self._again:
            self.refresh()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is self.session:
            self.error_label.show_message(error_text(exc))
            self.refreshed.emit()

    def _days_range(self) -> tuple[date, date]:
        self.from_edit.setEnabled(self.past_check.isChecked())
        start = (
            from_qdate(self.from_edit.date()) if self.past_check.isChecked() else self.session.clock.today()
        )
        return start, from_qdate(self.to_edit.date())

    def reload_days(self) -> None:
        ctx = self.session
        if ctx is None or not ctx.can(Perm.PERSON_READ):
            return
        if self.task is not None and not self.task.done:
            self._again = True  # the lists on their way bring the days too, but perhaps of another range
            return
        start, end = self._days_range()
        self.days_task = ops.run_in_background(
            lambda: days.list_days(ctx, start, end),
            lambda rows: (
                self._show_days(rows) if ctx is self.session and self._days_range() == (start, end) else None
            ),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show_days(self, rows: list[days.DayInfo]) -> None:
        current = self.days_table.current_row()
        self.days_model.set_rows(rows)
        ids = [d.id for d in rows]
        if current and current.id in ids:
            self.days_table.selectRow(ids.index(current.id))

    # -- dialogs ----------------------------------------------------------------------------------------------------
    def _open(self, dialog: QDialog, done_message=None) -> QDialog:  # noqa: ANN001 - a callable or None
        def finished(done: QDialog, result: int) -> None:  # the lists refresh from its changes (ui.changes)
            if result and done_message is not None:
                self.status_label.show_message(done_message(done.result_value))  # type: ignore[attr-defined]

        self.status_label.clear_message()
        self.error_label.clear_message()
        self.dialogs.open("dialog", dialog, finished)
        self.dialog_opened.emit(dialog)
        return dialog

    def add_campaign(self) -> CampaignDialog | None:
        if not self.manage:
            return None
        return self._open(
            CampaignDialog(self.session, self),  # type: ignore[return-value]
            lambda c: f"Đã tạo đợt khám {c.name} năm {c.year}.",
        )

    def add_site(self) -> SiteDialog | None:
        if not self.manage:
            return None
        return self._open(
            SiteDialog(self.session, None, self),  # type: ignore[return-value]
            lambda s: f"Đã thêm điểm khám {s.name}.",
        )

    def edit_site(self, site: sites.SiteInfo | None) -> SiteDialog | None:
        if not self.manage or site is None:
            return None
        return self._open(
            SiteDialog(self.session, site, self),  # type: ignore[return-value]
            lambda s: f"Đã lưu điểm khám {s.name}.",
        )

    def add_day(self) -> DayDialog | None:
        if not self.manage:
            return None
        if not self.site_list:
            self.error_label.show_message(
                "Chưa có điểm khám nào: hãy thêm điểm khám (thẻ “Điểm khám”) trước."
            )
            return None
        current = self.days_table.current_row()
        return self._open(
            DayDialog(
                self.session,
                self.site_list,
                self,  # type: ignore[return-value]
                site_id=current.site_id if current else None,
            ),
            lambda d: (
                f"Đã thêm ngày khám {format_long_date(date.fromisoformat(d.date))} tại "
                f"{d.site_name}: {len(d.slots or [])} ca, {format_number(d.capacity)} chỗ."
            ),
        )

    def open_plan(self, campaign_id: str | None = None) -> PlanDialog | None:
        if not self.manage:
            return None
        if not self.campaign_list:
            self.error_label.show_message("Chưa có đợt khám nào: hãy tạo đợt khám (thẻ “Đợt khám”) trước.")
            return None
        last = max((date.fromisoformat(d.date) for d in self.days_model.rows), default=None)
        dialog = PlanDialog(
            self.session,
            self.campaign_list,
            self.site_list,
            self,
            campaign_id=campaign_id if isinstance(campaign_id, str) else None,
            date_to=last,
        )
        return self._open(dialog)  # type: ignore[return-value]

    def open_day(self, day: days.DayInfo | None) -> DayView | None:
        if day is None or self.session is None:
            return None
        view = DayView(self.session, day, self)
        return self._open(view)  # type: ignore[return-value]
