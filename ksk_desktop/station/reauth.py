"""Asking a logged-in user for their password again before an act done in their name (signing an exam,
submitting a report): checked against their key slot, and a failure counts toward the lock-out, as at login."""

from __future__ import annotations

from ksk_desktop.errors import AuthenticationFailed
from ksk_desktop.station.session import StationSession


def confirm_password(ctx: StationSession, password: str, not_done: str) -> None:
    """Raise AuthenticationFailed ("Mật khẩu không đúng: *not_done*. Còn N lần thử…") unless *password* opens the
    logged-in user's key slot."""
    username = ctx.user.username
    ctx.keystore.reload()
    try:
        ctx.keystore.unwrap_with_password(username, password)
    except AuthenticationFailed:
        left = max(0, ctx.keystore.policy.max_failures - ctx.keystore.failures(username))
        raise AuthenticationFailed(
            f"Mật khẩu không đúng: {not_done}. Còn {left} lần thử trước khi tài khoản bị tạm khóa."
        ) from None
