"""Correcting a signed exam: the signed values in the same form, the doctor changes what was wrong and writes why;
``amendments.amend`` makes version n+1 (signed at once by the amending doctor, audited), on the worker thread.
The signed version is never touched."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ksk_desktop.exams import amendments
from ksk_desktop.exams.errors import SigningBlocked
from ksk_desktop.exams.forms import load_form
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.changes import Changes
from ui.exam.form_view import FormView
from ui.exam.sign_dialog import add_password_field
from ui.i18n import apply_button_texts
from ui.messages import error_text
from ui.widgets import ErrorLabel, paragraph


class AmendDialog(QDialog):
    amended = Signal(dict)  # the new signed document

    def __init__(
        self, ctx: StationSession, doc: dict, sex: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.doc = ctx, doc
        self.task: ops.Task | None = None
        self.setWindowTitle("Sửa đổi (đính chính) phiếu khám đã ký")
        self.resize(820, 640)
        layout = QVBoxLayout(self)
        layout.addWidget(
            paragraph(
                f"Phiếu đã ký (phiên bản {doc['version']}) không bị sửa: một phiên bản mới "
                "được lập với những thay đổi dưới đây và lý do, rồi được ký bởi bạn.",
                self,
            )
        )
        layout.addWidget(QLabel("Lý do đính chính (bắt buộc):", self))
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("amendReason")
        layout.addWidget(self.reason_edit)
        self.form = FormView(self)
        self.form.build(load_form(doc["form"], doc["form_version"]), sex, ctx.can, ctx.paths.root)
        self.form.load(doc)
        self.baseline = {key: e.value() for key, e in self.form.editors.items()}
        layout.addWidget(self.form, 1)
        self.confirm_check = QCheckBox(
            "Tôi đã kiểm tra lại các giá trị ngoài khoảng thường gặp trong phần sửa", self
        )
        self.confirm_check.setObjectName("amendConfirm")
        layout.addWidget(self.confirm_check)
        self.password_edit = add_password_field(layout, self, "amendPassword")
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        apply_button_texts(self.buttons)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Lập phiên bản đính chính và ký")
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.reason_edit.setFocus()

    def changes(self) -> dict:
        """The fields whose value differs from the signed version."""
        return {key: e.value() for key, e in self.form.editors.items() if e.value() != self.baseline[key]}

    def submit(self) -> None:
        reason = self.reason_edit.text().strip()
        if not reason:
            self.error_label.show_message("Hãy ghi lý do đính chính.")
            self.reason_edit.setFocus()
            return
        changes = self.changes()
        if not changes:
            self.error_label.show_message("Chưa sửa trường nào so với bản đã ký.")
            return
        confirm = list(changes) if self.confirm_check.isChecked() else []
        if self.task is not None and not self.task.done:
            return
        password = self.password_edit.text()
        if not password:
            self.error_label.show_message("Nhập mật khẩu của bạn để ký phiếu đính chính.")
            self.password_edit.setFocus()
            return
        self.password_edit.clear()
        ctx, exam_id = self.ctx, self.doc["id"]
        self.error_label.clear_message()
        self.buttons.setEnabled(False)
        # The password opens the doctor's key (Argon2id) on the worker, like the write itself.
        self.task = ops.run_in_background(
            lambda: amendments.amend(ctx, exam_id, reason, changes, confirm=confirm, password=password),
            self._amended,
            self._failed,
            context=self,
            changes=Changes.EXAMS | Changes.FOLLOWUPS | Changes.OUTBOX,
        )

    def _amended(self, doc: dict) -> None:
        self.buttons.setEnabled(True)
        self.amended.emit(doc)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(exc, SigningBlocked):
            self.error_label.show_message(
                exc.message
                + (
                    " Nếu các giá trị đó là đúng, đánh dấu ô kiểm tra lại ở trên rồi bấm lại."
                    if exc.unconfirmed
                    else ""
                )
            )
            return
        self.error_label.show_message(error_text(exc))

    def reject(self) -> None:
        if self.task is not None and not self.task.done:
            return  # the amendment is being written: it cannot be stopped half-way
        super().reject()
