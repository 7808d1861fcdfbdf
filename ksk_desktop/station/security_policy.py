"""The station's security policy: lock an account after repeated wrong passwords, lock the window when idle.

The policy lives in the key-slot file (``keys.json``), because the lock-out must work before the database is
unlocked. Reading and changing it needs the settings permission; every change is recorded in the audit trail
with the old and new values. ``ksk security`` and the Quản trị page both come here.
"""

from __future__ import annotations

from dataclasses import replace

from ksk_desktop.errors import InvalidInput
from ksk_desktop.security.keystore import LockoutPolicy
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

#: field → (lowest, highest, what it is). The idle lock stays within a day: the window's timer counts in
#: milliseconds in a 32-bit integer.
LIMITS = {
    "max_failures": (1, 100, "Số lần nhập sai mật khẩu trước khi khóa tài khoản"),
    "lockout_minutes": (0, 7 * 24 * 60, "Thời gian khóa tài khoản (phút)"),
    "idle_lock_minutes": (1, 24 * 60, "Thời gian không thao tác trước khi tự khóa màn hình (phút)"),
}


def current_policy(ctx: StationSession) -> LockoutPolicy:
    """The policy as stored now (re-read: another process may have changed it)."""
    ctx.require(Perm.SETTINGS_MANAGE)
    ctx.keystore.reload()
    return ctx.keystore.policy


def idle_lock_minutes(ctx: StationSession) -> int:
    """How long the window of this session waits before it locks itself: the policy applies to everyone, so
    no permission is needed (the policy as it was at login)."""
    return ctx.keystore.policy.idle_lock_minutes


def _check(field: str, value: int) -> int:
    low, high, what = LIMITS[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} phải từ {low} đến {high} (đã nhập {value!r}).")
    return value


def change_policy(
    ctx: StationSession,
    *,
    max_failures: int | None = None,
    lockout_minutes: int | None = None,
    idle_lock_minutes: int | None = None,
) -> LockoutPolicy:
    """Change the given values (None keeps a value); returns the policy now in force. Audited."""
    ctx.require(Perm.SETTINGS_MANAGE)
    given = {
        "max_failures": max_failures,
        "lockout_minutes": lockout_minutes,
        "idle_lock_minutes": idle_lock_minutes,
    }
    changes = {field: _check(field, value) for field, value in given.items() if value is not None}
    ctx.keystore.reload()
    old = ctx.keystore.policy
    new = replace(old, **changes)
    if new == old:
        return old
    saved = False
    try:
        with ctx.write() as s:
            before, after = old.to_json(), new.to_json()
            diff = [k for k in after if after[k] != before[k]]
            ctx.audit(
                s,
                "settings.security",
                "station",
                None,
                {"old": {k: before[k] for k in diff}, "new": {k: after[k] for k in diff}},
            )
            # Written just before the commit: a failed commit puts the old policy back, so the trail never
            # misses a change that took effect.
            ctx.keystore.set_policy(new)
            saved = True
    except BaseException:
        if saved:
            ctx.keystore.reload()
            ctx.keystore.set_policy(old)
        raise
    return new
