"""The anchor catches the deletion of the last transaction, and a crash at any point of a write raises no false
alarm. The anchor used to accept the head before the last write (for a crash between the anchor and the
commit), so deleting the newest transaction went unseen; it now moves in two steps, pending then confirmed.

Real ``ksk`` processes check the station; the crashes are real ``os._exit`` calls in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db.engine import configure_connection, raw_connect
from ksk_desktop.people import persons
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.station import audit
from ksk_desktop.station.lifecycle import login


def raw(paths):  # noqa: ANN001, ANN201
    key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    conn = raw_connect(paths.db, key)
    configure_connection(conn)
    return conn


def verify(paths) -> tuple[int, dict]:  # noqa: ANN001
    out = run_ksk("--user", ADMIN, "audit", "verify", "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
    return out.returncode, json.loads(out.stdout)


def db_check(paths) -> tuple[int, dict]:  # noqa: ANN001
    out = run_ksk("--user", ADMIN, "db", "check", "--json", data_dir=paths.root, password=ADMIN_PASSWORD)
    return out.returncode, {c["name"]: c for c in json.loads(out.stdout)["checks"]}


def add_person(paths, name: str) -> None:  # noqa: ANN001
    out = run_ksk(
        "--user", ADMIN, "person", "add", "--name", name, data_dir=paths.root, password=ADMIN_PASSWORD
    )
    assert out.returncode == 0, out.stderr


@pytest.mark.parametrize("how_many", [1, 2])
def test_deleting_the_last_transactions_is_found_by_verify_and_db_check(station, how_many):
    paths, _ = station
    add_person(paths, "Lê Thị Một")
    add_person(paths, "Lê Thị Hai")  # its person.create is the last transaction
    conn = raw(paths)
    try:
        top = conn.execute("SELECT max(seq) FROM audit_event").fetchone()[0]
        assert (
            conn.execute("SELECT action FROM audit_event WHERE seq = ?", (top,)).fetchone()[0]
            == "person.create"
        )
        # one transaction: the last person.create; two: the login before it as well
        conn.execute("DELETE FROM audit_event WHERE seq > ?", (top - how_many,))
    finally:
        conn.close()
    code, report = verify(paths)
    assert code == 11 and not report["ok"] and report["first_bad_seq"] == top - how_many + 1
    assert "bị xóa" in report["problem"]
    code, checks = db_check(paths)
    assert code == 12 and not checks["audit_chain"]["ok"]


CRASH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from ksk_desktop.people import persons
    from ksk_desktop.station import audit
    from ksk_desktop.station.lifecycle import login
    from ksk_desktop.station.paths import StationPaths

    ctx = login(StationPaths(Path(sys.argv[1])), "admin", sys.argv[2])
    real_write, real_confirm = audit.write_anchor, audit.confirm_anchor

    def write_anchor(*args, **kw):
        result = real_write(*args, **kw)
        if sys.argv[3] == "before-commit":
            os._exit(9)  # the anchor is pending, the transaction never commits
        return result

    def confirm_anchor(*args, **kw):
        if sys.argv[3] == "after-commit":
            os._exit(9)  # the transaction is committed, the anchor never confirmed
        return real_confirm(*args, **kw)

    audit.write_anchor, audit.confirm_anchor = write_anchor, confirm_anchor
    persons.create_person(ctx, persons.PersonInput(full_name="Trần Văn Mất Điện", birth_year=1970))
    """
)


def crash(paths, point: str) -> None:  # noqa: ANN001
    out = subprocess.run(
        [sys.executable, "-c", CRASH, str(paths.root), ADMIN_PASSWORD, point],
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 9, out.stderr


def anchor(paths) -> audit.Anchor:  # noqa: ANN001
    key = KeyStore.load(paths.keys).unwrap_with_password(ADMIN, ADMIN_PASSWORD)
    return audit.read_anchor(paths.anchor, KeyStore.load(paths.keys).anchor_key(key))


@pytest.mark.parametrize("point", ["before-commit", "after-commit"])
def test_a_crash_on_either_side_of_the_commit_is_no_false_alarm(station, point):
    paths, _ = station
    add_person(paths, "Lê Thị Một")
    crash(paths, point)
    assert anchor(paths).pending  # the crash left it half-way
    conn = raw(paths)
    try:
        people = conn.execute("SELECT count(*) FROM person").fetchone()[0]
    finally:
        conn.close()
    assert people == (2 if point == "after-commit" else 1)
    code, report = verify(paths)
    assert code == 0 and report["ok"], report
    code, checks = db_check(paths)
    assert code == 0 and checks["audit_chain"]["ok"]
    # The next write settles the anchor; from then on the last transaction is guarded again.
    add_person(paths, "Lê Thị Ba")
    assert not anchor(paths).pending
    conn = raw(paths)
    try:
        conn.execute("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
    finally:
        conn.close()
    assert verify(paths)[0] == 11


def test_writers_in_parallel_processes_leave_a_confirmed_anchor_and_no_alarm(station):
    paths, _ = station
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from ksk_desktop.people import persons
        from ksk_desktop.station.lifecycle import login
        from ksk_desktop.station.paths import StationPaths

        ctx = login(StationPaths(Path(sys.argv[1])), "admin", sys.argv[2])
        for i in range(25):
            persons.create_person(ctx, persons.PersonInput(full_name=f"Người {sys.argv[3]} số {i}", birth_year=1980))
        ctx.close()
        """
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", script, str(paths.root), ADMIN_PASSWORD, str(w)])
        for w in range(3)
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0]
    a = anchor(paths)
    assert not a.pending
    code, report = verify(paths)
    assert code == 0 and report["ok"] and a.seq == report["head_seq"]


def test_an_old_anchor_file_is_read_as_pending(admin_session):
    """An anchor written by an earlier version (head and previous head) still verifies, then is confirmed by
    the next write."""
    persons.create_person(admin_session, persons.PersonInput(full_name="Lê Văn Cũ", birth_year=1960))
    key = admin_session.keystore.anchor_key(admin_session.key)
    with admin_session.read() as s:
        head = audit.head(s)
    audit.write_anchor(admin_session.paths.anchor, key, head, (head[0] - 1, "0" * 64))
    assert audit.read_anchor(admin_session.paths.anchor, key).pending
    with admin_session.read() as s:
        assert audit.verify(s, admin_session.read_anchor()).ok
    persons.create_person(admin_session, persons.PersonInput(full_name="Lê Văn Mới", birth_year=1961))
    assert not audit.read_anchor(admin_session.paths.anchor, key).pending


def test_login_is_not_needed_to_see_the_deletion(station):
    """A station opened afterwards (its login event written on top of the truncated chain) still shows it."""
    paths, _ = station
    add_person(paths, "Lê Thị Một")
    conn = raw(paths)
    try:
        conn.execute("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)")
    finally:
        conn.close()
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)  # records "login" on the truncated chain
    ctx.close()
    assert verify(paths)[0] == 11
