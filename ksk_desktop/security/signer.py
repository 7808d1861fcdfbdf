"""Who signs an exam or a report: a key holder that can sign bytes for one user (a doctor, the station head).

Today the holder is a software Ed25519 key wrapped with the user's own password (Argon2id + AES-GCM, the same
sealing as the key slots, but under its own salt and independent of the database key): the database holds
the wrapped key, so every staff member who can open the file still cannot sign. Tomorrow a PKCS#11 token
(the VNeID issue) is another holder behind the same :class:`Signer` protocol; only ``exams.keys`` chooses
which holder a key row names.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from ksk_desktop.security import sealing
from ksk_desktop.security.kdf import KdfParams

ALGORITHM = "Ed25519"
HOLDER_PASSWORD = "password"  # the private key, wrapped with the doctor's password, in the station database
HOLDER_NONE = "none"  # no private key here any more (retired): the public key stays to verify old signatures


class Signer(Protocol):
    """Signs bytes as one doctor with one key."""

    @property
    def key_id(self) -> str: ...

    @property
    def username(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def key_id_of(public_raw: bytes) -> str:
    """The key id: the first 16 bytes of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def load_public(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class SoftwareSigner:
    """An unwrapped Ed25519 key, held in memory only for the signing it was opened for."""

    key_id: str
    username: str
    private: Ed25519PrivateKey = field(repr=False)

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def wrap_private_key(
    private: Ed25519PrivateKey, password: str, aad: bytes, params: KdfParams | None = None
) -> dict:
    """The private key sealed under *password* (a blob for ``exam_signing_key.wrapped_private_key``)."""
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return sealing.seal(password.encode(), raw, aad, params)


def unwrap_private_key(blob: dict, password: str, aad: bytes) -> Ed25519PrivateKey | None:
    """The private key, or None when *password* is not the one it was wrapped with."""
    raw = sealing.unseal(blob, password.encode(), aad)
    return None if raw is None else Ed25519PrivateKey.from_private_bytes(raw)
