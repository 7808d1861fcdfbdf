"""Permissions are enforced in the core services, whatever the UI shows."""

from __future__ import annotations

import pytest

from ksk_desktop.errors import AuthenticationFailed, InvalidInput, PermissionDenied
from ksk_desktop.people import persons
from ksk_desktop.security.roles import PERMISSIONS, Perm, Role
from ksk_desktop.station import backup, users
from ksk_desktop.station.lifecycle import login


@pytest.fixture
def staff(admin_session):
    users.add_user(admin_session, "letan", "reception", "Le-tan-2026")
    users.add_user(admin_session, "bacsi", "doctor", "Bac-si-2026")
    users.add_user(admin_session, "truongtram", "head", "Truong-tram-26")
    return admin_session.paths


def test_reception_cannot_manage_users_or_back_up(staff, tmp_path):
    ctx = login(staff, "letan", "Le-tan-2026")
    try:
        with pytest.raises(PermissionDenied) as err:
            users.add_user(ctx, "x1", "doctor", "Some-pass-77")
        assert "không có quyền" in err.value.message
        with pytest.raises(PermissionDenied):
            backup.create_backup(ctx, tmp_path / "b.kskbak")
        assert not (tmp_path / "b.kskbak").exists()
        persons.create_person(ctx, persons.PersonInput(full_name="Trần Văn Tiếp", birth_year=1970))
    finally:
        ctx.close()


def test_head_manages_staff_but_not_administrators(staff):
    ctx = login(staff, "truongtram", "Truong-tram-26")
    try:
        users.add_user(ctx, "dieuduong", "reception", "Dieu-duong-26")
        with pytest.raises(PermissionDenied):
            users.add_user(ctx, "admin2", "admin", "Quan-tri-2027")
        with pytest.raises(PermissionDenied):
            users.change_password(ctx, "admin", "Chiem-quyen-1")
    finally:
        ctx.close()


def test_user_changes_own_password_without_manage_right(staff):
    ctx = login(staff, "bacsi", "Bac-si-2026")
    try:
        with pytest.raises(InvalidInput):  # one's own password needs the current one
            users.change_password(ctx, "bacsi", "Bac-si-moi-27")
        with pytest.raises(AuthenticationFailed):
            users.change_password(ctx, "bacsi", "Bac-si-moi-27", "sai-mat-khau")
        users.change_password(ctx, "bacsi", "Bac-si-moi-27", "Bac-si-2026")
        with pytest.raises(PermissionDenied):
            users.change_password(ctx, "letan", "Chiem-quyen-1")
    finally:
        ctx.close()


def test_administrator_has_no_clinical_rights():
    assert Perm.EXAM_SIGN not in PERMISSIONS[Role.ADMIN]
    assert Perm.EXAM_SIGN in PERMISSIONS[Role.DOCTOR]
    assert Perm.EXAM_SIGN not in PERMISSIONS[Role.RECEPTION]


def test_closed_session_forgets_the_key_and_refuses_work(admin_session):
    from ksk_desktop.errors import SessionClosed

    admin_session.close()
    assert admin_session.closed
    with pytest.raises(SessionClosed):
        persons.count_people(admin_session)
    with pytest.raises(SessionClosed):
        admin_session.key  # noqa: B018
    with pytest.raises(SessionClosed):
        with admin_session.db.engine.connect():  # even the engine can make no new keyed connection
            pass


def test_stale_keystore_does_not_erase_a_slot_added_elsewhere(admin_session):
    other = login(admin_session.paths, "admin", "Quan-tri-2026")
    try:
        users.add_user(
            other, "letan2", "reception", "Nguoi-moi-2026"
        )  # written by a second session (or the CLI)
    finally:
        other.close()
    users.add_user(admin_session, "bs2", "doctor", "Bac-si-khac-26")  # this session's keystore copy is older
    login(admin_session.paths, "letan2", "Nguoi-moi-2026").close()
    login(admin_session.paths, "bs2", "Bac-si-khac-26").close()
