"""The login dialog, also used as the lock screen (``locked_user=True``: same user, password only)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from ksk_desktop import __version__
from ksk_desktop.clock import SYSTEM_CLOCK, Clock
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession
from ui.task_dialog import FormError, TaskDialog
from ui.widgets import heading, paragraph, password_edit


class LoginDialog(TaskDialog):
    #: ``result()`` when the person chose "Đăng xuất" on the lock screen.
    LOGGED_OUT = 2

    def __init__(
        self,
        paths: StationPaths,
        parent: QWidget | None = None,
        username: str = "",
        locked_user: bool = False,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(
            "Đăng nhập — KSK Desktop",
            parent,
            submit_text="Mở khóa" if locked_user else "Đăng nhập",
            cancel_text="Thoát",
            busy_text="Đang kiểm tra…",
        )
        self.paths = paths
        self.locked_user = locked_user
        self.clock = clock  # unlocking keeps the locked session's clock
        self.session: StationSession | None = None
        self.setMinimumWidth(420)

        header = QWidget(self)
        header_layout = QVBoxLayout(header)
        header_layout.setContentsMargins(0, 0, 0, 8)
        if locked_user:
            self.setWindowTitle("Màn hình đã khóa — KSK Desktop")
            header_layout.addWidget(heading("Màn hình đã khóa", 1))
            header_layout.addWidget(
                paragraph(
                    "Phiên làm việc đã được khóa để bảo vệ dữ liệu. Nhập mật khẩu để tiếp tục, "
                    "hoặc đăng xuất để người khác đăng nhập."
                )
            )
        else:
            header_layout.addWidget(heading("KSK Desktop", 1))
            header_layout.addWidget(paragraph("Quản lý khám sức khỏe định kỳ tại trạm y tế xã, phường."))
        self.outer.insertWidget(0, header)

        self.username_edit = QLineEdit(username, self)
        self.username_edit.setPlaceholderText("ví dụ: letan")
        self.password_edit = password_edit(parent=self)
        self.form.addRow("Tên đăng nhập", self.username_edit)
        self.form.addRow("Mật khẩu", self.password_edit)
        self.login_button = self.submit_button

        # The version, so a station can tell support what it runs (and see that an update took).
        self.version_label = QLabel(f"Phiên bản {__version__}", self)
        self.version_label.setStyleSheet("color: #5f6368;")
        self.outer.insertWidget(self.outer.indexOf(self.buttons), self.version_label)
        folder = QLabel(f"Dữ liệu trạm: {paths.root}", self)
        folder.setStyleSheet("color: #5f6368;")
        folder.setWordWrap(True)
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.outer.insertWidget(self.outer.indexOf(self.buttons), folder)

        self.logout_button = None
        if locked_user:
            self.username_edit.setReadOnly(True)
            self.username_edit.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.cancel_button.hide()
            self.logout_button = self.buttons.addButton(
                "Đăng xuất", QDialogButtonBox.ButtonRole.DestructiveRole
            )
            self.logout_button.setAutoDefault(False)
            self.logout_button.clicked.connect(self.log_out)
        if username:
            self.password_edit.setFocus()
        else:
            self.username_edit.setFocus()

    def prepare(self) -> Callable[[], StationSession]:
        username = self.username_edit.text().strip()
        password = self.password_edit.text()
        if not username or not password:
            raise FormError("Hãy nhập tên đăng nhập và mật khẩu.")
        paths, clock = self.paths, self.clock
        return lambda: login(paths, username, password, clock=clock)

    def succeeded(self, result: StationSession) -> None:
        self.session = result
        self.password_edit.clear()
        self.accept()

    def failed(self, exc: BaseException) -> None:
        super().failed(exc)
        self.password_edit.clear()
        self.password_edit.setFocus()

    def log_out(self) -> None:
        if not self.busy:
            self.done(self.LOGGED_OUT)

    def reject(self) -> None:
        # The lock screen can only be left by unlocking or logging out; Esc and the close box do nothing.
        if self.locked_user:
            return
        super().reject()
