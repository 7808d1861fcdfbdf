"""Encrypted backups: verified when made, restorable elsewhere with the recovery key, never destructive."""

from __future__ import annotations

import json
import zipfile

import pytest

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db import migrate
from ksk_desktop.errors import AuthenticationFailed, BackupError, PermissionDenied
from ksk_desktop.people import persons
from ksk_desktop.station import backup
from ksk_desktop.station.lifecycle import login
from ksk_desktop.station.paths import StationPaths


@pytest.fixture
def backed_up(admin_session, tmp_path):
    persons.create_many(
        admin_session,
        [persons.PersonInput(full_name=f"Hoàng Văn {i}", birth_year=1950 + i) for i in range(50)],
    )
    info = backup.create_backup(admin_session, tmp_path / "sao-luu.kskbak")
    return admin_session, tmp_path / "sao-luu.kskbak", info


def test_backup_is_verified_and_encrypted(backed_up):
    _ctx, path, info = backed_up
    assert info.persons == 50 and info.schema == migrate.head_revision()
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["keys.json", "manifest.json", "station.db"]
        db = zf.read("station.db")
    assert b"SQLite format 3" not in db[:16]  # encrypted from the first byte
    assert "Hoàng Văn".encode() not in db and b"hoang van" not in db


def test_backup_never_overwrites(backed_up):
    ctx, path, _ = backed_up
    before = path.read_bytes()
    with pytest.raises(BackupError):
        backup.create_backup(ctx, path)
    assert path.read_bytes() == before


def test_restore_on_another_machine_with_the_recovery_key(backed_up, station, tmp_path):
    _ctx, path, _ = backed_up
    _, recovery = station
    elsewhere = StationPaths(tmp_path / "may-khac")
    result = backup.restore_backup(elsewhere, path, recovery_key=recovery)
    assert result["persons"] == 50 and result["replaced"] is None
    ctx = login(elsewhere, ADMIN, ADMIN_PASSWORD)
    try:
        assert persons.count_people(ctx) == 50
    finally:
        ctx.close()
    out = run_ksk(
        "--user", ADMIN, "audit", "verify", "--json", data_dir=elsewhere.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0 and json.loads(out.stdout)["ok"]


def test_wrong_recovery_key_restores_nothing(backed_up, tmp_path):
    _ctx, path, _ = backed_up
    elsewhere = StationPaths(tmp_path / "may-khac")
    with pytest.raises(AuthenticationFailed):
        backup.restore_backup(elsewhere, path, recovery_key="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF")
    assert not elsewhere.db.exists()


def test_damaged_backup_is_refused(backed_up, station, tmp_path):
    _ctx, path, _ = backed_up
    _, recovery = station
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    broken = tmp_path / "hong.kskbak"
    broken.write_bytes(bytes(data))
    with pytest.raises(BackupError):
        backup.restore_backup(StationPaths(tmp_path / "x"), broken, recovery_key=recovery)
    with pytest.raises(BackupError):
        backup.restore_backup(
            StationPaths(tmp_path / "y"), tmp_path / "khong-co.kskbak", recovery_key=recovery
        )


def test_restore_over_a_station_keeps_the_old_data_aside(backed_up, station):
    ctx, path, _ = backed_up
    persons.create_person(ctx, persons.PersonInput(full_name="Người Sau Sao Lưu", birth_year=2000))
    paths = ctx.paths
    ctx.close()
    result = backup.restore_backup(paths, path, username=ADMIN, password=ADMIN_PASSWORD)
    assert result["replaced"]
    replaced = StationPaths(paths.root / result["replaced"].split("/")[-1])
    assert replaced.db.exists() and replaced.keys.exists()
    ctx2 = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        assert persons.count_people(ctx2) == 50
    finally:
        ctx2.close()


def test_only_an_administrator_restores_by_password(backed_up, tmp_path):
    from ksk_desktop.station import users

    ctx, _path, _ = backed_up
    users.add_user(ctx, "truongtram", "head", "Truong-tram-26")
    path2 = tmp_path / "b2.kskbak"
    backup.create_backup(ctx, path2)
    with pytest.raises(PermissionDenied):
        backup.restore_backup(
            StationPaths(tmp_path / "z"), path2, username="truongtram", password="Truong-tram-26"
        )
    assert not StationPaths(tmp_path / "z").db.exists()


def test_cli_backup_and_restore_with_recovery_key_on_stdin(station, tmp_path):
    paths, recovery = station
    out = run_ksk(
        "--user",
        ADMIN,
        "backup",
        "create",
        str(tmp_path / "cli.kskbak"),
        "--json",
        data_dir=paths.root,
        password=ADMIN_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    target = tmp_path / "restored"
    out = run_ksk(
        "backup",
        "restore",
        str(tmp_path / "cli.kskbak"),
        "--recovery-key-stdin",
        "--json",
        data_dir=target,
        stdin=recovery + "\n",
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["restored"].endswith("station.db")
    bad = run_ksk(
        "backup",
        "restore",
        str(tmp_path / "cli.kskbak"),
        "--recovery-key-stdin",
        data_dir=tmp_path / "r2",
        stdin="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF\n",
    )
    assert bad.returncode != 0 and "Khóa khôi phục không đúng" in bad.stderr
