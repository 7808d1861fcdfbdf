"""One writer in the GUI, on a real station in a real event loop: no page touches the database on the GUI thread
(the guard of tests/conftest.py is on for every test; here a journey through every page, twice, then a lock, an
unlock and a log-out); locking or leaving while writes or a sync are in flight never leaves a commit behind the
session's back (`ksk audit verify` stays clean, nothing sent is lost); a database held by another program is
said in Vietnamese; a page that is never shown never reads; an operation's changes refresh the pages that show
them (at once if visible, else when next shown)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import test_ui_sync
from exam_support import DOCTOR, STAFF_PASSWORD, add_staff
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select
from test_ui_people_import import choose, write_xlsx
from testkit.faultproxy import FaultProxy
from testkit.setcheck import check_set
from testkit.stations import add_people, enroll, hub_rows, outbox_rows

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop import thread_guard
from ksk_desktop.db.models import Person
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import persons
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.lifecycle import login
from sync.client.worker import SyncWorker, WorkerConfig
from ui import ops
from ui.changes import Changes
from ui.desk.station_facts import load_facts
from ui.dialog_owner import alive
from ui.main_window import PAGE_TITLES, MainWindow
from ui.sync.sync_controller import SyncController

hub = test_ui_sync.hub  # the real hub in a child process on loopback (a fixture)
CLICK = Qt.MouseButton.LeftButton
BUSY = "Cơ sở dữ liệu đang bận, vui lòng thử lại sau giây lát."


def make_window(qtbot, session, paths) -> MainWindow:
    window = MainWindow(session, paths, idle_timeout_ms=600_000)
    qtbot.addWidget(window)
    window.resize(1400, 900)
    window.show()
    qtbot.waitUntil(lambda: window.station_name != "" and window.today_page.facts is not None, timeout=10_000)
    settle(qtbot)
    return window


def settle(qtbot) -> None:
    """Until every background call has come back to the GUI thread."""
    qtbot.waitUntil(lambda: ops.pending_count() == 0, timeout=30_000)


def page_of(window: MainWindow, title: str) -> QWidget:
    return window.pages[PAGE_TITLES.index(title)]


def audit_ok(paths) -> dict:
    out = run_ksk("--user", ADMIN, "audit", "verify", "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
    assert out.stdout.strip(), out.stderr
    return json.loads(out.stdout)


def unlock(qtbot, window: MainWindow, password: str = ADMIN_PASSWORD) -> None:
    dialog = window.unlock_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.password_edit.setText(password)
    qtbot.mouseClick(dialog.login_button, CLICK)
    qtbot.waitUntil(lambda: not window.is_locked, timeout=10_000)


@pytest.fixture
def world(admin_session):
    """40 people, this year's campaign, the station with an exam day today (booked) and one next week."""
    ctx = admin_session
    add_people(ctx, 40)
    today = ctx.clock.today()
    camp = campaigns.create_campaign(ctx, name="KSK", year=today.year, groups="a,b,c,d,đ")
    site = sites.add_site(ctx, name="Trạm Y tế xã", capacity_per_hour=20)
    days.add_day(ctx, site_id=site.id, day=today, hours="07:30-16:30")
    days.add_day(ctx, site_id=site.id, day=today + timedelta(days=7), hours="07:30-11:30")
    planner.plan(ctx, camp.id, today, today + timedelta(days=7))
    return ctx


# -- no database work on the GUI thread ----------------------------------------------------------------------
def test_the_guard_is_on_and_catches_gui_code(admin_session):
    """The guard of tests/conftest.py forbids this thread; GUI code calling the core here raises."""
    assert thread_guard.forbidden_thread() == threading.get_ident()
    before = len(thread_guard.violations)
    with pytest.raises(thread_guard.DatabaseOnForbiddenThread, match="station_facts.py"):
        load_facts(admin_session)  # GUI code (a worker-thread function of ui/) called on the GUI thread
    assert len(thread_guard.violations) == before + 1
    del thread_guard.violations[before:]


def journey(qtbot, window: MainWindow, person_id: str) -> None:
    """Every page in turn, with what people do there; each read comes back before the next page."""
    ctx = window.session
    for title in PAGE_TITLES:
        window.show_page(title)
        page = page_of(window, title)
        qtbot.waitUntil(lambda page=page: page.loads >= 1, timeout=10_000)
        settle(qtbot)
        if title == "Người dân" and ctx.can(Perm.PERSON_READ):
            page.search_edit.setText("nguyen")
            with qtbot.waitSignal(page.filter_applied, timeout=10_000):
                page.apply_filter()
        elif title == "Khám" and ctx.can(Perm.EXAM_WRITE):
            with qtbot.waitSignal(page.editor.opened, timeout=10_000):
                page.open_exam(person_id)
            height = page.editor.form.editors["height_cm"]
            page.editor.form.focus_field("height_cm")
            height.edit.setText(str(150 + page.loads))
            page.editor.autosave.mark("physique")
            page.editor.save_all()
        elif title == "Báo cáo" and ctx.can(Perm.REPORT_READ):
            qtbot.waitUntil(lambda page=page: page.data is not None, timeout=10_000)
        settle(qtbot)


