"""The "Báo cáo tháng" tab of the Báo cáo page: the city plan's monthly report of a chosen month (the core's
``reports.monthly``), its export to .xlsx, its print preview, and — for the station head — "Nộp báo cáo", which
freezes the figures, asks for the head's password (and a reason for a correction) and queues them for the hub.
Every core call runs on the worker (``ui.ops``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.file_dialogs import ask_save_path, documents_folder, with_suffix
from ui.i18n import format_number
from ui.messages import error_text
from ui.printing.preview import preview_document
from ui.schedule.rows_model import RowsModel
from ui.schedule.table import RowsTable
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel, heading, paragraph

TAB_TITLE = "Báo cáo tháng"


def _n(key: str) -> Callable[[dict], str]:
    return lambda r: "" if r.get(key) is None else format_number(r[key])


COLUMNS = (
    ("Nhóm", lambda r: r["_group"]),
    ("Đối tượng", lambda r: r["_label"]),
    ("Số quản lý", _n("managed")),
    ("Khám trong tháng", _n("examined_month")),
    ("Lũy kế năm", _n("examined_ytd")),
    ("Tỷ lệ (%)", lambda r: f"{r['rate']:.1f}".replace(".", ",")),
    ("Nhu cầu năm sau", _n("next_year_need")),
)


def table_rows(report: dict) -> list[dict]:
    rows = [{**g, "_group": g["group"], "_label": g["label"]} for g in report["groups"]]
    rows.append({**report["total"], "_group": "", "_label": "Tổng cộng"})
    rows += [
        {**p, "next_year_need": 0, "_group": "a", "_label": f"  trong đó: {p['label']}"}
        for p in report["priority"]
    ]
    return rows


class SubmitDialog(QDialog):
    """The head's password, and the reason when the month was submitted before (a correction)."""

    def __init__(self, month_label: str, correction: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Nộp báo cáo tháng")
        form = QFormLayout(self)
        form.addRow(
            paragraph(
                f"Nộp báo cáo tháng {month_label}: số liệu được chốt, ký bằng khóa ký của Trưởng trạm (mở bằng mật "
                "khẩu của bạn) và gửi lên máy chủ thành phố ở lần đồng bộ tới. Báo cáo đã nộp không sửa được; muốn sửa thì nộp bản điều "
                "chỉnh có lý do.",
                self,
            )
        )
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("submitReason")
        if correction:
            form.addRow("Lý do điều chỉnh:", self.reason_edit)
        else:
            self.reason_edit.hide()
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("submitPassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Mật khẩu của bạn:", self.password_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Nộp báo cáo")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Hủy")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


def ask_submit(parent: QWidget, month_label: str, correction: bool) -> tuple[str, str | None] | None:
    dialog = SubmitDialog(month_label, correction, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.password_edit.text(), (dialog.reason_edit.text().strip() or None)


def ask_xlsx(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(
        parent, "Xuất báo cáo tháng ra Excel", suggested, "Bảng tính Excel (*.xlsx)", ".xlsx"
    )


class MonthlyReportView(QWidget):
    loaded = Signal()
    exported = Signal()
    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.report: dict | None = None
        self.submissions: list[dict] = []
        self.task: ops.Task | None = None
        #: Replaceable (tests): where to save, and the head's password and reason.
        self.choose_xlsx_path: Callable[[QWidget, Path], Path | None] = ask_xlsx
        self.ask_submit: Callable[[QWidget, str, bool], tuple[str, str | None] | None] = ask_submit
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        controls = QHBoxLayout()
        self.month_edit = QDateEdit(self)
        self.month_edit.setObjectName("reportMonth")
        self.month_edit.setDisplayFormat("MM/yyyy")
        self.month_edit.setDateRange(QDate(2000, 1, 1), QDate(2100, 12, 1))
        self.show_button = QPushButton("Xem", self)
        self.xlsx_button = QPushButton("Xuất Excel…", self)
        self.print_button = QPushButton("In…", self)
        self.submit_button = QPushButton("Nộp báo cáo…", self)
        self.submit_button.setObjectName("submitReport")
        controls.addWidget(QLabel("Tháng:", self))
        controls.addWidget(self.month_edit)
        controls.addWidget(self.show_button)
        controls.addStretch(1)
        for b in (self.xlsx_button, self.print_button, self.submit_button):
            controls.addWidget(b)
        layout.addLayout(controls)
        self.summary_label = heading("—", 2, self)
        self.summary_label.setObjectName("monthlySummary")
        self.summary_label.setWordWrap(True)
        layout.addWidget(self.summary_label)
        self.model = RowsModel(COLUMNS, self, centred=range(2, 7))
        self.table = RowsTable(self.model, self)
        self.table.setObjectName("monthlyTable")
        for column, width in enumerate((60, 420, 100, 120, 100, 80, 120)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.submission_label = paragraph("", self, muted=True)
        self.submission_label.setObjectName("submissionState")
        layout.addWidget(self.submission_label)
        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        self.show_button.clicked.connect(self.load)
        self.month_edit.dateChanged.connect(lambda _d: self.load())
        self.xlsx_button.clicked.connect(self.export_xlsx)
        self.print_button.clicked.connect(self.print_report)
        self.submit_button.clicked.connect(self.submit)
        self._update_buttons()

    # -- session and month ---------------------------------------------------------------------------------
    def session_changed(self, session: StationSession | None, readable: bool) -> None:
        """The page's session changed: the tabs show only to those who may read reports."""
        self.set_session(session if readable else None)
        tabs = getattr(self, "tabs", None)
        if tabs is not None:
            tabs.setVisible(readable)
            if readable and tabs.currentWidget() is self:
                self.load()

    def set_session(self, session: StationSession | None) -> None:
        self.session = session
        self.report, self.submissions = None, []
        self.model.set_rows([])
        self.summary_label.setText("—")
        self.submission_label.setText("")
        self.status_label.clear_message()
        self.error_label.clear_message()
        if session is not None:  # last month: the one to report by the 15th
            today = session.clock.today()
            first = QDate(today.year, today.month, 1).addMonths(-1)
            self.month_edit.blockSignals(True)
            self.month_edit.setDate(first)
            self.month_edit.blockSignals(False)
        self._update_buttons()

    def month(self) -> str:
        d = self.month_edit.date()
        return f"{d.year():04d}-{d.month():02d}"

    def month_label(self) -> str:
        d = self.month_edit.date()
        return f"{d.month():02d}/{d.year()}"

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(self, fn: Callable, done: Callable) -> ops.Task | None:
        ctx = self.session
        if ctx is None or self.busy:
            return None
        self.error_label.clear_message()
        self.task = ops.run_in_background(
            fn, lambda r: self._if_same(ctx, done, r), lambda exc: self._failed(ctx, exc), context=self
        )
        self._update_buttons()
        return self.task

    def _if_same(self, ctx: StationSession, done: Callable, result: object) -> None:
        if ctx is self.session:
            done(result)
            self._update_buttons()

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is self.session:
            self.error_label.show_message(error_text(exc))
            self._update_buttons()

    def load(self) -> ops.Task | None:
        ctx, month = self.session, self.month()
        if ctx is None or not ctx.can(Perm.REPORT_READ):
            return None
        from ksk_desktop.reports import monthly, submissions

        return self._run(
            lambda: (monthly.build(ctx, month), submissions.list_submissions(ctx, "monthly", month)),
            self._loaded,
        )

    def _loaded(self, result: tuple[dict, list[dict]]) -> None:
        report, subs = result
        if report["month"] != self.month():
            self.load()
            return
        self.report, self.submissions = report, subs
        t = report["total"]
        partial = " (tháng chưa kết thúc: số liệu đến hôm nay)" if report["partial"] else ""
        self.summary_label.setText(
            f"Tháng {self.month_label()}{partial}: {format_number(t['examined_month'])} người khám trong tháng; "
            f"lũy kế năm {format_number(t['examined_ytd'])}/{format_number(t['managed'])} người "
            f"({str(t['rate']).replace('.', ',')} %)."
        )
        self.model.set_rows(table_rows(report))
        if subs:
            last = subs[-1]
            self.submission_label.setText(
                f"Đã nộp phiên bản {last['version']} — {last['signer_name']}, {last['signed_at'][:16].replace('T', ' ')}"
                + (f" (lý do: {last['reason']})" if last["reason"] else "")
                + (
                    f"; ký bằng khóa {last['signer_key_id']}"
                    if last["signer_key_id"]
                    else "; chưa ký bằng khóa ký (nộp trước khi báo cáo được ký)"
                )
            )
        else:
            self.submission_label.setText("Chưa nộp báo cáo tháng này.")
        self.loaded.emit()

    # -- actions -------------------------------------------------------------------------------------------
    def export_xlsx(self) -> ops.Task | None:
        ctx, report = self.session, self.report
        if ctx is None or report is None:
            return None
        dest = self.choose_xlsx_path(self, documents_folder() / f"bao-cao-thang-{report['month']}.xlsx")
        if dest is None:
            return None
        dest = with_suffix(dest, ".xlsx")
        from ksk_desktop.reports import files

        def done(result: dict) -> None:
            self.status_label.show_message(f"Đã xuất báo cáo tháng ra tệp {result['file']}.", OK_STYLE)
            self.exported.emit()

        return self._run(lambda: files.write(ctx, report, dest), done)

    def print_report(self) -> ops.Task | None:
        ctx, report = self.session, self.report
        if ctx is None or report is None or not ctx.can(Perm.PRINT):
            return None
        from ksk_desktop.reports import files

        return preview_document(
            self, lambda: files.document(ctx, report), f"bao-cao-thang-{report['month']}.pdf"
        )

    def submit(self) -> ops.Task | None:
        ctx, report = self.session, self.report
        if ctx is None or report is None or not ctx.can(Perm.REPORT_SUBMIT):
            return None
        answer = self.ask_submit(self, self.month_label(), bool(self.submissions))
        if answer is None:
            return None
        password, reason = answer
        month = report["month"]
        from ksk_desktop.reports import submissions

        def done(result: dict) -> None:
            self.status_label.show_message(
                f"Đã nộp báo cáo tháng {self.month_label()} (phiên bản {result['version']}), "
                f"{result['signer_name']} ký (mã khóa {result['signer_key_id']}); sẽ gửi lên máy chủ thành phố ở "
                "lần đồng bộ tới.",
                OK_STYLE,
            )
            self.submitted.emit()
            self.task = None
            self.load()

        return self._run(lambda: submissions.submit(ctx, "monthly", month, password, reason=reason), done)

    def _update_buttons(self) -> None:
        ctx = self.session
        ready = self.report is not None and not self.busy
        self.show_button.setEnabled(ctx is not None and not self.busy)
        self.xlsx_button.setEnabled(ready)
        self.print_button.setVisible(ctx is not None and ctx.can(Perm.PRINT))
        self.print_button.setEnabled(ready)
        self.submit_button.setVisible(ctx is not None and ctx.can(Perm.REPORT_SUBMIT))
        self.submit_button.setEnabled(ready and not (self.report or {}).get("partial", True))


def install(page: QWidget, layout: QVBoxLayout, body: QWidget) -> MonthlyReportView:
    """Put the page's existing *body* and a new monthly view in two tabs where *body* was in *layout*; the view
    loads when its tab is first shown."""
    index = layout.indexOf(body)
    stretch = layout.stretch(index)
    layout.removeWidget(body)
    tabs = QTabWidget(page)
    tabs.setObjectName("reportTabs")
    tabs.addTab(body, "Độ bao phủ")
    view = MonthlyReportView(tabs)
    tabs.addTab(view, TAB_TITLE)
    layout.insertWidget(index, tabs, stretch)
    body.setVisible(True)

    def shown(i: int) -> None:
        if tabs.widget(i) is view and view.report is None:
            view.load()

    tabs.currentChanged.connect(shown)
    view.tabs = tabs  # type: ignore[attr-defined]
    return view
