"""First start: set up a new station through the form, or create the demo station."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QDialog

from ksk_desktop.demo.seed import DEMO_SECRET
from ksk_desktop.people import persons
from ksk_desktop.station import users
from ksk_desktop.station.lifecycle import login, station_info
from ui.commune_combo import CommuneCombo
from ui.login.first_run import FirstRunDialog

CLICK = Qt.MouseButton.LeftButton
PASSWORD = "Mat-khau-tram-2026"


@pytest.fixture
def dialog(qtbot, paths):
    d = FirstRunDialog(paths, demo_people=40)
    qtbot.addWidget(d)
    d.show()
    return d


def fill_form(d: FirstRunDialog, password2: str = PASSWORD) -> None:
    d.station_code_edit.setText("TYT-10507")
    assert d.commune_combo.select_code("10507")
    d.station_name_edit.setText("")
    d.admin_username_edit.setText("quantri")
    d.admin_full_name_edit.setText("Nguyễn Văn An")
    d.password_edit.setText(PASSWORD)
    d.password2_edit.setText(password2)


def test_choices_are_offered(dialog):
    assert dialog.pages.currentWidget() is dialog.choice_page
    assert dialog.new_station_choice.text() == "Thiết lập trạm mới"
    assert dialog.demo_choice.text() == "Dùng trạm mẫu (dữ liệu tổng hợp)"


def test_new_station_path_creates_a_station(qtbot, dialog, paths):
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    assert dialog.pages.currentWidget() is dialog.new_station_page
    fill_form(dialog)
    qtbot.mouseClick(dialog.create_button, CLICK)
    qtbot.waitUntil(
        lambda: dialog.recovery_dialog is not None and dialog.recovery_dialog.isVisible(), timeout=10_000
    )
    assert paths.exists()
    key_dialog = dialog.recovery_dialog
    key = key_dialog.key_label.text()
    assert re.fullmatch(r"[A-Z2-9]{5}(-[A-Z2-9]{5}){5}", key)
    assert key == dialog.init_result.recovery_key
    assert QFontInfo(key_dialog.key_label.font()).fixedPitch()  # monospace, large
    assert QFontInfo(key_dialog.key_label.font()).pointSizeF() >= 14
    # "Tiếp tục" waits for the box to be ticked; Esc does not dismiss the key.
    assert not key_dialog.continue_button.isEnabled()
    key_dialog.reject()
    assert key_dialog.isVisible()
    qtbot.mouseClick(key_dialog.copy_button, CLICK)
    assert key_dialog.copy_button.text() == "Đã sao chép"
    key_dialog.confirm_box.setChecked(True)
    assert key_dialog.continue_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        qtbot.mouseClick(key_dialog.continue_button, CLICK)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.username == "quantri"
    # The station is real: the administrator can log in and the station has the chosen commune.
    ctx = login(paths, "quantri", PASSWORD)
    try:
        info = station_info(ctx)
        assert (info.code, info.commune_code, info.name) == (
            "TYT-10507",
            "10507",
            "Trạm Y tế Phường Thành Đông",
        )
        assert ctx.user.full_name == "Nguyễn Văn An"
    finally:
        ctx.close()


def test_mismatched_passwords_are_caught_in_the_form(qtbot, dialog, paths):
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    fill_form(dialog, password2="Khac-mat-khau-1")
    qtbot.mouseClick(dialog.create_button, CLICK)
    assert dialog.form_error.text() == "Hai lần nhập mật khẩu không khớp."
    assert not paths.exists()


def test_core_refusal_is_shown_and_nothing_is_created(qtbot, dialog, paths):
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    fill_form(dialog)
    dialog.station_code_edit.setText("mã trạm sai!")
    qtbot.mouseClick(dialog.create_button, CLICK)
    qtbot.waitUntil(lambda: dialog.form_error.isVisible(), timeout=10_000)
    assert dialog.form_error.text() == "Mã trạm không hợp lệ (tối đa 20 chữ và số)."
    assert not paths.exists()
    assert dialog.create_button.isEnabled() and dialog.isVisible()


def test_unknown_commune_text_is_left_to_the_core(qtbot, dialog, paths):
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    fill_form(dialog)
    dialog.commune_combo.setCurrentIndex(-1)
    dialog.commune_combo.setEditText("xã không có")
    qtbot.mouseClick(dialog.create_button, CLICK)
    qtbot.waitUntil(lambda: dialog.form_error.isVisible(), timeout=10_000)
    assert "không có trong danh mục" in dialog.form_error.text()
    assert not paths.exists()


def test_back_and_quit(qtbot, dialog):
    qtbot.mouseClick(dialog.new_station_choice, CLICK)
    qtbot.mouseClick(dialog.back_button, CLICK)
    assert dialog.pages.currentWidget() is dialog.choice_page
    dialog.reject()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_commune_search_ignores_accents(qtbot):
    combo = CommuneCombo()
    qtbot.addWidget(combo)
    combo.show()
    assert combo.count() > 100
    qtbot.keyClicks(combo.lineEdit(), "thanh dong")
    assert "Phường Thành Đông (10507)" in combo.matching_texts()
    assert all(
        "thanh dong" in t.lower().replace("à", "a").replace("ô", "o").replace("đ", "d")
        for t in combo.matching_texts()
    )
    combo.lineEdit().clear()
    qtbot.keyClicks(combo.lineEdit(), "10507")
    assert combo.matching_texts() == ["Phường Thành Đông (10507)"]
    combo.completer().activated[str].emit("Phường Thành Đông (10507)")
    assert combo.current_code() == "10507"


def test_demo_path_creates_the_demo_station(qtbot, dialog, paths):
    qtbot.mouseClick(dialog.demo_choice, CLICK)
    assert dialog.pages.currentWidget() is dialog.working_page
    assert dialog.progress.maximum() == 0  # busy indicator
    dialog.reject()
    assert dialog.isVisible()  # cannot leave half-way
    qtbot.waitUntil(lambda: dialog.pages.currentWidget() is dialog.demo_done_page, timeout=120_000)
    text = dialog.demo_accounts.text()
    for name in ("admin", "truongtram", "bacsi", "letan"):
        assert name in text
    assert DEMO_SECRET in text
    assert "40" in dialog.demo_summary.text()
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        qtbot.mouseClick(dialog.demo_continue_button, CLICK)
    assert dialog.username == "admin"
    ctx = login(paths, "admin", DEMO_SECRET)
    try:
        assert persons.count_people(ctx) == 40
        assert {u.username for u in users.list_users(ctx)} == {"admin", "truongtram", "bacsi", "letan"}
    finally:
        ctx.close()
