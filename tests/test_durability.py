"""Power and disk faults: a killed writer loses no acknowledged save; a full or read-only disk half-writes nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ADMIN, ADMIN_PASSWORD
from ksk_desktop.db.engine import configure_connection, raw_connect
from ksk_desktop.errors import StorageError
from ksk_desktop.people import persons
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.station.lifecycle import init_station, login
from ksk_desktop.station.paths import StationPaths

WRITER = """
import sys
from pathlib import Path
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.lifecycle import login
from ksk_desktop.people import persons
ctx = login(StationPaths(Path(sys.argv[1])), sys.argv[2], sys.argv[3])
start = int(sys.argv[4])
for i in range(start, start + 100000):
    pid = f"031{i:09d}"
    persons.create_person(ctx, persons.PersonInput(full_name=f"Người Ghi {i}", personal_id=pid, birth_year=1980))
    print(pid, flush=True)  # acknowledged only after COMMIT returned
"""


def _raw(paths: StationPaths):
    key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    conn = raw_connect(paths.db, key)
    configure_connection(conn)
    return conn


@pytest.mark.parametrize("trial", range(3))
def test_sigkill_mid_transaction_loses_no_acknowledged_save(station, trial):
    paths, _ = station
    rng = random.Random(trial)
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(paths.root), ADMIN, ADMIN_PASSWORD, str(trial * 10**6)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    acked: list[str] = []
    while len(acked) < 6:  # the writer got going (its start-up is slow on a busy machine)…
        line = child.stdout.readline()
        if not line:
            break
        acked.append(line.strip())
    deadline = time.monotonic() + rng.uniform(1.5, 3.0)  # …then the kill lands at a random point
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        acked.append(line.strip())
    child.send_signal(signal.SIGKILL)
    child.wait()
    acked += [line.strip() for line in child.stdout.read().splitlines() if line.strip()]
    assert len(acked) > 5, "the writer never got going"

    conn = _raw(paths)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA cipher_integrity_check").fetchall() == []
        stored = {r[0] for r in conn.execute("SELECT personal_id FROM person WHERE personal_id IS NOT NULL")}
        assert set(acked) <= stored, f"lost acknowledged saves: {sorted(set(acked) - stored)[:5]}"
        # All or nothing per save: each stored person has its outbox row (same transaction).
        orphans = conn.execute(
            "SELECT count(*) FROM person p WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity_id = p.id)"
        ).fetchone()[0]
        assert orphans == 0
        assert len(stored) - len(acked) <= 1  # at most the save that committed just before the kill
    finally:
        conn.close()
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        from ksk_desktop.station import audit

        with ctx.read() as s:
            assert audit.verify(s, ctx.read_anchor()).ok
    finally:
        ctx.close()


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {res.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(mnt: Path, leave: int) -> Path:
    st = os.statvfs(mnt)
    free = st.f_bavail * st.f_frsize
    filler = mnt / "filler.bin"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


def test_full_disk_fails_cleanly_and_keeps_old_data(small_disk):
    paths = StationPaths(small_disk / "station")
    init_station(
        paths, station_code="T", commune_code="10507", admin_username=ADMIN, admin_password=ADMIN_PASSWORD
    )
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    persons.create_many(
        ctx, [persons.PersonInput(full_name=f"Có Trước {i}", birth_year=1970) for i in range(100)]
    )
    filler = _fill(small_disk, leave=64 * 1024)
    batch = [
        persons.PersonInput(
            full_name=f"Người Mới Tên Rất Dài Để Đầy Đĩa {i}",
            birth_year=1990,
            permanent_address="Số nhà rất dài " * 10,
        )
        for i in range(3000)
    ]
    with pytest.raises(StorageError) as err:
        persons.create_many(ctx, batch)
    assert "đầy" in err.value.message or "đĩa" in err.value.message
    ctx.close()
    filler.unlink()
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        assert persons.count_people(ctx) == 100  # nothing of the failed batch, everything from before
        with ctx.db.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    finally:
        ctx.close()


def test_full_disk_during_init_leaves_nothing_half_made(small_disk):
    _fill(small_disk, leave=16 * 1024)
    paths = StationPaths(small_disk / "station")
    with pytest.raises(StorageError):
        init_station(
            paths, station_code="T", commune_code="10507", admin_username=ADMIN, admin_password=ADMIN_PASSWORD
        )
    assert not paths.root.exists()


def test_read_only_disk_refuses_writes_with_a_clear_message(small_disk):
    paths = StationPaths(small_disk / "station")
    init_station(
        paths, station_code="T", commune_code="10507", admin_username=ADMIN, admin_password=ADMIN_PASSWORD
    )
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        with pytest.raises(StorageError) as err:
            login(paths, ADMIN, ADMIN_PASSWORD)
        assert "chỉ cho phép đọc" in err.value.message or "đĩa" in err.value.message
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    login(paths, ADMIN, ADMIN_PASSWORD).close()