@pytest.mark.parametrize("who", [(ADMIN, ADMIN_PASSWORD), (DOCTOR, STAFF_PASSWORD)], ids=["admin", "doctor"])
def test_a_journey_through_every_page_touches_the_database_only_on_the_worker(qtbot, station, world, who):
    paths, _ = station
    add_staff(world)
    with world.read() as s:
        person_id = s.scalars(select(Person.id).order_by(Person.id).limit(1)).one()
    before = len(thread_guard.violations)
    first = login(paths, *who)
    window = make_window(qtbot, first, paths)
    journey(qtbot, window, person_id)
    journey(qtbot, window, person_id)  # a second time, as a day at the desk goes
    window.lock()
    qtbot.waitUntil(lambda: first.closed, timeout=10_000)
    unlock(qtbot, window, who[1])
    journey(qtbot, window, person_id)
    second = window.session
    with qtbot.waitSignal(window.logged_out, timeout=10_000):
        window.log_out()
    assert second.closed
    assert thread_guard.violations[before:] == []
    assert audit_ok(paths)["ok"] is True


# -- closing while work is in flight ---------------------------------------------------------------------------
class HeldWrite(threading.Thread):
    """A write on another thread (as the sync thread's) that stays open until released."""

    def __init__(self, ctx, name: str) -> None:
        super().__init__(daemon=True)
        self.ctx, self.person_name = ctx, name
        self.inside, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            write_person(self.ctx, self.person_name, self.inside, self.release)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.error = exc
            self.inside.set()


def write_person(ctx, name: str, inside: threading.Event, release: threading.Event) -> str:
    with ctx.write() as s:
        clean = persons.validate(persons.PersonInput(full_name=name, birth_year=1970), ctx.clock.today())
        (row,) = persons.insert_rows(ctx, s, [clean], action="person.create")
        inside.set()
        release.wait(30)
    return row["id"]


def test_locking_with_writes_in_flight_keeps_the_audit_chain_verifiable(qtbot, station, admin_session):
    paths, _ = station
    window = make_window(qtbot, admin_session, paths)

    # 1. A write on the GUI's worker, mid-transaction when the window locks: the data leaves the screen at
    #    once, the session closes only after the write has committed (and moved the audit anchor).
    inside, release = threading.Event(), threading.Event()
    task = ops.run_in_background(
        lambda: write_person(admin_session, "Trần Văn Đang Lưu", inside, release), changes=Changes.PEOPLE
    )
    assert inside.wait(10)
    window.lock()
    assert window.is_locked and not window.workspace.isVisible()
    assert not admin_session.closed  # queued behind the write
    release.set()
    qtbot.waitUntil(lambda: admin_session.closed and task.done, timeout=10_000)
    assert task.error is None and task.retired  # done, but nothing shown on a locked screen

    # 2. A write on another thread (the sync thread's kind) when the window locks: close waits for it.
    unlock(qtbot, window)
    second = window.session
    held = HeldWrite(second, "Lê Thị Đang Đồng Bộ")
    held.start()
    assert held.inside.wait(10) and held.error is None
    window.lock()
    qtbot.waitUntil(lambda: second.closing, timeout=10_000)
    assert not second.closed  # the key is kept until the write is done
    held.release.set()
    held.join(10)
    qtbot.waitUntil(lambda: second.closed, timeout=10_000)
    assert held.error is None

    report = audit_ok(paths)
    assert report["ok"] is True, report
    check = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        names = {p["name"] for p in persons.search(check, "dang", record=False)}
        assert names == {"Trần Văn Đang Lưu", "Lê Thị Đang Đồng Bộ"}
    finally:
        check.close()
    window.unlock_dialog.done(0)


