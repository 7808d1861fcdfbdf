"""This device's signing key and its station's transfer key (docs/multi-device.md §6), kept only inside the
encrypted station database. The key pair is made here; the public half is registered with the hub, which answers
with the station's transfer key (the same for all the station's devices)."""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ksk_desktop.db.models import SyncState
from ksk_desktop.outbox.sync_state import STATE_ID
from ksk_desktop.station.session import StationSession
from sync.client.transport import HubTransport

log = logging.getLogger("ksk.sync")


@dataclass(frozen=True)
class TransferKeys:
    device_id: str
    station_code: str
    signing_key: Ed25519PrivateKey
    public_key: str
    station_key: bytes
    station_key_id: str

    def __repr__(self) -> str:  # never print a key
        return f"TransferKeys(device_id={self.device_id!r}, station_key_id={self.station_key_id!r})"


def _public_b64(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def ensure_registered(ctx: StationSession, transport: HubTransport) -> bool:
    """Make this device's key pair if it has none and, until the hub answered once, register it; True when the
    station's transfer key is here (afterwards without asking the hub again)."""
    with ctx.write() as s:
        state = s.get(SyncState, STATE_ID)
        if state is None or not state.device_id:
            return False
        if state.transfer_key:
            return True
        if not state.device_private_key:
            key = Ed25519PrivateKey.generate()
            state.device_private_key = base64.b64encode(key.private_bytes_raw()).decode()
            state.device_public_key = _public_b64(key)
        public_key = state.device_public_key
    assert public_key is not None
    answer = transport.device_key(public_key)
    with ctx.write() as s:
        state = s.get_one(SyncState, STATE_ID)
        state.transfer_key, state.transfer_key_id = answer["station_key"], answer["station_key_id"]
    # Not an audit event: it follows from the enrolment (audited) on its own, and a run that found nothing new
    # must leave the audit chain as it was (the hub compares its heads).
    log.info("device key registered with the hub (station key %s)", answer["station_key_id"])
    return True


def load(ctx: StationSession, station_code: str) -> TransferKeys | None:
    """The keys, or None until the device has registered with the hub once."""
    with ctx.read() as s:
        state = s.get(SyncState, STATE_ID)
        if state is None or not (state.device_id and state.device_private_key and state.transfer_key):
            return None
        key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(state.device_private_key))
        return TransferKeys(
            state.device_id,
            station_code,
            key,
            _public_b64(key),
            base64.b64decode(state.transfer_key),
            state.transfer_key_id or "",
        )
