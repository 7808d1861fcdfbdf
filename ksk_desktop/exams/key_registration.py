"""A signer's public key as the station registers it at the hub (the ``doctor_key`` sync item, named when only
doctors had keys): a doctor's, which signs exams, or a station head's, which signs the reports the station submits.

The payload names the key, its station and its user (user name, full name, licence number — required of a doctor
— and ``role``: absent on a doctor's key, as before roles were recorded; ``"head"`` on the head's) and carries a
proof of possession: the key's own signature over the rest of the payload, so nobody registers a public key
they do not hold. The hub (``sync.hub.doctor_keys``) checks the same bytes with :func:`statement`.

A *legacy* key — made before doctors' keys were wrapped with their passwords, when every staff password could
read it — is registered with ``legacy_exams``: the exact exam versions it had signed that were still waiting to
be sent. The hub accepts nothing else signed by it.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

from cryptography.exceptions import InvalidSignature

from ksk_desktop.security.signer import ALGORITHM, key_id_of, load_public
from ksk_desktop.station.audit import canonical_json

FORMAT = 1
KIND = "doctor_key"


def statement(payload: dict) -> bytes:
    """What the proof signs: a fixed prefix and the canonical JSON of the payload without its ``proof``."""
    return b"ksk-doctor-key|" + canonical_json({k: v for k, v in payload.items() if k != "proof"}).encode()


def build(
    *,
    public_raw: bytes,
    station_code: str,
    username: str,
    full_name: str,
    licence_no: str | None,
    created_at: str,
    sign: Callable[[bytes], bytes],
    legacy_exams: list[dict] | None = None,
    role: str | None = None,
) -> dict:
    """The registration payload, signed by the key it registers (*sign*); *role* None is a doctor's key."""
    payload = {
        "format": FORMAT,
        "key_id": key_id_of(public_raw),
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(public_raw).decode(),
        "station_code": station_code,
        "username": username,
        "full_name": full_name,
        "licence_no": licence_no,
        "created_at": created_at,
        "legacy_exams": legacy_exams,
    }
    if role is not None:
        payload["role"] = role
    payload["proof"] = base64.b64encode(sign(statement(payload))).decode()
    return payload


def proof_holds(payload: dict, public_raw: bytes) -> bool:
    """Whether the payload's proof is the registered key's signature over :func:`statement`."""
    try:
        load_public(public_raw).verify(
            base64.b64decode(str(payload.get("proof")), validate=True), statement(payload)
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def exam_entry(exam_id: str, version: int, signature_b64: str) -> dict:
    """One signed exam version in a legacy key's list: ids and the SHA-256 of the signature (Ed25519 signatures
    are deterministic, so this pins the content too)."""
    return {
        "exam_id": exam_id,
        "version": version,
        "signature_sha256": hashlib.sha256(base64.b64decode(signature_b64)).hexdigest(),
    }
