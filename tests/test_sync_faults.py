"""Proof under faults, with real processes on loopback (research/reliability.md §7.3–7.4): the hub must hold
every item exactly once — Jepsen-style set check: lost, unexpected and duplicated ids all empty — whatever
the client process, the network, the hub process or the station's clock did in between."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from testkit.faultproxy import FAULTS, FaultProxy
from testkit.hubdb import BACKENDS, empty_hub_db
from testkit.hubproc import HubProcess
from testkit.setcheck import check_set
from testkit.stations import add_people, enroll, hub_rows, new_station, outbox_rows
from testkit.waiting import wait_until

from conftest import ADMIN, ADMIN_PASSWORD
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.db.models import SyncState
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import consent, duplicates, persons
from ksk_desktop.station.lifecycle import login
from sync.client.worker import SyncWorker, WorkerConfig
from sync.hub.store import HubStore


@pytest.fixture
def hub(request, tmp_path):
    """The hub in its own process, on SQLite unless the test asks for a backend (``indirect`` parameter)."""
    url = empty_hub_db(getattr(request, "param", "sqlite"), tmp_path)
    proc = HubProcess(url).start()
    proc.db_url = url
    yield proc
    proc.stop()


def set_check(ctx, hub, station_code=None):
    local = outbox_rows(ctx)
    at_hub = hub_rows(hub.db_url, station_code)
    check = check_set([r[0] for r in local], [r[0] for r in at_hub])
    # Logical duplicates too: the same (kind, entity, version) stored under two ids would be a double delivery.
    logical = Counter((r[1], r[2], r[3]) for r in at_hub)
    return check, [k for k, n in logical.items() if n > 1], Counter(r[4] for r in local)


def test_set_checker_can_fail():
    check = check_set(["a", "b", "c"], ["a", "a", "d"])
    assert not check.valid
    assert check.lost == ["b", "c"] and check.unexpected == ["d"] and check.duplicated == ["a"]
    assert check_set(["a"], ["a"]).valid


def test_sigkill_the_client_mid_batch_repeatedly(admin_session, hub, tmp_path):
    """(a) The client process is SIGKILLed at random points, 20 times; after a restart nothing is lost or doubled."""
    ctx = admin_session
    add_people(ctx, 400)
    enroll(ctx, hub.db_url, hub.url)
    ctx.close()
    # A little latency on every request widens the window in which a kill lands mid-batch.
    with FaultProxy(("127.0.0.1", hub.port), fail_rate=0.0, latency_s=0.02) as proxy:
        relink(ctx.paths, proxy.url)
        env = dict(os.environ, KSK_DATA_DIR=str(ctx.paths.root), KSK_PASSWORD=ADMIN_PASSWORD)
        cmd = [
            sys.executable,
            "-m",
            "ksk_desktop.cli.main",
            "sync",
            "run",
            "--once",
            "--no-pull",
            "--user",
            ADMIN,
            "--batch-size",
            "10",
            "--json",
        ]
        rng = random.Random(20260)
        at_hub, in_flight = [], []
        for _ in range(20):
            requests_before = sum(proxy.stats.values())
            child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_until(  # the child has started talking to the hub (start-up is ~1 s)
                lambda: sum(proxy.stats.values()),
                lambda n, before=requests_before: n > before,
                timeout=20,
                interval=0.005,
                what="the child's first request",
            )
            time.sleep(rng.uniform(0.0, 0.3))  # the fault itself: a kill at a random point, not a wait
            child.kill()  # SIGKILL at a random point of the sync: no cleanup of any kind
            child.wait(10)
            at_hub.append(len(hub_rows(hub.db_url)))
            probe = login(ctx.paths, ADMIN, ADMIN_PASSWORD, record=False)
            in_flight.append(
                sync_state.status(probe).in_flight
            )  # items whose outcome the client never learnt
            probe.close()
        assert sum(1 for n in in_flight if n) >= 5, f"kills did not land mid-batch: {in_flight}"
        assert len({n for n in at_hub if 0 < n < 400}) >= 5, f"kills did not land mid-sync: {at_hub}"
        final = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr
    ctx = login(ctx.paths, ADMIN, ADMIN_PASSWORD, record=False)
    try:
        check, logical_dups, states = set_check(ctx, hub)
    finally:
        ctx.close()
    assert check.valid, check
    assert logical_dups == [] and states == {"sent": 400}


def relink(paths, hub_url):
    """Point an enrolled station at another address of the same hub (the fault proxy in front of it)."""
    ctx = login(paths, ADMIN, ADMIN_PASSWORD, record=False)
    try:
        link = sync_state.hub_link(ctx)
        sync_state.save_enrolment(
            ctx, hub_url, link.device_id, link.credential, pin_sha256=None, ca_file=None
        )
    finally:
        ctx.close()


@pytest.mark.parametrize("hub", BACKENDS, indirect=True)
def test_every_item_exactly_once_through_a_proxy_failing_30_percent(admin_session, hub):
    """(b) Dropped connections, delays, 500/503, resets mid-answer, truncated and garbled bodies."""
    ctx = admin_session
    add_people(ctx, 300)
    pid = persons.search(ctx, "a", limit=1, record=False)[0]["id"]
    consent.record(ctx, pid, "exam")
    enroll(ctx, hub.db_url, hub.url)
    # Every fault once first (so each kind is proven), then 30 % of requests at random.
    with FaultProxy(("127.0.0.1", hub.port), fail_rate=0.3, seed=7, plan=list(FAULTS)) as proxy:
        relink_ctx(ctx, proxy.url)
        config = WorkerConfig(
            batch_size=10, backoff_base_s=0.01, backoff_cap_s=0.05, max_failures=40, timeout_s=(2.0, 5.0)
        )
        worker = SyncWorker(ctx, config=config)
        report = worker.run_once()
        worker.close()
    assert report.complete, report
    assert set(FAULTS) <= set(proxy.stats), proxy.stats
    faults = sum(n for k, n in proxy.stats.items() if k not in ("pass", "delay"))
    assert faults >= 15 and report.failures >= 10, (proxy.stats, report.failures)
    assert report.duplicate >= 1  # some batches had been committed by the hub before their answer was lost
    check, logical_dups, states = set_check(ctx, hub)
    assert check.valid, check
    assert logical_dups == [] and states == {"sent": 301}


def relink_ctx(ctx, hub_url):
    link = sync_state.hub_link(ctx)
    sync_state.save_enrolment(ctx, hub_url, link.device_id, link.credential, pin_sha256=None, ca_file=None)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hub_restarted_mid_sync_with_the_station_clock_two_days_wrong(admin_session, tmp_path, backend):
    """(e) The hub process is killed mid-sync and restarted on the same port and database; the station's clock
    is two days ahead. Nothing is lost or doubled, and the hub's records carry the hub's own time."""
    ctx = admin_session
    add_people(ctx, 400)
    db = empty_hub_db(backend, tmp_path)
    hub = HubProcess(db).start()
    hub.db_url = db
    try:
        enroll(ctx, hub.db_url, hub.url)
        skew = timedelta(days=2)
        clock = lambda: SYSTEM_CLOCK.utcnow() + skew  # noqa: E731
        with FaultProxy(("127.0.0.1", hub.port), fail_rate=0.0, latency_s=0.01) as proxy:
            relink_ctx(ctx, proxy.url)
            config = WorkerConfig(
                batch_size=10, backoff_base_s=0.05, backoff_cap_s=0.2, max_failures=60, timeout_s=(1.0, 5.0)
            )
            worker = SyncWorker(ctx, config=config, clock=clock)
            thread = threading.Thread(target=lambda: results.append(worker.run_once()))
            results = []
            thread.start()
            wait_until(lambda: len(hub_rows(hub.db_url)), lambda n: n >= 100, what="100 items at the hub")
            hub.kill()  # mid-sync, no clean shutdown
            killed_at = len(hub_rows(hub.db_url))
            # The station notices: an attempt fails while the hub is down (then the hub comes back).
            wait_until(lambda: sync_state.status(ctx).consecutive_failures, what="a failed attempt")
            hub = HubProcess(db, port=hub.port).start()
            hub.db_url = db
            thread.join(120)
            worker.close()
        assert results and results[0].complete, results
        assert 0 < killed_at < 400 and results[0].failures >= 1
        check, logical_dups, states = set_check(ctx, hub)
        assert check.valid, check
        assert logical_dups == [] and states == {"sent": 400}
        store = HubStore(hub.db_url)
        try:
            with store.engine.connect() as conn:
                newest = conn.exec_driver_sql("SELECT max(received_at) FROM hub_item").scalar()
        finally:
            store.close()
        received = datetime.fromisoformat(str(newest))
        assert abs(received - SYSTEM_CLOCK.utcnow()) < timedelta(hours=1)  # hub time, not the station's
        shown = datetime.fromisoformat(sync_state.status(ctx).last_success_at.removesuffix("Z"))
        assert shown > SYSTEM_CLOCK.utcnow() + timedelta(days=1)  # the station's own (wrong) clock
    finally:
        hub.stop()


@pytest.mark.parametrize("hub", BACKENDS, indirect=True)
def test_two_laptops_register_the_same_personal_id_offline(tmp_path, hub):
    """(d) Two laptops of one station (each its own install) register the same person offline. One person at
    the hub; both laptops converge after pulling, the duplicate resolving to the kept one through the core's
    person merge (references re-pointed, merged id still resolvable). Two *different* stations are kept apart:
    tests/test_hub_trust.py."""
    a_paths = new_station(tmp_path / "a", code="TYT-A")
    b_paths = new_station(tmp_path / "b", code="TYT-A")
    a, b = login(a_paths, "admin", ADMIN_PASSWORD), login(b_paths, "admin", ADMIN_PASSWORD)
    try:
        pa = persons.create_person(
            a, persons.PersonInput(full_name="Vũ Thị Lan", personal_id="031185001122", phone="0912000111")
        )
        pb = persons.create_person(
            b,
            persons.PersonInput(
                full_name="Vũ Thị Lan", personal_id="031185001122", hamlet="Thôn Đông", flags=["poor"]
            ),
        )
        consent_b = consent.record(b, pb.id, "exam")
        add_people(a, 5, offset=10)
        add_people(b, 5, offset=20)
        for ctx in (a, b):
            enroll(ctx, hub.db_url, hub.url)
        config = WorkerConfig(backoff_base_s=0.01, max_failures=3)
        for ctx in (a, b, a, b):  # A first, then B (merged at the hub), then each pulls
            report = SyncWorker(ctx, config=config).run_once()
            assert report.complete and report.rejected == 0, report
        hub_store = HubStore(hub.db_url)
        try:
            stats = hub_store.stats()
            at_hub = hub_store.person(pb.id)
        finally:
            hub_store.close()
        assert stats["merges"] == 1 and stats["persons"] == 11
        assert at_hub["id"] == pa.id and at_hub["phone"] == "0912000111" and at_hub["hamlet"] == "Thôn Đông"

        def local(ctx):
            hits = persons.search(ctx, "031185001122", record=False)
            assert len(hits) == 1
            return persons.get_person(ctx, hits[0]["id"])

        la, lb = local(a), local(b)
        drop = {"version"}
        assert {k: v for k, v in la.to_json().items() if k not in drop} == {
            k: v for k, v in lb.to_json().items() if k not in drop
        }
        assert la.id == pa.id and la.phone == "0912000111" and la.hamlet == "Thôn Đông"
        assert la.flags == ["poor"]
        assert duplicates.resolve(b, pb.id) == pa.id  # the duplicate id resolves to the kept one
        assert consent.of_person(b, pa.id)[0].id == consent_b.id  # its consent now points at the kept person
        assert persons.count_people(a) == persons.count_people(b) == 11  # rosters converged both ways
        # Replay: pull everything again from the start; nothing changes.
        for ctx in (a, b):
            with ctx.write() as s:
                s.execute(SyncState.__table__.update().values(pull_cursor=0))
            assert SyncWorker(ctx, config=config).run_once().complete
        assert persons.count_people(a) == persons.count_people(b) == 11
        assert local(a).to_json() | {"version": 0} == la.to_json() | {"version": 0}
        hub_store = HubStore(hub.db_url)
        try:
            assert hub_store.stats()["merges"] == 1 and hub_store.stats()["persons"] == 11
        finally:
            hub_store.close()
        for ctx in (a, b):
            assert sync_state.status(ctx).pending == 0 and sync_state.status(ctx).parked == 0
    finally:
        a.close()
        b.close()