def test_locking_closes_the_session_even_if_a_page_fails_to_let_go(qtbot, station, admin_session):
    """A person card opened and closed, then the lock: the people page trips over the deleted card (issue 13),
    but the session is closed and its keys forgotten all the same."""
    paths, _ = station
    person = persons.create_person(
        admin_session, persons.PersonInput(full_name="Đỗ Thị Thử", birth_year=1960)
    )
    window = make_window(qtbot, admin_session, paths)
    with qtbot.waitSignal(window.people_page.filter_applied, timeout=10_000):
        window.show_page("Người dân")
    card = window.people_page.open_person(person.id)
    qtbot.waitUntil(lambda: card.record is not None, timeout=10_000)
    with qtbot.waitSignal(card.destroyed, timeout=10_000):
        card.done(0)  # closed, then deleted (deleteLater)
    window.lock()
    assert window.is_locked and not window.workspace.isVisible()
    qtbot.waitUntil(lambda: admin_session.closed, timeout=10_000)
    window.unlock_dialog.done(0)


SLOW = WorkerConfig(batch_size=5, backoff_base_s=0.01, max_failures=3, timeout_s=(2.0, 5.0))


@pytest.mark.parametrize("leave", ["log_out", "quit"])
def test_leaving_while_a_sync_runs_loses_nothing(qtbot, station, admin_session, hub, leave):
    paths, _ = station
    ctx = admin_session
    add_people(ctx, 60)
    host, port = urlsplit(hub.url).hostname, urlsplit(hub.url).port
    with FaultProxy((host, port), fail_rate=0.0, latency_s=0.3) as slow:
        enroll(ctx, hub.db_url, slow.url)
        window = make_window(qtbot, ctx, paths)
        window.show_page("Đồng bộ")
        page = window.sync_page
        page.controller.config_factory = lambda: SLOW
        settle(qtbot)
        sent = []
        page.controller.progress.connect(lambda p: sent.append(p) if p.get("accepted") else None)
        qtbot.mouseClick(page.run_button, CLICK)
        qtbot.waitUntil(lambda: bool(sent), timeout=20_000)
        thread = page.controller.stopping_thread()
        assert thread is not None
        signal = window.logged_out if leave == "log_out" else window.closed
        with qtbot.waitSignal(signal, timeout=20_000):
            window.log_out() if leave == "log_out" else window.close()
        assert ctx.closed
        qtbot.waitUntil(lambda: not thread.is_alive(), timeout=20_000)  # the sync stopped too

        assert audit_ok(paths)["ok"] is True
        again = login(paths, ADMIN, ADMIN_PASSWORD)
        try:
            states = [r[4] for r in outbox_rows(again)]
            assert len(states) == 60 and set(states) <= {"pending", "in_flight", "sent"}
            assert 0 < states.count("sent") < 60  # it had started, and it stopped
            worker = SyncWorker(again, config=SLOW)
            try:
                assert worker.run_once().complete  # the rest goes next time, each item exactly once
            finally:
                worker.close()
            assert {r[4] for r in outbox_rows(again)} == {"sent"}
            assert check_set([r[0] for r in outbox_rows(again)], [r[0] for r in hub_rows(hub.db_url)]).valid
        finally:
            again.close()


# -- a busy database -----------------------------------------------------------------------------------------------
HOLD_THE_WRITE_LOCK = """
import sys
from pathlib import Path
from ksk_desktop.db.engine import configure_connection, raw_connect
key = bytes.fromhex(sys.stdin.readline().strip())
conn = raw_connect(Path(sys.argv[1]), key)
configure_connection(conn)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
conn.close()
"""


