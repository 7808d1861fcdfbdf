"""Doctors' Ed25519 signing keys: one per doctor, made on first signing; the private key is kept only inside the
encrypted database; public keys are exportable (``ksk exam keys``) so anyone can check a signed exam."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.db.models import ExamSigningKey
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import CurrentUser, StationSession


def key_id_of(public_raw: bytes) -> str:
    """The key id: the first 16 bytes of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def signing_key(s: Session, user: CurrentUser, now: datetime) -> tuple[str, Ed25519PrivateKey]:
    """The user's active key (key id, private key), generated and stored in this transaction if there is none."""
    row = s.scalars(
        select(ExamSigningKey).where(
            ExamSigningKey.username == user.username, ExamSigningKey.active.is_(True)
        )
    ).first()
    if row is not None:
        return row.key_id, Ed25519PrivateKey.from_private_bytes(base64.b64decode(row.private_key))
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    private_raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key_id = key_id_of(public_raw)
    s.add(
        ExamSigningKey(
            key_id=key_id,
            username=user.username,
            full_name=user.full_name,
            public_key=base64.b64encode(public_raw).decode(),
            private_key=base64.b64encode(private_raw).decode(),
            created_at=now,
            active=True,
        )
    )
    s.flush()
    return key_id, private


def public_key(s: Session, key_id: str) -> Ed25519PublicKey | None:
    row = s.get(ExamSigningKey, key_id)
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(row.public_key)) if row else None


def public_keys(ctx: StationSession) -> list[dict]:
    """Every doctor's public key: ``{"key_id", "username", "full_name", "algorithm", "public_key" (base64 raw),
    "created_at", "active"}``."""
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
            }
            for r in rows
        ]
