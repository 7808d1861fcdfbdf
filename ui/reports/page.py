"""The "Báo cáo" page: coverage of a year by hamlet and target group (examined, booked, not yet, total, % done),
the people not yet examined behind any figure, and the export to .xlsx — nobody left out: people with no hamlet
or no group have their own rows. Needs ``Perm.REPORT_READ``; the figures are the core's ``coverage()``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.people.persons import target_group_labels
from ksk_desktop.reports import coverage_charts
from ksk_desktop.scheduling import coverage
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.file_dialogs import ask_save_path, documents_folder, with_suffix
from ui.flow_layout import flow_row
from ui.i18n import format_number
from ui.lazy_page import LazyPage
from ui.messages import error_text
from ui.printing.preview import preview_document
from ui.progress import Progress
from ui.reports.charts import CoverageCharts
from ui.reports.moh_export_dialog import MohExportDialog, can_export, open_moh_export
from ui.reports.not_examined import NotExaminedDialog
from ui.schedule.rows_model import RowsModel
from ui.schedule.table import RowsTable
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

NO_READ = "Tài khoản của bạn không có quyền xem báo cáo."
VIEWS = {"cells": "Thôn × nhóm", "by_hamlet": "Theo thôn/tổ", "by_group": "Theo nhóm đối tượng"}
ALL_HAMLETS, ALL_GROUPS, TOTAL = "Cả xã", "Mọi nhóm", "Tổng cộng"


def _n(key: str) -> Callable[[dict], str]:
    return lambda r: format_number(r[key])


COLUMNS = (
    ("Thôn/Tổ dân phố", lambda r: r["_hamlet_text"]),
    ("Nhóm", lambda r: r["_group_text"]),
    ("Tổng số", _n("total")),
    ("Đã khám", _n("examined")),
    ("Đã có lịch", _n("booked")),
    ("Chưa có lịch", _n("not_booked")),
    ("Chưa khám", _n("not_examined")),
    ("% đã khám", lambda r: f"{r['rate']:.1f}".replace(".", ",")),
)


def ask_export_path(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(parent, "Xuất độ bao phủ ra Excel", suggested, "Bảng tính Excel (*.xlsx)", ".xlsx")


def table_rows(data: dict, view: str) -> list[dict]:
    """The rows to show for *view*, each with its labels and the (hamlet, group) filter of its drill-down,
    then the total."""
    labels = target_group_labels()
    rows = []
    for r in data[view]:
        row = dict(r)
        hamlet_filter = group_filter = None
        if view in ("cells", "by_hamlet"):
            row["_hamlet_text"] = r["hamlet_label"]
            hamlet_filter = r["hamlet"] if r["hamlet"] is not None else coverage.NO_HAMLET
        else:
            row["_hamlet_text"] = ALL_HAMLETS
        if view in ("cells", "by_group"):
            g = r["group"]
            row["_group_text"] = (
                (g if view == "cells" else f"{g} — {labels.get(g, '')}") if g else r["group_label"]
            )
            group_filter = g if g is not None else ""
        else:
            row["_group_text"] = ALL_GROUPS
        row["_filter"] = (hamlet_filter, group_filter)
        rows.append(row)
    rows.append({**data["totals"], "_hamlet_text": TOTAL, "_group_text": "", "_filter": (None, None)})
    return rows


class ReportsPage(LazyPage):
    cares = Changes.PEOPLE | Changes.APPOINTMENTS | Changes.EXAMS | Changes.SCHEDULE

    loaded = Signal()
    export_finished = Signal()

    def __init__(self, session: StationSession | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._again = False
        self.data: dict | None = None
        self.task: ops.Task | None = None
        self.export_task: ops.Task | None = None
        self.export_path: Path | None = None
        #: Replaceable (tests): where to save the export.
        self.choose_export_path: Callable[[QWidget, Path], Path | None] = ask_export_path
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 20)
        layout.addWidget(heading("Báo cáo", 1, self))
        layout.addWidget(heading("Độ bao phủ khám sức khỏe: ai chưa được khám trong năm", 2, self))
        self.no_read_label = paragraph(NO_READ, self)
        layout.addWidget(self.no_read_label)

        self.body = QWidget(self)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        self.year_spin = QSpinBox(self.body)
        self.year_spin.setObjectName("coverageYear")
        self.year_spin.setRange(2000, 2100)
        self._default_year = SYSTEM_CLOCK.today().year  # the session's year once there is one
        self.year_spin.setValue(self._default_year)
        self.view_combo = QComboBox(self.body)
        for key, label in VIEWS.items():
            self.view_combo.addItem(label, key)
        self.refresh_button = QPushButton("Làm mới", self.body)
        self.drill_button = QPushButton("Xem người chưa khám (Enter)", self.body)
        self.export_button = QPushButton("Xuất Excel…", self.body)
        self.export_button.setToolTip("Bảng tổng hợp và danh sách mọi người chưa khám, ra tệp .xlsx")
        self.print_button = QPushButton("In báo cáo…", self.body)
        self.print_button.setObjectName("printCoverage")
        self.print_button.setToolTip("Báo cáo năm theo nhóm đối tượng và theo thôn/tổ, xem trước rồi in")
        controls.addWidget(QLabel("Năm:", self.body))
        controls.addWidget(self.year_spin)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Xem:", self.body))
        controls.addWidget(self.view_combo)
        controls.addWidget(self.refresh_button)
        self.moh_button = QPushButton("Nộp cổng Bộ Y tế…", self.body)
        self.moh_button.setObjectName("mohExport")
        self.moh_button.setToolTip(
            "Phiếu khám đã ký trong kỳ vào bản sao tệp mẫu Excel của Bộ Y tế, để nộp cổng"
        )
        self.moh_button.clicked.connect(lambda: open_moh_export(self))
        controls.addWidget(  # the buttons wrap under each other on a small screen (1280×720 at 125 %)
            flow_row(
                self.body,
                self.drill_button,
                self.export_button,
                self.print_button,
                self.moh_button,
                align_right=True,
            ),
            1,
        )
        body.addLayout(controls)
        self.totals_label = heading("—", 2, self.body)
        self.totals_label.setObjectName("coverageTotals")
        self.totals_label.setWordWrap(True)
        body.addWidget(self.totals_label)
        self.model = RowsModel(COLUMNS, self, centred=range(2, 8))
        self.table = RowsTable(self.model, self.body)
        self.table.setObjectName("coverageTable")
        for column, width in enumerate((220, 200, 90, 90, 90, 100, 90)):
            self.table.setColumnWidth(column, width)
        self.table.fit_columns(0, 1)  # a hamlet's or a group's name whole
        self.table.opened.connect(self.drill_down)
        self.views = QTabWidget(self.body)  # the figures as a table, or as pictures (issue 14 §3)
        self.views.addTab(self.table, "Bảng số liệu")
        self.charts = CoverageCharts(self.views)
        self.charts.opened.connect(self.drill_down)
        self.views.addTab(self.charts, "Biểu đồ")
        body.addWidget(self.views, 1)
        bottom = QHBoxLayout()
        self.export_progress = QProgressBar(self.body)
        self.export_progress.setMaximumWidth(260)
        self.export_progress.setFormat("Đang xuất %v / %m")
        self.export_progress.hide()
        bottom.addWidget(
            paragraph(
                "“Đã có lịch”: chưa khám nhưng đã được hẹn ngày. Người chưa ghi thôn hoặc chưa "
                "phân nhóm có dòng riêng, không ai bị bỏ sót.",
                self.body,
                muted=True,
            ),
            1,
        )
        bottom.addWidget(self.export_progress)
        body.addLayout(bottom)
        layout.addWidget(self.body, 1)
        self.filler = QWidget(self)  # takes the body's room while the body is hidden (no right to read)
        layout.addWidget(self.filler, 1)
        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)

        self.year_spin.valueChanged.connect(lambda _v: self.reload())
        self.view_combo.currentIndexChanged.connect(lambda _i: self._show())
        self.refresh_button.clicked.connect(lambda: self.load_now())
        self.drill_button.clicked.connect(lambda: self.drill_down(self.table.current_row()))
        self.export_button.clicked.connect(self.start_export)
        self.print_button.clicked.connect(self.print_report)
        from ui.reports import monthly_view  # the "Báo cáo tháng" tab: the city plan's monthly report

        self.monthly_view = monthly_view.install(self, layout, self.body)
        self.set_session(session)

    # -- session -----------------------------------------------------------------------------------------------------
    def can_read(self) -> bool:
        return self.session is not None and self.session.can(Perm.REPORT_READ)

    @property
    def drill_dialog(self) -> NotExaminedDialog | None:
        return self.dialogs.get("drill")

    @property
    def moh_dialog(self) -> MohExportDialog | None:
        return self.dialogs.get("moh")  # type: ignore[return-value]

    def session_changed(self, session: StationSession | None) -> None:
        if session is not None and self.year_spin.value() == self._default_year:  # unless someone changed it
            self._default_year = session.clock.today().year
            self.year_spin.blockSignals(True)
            self.year_spin.setValue(self._default_year)
            self.year_spin.blockSignals(False)
        self.data = None
        self.model.set_rows([])
        self.totals_label.setText("—")
        self.status_label.clear_message()
        self.error_label.clear_message()
        readable = self.can_read()
        self.body.setVisible(readable)
        self.filler.setVisible(not readable)
        self.no_read_label.setVisible(session is not None and not readable)
        self.monthly_view.session_changed(session, readable)
        self._update_buttons()

    # -- figures -----------------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def reload(self, changes: Changes = Changes.PEOPLE) -> None:
        if not self.can_read():
            return
        if self.busy:
            self._again = True  # the figures on their way may predate the change (or the year)
            return
        self._again = False
        ctx, year = self.session, self.year_spin.value()
        self.error_label.clear_message()
        self.refresh_button.setEnabled(False)
        self.task = ops.run_in_background(
            lambda: coverage_charts.chart_data(ctx, year),
            lambda data: self._loaded(ctx, data),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _loaded(self, ctx: StationSession, data: dict) -> None:
        if ctx is not self.session:
            return
        self.refresh_button.setEnabled(True)
        if self._again or data["year"] != self.year_spin.value():
            self.reload()  # something changed while it was counting
            return
        self.data = data
        self._show()
        self.charts.show_data(data)
        self.loaded.emit()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.refresh_button.setEnabled(True)
        self.error_label.show_message(error_text(exc))

    def _show(self) -> None:
        if self.data is None:
            return
        t = self.data["totals"]
        self.totals_label.setText(
            f"Năm {self.data['year']}: {format_number(t['examined'])}/{format_number(t['total'])} người đã khám "
            f"({str(t['rate']).replace('.', ',')} %), {format_number(t['not_examined'])} người chưa khám "
            f"({format_number(t['booked'])} đã có lịch, {format_number(t['not_booked'])} chưa có lịch)."
        )
        self.model.set_rows(table_rows(self.data, self.view_combo.currentData()))
        self._update_buttons()

    def current_view(self) -> str:
        return self.view_combo.currentData()

    # -- drill-down ---------------------------------------------------------------------------------------------------
    def drill_down(self, row: dict | None) -> NotExaminedDialog | None:
        if row is None or self.data is None or not self.can_read():
            return None
        hamlet, group = row["_filter"]
        title = (
            TOTAL
            if row["_hamlet_text"] == TOTAL
            else (
                row["_hamlet_text"]
                if row["_group_text"] in ("", ALL_GROUPS)
                else f"{row['_hamlet_text']}, nhóm {row['_group_text']}"
            )
        )
        dialog = NotExaminedDialog(self.session, self.data["year"], hamlet, group, title, self)
        return self.dialogs.open("drill", dialog)

    # -- export ---------------------------------------------------------------------------------------------------------
    @property
    def exporting(self) -> bool:
        return self.export_task is not None and not self.export_task.done

    def _local_now(self) -> datetime:
        return (self.session.clock if self.session is not None else SYSTEM_CLOCK).local_now()

    def suggested_export_path(self) -> Path:
        return (
            documents_folder() / f"do-bao-phu-{self.year_spin.value()}-{self._local_now():%Y%m%d-%H%M}.xlsx"
        )

    def start_export(self) -> None:
        ctx = self.session
        if ctx is None or self.exporting or not self.can_read():
            return
        year = self.year_spin.value()
        dest = self.choose_export_path(self, self.suggested_export_path())
        if dest is None or ctx is not self.session:
            return
        dest = with_suffix(dest, ".xlsx")
        self.status_label.clear_message()
        self.error_label.clear_message()
        progress = Progress()  # no parent: the worker may still report after this page is gone
        progress.changed.connect(self._export_progress)
        self.export_progress.setRange(0, 0)
        self.export_progress.show()
        self.export_path = dest
        self.export_task = ops.run_in_background(
            lambda: coverage.export_xlsx(ctx, year, dest, progress=progress.report),
            lambda r: self._exported(ctx, r),
            lambda exc: self._export_failed(ctx, exc),
            context=self,
        )
        self._update_buttons()

    def _export_progress(self, done: int, total: int) -> None:
        self.export_progress.setRange(0, max(total, 1))
        self.export_progress.setValue(done)

    def _exported(self, ctx: StationSession, result: dict[str, Any]) -> None:
        if ctx is not self.session:
            return
        self.export_progress.hide()
        self.status_label.show_message(
            f"Đã xuất độ bao phủ năm {result['year']} và {format_number(result['rows'])} "
            f"người chưa khám ra tệp {result['file']}.",
            OK_STYLE,
        )
        self._update_buttons()
        self.export_finished.emit()

    def _export_failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self.export_progress.hide()
        self.error_label.show_message(error_text(exc))
        self._update_buttons()
        self.export_finished.emit()

    def print_report(self) -> ops.Task | None:
        """ "In báo cáo…": the year's report in the print preview (made on the worker, audited)."""
        ctx = self.session
        if ctx is None or not self.can_read() or not ctx.can(Perm.PRINT):
            return None
        from ksk_desktop.printing import jobs

        year = self.year_spin.value()
        return preview_document(self, lambda: jobs.coverage_document(ctx, year), f"bao-cao-kham-{year}.pdf")

    def _update_buttons(self) -> None:
        self.print_button.setVisible(self.session is not None and self.session.can(Perm.PRINT))
        self.print_button.setEnabled(self.data is not None)
        self.moh_button.setVisible(can_export(self.session))
        self.export_button.setEnabled(self.can_read() and not self.exporting)
        self.drill_button.setEnabled(self.data is not None)
