"""``ksk transfer import`` killed mid-way (SIGKILL, a real process): the file is applied in one transaction, so
nothing of it is half-written, and importing it again completes (docs/multi-device.md §6)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlcipher3
from multidevice_support import FAST, ISLAND, TODAY, snapshot, three_devices
from sqlalchemy import func, select
from testkit.hubproc import HubProcess
from testkit.stations import PASSWORD, add_people
from testkit.waiting import wait_until

from ksk_desktop.db.engine import BUSY_TIMEOUT_MS
from ksk_desktop.db.models import AuditEvent, OutboxItem, Person, SyncReceivedItem
from ksk_desktop.scheduling import campaigns, days, planner, sites
from ksk_desktop.station.lifecycle import login
from sync.client import transfer
from sync.client.worker import SyncWorker


@pytest.fixture
def hub(tmp_path):
    proc = HubProcess(tmp_path / "hub.db", log=tmp_path / "hub.log").start()
    proc.db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    yield proc
    proc.stop()


@pytest.fixture
def devices(tmp_path, hub):
    yield from three_devices(tmp_path, hub)


def writing(ctx) -> bool:
    """Whether another process holds the database's write lock now (a write transaction is open)."""
    pooled = ctx.db.engine.raw_connection()  # the driver's own connection: no transaction begun for us
    conn = pooled.driver_connection
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlcipher3.dbapi2.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            return True
        conn.execute("ROLLBACK")
        return False
    finally:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        pooled.close()


def state(ctx) -> dict:
    with ctx.read() as s:
        counts = {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Person, OutboxItem, SyncReceivedItem)
        }
        imports = s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "transfer.import")
        )
    return {"counts": counts, "imports": imports, **snapshot(ctx)}


def test_an_import_killed_mid_way_leaves_nothing_half_written_and_the_next_one_completes(devices, tmp_path):
    (main, team, _other), _ids = devices
    for ctx in (main, team):  # each knows the other's public key; then the desk works with no network
        assert SyncWorker(ctx, config=FAST).run_once().complete
    add_people(main, 1200, commune=ISLAND[1])
    camp = campaigns.create_campaign(main, name="Khám đảo", year=TODAY.year, groups="a,b,c,d,đ")
    site = sites.add_site(main, name="Điểm khám đảo", kind="island", capacity_per_hour=400)
    for n in range(3):
        days.add_day(main, site_id=site.id, day=TODAY + timedelta(days=n), today=TODAY, capacity_per_slot=40)
    planner.plan(main, camp.id, TODAY, TODAY + timedelta(days=2), today=TODAY)
    stick = tmp_path / "usb" / "dao.ksktx"
    stick.parent.mkdir()
    made = transfer.export(main, stick, since=0)
    assert made.items > 2000
    want = snapshot(main)
    before = state(team)
    paths = team.paths
    team.close()
    probe = login(paths, "admin", PASSWORD, record=False)
    env = dict(os.environ, KSK_DATA_DIR=str(paths.root), KSK_PASSWORD=PASSWORD)
    cmd = [sys.executable, "-m", "ksk_desktop.cli.main", "transfer", "import", str(stick), "--user", "admin"]

    assert not writing(probe)  # the probe tells a held lock from a free one
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # The import's transaction holds the write lock from its first write to its commit (seconds for this
    # file); the login's own short writes do not hold it for long. Kill once it has been held a while.
    held_since: list[float] = []

    def lock_held_long() -> bool:
        if child.poll() is not None:
            return True
        if not writing(probe):
            held_since.clear()
            return False
        held_since.append(time.monotonic())
        return held_since[-1] - held_since[0] >= 0.5

    wait_until(
        lambda: lock_held_long(), lambda held: held, timeout=120, interval=0.01, what="the import writing"
    )
    assert child.poll() is None, "the import finished before it could be killed"
    child.kill()  # SIGKILL inside the import's transaction: no cleanup of any kind
    child.wait(10)
    assert not writing(probe)
    assert state(probe) == before  # nothing of the file: not a person, an appointment or a received id

    done = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    after = state(probe)
    assert after["imports"] == before["imports"] + 1
    assert after["counts"]["SyncReceivedItem"] == made.items  # every item once
    assert after["counts"]["Person"] == before["counts"]["Person"] + 1200
    assert after["appointments"] == want["appointments"]
    again = subprocess.run(cmd + ["--json"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and state(probe)["counts"] == after["counts"]
    probe.close()
