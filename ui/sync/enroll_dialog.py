""" "Đăng ký với máy chủ…": hub address, one-time code, optional certificate pin; the request runs off the GUI
thread and the dialog stays open with the reason if the hub says no."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLineEdit, QVBoxLayout, QWidget

from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.i18n import button_box
from ui.messages import error_text
from ui.widgets import ErrorLabel, paragraph


def enroll(ctx: StationSession, hub: str, code: str, pin: str | None) -> dict:
    """Runs on a network thread (``ops.run_network``)."""
    from sync.client.enrolment import enroll_station

    return enroll_station(ctx, hub, code, pin=pin)


class EnrollDialog(QDialog):
    def __init__(self, session: StationSession, parent: QWidget | None = None, hub_url: str = "") -> None:
        super().__init__(parent)
        self.session = session
        self.result_data: dict | None = None
        self.task: ops.Task | None = None
        self.setWindowTitle("Đăng ký với máy chủ đồng bộ")
        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                "Nhập địa chỉ máy chủ của thành phố và mã đăng ký một lần do quản trị máy chủ "
                "cấp. Dấu vân tay chứng chỉ (SHA-256) là tùy chọn: khi có, máy chỉ tin đúng "
                "chứng chỉ đó.",
                self,
                muted=True,
            )
        )
        form = QFormLayout()
        self.hub_edit = QLineEdit(hub_url, self)
        self.hub_edit.setPlaceholderText("https://dongbo.haiphong.gov.vn")
        self.code_edit = QLineEdit(self)
        self.code_edit.setPlaceholderText("mã một lần")
        self.pin_edit = QLineEdit(self)
        self.pin_edit.setPlaceholderText("không bắt buộc: 64 chữ số hex")
        form.addRow("Địa chỉ máy chủ", self.hub_edit)
        form.addRow("Mã đăng ký", self.code_edit)
        form.addRow("Dấu vân tay chứng chỉ", self.pin_edit)
        layout.addLayout(form)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        self.buttons = button_box(QDialogButtonBox.StandardButton.Ok, QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Đăng ký")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.resize(520, self.sizeHint().height())

    def submit(self) -> None:
        hub, code, pin = (
            self.hub_edit.text().strip(),
            self.code_edit.text().strip(),
            self.pin_edit.text().strip(),
        )
        if not hub or not code:
            self.error_label.show_message("Cần nhập địa chỉ máy chủ và mã đăng ký.")
            return
        if self.task is not None and not self.task.done:
            return
        self.error_label.clear_message()
        self.ok_button.setEnabled(False)
        self.ok_button.setText("Đang đăng ký…")
        ctx = self.session
        self.task = ops.run_network(  # the network never runs on the database worker
            lambda: enroll(ctx, hub, code, pin or None),
            self._done,
            self._failed,
            context=self,
            changes=Changes.SYNC,
        )

    def _done(self, result: dict) -> None:
        self.result_data = result
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        self.ok_button.setText("Đăng ký")
        self.error_label.show_message(error_text(exc))