def test_a_database_held_by_another_program_is_said_in_vietnamese(qtbot, station, admin_session):
    paths, _ = station
    window = make_window(qtbot, admin_session, paths)
    people = page_of(window, "Người dân")
    with qtbot.waitSignal(people.filter_applied, timeout=10_000):
        window.show_page("Người dân")
    key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    other = subprocess.Popen(  # another program holds the write lock
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, str(paths.db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        other.stdin.write(key.hex() + "\n")
        other.stdin.flush()
        assert other.stdout.readline().strip() == "held"
        with qtbot.waitSignal(people.card_opened, timeout=5_000) as opened:
            people.add_person()
        card = opened.args[0]
        card.name_edit.setText("Phạm Thị Chờ")
        card.year_only_check.setChecked(True)
        card.year_spin.setValue(1970)
        qtbot.mouseClick(card.save_button, CLICK)
        qtbot.waitUntil(lambda: card.error_label.isVisible() and not card.busy, timeout=20_000)
        assert card.error_label.text() == BUSY  # the core's message, never "Lỗi không mong đợi"
        assert card.record is None and persons.count_people(admin_session) == 0
    finally:
        other.stdin.write("\n")
        other.stdin.flush()
        other.wait(10)
    qtbot.mouseClick(card.save_button, CLICK)  # the other program is done: the same save goes through
    qtbot.waitUntil(lambda: card.record is not None, timeout=10_000)
    assert persons.count_people(admin_session) == 1
    card.done(0)


# -- pages read when shown, and when what they show changed --------------------------------------------------------
def test_a_page_that_is_never_shown_never_reads(qtbot, station, world, monkeypatch):
    paths, _ = station
    asked: list = []
    real = ops.run_in_background

    def spy(fn, on_done=None, on_error=None, *, context=None, **kw):  # noqa: ANN001, ANN003
        asked.append(context)
        return real(fn, on_done, on_error, context=context, **kw)

    monkeypatch.setattr(ops, "run_in_background", spy)
    window = make_window(qtbot, world, paths)

    def pages_that_asked() -> set[str]:
        titles = set()
        for context in asked:
            if isinstance(context, SyncController):
                continue  # the status bar's sync indicator (always on screen) reads the sync status
            widget = context
            while widget is not None and widget not in window.pages:
                widget = widget.parent()
            if widget is not None:
                titles.add(PAGE_TITLES[window.pages.index(widget)])
        return titles

    assert pages_that_asked() == {"Hôm nay"}
    assert [page_of(window, t).loads for t in PAGE_TITLES] == [1, 0, 0, 0, 0, 0, 0]
    window.show_page("Báo cáo")
    qtbot.waitUntil(lambda: page_of(window, "Báo cáo").data is not None, timeout=10_000)
    settle(qtbot)
    assert pages_that_asked() == {"Hôm nay", "Báo cáo"}
    assert [page_of(window, t).loads for t in PAGE_TITLES] == [1, 0, 0, 0, 1, 0, 0]


def test_an_import_refreshes_the_pages_that_show_people(qtbot, station, admin_session, tmp_path):
    """The known symptom: the Hôm nay header kept its count after an import (and after a sync, below)."""
    paths, _ = station
    add_people(admin_session, 5)
    window = make_window(qtbot, admin_session, paths)
    today = window.today_page
    assert today.people_card.value_label.text() == "5"
    for title in PAGE_TITLES:  # every page once, so that none is stale for having never been read
        window.show_page(title)
        qtbot.waitUntil(lambda title=title: page_of(window, title).loads >= 1, timeout=10_000)
        settle(qtbot)
    window.show_page("Người dân")
    people = window.people_page
    loads = {t: page_of(window, t).loads for t in PAGE_TITLES}

    wizard = people.open_import()
    src = write_xlsx(
        tmp_path / "ds.xlsx", ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn", "SĐT"]
    )
    choose(qtbot, wizard, src)
    with qtbot.waitSignal(people.filter_applied, timeout=30_000):  # the list on screen refreshes at once
        qtbot.mouseClick(wizard.import_button, CLICK)
    assert people.model.rowCount() == 8
    wizard.reject()  # closed and deleted: the page forgets it (it once kept the deleted wizard, issue 13)
    qtbot.waitUntil(lambda: people.import_wizard is None and not alive(wizard), timeout=5_000)
    settle(qtbot)
    stale = {t for t in PAGE_TITLES if page_of(window, t).stale}
    # Hidden pages that show people (or what waits to be sent) are read again when next shown.
    assert stale == {"Hôm nay", "Khám", "Báo cáo", "Đồng bộ"}
    reread = {t for t in PAGE_TITLES if page_of(window, t).loads != loads[t]}
    assert reread == {"Người dân"}  # only the page on screen read at once; the others did not care or wait
    window.show_page("Hôm nay")
    qtbot.waitUntil(lambda: today.people_card.value_label.text() == "8", timeout=10_000)
    assert today.outbox_card.value_label.text() == "8 mục"


def test_a_sync_refreshes_the_header_on_screen(qtbot, station, admin_session, hub):
    paths, _ = station
    add_people(admin_session, 7)
    enroll(admin_session, hub.db_url, hub.url)
    window = make_window(qtbot, admin_session, paths)
    today = window.today_page
    assert window.current_page_title() == "Hôm nay" and today.outbox_card.value_label.text() == "7 mục"
    controller = window.sync_page.controller
    qtbot.waitUntil(
        lambda: controller.last_status is not None and controller.last_status.enrolled, timeout=10_000
    )
    with qtbot.waitSignal(controller.run_finished, timeout=30_000) as finished:
        assert controller.run_now() is None
    assert finished.args[0]["complete"] and finished.args[0]["accepted"] == 7
    qtbot.waitUntil(lambda: today.outbox_card.value_label.text() == "0 mục", timeout=10_000)
    assert sync_state.status(admin_session).pending == 0
