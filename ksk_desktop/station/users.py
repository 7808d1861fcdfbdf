"""Station users: add, list, change passwords, disable. Each user has one key slot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ksk_desktop.db.models import AppUser
from ksk_desktop.errors import InvalidInput, NotFound, PermissionDenied
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

    def to_json(self) -> dict:
        return self.__dict__.copy()


def _guard_role(ctx: StationSession, role: Role) -> None:
    # A station head manages the station's staff; only an administrator creates administrators.
    if role is Role.ADMIN and ctx.user.role is not Role.ADMIN:
        raise PermissionDenied("Chỉ quản trị viên mới tạo hoặc sửa tài khoản quản trị viên.")


def add_user(ctx: StationSession, username: str, role: str, password: str, full_name: str = "") -> UserRow:
    ctx.require(Perm.USER_MANAGE)
    name = check_username(username)
    role_ = parse_role(role)
    _guard_role(ctx, role_)
    check_password(password, name)
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
            )
            s.add(user)
            ctx.audit(s, "user.create", "app_user", user.id, {"username": name, "role": role_.value})
    except BaseException:
        with ctx.keystore.locked():
            ctx.keystore.remove_password_slot(name)
        raise
    return UserRow(user.id, name, user.full_name, role_.value, True, False)


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
        )
        for u in rows
    ]


def _get(ctx: StationSession, username: str) -> AppUser:
    with ctx.read() as s:
        user = s.scalar(select(AppUser).where(AppUser.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"Không có người dùng {username!r}.")
    return user


def change_password(
    ctx: StationSession, username: str, new_password: str, current_password: str | None = None
) -> None:
    """Re-wrap one slot. Users change their own (proving the current password); managers reset others'
    (never a higher role's)."""
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
        row.password_changed_at = ctx.clock.utcnow()
        ctx.audit(s, "user.password", "app_user", user.id, {"username": user.username, "by_self": own})
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
