"""The outbox: every change that must leave the machine is queued in the same transaction as the change.

An item names the entity and the version it reached. Items for people carry no payload: the sync worker sends
the person as stored when the item goes out (a newer edit simply goes with it), which keeps a 100,000-row
import from writing every record twice. Items whose content must not change later (a consent, a merge, a
signed exam) carry their payload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.db.bulk import insert_many
from ksk_desktop.db.models import OutboxItem
from ksk_desktop.ids import new_id, new_ids
from ksk_desktop.station.audit import canonical_json


def _utcnow(session: Session) -> datetime:
    """The station session's clock (``StationSession.read``/``write`` put it in ``info``), else the system's."""
    return session.info.get("clock", SYSTEM_CLOCK).utcnow()


KINDS = frozenset(
    {
        "person",
        "person_merge",
        "consent",
        "appointment",
        "exam",
        "amendment",
        "referral",
        "audit_head",
        "doctor_key",
        "report",
        "campaign",
        "site",
        "exam_day",
        "moh_push",
        "followup",
    }
)


def enqueue(
    session: Session, kind: str, entity_id: str, payload: dict | None, entity_version: int = 1
) -> OutboxItem:
    """Queue *payload* for upload; the caller's transaction makes it atomic with the change."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    item = OutboxItem(
        item_id=new_id(),
        kind=kind,
        entity_id=entity_id,
        entity_version=entity_version,
        payload=canonical_json(payload) if payload is not None else None,
        created_at=_utcnow(session),
        state="pending",
        attempts=0,
    )
    session.add(item)
    return item


def enqueue_many(session: Session, kind: str, items: list[tuple[str, dict | None, int]]) -> int:
    """Queue many (entity_id, payload, version) items with one executemany, in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    now = _utcnow(session)
    rows = [
        {
            "item_id": item_id,
            "kind": kind,
            "entity_id": entity_id,
            "entity_version": version,
            "payload": canonical_json(payload) if payload is not None else None,
            "created_at": now,
            "state": "pending",
            "attempts": 0,
        }
        for (entity_id, payload, version), item_id in zip(items, new_ids(len(items)), strict=True)
    ]
    insert_many(session, OutboxItem.__table__, rows)
    return len(rows)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all()
    result = {"pending": 0, "in_flight": 0, "sent": 0, "parked": 0}
    result.update({state: n for state, n in rows})
    return result
