"""The Health Department's read-only accounts at the hub (``/reports``): people, not station devices.

The hub administrator creates them (``ksk hub viewer add``). A password is kept only as an Argon2id hash; five
wrong passwords in a row lock the account for 15 minutes. A login opens a session: a random token in a cookie,
kept at the hub only as its SHA-256, valid 8 hours or until logout. A device credential opens nothing here, and a
viewer's session opens nothing of the sync API.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, DateTime, Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ksk_desktop.errors import AuthenticationFailed, InvalidInput, NotFound
from sync.hub.models import HubBase

SESSION_HOURS = 8
MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
_NAME = re.compile(r"[a-z0-9._-]{3,40}")
_hasher = PasswordHasher()


class HubViewer(HubBase):
    __tablename__ = "hub_viewer"
    username: Mapped[str] = mapped_column(String(40), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class HubViewerSession(HubBase):
    __tablename__ = "hub_viewer_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add(s: Session, username: str, password: str, full_name: str, now: datetime) -> dict:
    username = username.strip().lower()
    if not _NAME.fullmatch(username):
        raise InvalidInput("Tên đăng nhập gồm 3–40 ký tự a–z, 0–9, dấu chấm, gạch ngang hoặc gạch dưới.")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if s.get(HubViewer, username) is not None:
        raise InvalidInput(f"Tài khoản {username} đã có.")
    s.add(
        HubViewer(
            username=username,
            full_name=full_name.strip() or username,
            password_hash=_hasher.hash(password),
            active=True,
            failures=0,
            created_at=now,
        )
    )
    return {"username": username, "full_name": full_name.strip() or username, "active": True}


def listing(s: Session) -> list[dict]:
    return [
        {
            "username": v.username,
            "full_name": v.full_name,
            "active": v.active,
            "created_at": v.created_at.isoformat(),
        }
        for v in s.scalars(select(HubViewer).order_by(HubViewer.username))
    ]


def disable(s: Session, username: str) -> dict:
    v = s.get(HubViewer, username.strip().lower())
    if v is None:
        raise NotFound(f"Không có tài khoản {username}.")
    v.active = False
    s.execute(delete(HubViewerSession).where(HubViewerSession.username == v.username))
    return {"username": v.username, "active": False}


def login(s: Session, username: str, password: str, now: datetime) -> tuple[str, str]:
    """A new session token and the viewer's name; AuthenticationFailed (one message for every cause)."""
    refused = AuthenticationFailed("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đang bị khóa.")
    v = s.get(HubViewer, username.strip().lower()[:40])
    if v is None or not v.active:
        _hasher.hash(password or "-")  # the same work as a real check: no timing hint of who exists
        raise refused
    if v.locked_until is not None and v.locked_until > now:
        raise refused
    try:
        _hasher.verify(v.password_hash, password)
    except (VerificationError, InvalidHashError):
        v.failures += 1
        if v.failures >= MAX_FAILURES:
            v.locked_until, v.failures = now + timedelta(minutes=LOCK_MINUTES), 0
        raise refused from None
    v.failures, v.locked_until = 0, None
    token = secrets.token_urlsafe(32)
    s.add(
        HubViewerSession(
            token_hash=_sha(token),
            username=v.username,
            created_at=now,
            expires_at=now + timedelta(hours=SESSION_HOURS),
        )
    )
    s.execute(delete(HubViewerSession).where(HubViewerSession.expires_at < now))
    return token, v.full_name


def who(s: Session, token: str | None, now: datetime) -> str | None:
    """The full name of the viewer whose live session *token* is, else None."""
    if not token or len(token) > 100:
        return None
    row = s.get(HubViewerSession, _sha(token))
    if row is None or row.expires_at <= now:
        return None
    v = s.get(HubViewer, row.username)
    return v.full_name if v is not None and v.active else None


def logout(s: Session, token: str | None) -> None:
    if token and len(token) <= 100:
        s.execute(delete(HubViewerSession).where(HubViewerSession.token_hash == _sha(token)))
