"""Permissions are enforced in the core services, whatever the UI shows."""

from __future__ import annotations

import pytest

from ksk_desktop import backup, persons, users
from ksk_desktop.errors import PermissionDenied
from ksk_desktop.security.roles import PERMISSIONS, Perm, Role
from ksk_desktop.station import login


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
        users.change_password(ctx, "bacsi", "Bac-si-moi-27")
        with pytest.raises(PermissionDenied):
            users.change_password(ctx, "letan", "Chiem-quyen-1")
    finally:
        ctx.close()


def test_administrator_has_no_clinical_rights():
    assert Perm.EXAM_SIGN not in PERMISSIONS[Role.ADMIN]
    assert Perm.EXAM_SIGN in PERMISSIONS[Role.DOCTOR]
    assert Perm.EXAM_SIGN not in PERMISSIONS[Role.RECEPTION]
