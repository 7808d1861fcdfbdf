"""The station's accounts: list, add, edit a name and licence number, reset a password, disable or re-enable,
lift a lock-out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ksk_desktop.security.roles import ROLE_LABELS, Role
from ksk_desktop.station import users
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.admin.user_dialogs import AddUserDialog, ChangePasswordDialog, EditUserDialog
from ui.changes import Changes
from ui.dialog_owner import DialogOwner
from ui.messages import ask, error_text
from ui.widgets import OK_STYLE, ErrorLabel, MessageLabel

COLUMNS = ("Tên đăng nhập", "Họ và tên", "Vai trò", "Trạng thái")
USERNAME_ROLE = Qt.ItemDataRole.UserRole + 1


def status_text(row: users.UserRow) -> str:
    if not row.active:
        return "Vô hiệu, đang bị khóa" if row.locked else "Vô hiệu"
    return "Đang bị khóa" if row.locked else "Hoạt động"


def role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)]
    except ValueError:
        return role


class UsersPanel(QWidget):
    users_loaded = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.rows: list[users.UserRow] = []
        self.task: ops.Task | None = None
        self.dialogs = DialogOwner()  # adding or editing a user, a password, a confirmation

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("usersTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(170)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table)

        row = QHBoxLayout()
        self.add_button = QPushButton("Thêm người dùng", self)
        self.edit_button = QPushButton("Sửa thông tin", self)
        self.password_button = QPushButton("Đổi mật khẩu", self)
        self.active_button = QPushButton("Vô hiệu hóa", self)
        self.unlock_button = QPushButton("Mở khóa", self)
        self.refresh_button = QPushButton("Làm mới", self)
        self.add_button.clicked.connect(self.add_user)
        self.edit_button.clicked.connect(self.edit_user)
        self.password_button.clicked.connect(self.change_password)
        self.active_button.clicked.connect(self.toggle_active)
        self.unlock_button.clicked.connect(self.unlock)
        self.refresh_button.clicked.connect(lambda: self.refresh())
        for b in (
            self.add_button,
            self.edit_button,
            self.password_button,
            self.active_button,
            self.unlock_button,
        ):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout.addLayout(row)
        self.status_label = MessageLabel(self, OK_STYLE)
        self.error_label = ErrorLabel(self)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        self._update_buttons()

    # -- session ---------------------------------------------------------------------------------------
    def set_session(self, session: StationSession | None) -> None:
        self.session = session
        self._close_dialogs()
        self.status_label.clear_message()
        self.error_label.clear_message()
        if session is None:
            self.rows = []
            self.table.setRowCount(0)
            self._update_buttons()
            return
        self._update_buttons()  # the page reads the list when it is shown

    def _close_dialogs(self) -> None:
        self.dialogs.close_all()

    @property
    def dialog(self) -> AddUserDialog | EditUserDialog | ChangePasswordDialog | None:
        """The user dialog open (adding, editing, a password), or None."""
        return self.dialogs.get("user")

    @property
    def confirm_box(self) -> QMessageBox | None:
        return self.dialogs.get("confirm")

    # -- reading -------------------------------------------------------------------------------------
    def refresh(self) -> None:
        ctx = self.session
        if ctx is None:
            return
        self._run(lambda: users.list_users(ctx), lambda rows: self._show(ctx, rows))

    def _show(self, ctx: StationSession, rows: list[users.UserRow]) -> None:
        if ctx is not self.session:
            return
        selected = self.selected_username()
        self.rows = rows
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            values = (row.username, row.full_name, role_label(row.role), status_text(row))
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(USERNAME_ROLE, row.username)
                if c == 3 and (row.locked or not row.active):
                    item.setForeground(Qt.GlobalColor.darkRed)
                self.table.setItem(r, c, item)
            if row.username == selected:
                self.table.selectRow(r)
        self._update_buttons()
        self.users_loaded.emit()

    def usernames(self) -> list[str]:
        return [row.username for row in self.rows]

    def selected_row(self) -> users.UserRow | None:
        items = self.table.selectedItems()
        if not items:
            return None
        name = items[0].data(USERNAME_ROLE)
        return next((row for row in self.rows if row.username == name), None)

    def selected_username(self) -> str | None:
        row = self.selected_row()
        return row.username if row else None

    def select_username(self, username: str) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(USERNAME_ROLE) == username:
                self.table.selectRow(r)
                return

    def _update_buttons(self) -> None:
        row = self.selected_row()
        enabled = self.session is not None and not self.busy
        self.add_button.setEnabled(enabled)
        self.refresh_button.setEnabled(enabled)
        self.edit_button.setEnabled(enabled and row is not None)
        self.password_button.setEnabled(enabled and row is not None)
        self.active_button.setEnabled(enabled and row is not None)
        self.active_button.setText("Kích hoạt" if row is not None and not row.active else "Vô hiệu hóa")
        self.unlock_button.setEnabled(enabled and row is not None and row.locked)

    # -- actions -----------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _run(
        self, fn: Callable[[], Any], on_done: Callable[[Any], None], changes: Changes = Changes.NONE
    ) -> None:
        ctx = self.session

        def done(result: Any) -> None:
            self._update_buttons()
            on_done(result)

        def failed(exc: BaseException) -> None:
            self._update_buttons()
            if ctx is self.session:
                self.error_label.show_message(error_text(exc))
                self.users_loaded.emit()

        self.error_label.clear_message()
        self.task = ops.run_in_background(fn, done, failed, context=self, changes=changes)
        self._update_buttons()

    def _done_with(self, message: str) -> Callable[[Any], None]:
        def show(_result: Any) -> None:  # the list refreshes from the operation's changes
            self.status_label.show_message(message)

        return show

    def add_user(self) -> None:
        if self.session is None:
            return
        self.status_label.clear_message()
        self.dialogs.open("user", AddUserDialog(self.session, self), self._user_added)

    def _user_added(self, dialog: AddUserDialog, result: int) -> None:
        if result != QDialog.DialogCode.Accepted:
            return
        row: users.UserRow = dialog.result_value
        self.status_label.show_message(f"Đã thêm người dùng {row.username} ({role_label(row.role)}).")

    def edit_user(self) -> None:
        row = self.selected_row()
        if self.session is None or row is None:
            return
        self.status_label.clear_message()
        dialog = EditUserDialog(self.session, row, self)
        dialog.accepted.connect(lambda: self.status_label.show_message(f"Đã sửa thông tin {row.username}."))
        self.dialogs.open("user", dialog)

    def change_password(self) -> None:
        name = self.selected_username()
        if self.session is None or name is None:
            return
        self.status_label.clear_message()
        dialog = ChangePasswordDialog(self.session, name, self)
        dialog.accepted.connect(lambda: self.status_label.show_message(f"Đã đổi mật khẩu cho {name}."))
        self.dialogs.open("user", dialog)

    def toggle_active(self) -> None:
        row = self.selected_row()
        ctx = self.session
        if ctx is None or row is None:
            return
        self.status_label.clear_message()
        name = row.username
        if row.active:
            box = ask(
                self,
                "Vô hiệu hóa tài khoản",
                f"Vô hiệu hóa tài khoản {name}? Người này sẽ không đăng nhập được cho đến khi được kích hoạt lại.",
                lambda: self._run(
                    lambda: users.set_active(ctx, name, False),
                    self._done_with(f"Đã vô hiệu hóa tài khoản {name}."),
                    Changes.USERS,
                ),
                yes_text="Vô hiệu hóa",
            )
            self.dialogs.adopt("confirm", box)
        else:
            self._run(
                lambda: users.set_active(ctx, name, True),
                self._done_with(f"Đã kích hoạt lại tài khoản {name}."),
                Changes.USERS,
            )

    def unlock(self) -> None:
        row = self.selected_row()
        ctx = self.session
        if ctx is None or row is None:
            return
        name = row.username
        self.status_label.clear_message()
        self._run(
            lambda: users.unlock(ctx, name), self._done_with(f"Đã mở khóa tài khoản {name}."), Changes.USERS
        )
