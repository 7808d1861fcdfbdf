"""The audit chain: every write is recorded; any change, deletion or insertion is found by `ksk audit verify`."""

from __future__ import annotations

import json

import pytest

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db.engine import configure_connection, raw_connect
from ksk_desktop.people import persons
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.station import audit
from ksk_desktop.station.lifecycle import login


@pytest.fixture
def busy_station(station):
    """A station with a few dozen audited events."""
    paths, _ = station
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        for i in range(10):
            p = persons.create_person(
                ctx, persons.PersonInput(full_name=f"Lê Thị Mẫu {i}", birth_year=1990 + i)
            )
            persons.get_person(ctx, p.id)
    finally:
        ctx.close()
    return paths


def raw(paths):
    key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    conn = raw_connect(paths.db, key)
    configure_connection(conn)
    return conn


def verify(paths):
    out = run_ksk("--user", ADMIN, "audit", "verify", "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
    return out.returncode, (json.loads(out.stdout) if out.stdout.strip() else None), out.stderr


def test_untouched_chain_verifies(busy_station):
    code, report, _ = verify(busy_station)
    assert code == 0 and report["ok"] is True
    assert report["events"] >= 22  # init, user, logins, 10 creations and 10 reads


def test_reads_and_writes_are_recorded_with_old_and_new_values(admin_session):
    p = persons.create_person(admin_session, persons.PersonInput(full_name="Đỗ Văn Ghi", birth_year=1975))
    persons.get_person(admin_session, p.id)
    with admin_session.read() as s:
        rows = (
            s.execute(audit.select(audit.AuditEvent).where(audit.AuditEvent.entity_id == p.id))
            .scalars()
            .all()
        )
    actions = [r.action for r in rows]
    assert actions == ["person.create", "person.read"]
    assert json.loads(rows[0].details)["new"]["name"] == "Đỗ Văn Ghi"
    assert all(r.actor == ADMIN for r in rows)


@pytest.mark.parametrize(
    "tamper, bad_seq",
    [
        ('UPDATE audit_event SET details = \'{"new":{"name":"Kẻ Giả"}}\' WHERE seq = 7', 7),
        ("UPDATE audit_event SET actor = 'letan' WHERE seq = 5", 5),
        ("DELETE FROM audit_event WHERE seq = 9", 9),
        ("UPDATE audit_event SET at = '2020-01-01T00:00:00+00:00' WHERE seq = 3", 3),
    ],
)
def test_changed_or_deleted_event_is_named(busy_station, tamper, bad_seq):
    conn = raw(busy_station)
    conn.execute(tamper)
    conn.close()
    code, report, _ = verify(busy_station)
    assert code != 0
    assert report["ok"] is False and report["first_bad_seq"] == bad_seq


def test_inserted_event_in_the_middle_is_found(busy_station):
    conn = raw(busy_station)
    # Make room after event 4 and slip a forged event in, re-linking the one after it by hand.
    conn.execute("UPDATE audit_event SET seq = seq + 1000 WHERE seq > 4")
    conn.execute("UPDATE audit_event SET seq = seq - 999 WHERE seq > 1000")
    prev = conn.execute("SELECT hash FROM audit_event WHERE seq = 4").fetchone()[0]
    h = audit.event_hash(5, "2026-01-01T00:00:00+00:00", "admin", "person.read", "person", "x", "{}", prev)
    conn.execute(
        "INSERT INTO audit_event VALUES (5, '2026-01-01T00:00:00+00:00', 'admin', 'person.read', 'person', 'x', '{}', ?, ?)",
        (prev, h),
    )
    conn.close()
    code, report, _ = verify(busy_station)
    assert code != 0 and report["first_bad_seq"] == 6  # the forged event hashes fine; the next link breaks


def test_well_formed_event_appended_behind_the_apps_back_is_found(busy_station):
    conn = raw(busy_station)
    seq, prev = conn.execute("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    h = audit.event_hash(seq + 1, "2026-01-01T00:00:00+00:00", "admin", "login", "app_user", None, "{}", prev)
    conn.execute(
        "INSERT INTO audit_event VALUES (?, '2026-01-01T00:00:00+00:00', 'admin', 'login', 'app_user', NULL, '{}', ?, ?)",
        (seq + 1, prev, h),
    )
    conn.close()
    code, report, _ = verify(busy_station)
    assert code != 0 and report["first_bad_seq"] == seq + 1


def test_deleted_tail_is_found(busy_station):
    conn = raw(busy_station)
    top = conn.execute("SELECT max(seq) FROM audit_event").fetchone()[0]
    conn.execute("DELETE FROM audit_event WHERE seq > ?", (top - 3,))
    conn.close()
    code, report, _ = verify(busy_station)
    assert code != 0 and report["first_bad_seq"] == top - 2


def test_deleted_anchor_is_found(busy_station):
    busy_station.anchor.unlink()
    code, report, _ = verify(busy_station)
    assert code != 0 and "neo" in report["problem"]


def audit_checks(ctx) -> list[tuple[str, dict]]:
    """The recorded audit checks: (who, details), oldest first."""
    with ctx.read() as s:
        rows = s.scalars(
            audit.select(audit.AuditEvent)
            .where(audit.AuditEvent.action == "audit.verify")
            .order_by(audit.AuditEvent.seq)
        ).all()
    return [(r.actor, json.loads(r.details)) for r in rows]


def test_the_core_check_requires_the_permission_and_is_recorded(admin_session):
    from ksk_desktop.errors import PermissionDenied
    from ksk_desktop.station import users

    report = audit.verify_and_record(admin_session)
    assert report.ok
    assert audit_checks(admin_session) == [
        (ADMIN, {"ok": True, "events": report.events, "first_bad_seq": None})
    ]
    users.add_user(admin_session, "letan", "reception", "Le-tan-2026x")
    reception = login(admin_session.paths, "letan", "Le-tan-2026x")
    try:
        with pytest.raises(PermissionDenied, match="nhật ký truy cập"):
            audit.verify_and_record(reception)
    finally:
        reception.close()
    assert len(audit_checks(admin_session)) == 1  # a refused check records no check


def test_the_cli_check_is_the_same_recorded_check(busy_station):
    code, report, _ = verify(busy_station)
    assert code == 0
    ctx = login(busy_station, ADMIN, ADMIN_PASSWORD)
    try:
        assert audit_checks(ctx) == [(ADMIN, {"ok": True, "events": report["events"], "first_bad_seq": None})]
    finally:
        ctx.close()
