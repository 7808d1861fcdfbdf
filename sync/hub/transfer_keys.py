"""Keys for transfer files (docs/multi-device.md §6): each device's Ed25519 public key, and each station's transfer
key, which the hub gives only to the station's enrolled devices.

A device registers its public key once (a different key for the same device later is refused: a device that
lost its key is enrolled again); in exchange it receives its station's transfer key (random, 256 bits, made
at the first request). The station feed lists the station's devices with their public keys, so a device can
check who signed a transfer file; the transfer key encrypts the file to the station.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from sync.hub.errors import Conflict, HubError
from sync.hub.models import HubBase


class HubDeviceKey(HubBase):
    """A device's Ed25519 public key (raw, base64), registered once."""

    __tablename__ = "hub_device_key"
    device_id: Mapped[str] = mapped_column(ForeignKey("hub_device.id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(DateTime)


class HubStationSecret(HubBase):
    """A station's transfer key (raw 32 bytes, base64); given only to the station's enrolled devices."""

    __tablename__ = "hub_station_secret"
    station_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32))
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)


def _public_raw(public_key: str) -> bytes:
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise HubError("Khóa công khai của thiết bị phải là khóa Ed25519 (32 byte, base64).")
    return raw


def register(s: Session, device, public_key: str, now: datetime) -> dict:  # noqa: ANN001
    """Register *device*'s public key (once; the same key again is fine) and return the station's transfer key."""
    _public_raw(public_key)
    known = s.get(HubDeviceKey, device.id)
    if known is None:
        s.add(HubDeviceKey(device_id=device.id, public_key=public_key, registered_at=now))
    elif known.public_key != public_key:
        raise Conflict("Thiết bị này đã đăng ký một khóa khác: đăng ký lại thiết bị với máy chủ để đổi khóa.")
    secret = s.get(HubStationSecret, device.station_code)
    if secret is None:
        raw = secrets.token_bytes(32)
        secret = HubStationSecret(
            station_code=device.station_code,
            key_id=hashlib.sha256(raw).hexdigest()[:32],
            secret=base64.b64encode(raw).decode(),
            created_at=now,
        )
        s.add(secret)
    return {"device_id": device.id, "station_key_id": secret.key_id, "station_key": secret.secret}


def public_keys(s: Session, device_ids: list[str]) -> dict[str, str]:
    if not device_ids:
        return {}
    rows = s.query(HubDeviceKey.device_id, HubDeviceKey.public_key).filter(
        HubDeviceKey.device_id.in_(device_ids)
    )
    return dict(rows.all())
