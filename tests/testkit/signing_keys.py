"""Signing keys made in a test or a benchmark, as a station would register and sign with them: the hub sees only
payloads. A station head's key by default (role ``head``); ``role=None`` makes a doctor's."""

from __future__ import annotations

import base64
import copy
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksk_desktop.exams import key_registration
from ksk_desktop.reports import signature
from ksk_desktop.security.signer import key_id_of, public_raw

HEAD = "truongtram"


class StationKey:
    """A signing key of *username* at *station_code* with *role* ("head"; None: a doctor's)."""

    def __init__(self, station_code: str, username: str = HEAD, role: str | None = "head") -> None:
        self.username = username
        self.private = Ed25519PrivateKey.generate()
        raw = public_raw(self.private)
        self.key_id = key_id_of(raw)
        self.registration = key_registration.build(
            public_raw=raw,
            station_code=station_code,
            username=username,
            full_name="Trần Văn Trưởng",
            licence_no=None if role else "000999/HP-CCHN",
            created_at="2026-12-01T00:00:00Z",
            sign=self.private.sign,
            role=role,
        )

    def sign(self, payload: dict, signed_by: str | None = None) -> dict:
        """*payload* signed by this key (a copy), naming *signed_by* (default: the key's user) as signer."""
        out = copy.deepcopy(payload)
        out.update(signer_key_id=self.key_id, signed_by=signed_by or self.username)
        out["signature"] = base64.b64encode(self.private.sign(signature.signed_bytes(out))).decode()
        return out


def key_item(registration: dict) -> dict:
    """A ``doctor_key`` item registering *registration* (a payload as the station queues it)."""
    return {
        "item_id": str(uuid.uuid4()),
        "kind": key_registration.KIND,
        "entity_id": registration["key_id"],
        "entity_version": 1,
        "payload": registration,
    }


def register_key(store, device, registration: dict, *, approve: bool = True) -> None:  # noqa: ANN001 - hub objects
    """Push *registration* from *device* to an in-process hub *store*; approve it as the hub administrator."""
    from sync.hub import doctor_keys

    (res,) = store.push(device, [key_item(registration)])
    assert res["status"] == "accepted", res
    if approve:
        with store.session(write=True) as s:
            doctor_keys.approve(s, registration["key_id"], None, store.clock())
