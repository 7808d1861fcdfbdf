"""The application flow (first run → login → main window → log out → login), the entry point and helpers."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import date

import pytest
from PySide6.QtCore import QThread, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from ksk_desktop.errors import InvalidInput
from ui import ops
from ui.flow import AppFlow
from ui.i18n import apply_button_texts, button_box, format_date, format_long_date, format_number
from ui.login.first_run import FirstRunDialog
from ui.messages import error_text

ADMIN_PASSWORD = "Quan-tri-2026"


def log_in(qtbot, dialog, password: str = ADMIN_PASSWORD, username: str = "admin") -> None:
    dialog.username_edit.setText(username)
    dialog.password_edit.setText(password)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.session is not None, timeout=10_000)


def test_flow_login_main_window_logout_and_quit(qtbot, station):
    paths, _ = station
    flow = AppFlow(paths, idle_timeout_ms=600_000)
    flow.start()
    assert flow.first_run is None
    first_login = flow.login_dialog
    assert first_login is not None and first_login.isVisible()
    log_in(qtbot, first_login)
    window = flow.window
    assert window is not None and window.isVisible()
    session = window.session
    assert session.user.username == "admin"

    with qtbot.waitSignal(window.logged_out, timeout=10_000):
        window.log_out()
        assert not window.isVisible()  # off the screen at once; the session closes behind it
    assert session.closed
    second_login = flow.login_dialog
    assert flow.window is None
    assert second_login is not None and second_login.isVisible() and second_login is not first_login
    assert second_login.username_edit.text() == ""  # the next person types their own name
    with qtbot.waitSignal(flow.finished, timeout=5_000):
        second_login.reject()


def test_flow_closing_the_main_window_finishes(qtbot, station):
    paths, _ = station
    flow = AppFlow(paths, idle_timeout_ms=600_000)
    flow.start()
    log_in(qtbot, flow.login_dialog)
    window = flow.window
    with qtbot.waitSignal(flow.finished, timeout=5_000):
        window.close()
    assert window.session.closed


def test_flow_without_station_starts_with_first_run(qtbot, paths):
    flow = AppFlow(paths)
    flow.start()
    assert isinstance(flow.first_run, FirstRunDialog) and flow.first_run.isVisible()
    assert flow.login_dialog is None
    with qtbot.waitSignal(flow.finished, timeout=5_000):
        flow.first_run.reject()


def test_flow_demo_creates_the_station_then_prefills_admin(qtbot, paths):
    flow = AppFlow(paths, demo=True, demo_people=30)
    flow.start()
    first_run = flow.first_run
    assert first_run.pages.currentWidget() is first_run.working_page
    qtbot.waitUntil(lambda: first_run.pages.currentWidget() is first_run.demo_done_page, timeout=120_000)
    first_run.accept()
    assert flow.login_dialog is not None and flow.login_dialog.username_edit.text() == "admin"
    flow.login_dialog.reject()


def test_main_entry_point_runs_and_quits(qtbot, tmp_path, monkeypatch):
    from ui import app as app_module
    from ui import crash_log

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    seen = []

    def close_first_run() -> None:
        dialogs = [
            w for w in QApplication.topLevelWidgets() if isinstance(w, FirstRunDialog) and w.isVisible()
        ]
        seen.extend(dialogs)
        for d in dialogs:
            d.reject()
        if not dialogs:
            QTimer.singleShot(50, close_first_run)

    qapp = QApplication.instance()
    font, quit_on_close = qapp.font(), qapp.quitOnLastWindowClosed()
    QTimer.singleShot(50, close_first_run)
    try:
        assert app_module.main(["--data-dir", str(tmp_path / "data")]) == 0
        assert seen and seen[0].paths.root == tmp_path / "data"
        assert QApplication.applicationName() == "KSK Desktop"
        assert QApplication.style().name().lower() == "fusion"
        assert qapp.font().pointSizeF() >= 10
    finally:
        qapp.setFont(font)
        qapp.setQuitOnLastWindowClosed(quit_on_close)
        crash_log.uninstall()  # the log file and error hooks main() installed


def test_module_is_runnable_with_python_m():
    result = subprocess.run(
        [sys.executable, "-m", "ui.app", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]),
    )
    assert result.returncode == 0
    assert "--data-dir" in result.stdout and "--demo" in result.stdout


def test_ops_delivers_results_and_errors_on_the_gui_thread(qtbot):
    gui_thread = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.get_ident()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["done_on_gui"] = QThread.currentThread() is gui_thread

    task = ops.run_in_background(work, done)
    qtbot.waitUntil(lambda: task.done, timeout=5_000)
    assert seen["value"] == 42 and seen["done_on_gui"]
    assert seen["worker"] != threading.get_ident()

    def boom() -> None:
        raise InvalidInput("Dữ liệu không hợp lệ.")

    errors: list[BaseException] = []
    task = ops.run_in_background(boom, lambda _r: None, errors.append)
    qtbot.waitUntil(lambda: task.done, timeout=5_000)
    assert isinstance(errors[0], InvalidInput) and task.error is errors[0]
    assert error_text(errors[0]) == "Dữ liệu không hợp lệ."
    assert "Lỗi không mong đợi (ValueError)" in error_text(ValueError("số CCCD 001234567890"))
    assert "001234567890" not in error_text(ValueError("số CCCD 001234567890"))  # no data on screen


def test_ops_skips_callbacks_for_deleted_widgets(qtbot):
    from PySide6.QtWidgets import QWidget

    widget = QWidget()
    called = []
    gate = threading.Event()
    task = ops.run_in_background(lambda: gate.wait(5), called.append, called.append, context=widget)
    deleted = []
    widget.destroyed.connect(lambda: deleted.append(True))
    widget.deleteLater()
    qtbot.waitUntil(lambda: bool(deleted), timeout=5_000)
    gate.set()
    qtbot.waitUntil(lambda: task.done, timeout=5_000)
    assert called == []


def test_vietnamese_texts_and_dates(qtbot):
    assert format_date(date(2026, 3, 5)) == "05/03/2026"
    assert format_long_date(date(2026, 3, 5)) == "Thứ Năm, 05/03/2026"
    assert format_number(1234567) == "1.234.567"
    box = button_box(
        QDialogButtonBox.StandardButton.Ok,
        QDialogButtonBox.StandardButton.Cancel,
        QDialogButtonBox.StandardButton.Save,
        QDialogButtonBox.StandardButton.Close,
    )
    qtbot.addWidget(box)
    texts = {b.text() for b in box.buttons()}
    assert texts == {"Đồng ý", "Hủy", "Lưu", "Đóng"}
    msg = QMessageBox(
        QMessageBox.Icon.Question,
        "Hỏi",
        "Có chắc không?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
    )
    qtbot.addWidget(msg)
    apply_button_texts(msg)
    assert msg.button(QMessageBox.StandardButton.Yes).text() == "Có"
    assert msg.button(QMessageBox.StandardButton.No).text() == "Không"


@pytest.mark.parametrize(
    "module", ["ui.login.login_dialog", "ui.main_window", "ui.login.first_run", "ui.admin.page"]
)
def test_ui_modules_import_cleanly(module):
    __import__(module)
