"""The first-run form's optional hub address and enrolment code: the new station enrolled with a real hub on
loopback through the core's enrolment; a wrong code leaves the station created and says so; half-filled fields
are refused before anything is created."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from test_ui_first_run import fill_form
from testkit.hubproc import HubProcess
from testkit.stations import register_station

from ksk_desktop.outbox import sync_state
from ksk_desktop.station.lifecycle import login
from sync.hub.store import HubStore
from ui.login.first_run import FirstRunDialog

CLICK = Qt.MouseButton.LeftButton
PASSWORD = "Mat-khau-tram-2026"


@pytest.fixture
def hub(tmp_path):
    with HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log") as proc:
        yield proc


def hub_store(hub: HubProcess) -> HubStore:
    return HubStore(f"sqlite:///{hub.db}")


@pytest.fixture
def dialog(qtbot, paths):
    d = FirstRunDialog(paths, demo_people=40)
    qtbot.addWidget(d)
    d.show()
    qtbot.mouseClick(d.new_station_choice, CLICK)
    fill_form(d)
    return d


def create(qtbot, dialog):
    qtbot.mouseClick(dialog.create_button, CLICK)
    qtbot.waitUntil(
        lambda: dialog.recovery_dialog is not None and dialog.recovery_dialog.isVisible(), timeout=20_000
    )
    return dialog.recovery_dialog


def test_the_new_station_is_enrolled_with_the_hub(qtbot, dialog, paths, hub):
    store = hub_store(hub)
    register_station(store, "TYT-10507", "10507")
    code = store.new_enroll_code("TYT-10507")
    store.close()
    dialog.hub_url_edit.setText(hub.url)
    dialog.enroll_code_edit.setText(code)
    key_dialog = create(qtbot, dialog)
    assert dialog.setup_outcome.enrolment["station_code"] == "TYT-10507"
    assert key_dialog.note_label.isVisible()
    assert key_dialog.note_label.text() == f"Đã đăng ký trạm với máy chủ đồng bộ {hub.url}."
    ctx = login(paths, "quantri", PASSWORD)
    try:
        link = sync_state.hub_link(ctx)
        assert link is not None and link.hub_url == hub.url
    finally:
        ctx.close()


def test_a_wrong_code_leaves_the_station_created_and_says_why(qtbot, dialog, paths, hub):
    store = hub_store(hub)
    register_station(store, "TYT-10507", "10507")
    store.close()
    dialog.hub_url_edit.setText(hub.url)
    dialog.enroll_code_edit.setText("KHONG-DUNG-MA")
    key_dialog = create(qtbot, dialog)
    assert paths.exists() and dialog.setup_outcome.enrolment is None
    assert key_dialog.note_label.text().startswith("Trạm đã được tạo nhưng chưa đăng ký được")
    assert "trang Đồng bộ" in key_dialog.note_label.text()
    ctx = login(paths, "quantri", PASSWORD)
    try:
        assert sync_state.hub_link(ctx) is None
    finally:
        ctx.close()


@pytest.mark.parametrize(
    ("hub_url", "code", "message"),
    [
        ("", "ABC-123", "hãy nhập cả địa chỉ máy chủ"),
        ("https://dongbo.example.vn", "", "hãy nhập cả mã đăng ký"),
        ("http://dongbo.example.vn", "ABC-123", "HTTPS"),
    ],
)
def test_half_filled_or_unsafe_hub_fields_create_nothing(qtbot, dialog, paths, hub_url, code, message):
    dialog.hub_url_edit.setText(hub_url)
    dialog.enroll_code_edit.setText(code)
    qtbot.mouseClick(dialog.create_button, CLICK)
    assert message in dialog.form_error.text()
    assert dialog.task is None and not paths.exists()
