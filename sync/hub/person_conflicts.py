"""Concurrent changes of one person by two devices (docs/multi-device.md §4): never lose a write silently.

A device sends with each person the hub revision it last saw (``base_revision``). The hub's pull feed holds the
person as it was at each revision (its roster changes), so it knows what the device changed (its fields that
differ from that base) and what other devices changed since (the roster changes after the base from another
device). The update is applied field by field: the device's changed fields take its values, the fields it did
not change keep the hub's (so another device's edit of another field is not undone), and a field both changed
takes the later arrival's value while the overwritten one is kept in ``hub_person_conflict`` and announced with
the roster change, so the station's devices show it on the person's card. Without a base (an older device, or
a person never seen from the hub) the hub applies the whole record as it arrives, as before.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from sync.hub.models import Change, HubBase, HubPerson, SeqType

#: The fields a device edits (as ``sync.hub.people`` fills them at a merge) and the priority flags.
FIELDS = (
    "personal_id",
    "old_id",
    "name",
    "dob",
    "birth_year",
    "sex",
    "permanent_address",
    "current_address",
    "commune_code",
    "hamlet",
    "phone",
    "insurance_no",
    "target_group",
    "guardian_name",
    "guardian_phone",
    "flags",
)


class HubPersonConflict(HubBase):
    """One write of a person that overwrote fields another device had changed concurrently: the overwritten
    values (``fields``, canonical JSON ``{field: value}``), which device had written them, which device's write
    won, and the revision it made."""

    __tablename__ = "hub_person_conflict"
    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    fields: Mapped[str] = mapped_column(Text)
    overwritten_device_id: Mapped[str | None] = mapped_column(String(36))
    by_device_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime)


#: Reading a person's roster history by id; ``create_all`` makes it with a new table only.
CHANGE_ENTITY_INDEX = Index("ix_hub_change_entity", Change.entity_id, Change.seq)


def ensure_index(conn: Connection) -> None:
    CHANGE_ENTITY_INDEX.create(conn, checkfirst=True)


def _history(s: Session, person_id: str, base: int) -> tuple[dict | None, list[tuple[str | None, dict]]]:
    """The person at revision *base* (the last roster change at or before it) and the roster changes after it,
    each with the device that made it."""
    baseline: dict | None = None
    after: list[tuple[str | None, dict]] = []
    for origin, payload in s.execute(
        select(Change.origin_device_id, Change.payload)
        .where(Change.entity_id == person_id, Change.type == "roster")
        .order_by(Change.seq)
    ).all():
        data = json.loads(payload)
        revision = data.get("revision")
        if not isinstance(revision, int):
            continue
        if revision <= base:
            baseline, after = data, []
        else:
            after.append((origin, data))
    return baseline, after


def merge(
    s: Session, person: HubPerson, incoming: dict, base: object, device_id: str
) -> tuple[dict, dict, str | None]:
    """(the record to store, the overwritten values ``{field: value}``, the device that had written them) for an
    update of *person* from *device_id* that saw revision *base*."""
    current = json.loads(person.data)
    if not isinstance(base, int) or isinstance(base, bool) or base >= person.revision:
        return incoming, {}, None
    baseline, after = _history(s, person.id, base)
    if baseline is None:
        return incoming, {}, None
    others: dict[str, str | None] = {}  # field -> the other device that changed it since the base
    previous = baseline
    for origin, data in after:
        if origin != device_id:
            for f in FIELDS:
                if data.get(f) != previous.get(f):
                    others[f] = origin
        previous = data
    out = dict(incoming)
    lost: dict = {}
    lost_device: str | None = None
    for f in FIELDS:
        if incoming.get(f) == baseline.get(f):  # not changed on this device: the hub's value stays
            if f in current:
                out[f] = current[f]
            else:
                out.pop(f, None)
        elif f in others and current.get(f) != incoming.get(f):
            lost[f], lost_device = current.get(f), others[f]
    return out, lost, lost_device


def record(
    s: Session, person: HubPerson, lost: dict, lost_device: str | None, device_id: str, now: datetime
) -> dict:
    """Keep the overwritten values (after the winning write was stored); returns what the roster change says."""
    row = HubPersonConflict(
        person_id=person.id,
        revision=person.revision,
        fields=json.dumps(lost, ensure_ascii=False, sort_keys=True, default=str),
        overwritten_device_id=lost_device,
        by_device_id=device_id,
        created_at=now,
    )
    s.add(row)
    s.flush()
    return {"id": row.id, "fields": lost, "device_id": lost_device, "by_device_id": device_id}


def of_person(s: Session, person_id: str) -> list[dict]:
    """The concurrent changes kept for a person, oldest first."""
    return [
        {
            "id": c.id,
            "revision": c.revision,
            "fields": json.loads(c.fields),
            "overwritten_device_id": c.overwritten_device_id,
            "by_device_id": c.by_device_id,
        }
        for c in s.scalars(
            select(HubPersonConflict)
            .where(HubPersonConflict.person_id == person_id)
            .order_by(HubPersonConflict.id)
        )
    ]
