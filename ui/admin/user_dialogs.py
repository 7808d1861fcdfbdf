"""Dialogs for station accounts: add a user, edit one's name and licence number, change a password. Each calls
the core off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from ksk_desktop.security.roles import ROLE_LABELS, Role
from ksk_desktop.station import users
from ksk_desktop.station.session import StationSession
from ui.changes import Changes
from ui.task_dialog import FormError, TaskDialog
from ui.widgets import paragraph, password_edit


def _same_passwords(first: QLineEdit, second: QLineEdit) -> str:
    if first.text() != second.text():
        second.clear()
        second.setFocus()
        raise FormError("Hai lần nhập mật khẩu không khớp.")
    return first.text()


class AddUserDialog(TaskDialog):
    changes = Changes.USERS

    def __init__(self, session: StationSession, parent: QWidget | None = None) -> None:
        super().__init__("Thêm người dùng", parent, submit_text="Thêm")
        self.session = session
        self.setMinimumWidth(440)
        self.username_edit = QLineEdit(self)
        self.username_edit.setPlaceholderText("chữ thường không dấu, ví dụ: bacsi.lan")
        self.full_name_edit = QLineEdit(self)
        self.full_name_edit.setPlaceholderText("ví dụ: Trần Thị Lan")
        self.role_combo = QComboBox(self)
        for role, label in ROLE_LABELS.items():
            self.role_combo.addItem(label, role.value)
        self.role_combo.setCurrentIndex(self.role_combo.findData(Role.RECEPTION.value))
        self.password_edit = password_edit("ít nhất 8 ký tự", self)
        self.password2_edit = password_edit(parent=self)
        self.form.addRow("Tên đăng nhập", self.username_edit)
        self.form.addRow("Họ và tên", self.full_name_edit)
        self.licence_edit = QLineEdit(self)
        self.licence_edit.setPlaceholderText("bác sĩ: cần để ký phiếu khám, ví dụ 000123/HP-CCHN")
        self.form.addRow("Vai trò", self.role_combo)
        self.form.addRow("Số chứng chỉ hành nghề", self.licence_edit)
        self.form.addRow("Mật khẩu", self.password_edit)
        self.form.addRow("Nhập lại mật khẩu", self.password2_edit)

    def prepare(self) -> Callable[[], users.UserRow]:
        password = _same_passwords(self.password_edit, self.password2_edit)
        ctx, username, full_name = self.session, self.username_edit.text(), self.full_name_edit.text()
        role, licence = self.role_combo.currentData(), self.licence_edit.text()
        return lambda: users.add_user(ctx, username, role, password, full_name, licence)


class EditUserDialog(TaskDialog):
    """A user's full name and licence number (a doctor needs the licence number to sign)."""

    changes = Changes.USERS

    def __init__(self, session: StationSession, row: users.UserRow, parent: QWidget | None = None) -> None:
        super().__init__(f"Sửa thông tin {row.username}", parent)
        self.session, self.username = session, row.username
        self.setMinimumWidth(440)
        self.full_name_edit = QLineEdit(row.full_name, self)
        self.licence_edit = QLineEdit(row.licence_no or "", self)
        self.form.addRow("Họ và tên", self.full_name_edit)
        self.form.addRow("Số chứng chỉ hành nghề", self.licence_edit)

    def prepare(self) -> Callable[[], users.UserRow]:
        ctx, username = self.session, self.username
        full_name, licence = self.full_name_edit.text(), self.licence_edit.text()
        return lambda: users.edit_user(ctx, username, full_name=full_name, licence_no=licence)


class ChangePasswordDialog(TaskDialog):
    changes = Changes.USERS
    """Set a new password for *username* (the logged-in user's own, or, for managers, someone else's)."""

    def __init__(self, session: StationSession, username: str, parent: QWidget | None = None) -> None:
        own = username == session.user.username
        super().__init__(
            "Đổi mật khẩu của tôi" if own else f"Đổi mật khẩu cho {username}",
            parent,
            submit_text="Đổi mật khẩu",
        )
        self.session = session
        self.username = username
        self.setMinimumWidth(420)
        if own:
            note = "Đặt mật khẩu mới cho tài khoản của bạn. Lần đăng nhập sau hãy dùng mật khẩu mới."
        else:
            note = (
                f"Đặt mật khẩu mới cho tài khoản {username}. Hãy báo mật khẩu mới trực tiếp cho người "
                "dùng và nhắc họ tự đổi lại. Nếu là bác sĩ: khóa ký cũ không mở được nữa, lần ký sau tạo "
                "khóa mới và khóa đó phải được quản trị máy chủ thành phố xác nhận."
            )
        self.outer.insertWidget(0, paragraph(note, self))
        self.current_edit = password_edit(parent=self) if own else None
        if self.current_edit is not None:
            self.form.addRow("Mật khẩu hiện tại", self.current_edit)
        self.password_edit = password_edit("ít nhất 8 ký tự", self)
        self.password2_edit = password_edit(parent=self)
        self.form.addRow("Mật khẩu mới", self.password_edit)
        self.form.addRow("Nhập lại mật khẩu mới", self.password2_edit)

    def prepare(self) -> Callable[[], None]:
        password = _same_passwords(self.password_edit, self.password2_edit)
        ctx, username = self.session, self.username
        current = self.current_edit.text() if self.current_edit is not None else None
        return lambda: users.change_password(ctx, username, password, current)
