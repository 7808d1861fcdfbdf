"""What an appointment sends to the city hub: the appointment as stored at the version its outbox item names,
with the date, time and site it points to (the person goes separately, as a person item).

Each change queues the appointment with this payload in the same transaction as the change, so the hub receives
every step (scheduled, checked in with a queue number, examined …) even if a later step follows before sync.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.engine import driver

_SQL = (
    "SELECT a.id, a.person_id, a.campaign_id, c.year, d.exam_date, d.site_id, s.start_time, s.end_time, a.status, "
    "a.queue_no, a.priority, a.walk_in, a.rescheduled_from, a.checked_in_at, a.updated_at, a.version "
    "FROM appointment a JOIN exam_day d ON d.id = a.day_id JOIN slot s ON s.id = a.slot_id "
    "JOIN campaign c ON c.id = a.campaign_id WHERE a.id IN (SELECT value FROM json_each(?))"
)
#: The payload's keys (slot start/end: local wall-clock time on the date; timestamps: UTC, ISO 8601).
KEYS = (
    "id",
    "person_id",
    "campaign_id",
    "campaign_year",
    "date",
    "site_id",
    "start",
    "end",
    "status",
    "queue_no",
    "priority",
    "walk_in",
    "rescheduled_from",
    "checked_in_at",
    "updated_at",
    "version",
)


def utc_text(stored: str | None) -> str | None:
    """A stored naive-UTC timestamp as ISO 8601 with its zone."""
    return stored.replace(" ", "T") + "Z" if stored else None


def payloads(s: Session, ids: list[str]) -> list[dict]:
    """The hub payloads of these appointments, as stored now (in the caller's transaction)."""
    out = []
    cursor = driver(s.connection().connection)
    for i in range(0, len(ids), 20_000):
        for row in cursor.execute(_SQL, (json.dumps(ids[i : i + 20_000]),)).fetchall():
            p = dict(zip(KEYS, row, strict=True))
            p["priority"], p["walk_in"] = bool(p["priority"]), bool(p["walk_in"])
            p["checked_in_at"], p["updated_at"] = utc_text(p["checked_in_at"]), utc_text(p["updated_at"])
            out.append(p)
    return out


def queue(s: Session, ids: list[str], ready: list[dict] | None = None) -> int:
    """Queue these appointments for the hub, each at its stored version, in the caller's transaction. *ready*
    payloads (built by a writer that knows them, such as the planner's new appointments) are queued as given."""
    if not ids and not ready:
        return 0
    s.flush()  # ORM changes first, so the payload is what the transaction commits
    items = [*(ready or []), *(payloads(s, list(ids)) if ids else [])]
    outbox.enqueue_many(s, "appointment", [(p["id"], p, p["version"]) for p in items])
    return len(items)
