"""Signing keys of the people who sign for the station — doctors their exams, the head (``Perm.REPORT_SUBMIT``) the
reports the station submits: one active Ed25519 key per user, made the first time they sign and wrapped with
their own password (``security.signer``). Opening the database does not open a key: signing asks for the
signer's password, so nobody else — no other staff member, no administrator — can sign in their name.

- A key is made for the user's role (stored with it and registered at the hub, which checks it: only a doctor's
  key signs exams, only a head's key signs reports). A user whose role changed gets a new key the next time they
  sign (the old one is retired: the hub's administrator approves the signer's new role with the new key).
- A password change (the user's own, proving the current password) re-wraps the key: same key pair.
- A password reset (by a manager, or with the recovery key) cannot open the old key: it is retired — its
  private half erased, its public half kept so the signatures it made stay verifiable — and the user gets a
  new key pair the next time they sign.
- A new key is registered at the hub (a ``doctor_key`` outbox item, the name kept from when only doctors had
  keys, in the transaction that makes it): the hub accepts an exam or a report only with a signature by a key
  registered from this station, for that user, with the role that may sign it.

Public keys are exportable (``ksk exam keys``) so anyone can check a signed exam or report.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import AppUser, ExamSigningKey, Station
from ksk_desktop.errors import KskError
from ksk_desktop.exams import key_registration
from ksk_desktop.exams.errors import SigningKeyUnavailable
from ksk_desktop.security.roles import Perm, Role
from ksk_desktop.security.signer import (
    HOLDER_NONE,
    HOLDER_PASSWORD,
    Signer,
    SoftwareSigner,
    key_id_of,
    load_public,
    public_raw,
    unwrap_private_key,
    wrap_private_key,
)
from ksk_desktop.station.session import StationSession

RETIRED_RESET = "password_reset"  # a manager or the recovery key set a new password: the old key is lost
RETIRED_UNOPENABLE = "unopenable"  # the key opened with neither the old nor the new password
RETIRED_ROLE = "role_change"  # the user's role changed: the hub approves the new role with a new key


@dataclass(frozen=True)
class Purpose:
    """What a key is opened to sign: the permission it needs and how a refusal names what was not done."""

    name: str  # "exam" | "report": the audit action is "<name>.key.create"
    perm: Perm
    not_done: str  # "phiếu chưa được ký": said after a wrong password


EXAM = Purpose("exam", Perm.EXAM_SIGN, "phiếu chưa được ký")
REPORT = Purpose("report", Perm.REPORT_SUBMIT, "báo cáo chưa được nộp")


def _aad(station_id: str, key_id: str, username: str) -> bytes:
    """Binds a wrapped key to its station, its id and its user: a blob copied to another row does not open."""
    return f"ksk-signing-key|{station_id}|{key_id}|{username}".encode()


def _active(s: Session, username: str) -> ExamSigningKey | None:
    return s.scalars(
        select(ExamSigningKey).where(ExamSigningKey.username == username, ExamSigningKey.active.is_(True))
    ).first()


def role_of(row: ExamSigningKey) -> str:
    """The role a key was made for; a key from before roles were recorded is a doctor's."""
    return row.role or Role.DOCTOR.value


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds") + "Z"


def unlock(ctx: StationSession, password: str, purpose: Purpose = EXAM) -> Signer:
    """The logged-in user's signer, opened with their *password*, for *purpose* (an exam: Perm.EXAM_SIGN; a
    report: Perm.REPORT_SUBMIT). A user without an active key for their role gets a new key pair here, wrapped
    with that password and queued for registration at the hub.

    A wrong password counts toward the account's lock-out, as at login; a locked account cannot sign."""
    ctx.require(purpose.perm)
    username = ctx.user.username
    ctx.keystore.check_not_locked(username)
    with ctx.read() as s:
        row = _active(s, username)
        if row is not None:
            s.expunge(row)
    if row is None or role_of(row) != ctx.user.role.value:
        return _create(ctx, password, purpose)
    if row.holder != HOLDER_PASSWORD or not row.wrapped_private_key:
        raise SigningKeyUnavailable("Khóa ký của bạn không mở được bằng mật khẩu trên máy này.")
    blob = json.loads(row.wrapped_private_key)
    private = unwrap_private_key(blob, password, _aad(ctx.keystore.station_id, row.key_id, username))
    if private is None:
        # Not the key's password. Is it the account's? Asking the key slot counts the failure toward lock-out
        # and raises for a wrong password; a right one means a password change was cut short (see rewrap).
        _check_account_password(ctx, password, purpose)
        raise SigningKeyUnavailable(
            "Khóa ký chưa mở được bằng mật khẩu hiện tại: lần đổi mật khẩu trước chưa hoàn tất. Hãy đổi mật khẩu "
            "lại, nhập đúng mật khẩu mới đã chọn lần trước, rồi ký."
        )
    return SoftwareSigner(row.key_id, username, private)


def _check_account_password(ctx: StationSession, password: str, purpose: Purpose) -> None:
    """Raise unless *password* opens the user's key slot; a failure counts toward lock-out, as at login."""
    from ksk_desktop.station.reauth import confirm_password

    confirm_password(ctx, password, purpose.not_done)


