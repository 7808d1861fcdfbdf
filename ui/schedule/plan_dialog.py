"""The planner: choose a population and a date range, "Xem trước" shows where everyone would go (per day and
slot) and who would not fit and why; "Lập lịch" writes exactly that plan. Both run on the worker thread."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.people import people_list
from ksk_desktop.people.people_list import FLAG_LABELS
from ksk_desktop.people.persons import target_group_labels
from ksk_desktop.scheduling import campaigns, planner, sites
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.i18n import format_date, format_number
from ui.messages import error_text
from ui.schedule.day_dialog import date_edit, from_qdate
from ui.schedule.rows_model import RowsModel
from ui.schedule.table import RowsTable
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading

STALE = "Các lựa chọn đã thay đổi: bấm “Xem trước” để xem lại trước khi lập lịch."
UNPLACED_COLUMNS = (
    ("Họ và tên", lambda r: r["name"]),
    ("Thôn/Tổ", lambda r: r["hamlet"] or ""),
    ("Nhóm", lambda r: r["group"] or ""),
    ("Lý do chưa xếp được", lambda r: r["reason"]),
)


def summary_text(data: dict) -> str:
    c = data["counts"]
    head = "Xem trước (chưa ghi gì)" if data["dry_run"] else "Đã lập lịch"
    return (
        f"{head}: {format_number(c['placed'])} người có lịch ({format_number(c['new'])} mới, "
        f"{format_number(c['moved'])} chuyển ca, {format_number(c['unchanged'])} giữ nguyên); "
        f"{format_number(c['unplaced'])} người chưa xếp được; {format_number(c['already_scheduled'])} người đã có "
        f"lịch không thay đổi được; {format_number(c['examined_this_year'])} người đã khám trong năm."
    )


class PlanDialog(QDialog):
    planned = Signal(dict)  # a plan was written (its JSON)
    previewed = Signal(dict)

    def __init__(
        self,
        session: StationSession,
        campaign_list: list[campaigns.CampaignInfo],
        site_list: list[sites.SiteInfo],
        parent: QWidget | None = None,
        campaign_id: str | None = None,
        date_to: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lập lịch khám")
        self.setModal(True)
        self.session = session
        self.campaigns = {c.id: c for c in campaign_list}
        self.task: ops.Task | None = None
        self.preview: dict | None = None  # the last preview's JSON, while the choices have not changed
        self.result: dict | None = None  # the last plan written
        outer = QVBoxLayout(self)

        form = QFormLayout()
        self.campaign_combo = QComboBox(self)
        for c in campaign_list:
            self.campaign_combo.addItem(f"{c.year} — {c.name}", c.id)
        if campaign_id:
            self.campaign_combo.setCurrentIndex(max(0, self.campaign_combo.findData(campaign_id)))
        today = session.clock.today()
        range_row = QHBoxLayout()
        self.from_edit = date_edit(today, self)
        self.to_edit = date_edit(date_to or today + timedelta(days=30), self)
        range_row.addWidget(self.from_edit)
        range_row.addWidget(QLabel("đến", self))
        range_row.addWidget(self.to_edit)
        range_row.addStretch(1)
        self.site_combo = QComboBox(self)
        self.site_combo.addItem("Mọi điểm khám", None)
        for s in site_list:
            self.site_combo.addItem(s.name, s.id)
        groups_widget = QWidget(self)
        self.groups_row = QHBoxLayout(groups_widget)
        self.groups_row.setContentsMargins(0, 0, 0, 0)
        self.group_checks: dict[str, QCheckBox] = {}
        self.flag_combo = QComboBox(self)
        self.flag_combo.addItem("Mọi người", None)
        for flag, label in FLAG_LABELS.items():
            self.flag_combo.addItem(f"Chỉ: {label}", flag)
        self.hamlet_list = QListWidget(self)
        self.hamlet_list.setObjectName("planHamlets")
        self.hamlet_list.setMaximumHeight(110)
        self.hamlet_list.setToolTip("Đánh dấu các thôn/tổ cần xếp lịch; không đánh dấu thôn nào: cả xã")
        self.hamlets_task = ops.run_in_background(
            lambda: people_list.hamlets(session),
            self._show_hamlets,
            lambda exc: self.error_label.show_message(error_text(exc)),
            context=self,
        )
        self.not_examined_check = QCheckBox("Chỉ người chưa khám trong năm", self)
        self.not_examined_check.setChecked(True)
        self.rebalance_check = QCheckBox("Dàn đều lại cả lịch đã xếp (chưa khóa, chưa báo lịch)", self)
        form.addRow("Đợt khám:", self.campaign_combo)
        form.addRow("Từ ngày:", range_row)
        form.addRow("Điểm khám:", self.site_combo)
        form.addRow("Nhóm đối tượng:", groups_widget)
        form.addRow("Diện ưu tiên:", self.flag_combo)
        form.addRow("Thôn/Tổ dân phố:", self.hamlet_list)
        form.addRow("", self.not_examined_check)
        form.addRow("", self.rebalance_check)
        outer.addLayout(form)

        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Xem trước", self)
        self.preview_button.setObjectName("previewButton")
        self.preview_button.setToolTip("Tính lịch mà không ghi gì (Ctrl+Enter)")
        self.commit_button = QPushButton("Lập lịch", self)
        self.commit_button.setObjectName("commitButton")
        self.commit_button.setToolTip("Ghi đúng lịch vừa xem trước")
        self.commit_button.setEnabled(False)
        self.close_button = QPushButton("Đóng", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(200)
        self.progress.hide()
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.commit_button)
        buttons.addWidget(self.progress)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        outer.addLayout(buttons)
        self.preview_button.clicked.connect(lambda: self.run(dry_run=True))
        self.commit_button.clicked.connect(lambda: self.run(dry_run=False))
        self.close_button.clicked.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+Return"), self, lambda: self.run(dry_run=True))

        self.summary_label = MessageLabel(self)
        self.summary_label.setObjectName("planSummary")
        self.error_label = ErrorLabel(self)
        outer.addWidget(self.summary_label)
        outer.addWidget(self.error_label)

        split = QSplitter(Qt.Orientation.Vertical, self)
        self.days_tree = QTreeWidget(split)
        self.days_tree.setObjectName("planDays")
        self.days_tree.setHeaderLabels(
            ["Ngày / ca", "Điểm khám", "Sức chứa", "Đã có trước", "Xếp thêm", "Còn trống"]
        )
        self.days_tree.setColumnWidth(0, 190)
        self.days_tree.setColumnWidth(1, 200)
        unplaced_box = QWidget(split)
        box = QVBoxLayout(unplaced_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(heading("Chưa xếp được", 2, unplaced_box))
        self.reasons_label = MessageLabel(unplaced_box)
        self.reasons_label.setObjectName("planReasons")
        box.addWidget(self.reasons_label)
        self.unplaced_model = RowsModel(UNPLACED_COLUMNS, self)
        self.unplaced_table = RowsTable(self.unplaced_model, unplaced_box)
        self.unplaced_table.setColumnWidth(0, 200)
        self.unplaced_table.setColumnWidth(1, 140)
        self.unplaced_table.setColumnWidth(2, 50)
        box.addWidget(self.unplaced_table)
        outer.addWidget(split, 1)

        self.campaign_combo.currentIndexChanged.connect(self._campaign_changed)
        for signal in (
            self.from_edit.dateChanged,
            self.to_edit.dateChanged,
            self.site_combo.currentIndexChanged,
            self.flag_combo.currentIndexChanged,
            self.hamlet_list.itemChanged,
            self.not_examined_check.toggled,
            self.rebalance_check.toggled,
        ):
            signal.connect(self._stale)
        self._campaign_changed()
        self.resize(900, 820)

    # -- choices -------------------------------------------------------------------------------------------------
    def _campaign_changed(self) -> None:
        for check in self.group_checks.values():
            self.groups_row.removeWidget(check)
            check.deleteLater()
        self.group_checks = {}
        campaign = self.campaigns.get(self.campaign_combo.currentData())
        labels = target_group_labels()
        for g in campaign.groups if campaign else []:
            check = QCheckBox(g, self)
            check.setChecked(True)
            check.setToolTip(labels.get(g, ""))
            check.toggled.connect(self._stale)
            self.groups_row.addWidget(check)
            self.group_checks[g] = check
        self._stale()

    def population(self) -> planner.Population:
        chosen = {g for g, c in self.group_checks.items() if c.isChecked()}
        # every group of the campaign: leave it to the campaign (people with no group yet are then included)
        groups = set() if chosen == set(self.group_checks) else chosen
        flag = self.flag_combo.currentData()
        hamlets = {
            self.hamlet_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.hamlet_list.count())
            if self.hamlet_list.item(i).checkState() == Qt.CheckState.Checked
        }
        return planner.Population(
            groups=groups,
            flags={flag} if flag else set(),
            hamlets=hamlets,
            not_examined_this_year=self.not_examined_check.isChecked(),
        )

    def _stale(self) -> None:
        if self.preview is not None:
            self.preview = None
            self.summary_label.show_message(STALE)
        self.commit_button.setEnabled(False)

    def _show_hamlets(self, rows: list[tuple[str, int]]) -> None:
        for hamlet, n in rows:
            item = QListWidgetItem(f"{hamlet} ({format_number(n)})", self.hamlet_list)
            item.setData(Qt.ItemDataRole.UserRole, hamlet)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)

    # -- running ---------------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def run(self, dry_run: bool) -> None:
        if self.busy or (not dry_run and self.preview is None):
            return
        campaign_id = self.campaign_combo.currentData()
        self.error_label.clear_message()
        if campaign_id is None:
            self.error_label.show_message("Chưa có đợt khám nào: hãy tạo đợt khám trước.")
            return
        if self.group_checks and not any(c.isChecked() for c in self.group_checks.values()):
            self.error_label.show_message("Chọn ít nhất một nhóm đối tượng.")
            return
        ctx, population = self.session, self.population()
        start, end = from_qdate(self.from_edit.date()), from_qdate(self.to_edit.date())
        site_id, rebalance = self.site_combo.currentData(), self.rebalance_check.isChecked()
        self._set_busy(True, "Đang tính lịch…" if dry_run else "Đang ghi lịch…")
        self.task = ops.run_in_background(
            lambda: planner.plan(
                ctx,
                campaign_id,
                start,
                end,
                site_id=site_id,
                population=population,
                dry_run=dry_run,
                rebalance=rebalance,
            ).to_json(),
            self._done,
            self._failed,
            context=self,
            changes=Changes.NONE if dry_run else Changes.APPOINTMENTS | Changes.OUTBOX,
        )

    def _set_busy(self, busy: bool, text: str = "") -> None:
        for w in (
            self.preview_button,
            self.close_button,
            self.campaign_combo,
            self.from_edit,
            self.to_edit,
            self.site_combo,
            self.flag_combo,
            self.hamlet_list,
            self.not_examined_check,
            self.rebalance_check,
            *self.group_checks.values(),
        ):
            w.setEnabled(not busy)
        self.commit_button.setEnabled(not busy and self.preview is not None)
        self.progress.setVisible(busy)
        self.progress.setFormat(text)
        if busy:
            self.summary_label.show_message(text)

    def _done(self, data: dict) -> None:
        self._set_busy(False)
        self.show_result(data)
        if data["dry_run"]:
            self.preview = data
            self.commit_button.setEnabled(True)
            self.commit_button.setFocus()
            self.previewed.emit(data)
        else:
            self.preview = None
            self.result = data
            self.commit_button.setEnabled(False)
            self.planned.emit(data)

    def _failed(self, exc: BaseException) -> None:
        self.preview = None
        self._set_busy(False)
        self.summary_label.clear_message()
        self.error_label.show_message(error_text(exc))

    # -- the result ------------------------------------------------------------------------------------------------
    def show_result(self, data: dict) -> None:
        self.summary_label.show_message(summary_text(data), None if data["dry_run"] else OK_STYLE)
        by_slot = Counter(p["slot_id"] for p in data["placed"] if p["action"] != "unchanged")
        times = {p["slot_id"]: (p["start"], p["end"], p["day_id"]) for p in data["placed"]}
        self.days_tree.clear()
        for d in data["days"]:
            item = QTreeWidgetItem(
                self.days_tree,
                [
                    format_date(date.fromisoformat(str(d["date"]))),
                    d["site_name"],
                    format_number(d["capacity"]),
                    format_number(d["booked_before"]),
                    format_number(d["placed"]),
                    format_number(d["free_after"]),
                ],
            )
            item.setData(0, Qt.ItemDataRole.UserRole, d["day_id"])
            slots = sorted(
                (t[0], t[1], sid) for sid, t in times.items() if t[2] == d["day_id"] and by_slot[sid]
            )
            for start, end, sid in slots:
                QTreeWidgetItem(item, [f"{start}–{end}", "", "", "", format_number(by_slot[sid]), ""])
        reasons = data["unplaced_reasons"]
        self.reasons_label.show_message(
            "\n".join(f"{format_number(v['count'])} người: {v['reason']}" for v in reasons.values())
            or "Mọi người đều đã có chỗ."
        )
        self.unplaced_model.set_rows(data["unplaced"])

    def day_items(self) -> list[QTreeWidgetItem]:
        return [self.days_tree.topLevelItem(i) for i in range(self.days_tree.topLevelItemCount())]

    def reject(self) -> None:
        if self.busy:
            return
        super().reject()

    def result_counts(self) -> dict[str, Any] | None:
        return self.result["counts"] if self.result else None
