"""Login dialog and lock-screen mode, against a real encrypted station."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from ksk_desktop.station.paths import StationPaths
from ui.login.login_dialog import LoginDialog

ADMIN, ADMIN_PASSWORD = "admin", "Quan-tri-2026"


def make_dialog(qtbot, paths, **kwargs) -> LoginDialog:
    dialog = LoginDialog(paths, **kwargs)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def submit(qtbot, dialog: LoginDialog, username: str | None, password: str) -> None:
    if username is not None:
        dialog.username_edit.setText(username)
    dialog.password_edit.setText(password)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)


def test_texts_are_vietnamese(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths)
    assert dialog.windowTitle() == "Đăng nhập — KSK Desktop"
    assert dialog.login_button.text() == "Đăng nhập"
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password
    assert dialog.error_label.objectName() == "errorLabel"
    assert not dialog.error_label.isVisible()
    assert dialog.logout_button is None


def test_right_password_accepts_with_admin_session(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        submit(qtbot, dialog, "admin", ADMIN_PASSWORD)
    try:
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert dialog.session is not None and not dialog.session.closed
        assert dialog.session.user.username == ADMIN
        assert dialog.session.user.full_name == "Quản Trị"
        assert dialog.password_edit.text() == ""  # not kept in the widget
    finally:
        dialog.session.close()


def test_inputs_are_disabled_while_logging_in(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths)
    submit(qtbot, dialog, "admin", ADMIN_PASSWORD)
    assert dialog.busy
    assert not dialog.username_edit.isEnabled() and not dialog.password_edit.isEnabled()
    assert not dialog.login_button.isEnabled()
    dialog.reject()  # cannot be closed half-way
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.session is not None, timeout=10_000)
    dialog.session.close()


def test_wrong_password_shows_the_core_message_and_stays_open(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths)
    submit(qtbot, dialog, "admin", "sai-mat-khau-1")
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "Sai tên đăng nhập hoặc mật khẩu" in dialog.error_label.text()
    assert "Còn 4 lần thử" in dialog.error_label.text()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.session is None
    assert dialog.password_edit.text() == ""
    assert dialog.username_edit.text() == "admin"
    assert dialog.password_edit.isEnabled()
    # A second try with the right password then works.
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        submit(qtbot, dialog, None, ADMIN_PASSWORD)
    dialog.session.close()


def test_repeated_failures_show_the_lockout_message(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths)
    for attempt in range(5):
        submit(qtbot, dialog, "admin", f"sai-mat-khau-{attempt}")
        qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "tạm khóa" in dialog.error_label.text()
    assert dialog.isVisible()


def test_empty_fields_are_refused_before_calling_the_core(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths)
    submit(qtbot, dialog, "", "")
    assert not dialog.busy
    assert dialog.error_label.isVisible()
    assert "Hãy nhập tên đăng nhập và mật khẩu" in dialog.error_label.text()


def test_no_station_shows_the_core_message(qtbot, tmp_path):
    dialog = make_dialog(qtbot, StationPaths(tmp_path / "empty"))
    submit(qtbot, dialog, "admin", ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=10_000)
    assert "Chưa có trạm nào" in dialog.error_label.text()
    assert "ksk" not in dialog.error_label.text()  # no command-line hint in the app


def test_username_prefill_focuses_password(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths, username="admin")
    assert dialog.username_edit.text() == "admin"
    assert not dialog.username_edit.isReadOnly()


def test_locked_user_mode_fixes_the_username_and_offers_logout(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths, username="admin", locked_user=True)
    assert dialog.username_edit.isReadOnly()
    assert dialog.logout_button is not None and dialog.logout_button.text() == "Đăng xuất"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    dialog.reject()
    assert dialog.isVisible()  # only unlocking or logging out leaves the lock screen
    qtbot.mouseClick(dialog.logout_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert dialog.result() == LoginDialog.LOGGED_OUT
    assert dialog.result() not in (QDialog.DialogCode.Accepted, QDialog.DialogCode.Rejected)
    assert dialog.session is None


def test_locked_user_mode_unlocks_with_the_password(qtbot, station):
    paths, _ = station
    dialog = make_dialog(qtbot, paths, username="admin", locked_user=True)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        submit(qtbot, dialog, None, ADMIN_PASSWORD)
    assert dialog.session.user.username == ADMIN
    dialog.session.close()
