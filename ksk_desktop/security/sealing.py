"""Sealing a secret under a password: Argon2id derives a key-encryption key, AES-256-GCM encrypts the secret.

One format for everything a password protects: the key slots that wrap the database key
(``security.keystore``) and the doctors' signing keys (``security.signer``). A sealed blob holds its own KDF
parameters, salt and nonce, never the key; the *aad* binds it to its place (a slot, a key and its owner), so a
blob copied elsewhere does not open.
"""

from __future__ import annotations

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.security import kdf
from ksk_desktop.security.kdf import KdfParams


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def seal(secret: bytes, plaintext: bytes, aad: bytes, params: KdfParams | None = None) -> dict:
    """``{"kdf", "salt", "nonce", "wrapped", "created"}``: *plaintext* encrypted under a key derived from *secret*."""
    params = params or kdf.default_params()
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    kek = params.derive(secret, salt)
    return {
        "kdf": params.to_json(),
        "salt": b64(salt),
        "nonce": b64(nonce),
        "wrapped": b64(AESGCM(kek).encrypt(nonce, plaintext, aad)),
        "created": SYSTEM_CLOCK.now().isoformat(timespec="seconds"),
    }


def unseal(blob: dict, secret: bytes, aad: bytes) -> bytes | None:
    """The plaintext of *blob*, or None when *secret* (or *aad*) is not the one it was sealed with."""
    kek = KdfParams.from_json(blob["kdf"]).derive(secret, unb64(blob["salt"]))
    try:
        return AESGCM(kek).decrypt(unb64(blob["nonce"]), unb64(blob["wrapped"]), aad)
    except InvalidTag:
        return None
