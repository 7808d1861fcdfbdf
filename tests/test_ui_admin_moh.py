"""The Quản trị page's QĐ 1551 panel: facility codes and the data-link account, saved through the real core."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from ksk_desktop.moh1551 import settings as moh_settings
from ui.admin.page import AdminPage

CLICK = Qt.MouseButton.LeftButton


@pytest.fixture
def page(qtbot, admin_session):
    widget = AdminPage(admin_session)
    qtbot.addWidget(widget)
    widget.resize(1000, 900)
    widget.show()
    qtbot.waitUntil(lambda: widget.moh_panel.conf is not None, timeout=10_000)
    assert widget.moh_section.isVisible()
    return widget


def test_settings_are_saved_and_the_password_is_never_shown(qtbot, page, admin_session) -> None:
    panel = page.moh_panel
    assert panel.province_edit.text() == "31" and panel.facility_edit.text() == ""
    qtbot.keyClicks(panel.facility_edit, "31006")
    panel.gtin_edit.setText("8930000111686")  # wrong check digit
    qtbot.mouseClick(panel.save_button, CLICK)
    qtbot.waitUntil(lambda: not panel.busy, timeout=10_000)
    assert "chữ số kiểm tra" in panel.result_label.text()
    assert moh_settings.get(admin_session).ma_cskcb is None  # nothing saved

    panel.gtin_edit.setText("8930000111685")
    qtbot.keyClicks(panel.account_edit, "tyt.kienthuy")
    qtbot.keyClicks(panel.password_edit, "Bi-mat-2026")
    qtbot.mouseClick(panel.save_button, CLICK)
    qtbot.waitUntil(lambda: not panel.busy and panel.password_edit.text() == "", timeout=10_000)
    saved = moh_settings.get(admin_session)
    assert (saved.ma_cskcb, saved.ma_gtin_cskcb, saved.account_user, saved.has_password) == (
        "31006",
        "8930000111685",
        "tyt.kienthuy",
        True,
    )
    assert (
        panel.result_label.text().startswith("Đã lưu: mã cơ sở 31006")
        and "Bi-mat" not in panel.result_label.text()
    )
    assert panel.password_edit.echoMode() == panel.password_edit.EchoMode.Password
