""" "Chuẩn bị đi khám lưu động…" and "Nhận kết quả từ máy đoàn khám…": a transfer file (.ksktx) between the
station's devices when there is no network (docs/multi-device.md §6). The file is written or read on the
database worker (``ui.ops``); the dialog stays open with the one-line reason if the file is refused."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.i18n import button_box, format_number
from ui.messages import error_text
from ui.widgets import ErrorLabel, paragraph

EXPORT, IMPORT = "export", "import"
FILTER = "Tệp trao đổi KSK (*.ksktx)"


def export_text(done: dict, device_id: str) -> str:
    return (
        f"Đã ghi {format_number(done['items'])} mục vào tệp {done['path']} cho máy {device_id} "
        "(mã hóa cho trạm, ký bởi máy này). Mang tệp theo đoàn khám và nhận nó trên máy đoàn."
    )


def import_text(got: dict) -> str:
    """What an import did, in words; a file received before says that nothing changed."""
    if got["applied"] == 0 and got["waiting"] == 0 and got["repeated"] > 0 and got["refused"] == 0:
        return (
            f"Tệp này đã được nhận trước đây: không có gì thay đổi ({format_number(got['repeated'])} mục đã có "
            "trên máy)."
        )
    text = (
        f"Đã nhận tệp của máy {got['from_device']}: {format_number(got['applied'])} mục áp dụng, "
        f"{format_number(got['repeated'])} mục đã có, {format_number(got['waiting'])} mục chờ dữ liệu liên quan, "
        f"{format_number(got['refused'])} mục không nhận."
    )
    if got.get("conflicts"):
        text += f" {format_number(got['conflicts'])} thay đổi song song cần xem (bên dưới)."
    return text


def _export(ctx: StationSession, path: str, device_id: str) -> dict:
    from sync.client import transfer

    return transfer.export(ctx, Path(path), for_device=device_id).to_json()


def _import(ctx: StationSession, path: str) -> dict:
    from sync.client import transfer

    return transfer.import_file(ctx, Path(path))


class TransferDialog(QDialog):
    """*mode* ``export`` (choose the team's device and where to save) or ``import`` (choose the file)."""

    def __init__(
        self, session: StationSession, mode: str, devices: list[str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session, self.mode = session, mode
        self.result_data: dict | None = None
        self.task: ops.Task | None = None
        exporting = mode == EXPORT
        self.setWindowTitle("Chuẩn bị đi khám lưu động" if exporting else "Nhận kết quả từ máy đoàn khám")
        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "Ghi dữ liệu của máy này (lịch, ngày khám, quầy tiếp đón đã nhận…) ra tệp cho máy của đoàn khám "
                "mang đi khi không có mạng. Nhận quầy của ngày khám về máy đoàn trước khi ghi tệp."
                if exporting
                else "Chọn tệp .ksktx do máy của đoàn khám ghi khi về. Tệp bị hỏng, bị sửa hay của trạm khác bị "
                "từ chối và không thay đổi gì; nhận lại một tệp đã nhận không ghi gì hai lần.",
                self,
                muted=True,
            )
        )
        form = QFormLayout()
        self.device_combo = QComboBox(self)
        for device_id in devices:
            self.device_combo.addItem(device_id, device_id)
        if exporting:
            form.addRow("Máy của đoàn khám", self.device_combo)
        else:
            self.device_combo.hide()
        row = QHBoxLayout()
        self.path_edit = QLineEdit(self)
        self.path_edit.setPlaceholderText("dao-kham.ksktx" if exporting else "tệp .ksktx")
        self.browse_button = QPushButton("Chọn tệp…", self)
        self.browse_button.clicked.connect(self.browse)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow("Tệp", row)
        layout.addLayout(form)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        self.buttons = button_box(QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_label = "Ghi tệp" if exporting else "Nhận tệp"
        self.ok_button.setText(self.ok_label)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if exporting and not devices:
            self.error_label.show_message(
                "Chưa biết máy nào khác của trạm: đồng bộ với máy chủ một lần (khi có mạng) để biết các máy."
            )
            self.ok_button.setEnabled(False)
        self.resize(560, self.sizeHint().height())

    def browse(self) -> None:
        if self.mode == EXPORT:
            path, _ = QFileDialog.getSaveFileName(self, "Lưu tệp trao đổi", self.path_edit.text(), FILTER)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Chọn tệp trao đổi", self.path_edit.text(), FILTER)
        if path:
            self.path_edit.setText(path)

    def submit(self) -> None:
        path = self.path_edit.text().strip()
        if not path:
            self.error_label.show_message("Chọn tệp trước.")
            return
        if self.mode == EXPORT and not path.lower().endswith(".ksktx"):
            path += ".ksktx"
        if self.task is not None and not self.task.done:
            return
        self.error_label.clear_message()
        self.ok_button.setEnabled(False)
        self.ok_button.setText("Đang ghi…" if self.mode == EXPORT else "Đang nhận…")
        ctx, device_id = self.session, self.device_combo.currentData()
        if self.mode == EXPORT:
            work = lambda: _export(ctx, path, device_id)  # noqa: E731
            changes = Changes.SYNC
        else:
            work = lambda: _import(ctx, path)  # noqa: E731
            changes = (
                Changes.SYNC
                | Changes.OUTBOX
                | Changes.APPOINTMENTS
                | Changes.PEOPLE
                | Changes.SCHEDULE
                | Changes.EXAMS
                | Changes.FOLLOWUPS
                | Changes.CONSENTS
            )
        self.task = ops.run_in_background(work, self._done, self._failed, context=self, changes=changes)

    def _done(self, result: dict) -> None:
        self.result_data = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.ok_button.setText(self.ok_label)
        self.error_label.show_message(error_text(exc))
