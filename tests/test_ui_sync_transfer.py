"""The "Đồng bộ" page's transfer entries and conflicts, through its widgets, with two data folders of one station
enrolled at the real hub in a child process (docs/multi-device.md §6, §4): the team laptop saves a .ksktx for
the desk ("Chuẩn bị đi khám lưu động…"), the desk receives it ("Nhận kết quả từ máy đoàn khám…") twice — the
second time nothing changes and the page says so —, a damaged file is refused with one line, and the conflict
the file brought is listed in words and marked "Đã xem" (audited)."""

from __future__ import annotations

import pytest
from multidevice_support import FAST, TODAY, both_in_step, hub_process, snapshot, take_the_desk, three_devices
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea
from sqlalchemy import select

from ksk_desktop.db.models import AuditEvent, SyncConflict
from ksk_desktop.scheduling import appointments, checkin
from sync.client.worker import SyncWorker
from ui import ops
from ui.dialog_owner import alive
from ui.sync.page import SyncPage

CLICK = Qt.MouseButton.LeftButton


@pytest.fixture
def hub(tmp_path):
    yield from hub_process("sqlite", tmp_path)


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


def make_page(qtbot, ctx) -> SyncPage:
    page = SyncPage(None)
    page.controller.config_factory = lambda: FAST
    qtbot.addWidget(page)
    qtbot.addWidget(page.indicator)
    page.resize(1366 - 190, 728)
    page.set_session(ctx)
    page.show()
    qtbot.waitUntil(lambda: page.controller.last_status is not None, timeout=10_000)
    qtbot.waitUntil(lambda: ops.pending_count() == 0, timeout=10_000)
    return page


def transfer_through_dialog(qtbot, page: SyncPage, button, path, device: str | None = None):
    qtbot.mouseClick(button, CLICK)
    dialog = page.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    if device is not None:
        index = dialog.device_combo.findData(device)
        assert index >= 0, "the team's device is offered"
        dialog.device_combo.setCurrentIndex(index)
    dialog.path_edit.setText(str(path))
    qtbot.mouseClick(dialog.ok_button, CLICK)
    return dialog


def test_a_team_file_saved_and_received_through_the_sync_page_twice_and_its_conflict_marked_seen(
    qtbot, devices, tmp_path
):
    (main, team, _other), (main_id, team_id, _other_id) = devices
    waiting = both_in_step(main, team)
    assert SyncWorker(main, config=FAST).run_once().complete  # the desk learns the team laptop's key
    # Offline: the desk notifies someone; on the island the team (its desk taken over) checks them in.
    appointments.mark_notified(main, [waiting[0]])
    take_the_desk(team, waiting[0])
    came = checkin.checkin_by_appointment(team, waiting[0], today=TODAY)

    stick = tmp_path / "usb" / "ve-dat-lien.ksktx"
    stick.parent.mkdir()
    team_page = make_page(qtbot, team)
    assert team_page.export_button.text() == "Chuẩn bị đi khám lưu động…"
    dialog = transfer_through_dialog(qtbot, team_page, team_page.export_button, stick, device=main_id)
    qtbot.waitUntil(lambda: not alive(dialog), timeout=20_000)
    assert (
        team_page.transfer_label.text().startswith("Đã ghi ") and main_id in team_page.transfer_label.text()
    )
    assert stick.exists() and stick.stat().st_mode & 0o077 == 0
    team_page.set_session(None)

    page = make_page(qtbot, main)
    assert page.conflicts_panel.table.rowCount() == 0 and not page.conflicts_panel.isVisible()
    scroll = page.findChild(QScrollArea, "pageScroll")
    qtbot.waitUntil(lambda: not scroll.verticalScrollBar().isVisible(), timeout=5_000)  # fits 1366×768 whole
    dialog = transfer_through_dialog(qtbot, page, page.import_button, stick)
    qtbot.waitUntil(lambda: not alive(dialog), timeout=20_000)
    said = page.transfer_label.text()
    assert said.startswith(f"Đã nhận tệp của máy {team_id}: ") and "0 mục không nhận" in said
    assert "thay đổi song song cần xem" in said
    # The team's check-in is here: the visit went further than the desk's notice, which is kept and listed.
    with main.read() as s:
        from ksk_desktop.db.models import Appointment

        assert s.get_one(Appointment, waiting[0]).queue_no == came.queue_no
    table = page.conflicts_panel.table
    qtbot.waitUntil(lambda: table.rowCount() == 1 and table.isVisible(), timeout=10_000)
    row = [table.item(0, c).text() for c in range(table.columnCount())]
    assert row[0] == "Lịch hẹn" and row[2] == "máy này"  # the desk's own notice lost
    assert row[4].startswith(f"Lịch hẹn ngày {TODAY:%d/%m/%Y}") and "Đã báo lịch" in row[4]
    assert row[1] != waiting[0]  # the person's name, not the record id (the admin may read people)

    # The same file again: nothing changes, and the page says so.
    before = snapshot(main)
    dialog = transfer_through_dialog(qtbot, page, page.import_button, stick)
    qtbot.waitUntil(lambda: not alive(dialog), timeout=20_000)
    assert page.transfer_label.text().startswith("Tệp này đã được nhận trước đây: không có gì thay đổi")
    assert snapshot(main) == before

    # A damaged file: refused with one line in the dialog, which stays open; nothing changed.
    broken = tmp_path / "hong.ksktx"
    broken.write_bytes(stick.read_bytes()[:-7])
    dialog = transfer_through_dialog(qtbot, page, page.import_button, broken)
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled() and dialog.error_label.text() != "", timeout=20_000)
    assert dialog.isVisible() and "không nhận gì" in dialog.error_label.text()
    assert "\n" not in dialog.error_label.text()
    dialog.reject()
    assert snapshot(main) == before

    # "Đã xem": the row leaves the list, the conflict stays with who saw it, and the audit trail says so.
    table.selectRow(0)
    assert page.conflicts_panel.seen_button.isEnabled()
    qtbot.mouseClick(page.conflicts_panel.seen_button, CLICK)
    qtbot.waitUntil(lambda: table.rowCount() == 0, timeout=10_000)
    assert "Đã đánh dấu đã xem" in page.conflicts_panel.message.text()
    with main.read() as s:
        (conflict,) = s.scalars(select(SyncConflict)).all()
        assert conflict.seen_by == "admin" and conflict.seen_at is not None
        assert s.scalar(select(AuditEvent.actor).where(AuditEvent.action == "sync.conflict.seen")) == "admin"
    page.set_session(None)
