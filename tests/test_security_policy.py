"""The security policy (lock-out, idle lock): one core module, permission-checked and audited, behind both
``ksk security`` and the Quản trị page."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.db.models import AuditEvent
from ksk_desktop.errors import AccountLocked, AuthenticationFailed, InvalidInput, PermissionDenied
from ksk_desktop.security.keystore import KeyStore, LockoutPolicy
from ksk_desktop.station import security_policy, users
from ksk_desktop.station.lifecycle import login

DEFAULT = {"max_failures": 5, "lockout_minutes": 15, "idle_lock_minutes": 10}


def policy_events(ctx) -> list[tuple[str, dict]]:
    with ctx.read() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "settings.security").order_by(AuditEvent.seq)
        ).all()
    return [(r.actor, json.loads(r.details)) for r in rows]


def test_reading_and_changing_the_policy(admin_session):
    assert security_policy.current_policy(admin_session).to_json() == DEFAULT
    new = security_policy.change_policy(admin_session, max_failures=3, idle_lock_minutes=5)
    assert new == LockoutPolicy(3, 15, 5)
    assert KeyStore.load(admin_session.paths.keys).policy == new  # stored where the login reads it
    assert policy_events(admin_session) == [
        (
            ADMIN,
            {
                "old": {"max_failures": 5, "idle_lock_minutes": 10},
                "new": {"max_failures": 3, "idle_lock_minutes": 5},
            },
        )
    ]
    # The same values again change nothing and record nothing.
    assert security_policy.change_policy(admin_session, max_failures=3) == new
    assert len(policy_events(admin_session)) == 1


def test_the_new_lockout_is_enforced_at_login(admin_session):
    users.add_user(admin_session, "letan", "reception", "Le-tan-2026x")
    security_policy.change_policy(admin_session, max_failures=2, lockout_minutes=45)
    for _ in range(2):
        with pytest.raises((AuthenticationFailed, AccountLocked)):
            login(admin_session.paths, "letan", "sai-mat-khau")
    with pytest.raises(AccountLocked, match="45 phút"):
        login(admin_session.paths, "letan", "Le-tan-2026x")


def test_a_policy_changed_elsewhere_is_read_fresh(admin_session):
    other = login(admin_session.paths, ADMIN, ADMIN_PASSWORD)
    try:
        security_policy.change_policy(other, lockout_minutes=60)
    finally:
        other.close()
    assert security_policy.current_policy(admin_session).lockout_minutes == 60
    # A change from this session keeps the other process's value.
    assert security_policy.change_policy(admin_session, idle_lock_minutes=7) == LockoutPolicy(5, 60, 7)


@pytest.mark.parametrize(
    "field, value, words",
    [
        ("max_failures", 0, "Số lần nhập sai"),
        ("max_failures", 101, "Số lần nhập sai"),
        ("lockout_minutes", -1, "Thời gian khóa tài khoản"),
        ("idle_lock_minutes", 0, "tự khóa màn hình"),
        ("idle_lock_minutes", 24 * 60 + 1, "tự khóa màn hình"),
    ],
)
def test_values_out_of_range_are_refused_and_nothing_changes(admin_session, field, value, words):
    with pytest.raises(InvalidInput, match=words):
        security_policy.change_policy(admin_session, **{field: value})
    assert security_policy.current_policy(admin_session).to_json() == DEFAULT
    assert policy_events(admin_session) == []


@pytest.mark.parametrize("role", ["head", "doctor", "reception"])
def test_only_the_administrator_reads_or_changes_it(admin_session, role):
    users.add_user(admin_session, "nguoikhac", role, "Nguoi-khac-2026")
    other = login(admin_session.paths, "nguoikhac", "Nguoi-khac-2026")
    try:
        with pytest.raises(PermissionDenied, match="thay đổi cài đặt"):
            security_policy.current_policy(other)
        with pytest.raises(PermissionDenied, match="thay đổi cài đặt"):
            security_policy.change_policy(other, max_failures=9)
    finally:
        other.close()
    assert security_policy.current_policy(admin_session).to_json() == DEFAULT
    assert policy_events(admin_session) == []


def test_everyones_window_follows_the_idle_lock(admin_session):
    security_policy.change_policy(admin_session, idle_lock_minutes=4)
    users.add_user(admin_session, "letan", "reception", "Le-tan-2026x")
    reception = login(admin_session.paths, "letan", "Le-tan-2026x")
    try:
        assert security_policy.idle_lock_minutes(reception) == 4  # no settings permission needed to obey it
    finally:
        reception.close()


# -- through the command line (a real station, the real ksk in a child process) -------------------------------
def test_cli_security_keeps_its_flags_and_output(station):
    paths, _ = station

    def ksk(*args: str, user: str = ADMIN, password: str = ADMIN_PASSWORD):
        return run_ksk("--user", user, "security", *args, data_dir=paths.root, password=password)

    shown = ksk()
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == (
        "Khóa tài khoản sau 5 lần sai trong 15 phút; tự khóa màn hình sau 10 phút không thao tác.\n"
    )
    changed = ksk("--lockout-minutes", "20", "--idle-minutes", "3", "--json")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout) == {"max_failures": 5, "lockout_minutes": 20, "idle_lock_minutes": 3}
    bad = ksk("--idle-minutes", "0")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "tự khóa màn hình" in bad.stderr
    ctx = login(paths, ADMIN, ADMIN_PASSWORD)
    try:
        users.add_user(ctx, "truongtram", "head", "Truong-tram-2026")
        refused = ksk("--max-failures", "9", user="truongtram", password="Truong-tram-2026")
        assert refused.returncode == 7 and "không có quyền thay đổi cài đặt" in refused.stderr
        assert security_policy.current_policy(ctx) == LockoutPolicy(5, 20, 3)
        assert policy_events(ctx) == [
            (
                ADMIN,
                {
                    "old": {"lockout_minutes": 15, "idle_lock_minutes": 10},
                    "new": {"lockout_minutes": 20, "idle_lock_minutes": 3},
                },
            )
        ]
    finally:
        ctx.close()
