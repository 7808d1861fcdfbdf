"""The doctor confirms a sign-off with their password: it opens their signing key (``ksk_desktop.exams.keys``),
which nobody else's password opens. The password leaves the field as soon as it is handed on. For an exam, a
second, optional field takes the password of the doctor's QĐ 1551 certificate when it differs from their own."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ui.i18n import apply_button_texts
from ui.widgets import ErrorLabel, paragraph, password_edit


def add_password_field(layout: QVBoxLayout, parent: QWidget, object_name: str) -> QLineEdit:
    """The signing password's label and field, added to *layout*; returns the field."""
    layout.addWidget(QLabel("Mật khẩu của bạn (để mở khóa ký):", parent))
    edit = password_edit(parent=parent)
    edit.setObjectName(object_name)
    layout.addWidget(edit)
    return edit


class SignPasswordDialog(QDialog):
    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        on_password: Callable[..., object],
        yes_text: str = "Ký xác nhận",
        *,
        cert_password: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(True)
        self.on_password = on_password
        layout = QVBoxLayout(self)
        layout.addWidget(paragraph(text, self))
        self.password_edit = add_password_field(layout, self, "signPassword")
        self.cert_edit: QLineEdit | None = None
        if cert_password:
            layout.addWidget(
                QLabel("Mật khẩu chứng thư số (QĐ 1551) — để trống nếu trùng mật khẩu trên:", self)
            )
            self.cert_edit = password_edit(parent=self)
            self.cert_edit.setObjectName("certPassword")
            layout.addWidget(self.cert_edit)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.error_label)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        apply_button_texts(self.buttons)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(yes_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.password_edit.setFocus()

    def submit(self) -> None:
        password = self.password_edit.text()
        if not password:
            self.error_label.show_message("Nhập mật khẩu của bạn để ký.")
            return
        self.password_edit.clear()
        if self.cert_edit is None:
            self.accept()
            self.on_password(password)
            return
        cert = self.cert_edit.text() or None
        self.cert_edit.clear()
        self.accept()
        self.on_password(password, cert)


def ask_password(
    parent: QWidget | None,
    title: str,
    text: str,
    on_password: Callable[..., object],
    yes_text: str,
    *,
    cert_password: bool = False,
) -> SignPasswordDialog:
    """Ask to confirm with the user's password; *on_password* runs with it (and, with *cert_password*, the
    certificate's password or None) only if they confirm."""
    dialog = SignPasswordDialog(parent, title, text, on_password, yes_text, cert_password=cert_password)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
    return dialog
