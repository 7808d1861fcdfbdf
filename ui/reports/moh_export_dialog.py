"""“Tệp nộp cổng Bộ Y tế…” on the Báo cáo page: the period's signed exams in the user's copy of the Ministry's KSK
template (``ksk report moh-export``). The template, the period, the facility code (MA_CSKCB) and the output file
are chosen here; the export runs on the worker; the summary (files written, people examined twice, exams that
could not go and where they are listed) stays on screen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget

from ksk_desktop.reports import moh_export
from ksk_desktop.station.session import StationSession
from ui.file_dialogs import ask_open_path, ask_save_path, documents_folder, with_suffix
from ui.schedule.day_dialog import date_edit, from_qdate
from ui.task_dialog import FormError, TaskDialog
from ui.widgets import OK_STYLE, MessageLabel, paragraph

TITLE = "Tệp nộp cổng dữ liệu khám sức khỏe (Bộ Y tế)"


def ask_template(parent: QWidget, folder: Path) -> Path | None:
    return ask_open_path(
        parent, "Chọn bản sao tệp mẫu của Bộ Y tế", str(folder), "Tệp mẫu Excel có macro (*.xlsm *.xlsx)"
    )


def ask_output(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(parent, "Lưu tệp nộp cổng", suggested, "Tệp Excel có macro (*.xlsm)", ".xlsm")


class MohExportDialog(TaskDialog):
    """``result_value`` is the core's summary once an export has run; the dialog stays open to show it."""

    def __init__(
        self,
        session: StationSession,
        today: date,
        parent: QWidget | None = None,
        *,
        template: Path | None = None,
        facility_code: str = "",
    ) -> None:
        super().__init__(TITLE, parent, submit_text="Xuất tệp", cancel_text="Đóng", busy_text="Đang xuất…")
        self.session = session
        #: Replaceable (tests): the file dialogs.
        self.choose_template: Callable[[QWidget, Path], Path | None] = ask_template
        self.choose_output: Callable[[QWidget, Path], Path | None] = ask_output
        self.outer.insertWidget(
            0,
            paragraph(
                "Các phiếu khám đã ký trong kỳ được ghi vào bản sao tệp mẫu Import_KSK_Tren 18.xlsm (giữ nguyên macro "
                "và các ô chọn). Mỗi số CCCD chỉ có một lần trong một tệp: người khám hai lần trong kỳ có lần sau ở "
                "tệp thứ hai. Phiếu không gửi được được liệt kê kèm lý do trong tệp báo cáo đi kèm.",
                self,
                muted=True,
            ),
        )
        self.template_edit = QLineEdit(str(template) if template else "", self)
        self.template_edit.setObjectName("mohTemplate")
        self.template_edit.setPlaceholderText("bản sao tệp mẫu .xlsm của Bộ Y tế")
        pick_template = QPushButton("Chọn…", self)
        pick_template.clicked.connect(self._pick_template)
        self.form.addRow("Tệp mẫu:", self._row(self.template_edit, pick_template))
        self.from_edit = date_edit(today.replace(day=1), self)
        self.to_edit = date_edit(today, self)
        period = QWidget(self)
        line = QHBoxLayout(period)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.from_edit)
        line.addWidget(paragraph("đến", period))
        line.addWidget(self.to_edit)
        line.addStretch(1)
        self.form.addRow("Khám từ ngày:", period)
        self.facility_edit = QLineEdit(facility_code, self)
        self.facility_edit.setObjectName("mohFacility")
        self.facility_edit.setMaxLength(5)
        self.facility_edit.setPlaceholderText("mã cơ sở KCB, 5 ký tự; để trống: mã đã đặt cho trạm")
        self.form.addRow("Mã CSKCB:", self.facility_edit)
        self.output_edit = QLineEdit(self)
        self.output_edit.setObjectName("mohOutput")
        pick_output = QPushButton("Chọn…", self)
        pick_output.clicked.connect(self._pick_output)
        self.form.addRow("Lưu thành:", self._row(self.output_edit, pick_output))
        self.summary_label = MessageLabel(self, OK_STYLE)
        self.summary_label.setObjectName("mohSummary")
        self.outer.insertWidget(self.outer.indexOf(self.error_label), self.summary_label)
        self.resize(640, self.sizeHint().height())

    def _row(self, edit: QLineEdit, button: QPushButton) -> QWidget:
        box = QWidget(self)
        line = QHBoxLayout(box)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(edit, 1)
        line.addWidget(button)
        return box

    def _pick_template(self) -> None:
        current = Path(self.template_edit.text().strip() or documents_folder())
        chosen = self.choose_template(self, current.parent if current.suffix else current)
        if chosen is not None:
            self.template_edit.setText(str(chosen))

    def suggested_output(self) -> Path:
        d1, d2 = from_qdate(self.from_edit.date()), from_qdate(self.to_edit.date())
        folder = Path(self.template_edit.text().strip()).parent if self.template_edit.text().strip() else None
        return (folder or documents_folder()) / f"nop-cong-ksk-{d1:%Y%m%d}-{d2:%Y%m%d}.xlsm"

    def _pick_output(self) -> None:
        chosen = self.choose_output(self, Path(self.output_edit.text().strip() or self.suggested_output()))
        if chosen is not None:
            self.output_edit.setText(str(with_suffix(chosen, ".xlsm")))

    def prepare(self) -> Callable[[], Any]:
        template = self.template_edit.text().strip()
        if not template:
            raise FormError("Hãy chọn bản sao tệp mẫu của Bộ Y tế.")
        if not self.output_edit.text().strip():
            self._pick_output()
            if not self.output_edit.text().strip():
                raise FormError("Hãy chọn nơi lưu tệp nộp cổng.")
        ctx = self.session
        d1, d2 = from_qdate(self.from_edit.date()), from_qdate(self.to_edit.date())
        out = Path(self.output_edit.text().strip())
        facility = self.facility_edit.text().strip()
        self.summary_label.clear_message()
        return lambda: moh_export.export(ctx, Path(template), d1, d2, out, facility_code=facility or None)

    def succeeded(self, result: Any) -> None:
        self.summary_label.show_message(result["message"], OK_STYLE)


def open_moh_export(page: Any) -> MohExportDialog | None:
    """Open the dialog for the Báo cáo *page* (owned by it, deleted when closed; the template and facility code
    chosen last time are offered again)."""
    ctx = page.session
    if ctx is None or not can_export(ctx):
        return None
    template, facility = getattr(page, "moh_last", (None, ""))
    dialog = MohExportDialog(ctx, ctx.clock.today(), page, template=template, facility_code=facility)

    def remember(closed: MohExportDialog, _result: int) -> None:
        text = closed.template_edit.text().strip()
        page.moh_last = (Path(text) if text else None, closed.facility_edit.text().strip())

    return page.dialogs.open("moh", dialog, on_finished=remember)


def can_export(ctx: StationSession | None) -> bool:
    from ksk_desktop.security.roles import Perm

    return ctx is not None and ctx.can(Perm.REPORT_READ) and ctx.can(Perm.HEALTH_READ)
