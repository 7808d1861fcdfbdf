"""The station feed: what a device receives from its station's other devices (docs/multi-device.md §2).

Every item the hub accepted is in ``hub_item`` with the station that sent it and the hub's sequence number;
writes are serialised, so sequence numbers become visible in order and a cursor never skips an item. A device
reads only items its own station's devices delivered (never another station's, never its own), of the
replicated kinds, after its cursor, a page at a time; the answer says how many remain (progress for a device
catching up after weeks away) and lists the station's devices with when the hub last heard from each.
"""

from __future__ import annotations

import json

from sqlalchemy import Index, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from sync.hub import transfer_keys
from sync.hub.items import INT64_MAX
from sync.hub.models import Device, Item
from sync.protocol import MAX_PULL_LIMIT, REPLICATED_KINDS

#: The feed's index; ``create_all`` makes it with a new table only, so ``ensure_index`` adds it to older hubs.
FEED_INDEX = Index("ix_hub_item_station_seq", Item.station_code, Item.seq)


def ensure_index(conn: Connection) -> None:
    FEED_INDEX.create(conn, checkfirst=True)


def _iso(value) -> str | None:  # noqa: ANN001
    return value.isoformat() + "Z" if value else None


def station_devices(s: Session, station_code: str) -> list[dict]:
    """The station's enrolled devices, when the hub last heard from each (UTC, ISO 8601 with ``Z``) and their
    public keys (for transfer files; None until the device registered one)."""
    rows = s.scalars(
        select(Device).where(Device.station_code == station_code).order_by(Device.enrolled_at, Device.id)
    ).all()
    keys = transfer_keys.public_keys(s, [d.id for d in rows])
    return [
        {
            "device_id": d.id,
            "enrolled_at": _iso(d.enrolled_at),
            "last_seen_at": _iso(d.last_seen_at),
            "revoked": d.revoked_at is not None,
            "public_key": keys.get(d.id),
        }
        for d in rows
    ]


def station_items(s: Session, device, cursor: int, limit: int) -> dict:  # noqa: ANN001
    """Items after *cursor* that the other devices of *device*'s station delivered, in the hub's order."""
    limit = max(1, min(limit, MAX_PULL_LIMIT))
    cursor = max(0, min(cursor, INT64_MAX))
    newest = s.scalar(select(func.max(Item.seq))) or 0
    wanted = (
        (Item.station_code == device.station_code)
        & (Item.device_id != device.id)
        & Item.kind.in_(sorted(REPLICATED_KINDS))
    )
    rows = s.execute(
        select(
            Item.seq,
            Item.item_id,
            Item.kind,
            Item.entity_id,
            Item.entity_version,
            Item.device_id,
            Item.payload,
        )
        .where(wanted, Item.seq > cursor, Item.seq <= newest)
        .order_by(Item.seq)
        .limit(limit)
    ).all()
    more = len(rows) == limit
    next_cursor = rows[-1].seq if more else max(newest, cursor)
    remaining = (
        s.scalar(
            select(func.count()).select_from(Item).where(wanted, Item.seq > next_cursor, Item.seq <= newest)
        )
        if more
        else 0
    )
    items = [
        {
            "seq": r.seq,
            "item_id": r.item_id,
            "kind": r.kind,
            "entity_id": r.entity_id,
            "entity_version": r.entity_version,
            "device_id": r.device_id,
            "payload": json.loads(r.payload) if r.payload is not None else None,
        }
        for r in rows
    ]
    return {
        "items": items,
        "next_cursor": next_cursor,
        "more": more,
        "remaining": remaining or 0,
        "devices": station_devices(s, device.station_code),
    }
