"""The outbox: every change that must leave the machine is queued in the same transaction as the change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .audit import canonical_json
from .db.models import OutboxItem

KINDS = frozenset({"person", "person_merge", "consent", "appointment", "exam", "amendment", "referral", "audit_head"})


def enqueue(session: Session, kind: str, entity_id: str, payload: dict, entity_version: int = 1) -> OutboxItem:
    """Queue *payload* for upload; the caller's transaction makes it atomic with the change."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    item = OutboxItem(
        item_id=str(uuid.uuid4()), kind=kind, entity_id=entity_id, entity_version=entity_version,
        payload=canonical_json(payload), created_at=datetime.now(UTC).replace(tzinfo=None),
        state="pending", attempts=0,
    )
    session.add(item)
    return item


def enqueue_many(session: Session, kind: str, items: list[tuple[str, dict, int]]) -> int:
    """Queue many (entity_id, payload, version) items with one executemany, in the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {"item_id": str(uuid.uuid4()), "kind": kind, "entity_id": entity_id, "entity_version": version,
         "payload": canonical_json(payload), "created_at": now, "state": "pending", "attempts": 0}
        for entity_id, payload, version in items
    ]
    if rows:
        session.connection().execute(OutboxItem.__table__.insert(), rows)
    return len(rows)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(OutboxItem.state, func.count()).group_by(OutboxItem.state)).all()
    result = {"pending": 0, "in_flight": 0, "sent": 0, "parked": 0}
    result.update({state: n for state, n in rows})
    return result
