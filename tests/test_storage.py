"""The encrypted station file: safety settings, wrong keys, damage, schema versions, nothing in plaintext."""

from __future__ import annotations

import hashlib
import os
import shutil

import pytest
import sqlcipher3
from alembic import command

from conftest import ADMIN, ADMIN_PASSWORD
from ksk_desktop.db import migrate
from ksk_desktop.db.engine import configure_connection, raw_connect, verify_connection_settings
from ksk_desktop.errors import (
    AuthenticationFailed,
    DatabaseTampered,
    DatabaseTooNew,
    NotAKskDatabase,
    UnsafeDatabaseSettings,
)
from ksk_desktop.people import persons
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.station.lifecycle import login

MARK_NAME = "Phùng Khắc Thửnghiệm"
MARK_ID = "031099912345"


def _key(paths) -> bytes:
    return KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_connection_is_durable_and_keeps_temp_data_in_memory(admin_session):
    with admin_session.db.engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert raw.execute("PRAGMA temp_store").fetchone()[0] == 2
        assert raw.execute("PRAGMA foreign_keys").fetchone()[0] == 1


@pytest.mark.parametrize(
    "bad",
    [
        "PRAGMA synchronous = NORMAL",
        "PRAGMA temp_store = FILE",
        "PRAGMA foreign_keys = OFF",
        "PRAGMA journal_mode = DELETE",
    ],
)
def test_unsafe_setting_is_refused_when_a_connection_is_taken(admin_session, bad):
    engine = admin_session.db.engine
    engine.dispose()
    raw = engine.raw_connection()
    raw.driver_connection.execute(bad)  # e.g. a library or a "performance fix" changes a setting
    raw.close()  # back to the pool
    with pytest.raises(UnsafeDatabaseSettings) as err:
        with engine.connect():
            pass
    assert "không an toàn" in err.value.message


def test_verify_settings_rejects_a_plain_connection(station):
    paths, _ = station
    conn = raw_connect(paths.db, _key(paths))
    with pytest.raises(UnsafeDatabaseSettings):
        verify_connection_settings(conn)  # journal_mode/synchronous not yet applied
    configure_connection(conn)
    verify_connection_settings(conn)
    conn.close()


def test_wrong_raw_key_does_not_open(station):
    paths, _ = station
    conn = sqlcipher3.connect(str(paths.db))
    conn.execute("PRAGMA key = \"x'" + "00" * 32 + "'\"")
    with pytest.raises(sqlcipher3.DatabaseError):
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def test_file_holds_no_plaintext_name_or_id(admin_session, tmp_path):
    from ksk_desktop.station import backup

    persons.create_person(
        admin_session, persons.PersonInput(full_name=MARK_NAME, personal_id=MARK_ID, birth_year=1999, sex="M")
    )
    persons.get_person  # noqa: B018 - the record is read back below while the WAL is live
    paths = admin_session.paths
    wal = paths.db.with_name("station.db-wal")
    bak = backup.create_backup(admin_session, tmp_path / "b.kskbak")
    # The session is still open: the WAL holds the newest pages.
    files = [paths.db, wal, paths.keys, paths.anchor, tmp_path / "b.kskbak"]
    assert wal.exists() and wal.stat().st_size > 0
    markers = [MARK_NAME.encode(), MARK_ID.encode(), b"phung khac", "Thửnghiệm".encode()]
    for f in files:
        data = f.read_bytes()
        for m in markers:
            assert m not in data, f"{m!r} in plaintext in {f.name}"
    assert bak.persons == 1


def test_not_a_database_file_is_refused_and_left_untouched(station):
    paths, _ = station
    paths.db.write_bytes(b"this is a spreadsheet, not a database" * 200)
    before = _sha(paths.db)
    with pytest.raises(NotAKskDatabase) as err:
        login(paths, ADMIN, ADMIN_PASSWORD)
    assert "không ghi đè" in err.value.message
    assert _sha(paths.db) == before