def _create(ctx: StationSession, password: str, purpose: Purpose) -> SoftwareSigner:
    username, role = ctx.user.username, ctx.user.role.value
    with ctx.read() as s:
        licence = s.scalar(select(AppUser.licence_no).where(AppUser.username == username))
        station_code = s.scalars(select(Station.code)).one()
    if not licence and role == Role.DOCTOR.value:
        raise SigningKeyUnavailable(
            f"Tài khoản bác sĩ {username} chưa có số chứng chỉ hành nghề: nhờ trưởng trạm hoặc quản trị viên "
            "bổ sung vào hồ sơ người dùng rồi ký lại."
        )
    _check_account_password(ctx, password, purpose)  # the key is wrapped with it: it must be the account's
    private = Ed25519PrivateKey.generate()
    raw = public_raw(private)
    key_id = key_id_of(raw)
    blob = wrap_private_key(private, password, _aad(ctx.keystore.station_id, key_id, username))
    now = ctx.clock.utcnow()
    registration = key_registration.build(
        public_raw=raw,
        station_code=station_code,
        username=username,
        full_name=ctx.user.full_name,
        licence_no=licence or None,
        created_at=_iso(now),
        sign=private.sign,
        # A doctor's registration keeps its shape from before roles were recorded (the hub reads none as doctor).
        role=None if role == Role.DOCTOR.value else role,
    )
    with ctx.write() as s:
        current = _active(s, username)
        if current is not None:
            if role_of(current) == role:  # made meanwhile in another window: sign with that one
                raise KskError("Khóa ký vừa được tạo ở một cửa sổ khác. Hãy ký lại.")
            retired = retire(s, username, RETIRED_ROLE, now)
            ctx.audit(s, "signing_key.retire", "exam_signing_key", current.key_id, {"retired": retired})
        s.add(
            ExamSigningKey(
                key_id=key_id,
                username=username,
                full_name=ctx.user.full_name,
                licence_no=licence or None,
                role=role,
                public_key=base64.b64encode(raw).decode(),
                holder=HOLDER_PASSWORD,
                wrapped_private_key=json.dumps(blob),
                created_at=now,
                active=True,
            )
        )
        outbox.enqueue(s, key_registration.KIND, key_id, registration, 1)
        ctx.audit(s, f"{purpose.name}.key.create", "exam_signing_key", key_id, {"username": username})
    return SoftwareSigner(key_id, username, private)


def rewrap(
    s: Session, station_id: str, username: str, current_password: str, new_password: str, now: datetime
) -> str | None:
    """Inside a user's own password change: their active key re-wrapped under *new_password* (same key pair).

    The change writes the database before the key slot; if it was cut short in between, the key already opens
    with the new password and the slot still with the old one: doing the change again with the same new password
    finishes it. A key that opens with neither is retired (the next signing makes a new one). Returns what
    happened: ``"rewrapped"``, ``"retired"`` or None (no key)."""
    row = _active(s, username)
    if row is None or row.holder != HOLDER_PASSWORD or not row.wrapped_private_key:
        return None
    blob = json.loads(row.wrapped_private_key)
    aad = _aad(station_id, row.key_id, username)
    private = unwrap_private_key(blob, current_password, aad) or unwrap_private_key(blob, new_password, aad)
    if private is None:
        retire(s, username, RETIRED_UNOPENABLE, now)
        return "retired"
    row.wrapped_private_key = json.dumps(wrap_private_key(private, new_password, aad))
    return "rewrapped"


def retire(s: Session, username: str, reason: str, now: datetime) -> list[str]:
    """Retire every key of *username* that still holds a private half (a password reset: nobody can open it any
    more). The public keys stay, so old signatures verify. Returns the retired key ids."""
    rows = s.scalars(
        select(ExamSigningKey).where(
            ExamSigningKey.username == username,
            or_(ExamSigningKey.active.is_(True), ExamSigningKey.wrapped_private_key.is_not(None)),
        )
    ).all()
    for r in rows:
        r.active, r.holder, r.wrapped_private_key = False, HOLDER_NONE, None
        r.retired_at, r.retired_reason = now, reason
    return [r.key_id for r in rows]


def public_key(s: Session, key_id: str) -> Ed25519PublicKey | None:
    row = s.get(ExamSigningKey, key_id)
    return load_public(base64.b64decode(row.public_key)) if row else None


def public_keys(ctx: StationSession) -> list[dict]:
    """Every signer's public key: ``{"key_id", "username", "full_name", "algorithm", "public_key" (base64 raw),
    "created_at", "active", "licence_no", "retired_at", "retired_reason", "role"}``."""
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        rows = s.scalars(select(ExamSigningKey).order_by(ExamSigningKey.username, ExamSigningKey.created_at))
        return [
            {
                "key_id": r.key_id,
                "username": r.username,
                "full_name": r.full_name,
                "algorithm": "Ed25519",
                "public_key": r.public_key,
                "created_at": r.created_at.isoformat(),
                "active": r.active,
                "licence_no": r.licence_no,
                "retired_at": r.retired_at.isoformat() if r.retired_at else None,
                "retired_reason": r.retired_reason,
                "role": role_of(r),
            }
            for r in rows
        ]
