"""The "Đồng bộ" page and the status-bar indicator against the real hub in a child process on loopback:
enrolment through the dialog, "Đồng bộ ngay", a rejected item in the parked table (send again, dismiss),
cancel during a run, a hub that is down, and locking the window during a run."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt, QTimer
from sqlalchemy import select, update
from testkit.faultproxy import FaultProxy
from testkit.hubproc import HubProcess
from testkit.setcheck import check_set
from testkit.stations import add_people, enroll, hub_rows, outbox_rows, register_station

from conftest import COMMUNE
from ksk_desktop import outbox
from ksk_desktop.db.models import AuditEvent, OutboxItem, Person
from ksk_desktop.outbox import sync_state
from sync.client.worker import WorkerConfig
from sync.hub.store import HubStore
from ui.main_window import MainWindow
from ui.sync.page import SyncPage
from ui.sync.status_indicator import GREEN, ORANGE, RED

FAST = WorkerConfig(batch_size=50, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))


@pytest.fixture
def hub(tmp_path):
    db = tmp_path / "hub.db"
    proc = HubProcess(db, log=tmp_path / "hub.log").start()
    proc.db_url = f"sqlite:///{db}"
    yield proc
    proc.stop()


def dead_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_page(qtbot, ctx, config: WorkerConfig = FAST) -> SyncPage:
    page = SyncPage(None)
    page.controller.config_factory = lambda: config
    qtbot.addWidget(page)
    qtbot.addWidget(page.indicator)
    page.set_session(ctx)
    page.show()
    qtbot.waitUntil(lambda: page.controller.last_status is not None, timeout=10_000)
    return page


def run_and_wait(qtbot, page: SyncPage, timeout: int = 60_000) -> dict:
    with qtbot.waitSignal(page.controller.run_finished, timeout=timeout) as blocker:
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: page.controller.last_status is not None and not page.controller.last_status.running,
        timeout=10_000,
    )
    return blocker.args[0]


def table_rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_enrol_through_the_dialog_then_sync_now_delivers_everything(qtbot, admin_session, hub):
    ctx = admin_session
    add_people(ctx, 25)
    page = make_page(qtbot, ctx)
    assert page.indicator.text() == "Chưa đăng ký máy chủ"
    assert not page.run_button.isEnabled() and page.enroll_button.isEnabled()

    store = HubStore(hub.db_url)
    register_station(store, "TYT-TEST", COMMUNE)
    code = store.new_enroll_code("TYT-TEST")
    store.close()
    qtbot.mouseClick(page.enroll_button, Qt.MouseButton.LeftButton)
    dialog = page.enroll_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.hub_edit.setText(hub.url)
    dialog.code_edit.setText("sai-ma")  # a wrong code: the dialog stays open with the hub's refusal
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible(), timeout=15_000)
    assert dialog.isVisible() and dialog.error_label.text()
    dialog.code_edit.setText(code)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.enroll_dialog is None, timeout=15_000)
    qtbot.waitUntil(
        lambda: page.controller.last_status is not None and page.controller.last_status.enrolled,
        timeout=10_000,
    )
    assert page.hub_label.text() == hub.url
    assert page.device_label.text() == sync_state.hub_link(ctx).device_id
    assert page.indicator.text() == "Đồng bộ: 25 chờ gửi"
    assert page.run_button.isEnabled()

    progress: list[dict] = []
    page.controller.progress.connect(progress.append)
    report = run_and_wait(qtbot, page)
    assert report["complete"] and report["accepted"] == 25 and report["rejected"] == 0
    assert progress and progress[-1]["phase"] == "done"
    assert "25 mới" in page.progress_label.text()
    assert page.result_label.text() == "Đồng bộ xong."
    # The station's devices, as the hub listed them: this one, with its last contact.
    device = sync_state.hub_link(ctx).device_id
    qtbot.waitUntil(lambda: table_rows(page.devices_table)[:1] != [], timeout=10_000)
    ((name, seen, state),) = table_rows(page.devices_table)
    assert (name, state) == (f"{device} (máy này)", "Đang dùng") and seen != "Chưa có"
    text = page.indicator.text()
    assert text.startswith("Đồng bộ: 0 chờ gửi · lần cuối ") and len(text.rsplit(" ", 1)[1]) == 5  # HH:MM
    assert page.indicator.colour == GREEN
    sent = [r[0] for r in outbox_rows(ctx)]
    assert check_set(sent, [r[0] for r in hub_rows(hub.db_url)]).valid
    # The counts learn of the run from its changes.
    qtbot.waitUntil(
        lambda: table_rows(page.counts_table) == [["Hồ sơ người dân", "0", "25", "0", "0"]], timeout=10_000
    )


def _spoil_one_person(ctx) -> tuple[str, str]:
    """A person whose stored personal ID is not 12 digits (e.g. an old import): the hub rejects it."""
    with ctx.write() as s:
        person = s.scalars(select(Person).order_by(Person.id).limit(1)).one()
        s.execute(update(Person).where(Person.id == person.id).values(personal_id="12345"))
        return person.id, person.full_name


def test_a_rejected_item_is_parked_with_the_reason_and_can_be_resent_or_dismissed(qtbot, admin_session, hub):
    ctx = admin_session
    add_people(ctx, 10)
    person_id, name = _spoil_one_person(ctx)
    with ctx.write() as s:  # a merge the hub refuses on its content
        outbox.enqueue(s, "person_merge", person_id, {"merged_id": person_id, "kept_id": person_id})
    enroll(ctx, hub.db_url, hub.url)
    page = make_page(qtbot, ctx)
    report = run_and_wait(qtbot, page)
    assert report["complete"] and report["accepted"] == 9 and report["rejected"] == 2
    assert page.indicator.text() == "2 mục bị từ chối" and page.indicator.colour == ORANGE
    qtbot.waitUntil(lambda: page.parked_table.rowCount() == 2, timeout=10_000)
    rows = table_rows(page.parked_table)
    assert rows[0][0] == "Hồ sơ người dân" and rows[0][2] == name  # the user may read people: the name
    assert rows[0][3] == "Số định danh cá nhân phải gồm đúng 12 chữ số."
    assert rows[1][0] == "Gộp hồ sơ" and rows[1][3] == "Bản ghi gộp hồ sơ thiếu mã hoặc hai mã trùng nhau."
    assert all(len(r[1]) == 16 for r in rows)  # dd/mm/yyyy HH:MM
    with ctx.read() as s:
        reads = s.scalars(select(AuditEvent).where(AuditEvent.action == "sync.parked.read")).all()
    assert reads and person_id in json.loads(reads[-1].details)["person_ids"]

    # Gửi lại: the cause is fixed, the item goes back to the queue with the same id and is accepted.
    with ctx.write() as s:
        s.execute(update(Person).where(Person.id == person_id).values(personal_id=None))
    page.parked_table.selectRow(0)
    assert page.retry_button.isEnabled()
    qtbot.mouseClick(page.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.parked_table.rowCount() == 1, timeout=10_000)
    assert sync_state.status(ctx).pending == 1
    report = run_and_wait(qtbot, page)
    assert report["accepted"] == 1 and report["rejected"] == 0

    # Bỏ qua: with a reason, audited; the item leaves the table and is never sent.
    qtbot.waitUntil(lambda: page.parked_table.rowCount() == 1, timeout=10_000)
    page.parked_table.selectRow(0)
    qtbot.mouseClick(page.dismiss_button, Qt.MouseButton.LeftButton)
    dialog = page.dismiss_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("Bản ghi thử, không cần gửi")
    dialog.accept()
    qtbot.waitUntil(lambda: page.parked_table.rowCount() == 0, timeout=10_000)
    qtbot.waitUntil(lambda: page.indicator.text().startswith("Đồng bộ: 0 chờ gửi"), timeout=10_000)
    with ctx.read() as s:
        states = dict(
            s.execute(
                select(OutboxItem.kind, OutboxItem.state).where(OutboxItem.kind == "person_merge")
            ).all()
        )
        dismissed = s.scalars(select(AuditEvent).where(AuditEvent.action == "sync.dismiss")).one()
    assert states == {"person_merge": "dismissed"}
    assert json.loads(dismissed.details)["reason"] == "Bản ghi thử, không cần gửi"
    qtbot.waitUntil(
        lambda: ["Gộp hồ sơ", "0", "0", "0", "1"] in table_rows(page.counts_table), timeout=10_000
    )


def test_cancel_during_a_run_stops_it_without_losing_items(qtbot, admin_session, hub):
    ctx = admin_session
    add_people(ctx, 60)
    host, port = urlsplit(hub.url).hostname, urlsplit(hub.url).port
    with FaultProxy((host, port), fail_rate=0.0, latency_s=0.4) as slow:
        enroll(ctx, hub.db_url, slow.url)
        page = make_page(
            qtbot, ctx, WorkerConfig(batch_size=5, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))
        )
        first = []
        page.controller.progress.connect(lambda p: first.append(p) if p.get("accepted") else None)
        qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
        assert page.cancel_button.isEnabled()
        qtbot.waitUntil(lambda: bool(first), timeout=20_000)
        with qtbot.waitSignal(page.controller.run_finished, timeout=20_000) as blocker:
            qtbot.mouseClick(page.cancel_button, Qt.MouseButton.LeftButton)
        report = blocker.args[0]
        assert report["cancelled"] and not report["complete"]
        assert "Đã hủy đồng bộ" in page.result_label.text()
        status = sync_state.status(ctx)
        assert 0 < status.pending < 60 and status.in_flight == 0 and status.sent + status.pending == 60
        assert not page.cancel_button.isEnabled() and page.run_button.isEnabled()
        report = run_and_wait(qtbot, page)  # the rest goes on the next run, each item exactly once
    assert report["complete"]
    assert check_set([r[0] for r in outbox_rows(ctx)], [r[0] for r in hub_rows(hub.db_url)]).valid
    assert {r[4] for r in outbox_rows(ctx)} == {"sent"}


def test_hub_down_shows_the_error_and_the_window_stays_responsive(qtbot, admin_session):
    ctx = admin_session
    add_people(ctx, 3)
    sync_state.save_enrolment(
        ctx, f"http://127.0.0.1:{dead_port()}", "dev-1", "secret", pin_sha256=None, ca_file=None
    )
    page = make_page(qtbot, ctx, WorkerConfig(backoff_base_s=0.4, max_failures=3, timeout_s=(1.0, 1.0)))
    ticks = []  # for each tick of a GUI-thread timer: was the sync running then?
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(page.controller.running))
    timer.start()
    report = run_and_wait(qtbot, page, timeout=30_000)
    timer.stop()
    assert not report["complete"] and "Không kết nối được máy chủ" in report["error"]
    assert report["failures"] == 3  # it tried three times, waiting out the backoff in between…
    assert ticks.count(True) >= 2  # …while the GUI's event loop kept running (bench_ui_sync.py: how smoothly)
    assert page.indicator.text().startswith("Lỗi: không kết nối được máy chủ")
    assert page.indicator.colour == RED
    assert "Chưa đồng bộ hết" in page.result_label.text()
    assert sync_state.status(ctx).pending == 3


def test_window_indicator_opens_the_page_and_locking_cancels_a_running_sync(qtbot, station, admin_session):
    paths, _ = station
    ctx = admin_session
    add_people(ctx, 3)
    sync_state.save_enrolment(
        ctx, f"http://127.0.0.1:{dead_port()}", "dev-1", "secret", pin_sha256=None, ca_file=None
    )
    window = MainWindow(ctx, paths, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.show()
    page = window.pages[window.stack.indexOf(window.findChild(SyncPage))]
    indicator = window.statusBar().findChild(type(page.indicator), "syncIndicator")
    assert indicator is page.indicator
    qtbot.waitUntil(lambda: indicator.text() == "Đồng bộ: 3 chờ gửi", timeout=10_000)
    qtbot.mouseClick(indicator, Qt.MouseButton.LeftButton)
    assert window.current_page_title() == "Đồng bộ"

    page.controller.config_factory = lambda: WorkerConfig(
        backoff_base_s=30, max_failures=None, timeout_s=(1, 1)
    )
    qtbot.mouseClick(page.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.controller.running, timeout=5_000)
    # The first attempt failed: the worker now waits out a 30 s backoff, and never gives up by itself.
    qtbot.waitUntil(lambda: sync_state.status(ctx).consecutive_failures >= 1, timeout=10_000)
    window.lock()
    assert (
        not indicator.isVisible()
    )  # at once; the sync is cancelled, waited for, and the session closed behind it
    qtbot.waitUntil(lambda: not page.controller.running and ctx.closed, timeout=10_000)
    assert not page.controller.status_timer.isActive() and not indicator.isVisible()
    window.unlock_dialog.done(0)