@pytest.mark.parametrize("where", ["middle", "last"])
def test_altered_page_is_reported_plainly(station, where):
    from conftest import run_ksk

    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    persons.create_many(
        ctx, [persons.PersonInput(full_name=f"Người Thử {i}", birth_year=1980) for i in range(400)]
    )
    ctx.close()
    pages = paths.db.stat().st_size // 4096
    page = pages // 2 if where == "middle" else pages - 1
    with open(paths.db, "r+b") as fh:
        fh.seek(page * 4096 + 1000)
        fh.write(b"\xff\x00\xff\x00" * 8)
    for _attempt in range(
        2
    ):  # the damage is reported every time: never "repaired" or replaced by an empty file
        out = run_ksk("--user", ADMIN, "db", "check", data_dir=paths.root, password=ADMIN_PASSWORD)
        assert out.returncode != 0
        message = out.stdout + out.stderr
        assert "thay đổi" in message, message  # HMAC failure is named, whichever step met the bad page
        assert "Traceback" not in message
    assert paths.db.stat().st_size >= pages * 4096


def test_reading_an_altered_page_raises_a_clear_error(station):
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    persons.create_many(
        ctx, [persons.PersonInput(full_name=f"Người Thử {i}", birth_year=1980) for i in range(400)]
    )
    ctx.close()
    conn = raw_connect(paths.db, _key(paths))
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='person'").fetchone()[0]
    some_id = conn.execute("SELECT id FROM person LIMIT 1").fetchone()[0]
    conn.close()
    with open(paths.db, "r+b") as fh:  # the root page of the person table
        fh.seek((root - 1) * 4096 + 2000)
        fh.write(os.urandom(16))
    with pytest.raises(DatabaseTampered) as err:
        ctx = login(paths, ADMIN, ADMIN_PASSWORD)
        try:
            persons.get_person(ctx, some_id)
        finally:
            ctx.close()
    assert "bị thay đổi hoặc hư hỏng" in err.value.message


def test_newer_schema_is_refused_and_file_untouched(station):
    paths, _ = station
    conn = raw_connect(paths.db, _key(paths))
    configure_connection(conn)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    before = _sha(paths.db)
    with pytest.raises(DatabaseTooNew) as err:
        login(paths, ADMIN, ADMIN_PASSWORD)
    assert "mới hơn" in err.value.message and "9999_from_the_future" in err.value.message
    assert _sha(paths.db) == before


def test_older_schema_is_backed_up_then_upgraded(station):
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    cfg = migrate.alembic_config()
    with ctx.db.engine.connect().execution_options(ksk_write=True) as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")  # the file as the first release left it
    ctx.close()
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        with ctx.db.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
        assert persons.count_people(ctx) == 0
        snapshots = list(paths.backups.glob("truoc-nang-cap-0001-*.kskbak"))
        assert len(snapshots) == 1
        from ksk_desktop.station import audit

        with ctx.read() as s:
            assert audit.verify(s, ctx.read_anchor()).ok
    finally:
        ctx.close()


def test_wrong_password_never_opens(station):
    paths, _ = station
    with pytest.raises(AuthenticationFailed):
        login(paths, ADMIN, "not-the-password")


def test_copy_of_station_without_keys_cannot_be_opened(station, tmp_path):
    from ksk_desktop.errors import StationNotFound
    from ksk_desktop.station.paths import StationPaths

    paths, _ = station
    other = StationPaths(tmp_path / "stolen")
    other.root.mkdir()
    shutil.copy(paths.db, other.db)
    with pytest.raises(StationNotFound) as err:
        login(other, ADMIN, ADMIN_PASSWORD)
    assert "khóa" in err.value.message


def test_the_database_check_needs_the_audit_permission_in_the_core(admin_session):
    from ksk_desktop.errors import PermissionDenied
    from ksk_desktop.station import users
    from ksk_desktop.station.dbcheck import check_database

    assert check_database(admin_session)["ok"] is True
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026x")
    doctor = login(admin_session.paths, "bacsi", "Bac-si-2026x")
    try:
        with pytest.raises(PermissionDenied, match="nhật ký truy cập"):
            check_database(doctor)
    finally:
        doctor.close()
