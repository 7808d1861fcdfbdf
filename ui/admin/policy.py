"""The security policy on the Quản trị page: lock-out after wrong passwords, the idle lock of the window.

The core (``ksk_desktop.station.security_policy``) reads, checks and records it, as for ``ksk security``.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QSpinBox, QVBoxLayout, QWidget

from ksk_desktop.security.keystore import LockoutPolicy
from ksk_desktop.station import security_policy
from ksk_desktop.station.session import StationSession
from ui import ops
from ui.admin.save_row import add_save_row
from ui.messages import error_text
from ui.widgets import ERROR_STYLE, OK_STYLE, paragraph


def describe_policy(policy: LockoutPolicy) -> str:
    return (
        f"Đã lưu: khóa tài khoản sau {policy.max_failures} lần nhập sai mật khẩu, trong "
        f"{policy.lockout_minutes} phút; tự khóa màn hình sau {policy.idle_lock_minutes} phút không thao tác."
    )


class PolicyPanel(QWidget):
    #: The policy was read or saved (the LockoutPolicy now in force), or reading/saving failed (None).
    loaded = Signal(object)
    #: A change was saved: the LockoutPolicy now in force (the window's idle lock follows it).
    saved = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session: StationSession | None = None
        self.task: ops.Task | None = None
        self.policy: LockoutPolicy | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            paragraph(
                "Tài khoản bị khóa tạm thời khi nhập sai mật khẩu nhiều lần; màn hình tự khóa khi không ai "
                "thao tác. Mỗi thay đổi được ghi vào nhật ký truy cập.",
                self,
                muted=True,
            )
        )
        form = QFormLayout()
        self.spins: dict[str, QSpinBox] = {}
        for field, label, suffix in (
            ("max_failures", "Khóa tài khoản sau", " lần nhập sai"),
            ("lockout_minutes", "Thời gian khóa tài khoản", " phút"),
            ("idle_lock_minutes", "Tự khóa màn hình sau", " phút không thao tác"),
        ):
            low, high, _what = security_policy.LIMITS[field]
            spin = QSpinBox(self)
            spin.setObjectName(f"{field}Spin")
            spin.setRange(low, high)
            spin.setSuffix(suffix)
            form.addRow(label, spin)
            self.spins[field] = spin
        layout.addLayout(form)
        self.save_button, self.result_label = add_save_row(
            self, layout, "Lưu chính sách", self.save, "policyResult"
        )
        self._set_enabled(False)

    @property
    def busy(self) -> bool:
        return self.task is not None and not self.task.done

    def _set_enabled(self, enabled: bool) -> None:
        for spin in self.spins.values():
            spin.setEnabled(enabled)
        self.save_button.setEnabled(enabled)

    def set_session(self, session: StationSession | None) -> None:
        """Forget what was shown; the page reads the policy (``refresh``) when it is shown."""
        self.session = session
        self.task = None
        self.policy = None
        self.result_label.clear_message()
        self._set_enabled(False)

    def refresh(self) -> None:
        """Read the policy in force, in the background (``loaded`` follows)."""
        ctx = self.session
        if ctx is None or self.busy:
            return
        self.task = ops.run_in_background(
            lambda: security_policy.current_policy(ctx),
            lambda p: self._loaded(ctx, p),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def values(self) -> dict[str, int]:
        return {field: spin.value() for field, spin in self.spins.items()}

    def save(self) -> None:
        ctx = self.session
        if ctx is None or self.busy:
            return
        values = self.values()
        self._set_enabled(False)
        self.result_label.show_message(style="", text="Đang lưu…")
        self.task = ops.run_in_background(
            lambda: security_policy.change_policy(ctx, **values),
            lambda p: self._saved(ctx, p),
            lambda exc: self._failed(ctx, exc),
            context=self,
        )

    def _show(self, policy: LockoutPolicy) -> None:
        self.policy = policy
        for field, value in policy.to_json().items():
            self.spins[field].setValue(value)
        self._set_enabled(True)

    def _loaded(self, ctx: StationSession, policy: LockoutPolicy) -> None:
        if ctx is not self.session:
            return
        self._show(policy)
        self.loaded.emit(policy)

    def _saved(self, ctx: StationSession, policy: LockoutPolicy) -> None:
        if ctx is not self.session:
            return
        self._show(policy)
        self.result_label.show_message(describe_policy(policy), OK_STYLE)
        self.saved.emit(policy)
        self.loaded.emit(policy)

    def _failed(self, ctx: StationSession, exc: BaseException) -> None:
        if ctx is not self.session:
            return
        self._set_enabled(self.policy is not None)
        self.result_label.show_message(error_text(exc), ERROR_STYLE)
        self.loaded.emit(None)
