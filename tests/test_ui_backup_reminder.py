"""Scheduled backups from the window: offered in the first-run form, made by the main window's check into the
chosen folder, and the status bar's reminder when the last backup is more than a week old or the drive is out."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from test_ui_app import log_in
from test_ui_first_run import fill_form

from ksk_desktop.clock import FixedClock
from ksk_desktop.station import backup_schedule as bs
from ui.flow import AppFlow
from ui.login import first_run
from ui.login.first_run import FirstRunDialog

CLICK = Qt.MouseButton.LeftButton


def open_main_window(qtbot, paths) -> AppFlow:
    flow = AppFlow(paths, idle_timeout_ms=600_000)
    flow.start()
    log_in(qtbot, flow.login_dialog)
    assert flow.window is not None and flow.backup_reminder is not None
    return flow


def checked(qtbot, flow: AppFlow):
    reminder = flow.backup_reminder
    qtbot.waitUntil(lambda: reminder.task is None or reminder.task.done, timeout=20_000)
    task = reminder.check()
    qtbot.waitUntil(lambda: task.done, timeout=20_000)
    return reminder.label


def close(qtbot, flow: AppFlow) -> None:
    with qtbot.waitSignal(flow.finished, timeout=10_000):
        flow.window.close()


def test_first_run_offers_scheduled_backups_to_a_chosen_folder(qtbot, paths, tmp_path, monkeypatch):
    usb = tmp_path / "usb"
    dialog = FirstRunDialog(paths, demo_people=40)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    fill_form(dialog)
    dialog.backup_check.setChecked(True)
    qtbot.mouseClick(dialog.create_button, CLICK)  # ticked, but no folder: refused before anything is made
    assert "hãy chọn thư mục sao lưu" in dialog.form_error.text() and not paths.exists()
    monkeypatch.setattr(first_run, "choose_folder", lambda _parent: str(usb))
    dialog.backup_check.setChecked(False)
    qtbot.mouseClick(dialog.backup_browse_button, CLICK)
    assert dialog.backup_folder_edit.text() == str(usb) and dialog.backup_check.isChecked()
    qtbot.mouseClick(dialog.create_button, CLICK)
    qtbot.waitUntil(lambda: dialog.recovery_dialog is not None, timeout=20_000)
    assert bs.load(paths) == bs.BackupSchedule(str(usb), every_days=1)


def test_the_window_makes_the_due_backup_then_reminds_after_a_week(qtbot, station, tmp_path):
    paths, _ = station
    usb = tmp_path / "usb"
    usb.mkdir()
    bs.save(paths, bs.BackupSchedule(str(usb), every_days=1))
    flow = open_main_window(qtbot, paths)
    label = checked(qtbot, flow)
    assert len(list(usb.glob("ksk-*.kskbak"))) == 1  # the first check made the due backup
    assert label.isHidden()
    assert label.toolTip().startswith("Đã sao lưu tự động:")

    # Eight days on, the drive unplugged: the due backup cannot be made, and the status bar says why.
    session = flow.window.session
    session.clock = FixedClock(session.clock.now() + timedelta(days=8))
    usb.rename(tmp_path / "usb-out")
    label = checked(qtbot, flow)
    assert label.isVisible()
    assert label.text().startswith("Chưa sao lưu tự động được: Không thấy thư mục")

    # No schedule on this computer: only the reminder that the last backup is 8 days old.
    bs.clear(paths)
    label = checked(qtbot, flow)
    assert label.isVisible() and label.text().startswith("Bản sao lưu gần nhất đã 8 ngày")
    close(qtbot, flow)


def test_a_station_never_backed_up_is_reminded(qtbot, station):
    paths, _ = station
    flow = open_main_window(qtbot, paths)
    label = checked(qtbot, flow)
    assert label.isVisible() and label.text().startswith("Trạm chưa có bản sao lưu nào")
    close(qtbot, flow)
