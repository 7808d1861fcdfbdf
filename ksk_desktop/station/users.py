"""Station users: add, list, edit, change passwords, disable. Each user has one key slot; a doctor or a head who
signs also has a signing key wrapped with their password (``exams.keys``), re-wrapped when they change it and
retired when someone else resets it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from ksk_desktop.db.models import AppUser
from ksk_desktop.errors import InvalidInput, NotFound, PermissionDenied
from ksk_desktop.exams import keys
from ksk_desktop.ids import new_id
from ksk_desktop.security.roles import Perm, Role, parse_role
from ksk_desktop.station.passwords import check_password, check_username
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc


@dataclass(frozen=True)
class UserRow:
    id: str
    username: str
    full_name: str
    role: str
    active: bool
    locked: bool
    licence_no: str | None = None

    def to_json(self) -> dict:
        return self.__dict__.copy()


_LICENCE_RE = re.compile(r"^[0-9A-Z][0-9A-Z./-]{2,39}$")


def check_licence(text: str | None) -> str | None:
    """A practising licence number (số chứng chỉ/giấy phép hành nghề, e.g. ``000123/HP-CCHN``), upper-cased;
    None when empty."""
    licence = nfc(text or "").strip().upper()
    if not licence:
        return None
    if not _LICENCE_RE.match(licence):
        raise InvalidInput(
            "Số chứng chỉ hành nghề chỉ gồm chữ không dấu, số, dấu chấm, gạch chéo hoặc gạch ngang (3–40 ký tự)."
        )
    return licence


def _guard_role(ctx: StationSession, role: Role) -> None:
    # A station head manages the station's staff; only an administrator creates administrators.
    if role is Role.ADMIN and ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("Chỉ quản trị viên mới tạo hoặc sửa tài khoản quản trị viên.")


def add_user(
    ctx: StationSession, username: str, role: str, password: str, full_name: str = "", licence_no: str = ""
) -> UserRow:
    ctx.require(Perm.USER_MANAGE)
    name = check_username(username)
    role_ = parse_role(role)
    _guard_role(ctx, role_)
    check_password(password, name)
    licence = check_licence(licence_no)
    with ctx.read() as s:
        if s.scalar(select(AppUser.id).where(AppUser.username == name)) or ctx.keystore.has_user(name):
            raise InvalidInput(f"Tên đăng nhập {name!r} đã tồn tại.")
    # The slot is saved first; if the database write then fails, the slot is taken back out.
    with ctx.keystore.locked():
        ctx.keystore.set_password_slot(name, password, ctx.key)
    try:
        with ctx.write() as s:
            user = AppUser(
                id=new_id(),
                username=name,
                full_name=nfc(full_name) or name,
                role=role_.value,
                active=True,
                created_at=ctx.clock.utcnow(),
                password_changed_at=ctx.clock.utcnow(),
                licence_no=licence,
            )
            s.add(user)
            ctx.audit(s, "user.create", "app_user", user.id, {"username": name, "role": role_.value})
    except BaseException:
        with ctx.keystore.locked():
            ctx.keystore.remove_password_slot(name)
        raise
    return UserRow(user.id, name, user.full_name, role_.value, True, False, licence)


def list_users(ctx: StationSession) -> list[UserRow]:
    ctx.require(Perm.USER_MANAGE)
    with ctx.read() as s:
        rows = s.scalars(select(AppUser).order_by(AppUser.username)).all()
    policy = ctx.keystore.policy
    return [
        UserRow(
            u.id,
            u.username,
            u.full_name,
            u.role,
            u.active,
            ctx.keystore.failures(u.username) >= policy.max_failures,
            u.licence_no,
        )
        for u in rows
    ]


def _get(ctx: StationSession, username: str) -> AppUser:
    with ctx.read() as s:
        user = s.scalar(select(AppUser).where(AppUser.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"Không có người dùng {username!r}.")
    return user


def edit_user(
    ctx: StationSession, username: str, *, full_name: str | None = None, licence_no: str | None = None
) -> UserRow:
    """Change a user's full name and/or licence number (a manager's action). A doctor's signing key keeps the
    name and licence it was registered with at the hub; the next key (after a password reset) takes the new ones."""
    ctx.require(Perm.USER_MANAGE)
    user = _get(ctx, username)
    _guard_role(ctx, Role(user.role))
    changes: dict[str, object] = {}
    if full_name is not None:
        name = nfc(full_name).strip()
        if not name:
            raise InvalidInput("Họ tên không được để trống.")
        changes["full_name"] = name
    if licence_no is not None:
        changes["licence_no"] = check_licence(licence_no)
    with ctx.write() as s:
        row = s.get_one(AppUser, user.id)
        changed = {k: v for k, v in changes.items() if getattr(row, k) != v}
        for k, v in changed.items():
            setattr(row, k, v)
        if changed:
            ctx.audit(
                s, "user.edit", "app_user", user.id, {"username": user.username, "fields": sorted(changed)}
            )
        result = UserRow(
            row.id,
            row.username,
            row.full_name,
            row.role,
            row.active,
            ctx.keystore.failures(row.username) >= ctx.keystore.policy.max_failures,
            row.licence_no,
        )
    return result


def change_password(
    ctx: StationSession, username: str, new_password: str, current_password: str | None = None
) -> None:
    """Re-wrap one slot. Users change their own (proving the current password; their signing key is re-wrapped
    with it); managers reset others' (never a higher role's; the user's signing key is retired: nobody can open
    it without the old password, and the next signing makes a new key pair)."""
    user = _get(ctx, username)
    own = user.username == ctx.user.username
    if own:
        if current_password is None:
            raise InvalidInput("Hãy nhập mật khẩu hiện tại để đổi mật khẩu.")
        ctx.keystore.unwrap_with_password(user.username, current_password)  # counted toward lock-out
    else:
        ctx.require(Perm.USER_MANAGE)
        _guard_role(ctx, Role(user.role))
    check_password(new_password, user.username)
    if own and new_password == current_password:
        raise InvalidInput("Mật khẩu mới phải khác mật khẩu hiện tại.")
    with ctx.write() as s:
        row = s.get_one(AppUser, user.id)
        now = ctx.clock.utcnow()
        row.password_changed_at = now
        details: dict[str, object] = {"username": user.username, "by_self": own}
        if own:
            assert current_password is not None  # checked above
            signing_key = keys.rewrap(
                s, ctx.keystore.station_id, user.username, current_password, new_password, now
            )
            if signing_key:
                details["signing_key"] = signing_key
        elif retired := keys.retire(s, user.username, keys.RETIRED_RESET, now):
            details["signing_keys_retired"] = retired
        ctx.audit(s, "user.password", "app_user", user.id, details)
    # The database row is committed before the new slot replaces the old one on disk: a crash in between
    # leaves the old password working, never neither.
    with ctx.keystore.locked():
        ctx.keystore.set_password_slot(user.username, new_password, ctx.key)


def set_active(ctx: StationSession, username: str, active: bool) -> None:
    ctx.require(Perm.USER_MANAGE)
    user = _get(ctx, username)
    _guard_role(ctx, Role(user.role))
    if user.username == ctx.user.username and not active:
        raise InvalidInput("Không thể tự vô hiệu hóa tài khoản đang đăng nhập.")
    with ctx.write() as s:
        row = s.get_one(AppUser, user.id)
        old, row.active = row.active, active
        ctx.audit(s, "user.active", "app_user", user.id, {"old": old, "new": active})


def unlock(ctx: StationSession, username: str) -> None:
    ctx.require(Perm.USER_MANAGE)
    user = _get(ctx, username)
    ctx.keystore.unlock_account(user.username)
    with ctx.write() as s:
        ctx.audit(s, "user.unlock", "app_user", user.id)
