"""The "Quản trị" page: my account for everyone; users, security policy, audit check and backups for those
allowed."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ui.admin.moh_settings import MohSettingsPanel
from ui.admin.policy import PolicyPanel
from ui.admin.tools import AuditPanel, BackupPanel
from ui.admin.user_dialogs import ChangePasswordDialog
from ui.admin.users import UsersPanel
from ui.changes import Changes
from ui.lazy_page import LazyPage
from ui.widgets import OK_STYLE, MessageLabel, heading, paragraph

NO_ACCESS = (
    "Tài khoản của bạn ({role}) không có quyền quản trị trạm. Quản lý người dùng, chính sách bảo mật, "
    "kiểm tra nhật ký truy cập và sao lưu do trưởng trạm hoặc quản trị viên thực hiện."
)


class Section(QFrame):
    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("section")
        self.setStyleSheet(
            "QFrame#section { background: white; border: 1px solid #d5dbe3; border-radius: 8px; }"
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 14, 18, 14)
        layout.addWidget(heading(title, 2, self))
        layout.addWidget(body)


class AdminPage(LazyPage):
    cares = Changes.USERS | Changes.STATION

    def __init__(self, session: StationSession | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        content = QWidget(scroll)
        scroll.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(32, 28, 32, 28)
        layout.setSpacing(14)
        layout.addWidget(heading("Quản trị", 1))

        me = QWidget(self)
        me_layout = QVBoxLayout(me)
        me_layout.setContentsMargins(0, 0, 0, 0)
        self.me_label = paragraph("", me)
        me_row = QHBoxLayout()
        self.own_password_button = QPushButton("Đổi mật khẩu của tôi", me)
        self.own_password_button.clicked.connect(self.change_own_password)
        me_row.addWidget(self.own_password_button)
        me_row.addStretch(1)
        self.me_status = MessageLabel(me, OK_STYLE)
        me_layout.addWidget(self.me_label)
        me_layout.addLayout(me_row)
        me_layout.addWidget(self.me_status)
        layout.addWidget(Section("Tài khoản của tôi", me, content))

        self.no_access_label = paragraph("", content)
        self.no_access_label.setObjectName("noAccessLabel")
        layout.addWidget(self.no_access_label)

        self.users_panel = UsersPanel(content)
        self.policy_panel = PolicyPanel(content)
        self.audit_panel = AuditPanel(content)
        self.backup_panel = BackupPanel(content)
        self.moh_panel = MohSettingsPanel(content)
        self.users_section = Section("Người dùng của trạm", self.users_panel, content)
        self.policy_section = Section("Bảo mật đăng nhập", self.policy_panel, content)
        self.audit_section = Section("Nhật ký truy cập", self.audit_panel, content)
        self.backup_section = Section("Sao lưu dữ liệu", self.backup_panel, content)
        self.moh_section = Section(
            "Liên thông dữ liệu khám sức khỏe với Bộ Y tế (QĐ 1551)", self.moh_panel, content
        )
        for section in (
            self.users_section,
            self.policy_section,
            self.moh_section,
            self.audit_section,
            self.backup_section,
        ):
            layout.addWidget(section)
        layout.addStretch(1)
        self.set_session(session)

    def close_dialogs(self) -> None:
        super().close_dialogs()
        self.users_panel.dialogs.close_all()

    @property
    def password_dialog(self) -> ChangePasswordDialog | None:
        return self.dialogs.get("password")

    def session_changed(self, session: StationSession | None) -> None:
        self.me_status.clear_message()
        can = session.can if session is not None else (lambda _perm: False)
        self.users_section.setVisible(can(Perm.USER_MANAGE))
        self.policy_section.setVisible(can(Perm.SETTINGS_MANAGE))
        self.moh_section.setVisible(can(Perm.SETTINGS_MANAGE))
        self.audit_section.setVisible(can(Perm.AUDIT_READ))
        self.backup_section.setVisible(can(Perm.BACKUP_CREATE))
        self.users_panel.set_session(session if can(Perm.USER_MANAGE) else None)
        self.policy_panel.set_session(session if can(Perm.SETTINGS_MANAGE) else None)
        self.moh_panel.set_session(session if can(Perm.SETTINGS_MANAGE) else None)
        self.audit_panel.set_session(session if can(Perm.AUDIT_READ) else None)
        self.backup_panel.set_session(session if can(Perm.BACKUP_CREATE) else None)
        self.own_password_button.setEnabled(session is not None)
        if session is None:
            self.me_label.clear()
            self.no_access_label.hide()
            return
        user = session.user
        self.me_label.setText(f"Đăng nhập với tên {user.username} — {user.full_name} ({user.role_label}).")
        no_access = not any(
            can(p) for p in (Perm.USER_MANAGE, Perm.SETTINGS_MANAGE, Perm.AUDIT_READ, Perm.BACKUP_CREATE)
        )
        self.no_access_label.setText(NO_ACCESS.format(role=user.role_label) if no_access else "")
        self.no_access_label.setVisible(no_access)

    def reload(self, changes: Changes) -> None:
        if self.session is None:
            return
        if changes & Changes.USERS and self.session.can(Perm.USER_MANAGE):
            self.users_panel.refresh()
        if changes & Changes.STATION and self.session.can(Perm.SETTINGS_MANAGE):
            self.policy_panel.refresh()
            self.moh_panel.refresh()

    def change_own_password(self) -> None:
        if self.session is None:
            return
        self.me_status.clear_message()
        dialog = ChangePasswordDialog(self.session, self.session.user.username, self)
        dialog.accepted.connect(lambda: self.me_status.show_message("Đã đổi mật khẩu của bạn."))
        self.dialogs.open("password", dialog)
