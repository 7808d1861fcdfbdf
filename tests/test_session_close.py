"""Closing a session while work is in flight: close refuses new work, waits for the running units, and only
then forgets the keys — a write that began before a lock still moves the audit anchor, so `ksk audit verify`
never reports tampering that did not happen. Also: one writer per file in the process, and a database held
by another process is a quick, typed DatabaseBusy."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import text
from testkit.waiting import wait_until

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop import thread_guard
from ksk_desktop.db.engine import BUSY_TIMEOUT_MS, configure_connection, raw_connect
from ksk_desktop.errors import DatabaseBusy, SessionClosed
from ksk_desktop.people import persons
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.station.lifecycle import login


def audit_verify(paths) -> dict:
    out = run_ksk("--user", ADMIN, "audit", "verify", "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
    assert out.stdout.strip(), out.stderr
    return json.loads(out.stdout)


class HeldWrite(threading.Thread):
    """A write on another thread that stays open (mid-transaction) until released."""

    def __init__(self, ctx, name: str) -> None:
        super().__init__(daemon=True)
        self.ctx, self.person_name = ctx, name
        self.inside = threading.Event()
        self.release = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.ctx.write() as s:
                clean = persons.validate(
                    persons.PersonInput(full_name=self.person_name, birth_year=1980), self.ctx.clock.today()
                )
                persons.insert_rows(self.ctx, s, [clean], action="person.create")
                self.inside.set()
                self.release.wait(30)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            self.error = exc
            self.inside.set()


@pytest.fixture
def ctx(admin_session):
    return admin_session


def test_a_write_in_flight_when_the_session_closes_keeps_the_audit_chain_verifiable(station, ctx):
    paths, _ = station
    writer = HeldWrite(ctx, "Trần Văn Đang Ghi")
    writer.start()
    assert writer.inside.wait(10) and writer.error is None
    closer = threading.Thread(target=ctx.close, daemon=True)
    closer.start()
    wait_until(lambda: ctx.closing)
    # While the write is open, close waits: the key is still there and no new unit of work may begin.
    assert closer.is_alive() and not ctx.closed
    with pytest.raises(SessionClosed):
        with ctx.read():
            pass
    writer.release.set()
    writer.join(10)
    closer.join(10)
    assert writer.error is None and not closer.is_alive() and ctx.closed
    report = audit_verify(paths)
    assert report["ok"] is True, report
    again = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        assert [p["name"] for p in persons.search(again, "dang ghi")] == ["Trần Văn Đang Ghi"]
    finally:
        again.close()


def test_close_inside_its_own_unit_of_work_is_refused(ctx):
    with ctx.read():
        with pytest.raises(RuntimeError):
            ctx.close()
    ctx.close()
    assert ctx.closed


def test_writes_of_two_threads_queue_on_the_writer_lock_not_on_sqlite(station, ctx):
    """Two threads of one process: the second waits for the first's commit, however long (no DatabaseBusy)."""
    paths, _ = station
    other = login(paths, ADMIN, ADMIN_PASSWORD)  # a second session on the same file, as after an unlock
    try:
        first = HeldWrite(ctx, "Người Thứ Nhất")
        first.start()
        assert first.inside.wait(10) and first.error is None
        second = HeldWrite(other, "Người Thứ Hai")
        second.start()
        # The second cannot get in while the first holds the lock, and it does not fail.
        lock = first.ctx.db._writer
        wait_until(lambda: lock._owner is not None)
        assert not second.inside.is_set()
        first.release.set()
        first.join(10)
        assert second.inside.wait(10) and second.error is None
        second.release.set()
        second.join(10)
        assert second.error is None
        assert persons.count_people(ctx) == 2
    finally:
        other.close()
    assert audit_verify(paths)["ok"] is True


def test_a_database_held_by_another_process_is_busy_quickly(station, ctx):
    paths, _ = station
    key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    holder = raw_connect(paths.db, key)  # stands for another program: its own connection, not our lock
    configure_connection(holder)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy) as caught:
            persons.create_person(ctx, persons.PersonInput(full_name="Phạm Thị Chờ", birth_year=1970))
        assert caught.value.message == "Cơ sở dữ liệu đang bận, vui lòng thử lại sau giây lát."
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    persons.create_person(ctx, persons.PersonInput(full_name="Phạm Thị Chờ", birth_year=1970))
    assert persons.count_people(ctx) == 1


def test_a_busy_file_is_given_up_on_within_seconds(ctx):
    """Every connection waits at most BUSY_TIMEOUT_MS for another program's lock (it was 15 s)."""
    assert BUSY_TIMEOUT_MS <= 3_000
    with ctx.read() as s:
        assert s.execute(text("PRAGMA busy_timeout")).scalar_one() == BUSY_TIMEOUT_MS


def test_the_thread_guard_names_the_caller_and_spares_exempt_files(ctx, tmp_path):
    previous = thread_guard.forbidden_thread()
    before = len(thread_guard.violations)
    try:
        thread_guard.forbid_thread(threading.get_ident(), exempt=(tmp_path,))
        with pytest.raises(thread_guard.DatabaseOnForbiddenThread, match="test_session_close.py"):
            persons.count_people(ctx)
        assert len(thread_guard.violations) == before + 1
        done: list[int] = []
        worker = threading.Thread(target=lambda: done.append(persons.count_people(ctx)))
        worker.start()
        worker.join(10)
        assert done == [0]  # other threads are not concerned
    finally:
        del thread_guard.violations[before:]
        thread_guard.forbid_thread(previous, exempt=_conftest_exempt())


def _conftest_exempt():
    import conftest

    return conftest.GUARD_EXEMPT


def test_a_continuous_sync_waits_out_a_busy_database_instead_of_stopping(tmp_path, station, ctx, caplog):
    """The CLI's ``ksk sync run`` keeps going when another program holds the station's write lock."""
    import logging

    from testkit.hubproc import HubProcess
    from testkit.stations import add_people, enroll

    from ksk_desktop.outbox import sync_state
    from sync.client.worker import SyncWorker, WorkerConfig

    paths, _ = station
    add_people(ctx, 5)
    hub = HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log").start()
    try:
        enroll(ctx, f"sqlite:///{tmp_path / 'hub.db'}", hub.url)
        key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
        holder = raw_connect(paths.db, key)  # another program, holding the write lock
        configure_connection(holder)
        holder.execute("BEGIN IMMEDIATE")
        caplog.set_level(logging.INFO, logger="ksk.sync")
        worker = SyncWorker(ctx, config=WorkerConfig(backoff_base_s=0.05, idle_interval_s=0.05))
        thread = worker.start()
        try:
            wait_until(lambda: "station database busy" in caplog.text, timeout=30)
            assert thread.is_alive()  # it did not give up
            holder.execute("ROLLBACK")
            wait_until(lambda: sync_state.status(ctx).pending == 0, timeout=30)
        finally:
            worker.cancel()
            worker.join(10)
            worker.close()
            holder.close()
        assert not thread.is_alive() and sync_state.status(ctx).sent == 5
    finally:
        hub.stop()
